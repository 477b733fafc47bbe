package sqlitedriver_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

func TestParseURL(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal("no home directory:", err)
	}
	def := filepath.Join(home, ".stackmemory", "frames.db")
	for _, tc := range []struct {
		url, path string
		opts      sqlitedriver.Options
	}{
		{"sqlite:///abs/path/frames.db", "/abs/path/frames.db", sqlitedriver.Options{}},
		{"sqlite://", def, sqlitedriver.Options{}},
		{"sqlite:", def, sqlitedriver.Options{}},
		{"sqlite:relative/path.db", "relative/path.db", sqlitedriver.Options{}},
		{"sqlite:~/x.db", filepath.Join(home, "x.db"), sqlitedriver.Options{}},
		{"sqlite:///a%20b/f.db?busy_timeout=250ms&max_conns=2", "/a b/f.db",
			sqlitedriver.Options{BusyTimeout: 250 * time.Millisecond, MaxConns: 2}},
	} {
		path, opts, err := sqlitedriver.ParseURL(tc.url)
		if err != nil || path != tc.path || opts != tc.opts {
			t.Errorf("ParseURL(%q) = %q, %+v, %v; want %q, %+v", tc.url, path, opts, err, tc.path, tc.opts)
		}
	}
	if p, err := sqlitedriver.DefaultPath(); err != nil || p != def {
		t.Errorf("DefaultPath() = %q, %v; want %q", p, err, def)
	}
}

func TestBadURLsRejected(t *testing.T) {
	for _, u := range []string{
		"sqlite:///tmp/f.db?cache=shared",
		"sqlite:///tmp/f.db?busy_timeout=5",
		"sqlite:///tmp/f.db?busy_timeout=-1s",
		"sqlite:///tmp/f.db?max_conns=0",
		"sqlite:///tmp/f.db?max_conns=x",
		"sqlite:///tmp/f.db?max_conns=1&max_conns=2",
		"sqlite://frames.db",
		"sqlite://user:pw@/tmp/f.db",
		"sqlite:///tmp/f.db#frag",
		"postgres:///tmp/f.db",
		"sqlite:///tmp/f.db?%zz",
	} {
		if _, _, err := sqlitedriver.ParseURL(u); !errors.Is(err, driver.ErrBadDSN) {
			t.Errorf("ParseURL(%q) = %v, want ErrBadDSN", u, err)
		}
	}
}

func TestOpenThroughRegistry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "frames.db")
	tr, err := tier.OpenTier(context.Background(), "sqlite://"+path+"?busy_timeout=2s")
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if !tr.Durable() {
		t.Error("Durable() = false, want true")
	}
	mustPut(t, tr, newRecord(1, `{}`))
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not at the URL's path: %v", err)
	}
	_, err = tier.OpenTier(context.Background(), "sqlite://"+path+"?journal_mode=delete")
	if !errors.Is(err, driver.ErrBadDSN) {
		t.Errorf("OpenTier with unknown parameter = %v, want ErrBadDSN", err)
	}
}
