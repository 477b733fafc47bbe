package pgdriver

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
)

func TestParseURL(t *testing.T) {
	o, err := ParseURL("postgresql://u:pw@db.example:6543/frames?sslmode=disable&pool_max_conns=7" +
		"&application_name=agent&search_path=archive&statement_timeout=5000" +
		"&compression=9&compress_min=200&retention_days=90&tombstone_days=7&timeout=2s&batch_timeout=1m&search_window=5000")
	if err != nil {
		t.Fatal(err)
	}
	c := o.Pool.ConnConfig
	if c.Host != "db.example" || c.Port != 6543 || c.Database != "frames" || c.User != "u" || c.TLSConfig != nil || o.Pool.MaxConns != 7 {
		t.Errorf("pgx settings not honoured: host %s port %d db %s user %s tls %v max conns %d",
			c.Host, c.Port, c.Database, c.User, c.TLSConfig != nil, o.Pool.MaxConns)
	}
	for k, v := range map[string]string{"application_name": "agent", "search_path": "archive", "statement_timeout": "5000"} {
		if c.RuntimeParams[k] != v {
			t.Errorf("server setting %s = %q, want %q", k, c.RuntimeParams[k], v)
		}
	}
	for _, k := range []string{"compression", "compress_min", "retention_days", "tombstone_days", "timeout", "batch_timeout", "search_window"} {
		if _, sent := c.RuntimeParams[k]; sent {
			t.Errorf("our parameter %s would be sent to the server", k)
		}
	}
	want := Options{Pool: o.Pool, Compression: 9, CompressMin: 200, RetentionDays: 90, TombstoneDays: 7, Timeout: 2 * time.Second, BatchTimeout: time.Minute, SearchWindow: 5000}
	if o != want {
		t.Errorf("options = %+v, want %+v", o, want)
	}

	o, err = ParseURL("postgres://localhost/db")
	if err != nil {
		t.Fatal(err)
	}
	if o.Compression != DefaultCompression || o.CompressMin != DefaultCompressMin || o.RetentionDays != 0 ||
		o.Timeout != DefaultTimeout || o.BatchTimeout != DefaultBatchTimeout || o.SearchWindow != DefaultSearchWindow {
		t.Errorf("defaults = %+v", o)
	}
	if o, err = ParseURL("postgres://localhost/db?compression=none"); err != nil || o.Compression != NoCompression {
		t.Errorf("compression=none: %+v, %v", o, err)
	}
}

func TestParseURLRejects(t *testing.T) {
	const secret = "s3cr%2Ft-pw"
	for _, u := range []string{
		"postgres://u:" + secret + "@h/db?bogus=1",
		"postgres://u:" + secret + "@h/db?sslmode=disable&compresion=5",
		"postgres://u:" + secret + "@h/db?compression=0",
		"postgres://u:" + secret + "@h/db?compression=12",
		"postgres://u:" + secret + "@h/db?compress_min=-1",
		"postgres://u:" + secret + "@h/db?retention_days=x",
		"postgres://u:" + secret + "@h/db?timeout=0s",
		"postgres://u:" + secret + "@h/db?batch_timeout=soon",
		"postgres://u:" + secret + "@h/db?search_window=0",
		"postgres://u:" + secret + "@h/db?pool_max_conns=0",
		"postgres://u:" + secret + "@h/db?sslmode=sometimes",
		"postgres://u:" + secret + "@h:notaport/db",
		"mysql://u:" + secret + "@h/db",
		"postgres://h/db?password=" + secret + "&hostaddr=1.2.3.4",
	} {
		_, err := ParseURL(u)
		if !errors.Is(err, driver.ErrBadDSN) {
			t.Errorf("ParseURL(%q) = %v, want ErrBadDSN", u, err)
			continue
		}
		if strings.Contains(err.Error(), "s3cr") {
			t.Errorf("error reveals the password: %v", err)
		}
	}
}

// TestOpenUnreachable checks that a server that does not answer gives
// ErrUnavailable, promptly, without revealing the password.
func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := tier.OpenTier(ctx, "postgres://agent:hunter2-secret@127.0.0.1:1/frames?sslmode=disable&connect_timeout=2")
	if !errors.Is(err, driver.ErrUnavailable) {
		t.Errorf("Open of a closed port: %v, want ErrUnavailable", err)
	}
	if err != nil && strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error reveals the password: %v", err)
	}
}

func TestRegistered(t *testing.T) {
	names := strings.Join(tier.Drivers(), " ")
	for _, scheme := range []string{"postgres", "postgresql"} {
		if !strings.Contains(" "+names+" ", " "+scheme+" ") {
			t.Errorf("driver %q not registered (have %s)", scheme, names)
		}
	}
	_, err := tier.OpenTier(context.Background(), "postgres://u:pw@localhost/db?nonsense=1")
	if !errors.Is(err, driver.ErrBadDSN) {
		t.Errorf("OpenTier with an unknown parameter: %v, want ErrBadDSN", err)
	}
}
