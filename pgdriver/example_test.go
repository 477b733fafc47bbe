package pgdriver_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/pgdriver"
)

// Example archives a frame and finds it again by full-text search. It needs
// a PostgreSQL server, named by STACKMEMORY_POSTGRES_URL.
func Example() {
	ctx := context.Background()
	opts, err := pgdriver.ParseURL(os.Getenv("STACKMEMORY_POSTGRES_URL") + "?retention_days=365")
	if err != nil {
		log.Fatal(err)
	}
	store, err := pgdriver.Open(ctx, opts) // migrates the schema
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	doc := []byte(`{"task": "fix the flaky websocket reconnect test", "outputs": {"ok": true}}`)
	now := time.Now().UTC().Truncate(time.Microsecond)
	rec := driver.Record{
		Meta: driver.Meta{
			ID: "0190a5d2-7c1e-7b3a-9f2d-4c8e6a1b2c3d", ProjectID: "billing", CreatedAt: now,
			Version: 1, Checksum: driver.Checksum(doc), Size: int64(len(doc)),
			LastAccess: now, AccessCount: 1, LFUKey: driver.NewLFUKey(now, 1),
		},
		Data: doc,
	}
	if err := store.Put(ctx, rec); err != nil {
		log.Fatal(err)
	}
	hits, err := store.Query(ctx, driver.Query{Text: "websocket test", ProjectID: "billing", Limit: 10})
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range hits {
		fmt.Printf("%s %.3f %s\n", h.ID, h.Rank, h.Data)
	}
}

// ExampleStore_As reaches the Store's pgx pool for a query of the host's
// own: the ten projects with the most archived bytes.
func ExampleStore_As() {
	ctx := context.Background()
	opts, err := pgdriver.ParseURL(os.Getenv("STACKMEMORY_POSTGRES_URL"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := pgdriver.Open(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	var pool *pgxpool.Pool
	if !store.As(&pool) {
		log.Fatal("no pool")
	}
	rows, err := pool.Query(ctx, `SELECT coalesce(project_id, ''), sum(size_bytes)
		FROM frames_archive GROUP BY 1 ORDER BY 2 DESC LIMIT 10`)
	if err != nil {
		log.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var project string
		var bytes int64
		if err := rows.Scan(&project, &bytes); err != nil {
			log.Fatal(err)
		}
		fmt.Println(project, bytes)
	}
}

// ExampleStore_Subscribe prints the IDs of frames that any process or
// machine sharing the archive writes or deletes, until interrupted.
func ExampleStore_Subscribe() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts, err := pgdriver.ParseURL(os.Getenv("STACKMEMORY_POSTGRES_URL"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := pgdriver.Open(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	err = store.Subscribe(ctx, func(c driver.Change) {
		if c.Reset {
			fmt.Println("reconnected: changes may have been missed")
			return
		}
		fmt.Println("changed:", c.IDs)
	})
	if err != nil {
		log.Fatal(err)
	}
	<-ctx.Done()
}
