package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/stackmemoryai/tier"
)

// maxFileSize bounds what Parse reads: config.json is small.
const maxFileSize = 1 << 20

// DefaultDir returns ~/.stackmemory, where the default frames.db and
// config.json live.
func DefaultDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("%w: no home directory to keep ~/.stackmemory in: %v", tier.ErrBadConfig, err)
	}
	return filepath.Join(home, ".stackmemory"), nil
}

// DefaultConfigPath returns ~/.stackmemory/config.json.
func DefaultConfigPath() (string, error) {
	dir, err := DefaultDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "config.json"), nil
}

// Load reads the `storage` object of the config file at path ("" means
// [DefaultConfigPath]), applies the environment over it ([FromEnv]), fills
// the defaults and validates the result. The file is only read, never
// written. A missing file is not an error: the defaults apply.
//
// Errors wrap tier.ErrBadConfig and name what to fix: the file and the
// field path (storage.tiers.sqlite.maxAge), or the environment variable.
func Load(path string) (Config, error) {
	if path == "" {
		p, err := DefaultConfigPath()
		if err != nil {
			return Config{}, err
		}
		path = p
	}
	var c Config
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return Config{}, fmt.Errorf("%w: %v", tier.ErrBadConfig, err)
	default:
		if c, err = Parse(bytes.NewReader(data)); err != nil {
			return Config{}, fmt.Errorf("%s: %w", path, err)
		}
		if len(c.flatKeys) > 0 {
			slog.Warn("tier config: config.json uses the flat layout of earlier releases; it still works, but move its settings under \"storage\" (the spec's TierConfig: storage.tiers.sqlite, storage.tiers.redis.connectionString, storage.policies ...)",
				"file", path, "keys", c.flatKeys)
		}
	}
	if c, err = FromEnv(c); err != nil {
		return Config{}, err
	}
	c.fillDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Parse reads StackMemory's config.json and returns its `storage` object,
// the spec's TierConfig. The other top-level keys belong to other parts
// of StackMemory and are ignored. Inside `storage`, an unknown key is an
// error naming its path.
//
// A file without a `storage` key but with the flat layout of earlier
// releases (top-level "sqlite", "redis", "postgres", "syncInterval" ...,
// durations in milliseconds) is read as before (Load logs a warning to
// slog.Default()); a file with both is refused.
//
// Errors wrap tier.ErrBadConfig and name every bad field. Parse does not
// apply the environment, fill defaults or validate.
func Parse(r io.Reader) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("%w: %v", tier.ErrBadConfig, err)
	}
	if len(data) > maxFileSize {
		return Config{}, fmt.Errorf("%w: the file is larger than %d bytes", tier.ErrBadConfig, maxFileSize)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return Config{}, fmt.Errorf("%w: %v", tier.ErrBadConfig, describeJSONError(data, err))
	}
	if top == nil {
		return Config{}, fmt.Errorf("%w: the file holds null, not a JSON object", tier.ErrBadConfig)
	}
	var flat []string
	for _, k := range legacyKeys {
		if _, ok := top[k]; ok {
			flat = append(flat, k)
		}
	}
	var errs []error
	var c Config
	storage, ok := top["storage"]
	switch {
	case ok && len(flat) > 0:
		return Config{}, fmt.Errorf("%w: the file has both \"storage\" and the earlier top-level layout (%q): move those settings into storage.tiers and storage.policies",
			tier.ErrBadConfig, flat)
	case ok:
		c = decodeStorage(storage, &errs)
	case len(flat) > 0:
		c = decodeLegacy(top, &errs)
		c.flatKeys = flat
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("%w: %w", tier.ErrBadConfig, errors.Join(errs...))
	}
	return c, nil
}

// describeJSONError adds a line number to syntax errors.
func describeJSONError(data []byte, err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) || len(bytes.TrimSpace(data)) == 0 {
		return fmt.Sprintf("line %d: the JSON ends too early", 1+bytes.Count(data, []byte("\n")))
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line := 1 + bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, err)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return "the file must hold a JSON object {...}"
	}
	return err.Error()
}

// The members of each object of the spec's layout, and what the library
// adds beside them.
var (
	storageKeys  = []string{"enabled", "tiers", "policies", "breakerCooldown", "maxFrameSize", "statePath"}
	tiersKeys    = []string{"sqlite", "redis", "postgres"}
	sqliteKeys   = []string{"path", "maxSize", "maxFrames", "maxAge", "busyTimeout"}
	redisKeys    = []string{"enabled", "connectionString", "ttl", "maxSize", "maxFrames", "maxAge", "keyPrefix", "durable", "timeout", "batchTimeout"}
	postgresKeys = []string{"enabled", "connectionString", "compressionLevel", "compressMin", "retentionDays", "tombstoneDays", "timeout", "batchTimeout"}
	policiesKeys = []string{"promotionThreshold", "promotionWindow", "evictionStrategy", "backgroundSync", "syncInterval", "promotion", "prefetch", "broughtUpShare"}
)

// Field paths of the values that may also come from the environment.
const (
	fieldSQLitePath  = "storage.tiers.sqlite.path"
	fieldRedisURL    = "storage.tiers.redis.connectionString"
	fieldPostgresURL = "storage.tiers.postgres.connectionString"
)

// decodeStorage decodes the storage object. In the file, 0 as a tier's
// limit means no limit, and settings that must be positive refuse 0.
func decodeStorage(raw json.RawMessage, errs *[]error) Config {
	var c Config
	s, ok := newObject(raw, "storage", errs, storageKeys)
	if !ok {
		return c
	}
	get(s, "enabled", &c.Enabled, parseBoolPtr)
	get(s, "breakerCooldown", &c.BreakerCooldown, checked(parseDuration, positive))
	get(s, "maxFrameSize", &c.MaxFrameSize, checked(parseSize, positive))
	get(s, "statePath", &c.StatePath, parseText)

	tiers, _ := s.child("tiers", tiersKeys)
	if o, ok := tiers.child("sqlite", sqliteKeys); ok {
		if get(o, "path", &c.SQLite.Path, parseText) {
			c.from.sqlite = source{c.SQLite.Path, fieldSQLitePath}
		}
		get(o, "maxSize", &c.SQLite.MaxSize, limit(parseSize))
		get(o, "maxFrames", &c.SQLite.MaxFrames, limit(parseCount))
		get(o, "maxAge", &c.SQLite.MaxAge, limit(parseDuration))
		get(o, "busyTimeout", &c.SQLite.BusyTimeout, checked(parseDuration, positive))
	}
	if o, ok := tiers.child("redis", redisKeys); ok {
		get(o, "enabled", &c.Redis.Enabled, parseBoolPtr)
		if get(o, "connectionString", &c.Redis.URL, parseText) {
			c.from.redis = source{c.Redis.URL, fieldRedisURL}
		}
		get(o, "ttl", &c.Redis.TTL, checked(parseDuration, positive))
		get(o, "maxSize", &c.Redis.MaxSize, limit(parseSize))
		get(o, "maxFrames", &c.Redis.MaxFrames, limit(parseCount))
		get(o, "maxAge", &c.Redis.MaxAge, limit(parseDuration))
		get(o, "keyPrefix", &c.Redis.KeyPrefix, checked(parseText, nonEmpty))
		get(o, "durable", &c.Redis.Durable, parseBool)
		get(o, "timeout", &c.Redis.Timeout, checked(parseDuration, positive))
		get(o, "batchTimeout", &c.Redis.BatchTimeout, checked(parseDuration, positive))
	}
	if o, ok := tiers.child("postgres", postgresKeys); ok {
		get(o, "enabled", &c.Postgres.Enabled, parseBoolPtr)
		if get(o, "connectionString", &c.Postgres.URL, parseText) {
			c.from.postgres = source{c.Postgres.URL, fieldPostgresURL}
		}
		var level int
		if get(o, "compressionLevel", &level, parseInt) {
			c.Postgres.CompressionLevel = &level
		}
		if get(o, "compressMin", &c.Postgres.CompressMin, parseSize) && c.Postgres.CompressMin == 0 {
			c.Postgres.CompressMin = 1 // 0 and 1 both compress every document
		}
		get(o, "retentionDays", &c.Postgres.RetentionDays, parseInt)
		get(o, "tombstoneDays", &c.Postgres.TombstoneDays, parseInt)
		get(o, "timeout", &c.Postgres.Timeout, checked(parseDuration, positive))
		get(o, "batchTimeout", &c.Postgres.BatchTimeout, checked(parseDuration, positive))
	}

	if p, ok := s.child("policies", policiesKeys); ok {
		get(p, "promotionThreshold", &c.PromotionThreshold, checked(parseInt, positive))
		get(p, "promotionWindow", &c.PromotionWindow, checked(parseDuration, positive))
		get(p, "evictionStrategy", &c.EvictionStrategy, parsePolicy)
		get(p, "backgroundSync", &c.BackgroundSync, parseBoolPtr)
		get(p, "syncInterval", &c.SyncInterval, checked(parseDuration, positive))
		var on bool
		if get(p, "promotion", &on, parseBool) {
			c.NoPromotion = !on
		}
		if get(p, "prefetch", &on, parseBool) {
			c.NoPrefetch = !on
		}
		get(p, "broughtUpShare", &c.BroughtUpShare, checked(parseFloat, positive))
	}
	return c
}

func nonEmpty(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	return nil
}
