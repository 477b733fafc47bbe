package tier_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
)

// Two machines as two processes: the child (this test binary, re-executed)
// is machine A, writing to its own SQLite file and the shared Redis and
// PostgreSQL; the parent is machine B, or A again after a crash.

const (
	envShareChild = "TIER_SHARE_CHILD" // "exit" or "kill"
	envShareSetup = "TIER_SHARE_SETUP" // dir, Redis URL, PostgreSQL URL, frame IDs
)

// shareDoc is the document the child writes for the i-th frame.
func shareDoc(i int) []byte {
	return fmt.Appendf(nil, `{"task":"written by the child process","n":%d}`, i)
}

// TestShareChild is the child's side; it does nothing in a normal run.
// It puts one frame per ID, then closes the manager and exits ("exit"), or
// kills itself with SIGKILL while the writes wait for replication
// ("kill", with a replication lag of an hour).
func TestShareChild(t *testing.T) {
	mode := os.Getenv(envShareChild)
	if mode == "" {
		return
	}
	setup := strings.Split(os.Getenv(envShareSetup), "\n")
	dir, services, ids := setup[0], sharedServices{redis: setup[1], postgres: setup[2]}, strings.Split(setup[3], ",")
	cfg := machineConfig(dir, services)
	if mode == "kill" {
		cfg.ReplicationLag = time.Hour
	}
	ctx := context.Background()
	m, err := tier.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if _, err := m.Put(ctx, tier.Frame{ID: id, ProjectID: "two-processes", Data: shareDoc(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if mode == "kill" {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // wait for the signal
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// runShareChild runs the child in mode and returns how it ended.
func runShareChild(t *testing.T, mode, dir string, s sharedServices, ids []string) error {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestShareChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envShareChild+"="+mode,
		envShareSetup+"="+strings.Join([]string{dir, s.redis, s.postgres, strings.Join(ids, ",")}, "\n"))
	out, err := cmd.CombinedOutput()
	if err != nil && mode == "exit" {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	return err
}

func newIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = tier.NewID()
	}
	return ids
}

func TestSharedAcrossProcessesChildPutsParentReads(t *testing.T) {
	s := newSharedServices(t)
	ids := newIDs(20)
	runShareChild(t, "exit", t.TempDir(), s, ids)
	b := openMachine(t, machineConfig(t.TempDir(), s))
	for i, id := range ids {
		if ok, why := reads(b, id, shareDoc(i), 0); !ok {
			t.Fatalf("a frame the child put and replicated before it exited: %s", why)
		}
	}
}

func TestSharedAcrossProcessesSIGKILLWithQueuedWrites(t *testing.T) {
	s := newSharedServices(t)
	ids := newIDs(50)
	dirA := t.TempDir()
	err := runShareChild(t, "kill", dirA, s, ids)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v", err)
	}
	ctx := context.Background()
	pg, err := tier.OpenTier(ctx, s.postgres)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	redis, err := tier.OpenTier(ctx, s.redis)
	if err != nil {
		t.Fatal(err)
	}
	defer redis.Close()
	missing := func() (inPG, inRedis int) {
		for _, id := range ids {
			if _, ok, err := pg.Get(ctx, id); err != nil || !ok {
				inPG++
			}
			if _, ok, err := redis.Get(ctx, id); err != nil || !ok {
				inRedis++
			}
		}
		return inPG, inRedis
	}
	if p, r := missing(); p == 0 && r == 0 {
		t.Fatal("setup: every write reached the shared tiers before the kill; the test proves nothing")
	}

	// A restarts on the same files: its first maintenance cycle queues
	// what the shared tiers lack.
	a := openMachine(t, machineConfig(dirA, s))
	if _, err := a.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() (bool, string) {
		p, r := missing()
		return p == 0 && r == 0, fmt.Sprintf("after the restart, %d of %d writes are missing from PostgreSQL and %d from Redis", p, len(ids), r)
	})
	b := openMachine(t, machineConfig(t.TempDir(), s))
	for i, id := range ids {
		if ok, why := reads(b, id, shareDoc(i), 0); !ok {
			t.Fatalf("machine B after A's restart: %s", why)
		}
	}
}
