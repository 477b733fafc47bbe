package testenv

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/redis/rueidis"
)

// RedisTierURL returns a Redis URL for this test with a private key prefix
// (the redisdriver "prefix" parameter). The keys under the prefix are
// deleted when the test ends; nothing else on the server is touched.
func RedisTierURL(t testing.TB) string {
	t.Helper()
	base := RedisURL(t)
	prefix := Prefix(t)
	t.Cleanup(func() { DeleteRedisPrefix(t, base, prefix) })
	sep := "?"
	if u, err := url.Parse(base); err == nil && u.RawQuery != "" {
		sep = "&"
	}
	return base + sep + "prefix=" + url.QueryEscape(prefix)
}

// DeleteRedisPrefix deletes every key under prefix, with SCAN and DEL.
func DeleteRedisPrefix(t testing.TB, redisURL, prefix string) {
	opt, err := rueidis.ParseURL(redisURL)
	if err != nil {
		t.Logf("testenv: cleanup of %s: %v", prefix, err)
		return
	}
	opt.DisableCache = true
	c, err := rueidis.NewClient(opt)
	if err != nil {
		t.Logf("testenv: cleanup of %s: %v", prefix, err)
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var cursor uint64
	for {
		e, err := c.Do(ctx, c.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			t.Logf("testenv: cleanup of %s: %v", prefix, err)
			return
		}
		for _, k := range e.Elements {
			c.Do(ctx, c.B().Del().Key(k).Build())
		}
		if cursor = e.Cursor; cursor == 0 {
			return
		}
	}
}
