package redisdriver

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
)

func init() {
	tier.Register("redis", Driver{})
	tier.Register("rediss", Driver{})
}

// Driver opens a [Store] from a redis:// or rediss:// URL (see [ParseURL]).
// It is registered with the tier package under both schemes.
type Driver struct{}

// Open implements driver.Driver: it parses dsn with [ParseURL] and calls
// [Open].
func (Driver) Open(ctx context.Context, dsn string) (driver.Tier, error) {
	o, err := ParseURL(dsn)
	if err != nil {
		return nil, err
	}
	return Open(ctx, o)
}

// Store is the Redis warm tier. It implements driver.Tier and the optional
// driver.Batcher, driver.Pinger and driver.Compactor. It is safe for
// concurrent use; every method is bounded by ctx's deadline, or by
// Options.Timeout per round trip when ctx has none.
type Store struct {
	client  rueidis.Client
	opts    Options
	keys    keys
	ttl     string // TTL in milliseconds, "0" when durable
	cluster bool   // scripts may not mix frame and index keys
	closed  atomic.Bool
}

var (
	_ driver.Tier      = (*Store)(nil)
	_ driver.Batcher   = (*Store)(nil)
	_ driver.Pinger    = (*Store)(nil)
	_ driver.Compactor = (*Store)(nil)
)

// Open connects to Redis (or a Redis Cluster) and returns a Store. Zero
// fields of o take their defaults. It fails with an error wrapping
// driver.ErrBadDSN for bad options, or driver.ErrUnavailable when the
// server cannot be reached, in which case nothing is left running.
func Open(ctx context.Context, o Options) (*Store, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redisdriver: open: %w: %w", driver.ErrUnavailable, err)
	}
	client, err := connect(ctx, o.ClientOption)
	if err != nil {
		return nil, fmt.Errorf("redisdriver: open: %w: %s", driver.ErrUnavailable, scrub(err.Error(), o.ClientOption.Password))
	}
	s := &Store{
		client:  client,
		opts:    o,
		keys:    newKeys(o.Prefix),
		ttl:     "0",
		cluster: client.Mode() == rueidis.ClientModeCluster,
	}
	if !o.Durable {
		s.ttl = strconv.FormatInt(o.TTL.Milliseconds(), 10)
	}
	return s, nil
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

// Ping checks that Redis answers (every node of a cluster).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	for _, node := range s.client.Nodes() {
		if err := node.Do(ctx, node.B().Ping().Build()).Error(); err != nil {
			return s.fail("ping", "", err)
		}
	}
	return nil
}

// Close closes the connections. Calls in flight fail with an error
// wrapping driver.ErrClosed, as does every later call, including a second
// Close.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return fmt.Errorf("redisdriver: close: %w", driver.ErrClosed)
	}
	s.client.Close()
	return nil
}

// Client returns the rueidis client the store uses, for commands the
// package does not offer. Keys under the store's prefix must not be
// written through it.
func (s *Store) Client() rueidis.Client { return s.client }

func (s *Store) check() error {
	if s.closed.Load() {
		return fmt.Errorf("redisdriver: %w", driver.ErrClosed)
	}
	return nil
}

// deadline bounds one round trip: ctx's own deadline when it has one, else
// Options.Timeout.
func (s *Store) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.opts.Timeout)
}

// expireAt is the exp index score of a frame written or renewed now.
func (s *Store) expireAt(now time.Time) string {
	if s.opts.Durable {
		return ""
	}
	return formatMillis(now.Add(s.opts.TTL))
}
