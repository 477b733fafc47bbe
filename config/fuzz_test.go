package config_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
)

// FuzzParse feeds arbitrary files to Parse: it never panics, every error
// wraps tier.ErrBadConfig, and a config it accepts is written back by
// MarshalJSON as a storage object Parse reads to the same config.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		fullFile,
		`{}`, `{"storage": null}`, `{"storage": []}`, `{"auth": {"storage": 1}}`,
		`{"storage": {"tiers": {"sqlite": {"maxFrame": 1}}}}`,
		`{"storage": {"tiers": {"sqlite": {"maxAge": "1.5d", "maxSize": "1.5GB", "maxFrames": 0}}}}`,
		`{"storage": {"tiers": {"redis": {"ttl": 1e-9, "maxAge": 1e300}}}}`,
		`{"storage": {"policies": {"broughtUpShare": 0.3333333333333333, "evictionStrategy": "age"}}}`,
		`{"sqlite": {"maxAge": 1e400}}`, `{"redis": {"url": "http://x"}}`, `{"storage": {}, "redis": {}}`,
		"\xef\xbb\xbf{}", `[`, ``, `null`, `{"storage": {"tiers": {"postgres": {"compressionLevel": -0}}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, tier.ErrBadConfig) {
				t.Fatalf("Parse refused %q with %v, not ErrBadConfig", data, err)
			}
			return
		}
		if err := c.Validate(); err != nil && !errors.Is(err, tier.ErrBadConfig) {
			t.Fatalf("Validate of %q: %v, not ErrBadConfig", data, err)
		}
		out, err := c.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON of %q: %v", data, err)
		}
		again, err := config.Parse(strings.NewReader(`{"storage": ` + string(out) + `}`))
		if err != nil {
			t.Fatalf("Parse does not read back %s (from %q): %v", out, data, err)
		}
		if out2, _ := again.MarshalJSON(); !bytes.Equal(out, out2) {
			t.Fatalf("round trip of %q changed the config:\n%s\n%s", data, out, out2)
		}
	})
}
