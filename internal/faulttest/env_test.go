package faulttest_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
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
	"github.com/stackmemoryai/tier/internal/faultproxy"
	"github.com/stackmemoryai/tier/internal/testenv"
	_ "github.com/stackmemoryai/tier/pgdriver"
	_ "github.com/stackmemoryai/tier/redisdriver"
)

// Timeouts of the network tiers in the fault tests. They are above the
// spec's SLAs (50ms, 200ms) so that a healthy server under -race on a busy
// two-core machine is not mistaken for a down one; the benchmark measures
// the spec's defaults.
const (
	redisTimeout    = time.Second
	postgresTimeout = 2 * time.Second
	breakerCooldown = 50 * time.Millisecond
)

// env is a Manager over SQLite -> Redis -> PostgreSQL, with the network
// tiers behind fault proxies.
type env struct {
	t          testing.TB
	m          *tier.Manager
	cfg        config.Config
	log        *recorder
	sqlitePath string

	redisProxy *faultproxy.Proxy // nil with a private redis-server
	redis      *redisServer      // nil with the shared Redis
	redisAddr  string            // the real server
	prefix     string

	pgProxy  *faultproxy.Proxy
	pgURL    string // the private database, reached directly
	pgDBName string
}

type envOptions struct {
	// privateRedis puts a private redis-server in the chain, reached
	// directly, for the test to kill; otherwise the shared Redis is reached
	// through a fault proxy.
	privateRedis bool
	// redisTimeout and postgresTimeout override the fault tests' defaults.
	redisTimeout, postgresTimeout time.Duration
	// background turns on the background maintenance loop (1s interval).
	background bool
	// redisOnly leaves PostgreSQL out of the chain.
	redisOnly bool
	// cooldown overrides the breaker cooldown of the fault tests.
	cooldown time.Duration
	// logger, when set, receives the Manager's logs too.
	logger slog.Handler
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := &env{t: t, log: &recorder{}, prefix: testenv.Prefix(t)}
	dir := t.TempDir()
	e.sqlitePath = filepath.Join(dir, "frames.db")

	var redisURL string
	if o.privateRedis {
		e.redis = startRedisServer(t)
		e.redisAddr = e.redis.addr()
		redisURL = "redis://" + e.redisAddr + "/0"
	} else {
		sharedURL := testenv.RedisURL(t)
		shared, err := rueidis.ParseURL(sharedURL)
		if err != nil {
			t.Fatal(err)
		}
		e.redisAddr = shared.InitAddress[0]
		e.redisProxy = startProxy(t, e.redisAddr)
		redisURL = "redis://" + e.redisProxy.Addr() + "/" + fmt.Sprint(shared.SelectDB)
		t.Cleanup(func() { testenv.DeleteRedisPrefix(t, sharedURL, e.prefix) })
	}

	cfg := config.Config{
		SQLite:          config.SQLiteConfig{Path: e.sqlitePath, MaxFrames: 1_000_000},
		Redis:           config.RedisConfig{URL: redisURL, KeyPrefix: e.prefix, Timeout: config.Duration(or(o.redisTimeout, redisTimeout))},
		BreakerCooldown: config.Duration(or(o.cooldown, breakerCooldown)),
		// Frames read this often from a lower tier come back up: often
		// enough to happen in the workload, rarely enough that the frames
		// placed in a lower tier stay there until the checks.
		PromotionThreshold: 5,
		SyncInterval:       config.Duration(time.Second),
		BackgroundSync:     &o.background,
		Logger:             slog.New(e.log),
	}
	if o.logger != nil {
		cfg.Logger = slog.New(fanout{e.log, o.logger})
	}
	if !o.redisOnly {
		e.pgURL = testenv.PostgresURL(t)
		u, err := url.Parse(e.pgURL)
		if err != nil {
			t.Fatal(err)
		}
		e.pgDBName = strings.TrimPrefix(u.Path, "/")
		e.pgProxy = startProxy(t, u.Host)
		u.Host = e.pgProxy.Addr()
		cfg.Postgres = config.PostgresConfig{URL: u.String(), Timeout: config.Duration(or(o.postgresTimeout, postgresTimeout))}
	}
	e.cfg = cfg
	e.open()
	return e
}

// open opens a Manager over the env's tiers and state file.
func (e *env) open() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := config.Open(ctx, e.cfg)
	if err != nil {
		e.t.Fatalf("Open: %v", err)
	}
	e.m = m
	e.t.Cleanup(func() {
		if err := m.Close(); err != nil && !errors.Is(err, tier.ErrClosed) {
			e.t.Errorf("Close: %v", err)
		}
	})
}

// reopen closes the Manager and opens a new one over the same tiers: what
// the next run of the host, or another process, sees.
func (e *env) reopen() {
	e.t.Helper()
	if err := e.m.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
	e.open()
}

func or(d, def time.Duration) time.Duration {
	if d != 0 {
		return d
	}
	return def
}

func startProxy(t testing.TB, target string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// terminateBackends ends every PostgreSQL backend of the private database
// except the one running the statement: what an administrator, a failover
// or an idle-session reaper does to the pool's connections.
func (e *env) terminateBackends() int {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, e.pgURL)
	if err != nil {
		e.t.Errorf("connect to terminate backends: %v", err)
		return 0
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, e.pgDBName)
	if err != nil {
		e.t.Errorf("terminate backends: %v", err)
		return 0
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	return n
}

// waitHealthy polls Status until every tier is healthy with a closed
// breaker, and fails the test if that does not happen within a bound.
func (e *env) waitHealthy() tier.Status {
	e.t.Helper()
	var st tier.Status
	for range 300 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var err error
		st, err = e.m.Status(ctx)
		cancel()
		if err != nil {
			e.t.Fatalf("Status: %v", err)
		}
		healthy := true
		for _, ts := range st.Tiers {
			healthy = healthy && ts.Healthy && ts.Breaker == "closed"
		}
		if healthy {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("the chain did not recover without a restart: %+v", st)
	return st
}

// converge runs maintenance cycles until no postponed change and no
// interrupted move is left.
func (e *env) converge() {
	e.t.Helper()
	var st tier.Status
	for range 50 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := e.m.Maintain(ctx)
		if err != nil && !errors.Is(err, tier.ErrBusy) {
			e.t.Logf("Maintain after recovery: %v", err)
		}
		st, err = e.m.Status(ctx)
		cancel()
		if err != nil {
			e.t.Fatal(err)
		}
		if st.PendingChanges == 0 && st.PendingMoves == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("postponed work never finished after recovery: %d changes, %d moves pending", st.PendingChanges, st.PendingMoves)
}

// peek opens each tier directly, behind the Manager's back, and calls fn
// with them in chain order.
func (e *env) peek(fn func(tiers []driver.Tier)) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	urls := []string{
		(&url.URL{Scheme: "sqlite", Path: e.sqlitePath}).String(),
		// The test's own look has time: the driver's 50 ms is for the
		// Manager's reads, and this machine is loaded while tests run.
		"redis://" + e.redisAddr + "/0?timeout=5s&prefix=" + url.QueryEscape(e.prefix),
	}
	if e.pgURL != "" {
		urls = append(urls, e.pgURL)
	}
	var tiers []driver.Tier
	defer func() {
		for _, tr := range tiers {
			_ = tr.Close()
		}
	}()
	for _, u := range urls {
		tr, err := tier.OpenTier(ctx, u)
		if err != nil {
			e.t.Fatalf("open %s directly: %v", tier.Redact(u), err)
		}
		tiers = append(tiers, tr)
	}
	fn(tiers)
}

// recorder is a slog.Handler keeping every record, for tests to inspect.
type recorder struct {
	mu      sync.Mutex
	records []logRecord
}

type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	lr := logRecord{level: rec.Level, msg: rec.Message, attrs: map[string]string{}}
	r.mu.Lock()
	defer r.mu.Unlock()
	rec.Attrs(func(a slog.Attr) bool {
		lr.attrs[a.Key] = a.Value.Resolve().String()
		return true
	})
	r.records = append(r.records, lr)
	return nil
}

func (r *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &recorderView{r: r, attrs: as}
}

func (r *recorder) WithGroup(string) slog.Handler { return r }

// recorderView is the recorder with attributes added by Logger.With.
type recorderView struct {
	r     *recorder
	attrs []slog.Attr
}

func (v *recorderView) Enabled(context.Context, slog.Level) bool { return true }
func (v *recorderView) Handle(ctx context.Context, rec slog.Record) error {
	rec = rec.Clone()
	rec.AddAttrs(v.attrs...)
	return v.r.Handle(ctx, rec)
}
func (v *recorderView) WithAttrs(as []slog.Attr) slog.Handler {
	return &recorderView{r: v.r, attrs: append(append([]slog.Attr(nil), v.attrs...), as...)}
}
func (v *recorderView) WithGroup(string) slog.Handler { return v }

// saw reports whether a record with msg was logged with attribute
// tier=name.
func (r *recorder) saw(msg, tierName string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, lr := range r.records {
		if lr.msg == msg && lr.attrs["tier"] == tierName {
			return true
		}
	}
	return false
}

// fanout sends every record to each of its handlers.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}
