package memdriver_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/memdriver"
)

func TestParseURL(t *testing.T) {
	for dsn, want := range map[string]memdriver.Options{
		"mem://":                           {},
		"mem://notes":                      {Name: "notes"},
		"mem://notes?durable=false":        {Name: "notes", NotDurable: true},
		"mem://?durable=true":              {},
		"mem://x?maxframesize=1024":        {Name: "x", MaxFrameSize: 1024},
		"mem://x?maxframesize=1&durable=0": {Name: "x", MaxFrameSize: 1, NotDurable: true},
	} {
		got, err := memdriver.ParseURL(dsn)
		if err != nil || got != want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", dsn, got, err, want)
		}
	}
	if _, err := memdriver.ParseURL("mem://x?colour=blue"); !errors.Is(err, driver.ErrBadDSN) {
		t.Errorf("ParseURL with an unknown parameter = %v; want driver.ErrBadDSN", err)
	}
}

func TestNamedStoreIsShared(t *testing.T) {
	ctx := context.Background()
	a, err := memdriver.Driver{}.Open(ctx, "mem://shared-by-name?durable=false&maxframesize=100")
	if err != nil {
		t.Fatal(err)
	}
	b, err := memdriver.Driver{}.Open(ctx, "mem://shared-by-name")
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte(`{"task":"shared"}`)
	rec := driver.Record{Meta: driver.Meta{ID: "0b6f0c0e-4b1e-4d55-9a7e-5a4a9b0c8d11", Version: 1,
		Checksum: driver.Checksum(doc), Size: int64(len(doc))}, Data: doc}
	if err := a.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := b.Get(ctx, rec.ID); !ok || err != nil {
		t.Fatalf("a frame put through one handle is not seen through another of the same name: ok %v, %v", ok, err)
	}
	if a.Durable() || b.Durable() {
		t.Error("tiers of a store first opened with durable=false report Durable() true")
	}
	if got := a.(driver.SizeLimiter).MaxFrameSize(); got != 100 {
		t.Errorf("MaxFrameSize() = %d; want 100 from the URL", got)
	}
	if got := b.(driver.SizeLimiter).MaxFrameSize(); got != memdriver.DefaultMaxFrameSize {
		t.Errorf("MaxFrameSize() = %d; want the default %d", got, memdriver.DefaultMaxFrameSize)
	}
	private, _ := memdriver.Driver{}.Open(ctx, "mem://")
	if _, ok, _ := private.Get(ctx, rec.ID); ok {
		t.Error("a private store (mem://) sees a frame of a named store")
	}
}
