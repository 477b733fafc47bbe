package contextdb_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/contextdb"
	"github.com/stackmemoryai/tier/driver"
)

func TestParseURL(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dsn  string
		want contextdb.Options
	}{
		{"contextdb:///abs/.stackmemory/context.db", contextdb.Options{Path: "/abs/.stackmemory/context.db",
			BusyTimeout: contextdb.DefaultBusyTimeout, MaxConns: contextdb.DefaultMaxConns}},
		{"contextdb:rel/context.db?busy_timeout=250ms&max_conns=2", contextdb.Options{Path: "rel/context.db",
			BusyTimeout: 250 * time.Millisecond, MaxConns: 2}},
		{"contextdb:~/app/.stackmemory/context.db", contextdb.Options{Path: filepath.Join(home, "app/.stackmemory/context.db"),
			BusyTimeout: contextdb.DefaultBusyTimeout, MaxConns: contextdb.DefaultMaxConns}},
		{"contextdb:///with%20space/context.db", contextdb.Options{Path: "/with space/context.db",
			BusyTimeout: contextdb.DefaultBusyTimeout, MaxConns: contextdb.DefaultMaxConns}},
	} {
		got, err := contextdb.ParseURL(tc.dsn)
		if err != nil || got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.dsn, got, err, tc.want)
		}
	}
	for _, dsn := range []string{
		"sqlite:///abs/context.db", "contextdb://host/context.db", "contextdb://user:pw@/x.db",
		"contextdb:", "contextdb:///x.db?busy_timeout=-1s", "contextdb:///x.db?busy_timeout=soon",
		"contextdb:///x.db?max_conns=0", "contextdb:///x.db?max_conns=1&max_conns=2",
		"contextdb:///x.db?journal=off", "contextdb:///x.db#frag", "::not a url",
	} {
		if _, err := contextdb.ParseURL(dsn); !errors.Is(err, driver.ErrBadDSN) {
			t.Errorf("ParseURL(%q) = %v, want driver.ErrBadDSN", dsn, err)
		}
	}
}
