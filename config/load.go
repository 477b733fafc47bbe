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
)

// Environment variables read by LoadConfig and ConfigFromEnv. For each URL
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
		return "", fmt.Errorf("%w: no home directory to keep ~/.stackmemory in: %v", ErrBadConfig, err)
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

// LoadConfig reads the config file at path ("" means DefaultConfigPath),
// applies the environment over it (ConfigFromEnv), fills defaults and
// validates the result. A missing file is not an error: the defaults apply.
// A file that is not valid JSON, has unknown fields or bad values gives an
// error wrapping ErrBadConfig that names the file and the fields.
func LoadConfig(path string) (Config, error) {
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
		return Config{}, fmt.Errorf("%w: %v", ErrBadConfig, err)
	default:
		defer f.Close()
		if c, err = ParseConfig(f); err != nil {
			return Config{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	c = ConfigFromEnv(c)
	c.fillDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes a config in the spec's JSON shape. Unknown fields and
// trailing data are errors wrapping ErrBadConfig. It does not fill defaults
// or validate.
func ParseConfig(r io.Reader) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrBadConfig, describeJSONError(data, err))
	}
	if dec.More() {
		return Config{}, fmt.Errorf("%w: data after the config object", ErrBadConfig)
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

// ConfigFromEnv returns c with the environment applied: tier URLs from
// STACKMEMORY_REDIS_URL (else REDIS_URL) and STACKMEMORY_POSTGRES_URL (else
// DATABASE_URL), and the SQLite path from STACKMEMORY_SQLITE_PATH. Unset
// variables leave c as it is.
func ConfigFromEnv(c Config) Config {
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
		c.Redis.URL = Redact(c.Redis.URL)
	}
	if c.Postgres.URL != "" {
		c.Postgres.URL = Redact(c.Postgres.URL)
	}
	c.Chain = append([]TierSpec(nil), c.Chain...)
	for i := range c.Chain {
		if c.Chain[i].URL != "" {
			c.Chain[i].URL = Redact(c.Chain[i].URL)
		}
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
