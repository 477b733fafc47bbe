package redisdriver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
)

const (
	// maxPendingIDs bounds the changed frames a subscription holds for a
	// slow callback; past it they are replaced by one Reset.
	maxPendingIDs = 1 << 16
	// resubscribeMin and resubscribeMax bound the wait between attempts
	// to re-establish a lost tracking connection.
	resubscribeMin = 50 * time.Millisecond
	resubscribeMax = 2 * time.Second
)

// Subscribe implements driver.Notifier with Redis server-assisted client
// tracking (RESP3): on each node (every node of a cluster) it holds a
// dedicated connection in CLIENT TRACKING ON BCAST mode for the prefix of
// the meta keys, so Redis reports every change to a frame's meta hash made
// by any client, this store included: a Put, a Delete, a Touch, a Get
// renewing the TTL (at most once per tenth of the TTL), an expiry, an
// eviction. A Change means "may have changed": compare versions
// (GetMetas) before acting. On a cluster the nodes are those known when
// Subscribe is called; a node added later is not tracked until the next
// Subscribe.
//
// fn is called from one goroutine at a time, with the IDs changed since
// the previous call (coalesced while fn runs). When a tracking connection
// is lost, or Redis reports that it forgot what it tracked (a FLUSHDB),
// fn gets Change{Reset: true, Lost: true} (changes are missed until it is
// back); the connection is re-established in the background, with a
// backoff of up to 2 s, and fn gets Change{Reset: true} once it is. A stalled connection is
// noticed by rueidis's background ping (the write_timeout, 10 s by
// default).
//
// Own writes are reported too. NOLOOP would not hide them: it hides the
// writes of the tracking connection itself, and this store writes through
// other connections. The manager gets its own writes back as changes,
// which a version compare settles.
//
// Subscribe returns once every node is tracked, or with an error wrapping
// driver.ErrUnavailable (nothing is left running). The subscription ends
// when ctx is done or the store is closed; Close waits for it, so fn must
// not call Close. It needs RESP3 (not protocol=2).
func (s *Store) Subscribe(ctx context.Context, fn func(driver.Change)) error {
	if err := s.check("subscribe"); err != nil {
		return err
	}
	if fn == nil {
		return errors.New("redisdriver: subscribe: nil callback")
	}
	sctx, cancel := context.WithCancel(context.Background())
	sub := &subscription{s: s, fn: fn, wake: make(chan struct{}, 1), ctx: sctx}
	var watchers []*watcher
	for addr, node := range s.client.Nodes() {
		w := &watcher{sub: sub, addr: addr, node: node}
		if err := w.connect(ctx); err != nil {
			cancel()
			for _, w := range watchers {
				w.close()
			}
			return err
		}
		watchers = append(watchers, w)
	}
	s.subMu.Lock()
	defer s.subMu.Unlock()
	if s.closed.Load() {
		cancel()
		for _, w := range watchers {
			w.close()
		}
		return fmt.Errorf("redisdriver: subscribe: %w", driver.ErrClosed)
	}
	s.subs.Add(2 + len(watchers))
	go func() {
		defer s.subs.Done()
		select {
		case <-ctx.Done():
		case <-s.done:
		}
		cancel()
	}()
	go func() {
		defer s.subs.Done()
		sub.deliver()
	}()
	for _, w := range watchers {
		go func() {
			defer s.subs.Done()
			w.run()
		}()
	}
	return nil
}

// subscription gathers the changes seen by the watchers of one Subscribe
// and hands them to its callback.
type subscription struct {
	s    *Store
	fn   func(driver.Change)
	wake chan struct{}   // a change is pending
	ctx  context.Context // done when the caller's ctx is, or the store closed

	mu    sync.Mutex
	ids   []string
	seen  map[string]bool
	reset bool
	down  int // watchers whose connection is lost now
}

// setDown records that a watcher lost its connection (or got it back),
// and reports a reset: changes were, or may have been, missed.
func (sub *subscription) setDown(down bool) {
	sub.mu.Lock()
	if down {
		sub.down++
	} else {
		sub.down--
	}
	sub.mu.Unlock()
	sub.changed(nil, true)
}

// changed records changed frames, or a reset, and wakes the delivery.
func (sub *subscription) changed(ids []string, reset bool) {
	sub.mu.Lock()
	if reset {
		sub.reset = true
	}
	if len(sub.ids)+len(ids) > maxPendingIDs {
		sub.reset = true
		sub.ids, sub.seen, ids = nil, nil, nil
	}
	for _, id := range ids {
		if sub.seen == nil {
			sub.seen = make(map[string]bool)
		}
		if !sub.seen[id] {
			sub.seen[id] = true
			sub.ids = append(sub.ids, id)
		}
	}
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

// deliver calls fn with the pending changes until the subscription stops.
func (sub *subscription) deliver() {
	for {
		select {
		case <-sub.ctx.Done():
			return
		case <-sub.wake:
		}
		sub.mu.Lock()
		ids, reset, lost := sub.ids, sub.reset, sub.down > 0
		sub.ids, sub.seen, sub.reset = nil, nil, false
		sub.mu.Unlock()
		if reset {
			sub.fn(driver.Change{Reset: true, Lost: lost})
		}
		if len(ids) > 0 {
			sub.fn(driver.Change{IDs: ids})
		}
	}
}

// stopped reports whether the subscription has ended.
func (sub *subscription) stopped() bool { return sub.ctx.Err() != nil }

// watcher holds the tracking connection of one node.
type watcher struct {
	sub  *subscription
	addr string
	node rueidis.Client

	conn rueidis.DedicatedClient
	lost <-chan error // closed when the connection ends
}

// connect takes a dedicated connection to the node and turns tracking on,
// bounded by Options.BatchTimeout and ctx.
func (w *watcher) connect(ctx context.Context) error {
	s := w.sub.s
	ctx, cancel := s.bound(ctx, s.opts.BatchTimeout)
	defer cancel()
	conn, _ := w.node.Dedicate()
	lost := conn.SetOnInvalidations(w.invalidated)
	cmd := conn.B().ClientTracking().On().Prefix().Prefix(s.keys.prefix + "meta:").Bcast().Build()
	if err := conn.Do(ctx, cmd).Error(); err != nil {
		conn.Close()
		return wrapErr("subscribe "+w.addr, callErr(ctx, err))
	}
	w.conn, w.lost = conn, lost
	return nil
}

// invalidated receives the invalidation messages of the connection: keys,
// or nil when Redis forgot what it tracked or the connection ended.
func (w *watcher) invalidated(msgs []rueidis.RedisMessage) {
	if w.sub.stopped() {
		return
	}
	if msgs == nil {
		w.sub.changed(nil, true)
		return
	}
	ids := make([]string, 0, len(msgs))
	for i := range msgs {
		if k, err := msgs[i].ToString(); err == nil {
			if id := w.sub.s.keys.idOf(k); id != "" {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) > 0 {
		w.sub.changed(ids, false)
	}
}

// run watches the connection until the subscription stops, and
// re-establishes it when it is lost.
func (w *watcher) run() {
	for {
		select {
		case <-w.sub.ctx.Done():
			w.close()
			return
		case <-w.lost:
		}
		w.conn.Close()
		w.sub.setDown(true)
		if !w.reconnect() {
			return
		}
		w.sub.setDown(false) // changes in between were missed
	}
}

// reconnect tries to re-establish tracking, with backoff, until it
// succeeds (true) or the subscription stops (false).
func (w *watcher) reconnect() bool {
	wait := resubscribeMin
	for {
		t := time.NewTimer(wait)
		select {
		case <-w.sub.ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		if err := w.connect(w.sub.ctx); err == nil {
			return true
		}
		wait = min(2*wait, resubscribeMax)
	}
}

// close ends the tracking connection.
func (w *watcher) close() {
	if w.conn != nil {
		w.conn.Close()
	}
}
