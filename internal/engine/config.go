package engine

import (
	"context"
	"log/slog"
	"math"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// Config is what an Engine runs with: its tiers, first (hottest) to last,
// and the movement settings. The portable package fills every default
// before it calls Open; the engine uses the values as they are.
type Config struct {
	Tiers []TierSpec

	PromotionThreshold int           // reads within PromotionWindow that bring a frame up
	PromotionWindow    time.Duration // window of PromotionThreshold
	Policy             driver.Policy // order in which a full tier gives up frames
	Background         bool          // run the maintenance loop
	SyncInterval       time.Duration // pause between maintenance cycles
	BreakerCooldown    time.Duration // how long a tripped breaker fails fast
	MaxFrameSize       int64         // largest document accepted
	BroughtUpShare     float64       // share of a tier's limits copies brought up may hold
	NoPrefetch         bool          // do not warm parents and sessions after a read below tier 1
	NoPromotion        bool          // never bring a frame up because it is read often
	NoReplication      bool          // do not copy writes to the shared tiers before demotion
	ReplicationLag     time.Duration // how soon a write reaches the shared tiers
	StatePath          string        // state file; state.Memory for none
	Logger             *slog.Logger
	Hooks              Hooks
}

// TierSpec is one tier of the chain: an open tier, or a way to open it.
type TierSpec struct {
	Name string
	// Tier is the open tier; when nil, Open is called (again later while
	// the store is unavailable).
	Tier driver.Tier
	Open func(ctx context.Context) (driver.Tier, error)
	// Scheme names the driver in Status.
	Scheme  string
	Limits  Limits
	Timeout time.Duration // per call on one frame; 0: none of the engine's
}

// Limits are the budgets of a tier; a zero field means no limit.
type Limits struct {
	MaxFrames int64
	MaxBytes  int64
	MaxIdle   time.Duration
}

// Hooks are the host's callbacks; see the portable package's Hooks.
type Hooks struct {
	// Start is called when an operation begins (OpGet, OpPut, OpQuery,
	// OpDelete, OpMove); the context it returns is passed to the tiers,
	// and end is called when the operation ends.
	Start     func(ctx context.Context, op, frameID string) (context.Context, func(End))
	OnCall    func(ctx context.Context, c Call)
	OnMove    func(from, to, frames int)
	OnBreaker func(level int, tier, state string)
}

// End is how an operation ended, for the end function of Hooks.Start.
type End struct {
	Level  int    // tier that answered or received the frames; 0 if none
	Tier   string // its name
	Frames int    // frames concerned
	Err    error
}

// Call describes one finished call to a tier, for Hooks.OnCall.
type Call struct {
	Level int
	Tier  string
	Op    string
	Took  time.Duration
	Err   error
}

// scaled returns the limits multiplied by f, rounded up (so a small limit
// is its own low-water mark); zero (no limit) stays zero.
func (l Limits) scaled(f float64) Limits {
	scale := func(n int64) int64 {
		if n == 0 {
			return 0
		}
		return int64(math.Ceil(float64(n) * f))
	}
	return Limits{MaxFrames: scale(l.MaxFrames), MaxBytes: scale(l.MaxBytes), MaxIdle: l.MaxIdle}
}
