package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/stackmemoryai/tier"
)

// Environment variables read by Load and FromEnv. For each URL
// the STACKMEMORY_ name wins over the common one.
const (
	EnvRedisURL       = "STACKMEMORY_REDIS_URL"
	EnvRedisURLCommon = "REDIS_URL"
	EnvPostgresURL    = "STACKMEMORY_POSTGRES_URL"
	EnvPostgresCommon = "DATABASE_URL"
	EnvSQLitePath     = "STACKMEMORY_SQLITE_PATH"
)

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

// Load reads the config file at path ("" means DefaultConfigPath),
// applies the environment over it (FromEnv), fills defaults and
// validates the result. A missing file is not an error: the defaults apply.
// A file that is not valid JSON, has unknown fields or bad values gives an
// error wrapping tier.ErrBadConfig that names the file and the fields.
func Load(path string) (Config, error) {
	if path == "" {
		p, err := DefaultConfigPath()
		if err != nil {
			return Config{}, err
		}
		path = p
	}
	var c Config
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return Config{}, fmt.Errorf("%w: %v", tier.ErrBadConfig, err)
	default:
		defer f.Close()
		if c, err = Parse(f); err != nil {
			return Config{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	c = FromEnv(c)
	c.fillDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse decodes a config in the spec's JSON shape. Unknown fields and
// trailing data are errors wrapping tier.ErrBadConfig. It does not fill defaults
// or validate.
func Parse(r io.Reader) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return Config{}, fmt.Errorf("%w: %v", tier.ErrBadConfig, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%w: %v", tier.ErrBadConfig, describeJSONError(data, err))
	}
	if dec.More() {
		return Config{}, fmt.Errorf("%w: data after the config object", tier.ErrBadConfig)
	}
	return c, nil
}

// describeJSONError adds a line number to syntax errors.
func describeJSONError(data []byte, err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Sprintf("line %d: the JSON ends too early", 1+bytes.Count(data, []byte("\n")))
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line := 1 + bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, err)
	}
	return err.Error()
}

// FromEnv returns c with the environment applied: tier URLs from
// STACKMEMORY_REDIS_URL (else REDIS_URL) and STACKMEMORY_POSTGRES_URL (else
// DATABASE_URL), and the SQLite path from STACKMEMORY_SQLITE_PATH. Unset
// variables leave c as it is.
func FromEnv(c Config) Config {
	if u := firstEnv(EnvRedisURL, EnvRedisURLCommon); u != "" {
		c.Redis.URL = u
	}
	if u := firstEnv(EnvPostgresURL, EnvPostgresCommon); u != "" {
		c.Postgres.URL = u
	}
	if p := os.Getenv(EnvSQLitePath); p != "" {
		c.SQLite.Path = p
	}
	return c
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// Redacted returns a copy of c that is safe to print: URL passwords are
// replaced by "xxxxx".
func (c Config) Redacted() Config {
	if c.Redis.URL != "" {
		c.Redis.URL = tier.Redact(c.Redis.URL)
	}
	if c.Postgres.URL != "" {
		c.Postgres.URL = tier.Redact(c.Postgres.URL)
	}
	return c
}

// String prints the config as JSON with passwords redacted, so a Config
// can be logged safely.
func (c Config) String() string {
	b, err := json.Marshal(c.Redacted())
	if err != nil {
		return "tier.Config{?}"
	}
	return string(b)
}
