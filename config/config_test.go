package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
)

// clearEnv unsets every variable Load reads, so that the machine's own
// environment does not leak into a test.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{
		config.EnvRedisURL, config.EnvPostgresURL, config.EnvSQLitePath,
		config.EnvUseGenericURLs, config.EnvGenericRedisURL, config.EnvGenericPostgresURL,
	} {
		t.Setenv(name, "")
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// loadString writes body as a config.json and loads it.
func loadString(t *testing.T, body string) (config.Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json")
	writeFile(t, path, body)
	return config.Load(path)
}

// fieldOf returns the field path of the first *tier.FieldError in err.
func fieldOf(err error) string {
	var fe *tier.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

func TestDefaultIsSQLiteAloneWithTheSpecLimits(t *testing.T) {
	c := config.Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	tc, err := c.Tier()
	if err != nil {
		t.Fatal(err)
	}
	if len(tc.Tiers) != 1 || tc.Tiers[0].Scheme != "sqlite" {
		t.Fatalf("default chain = %v, want SQLite alone", tc.Tiers)
	}
	want := tier.Limits{MaxFrames: 1000, MaxBytes: 500_000_000, MaxIdle: 24 * time.Hour}
	if tc.Tiers[0].Limits != want {
		t.Errorf("tier 1 limits = %+v, want %+v", tc.Tiers[0].Limits, want)
	}
	if tc.EvictionStrategy != tier.LRU || tc.ManualMaintenance || tc.SyncInterval != time.Minute ||
		tc.PromotionThreshold != tier.DefaultPromotionThreshold || tc.MaxFrameSize != 0 {
		t.Errorf("movement defaults = %+v", tc)
	}
	home, _ := os.UserHomeDir()
	if want := filepath.Join(home, ".stackmemory", "tier-state.db"); tc.StatePath != want {
		t.Errorf("state file = %s, want %s", tc.StatePath, want)
	}
}

// A config.json as StackMemory writes it: other parts' keys beside the
// spec's TierConfig under "storage", with every field set.
const fullFile = `{
  "version": "0.3.1",
  "auth": {"token": "not ours", "provider": "github"},
  "projects": [{"name": "api", "path": "/src/api"}],
  "storage": {
    "enabled": true,
    "tiers": {
      "sqlite": {"maxSize": "50MB", "maxFrames": 200, "maxAge": 3600, "busyTimeout": "2s"},
      "redis": {"enabled": true, "connectionString": "redis://:filepw@127.0.0.1:6379/0", "ttl": 7200,
                "maxSize": 4096, "maxFrames": 300, "maxAge": "3d", "keyPrefix": "cfgtest:", "timeout": "80ms", "batchTimeout": 3},
      "postgres": {"enabled": true, "connectionString": "postgres://u:filepw@127.0.0.1/db", "compressionLevel": 9,
                   "compressMin": "1KiB", "retentionDays": 90, "timeout": 0.5, "batchTimeout": "20s"}
    },
    "policies": {"promotionThreshold": 5, "promotionWindow": "2h", "evictionStrategy": "lfu", "backgroundSync": false,
                 "syncInterval": 30, "promotion": false, "prefetch": false, "broughtUpShare": 0.5},
    "breakerCooldown": "750ms",
    "maxFrameSize": "8MB",
    "statePath": "STATE"
  }
}`

func TestEveryFieldOfTheFileReachesTheChain(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state.db")
	c, err := loadString(t, strings.Replace(fullFile, "STATE", state, 1))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := c.Tier()
	if err != nil {
		t.Fatal(err)
	}
	if len(tc.Tiers) != 3 {
		t.Fatalf("chain = %v, want sqlite, redis, postgres", tc.Tiers)
	}
	for i, want := range []struct {
		name, scheme string
		limits       tier.Limits
	}{
		{"sqlite", "sqlite", tier.Limits{MaxFrames: 200, MaxBytes: 50_000_000, MaxIdle: time.Hour}},
		{"redis", "redis", tier.Limits{MaxFrames: 300, MaxBytes: 4096, MaxIdle: 72 * time.Hour}},
		{"postgres", "postgres", tier.Limits{}},
	} {
		s := tc.Tiers[i]
		if s.Name != want.name || s.Scheme != want.scheme || s.Limits != want.limits || s.Open == nil || s.URL != "" {
			t.Errorf("tier %d = %s scheme %s limits %+v, want %s scheme %s limits %+v, opened by its driver's options",
				i+1, s.Name, s.Scheme, s.Limits, want.name, want.scheme, want.limits)
		}
	}
	if tc.PromotionThreshold != 5 || tc.PromotionWindow != 2*time.Hour || tc.EvictionStrategy != tier.LFU ||
		!tc.ManualMaintenance || tc.SyncInterval != 30*time.Second || !tc.NoPromotion || !tc.NoPrefetch ||
		tc.BroughtUpShare != 0.5 || tc.BreakerCooldown != 750*time.Millisecond || tc.MaxFrameSize != 8_000_000 ||
		tc.StatePath != state {
		t.Errorf("tier.Config = %+v", tc)
	}
	if s := c.String(); strings.Contains(s, "filepw") {
		t.Errorf("String() shows a password: %s", s)
	}
}

func TestParseRoundTripsThroughMarshalJSON(t *testing.T) {
	clearEnv(t)
	c, err := loadString(t, fullFile)
	if err != nil {
		t.Fatal(err)
	}
	c.SQLite.MaxFrames = config.NoLimit
	b, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	again, err := config.Parse(strings.NewReader(`{"storage": ` + string(b) + `}`))
	if err != nil {
		t.Fatalf("Parse(MarshalJSON) = %v\n%s", err, b)
	}
	b2, _ := again.MarshalJSON()
	if string(b) != string(b2) {
		t.Errorf("round trip changed the config:\n%s\n%s", b, b2)
	}
	if again.SQLite.MaxFrames != config.NoLimit {
		t.Errorf("NoLimit came back as %d", again.SQLite.MaxFrames)
	}
}

func TestOtherPartsKeysAloneAreDefaults(t *testing.T) {
	clearEnv(t)
	c, err := loadString(t, `{"version": "1", "auth": {"x": 1}, "projects": [], "telemetry": false}`)
	if err != nil {
		t.Fatalf("a config.json without storage is refused: %v", err)
	}
	if c.SQLite.MaxFrames != config.DefaultSQLiteMaxFrames || c.Redis.URL != "" {
		t.Errorf("config = %s, want the defaults", c)
	}
}

func TestMissingFileMeansDefaults(t *testing.T) {
	clearEnv(t)
	c, err := config.Load(filepath.Join(t.TempDir(), "none.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.SQLite.MaxFrames != config.DefaultSQLiteMaxFrames || c.Redis.URL != "" {
		t.Fatalf("config without a file = %s", c)
	}
}

func TestUnknownKeysInsideStorageAreRefusedWithTheirPath(t *testing.T) {
	clearEnv(t)
	for body, want := range map[string]struct{ field, hint string }{
		`{"storage": {"tiers": {"sqlite": {"maxFrame": 10}}}}`:                          {"storage.tiers.sqlite.maxFrame", `"maxFrames"`},
		`{"storage": {"tiers": {"redis": {"url": "redis://h/0"}}}}`:                     {"storage.tiers.redis.url", `"connectionString"`},
		`{"storage": {"tier": {}}}`:                                                     {"storage.tier", `"tiers"`},
		`{"storage": {"policies": {"evictionPolicy": "LRU"}}}`:                          {"storage.policies.evictionPolicy", "the fields here are "},
		`{"storage": {"policies": {"eviction": "lru"}}}`:                                {"storage.policies.eviction", `"evictionStrategy"`},
		`{"storage": {"tiers": {"memcached": {}}}}`:                                     {"storage.tiers.memcached", "the fields here are postgres, redis, sqlite"},
		`{"auth": {"anything": 1}, "storage": {"tiers": {"sqlite": {"MaxFrames": 1}}}}`: {"storage.tiers.sqlite.MaxFrames", `"maxFrames"`},
	} {
		_, err := loadString(t, body)
		if !errors.Is(err, tier.ErrBadConfig) || fieldOf(err) != want.field || !strings.Contains(err.Error(), want.hint) {
			t.Errorf("%s: Load = %v (field %q); want ErrBadConfig naming %s, hinting %s", body, err, fieldOf(err), want.field, want.hint)
		}
	}
}

func TestBadValuesNameTheirFieldAndShowWhatWasWritten(t *testing.T) {
	clearEnv(t)
	for body, want := range map[string]struct{ field, shown string }{
		`{"storage": {"tiers": {"sqlite": {"maxAge": "abc"}}}}`:                                                 {"storage.tiers.sqlite.maxAge", `"abc"`},
		`{"storage": {"tiers": {"sqlite": {"maxSize": "lots"}}}}`:                                               {"storage.tiers.sqlite.maxSize", `"lots"`},
		`{"storage": {"tiers": {"redis": {"ttl": "soon"}}}}`:                                                    {"storage.tiers.redis.ttl", `"soon"`},
		`{"storage": {"tiers": {"redis": {"ttl": 0}}}}`:                                                         {"storage.tiers.redis.ttl", "more than 0"},
		`{"storage": {"tiers": {"sqlite": {"maxFrames": "many"}}}}`:                                             {"storage.tiers.sqlite.maxFrames", `"many"`},
		`{"storage": {"tiers": {"sqlite": {"maxFrames": 2.5}}}}`:                                                {"storage.tiers.sqlite.maxFrames", "2.5"},
		`{"storage": {"tiers": {"sqlite": {"maxFrames": -1}}}}`:                                                 {"storage.tiers.sqlite.maxFrames", "negative"},
		`{"storage": {"policies": {"evictionStrategy": "RANDOM"}}}`:                                             {"storage.policies.evictionStrategy", `"RANDOM"`},
		`{"storage": {"policies": {"syncInterval": "10ms"}}}`:                                                   {"storage.policies.syncInterval", "at least 1s"},
		`{"storage": {"policies": {"backgroundSync": "yes"}}}`:                                                  {"storage.policies.backgroundSync", `"yes"`},
		`{"storage": {"policies": {"broughtUpShare": 1.5}}}`:                                                    {"storage.policies.broughtUpShare", "1.5"},
		`{"storage": {"tiers": {"postgres": {"compressionLevel": 12}}}}`:                                        {"storage.tiers.postgres.compressionLevel", "12"},
		`{"storage": {"tiers": {"sqlite": {"maxAge": "7d"}, "redis": {"maxAge": "1d"}}}}`:                       {"storage.tiers.redis.maxAge", "1d"},
		`{"storage": {"tiers": {"redis": {"keyPrefix": "{sm}"}}}}`:                                              {"storage.tiers.redis.keyPrefix", `"{sm}"`},
		`{"storage": {"tiers": {"redis": {"connectionString": 6379}}}}`:                                         {"storage.tiers.redis.connectionString", "6379"},
		`{"storage": {"tiers": "sqlite"}}`:                                                                      {"storage.tiers", `"sqlite"`},
		`{"storage": {"tiers": {"redis": {"enabled": true}}}}`:                                                  {"storage.tiers.redis.connectionString", config.EnvRedisURL},
		`{"storage": {"maxFrameSize": "64MB", "tiers": {"postgres": {"connectionString": "postgres://h/db"}}}}`: {"storage.maxFrameSize", "PostgreSQL"},
		`{"storage": {"tiers": {"redis": {"connectionString": "localhost:6379"}}}}`:                             {"storage.tiers.redis.connectionString", "is not redis"},
		`{"storage": {"tiers": {"redis": {"connectionString": "redis://h/0?prefix=a:", "keyPrefix": "b:"}}}}`:   {"storage.tiers.redis.keyPrefix", "prefix="},
	} {
		_, err := loadString(t, body)
		if !errors.Is(err, tier.ErrBadConfig) || fieldOf(err) != want.field || !strings.Contains(err.Error(), want.shown) {
			t.Errorf("%s:\n Load = %v\n field %q; want ErrBadConfig naming %s and showing %s", body, err, fieldOf(err), want.field, want.shown)
		}
	}
}

func TestEveryBadFieldIsReportedAtOnce(t *testing.T) {
	clearEnv(t)
	_, err := loadString(t, `{"storage": {"tiers": {"sqlite": {"maxAge": "abc", "maxSize": "lots"}, "redis": {"ttl": "soon"}},
		"policies": {"evictionStrategy": "MRU"}}}`)
	for _, field := range []string{"storage.tiers.sqlite.maxAge", "storage.tiers.sqlite.maxSize", "storage.tiers.redis.ttl", "storage.policies.evictionStrategy"} {
		if err == nil || !strings.Contains(err.Error(), field+":") {
			t.Errorf("error %v does not name %s", err, field)
		}
	}
}

func TestBrokenJSONIsRefusedWithItsLine(t *testing.T) {
	clearEnv(t)
	for body, want := range map[string]string{
		"{\n\"storage\": ":     "line 2",
		"{} {}":                "line 1",
		"[1]":                  "JSON object",
		"null":                 "null",
		"":                     "ends too early",
		"{\n\n\"storage\": ]}": "line 3",
	} {
		_, err := loadString(t, body)
		if !errors.Is(err, tier.ErrBadConfig) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "config.json") {
			t.Errorf("%q: Load = %v; want ErrBadConfig naming the file and %q", body, err, want)
		}
	}
}

func TestEvictionStrategyInAnyCase(t *testing.T) {
	clearEnv(t)
	for in, want := range map[string]tier.Policy{"lru": tier.LRU, "Lfu": tier.LFU, "AGE": tier.AGE} {
		c, err := loadString(t, `{"storage": {"policies": {"evictionStrategy": "`+in+`"}}}`)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		tc, err := c.Tier()
		if err != nil || tc.EvictionStrategy != want {
			t.Errorf("%q: strategy %q, %v; want %q", in, tc.EvictionStrategy, err, want)
		}
	}
	c := config.Default()
	c.EvictionStrategy = "lfu" // set in code, like tier.ParsePolicy accepts it
	if tc, err := c.Tier(); err != nil || tc.EvictionStrategy != tier.LFU {
		t.Errorf("lower-case policy in code: %q, %v", tc.EvictionStrategy, err)
	}
}

func TestZeroLimitsInTheFileMeanNoLimit(t *testing.T) {
	clearEnv(t)
	c, err := loadString(t, `{"storage": {"tiers": {"sqlite": {"maxFrames": 0, "maxSize": 0, "maxAge": 0},
		"redis": {"connectionString": "redis://127.0.0.1:6379/0", "maxSize": 0, "maxAge": 0}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := c.Tier()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tc.Tiers {
		if s.Limits != (tier.Limits{}) {
			t.Errorf("%s limits = %+v, want none", s.Name, s.Limits)
		}
	}
}

func TestDisabledStorageOrTierLeavesItOut(t *testing.T) {
	clearEnv(t)
	for body, want := range map[string][]string{
		`{"storage": {"enabled": false, "tiers": {"redis": {"connectionString": "redis://h/0"}, "postgres": {"connectionString": "postgres://h/db"}}}}`:  {"sqlite"},
		`{"storage": {"tiers": {"redis": {"enabled": false, "connectionString": "redis://h/0"}, "postgres": {"connectionString": "postgres://h/db"}}}}`:  {"sqlite", "postgres"},
		`{"storage": {"tiers": {"redis": {"connectionString": "rediss://h/0"}, "postgres": {"enabled": false, "connectionString": "postgres://h/db"}}}}`: {"sqlite", "redis"},
		`{"storage": {"enabled": false, "tiers": {"redis": {"connectionString": "redis://h/0?bogus=1"}}}}`:                                               {"sqlite"},
	} {
		c, err := loadString(t, body)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		tc, err := c.Tier()
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		var got []string
		for _, s := range tc.Tiers {
			got = append(got, s.Name)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: chain %v, want %v", body, got, want)
		}
	}
}

func TestTheFlatLayoutOfEarlierReleasesStillWorks(t *testing.T) {
	clearEnv(t)
	c, err := loadString(t, `{"auth": {}, "sqlite": {"maxFrames": 200, "maxAge": 3600000},
		"redis": {"url": "redis://127.0.0.1:6379/0", "ttl": 3600}, "syncInterval": 30000, "evictionStrategy": "LFU"}`)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := c.Tier()
	if err != nil {
		t.Fatal(err)
	}
	if len(tc.Tiers) != 2 || tc.Tiers[0].Limits.MaxIdle != time.Hour || tc.Tiers[0].Limits.MaxFrames != 200 ||
		tc.SyncInterval != 30*time.Second || tc.EvictionStrategy != tier.LFU || time.Duration(c.Redis.TTL) != time.Hour {
		t.Errorf("flat layout read as %+v", tc)
	}
	_, err = loadString(t, `{"storage": {}, "sqlite": {"maxFrames": 200}}`)
	if !errors.Is(err, tier.ErrBadConfig) || !strings.Contains(err.Error(), `"sqlite"`) {
		t.Errorf("a file with both layouts: %v; want ErrBadConfig naming the flat keys", err)
	}
}

func TestLoadNeverWritesTheFile(t *testing.T) {
	clearEnv(t)
	path := filepath.Join(t.TempDir(), "config.json")
	writeFile(t, path, fullFile)
	before, _ := os.Stat(path)
	if _, err := config.Load(path); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(path)
	data, _ := os.ReadFile(path)
	if string(data) != fullFile || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("Load changed config.json")
	}
}

func TestValidateNamesFieldsSetInCode(t *testing.T) {
	c := config.Config{PromotionThreshold: -1, EvictionStrategy: "MRU", SyncInterval: config.Duration(time.Millisecond)}
	c.SQLite.MaxFrames = -5
	c.Redis.URL = "http://not-redis"
	err := c.Validate()
	for _, field := range []string{"storage.policies.promotionThreshold", "storage.policies.evictionStrategy",
		"storage.policies.syncInterval", "storage.tiers.sqlite.maxFrames", "Config.Redis.URL"} {
		if err == nil || !strings.Contains(err.Error(), field+":") {
			t.Errorf("Validate error %v does not name %s", err, field)
		}
	}
}

func TestUnitsAcceptHumanForms(t *testing.T) {
	for in, want := range map[string]config.ByteSize{"500MB": 500 * config.MB, "64KiB": 64 << 10, "1.5gb": 1500 * config.MB, "1024": 1024} {
		if got, err := config.ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]time.Duration{"24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "50ms": 50 * time.Millisecond, "90": 90 * time.Second} {
		if got, err := config.ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"soon", "-1h", "1e400", ""} {
		if _, err := config.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
	// A refused size says why: not a size, negative, or too large.
	for in, why := range map[string]string{"lots": "units: B, KB", "5PB": "units: B, KB", "-5MB": "must not be negative",
		"99999999TB": "more than the largest size"} {
		if _, err := config.ParseByteSize(in); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("ParseByteSize(%q) = %v; want an error saying %q", in, err, why)
		}
	}
}
