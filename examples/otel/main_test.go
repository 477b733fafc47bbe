package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"testing"
)

// span is the part of the stdout exporter's JSON the test reads.
type span struct {
	Name        string
	SpanContext struct{ SpanID string }
	Parent      struct{ SpanID string }
	Attributes  []struct {
		Key   string
		Value struct{ Value any }
	}
}

func (s span) attr(key string) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			b, _ := json.Marshal(a.Value.Value)
			return string(bytes.Trim(b, `"`))
		}
	}
	return ""
}

func TestPrintsTheSpansOfEachCall(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	var spans []span
	dec := json.NewDecoder(&out)
	for {
		var s span
		err := dec.Decode(&s)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("output is not a stream of JSON spans: %v", err)
		}
		spans = append(spans, s)
	}
	var step span
	for _, s := range spans {
		if s.Name == "agent step" {
			step = s
		}
	}
	if step.Name == "" {
		t.Fatal("no span of the host")
	}
	var ops []string
	for _, s := range spans {
		if s.Parent.SpanID != step.SpanContext.SpanID {
			continue
		}
		op := s.Name + " " + s.attr("tier.outcome")
		if s.attr("tier.name") != "" {
			op += " by " + s.attr("tier.name")
		}
		ops = append(ops, op)
	}
	want := []string{
		"tier.Put ok by sqlite", "tier.Put ok by sqlite",
		"tier.Get ok by sqlite",
		"tier.Query ok",
		"tier.Get not_found",
		"tier.Delete ok",
	}
	if !slices.Equal(ops, want) {
		t.Errorf("operations printed under the host's span:\n%q\nwant\n%q", ops, want)
	}
	calls := 0
	for _, s := range spans {
		if s.Name == "get sqlite" && s.attr("tier.level") == "1" {
			calls++
		}
	}
	if calls < 2 {
		t.Errorf("%d spans of calls to the SQLite tier, want one per Get at least", calls)
	}
}
