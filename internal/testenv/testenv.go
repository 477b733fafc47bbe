// Package testenv gives service tests a Redis and a PostgreSQL to talk to.
//
// A service is found, in order:
//  1. from the environment (TIER_TEST_REDIS_URL, TIER_TEST_POSTGRES_URL);
//  2. from a container started with testcontainers-go, when a Docker engine
//     is reachable (one container per test binary, removed at exit);
//  3. nowhere: the test is skipped with a message, or fails when
//     TIER_REQUIRE_SERVICES=1 (CI sets it, so CI never skips silently).
//
// Tests never flush or stop the shared servers: each test gets its own key
// prefix ([Prefix]) or its own database ([PostgresURL]).
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Environment variables read by this package.
const (
	EnvRedisURL         = "TIER_TEST_REDIS_URL"
	EnvPostgresURL      = "TIER_TEST_POSTGRES_URL"
	EnvRequireServices  = "TIER_REQUIRE_SERVICES"
	containerStartLimit = 2 * time.Minute
)

// RequireServices reports whether a missing service must fail the test.
func RequireServices() bool { return os.Getenv(EnvRequireServices) == "1" }

// missing skips the test, or fails it when services are required.
func missing(t testing.TB, service, why string) {
	t.Helper()
	msg := fmt.Sprintf("%s not available (%s): set %s, or run a Docker engine for testcontainers-go",
		service, why, map[string]string{"redis": EnvRedisURL, "postgres": EnvPostgresURL}[service])
	if RequireServices() {
		t.Fatalf("%s=1 but %s", EnvRequireServices, msg)
	}
	t.Skip(msg)
}

// Unique returns a short random name, unique per call, safe in Redis keys
// and PostgreSQL identifiers.
func Unique(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// Prefix returns a Redis key prefix private to this test, like
// "tiertest_3f9a1c0b22de:". Keys under it are deleted when the test ends
// by the caller's driver cleanup; the prefix is never reused.
func Prefix(t testing.TB) string {
	t.Helper()
	return Unique("tiertest_") + ":"
}

type container struct {
	once sync.Once
	url  string
	err  error
}

var redisContainer, postgresContainer container

// RedisURL returns the URL of a Redis server for this test, like
// "redis://127.0.0.1:6379/0".
func RedisURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvRedisURL); u != "" {
		return u
	}
	u, err := redisContainer.start(func(ctx context.Context) (string, error) {
		c, err := testcontainers.Run(ctx, "redis:7-alpine",
			testcontainers.WithExposedPorts("6379/tcp"),
			testcontainers.WithWaitStrategy(wait.ForListeningPort("6379/tcp")))
		if err != nil {
			return "", err
		}
		ep, err := c.PortEndpoint(ctx, "6379/tcp", "redis")
		return ep + "/0", err
	})
	if err != nil {
		missing(t, "redis", err.Error())
	}
	return u
}

// PostgresServerURL returns the URL of a PostgreSQL server without creating
// anything on it. Most tests want [PostgresURL].
func PostgresServerURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvPostgresURL); u != "" {
		return u
	}
	u, err := postgresContainer.start(func(ctx context.Context) (string, error) {
		c, err := testcontainers.Run(ctx, "postgres:16-alpine",
			testcontainers.WithEnv(map[string]string{"POSTGRES_HOST_AUTH_METHOD": "trust", "POSTGRES_DB": "test"}),
			testcontainers.WithExposedPorts("5432/tcp"),
			testcontainers.WithWaitStrategy(wait.ForLog("database system is ready to accept connections").WithOccurrence(2)))
		if err != nil {
			return "", err
		}
		ep, err := c.PortEndpoint(ctx, "5432/tcp", "postgres")
		return ep + "/test?sslmode=disable&user=postgres", err
	})
	if err != nil {
		missing(t, "postgres", err.Error())
	}
	return u
}

func (c *container) start(run func(context.Context) (string, error)) (string, error) {
	c.once.Do(func() {
		if !dockerReachable() {
			c.err = fmt.Errorf("no Docker engine reachable")
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), containerStartLimit)
		defer cancel()
		c.url, c.err = run(ctx)
	})
	return c.url, c.err
}

// dockerReachable asks the Docker engine for its health, recovering from the
// panics testcontainers-go raises when no engine is configured.
func dockerReachable() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	p, err := testcontainers.ProviderDefault.GetProvider()
	if err != nil {
		return false
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.Health(ctx) == nil
}

// replaceDatabase returns a PostgreSQL URL naming another database.
func replaceDatabase(serverURL, db string) string {
	rest, query, _ := strings.Cut(serverURL, "?")
	if i := strings.LastIndex(rest, "/"); i > len("postgres://") {
		rest = rest[:i]
	}
	u := rest + "/" + db
	if query != "" {
		u += "?" + query
	}
	return u
}
