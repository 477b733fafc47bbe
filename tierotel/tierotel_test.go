package tierotel_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/internal/memdriver"
	"github.com/stackmemoryai/tier/tierotel"
)

// memChain opens a Manager over two in-memory durable tiers, "hot" and
// "cold", with the given hooks, and returns a handle on the cold store
// for injecting failures. Promotion and pre-fetch are off, so each Get
// makes exactly the calls the test expects.
func memChain(t testing.TB, hooks tier.Hooks) (*tier.Manager, *memdriver.Tier) {
	t.Helper()
	hot, cold := memdriver.New(true), memdriver.New(true)
	peek, err := cold.Reopen()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tier.New(context.Background(), tier.Config{
		ManualMaintenance: true, NoPromotion: true, NoPrefetch: true,
		BreakerCooldown: time.Millisecond, Hooks: hooks,
	}, tier.TierSpec{Name: "hot", Tier: hot}, tier.TierSpec{Name: "cold", Tier: cold})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m, peek
}

// demote moves the frames of project down to tier 2.
func demote(t *testing.T, m *tier.Manager, project string) {
	t.Helper()
	if _, err := m.Migrate(context.Background(), tier.MigrateOptions{ToLevel: 2, ProjectID: project}); err != nil {
		t.Fatal(err)
	}
}

func TestSpanPerOperationInTheCallersTrace(t *testing.T) {
	tel := newTelemetry(t)
	m, _ := memChain(t, tel.hooks())
	ctx, host := hostSpan(tel)

	f, err := m.Put(ctx, newFrame("p", 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Query(ctx, tier.Query{ProjectID: "p"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	host.End()
	spans := tel.ended()

	hostSpan := only(t, spans, "handle request")
	if got, want := childrenOf(spans, hostSpan), []string{"tier.Delete", "tier.Get", "tier.Put", "tier.Query"}; !slices.Equal(got, want) {
		t.Errorf("operations under the host's span: %v, want %v", got, want)
	}
	put := only(t, spans, "tier.Put")
	wantAttrs(t, "tier.Put", attrs(put.Attributes()), map[string]string{
		"tier.operation": "put", "tier.frame_id": f.ID, "tier.level": "1", "tier.name": "hot",
		"tier.outcome": "ok", "tier.frames": "1"})
	get := only(t, spans, "tier.Get")
	wantAttrs(t, "tier.Get", attrs(get.Attributes()), map[string]string{
		"tier.operation": "get", "tier.frame_id": f.ID, "tier.level": "1", "tier.name": "hot", "tier.outcome": "ok"})
	calls := children(spans, get)
	if len(calls) != 1 || calls[0].Name() != "get hot" {
		t.Fatalf("calls under tier.Get of a hot frame: %s, want get hot", names(calls))
	}
	call := calls[0]
	wantAttrs(t, "get hot", attrs(call.Attributes()), map[string]string{
		"tier.level": "1", "tier.name": "hot", "tier.call": "get", "tier.outcome": "ok"})
	if call.StartTime().Before(get.StartTime()) || call.EndTime().After(get.EndTime()) {
		t.Errorf("call span [%v, %v] is not within its operation [%v, %v]",
			call.StartTime(), call.EndTime(), get.StartTime(), get.EndTime())
	}
	query := only(t, spans, "tier.Query")
	wantAttrs(t, "tier.Query", attrs(query.Attributes()), map[string]string{
		"tier.operation": "query", "tier.frame_id": "", "tier.outcome": "ok", "tier.frames": "1"})
	if got := childrenOf(spans, query); !slices.Contains(got, "query hot") || !slices.Contains(got, "query cold") {
		t.Errorf("calls under tier.Query: %v, want a query of each tier", got)
	}
	del := only(t, spans, "tier.Delete")
	wantAttrs(t, "tier.Delete", attrs(del.Attributes()), map[string]string{
		"tier.operation": "delete", "tier.frame_id": f.ID, "tier.outcome": "ok"})
	for _, s := range []string{"tier.Put", "tier.Get", "tier.Query", "tier.Delete"} {
		if st := only(t, spans, s).Status(); st.Code != codes.Unset {
			t.Errorf("%s status %v, want unset", s, st)
		}
	}
}

func TestGetShowsWhichTierAnswered(t *testing.T) {
	tel := newTelemetry(t)
	m, _ := memChain(t, tel.hooks())
	ctx := context.Background()
	hot, err := m.Put(ctx, newFrame("stays", 1))
	if err != nil {
		t.Fatal(err)
	}
	cold, err := m.Put(ctx, newFrame("archived", 2))
	if err != nil {
		t.Fatal(err)
	}
	demote(t, m, "archived")
	moves := tel.ended()
	move := only(t, moves, "tier.move")
	wantAttrs(t, "tier.move", attrs(move.Attributes()), map[string]string{
		"tier.operation": "move", "tier.level": "2", "tier.name": "cold", "tier.frames": "1", "tier.outcome": "ok"})
	if got := childrenOf(moves, move); !slices.Contains(got, "put cold") {
		t.Errorf("calls under tier.move: %v, want the copy to cold", got)
	}

	before := tel.metrics(t)
	for _, id := range []string{hot.ID, cold.ID, cold.ID} {
		if _, err := m.Get(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	missing := tier.NewID()
	if _, err := m.Get(ctx, missing); !errors.Is(err, tier.ErrNotFound) {
		t.Fatalf("Get of a missing frame: %v", err)
	}

	var answered []string
	var miss map[string]string
	for _, s := range tel.ended() {
		if s.Name() != "tier.Get" {
			continue
		}
		a := attrs(s.Attributes())
		if a["tier.frame_id"] == missing {
			miss = a
			if s.Status().Code != codes.Unset {
				t.Errorf("not found is an answer, not an error: status %v", s.Status())
			}
			continue
		}
		answered = append(answered, a["tier.level"]+" "+a["tier.name"])
	}
	if want := []string{"1 hot", "2 cold", "2 cold"}; !slices.Equal(answered, want) {
		t.Errorf("tiers that answered: %v, want %v", answered, want)
	}
	wantAttrs(t, "Get of a missing frame", miss, map[string]string{"tier.outcome": "not_found", "tier.level": "", "tier.name": ""})

	mt := tel.metrics(t)
	wantSeries(t, mt, "tier.reads", map[string]float64{
		"tier.level=1,tier.name=hot,tier.outcome=ok":  1,
		"tier.level=2,tier.name=cold,tier.outcome=ok": 2,
		"tier.outcome=not_found":                      1,
	})
	wantSeries(t, mt, "tier.moves", map[string]float64{"tier.move.direction=down,tier.move.from=1,tier.move.to=2": 1})
	// Every Get asks hot first; three go on to cold (two found there,
	// one found nowhere). How many calls a Get makes is the engine's
	// business; that each is measured, by tier, is this package's.
	calls := since(before, mt)["tier.call.duration"]
	if got := calls["tier.call=get,tier.level=1,tier.name=hot,tier.outcome=ok"]; got < 4 {
		t.Errorf("%v get calls to hot measured, want at least 4 (all: %v)", got, calls)
	}
	if got := calls["tier.call=get,tier.level=2,tier.name=cold,tier.outcome=ok"]; got < 3 {
		t.Errorf("%v get calls to cold measured, want at least 3 (all: %v)", got, calls)
	}
	wantSeries(t, mt, "tier.operation.duration", map[string]float64{
		"tier.level=2,tier.name=cold,tier.operation=get,tier.outcome=ok": 2,
		"tier.operation=get,tier.outcome=not_found":                      1,
		"tier.level=1,tier.name=hot,tier.operation=put,tier.outcome=ok":  2,
	})
}

func TestUnavailableTierAndItsBreaker(t *testing.T) {
	tel := newTelemetry(t)
	m, cold := memChain(t, tel.hooks())
	ctx := context.Background()
	f, err := m.Put(ctx, newFrame("archived", 1))
	if err != nil {
		t.Fatal(err)
	}
	demote(t, m, "archived")
	tel.ended()

	cold.SetFailure(errors.New("connection refused"))
	if _, err := m.Get(ctx, f.ID); !errors.Is(err, tier.ErrUnavailable) {
		t.Fatalf("Get with the cold tier down: %v, want ErrUnavailable", err)
	}
	spans := tel.ended()
	get := only(t, spans, "tier.Get")
	wantAttrs(t, "tier.Get", attrs(get.Attributes()), map[string]string{"tier.outcome": "unavailable", "tier.level": ""})
	if get.Status().Code != codes.Error {
		t.Errorf("status of a Get that could not reach a tier: %v, want Error", get.Status())
	}
	if !slices.ContainsFunc(get.Events(), func(e sdktrace.Event) bool { return e.Name == "exception" }) {
		t.Errorf("the error is not recorded on the span: events %v", get.Events())
	}
	call := only(t, spans, "get cold")
	if call.Status().Code != codes.Error || attrs(call.Attributes())["tier.outcome"] != "unavailable" {
		t.Errorf("failed call: status %v, attributes %v", call.Status(), attrs(call.Attributes()))
	}
	mt := tel.metrics(t)
	wantSeries(t, mt, "tier.breaker.state", map[string]float64{
		"tier.breaker.state=open,tier.level=2,tier.name=cold":      1,
		"tier.breaker.state=closed,tier.level=2,tier.name=cold":    0,
		"tier.breaker.state=half-open,tier.level=2,tier.name=cold": 0,
		"tier.breaker.state=closed,tier.level=1,tier.name=hot":     1,
	})
	wantSeries(t, mt, "tier.breaker.trips", map[string]float64{"tier.level=2,tier.name=cold": 1})
	wantSeries(t, mt, "tier.reads", map[string]float64{"tier.outcome=unavailable": 1})

	cold.SetFailure(nil)
	eventually(t, func() error { _, err := m.Get(ctx, f.ID); return err })
	wantSeries(t, tel.metrics(t), "tier.breaker.state", map[string]float64{
		"tier.breaker.state=open,tier.level=2,tier.name=cold":      0,
		"tier.breaker.state=closed,tier.level=2,tier.name=cold":    1,
		"tier.breaker.state=half-open,tier.level=2,tier.name=cold": 0,
	})
}

func TestCallEventsInsteadOfChildSpans(t *testing.T) {
	tel := newTelemetry(t)
	m, _ := memChain(t, tel.hooks(tierotel.WithCallEvents()))
	ctx := context.Background()
	f, err := m.Put(ctx, newFrame("p", 1))
	if err != nil {
		t.Fatal(err)
	}
	demote(t, m, "p")
	tel.ended()
	if _, err := m.Get(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	spans := tel.ended()
	if len(spans) != 1 {
		t.Fatalf("spans %s, want tier.Get alone", names(spans))
	}
	var events []string
	for _, e := range spans[0].Events() {
		a := attrs(e.Attributes)
		events = append(events, fmt.Sprintf("%s %s/%s", e.Name, a["tier.level"], a["tier.outcome"]))
	}
	if want := []string{"get hot 1/ok", "get cold 2/ok"}; !slices.Equal(events, want) {
		t.Errorf("events of tier.Get: %v, want %v", events, want)
	}
}

func TestAttributesOfTheHost(t *testing.T) {
	tel := newTelemetry(t)
	m, _ := memChain(t, tel.hooks(tierotel.WithAttributes(attribute.String("store", "agent-a"))))
	ctx := context.Background()
	f, err := m.Put(ctx, newFrame("p", 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	for _, s := range tel.ended() {
		if attrs(s.Attributes())["store"] != "agent-a" {
			t.Errorf("span %s lacks the host's attribute: %v", s.Name(), attrs(s.Attributes()))
		}
	}
	wantSeries(t, tel.metrics(t), "tier.reads", map[string]float64{
		"store=agent-a,tier.level=1,tier.name=hot,tier.outcome=ok": 1})
}

func TestNoSpansOutsideAnOperation(t *testing.T) {
	tel := newTelemetry(t)
	m, _ := memChain(t, tel.hooks())
	ctx := context.Background()
	if _, err := m.Status(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if spans := tel.ended(); len(spans) != 0 {
		t.Errorf("Status and an idle maintenance cycle made spans: %s", names(spans))
	}
}

func TestOutcome(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{fmt.Errorf("frame x: %w", tier.ErrNotFound), "not_found"},
		{fmt.Errorf("tier 2 (redis): %w", tier.ErrUnavailable), "unavailable"},
		{fmt.Errorf("bad: %w", tier.ErrInvalidFrame), "error"},
		{context.Canceled, "error"},
	} {
		if got := tierotel.Outcome(c.err); got != c.want {
			t.Errorf("Outcome(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// TestConcurrentOperations runs operations from several goroutines while
// a tier fails and recovers, for the race detector, and checks that each
// tier's breaker gauge still sums to one state.
func TestConcurrentOperations(t *testing.T) {
	tel := newTelemetry(t)
	m, cold := memChain(t, tel.hooks())
	ctx := context.Background()
	var ids []string
	for i := range 8 {
		f, err := m.Put(ctx, newFrame("archived", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	demote(t, m, "archived")

	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 50 {
				id := ids[(g+i)%len(ids)]
				_, _ = m.Get(ctx, id)
				_, _ = m.Query(ctx, tier.Query{ProjectID: "archived", Limit: 2})
				if _, err := m.Put(ctx, newFrame("hot", i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := range 20 {
		if i%2 == 0 {
			cold.SetFailure(errors.New("connection reset"))
		} else {
			cold.SetFailure(nil)
		}
		time.Sleep(time.Millisecond)
	}
	cold.SetFailure(nil)
	for range 4 {
		<-done
	}

	states := tel.metrics(t)["tier.breaker.state"]
	for _, level := range []string{"tier.level=1,tier.name=hot", "tier.level=2,tier.name=cold"} {
		sum := 0.0
		for _, s := range []string{"closed", "half-open", "open"} {
			v := states["tier.breaker.state="+s+","+level]
			if v < 0 || v > 1 {
				t.Errorf("breaker state %s of %s = %v, want 0 or 1", s, level, v)
			}
			sum += v
		}
		if sum != 1 {
			t.Errorf("breaker states of %s sum to %v, want 1: %v", level, sum, states)
		}
	}
}

func TestMovesUpAndDownAreCounted(t *testing.T) {
	tel := newTelemetry(t)
	m, _ := memChain(t, tel.hooks())
	ctx := context.Background()
	for i := range 3 {
		if _, err := m.Put(ctx, newFrame("resumed", i)); err != nil {
			t.Fatal(err)
		}
	}
	demote(t, m, "resumed")
	if _, err := m.Warm(ctx, tier.WarmOptions{ProjectID: "resumed"}); err != nil {
		t.Fatal(err)
	}
	wantSeries(t, tel.metrics(t), "tier.moves", map[string]float64{
		"tier.move.direction=down,tier.move.from=1,tier.move.to=2": 3,
		"tier.move.direction=up,tier.move.from=2,tier.move.to=1":   3,
	})
}
