package driver

import (
	"math"
	"time"
)

// DecayHalfLife is the time after which a frame's past accesses count half
// as much in the LFU order.
const DecayHalfLife = 24 * time.Hour

// LFUKey returns the LFU sort key of a frame after count more reads at time
// at, given its previous key (use [NewLFUKey] for a frame without one).
//
// The key is log2 of the decayed access count, shifted by the time of the
// update measured in half-lives: log2(n·2^(−(T−t)/H)) = log2(n) + t/H − T/H.
// The last term is the same for every frame at a given moment T, so the
// order of keys never changes as time passes, and a tier can keep them in an
// ordinary index and update one frame without touching the others. Sorting
// ascending puts the least frequently used frame (after decay) first.
func LFUKey(prev float64, at time.Time, count int64) float64 {
	if count <= 0 {
		return prev
	}
	t := halfLives(at)
	// Decayed count carried by prev, as seen at time t.
	carried := math.Exp2(prev - t)
	return math.Log2(carried+float64(count)) + t
}

// NewLFUKey returns the key of a frame seen count times by time at.
func NewLFUKey(at time.Time, count int64) float64 {
	if count < 1 {
		count = 1
	}
	return math.Log2(float64(count)) + halfLives(at)
}

// halfLives measures t in half-lives since 2020-01-01, which keeps the
// numbers small enough for float64 precision to spare.
func halfLives(t time.Time) float64 {
	return float64(t.Sub(lfuEpoch)) / float64(DecayHalfLife)
}

var lfuEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
