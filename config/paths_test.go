package config_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
)

// openAndPut opens c, stores one frame and closes the Manager.
func openAndPut(t *testing.T, c config.Config) {
	t.Helper()
	ctx := context.Background()
	m, err := config.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Put(ctx, tier.Frame{Data: []byte(`{"task":"paths"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestRelativeAndHomePathsFromEverySource(t *testing.T) {
	work := t.TempDir()
	home := t.TempDir()
	t.Chdir(work)
	t.Setenv("HOME", home)
	for _, tc := range []struct {
		name       string
		file, env  string
		code       string
		wantFile   string
		wantStates string
	}{
		{name: "relative path in the file", file: "rel.db", wantFile: filepath.Join(work, "rel.db")},
		{name: "relative path in the environment", env: "sub/env.db", wantFile: filepath.Join(work, "sub", "env.db")},
		{name: "relative path in code", code: "code.db", wantFile: filepath.Join(work, "code.db")},
		{name: "home path in the file", file: "~/.stackmemory/home.db", wantFile: filepath.Join(home, ".stackmemory", "home.db")},
		{name: "home path in the environment", env: "~/envhome.db", wantFile: filepath.Join(home, "envhome.db")},
		{name: "relative sqlite URL", file: "sqlite:url.db?busy_timeout=2s", wantFile: filepath.Join(work, "url.db")},
		{name: "absolute sqlite URL", env: "sqlite://" + filepath.Join(work, "abs.db"), wantFile: filepath.Join(work, "abs.db")},
		{name: "home sqlite URL in code", code: "sqlite:~/codeurl.db", wantFile: filepath.Join(home, "codeurl.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			body := `{}`
			if tc.file != "" {
				body = `{"storage": {"tiers": {"sqlite": {"path": "` + tc.file + `"}}}}`
			}
			if tc.env != "" {
				t.Setenv(config.EnvSQLitePath, tc.env)
			}
			c, err := loadString(t, body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.code != "" {
				c.SQLite.Path = tc.code
			}
			c.BackgroundSync = new(bool)
			openAndPut(t, c)
			if !exists(tc.wantFile) {
				t.Errorf("no database at %s", tc.wantFile)
			}
			if state := filepath.Join(filepath.Dir(tc.wantFile), "tier-state.db"); !exists(state) {
				t.Errorf("no state file beside it at %s", state)
			}
		})
	}
}

func TestAPathStartingWithTildeUserIsRefused(t *testing.T) {
	c := config.Default()
	c.SetSQLitePath("~bob/frames.db", "--sqlite")
	if err := c.Validate(); !errors.Is(err, tier.ErrBadConfig) || fieldOf(err) != "--sqlite" {
		t.Errorf("Validate = %v; want ErrBadConfig naming --sqlite", err)
	}
}

// listFiles returns every file and directory under dir.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
		if path != dir {
			out = append(out, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestABadConfigLeavesNothingOnDisk(t *testing.T) {
	for name, mutate := range map[string]func(*config.Config){
		"unknown redis parameter":    func(c *config.Config) { c.Redis.URL = "redis://127.0.0.1:6379/0?bogus=1" },
		"unknown postgres parameter": func(c *config.Config) { c.Postgres.URL = "postgres://127.0.0.1/db?bogus=1" },
		"bad sqlite parameter":       func(c *config.Config) { c.SQLite.Path += "?cache=shared" },
		"bad limit":                  func(c *config.Config) { c.SQLite.MaxFrames = -3 },
		"too large a frame size for the archive": func(c *config.Config) {
			c.Postgres.URL = "postgres://127.0.0.1/db"
			c.MaxFrameSize = 1 << 30
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c := config.Default()
			c.SQLite.Path = "sqlite://" + filepath.Join(dir, "deep", "frames.db")
			mutate(&c)
			m, err := config.Open(context.Background(), c)
			if err == nil {
				_ = m.Close()
			}
			if !errors.Is(err, tier.ErrBadConfig) {
				t.Errorf("Open = %v; want ErrBadConfig", err)
			}
			if files := listFiles(t, dir); len(files) > 0 {
				t.Errorf("a failed Open left %v", files)
			}
		})
	}
}

func mkdir(dir string) error { return os.MkdirAll(dir, 0o700) }
