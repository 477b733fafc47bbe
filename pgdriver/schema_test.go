package pgdriver

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// TestConcurrentMigration starts several processes that open the same
// fresh database at the same moment: each must succeed, and the schema must
// be migrated once.
func TestConcurrentMigration(t *testing.T) {
	dbURL := testenv.PostgresURL(t)
	url := withParams(dbURL, "timeout="+testTimeout)
	start := filepath.Join(t.TempDir(), "start")
	const children = 3
	cmds := make([]*exec.Cmd, children)
	outs := make([]*strings.Builder, children)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^$")
		cmds[i].Env = append(os.Environ(), envChildMigrate+"="+url, envChildStart+"="+start)
		outs[i] = new(strings.Builder)
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(start, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil || !strings.Contains(outs[i].String(), "migrated") {
			t.Errorf("process %d: %v: %s", i, err, outs[i].String())
		}
	}

	conn := sqlConn(t, dbURL)
	var applied int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM tier_schema_migrations`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != SchemaVersion {
		t.Errorf("%d migrations recorded, want %d", applied, SchemaVersion)
	}
	// A store opened afterwards finds the schema ready and works.
	s := openURL(t, url)
	rec := record(newID(), 1, `{"after":"migration"}`)
	if err := s.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Get(context.Background(), rec.ID); !ok || err != nil {
		t.Errorf("Get after concurrent migration: ok=%v err=%v", ok, err)
	}
}

// TestMigrationKeepsData checks that opening a database that already holds
// frames neither changes nor loses them.
func TestMigrationKeepsData(t *testing.T) {
	s, url := newStoreURL(t)
	ctx := context.Background()
	rec := record(newID(), 3, `{"keep":"me"}`)
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	again := openURL(t, withParams(url, "timeout="+testTimeout))
	got, ok, err := again.Get(ctx, rec.ID)
	if err != nil || !ok || string(got.Data) != string(rec.Data) || got.Version != 3 {
		t.Errorf("after reopening: ok=%v err=%v data=%q version=%d", ok, err, got.Data, got.Version)
	}
	if u, err := again.Usage(ctx); err != nil || u != (driver.Usage{Frames: 1, Bytes: int64(len(rec.Data))}) {
		t.Errorf("Usage after reopening = %+v, %v", u, err)
	}
}

// TestSchemaVersionIsLastMigration checks that SchemaVersion names the
// last embedded migration file, and that migration numbers follow each
// other from 1.
func TestSchemaVersionIsLastMigration(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("migration %s has number %d, want %d", m.name, m.version, i+1)
		}
	}
	if len(ms) == 0 || ms[len(ms)-1].version != SchemaVersion {
		t.Errorf("SchemaVersion = %d, but the last migration file is %v", SchemaVersion, ms[len(ms)-1].name)
	}
}
