package pgdriver

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stackmemoryai/tier/driver"
)

// The driver's own defaults, applied by [Open] to zero fields of
// [Options]. Each is stated once, here and in the package documentation.
const (
	// DefaultTimeout is the deadline of a call on one frame (Get, Put,
	// Delete, Ping) whose context has none: the StackMemory storage spec's
	// 200 ms for the cold tier.
	DefaultTimeout = 200 * time.Millisecond
	// DefaultBatchTimeout is the deadline of a call whose context has none
	// and whose work grows with its input: calls on many frames (GetMany,
	// PutMany, DeleteMany, GetMetas, Touch, Candidates), Query, Usage, and
	// a Get or Put of a document of at least [LargeDocument] bytes.
	DefaultBatchTimeout = 10 * time.Second
	// DefaultCompression is the brotli quality (1 to 11) of stored
	// documents: a good ratio on JSON at a cost the archive's write path
	// can afford.
	DefaultCompression = 5
	// LargeCompression is the brotli quality of documents of at least
	// [LargeDocument] bytes when Options.Compression is higher: on a
	// multi-megabyte frame document quality 3 is four times faster than
	// quality 5 (80 ms against 340 ms for 8 MiB) for a ratio of 0.071
	// against 0.053, which keeps archiving a large document cheap.
	LargeCompression = 3
	// DefaultCompressMin is the document size, in bytes, from which a
	// document is stored brotli-compressed. Below it, compressing on the
	// write path costs more archive throughput than it saves room (the row
	// also holds the JSONB copy); bytes that arrive already compressed are
	// stored compressed whatever their size.
	DefaultCompressMin = 4096
	// DefaultSearchWindow is how many of the newest matching frames a
	// full-text query ranks (see the package documentation, "Search").
	DefaultSearchWindow = 500
	// DefaultTombstoneDays is how long a delete is remembered
	// ([Store.Bury]): a month covers a laptop that was away for a
	// holiday; a tombstone costs about 100 bytes.
	DefaultTombstoneDays = 30
	// NoCompression, as Options.Compression, stores every document as is.
	NoCompression = -1
)

// Limits of the archive, not settings.
const (
	// MaxFrameSize is the largest document, in bytes, the Store accepts
	// ([Store.MaxFrameSize]); a larger one is refused with
	// driver.ErrInvalidRecord. PostgreSQL keeps up to 1 GB in a value and
	// 255 MB in a JSONB value, but a Put sends the document twice (its
	// exact bytes and the text of its JSONB copy), compresses it, and the
	// server parses the copy: a 64 MiB document takes 3.6 s to archive on
	// a two-core machine. 32 MiB, twice the manager's default frame limit,
	// keeps a Put of the largest document well within
	// [DefaultBatchTimeout]; the conformance suite round-trips documents of
	// exactly this size, high-entropy and repetitive.
	MaxFrameSize = 32 << 20
	// LargeDocument is the size from which a Get or Put runs under
	// Options.BatchTimeout instead of Options.Timeout: moving a document
	// of many megabytes takes longer than the per-call deadline allows.
	LargeDocument = 1 << 20
	// SearchIndexChars is how many characters of a document's string
	// values the search vector indexes: all of them in a typical frame,
	// the first SearchIndexChars of a larger one. PostgreSQL refuses a
	// search vector whose words take more than 1 MB, so indexing a bounded
	// prefix is what lets every document up to MaxFrameSize be stored;
	// words past the prefix are not found by [Store.Query].
	SearchIndexChars = 65536
)

// Options configures a [Store]. The zero value of every field except Pool
// means "use the default".
type Options struct {
	// Pool is the pgx pool configuration: server, credentials, TLS, pool
	// size. Required. [ParseURL] fills it from a connection URL; the caller
	// may adjust it before calling [Open].
	Pool *pgxpool.Config

	// Compression is the brotli quality (1 to 11) of compressed documents.
	// Zero means [DefaultCompression]; [NoCompression] stores every
	// document uncompressed.
	Compression int

	// CompressMin is the size in bytes from which a document is stored
	// compressed (when compression makes it smaller). Zero means
	// [DefaultCompressMin].
	CompressMin int

	// RetentionDays, when positive, makes [Store.Compact] delete frames
	// created more than that many days ago. Zero keeps frames forever.
	RetentionDays int

	// TombstoneDays is how long [Store.Compact] keeps the tombstone of a
	// buried frame ([Store.Bury]): a machine that comes back after longer
	// with a copy of a frame deleted elsewhere writes it back. Zero means
	// [DefaultTombstoneDays].
	TombstoneDays int

	// Timeout is the deadline of a call on one frame whose context has no
	// deadline. Zero means [DefaultTimeout].
	Timeout time.Duration

	// BatchTimeout is the deadline of a call on many frames, a query, or
	// a call moving a large document, whose context has no deadline. Zero
	// means [DefaultBatchTimeout].
	BatchTimeout time.Duration

	// SearchWindow is how many of the newest frames matching a full-text
	// query are ranked. Zero means [DefaultSearchWindow].
	SearchWindow int
}

// withDefaults returns o with zero fields replaced by their defaults, or an
// error wrapping driver.ErrBadDSN when a field is out of range.
func (o Options) withDefaults() (Options, error) {
	if o.Pool == nil {
		return o, fmt.Errorf("%w: pgdriver: Options.Pool is nil", driver.ErrBadDSN)
	}
	switch {
	case o.Compression == 0:
		o.Compression = DefaultCompression
	case o.Compression != NoCompression && (o.Compression < 1 || o.Compression > 11):
		return o, fmt.Errorf("%w: pgdriver: Options.Compression %d is not 1-11", driver.ErrBadDSN, o.Compression)
	}
	if o.CompressMin == 0 {
		o.CompressMin = DefaultCompressMin
	}
	for name, v := range map[string]int64{"CompressMin": int64(o.CompressMin), "RetentionDays": int64(o.RetentionDays),
		"TombstoneDays": int64(o.TombstoneDays),
		"Timeout":       int64(o.Timeout), "BatchTimeout": int64(o.BatchTimeout), "SearchWindow": int64(o.SearchWindow)} {
		if v < 0 {
			return o, fmt.Errorf("%w: pgdriver: Options.%s is negative", driver.ErrBadDSN, name)
		}
	}
	if o.TombstoneDays == 0 {
		o.TombstoneDays = DefaultTombstoneDays
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.BatchTimeout == 0 {
		o.BatchTimeout = DefaultBatchTimeout
	}
	if o.SearchWindow == 0 {
		o.SearchWindow = DefaultSearchWindow
	}
	return o, nil
}

// Parameters of the connection URL read by this package, not by pgx.
const (
	paramCompression  = "compression"
	paramCompressMin  = "compress_min"
	paramRetention    = "retention_days"
	paramTombstones   = "tombstone_days"
	paramTimeout      = "timeout"
	paramBatchTimeout = "batch_timeout"
	paramSearchWindow = "search_window"
)

// pgxParams are the URL parameters pgx and pgxpool interpret themselves.
var pgxParams = setOf(
	// libpq settings that pgconn implements.
	"host", "port", "database", "dbname", "user", "password", "passfile",
	"connect_timeout", "sslmode", "sslkey", "sslcert", "sslcertmode",
	"sslrootcert", "sslnegotiation", "sslpassword", "sslsni", "krbspn",
	"krbsrvname", "target_session_attrs", "service", "servicefile",
	"min_protocol_version", "max_protocol_version", "channel_binding",
	"require_auth",
	// pgx and pgxpool.
	"statement_cache_capacity", "description_cache_capacity",
	"default_query_exec_mode", "pool_max_conns", "pool_min_conns",
	"pool_min_idle_conns", "pool_max_conn_lifetime",
	"pool_max_conn_idle_time", "pool_health_check_period",
	"pool_max_conn_lifetime_jitter", "pool_ping_timeout",
)

// serverParams are PostgreSQL run-time settings accepted in the URL; pgx
// sends them to the server when a connection starts.
var serverParams = setOf(
	"application_name", "search_path", "statement_timeout", "lock_timeout",
	"idle_in_transaction_session_timeout", "idle_session_timeout",
	"client_encoding", "timezone", "TimeZone", "datestyle", "DateStyle",
	"work_mem", "maintenance_work_mem", "default_text_search_config",
	"jit", "synchronous_commit", "role", "default_transaction_isolation",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// ParseURL turns a postgres:// or postgresql:// URL into Options.
//
// Every setting pgx understands is honoured (sslmode, pool_max_conns,
// connect_timeout, ...), as are the server settings application_name,
// search_path, statement_timeout and the others listed in the package
// documentation. The package's own parameters are:
//
//	compression=1..11|none  brotli quality of stored documents ([DefaultCompression])
//	compress_min=BYTES      compress documents of at least this size ([DefaultCompressMin])
//	retention_days=N        Compact deletes frames older than N days (0: keep)
//	tombstone_days=N        Compact forgets deletes older than N days ([DefaultTombstoneDays])
//	timeout=DURATION        deadline of a call on one frame whose ctx has none ([DefaultTimeout])
//	batch_timeout=DURATION  the same for batch calls and queries ([DefaultBatchTimeout])
//	search_window=N         newest matches ranked by a text query ([DefaultSearchWindow])
//
// Any other parameter is rejected with an error wrapping driver.ErrBadDSN.
// Errors never contain the password.
func ParseURL(dsn string) (Options, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return Options{}, fmt.Errorf("%w: pgdriver: the connection string is not a URL", driver.ErrBadDSN)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return Options{}, fmt.Errorf("%w: pgdriver: scheme %q is not postgres or postgresql", driver.ErrBadDSN, u.Scheme)
	}
	q := u.Query()
	var o Options
	if err := o.takeOwnParams(q); err != nil {
		return Options{}, err
	}
	var unknown []string
	for k := range q {
		if !pgxParams[k] && !serverParams[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return Options{}, fmt.Errorf("%w: pgdriver: unknown URL parameter(s) %s", driver.ErrBadDSN, strings.Join(unknown, ", "))
	}
	u.RawQuery = q.Encode()
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		return Options{}, fmt.Errorf("%w: pgdriver: %s", driver.ErrBadDSN, scrub(err.Error(), secretsOf(u)))
	}
	o.Pool = cfg
	return o.withDefaults()
}

// takeOwnParams reads and removes this package's parameters from q.
func (o *Options) takeOwnParams(q url.Values) error {
	take := func(name string) (string, bool) {
		v, ok := q[name]
		delete(q, name)
		if !ok || len(v) == 0 {
			return "", false
		}
		return v[len(v)-1], true
	}
	bad := func(name, v, want string) error {
		return fmt.Errorf("%w: pgdriver: %s=%q: want %s", driver.ErrBadDSN, name, v, want)
	}
	if v, ok := take(paramCompression); ok {
		if v == "none" {
			o.Compression = NoCompression
		} else if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 11 {
			return bad(paramCompression, v, "a brotli quality 1-11 or none")
		} else {
			o.Compression = n
		}
	}
	ints := []struct {
		name string
		dst  *int
		min  int
	}{{paramCompressMin, &o.CompressMin, 1}, {paramRetention, &o.RetentionDays, 0},
		{paramTombstones, &o.TombstoneDays, 1}, {paramSearchWindow, &o.SearchWindow, 1}}
	for _, p := range ints {
		if v, ok := take(p.name); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < p.min {
				return bad(p.name, v, fmt.Sprintf("an integer >= %d", p.min))
			}
			*p.dst = n
		}
	}
	durations := []struct {
		name string
		dst  *time.Duration
	}{{paramTimeout, &o.Timeout}, {paramBatchTimeout, &o.BatchTimeout}}
	for _, p := range durations {
		if v, ok := take(p.name); ok {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return bad(p.name, v, "a positive duration like 200ms")
			}
			*p.dst = d
		}
	}
	return nil
}

// secretsOf returns the password forms that may appear in messages about u.
func secretsOf(u *url.URL) []string {
	var s []string
	if p, ok := u.User.Password(); ok && p != "" {
		s = append(s, p, url.QueryEscape(p), url.PathEscape(p))
	}
	if p := u.Query().Get("password"); p != "" {
		s = append(s, p, url.QueryEscape(p))
	}
	return s
}

// scrub replaces every secret in msg by "xxxxx".
func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	return msg
}
