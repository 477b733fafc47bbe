package config_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// servicesFile returns a StackMemory config.json for the test's own Redis
// prefix and PostgreSQL database, with other parts' keys beside storage.
func servicesFile(t *testing.T, dir, prefix string) (body, pgURL string) {
	t.Helper()
	redisURL := testenv.RedisURL(t)
	t.Cleanup(func() { testenv.DeleteRedisPrefix(t, redisURL, prefix) })
	pgURL = testenv.PostgresURL(t)
	body = fmt.Sprintf(`{
  "version": "0.3.1",
  "auth": {"token": "not ours"},
  "projects": [{"name": "api"}],
  "storage": {
    "tiers": {
      "sqlite": {"path": %q, "maxFrames": 100, "maxSize": "10MB", "maxAge": "12h"},
      "redis": {"enabled": true, "connectionString": %q, "keyPrefix": %q, "ttl": 600, "maxSize": "2MB", "maxAge": "2d", "timeout": "5s"},
      "postgres": {"enabled": true, "connectionString": %q, "compressionLevel": 0, "retentionDays": 30, "timeout": "5s"}
    },
    "policies": {"evictionStrategy": "lru", "backgroundSync": false}
  }
}`, filepath.Join(dir, "frames.db"), redisURL, prefix, pgURL)
	return body, pgURL
}

func TestOpenRunsTheChainOfAStackMemoryConfigFile(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	prefix := testenv.Prefix(t)
	body, pgURL := servicesFile(t, dir, prefix)
	path := filepath.Join(dir, "config.json")
	writeFile(t, path, body)

	ctx := context.Background()
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := config.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		driver string
		limits tier.Limits
	}{
		{"sqlite", tier.Limits{MaxFrames: 100, MaxBytes: 10_000_000, MaxIdle: 12 * time.Hour}},
		{"redis", tier.Limits{MaxBytes: 2_000_000, MaxIdle: 48 * time.Hour}},
		{"postgres", tier.Limits{}},
	}
	if len(st.Tiers) != len(want) {
		t.Fatalf("status has %d tiers, want 3", len(st.Tiers))
	}
	for i, w := range want {
		got := st.Tiers[i]
		if got.Driver != w.driver || got.Limits != w.limits || !got.Healthy {
			t.Errorf("tier %d: driver %s limits %+v healthy %v (%s); want %s %+v", i+1, got.Driver, got.Limits, got.Healthy, got.Error, w.driver, w.limits)
		}
	}

	// Redis: the key prefix and the TTL of the file.
	doc := []byte(`{"task":"config","notes":"` + strings.Repeat("compressible text ", 600) + `"}`)
	toRedis, err := m.Put(ctx, tier.Frame{ProjectID: "cfg", Data: doc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 2}); err != nil {
		t.Fatal(err)
	}
	rc := redisClient(t)
	ttl, err := rc.Do(ctx, rc.B().Ttl().Key(prefix+"frame:{"+toRedis.ID+"}").Build()).AsInt64()
	if err != nil || ttl <= 0 || ttl > 600 {
		t.Errorf("TTL of the frame's key under %q = %d, %v; want 1-600 s", prefix, ttl, err)
	}

	// PostgreSQL: compressionLevel 0 stores documents as they are.
	toArchive, err := m.Put(ctx, tier.Frame{ProjectID: "cfg", Data: doc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 3, ProjectID: "cfg"}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var compressed bool
	if err := conn.QueryRow(ctx, `SELECT frame_data_compressed IS NOT NULL FROM frames_archive WHERE frame_id = $1`, toArchive.ID).Scan(&compressed); err != nil {
		t.Fatal(err)
	}
	if compressed {
		t.Errorf("compressionLevel 0: the archive compressed the document")
	}

	data, _ := os.ReadFile(path)
	if string(data) != body {
		t.Errorf("Open changed config.json")
	}
}

func redisClient(t *testing.T) rueidis.Client {
	t.Helper()
	opt, err := rueidis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	opt.DisableCache = true
	c, err := rueidis.NewClient(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// withDatabase returns rawURL naming another database.
func withDatabase(t *testing.T, rawURL, name string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func TestAnUnknownDatabaseIsAConfigErrorAndLeavesNothingOnDisk(t *testing.T) {
	missing := withDatabase(t, testenv.PostgresServerURL(t), testenv.Unique("no_such_db_"))
	for _, fromEnv := range []bool{false, true} {
		clearEnv(t)
		dir := t.TempDir()
		body := `{"storage": {"tiers": {"sqlite": {"path": "` + filepath.Join(dir, "data", "frames.db") + `"}`
		wantField := "storage.tiers.postgres.connectionString"
		if fromEnv {
			t.Setenv(config.EnvPostgresURL, missing)
			wantField = config.EnvPostgresURL
			body += `}}}`
		} else {
			body += `, "postgres": {"connectionString": "` + missing + `"}}}}`
		}
		path := filepath.Join(t.TempDir(), "config.json")
		writeFile(t, path, body)
		c, err := config.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := config.Open(context.Background(), c)
		if err == nil {
			_ = m.Close()
		}
		if !errors.Is(err, tier.ErrBadConfig) || !errors.Is(err, driver.ErrBadDSN) || fieldOf(err) != wantField {
			t.Errorf("Open with an unknown database = %v; want ErrBadConfig naming %s", err, wantField)
		}
		if files := listFiles(t, dir); len(files) > 0 {
			t.Errorf("a failed Open left %v", files)
		}
	}
}

func TestUnreachableLowerTiersDoNotStopOpen(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	c := config.Default()
	c.SQLite.Path = filepath.Join(dir, "frames.db")
	c.Redis.URL = "redis://127.0.0.1:1/0"
	c.Postgres.URL = "postgres://127.0.0.1:1/db?connect_timeout=1"
	c.BackgroundSync = new(bool)
	ctx := context.Background()
	m, err := config.Open(ctx, c)
	if err != nil {
		t.Fatalf("Open with Redis and PostgreSQL down = %v; want local-only mode", err)
	}
	defer m.Close()
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Tiers) != 3 || !st.Tiers[0].Healthy || st.Tiers[1].Healthy || st.Tiers[2].Healthy {
		t.Errorf("status = %+v; want tier 1 up, tiers 2 and 3 down", st.Tiers)
	}
	if _, err := m.Put(ctx, tier.Frame{Data: []byte(`{}`)}); err != nil {
		t.Errorf("Put in local-only mode: %v", err)
	}
}

// silentServer accepts connections and never answers, like a host behind
// a firewall that drops packets after the handshake.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

func TestTiersThatNeverAnswerDoNotStopOpen(t *testing.T) {
	clearEnv(t)
	c := config.Default()
	c.SQLite.Path = filepath.Join(t.TempDir(), "frames.db")
	c.Redis.URL = "redis://" + silentServer(t) + "/0"
	c.Postgres.URL = "postgres://u@" + silentServer(t) + "/db?sslmode=disable"
	c.BackgroundSync = new(bool)
	ctx := context.Background()
	m, err := config.Open(ctx, c)
	if err != nil {
		t.Fatalf("Open with Redis and PostgreSQL silent = %v; want local-only mode", err)
	}
	defer m.Close()
	if _, err := m.Put(ctx, tier.Frame{Data: []byte(`{}`)}); err != nil {
		t.Errorf("Put in local-only mode: %v", err)
	}
}
