package pgdriver

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// envChildMigrate, when set to a database URL, makes the test binary act as
// a child process of TestConcurrentMigration: it opens a Store there (which
// migrates the schema) and exits 0 on success.
const envChildMigrate = "PGDRIVER_TEST_CHILD_MIGRATE"

// envChildStart names a file the child waits for before opening, so that
// sibling children start migrating at the same moment.
const envChildStart = "PGDRIVER_TEST_CHILD_START"

func TestMain(m *testing.M) {
	if url := os.Getenv(envChildMigrate); url != "" {
		os.Exit(childMigrate(url, os.Getenv(envChildStart)))
	}
	goleak.VerifyTestMain(m)
}

func childMigrate(url, startFile string) int {
	for i := 0; i < 1000 && startFile != ""; i++ {
		if _, err := os.Stat(startFile); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	o, err := ParseURL(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	s, err := Open(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_ = s.Close()
	fmt.Println("migrated")
	return 0
}

// testTimeout is the per-call timeout of test stores: generous, so a busy
// machine does not make tests fail.
const testTimeout = "10s"

// testBatchTimeout is the batch timeout of test stores: a document of
// MaxFrameSize takes seconds under the race detector.
const testBatchTimeout = "2m"

// withParams appends URL parameters to a database URL.
func withParams(url string, params ...string) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + strings.Join(params, "&")
}

// newStoreURL opens a Store on a fresh database and returns it with the
// database's URL. The Store is closed when the test ends.
func newStoreURL(t testing.TB, params ...string) (*Store, string) {
	t.Helper()
	url := testenv.PostgresURL(t)
	s := openURL(t, withParams(url, append([]string{"timeout=" + testTimeout, "batch_timeout=" + testBatchTimeout}, params...)...))
	return s, url
}

// newStore opens a Store on a fresh database.
func newStore(t testing.TB, params ...string) *Store {
	t.Helper()
	s, _ := newStoreURL(t, params...)
	return s
}

// openURL opens a Store from a URL and closes it when the test ends.
func openURL(t testing.TB, url string) *Store {
	t.Helper()
	o, err := ParseURL(url)
	if err != nil {
		t.Fatalf("ParseURL: %v", err)
	}
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// sqlConn opens a plain connection to url for inspecting the database.
func sqlConn(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

var uuidSeq atomic.Uint64

// newID returns a fresh frame ID; IDs sort in the order they were made.
func newID() string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", time.Now().Unix()&0xffffffff, uuidSeq.Add(1))
}

// record builds a record for a document with a correct checksum.
func record(id string, version uint64, doc string) driver.Record {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return driver.Record{
		Meta: driver.Meta{
			ID: id, SessionID: "", ProjectID: "proj", CreatedAt: now, Version: version,
			Checksum: driver.Checksum([]byte(doc)), Size: int64(len(doc)),
			LastAccess: now, AccessCount: 1, LFUKey: driver.NewLFUKey(now, 1),
		},
		Data: []byte(doc),
	}
}

// replaceDatabase returns the server URL naming database db instead.
func replaceDatabase(t testing.TB, server, db string) string {
	t.Helper()
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	return u.String()
}
