package tier_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
	"github.com/stackmemoryai/tier/internal/memdriver"
)

// FuzzParseConfig feeds arbitrary bytes to ParseConfig, the decoder of
// ~/.stackmemory/config.json: it must never panic; what it accepts either
// validates or fails with ErrBadConfig; what it refuses fails with
// ErrBadConfig. A printed config never panics either.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"sqlite":{"path":"~/.stackmemory/frames.db","maxSize":"500MB","maxFrames":1000,"maxAge":"24h"}}`,
		`{"redis":{"url":"redis://:pw@localhost:6379/0","ttl":86400,"maxAge":"168h","maxSize":"1GB","keyPrefix":"sm:","timeout":"50ms"}}`,
		`{"postgres":{"url":"postgres://u:pw@h/db","compressionLevel":6,"retentionDays":30,"timeout":"200ms"}}`,
		`{"promotionThreshold":3,"promotionWindow":"1h","evictionStrategy":"LFU","backgroundSync":false,"syncInterval":"1m","breakerCooldown":"2s","maxFrameSize":"16MiB"}`,
		`{"evictionStrategy":"lru"}`,
		`{"redis":{"ttl":-1}}`,
		`{"sqlite":{"maxSize":"12 XB"}}`,
		`{"unknown":1}`,
		`{} {}`,
		`{"redis":{"url":"http://x"}}`,
		`{"postgres":{"compressionLevel":99}}`,
		`{"syncInterval":"1ns","maxFrameSize":1}`,
		`{"sqlite":{"maxAge":1e400}}`,
		"\xef\xbb\xbf{}",
		`[`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, tier.ErrBadConfig) {
				t.Fatalf("ParseConfig refused %q with %v, not ErrBadConfig", data, err)
			}
			return
		}
		if err := c.Validate(); err != nil && !errors.Is(err, tier.ErrBadConfig) {
			t.Fatalf("Validate of %q: %v, not ErrBadConfig", data, err)
		}
		_ = c.String()
	})
}

// FuzzFrameInput puts frames with arbitrary IDs, session and parent IDs,
// project and document into a chain of in-memory tiers: Put must never
// panic; a frame it accepts comes back byte for byte; a frame it refuses
// fails with ErrInvalidFrame and leaves nothing behind.
func FuzzFrameInput(f *testing.F) {
	const id = "0198c6a4-2b1e-7c3d-9e4f-5a6b7c8d9e0f"
	for _, s := range []struct{ id, session, parent, project, data string }{
		{"", "", "", "", `{}`},
		{id, "", "", "p", `{"task":"x","n":1.50,"s":"caf\u00e9"}`},
		{id, id, "", "", `{}`},
		{id, "", id, "", `{}`},
		{"0198C6A4-2B1E-7C3D-9E4F-5A6B7C8D9E0F", "", "", "", `[1, 2 ,3]`},
		{"{0198c6a4-2b1e-7c3d-9e4f-5a6b7c8d9e0f}", "", "", "", `{}`},
		{"urn:uuid:0198c6a4-2b1e-7c3d-9e4f-5a6b7c8d9e0f", "", "", "", `{}`},
		{"not-a-uuid", "", "", "", `{}`},
		{"", "0198c6a42b1e7c3d9e4f5a6b7c8d9e0f", "", "", `{}`},
		{"", "", "", "", ``},
		{"", "", "", "", `{"a":`},
		{"", "", "", "", "\"\xff\""},
		{"", "", "", "", ` null `},
		{"", "", "", string(make([]byte, 300)), `{}`},
	} {
		f.Add(s.id, s.session, s.parent, s.project, []byte(s.data))
	}
	ctx := context.Background()
	m, hot := fuzzChain(f)
	f.Fuzz(func(t *testing.T, id, session, parent, project string, data []byte) {
		before := usage(t, hot).Frames
		in := tier.Frame{ID: id, SessionID: session, ParentID: parent, ProjectID: project, Data: data}
		out, err := m.Put(ctx, in)
		if err != nil {
			if !errors.Is(err, tier.ErrInvalidFrame) {
				t.Fatalf("Put refused %+v with %v, not ErrInvalidFrame", in, err)
			}
			if after := usage(t, hot).Frames; after != before {
				t.Fatalf("a refused Put changed tier 1 from %d to %d frames", before, after)
			}
			return
		}
		got, err := m.Get(ctx, out.ID)
		if err != nil {
			t.Fatalf("Get of accepted frame %s: %v", out.ID, err)
		}
		if !bytes.Equal(got.Data, data) || got.Version != out.Version || got.ProjectID != project {
			t.Fatalf("frame %s came back as %q (version %d, project %q), stored %q (version %d, project %q)",
				out.ID, got.Data, got.Version, got.ProjectID, data, out.Version, project)
		}
		if err := m.Delete(ctx, out.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// fuzzChain opens a Manager over three in-memory tiers (durable, cache,
// durable) and returns a second handle on the first tier's store.
func fuzzChain(tb testing.TB) (*tier.Manager, *memdriver.Tier) {
	tb.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("fuzz-%d", time.Now().UnixNano())
	var specs []tier.TierSpec
	var hot *memdriver.Tier
	for i, durable := range []bool{true, false, true} {
		url := fmt.Sprintf("mem://%s-%d?durable=%t", name, i, durable)
		tr, err := tier.OpenTier(ctx, url)
		if err != nil {
			tb.Fatal(err)
		}
		if i == 0 {
			p, err := tier.OpenTier(ctx, url)
			if err != nil {
				tb.Fatal(err)
			}
			hot = p.(*memdriver.Tier)
			tb.Cleanup(func() { _ = p.Close() })
		}
		specs = append(specs, tier.TierSpec{Name: fmt.Sprintf("t%d", i+1), Tier: tr})
	}
	m, err := tier.New(ctx, tier.Config{ManualMaintenance: true, BreakerCooldown: time.Millisecond}, specs...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = m.Close() })
	return m, hot
}
