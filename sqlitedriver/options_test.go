package sqlitedriver_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

func TestParseURL(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal("no home directory:", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	def := filepath.Join(home, ".stackmemory", "frames.db")
	for _, tc := range []struct {
		url  string
		want sqlitedriver.Options
	}{
		{"sqlite:///abs/path/frames.db", sqlitedriver.Options{Path: "/abs/path/frames.db"}},
		{"sqlite://", sqlitedriver.Options{Path: def}},
		{"sqlite:", sqlitedriver.Options{Path: def}},
		{"sqlite:relative/path.db", sqlitedriver.Options{Path: filepath.Join(wd, "relative/path.db")}},
		{"sqlite://rel.db", sqlitedriver.Options{Path: filepath.Join(wd, "rel.db")}},
		{"sqlite://rel/x.db", sqlitedriver.Options{Path: filepath.Join(wd, "rel/x.db")}},
		{"sqlite:~/x.db", sqlitedriver.Options{Path: filepath.Join(home, "x.db")}},
		{"sqlite://~/x.db", sqlitedriver.Options{Path: filepath.Join(home, "x.db")}},
		{"sqlite:///a%20b/f.db?busy_timeout=250ms&max_conns=2&search_window=50", sqlitedriver.Options{
			Path: "/a b/f.db", BusyTimeout: 250 * time.Millisecond, MaxConns: 2, SearchWindow: 50}},
	} {
		got, err := sqlitedriver.ParseURL(tc.url)
		if err != nil || got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.url, got, err, tc.want)
		}
	}
	if p, err := sqlitedriver.DefaultPath(); err != nil || p != def {
		t.Errorf("DefaultPath() = %q, %v; want %q", p, err, def)
	}
}

// badDSNs are refused by ParseURL and by the Driver, each with a message
// that names what to write instead.
var badDSNs = []string{
	"sqlite:///tmp/f.db?cache=shared",
	"sqlite:///tmp/f.db?busy_timeout=5",
	"sqlite:///tmp/f.db?busy_timeout=-1s",
	"sqlite:///tmp/f.db?max_conns=0",
	"sqlite:///tmp/f.db?max_conns=x",
	"sqlite:///tmp/f.db?max_conns=1&max_conns=2",
	"sqlite:///tmp/f.db?search_window=0",
	"sqlite://user:pw@/tmp/f.db",
	"sqlite:///tmp/f.db#frag",
	"postgres:///tmp/f.db",
	"frames.db",
	"sqlite:///tmp/f.db?%zz",
}

func TestBadURLsRejected(t *testing.T) {
	for _, u := range badDSNs {
		_, err := sqlitedriver.ParseURL(u)
		if !errors.Is(err, driver.ErrBadDSN) {
			t.Errorf("ParseURL(%q) = %v, want ErrBadDSN", u, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "sqlite:") && !strings.Contains(msg, "want") &&
			!strings.Contains(msg, "accepted") && !strings.Contains(msg, "once") && !strings.Contains(msg, "escape") {
			t.Errorf("ParseURL(%q) error %q does not say what to write instead", u, msg)
		}
	}
}

func TestRelativePathResolvesAgainstWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for i, dsn := range []string{"sqlite:rel/x.db", "sqlite://rel.db"} {
		tr, err := sqlitedriver.Driver{}.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("Open(%q): %v", dsn, err)
		}
		mustPut(t, tr, newRecord(i, `{}`))
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"rel/x.db", "rel.db"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("no database file at %s in the working directory: %v", p, err)
		}
	}
}

func TestOpenThroughDriver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "frames.db")
	tr, err := sqlitedriver.Driver{}.Open(context.Background(), "sqlite://"+path+"?busy_timeout=2s")
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
}

func TestBadOptionsLeaveNothingBehind(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "frames.db")
	for _, dsn := range []string{"sqlite://" + path + "?journal_mode=delete", "sqlite://" + path + "?max_conns=-1"} {
		tr, err := sqlitedriver.Driver{}.Open(context.Background(), dsn)
		if !errors.Is(err, driver.ErrBadDSN) || tr != nil {
			t.Errorf("Open(%q) = %v, %v; want a nil Tier and ErrBadDSN", dsn, tr, err)
		}
	}
	for _, o := range []sqlitedriver.Options{
		{Path: path, BusyTimeout: -time.Second},
		{Path: path, MaxConns: -1},
		{Path: path, SearchWindow: -1},
	} {
		if s, err := sqlitedriver.Open(context.Background(), o); !errors.Is(err, driver.ErrBadDSN) || s != nil {
			t.Errorf("Open(%+v) = %v, %v; want nil and ErrBadDSN", o, s, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed opens left %d entries behind in %s", len(entries), dir)
	}
}

func TestFailedOpenRemovesOnlyWhatItCreated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "frames.db")
	s := openStoreAt(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	if _, err := db.Exec(`PRAGMA user_version = 999`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadDir(dir)
	_, err := sqlitedriver.Open(context.Background(), sqlitedriver.Options{Path: path})
	if !errors.Is(err, sqlitedriver.ErrSchemaTooNew) {
		t.Fatalf("Open of a file from the future = %v, want ErrSchemaTooNew", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("a failed Open removed the file it did not create: %v", err)
	}
	if after, _ := os.ReadDir(dir); len(after) > len(before) {
		t.Errorf("a failed Open left %d entries, there were %d", len(after), len(before))
	}
}
