package faulttest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
)

// secret is the password in every URL of TestCredentialsNeverShown; it
// must not appear in anything the library returns or logs.
const secret = "s3cretPW"

// TestCredentialsNeverShown opens a chain whose Redis and PostgreSQL URLs
// carry a password and point at closed ports, then exercises every path
// that reports on them: Open errors, Get errors, Status (and its JSON),
// Maintain, Verify, Close, the Config's String, and the slog output at
// debug level. None may contain the password.
func TestCredentialsNeverShown(t *testing.T) {
	closed := strconv.Itoa(freePort(t)) // nothing listens there
	redisURLs := []string{
		"redis://:" + secret + "@127.0.0.1:" + closed + "/0",
		"redis://user:" + secret + "@127.0.0.1:" + closed + "/0?dial_timeout=100ms",
	}
	pgURLs := []string{
		"postgres://postgres:" + secret + "@127.0.0.1:" + closed + "/db?sslmode=disable",
		"postgres://postgres@127.0.0.1:" + closed + "/db?sslmode=disable&password=" + secret,
	}
	var logs bytes.Buffer
	var shown []string // everything the library said
	for i, ru := range redisURLs {
		pu := pgURLs[i]
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfg := config.Config{
			SQLite:          config.SQLiteConfig{Path: filepath.Join(t.TempDir(), "frames.db")},
			Redis:           config.RedisConfig{URL: ru},
			Postgres:        config.PostgresConfig{URL: pu},
			BackgroundSync:  new(bool),
			BreakerCooldown: config.Duration(time.Millisecond),
			Logger:          logger,
		}
		shown = append(shown, cfg.String())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		m, err := config.Open(ctx, cfg)
		if err != nil {
			// Open may refuse; then its error is what the user sees.
			shown = append(shown, err.Error())
			cancel()
			continue
		}
		for range 3 {
			_, err := m.Get(ctx, tier.NewID())
			if !errors.Is(err, tier.ErrUnavailable) {
				t.Errorf("Get with Redis and PostgreSQL down: %v, want ErrUnavailable", err)
			}
			if err != nil {
				shown = append(shown, err.Error())
			}
			if _, err := m.Maintain(ctx); err != nil {
				shown = append(shown, err.Error())
			}
			time.Sleep(5 * time.Millisecond)
		}
		st, err := m.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ts := range st.Tiers[1:] {
			if ts.Healthy || ts.Error == "" {
				t.Errorf("Status: %s healthy %v, error %q; want unhealthy with a reason", ts.Name, ts.Healthy, ts.Error)
			}
		}
		js, _ := json.Marshal(st)
		shown = append(shown, string(js))
		if rep, err := m.Verify(ctx, tier.VerifyOptions{}); err != nil {
			shown = append(shown, err.Error())
		} else {
			shown = append(shown, strings.Join(rep.Unreachable, ","))
		}
		if err := m.Close(); err != nil {
			shown = append(shown, err.Error())
		}
		cancel()
	}

	// URLs the drivers refuse: the error quotes what it can, never the
	// password.
	for _, u := range []string{
		"redis://:" + secret + "@127.0.0.1:" + closed + "/0?bogus=1",
		"postgres://postgres:" + secret + "@127.0.0.1:" + closed + "/db?bogus=1",
		"postgres://postgres:" + secret + "@127.0.0.1:" + closed + "/db?timeout=-1s",
		"redis://:" + secret + "@[::1/0",
		"host=127.0.0.1 password=" + secret,
	} {
		cfg := tier.Config{Tiers: []tier.TierSpec{{URL: "sqlite://" + filepath.Join(t.TempDir(), "f.db")}, {URL: u}}}
		m, err := tier.Open(context.Background(), cfg)
		if err == nil {
			_ = m.Close()
			continue
		}
		shown = append(shown, err.Error(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg))
	}

	shown = append(shown, logs.String())
	for _, s := range shown {
		if strings.Contains(s, secret) {
			t.Errorf("the password shows in:\n%s", s)
		}
	}
	if !strings.Contains(logs.String(), "redis") {
		t.Errorf("no log event names the down tiers; logs:\n%s", logs.String())
	}
}
