package redisdriver_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
	"github.com/stackmemoryai/tier/redisdriver"
	"github.com/stackmemoryai/tier/redisdriver/internal/redistest"
)

func TestParseURLDefaults(t *testing.T) {
	o, err := redisdriver.ParseURL("redis://app:pw@cache.internal:6380/3")
	if err != nil {
		t.Fatal(err)
	}
	if o.Prefix != "sm:" || o.TTL != 24*time.Hour || o.Durable || o.CompressionLevel != redisdriver.DefaultCompressionLevel ||
		o.Timeout != 50*time.Millisecond || o.BatchTimeout != time.Second || o.MaxFrameSize != redisdriver.DefaultMaxFrameSize {
		t.Errorf("defaults = %+v", o)
	}
	c := o.ClientOption
	if c.Username != "app" || c.Password != "pw" || c.SelectDB != 3 || !slices.Equal(c.InitAddress, []string{"cache.internal:6380"}) {
		t.Errorf("connection = user %q db %d addrs %v", c.Username, c.SelectDB, c.InitAddress)
	}
	if c.TLSConfig != nil {
		t.Error("redis:// got TLS")
	}
}

func TestParseURLParameters(t *testing.T) {
	o, err := redisdriver.ParseURL("rediss://h/0?prefix=team1:&ttl=90m&durable=true&compression=9&timeout=1s&batch_timeout=3s&addr=h2:7000&client_name=x")
	if err != nil {
		t.Fatal(err)
	}
	if o.Prefix != "team1:" || o.TTL != 90*time.Minute || !o.Durable || o.CompressionLevel != 9 || o.Timeout != time.Second || o.BatchTimeout != 3*time.Second {
		t.Errorf("options = %+v", o)
	}
	if o.ClientOption.TLSConfig == nil || len(o.ClientOption.InitAddress) != 2 || o.ClientOption.ClientName != "x" {
		t.Errorf("client options: tls %v addrs %v name %q", o.ClientOption.TLSConfig != nil, o.ClientOption.InitAddress, o.ClientOption.ClientName)
	}
}

func TestParseURLRejects(t *testing.T) {
	for _, u := range []string{
		"redis://h/0?pool=3",            // unknown parameter
		"redis://h/0?prefix=",           // empty prefix
		"redis://h/0?prefix=a{b}:",      // hash tag in prefix
		"redis://h/0?ttl=soon",          // bad duration
		"redis://h/0?ttl=0s",            // no TTL
		"redis://h/0?durable=maybe",     // bad bool
		"redis://h/0?compression=12",    // out of range
		"redis://h/0?compression=0",     // out of range
		"redis://h/0?timeout=-1s",       // negative
		"redis://h/0?batch_timeout=0s",  // not positive
		"redis://h/0?max_frame_size=0",  // not positive
		"redis://h/0?max_frame_size=1g", // not a number of bytes
		"redis://h/0?ttl=1h&ttl=2h",     // given twice
		"redis://h/x",                   // bad db
		"redis://h/0/1",                 // bad path
		"postgres://h/0",                // wrong scheme
		"redis://h/0?dial_timeout=fast", // bad rueidis value
		"::not a url",                   // not a URL
	} {
		if _, err := redisdriver.ParseURL(u); !errors.Is(err, driver.ErrBadDSN) {
			t.Errorf("ParseURL(%q) = %v, want ErrBadDSN", u, err)
		}
	}
}

// No error message ever shows the password.
func TestPasswordNeverInErrors(t *testing.T) {
	const pw = "s3cr3t-Pa55word"
	for _, u := range []string{
		"redis://user:" + pw + "@127.0.0.1:1/0?bogus=1",
		"redis://user:" + pw + "@127.0.0.1:1/zz",
		"redis://user:" + pw + "@127.0.0.1:1/0?ttl=" + pw,
		"redis://user:" + pw + "@127.0.0.1:1/0?timeout=100ms", // nothing listens on port 1
		"redis://user:" + pw + "@[::1/0",
	} {
		_, err := redisdriver.Driver{}.Open(context.Background(), u)
		if err == nil {
			t.Errorf("Open(%q) succeeded", u)
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("error shows the password: %v", err)
		}
	}
	// A wrong password against a real server that asks for one.
	srv := redistest.Start(t)
	if _, err := srv.Do("CONFIG", "SET", "requirepass", "the-right-one"); err != nil {
		t.Fatal(err)
	}
	u := strings.Replace(srv.URL(), "redis://", "redis://default:"+pw+"@", 1)
	_, err := redisdriver.Driver{}.Open(context.Background(), u)
	if err == nil {
		t.Fatal("Open with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), pw) {
		t.Errorf("error shows the password: %v", err)
	}
	if !errors.Is(err, driver.ErrBadDSN) || errors.Is(err, driver.ErrUnavailable) {
		t.Errorf("Open with a wrong password = %v, want ErrBadDSN (fix the URL), not ErrUnavailable", err)
	}
	var reply *rueidis.RedisError
	if !errors.As(err, &reply) {
		t.Errorf("Open with a wrong password = %v: the Redis reply is not in the chain", err)
	}
	// A database number the server does not have.
	db := strings.Replace(srv.URL(), "redis://", "redis://default:the-right-one@", 1)
	if _, err := (redisdriver.Driver{}).Open(context.Background(), strings.Replace(db, "/0", "/999", 1)); !errors.Is(err, driver.ErrBadDSN) {
		t.Errorf("Open of database 999 = %v, want ErrBadDSN", err)
	}
}

// A blank import is enough: both schemes are registered with the tier
// package.
func TestRegistered(t *testing.T) {
	names := tier.Drivers()
	for _, want := range []string{"redis", "rediss"} {
		if !slices.Contains(names, want) {
			t.Errorf("tier.Drivers() = %v, missing %q", names, want)
		}
	}
}

// Open with a server that does not answer fails with ErrUnavailable.
func TestOpenUnreachable(t *testing.T) {
	_, err := redisdriver.Driver{}.Open(context.Background(), "redis://127.0.0.1:1/0")
	if !errors.Is(err, driver.ErrUnavailable) {
		t.Fatalf("Open = %v, want ErrUnavailable", err)
	}
}

// A Redis URL pointing at a server that is not Redis (here one answering
// like an HTTP server, a stand-in no real Redis can play) is a
// configuration error that says so, not an unavailable tier to retry.
func TestOpenOnAServerThatIsNotRedis(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
			_ = c.Close()
		}
	}()
	_, err = redisdriver.Driver{}.Open(context.Background(), "redis://"+ln.Addr().String()+"/0")
	if !errors.Is(err, driver.ErrBadDSN) || !strings.Contains(err.Error(), "does not speak the Redis protocol") ||
		!strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("Open = %v; want ErrBadDSN naming the address and the protocol", err)
	}
}

// Open gives up when its context ends, even if connecting takes longer,
// with the context's error: the caller gave up, Redis did not fail.
func TestOpenHonorsContext(t *testing.T) {
	// A listener that accepts and never answers: the handshake hangs.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	tr, err := redisdriver.Driver{}.Open(ctx, "redis://"+ln.Addr().String()+"/0?dial_timeout=2s")
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrUnavailable) {
		t.Fatalf("Open = %v, want the context's error and not ErrUnavailable", err)
	}
	if tr != nil {
		t.Fatalf("Open returned a non-nil Tier %T with its error", tr)
	}
}

// The tier package opens the store from a URL with the parameters the
// manager adds (prefix, ttl as time.Duration.String gives it).
func TestOpenThroughTierRegistry(t *testing.T) {
	base := testenv.RedisURL(t)
	prefix := testenv.Prefix(t)
	tr, err := tier.OpenTier(ctxT(t), withParams(t, base, "prefix", prefix, "ttl", (24*time.Hour).String()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deletePrefix(t, base, prefix) })
	defer tr.Close()
	s, ok := tr.(*redisdriver.Store)
	if !ok {
		t.Fatalf("OpenTier returned %T", tr)
	}
	if o := s.Options(); o.Prefix != prefix || o.TTL != 24*time.Hour {
		t.Fatalf("options = %+v", o)
	}
	r := newRecord(newID(), 1, []byte(`{"via":"registry"}`), time.Now())
	mustPut(t, tr, r)
	if _, ok, err := tr.Get(ctxT(t), r.ID); err != nil || !ok {
		t.Fatal(ok, err)
	}
}
