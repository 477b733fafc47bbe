package redisdriver_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/redisdriver"
)

// Open a store from a URL, write a frame and read it back. It needs a Redis
// server (TIER_TEST_REDIS_URL, or one on localhost).
func Example() {
	url := os.Getenv("TIER_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opts, err := redisdriver.ParseURL(url + "?prefix=example:&ttl=1h")
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	store, err := redisdriver.Open(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	doc := []byte(`{"task":"write the README","outputs":{"done":true}}`)
	now := time.Now().UTC().Truncate(time.Microsecond)
	rec := driver.Record{
		Meta: driver.Meta{
			ID:          "0194f5a2-7c1e-7b3d-9a4f-2e6c8d0b1a35",
			CreatedAt:   now,
			Version:     1,
			Checksum:    driver.Checksum(doc),
			Size:        int64(len(doc)),
			LastAccess:  now,
			AccessCount: 1,
			LFUKey:      driver.NewLFUKey(now, 1),
		},
		Data: doc,
	}
	if err := store.Put(ctx, rec); err != nil {
		log.Fatal(err)
	}
	got, ok, err := store.Get(ctx, rec.ID)
	if err != nil || !ok {
		log.Fatal(ok, err)
	}
	fmt.Printf("%s\n", got.Data)
	_ = store.Delete(ctx, rec.ID, driver.AnyVersion)
}

// ParseURL fills in every default, for the caller to adjust.
func ExampleParseURL() {
	opts, err := redisdriver.ParseURL("redis://cache.internal:6379/2?prefix=team-a:&durable=true")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(opts.Prefix, opts.Durable, opts.TTL, opts.Timeout, opts.ClientOption.SelectDB)

	_, err = redisdriver.ParseURL("redis://cache.internal:6379/2?poolsize=10")
	fmt.Println(err)
	// Output:
	// team-a: true 24h0m0s 50ms 2
	// tier driver: bad connection string: unknown parameter "poolsize"
}

// Follow the changes other machines make to the frames of a prefix, to
// stop serving local copies they superseded. It needs a Redis server.
func ExampleStore_Subscribe() {
	opts, err := redisdriver.ParseURL("redis://127.0.0.1:6379/0?prefix=team-a:")
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends the subscription
	store, err := redisdriver.Open(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	err = store.Subscribe(ctx, func(c driver.Change) {
		if c.Reset {
			fmt.Println("changes may have been missed: revalidate every copy")
			return
		}
		// A change may be this store's own write, or a TTL renewal:
		// compare versions before dropping a copy.
		metas, err := store.GetMetas(ctx, c.IDs)
		if err != nil {
			return
		}
		for _, m := range metas {
			fmt.Println(m.ID, "is now at version", m.Version)
		}
	})
	if err != nil {
		log.Fatal(err) // driver.ErrUnavailable: run without notifications, revalidate later
	}
}
