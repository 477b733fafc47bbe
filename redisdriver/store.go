package redisdriver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/codec"
)

func init() {
	tier.Register("redis", Driver{})
	tier.Register("rediss", Driver{})
}

// Driver opens a [Store] from a redis:// or rediss:// URL (see [ParseURL]).
// It is registered with the tier package under both schemes.
type Driver struct{}

// Open implements driver.Driver: [ParseURL], then [Open]. On error the
// Tier is nil.
func (Driver) Open(ctx context.Context, dsn string) (driver.Tier, error) {
	o, err := ParseURL(dsn)
	if err != nil {
		return nil, err
	}
	s, err := Open(ctx, o)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Store is the Redis warm tier. It implements driver.Tier and the optional
// driver.Batcher, driver.BatchDeleter, driver.MetaGetter, driver.Pinger,
// driver.Compactor, driver.Compressor, driver.SizeLimiter, driver.Aser and
// driver.Notifier. It is safe for concurrent use. Every call is bounded by
// Options.Timeout (one frame) or Options.BatchTimeout (many frames), or by
// ctx when it ends first.
type Store struct {
	client  rueidis.Client
	opts    Options
	keys    keys
	ttl     string   // TTL in milliseconds, "0" when durable
	getArgs []string // scriptGet arguments: ttl, renewal threshold, meta fields
	cluster bool     // scripts may not mix frame and index keys
	closed  atomic.Bool
	done    chan struct{} // closed by Close: subscriptions end

	subMu sync.Mutex     // orders Subscribe's start with Close
	subs  sync.WaitGroup // goroutines of the subscriptions

	// usageCursor is where the next eviction check of Usage resumes its
	// HSCAN of the size hash (see checkEvicted).
	usageCursor atomic.Uint64
	// usageChecked is set by the first Usage call that succeeds, which
	// checks every frame rather than one page.
	usageChecked atomic.Bool
}

var (
	_ driver.Tier         = (*Store)(nil)
	_ driver.Batcher      = (*Store)(nil)
	_ driver.BatchDeleter = (*Store)(nil)
	_ driver.MetaGetter   = (*Store)(nil)
	_ driver.Pinger       = (*Store)(nil)
	_ driver.Compactor    = (*Store)(nil)
	_ driver.Compressor   = (*Store)(nil)
	_ driver.SizeLimiter  = (*Store)(nil)
	_ driver.Aser         = (*Store)(nil)
	_ driver.Notifier     = (*Store)(nil)
)

// Open connects to Redis (or a Redis Cluster) and returns a Store. Zero
// fields of o take their defaults. It fails with an error wrapping
// driver.ErrBadDSN for bad options or settings the server refuses (a wrong
// password or user, a database number out of range), the context's error
// when ctx ends first, or driver.ErrUnavailable when the server cannot be
// reached or is not ready; in every case nothing is left running.
func Open(ctx context.Context, o Options) (*Store, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redisdriver: open: %w", err)
	}
	// No retries inside rueidis: the manager retries and trips breakers
	// itself, on the driver's own time limits. (A command retried after a
	// lost connection is also recycled while the lost connection's writer
	// may still read it, which the race detector reports.)
	opt := o.ClientOption
	opt.DisableRetry = true
	client, err := connect(ctx, opt)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("redisdriver: open: %w", ctx.Err())
		}
		if speaksOtherProtocol(err) {
			return nil, fmt.Errorf("%w: redisdriver: open: the server at %s does not speak the Redis protocol (%v); check the host and port",
				driver.ErrBadDSN, strings.Join(opt.InitAddress, ", "), err)
		}
		err = wrapErr("open", err)
		var reply *rueidis.RedisError
		if errors.As(err, &reply) && !errors.Is(err, driver.ErrUnavailable) {
			// Redis answered and refused the connection's settings:
			// password, user, database number.
			return nil, fmt.Errorf("%w: %w", driver.ErrBadDSN, err)
		}
		return nil, err
	}
	s := &Store{
		client:  client,
		opts:    o,
		keys:    newKeys(o.Prefix),
		ttl:     "0",
		cluster: client.Mode() == rueidis.ClientModeCluster,
		done:    make(chan struct{}),
	}
	if !o.Durable {
		s.ttl = strconv.FormatInt(o.TTL.Milliseconds(), 10)
	}
	renewBelow := strconv.FormatInt(o.TTL.Milliseconds()*9/10, 10)
	s.getArgs = append([]string{s.ttl, renewBelow}, metaFields...)
	return s, nil
}

// speaksOtherProtocol reports whether err says the server's first reply
// was not RESP: an HTTP server, PostgreSQL, or anything else listening on
// the address given for Redis.
func speaksOtherProtocol(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "received unknown message type: ") ||
		strings.Contains(msg, "received unexpected number byte: ") ||
		strings.Contains(msg, "received unexpected simple string message ending without CRLF")
}

// connect creates the rueidis client, which dials (and, for a cluster,
// reads the topology) before it returns, and gives up when ctx ends. A
// client that connects after that is closed in the background.
func connect(ctx context.Context, opt rueidis.ClientOption) (rueidis.Client, error) {
	type result struct {
		client rueidis.Client
		err    error
	}
	done := make(chan result, 1)
	go func() {
		c, err := rueidis.NewClient(opt)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		return r.client, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.client != nil {
				r.client.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// Options returns the options the store runs with, defaults filled in.
func (s *Store) Options() Options { return s.opts }

// Durable reports the durable option: whether frames are kept without TTL
// in a Redis declared persistent and non-evicting.
func (s *Store) Durable() bool { return s.opts.Durable }

// MaxFrameSize implements driver.SizeLimiter: Options.MaxFrameSize.
func (s *Store) MaxFrameSize() int64 { return s.opts.MaxFrameSize }

// Compress implements driver.Compressor: data compressed with brotli at
// Options.CompressionLevel, the bytes Put stores when given them in
// Record.Compressed. It never returns nil: every document is stored
// compressed, as the spec says.
func (s *Store) Compress(data []byte) []byte {
	return codec.Compress(data, s.opts.CompressionLevel)
}

// As implements driver.Aser. A target of type *rueidis.Client is set to
// the client the store uses, for commands this package does not offer;
// keys under the store's prefix must not be written through it, and it
// must not be closed. Other targets are left alone and As reports false.
func (s *Store) As(target any) bool {
	if c, ok := target.(*rueidis.Client); ok && c != nil {
		*c = s.client
		return true
	}
	return false
}

// Ping checks that Redis answers (every node of a cluster), within
// Options.Timeout.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.check("ping"); err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx, s.opts.Timeout)
	defer cancel()
	for _, node := range s.client.Nodes() {
		if err := node.Do(ctx, node.B().Ping().Build()).Error(); err != nil {
			return wrapErr("ping", callErr(ctx, err))
		}
	}
	return nil
}

// Close ends every subscription (waiting for a callback in progress),
// then closes the connections. Calls in flight fail with an error wrapping driver.ErrClosed, as does every later
// call, including a second Close.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return fmt.Errorf("redisdriver: close: %w", driver.ErrClosed)
	}
	s.subMu.Lock() // no subscription starts after this
	close(s.done)
	s.subMu.Unlock()
	s.subs.Wait()
	s.client.Close()
	return nil
}

// check fails op once the store is closed.
func (s *Store) check(op string) error {
	if s.closed.Load() {
		return fmt.Errorf("redisdriver: %s: %w", op, driver.ErrClosed)
	}
	return nil
}

// bound returns ctx limited to d, the store's own time limit for one call.
// When the limit ends the call, callErr reports a *timeoutError, which
// wrapErr classifies as driver.ErrUnavailable; when ctx ends first, its
// own error.
func (s *Store) bound(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, &timeoutError{limit: d})
}

// expireAt is the exp index score of a frame written or renewed now.
func (s *Store) expireAt(now time.Time) string {
	if s.opts.Durable {
		return ""
	}
	return formatMillis(now.Add(s.opts.TTL))
}
