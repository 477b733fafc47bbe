package tier_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
	_ "github.com/stackmemoryai/tier/redisdriver"
)

// The crash tests run a migration in a child process (this test binary,
// re-executed) and kill it with SIGKILL right after one step of a move.
// The parent then opens the same files and checks that every frame is
// still there, with the right checksum, and that the next maintenance
// cycle finishes or rolls back the interrupted move.

const (
	envCrashStep  = "TIER_CRASH_STEP"
	envCrashChain = "TIER_CRASH_CHAIN"
)

// crashChain is the chain the parent and the child open: SQLite, then
// optionally Redis as a cache, then a second SQLite file as the durable
// archive.
func crashChain(dir, redisURL string) tier.Config {
	hot := (&url.URL{Scheme: "sqlite", Path: filepath.Join(dir, "hot.db")}).String()
	cold := (&url.URL{Scheme: "sqlite", Path: filepath.Join(dir, "archive.db")}).String()
	chain := []tier.TierSpec{{Name: "hot", URL: hot}}
	if redisURL != "" {
		chain = append(chain, tier.TierSpec{Name: "redis", URL: redisURL})
	}
	chain = append(chain, tier.TierSpec{Name: "archive", URL: cold})
	// Replication off: the test takes every move through its steps.
	return tier.Config{ManualMaintenance: true, NoReplication: true, StatePath: filepath.Join(dir, "state.db"), Tiers: chain}
}

// TestCrashChild is the child's side; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	step := os.Getenv(envCrashStep)
	if step == "" {
		return
	}
	var spec struct{ dir, redis string }
	fmt.Sscanf(os.Getenv(envCrashChain), "%s %s", &spec.dir, &spec.redis)
	if spec.redis == "-" {
		spec.redis = ""
	}
	cfg := crashChain(spec.dir, spec.redis)
	m, err := tier.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tier.SetMoveHook(m, func(s string) {
		if s == step {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // wait for the signal
		}
	})
	_, err = m.Migrate(context.Background(), tier.MigrateOptions{ToLevel: len(cfg.Tiers)})
	t.Fatalf("child was not killed at step %q (Migrate returned %v)", step, err)
}

func TestCrashDuringMoveLosesNothing(t *testing.T) {
	t.Run("sqlite-to-sqlite", func(t *testing.T) { crashEveryStep(t, "") })
	t.Run("through-redis-cache", func(t *testing.T) {
		crashEveryStep(t, testenv.RedisTierURL(t))
	})
}

func crashEveryStep(t *testing.T, redisURL string) {
	for _, step := range tier.MoveSteps {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			cfg := crashChain(dir, redisURL)
			ctx := context.Background()
			m, err := tier.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var frames []tier.Frame
			for i := range 30 {
				frames = append(frames, mustPut(t, m, frame("crash", "", i)))
			}
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}

			redisArg := redisURL
			if redisArg == "" {
				redisArg = "-"
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), envCrashStep+"="+step, envCrashChain+"="+dir+" "+redisArg)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child did not die by SIGKILL at %q: %v\n%s", step, err, out)
			}

			m, err = tier.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			checkAll := func(when string) {
				t.Helper()
				for _, f := range frames {
					got, err := m.Get(ctx, f.ID)
					if err != nil {
						t.Fatalf("%s: frame %s lost after a crash at %q: %v", when, f.ID, step, err)
					}
					if string(got.Data) != string(f.Data) || got.Checksum != driver.Checksum(f.Data) || got.Version != f.Version {
						t.Fatalf("%s: frame %s changed after a crash at %q", when, f.ID, step)
					}
				}
			}
			checkAll("after the crash")
			rep, err := m.Maintain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if step != tier.MoveSteps[len(tier.MoveSteps)-1] && rep.Healed+rep.Abandoned == 0 {
				t.Fatalf("the interrupted move at %q was not in the journal: %+v", step, rep)
			}
			st, err := m.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.PendingMoves != 0 {
				t.Fatalf("%d moves still pending after healing", st.PendingMoves)
			}
			checkAll("after healing")
			// The migration can be run again and completes.
			if _, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: len(cfg.Tiers)}); err != nil {
				t.Fatal(err)
			}
			st, _ = m.Status(ctx)
			last := st.Tiers[len(st.Tiers)-1]
			if last.Frames != int64(len(frames)) || st.Tiers[0].Frames != 0 {
				t.Fatalf("after the migration completes: tier 1 holds %d, the archive %d; want 0 and %d",
					st.Tiers[0].Frames, last.Frames, len(frames))
			}
			checkAll("after the migration")
		})
	}
}
