package tier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// Config is a chain of tiers and the settings of the movement between
// them. A zero field means its default. Hosts that run StackMemory's own
// configuration (~/.stackmemory/config.json and the environment) build a
// Config with package [github.com/stackmemoryai/tier/config], which knows
// the standard drivers; this package knows none.
type Config struct {
	// Tiers is the chain, first (hottest) to last. At least one.
	Tiers []TierSpec

	// PromotionThreshold is how many reads within PromotionWindow bring a
	// frame from a lower tier back to tier 1. Default 3.
	PromotionThreshold int
	// PromotionWindow is the window PromotionThreshold counts reads in.
	// Default 1 hour.
	PromotionWindow time.Duration
	// NoPromotion turns promotion off: frames read from a lower tier stay
	// there.
	NoPromotion bool
	// NoPrefetch turns pre-fetch off: a read from a lower tier does not
	// warm the frame's parents and the newest frames of its session.
	NoPrefetch bool
	// BroughtUpShare is the share of tier 1's limits that copies brought
	// up from lower tiers (promotion, pre-fetch, Warm) may hold, between 0
	// and 1. Default DefaultBroughtUpShare.
	BroughtUpShare float64
	// ReplicationLag bounds how soon a frame written to tier 1 is copied
	// to the shared tiers below (the first durable tier, and the cache
	// above it), in the background and in batches; another machine can
	// read it from then on, and demoting it later is a local delete.
	// Default DefaultReplicationLag.
	ReplicationLag time.Duration
	// NoReplication turns early replication off: frames reach the tiers
	// below only when they are demoted. A machine that shares no tier
	// with others and rarely demotes saves the writes; another machine
	// then cannot read a frame until it is demoted, and a lost disk loses
	// what was not demoted.
	NoReplication bool
	// EvictionStrategy picks which frames leave a full tier first: LRU
	// (default), LFU or AGE.
	EvictionStrategy Policy
	// ManualMaintenance turns the background loop off: demotion, healing
	// and catch-up run only when the host calls Maintain, Migrate or
	// Compact.
	ManualMaintenance bool
	// SyncInterval is the pause between background cycles. Default 1
	// minute.
	SyncInterval time.Duration
	// BreakerCooldown is how long a tier's circuit breaker, once tripped,
	// fails calls at once before it lets one probe through. Default 2s.
	BreakerCooldown time.Duration
	// MaxFrameSize is the largest document Put accepts. Default
	// DefaultMaxFrameSize, or the smallest limit of the chain's tiers
	// when a tier holds less; a larger value than a tier holds is refused.
	MaxFrameSize int64

	// StatePath is the file of the manager's own bookkeeping (move
	// journal, outbox, mover lease, statistics), shared by the processes
	// that use the same tiers. Default: in memory, for this process only.
	StatePath string
	// Logger receives the library's log events. Default: slog.Default().
	Logger *slog.Logger
	// Hooks let a host feed its own metrics and traces.
	Hooks Hooks
}

// TierSpec describes one tier of the chain.
type TierSpec struct {
	// Name shows in errors, Status and Stats; default the URL scheme.
	Name string
	// URL opens the tier through the registry ([OpenTier]); while the
	// store is unreachable the manager runs without it and opens it later.
	// Ignored when Tier is set.
	URL string
	// Tier is an already open tier; the Manager closes it on Close.
	Tier driver.Tier
	// Open, when Tier and URL are not set, opens the tier: for a host (or
	// package config) that builds a driver's options in code rather than
	// in a URL. While it fails with an error wrapping ErrUnavailable, the
	// manager runs without the tier and calls it again later. It must
	// return a nil Tier with any error.
	Open func(ctx context.Context) (driver.Tier, error)
	// Scheme names the driver in Status when the tier is not opened from a
	// URL; default "tierN".
	Scheme string
	// Limits the manager enforces by moving frames to the next tier.
	Limits Limits
	// Timeout, when set, bounds each call to the tier on one frame (calls
	// on many frames get ten times as long, at least 5s), on top of the
	// driver's own deadlines. Default: none; each driver applies its own.
	Timeout time.Duration
}

// String describes the tier with its URL's password redacted, so that a
// TierSpec or a Config can be printed.
func (s TierSpec) String() string {
	out := s.Name
	if s.URL != "" {
		out += " " + Redact(s.URL)
	}
	if s.Tier != nil {
		out += fmt.Sprintf(" (open %T)", s.Tier)
	}
	return strings.TrimSpace(out)
}

// Limits are the budgets of a tier. A zero field means no limit. The last
// tier of a chain keeps everything it is given whatever its limits.
type Limits struct {
	MaxFrames int64 `json:"max_frames"`
	MaxBytes  int64 `json:"max_bytes"`
	// MaxIdle moves frames not read for this long.
	MaxIdle time.Duration `json:"max_idle_ns"`
}

// Defaults of the movement settings.
const (
	DefaultPromotionThreshold = 3
	DefaultPromotionWindow    = time.Hour
	DefaultSyncInterval       = time.Minute
	DefaultBreakerCooldown    = 2 * time.Second
	DefaultReplicationLag     = time.Second
	// DefaultBroughtUpShare lets copies brought up hold a fifth of tier 1:
	// enough for the sessions an agent is working on to stay local, while
	// four fifths remain for what it writes, so reading old work never
	// pushes new work out.
	DefaultBroughtUpShare = 0.2
)

func (c *Config) fillDefaults() {
	setIfZero(&c.PromotionThreshold, DefaultPromotionThreshold)
	setIfZero(&c.PromotionWindow, DefaultPromotionWindow)
	setIfZero(&c.EvictionStrategy, LRU)
	setIfZero(&c.SyncInterval, DefaultSyncInterval)
	setIfZero(&c.BreakerCooldown, DefaultBreakerCooldown)
	setIfZero(&c.BroughtUpShare, DefaultBroughtUpShare)
	setIfZero(&c.ReplicationLag, DefaultReplicationLag)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

func setIfZero[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Validate checks c after filling defaults and reports every bad field at
// once: the error wraps ErrBadConfig and one *FieldError per field.
func (c Config) Validate() error {
	c.fillDefaults()
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: "Config." + field, Reason: fmt.Sprintf(format, args...)})
	}
	if len(c.Tiers) == 0 {
		bad("Tiers", "the chain needs at least one tier (package config builds StackMemory's default chain)")
	}
	for i, s := range c.Tiers {
		field := fmt.Sprintf("Tiers[%d]", i)
		if s.Tier == nil && s.URL == "" && s.Open == nil {
			bad(field, "needs a URL, an Open function or an open Tier")
		}
		if s.Limits.MaxFrames < 0 || s.Limits.MaxBytes < 0 || s.Limits.MaxIdle < 0 {
			bad(field+".Limits", "must not be negative")
		}
		if s.Timeout < 0 {
			bad(field+".Timeout", "must not be negative")
		}
	}
	if c.PromotionThreshold < 1 {
		bad("PromotionThreshold", "must be at least 1")
	}
	if c.PromotionWindow < 0 {
		bad("PromotionWindow", "must not be negative")
	}
	if c.BroughtUpShare < 0 || c.BroughtUpShare > 1 {
		bad("BroughtUpShare", "%v is outside 0-1", c.BroughtUpShare)
	}
	if !validPolicy(c.EvictionStrategy) {
		bad("EvictionStrategy", "%q is not one of LRU, LFU, AGE", string(c.EvictionStrategy))
	}
	if c.SyncInterval < time.Second {
		bad("SyncInterval", "must be at least one second")
	}
	if c.ReplicationLag < 0 {
		bad("ReplicationLag", "must not be negative")
	}
	if c.BreakerCooldown < 0 {
		bad("BreakerCooldown", "must not be negative")
	}
	if c.MaxFrameSize < 0 || c.MaxFrameSize == 1 {
		bad("MaxFrameSize", "must be at least 2 bytes")
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrBadConfig, errors.Join(errs...))
}

// Hooks are optional callbacks for a host's own metrics and traces. Each
// may be nil. They are called synchronously, from any goroutine, so they
// must be fast and safe for concurrent use; they must not call the
// Manager. Package [github.com/stackmemoryai/tier/tierotel] wires them to
// OpenTelemetry.
type Hooks struct {
	// Start is called when an operation begins: [OpGet], [OpPut],
	// [OpQuery], [OpDelete], or [OpMove] for frames moved by the manager.
	// frameID is empty for operations on several frames. The context it
	// returns is the one passed to the tiers (to OnCall), and end is
	// called once the operation is over.
	Start func(ctx context.Context, op, frameID string) (context.Context, func(End))
	// OnCall is called after every call to a tier.
	OnCall func(ctx context.Context, c Call)
	// OnMove is called after frames moved between tiers (down or up).
	OnMove func(from, to, frames int)
	// OnBreaker is called when a tier's circuit breaker changes state:
	// "open" when the tier is considered down, "half-open" while probing,
	// "closed" when it is back.
	OnBreaker func(level int, tier, state string)
}

// Operations named to Hooks.Start.
const (
	OpGet    = "get"
	OpPut    = "put"
	OpQuery  = "query"
	OpDelete = "delete"
	OpMove   = "move"
)

// End says how an operation ended, for the end function of Hooks.Start.
type End struct {
	// Level and Tier name the tier that answered (Get), stored (Put) or
	// received the frames (move); 0 and "" when none did.
	Level int
	Tier  string
	// Frames counts the frames concerned.
	Frames int
	// Err is the operation's error; nil on success.
	Err error
}

// Call describes one finished call to a tier, for Hooks.OnCall.
type Call struct {
	Level int
	Tier  string
	// Op is "get", "put", "delete", "query" or "other".
	Op   string
	Took time.Duration
	// Err is nil on success; not-found is not an error.
	Err error
}
