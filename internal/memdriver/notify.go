package memdriver

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/stackmemoryai/tier/driver"
)

var _ driver.Notifier = (*Tier)(nil)

// Subscribe implements driver.Notifier, the way a tier shared between
// machines tells of changes: every Put, PutMany, Delete and DeleteMany
// that changes the store, through any handle on it (every tier opened on
// the same name shares the store), is reported to every subscriber of the
// store, the subscriber's own writes included. A write of an older
// version, which the store ignores, and a delete that removes nothing are
// not reported.
//
// fn is called from one goroutine per subscription, one call at a time,
// with the IDs changed since its previous call (coalesced while fn runs).
// While the store's notifications are cut ([Tier.CutNotifications]),
// changes are missed: fn gets Change{Reset: true} when the cut starts and
// again when it ends.
//
// Subscribe returns once the subscription is set up; it fails with an
// error wrapping driver.ErrUnavailable while a failure is set
// ([Tier.SetFailure]) or notifications are cut, with ErrClosed after
// Close, or with the context's error. The subscription ends when ctx is
// done or the subscribing handle is closed.
func (t *Tier) Subscribe(ctx context.Context, fn func(driver.Change)) error {
	if err := t.check(ctx, "subscribe"); err != nil {
		return err
	}
	if fn == nil {
		return errors.New("memdriver: subscribe: nil callback")
	}
	sub := &subscriber{fn: fn, wake: make(chan struct{}, 1)}
	h := &t.s.hub
	h.mu.Lock()
	if h.cut != nil {
		err := h.cut
		h.mu.Unlock()
		return fmt.Errorf("memdriver: subscribe: %w: %w", driver.ErrUnavailable, err)
	}
	if h.subs == nil {
		h.subs = map[*subscriber]bool{}
	}
	h.subs[sub] = true
	h.mu.Unlock()
	done := t.closing()
	go func() {
		defer func() {
			h.mu.Lock()
			delete(h.subs, sub)
			h.mu.Unlock()
		}()
		sub.deliver(ctx, done)
	}()
	return nil
}

// CutNotifications cuts the change notifications of the store (every
// handle's subscriptions), as a lost invalidation connection would, while
// the store itself keeps working: with err set, each subscriber gets
// Change{Reset: true}, changes made meanwhile are missed, and Subscribe
// fails with err wrapped in driver.ErrUnavailable. Called with nil, it
// restores them, and each subscriber gets a second Reset. Tests use it.
func (t *Tier) CutNotifications(err error) {
	h := &t.s.hub
	h.mu.Lock()
	was := h.cut != nil
	h.cut = err
	subs := h.list()
	h.mu.Unlock()
	if was != (err != nil) {
		for _, s := range subs {
			s.lostState(err != nil)
		}
	}
}

// Subscribers returns how many subscriptions of the store are running.
// Tests use it to wait for a subscription to end.
func (t *Tier) Subscribers() int {
	h := &t.s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// hub holds the subscriptions of a store. The zero value is ready.
type hub struct {
	mu   sync.Mutex
	subs map[*subscriber]bool
	cut  error // notifications are cut while set
}

// list returns the subscribers; h.mu is held.
func (h *hub) list() []*subscriber {
	out := make([]*subscriber, 0, len(h.subs))
	for s := range h.subs {
		out = append(out, s)
	}
	return out
}

// notify reports changed frames to every subscriber, unless notifications
// are cut. It is called after the change, without the store's lock.
func (h *hub) notify(ids []string) {
	if len(ids) == 0 {
		return
	}
	h.mu.Lock()
	if h.cut != nil || len(h.subs) == 0 {
		h.mu.Unlock()
		return
	}
	subs := h.list()
	h.mu.Unlock()
	for _, s := range subs {
		s.changed(ids, false)
	}
}

// subscriber gathers the changes for one subscription and hands them to
// its callback from one goroutine.
type subscriber struct {
	fn   func(driver.Change)
	wake chan struct{}

	mu    sync.Mutex
	ids   []string
	seen  map[string]bool
	reset bool
	lost  bool
}

func (s *subscriber) lostState(lost bool) {
	s.mu.Lock()
	s.lost = lost
	s.mu.Unlock()
	s.changed(nil, true)
}

// changed records changed frames, or a reset, and wakes the delivery.
func (s *subscriber) changed(ids []string, reset bool) {
	s.mu.Lock()
	s.reset = s.reset || reset
	for _, id := range ids {
		if s.seen == nil {
			s.seen = map[string]bool{}
		}
		if !s.seen[id] {
			s.seen[id] = true
			s.ids = append(s.ids, id)
		}
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// deliver calls fn with the pending changes until ctx is done or done is
// closed.
func (s *subscriber) deliver(ctx context.Context, done <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-s.wake:
		}
		s.mu.Lock()
		ids, reset, lost := s.ids, s.reset, s.lost
		s.ids, s.seen, s.reset = nil, nil, false
		s.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		if reset {
			s.fn(driver.Change{Reset: true, Lost: lost})
		}
		if len(ids) > 0 {
			s.fn(driver.Change{IDs: ids})
		}
	}
}

// closing returns a channel closed when t is closed.
func (t *Tier) closing() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done == nil {
		t.done = make(chan struct{})
		if t.closed {
			close(t.done)
		}
	}
	return t.done
}

// closeNotify ends the subscriptions of t; t.mu is held and t.closed was
// just set.
func (t *Tier) closeNotify() {
	if t.done != nil {
		close(t.done)
	}
}
