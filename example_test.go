package tier_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
)

// exampleConfig keeps the example's files in a temporary directory.
func exampleConfig() (config.Config, func()) {
	dir, _ := os.MkdirTemp("", "tier-example")
	cfg := config.Default()
	cfg.SQLite.Path = filepath.Join(dir, "frames.db")
	cfg.BackgroundSync = new(bool)
	return cfg, func() { os.RemoveAll(dir) }
}

// The embedded default: SQLite alone, no services.
func Example() {
	cfg, cleanup := exampleConfig()
	defer cleanup()
	ctx := context.Background()

	m, err := config.Open(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	f, err := m.Put(ctx, tier.Frame{
		ProjectID: "billing",
		Data:      []byte(`{"task":"add invoice export","outputs":{"files":["export.go"]}}`),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	got, err := m.Get(ctx, f.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s from tier %d\n", got.Data, got.Level)
	// Output: {"task":"add invoice export","outputs":{"files":["export.go"]}} from tier 1
}

// Search the frames of a project across every tier, page by page.
func ExampleManager_Query() {
	cfg, cleanup := exampleConfig()
	defer cleanup()
	ctx := context.Background()
	m, err := config.Open(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	for _, task := range []string{"fix flaky websocket test", "write invoice migration", "websocket backpressure"} {
		if _, err := m.Put(ctx, tier.Frame{ProjectID: "api", Data: []byte(fmt.Sprintf(`{"task":%q}`, task))}); err != nil {
			fmt.Println(err)
			return
		}
	}
	q := tier.Query{ProjectID: "api", Text: "websocket", Limit: 1}
	found := 0
	for {
		page, err := m.Query(ctx, q)
		if err != nil {
			fmt.Println(err)
			return
		}
		found += len(page.Frames)
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	fmt.Println("frames about websockets:", found)
	// Output: frames about websockets: 2
}

// Telling "not found" from "a tier is down".
func ExampleManager_Get_errors() {
	cfg, cleanup := exampleConfig()
	defer cleanup()
	ctx := context.Background()
	m, err := config.Open(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	_, err = m.Get(ctx, tier.NewID())
	switch {
	case errors.Is(err, tier.ErrNotFound):
		fmt.Println("no such frame")
	case errors.Is(err, tier.ErrUnavailable):
		fmt.Println("a tier that may hold it is down; try again later")
	}
	_, err = m.Get(ctx, "not-a-frame-id")
	fmt.Println(errors.Is(err, tier.ErrInvalidFrame))
	// Output:
	// no such frame
	// true
}
