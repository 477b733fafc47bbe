package sqlitedriver_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

// childEnv names the database file a child test process writes to.
const childEnv = "SQLITEDRIVER_TEST_CHILD_DB"

const childFrames = 200

// childRecord is frame n written by the child process.
func childRecord(n int) driver.Record {
	return newRecord(100000+n, fmt.Sprintf(`{"writer":"child","n":%d}`, n))
}

// runChild is the body of the child process: it writes frames, one
// transaction each plus batches, then reads them back.
func runChild(path string) int {
	ctx := context.Background()
	s, err := sqlitedriver.Open(ctx, sqlitedriver.Options{Path: path})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return 2
	}
	defer s.Close()
	for n := range childFrames {
		rec := childRecord(n)
		if n%2 == 0 {
			err = s.Put(ctx, rec)
		} else {
			err = s.PutMany(ctx, []driver.Record{rec})
		}
		if err == nil {
			err = s.Touch(ctx, []driver.Access{{ID: rec.ID, Count: 1}})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "child write:", err)
			return 3
		}
		if _, ok, err := s.Get(ctx, rec.ID); !ok || err != nil {
			fmt.Fprintln(os.Stderr, "child read back:", ok, err)
			return 4
		}
	}
	return 0
}

// writeAndRead puts frames first..first+n on s and reads each back.
func writeAndRead(s *sqlitedriver.Store, first, n int) error {
	ctx := context.Background()
	for i := first; i < first+n; i++ {
		rec := newRecord(i, fmt.Sprintf(`{"n":%d,"text":"shared file"}`, i))
		if err := s.Put(ctx, rec); err != nil {
			return err
		}
		if err := s.Touch(ctx, []driver.Access{{ID: rec.ID, Count: 1}}); err != nil {
			return err
		}
		got, ok, err := s.Get(ctx, rec.ID)
		if err != nil || !ok || string(got.Data) != string(rec.Data) {
			return fmt.Errorf("read back %s: ok %v err %v", rec.ID, ok, err)
		}
		if _, err := s.Query(ctx, driver.Query{Text: "shared", Limit: 5}); err != nil {
			return err
		}
	}
	return nil
}

func TestTwoStoresOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.db")
	a, b := openStoreAt(t, path), openStoreAt(t, path)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i, s := range []*sqlitedriver.Store{a, b, a, b} {
		wg.Go(func() { errs <- writeAndRead(s, i*1000, 100) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for _, s := range []*sqlitedriver.Store{a, b} {
		if u, err := s.Usage(context.Background()); err != nil || u.Frames != 400 {
			t.Errorf("Usage = %+v, %v; want 400 frames seen by both stores", u, err)
		}
	}
}

func TestConcurrentProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.db")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal("cannot find the test binary:", err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// This process writes the same file while the child does.
	parentErr := writeAndRead(openStoreAt(t, path), 0, childFrames)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child process: %v\n%s", err, out.String())
	}
	if parentErr != nil {
		t.Fatal(parentErr)
	}
	s := openStoreAt(t, path)
	if u, err := s.Usage(context.Background()); err != nil || u.Frames != 2*childFrames {
		t.Errorf("Usage = %+v, %v; want %d frames from both processes", u, err, 2*childFrames)
	}
	if got := mustGet(t, s, childRecord(7).ID); got.AccessCount != 2 {
		t.Errorf("child frame access count = %d, want 2 (written, touched once)", got.AccessCount)
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
