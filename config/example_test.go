package config_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
)

// Load reads the storage object of StackMemory's config.json; the other
// keys belong to other parts of StackMemory and are left alone.
func ExampleLoad() {
	dir, _ := os.MkdirTemp("", "config-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config.json")
	_ = os.WriteFile(path, []byte(`{
  "version": "1.0",
  "auth": {"provider": "github"},
  "storage": {
    "tiers": {"sqlite": {"maxFrames": 2000, "maxAge": "12h"}},
    "policies": {"evictionStrategy": "lfu", "syncInterval": 30}
  }
}`), 0o600)

	cfg, err := config.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.SQLite.MaxFrames, cfg.SQLite.MaxAge, cfg.EvictionStrategy, cfg.SyncInterval)

	// A misspelled field is refused with its path.
	_ = os.WriteFile(path, []byte(`{"storage": {"tiers": {"sqlite": {"maxFrame": 10}}}}`), 0o600)
	_, err = config.Load(path)
	fmt.Println(err != nil)
	// Output:
	// 2000 12h LFU 30s
	// true
}

// Open builds the chain and returns a Manager; with nothing configured
// it is SQLite alone.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "config-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	cfg := config.Default()
	cfg.SQLite.Path = filepath.Join(dir, "frames.db")
	cfg.BackgroundSync = new(bool) // a short-lived program: no background loop

	m, err := config.Open(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	f, err := m.Put(ctx, tier.Frame{ProjectID: "api", Data: []byte(`{"task":"fix flaky test"}`)})
	if err != nil {
		fmt.Println(err)
		return
	}
	got, err := m.Get(ctx, f.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.Tier, string(got.Data))
	// Output: sqlite {"task":"fix flaky test"}
}
