package drivertest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// testLimitZero checks that a Limit of zero or less asks for nothing.
func testLimitZero(t *testing.T, h *Harness, tr driver.Tier) {
	ctx := ctxFor(t)
	mustPut(t, tr, record(newID(), 1, h.doc("limited", 1), baseTime), record(newID(), 1, h.doc("limited", 2), baseTime))
	q, isQuerier := tr.(driver.Querier)
	for _, limit := range []int{0, -1} {
		for _, p := range []driver.Policy{driver.LRU, driver.LFU, driver.AGE} {
			got, err := tr.Candidates(ctx, driver.CandidateQuery{Policy: p, Limit: limit})
			if err != nil || len(got) != 0 {
				t.Errorf("Candidates(%s, Limit %d) = %d frames, %v; want none and no error", p, limit, len(got), err)
			}
		}
		if !isQuerier {
			continue
		}
		for _, text := range []string{"", "limited"} {
			hits, err := q.Query(ctx, driver.Query{Text: text, Limit: limit})
			if err != nil || len(hits) != 0 {
				t.Errorf("Query(Text %q, Limit %d) = %d hits, %v; want none and no error", text, limit, len(hits), err)
			}
		}
	}
}

// tierCall is one method of a tier, called with the context given.
type tierCall struct {
	name string
	call func(ctx context.Context) error
}

// tierCalls lists every method of tr that takes a context, the optional
// ones included when tr implements them. The calls name the frame existing.
func tierCalls(h *Harness, tr driver.Tier, existing driver.Record) []tierCall {
	id := existing.ID
	fresh := func() driver.Record { return record(newID(), 1, h.doc("done", 1), baseTime) }
	calls := []tierCall{
		{"Get", func(ctx context.Context) error { _, _, err := tr.Get(ctx, id); return err }},
		{"Put", func(ctx context.Context) error { return tr.Put(ctx, fresh()) }},
		{"Delete", func(ctx context.Context) error { return tr.Delete(ctx, id, driver.AnyVersion) }},
		{"Touch", func(ctx context.Context) error {
			return tr.Touch(ctx, []driver.Access{{ID: id, At: baseTime.Add(time.Hour), Count: 1}})
		}},
		{"Candidates", func(ctx context.Context) error {
			_, err := tr.Candidates(ctx, driver.CandidateQuery{Policy: driver.LRU, Limit: 10})
			return err
		}},
		{"Usage", func(ctx context.Context) error { _, err := tr.Usage(ctx); return err }},
	}
	if b, ok := tr.(driver.Batcher); ok {
		calls = append(calls,
			tierCall{"GetMany", func(ctx context.Context) error { _, err := b.GetMany(ctx, []string{id, newID()}); return err }},
			tierCall{"PutMany", func(ctx context.Context) error { return b.PutMany(ctx, []driver.Record{fresh(), fresh()}) }})
	}
	if q, ok := tr.(driver.Querier); ok {
		calls = append(calls,
			tierCall{"Query", func(ctx context.Context) error { _, err := q.Query(ctx, driver.Query{Limit: 10}); return err }},
			tierCall{"QueryText", func(ctx context.Context) error {
				_, err := q.Query(ctx, driver.Query{Text: "done", Limit: 10})
				return err
			}})
	}
	if m, ok := tr.(driver.MetaGetter); ok {
		calls = append(calls, tierCall{"GetMetas", func(ctx context.Context) error {
			_, err := m.GetMetas(ctx, []string{id, newID()})
			return err
		}})
	}
	if d, ok := tr.(driver.BatchDeleter); ok {
		calls = append(calls, tierCall{"DeleteMany", func(ctx context.Context) error {
			return d.DeleteMany(ctx, []driver.Deletion{{ID: id, UpTo: driver.AnyVersion}, {ID: newID(), UpTo: 1}})
		}})
	}
	if p, ok := tr.(driver.Pinger); ok {
		calls = append(calls, tierCall{"Ping", p.Ping})
	}
	if c, ok := tr.(driver.Compactor); ok {
		calls = append(calls, tierCall{"Compact", c.Compact})
	}
	if n, ok := tr.(driver.Notifier); ok {
		calls = append(calls, tierCall{"Subscribe", func(ctx context.Context) error {
			return n.Subscribe(ctx, func(driver.Change) {})
		}})
	}
	return calls
}

// testDoneContext checks that every method called with a context that is
// already done fails with the context's error, and not with
// driver.ErrUnavailable: the caller gave up, the store did not fail.
func testDoneContext(done func() context.Context, want error) func(*testing.T, *Harness, driver.Tier) {
	return func(t *testing.T, h *Harness, tr driver.Tier) {
		existing := record(newID(), 1, h.doc("done", 1), baseTime)
		mustPut(t, tr, existing)
		for _, c := range tierCalls(h, tr, existing) {
			t.Run(c.name, func(t *testing.T) {
				err := c.call(done())
				if !errors.Is(err, want) || errors.Is(err, driver.ErrUnavailable) {
					t.Fatalf("%s with a done context = %v; want an error wrapping %v and not driver.ErrUnavailable",
						c.name, err, want)
				}
			})
		}
	}
}

func canceledContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func expiredContext() context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel() // the context stays done after cancel
	return ctx
}

// testBadDSNs checks that Open refuses each of Harness.BadDSNs with an
// error wrapping driver.ErrBadDSN and a nil interface.
func testBadDSNs(t *testing.T, h *Harness, _ driver.Tier) {
	if h.Open == nil {
		t.Fatal("drivertest: Harness.Open is nil; it is required: give the driver's Driver.Open so the suite can check bad connection strings")
	}
	if len(h.BadDSNs) == 0 {
		t.Fatal("drivertest: Harness.BadDSNs is empty; list connection strings the driver must refuse (an unknown parameter, a bad value, ...)")
	}
	for i, dsn := range h.BadDSNs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			tr, err := h.Open(ctxFor(t), dsn)
			if tr != nil {
				_ = tr.Close()
				t.Errorf("Open(%q) returned a non-nil Tier %T with error %v; want a nil interface", dsn, tr, err)
			}
			if !errors.Is(err, driver.ErrBadDSN) {
				t.Errorf("Open(%q) = %v; want an error wrapping driver.ErrBadDSN", dsn, err)
			}
		})
	}
}
