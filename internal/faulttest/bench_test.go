package faulttest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/internal/faultproxy"
	"github.com/stackmemoryai/tier/redisdriver"
)

// BenchmarkGetWithRedisDown measures what a down Redis adds to a Get that
// must ask it (a frame tier 1 does not hold), with the spec's default
// Redis timeout (50ms), on a chain SQLite -> Redis:
//
//   - first-failure: the first Get after the breaker lets a probe through
//     (the cost a tier that just went down adds once), reported as
//     ms/first-failure;
//   - breaker-open: every Get while the breaker is open, reported as
//     ms/get (and ns/op);
//   - redis-up: the same Get with Redis up, for comparison.
//
// "cut" refuses connections (fails fast); "stalled" accepts and never
// answers (costs the timeout).
//
//	go test -run '^$' -bench GetWithRedisDown -benchtime 20x ./internal/faulttest/
func BenchmarkGetWithRedisDown(b *testing.B) {
	faults := []struct {
		name   string
		inject func(*faultproxy.Proxy)
	}{
		{"cut", (*faultproxy.Proxy).Down},
		{"stalled", (*faultproxy.Proxy).Stall},
	}
	ctx := context.Background()
	for _, f := range faults {
		b.Run("first-failure/"+f.name, func(b *testing.B) {
			const cooldown = 20 * time.Millisecond
			e := newEnv(b, envOptions{redisOnly: true, redisTimeout: redisdriver.DefaultTimeout, cooldown: cooldown})
			f.inject(e.redisProxy)
			id := tier.NewID()
			var total time.Duration
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				time.Sleep(cooldown + 5*time.Millisecond) // the breaker lets the next call probe
				b.StartTimer()
				start := time.Now()
				_, err := e.m.Get(ctx, id)
				total += time.Since(start)
				if !errors.Is(err, tier.ErrUnavailable) {
					b.Fatalf("Get with Redis down: %v, want ErrUnavailable", err)
				}
			}
			b.ReportMetric(float64(total)/float64(b.N)/1e6, "ms/first-failure")
		})
		b.Run("breaker-open/"+f.name, func(b *testing.B) {
			e := newEnv(b, envOptions{redisOnly: true, redisTimeout: redisdriver.DefaultTimeout, cooldown: time.Hour})
			f.inject(e.redisProxy)
			id := tier.NewID()
			if _, err := e.m.Get(ctx, id); !errors.Is(err, tier.ErrUnavailable) { // trips the breaker
				b.Fatalf("Get with Redis down: %v, want ErrUnavailable", err)
			}
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if _, err := e.m.Get(ctx, id); !errors.Is(err, tier.ErrUnavailable) {
					b.Fatalf("Get with the breaker open: %v, want ErrUnavailable", err)
				}
			}
			b.ReportMetric(float64(time.Since(start))/float64(b.N)/1e6, "ms/get")
		})
	}
	b.Run("redis-up", func(b *testing.B) {
		e := newEnv(b, envOptions{redisOnly: true, redisTimeout: redisdriver.DefaultTimeout})
		id := tier.NewID()
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			if _, err := e.m.Get(ctx, id); !errors.Is(err, tier.ErrNotFound) {
				b.Fatalf("Get of a missing frame: %v, want ErrNotFound", err)
			}
		}
		b.ReportMetric(float64(time.Since(start))/float64(b.N)/1e6, "ms/get")
	})
}
