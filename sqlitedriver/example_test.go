package sqlitedriver_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

func Example() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	// Hosts usually write tier.OpenTier(ctx, "sqlite:///path/frames.db").
	s, err := sqlitedriver.Open(ctx, sqlitedriver.Options{Path: filepath.Join(dir, "frames.db")})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	doc := []byte(`{"task":"add the hot tier","digest":"SQLite with full-text search"}`)
	err = s.Put(ctx, driver.Record{
		Meta: driver.Meta{
			ID:        "0190a5e4-0000-7000-8000-000000000001",
			ProjectID: "tier",
			Version:   1,
			Checksum:  driver.Checksum(doc),
			Size:      int64(len(doc)),
		},
		Data: doc,
	})
	if err != nil {
		log.Fatal(err)
	}

	hits, err := s.Query(ctx, driver.Query{Text: `"full-text search" -redis`, Limit: 10})
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range hits {
		fmt.Printf("%s %s\n", h.ID, h.Data)
	}
	// Output:
	// 0190a5e4-0000-7000-8000-000000000001 {"task":"add the hot tier","digest":"SQLite with full-text search"}
}
