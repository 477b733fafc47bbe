package main

import (
	"math"
	"sync"
	"time"
)

// hist is a latency histogram with eight buckets per doubling from 1 µs
// (percentiles within 9 % of the true value). Its zero value is empty and
// ready; it encodes to JSON, so that counts of a killed child process
// survive in its last snapshot.
type hist struct {
	Buckets []int64       `json:"buckets,omitempty"`
	Count   int64         `json:"count"`
	Max     time.Duration `json:"max_ns"`
}

const (
	histPerDoubling = 8
	histBuckets     = 36 * histPerDoubling // 1 µs .. ~19 h
)

func (h *hist) add(d time.Duration) {
	if h.Buckets == nil {
		h.Buckets = make([]int64, histBuckets)
	}
	i := 0
	if d > time.Microsecond {
		i = int(histPerDoubling * math.Log2(float64(d)/float64(time.Microsecond)))
	}
	h.Buckets[min(i, histBuckets-1)]++
	h.Count++
	h.Max = max(h.Max, d)
}

func (h *hist) merge(o hist) {
	if o.Count == 0 {
		return
	}
	if h.Buckets == nil {
		h.Buckets = make([]int64, histBuckets)
	}
	for i, n := range o.Buckets {
		h.Buckets[i] += n
	}
	h.Count += o.Count
	h.Max = max(h.Max, o.Max)
}

// quantile returns the upper bound of the bucket holding quantile q.
func (h *hist) quantile(q float64) time.Duration {
	if h.Count == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.Count)))
	var seen int64
	for i, n := range h.Buckets {
		seen += n
		if seen >= rank {
			up := time.Duration(float64(time.Microsecond) * math.Exp2(float64(i+1)/histPerDoubling))
			return min(up, h.Max)
		}
	}
	return h.Max
}

// counters are what one workload process observed from the client side.
// All fields are guarded by mu.
type counters struct {
	mu sync.Mutex

	Written int64 `json:"written"` // frames created
	Updates int64 `json:"updates"`
	Deletes int64 `json:"deletes"`
	Gets    int64 `json:"gets"`
	Queries int64 `json:"queries"`
	Warms   int64 `json:"warms"`
	// GetsByTier counts successful Gets by the tier that served them;
	// GetLatency holds their client-side latency.
	GetsByTier map[string]int64 `json:"gets_by_tier"`
	GetLatency map[string]*hist `json:"get_latency"`
	// Outcomes counts results by operation and kind, like "get/ok",
	// "get/unavailable", "get/notfound-existing".
	Outcomes map[string]int64 `json:"outcomes"`
	// Windows observe Gets that went below tier 1 (served by a lower tier,
	// or failed) while each fault of the schedule was active; Baseline the
	// same outside every fault.
	Windows  []windowCounters `json:"windows"`
	Baseline hist             `json:"baseline_below_tier1"`
	// Samples of failures, for the report (at most a few).
	Samples []string `json:"samples,omitempty"`

	WallNanos int64 `json:"wall_ns"`
	CPUNanos  int64 `json:"cpu_ns"` // user+system CPU of the process

	// StaleAges are, for reads that returned an older revision, how long
	// before the read the newer one had been acknowledged.
	StaleAges hist `json:"stale_ages"`
}

// staleRead records the age of a stale read.
func (c *counters) staleRead(age time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.StaleAges.add(max(age, 0))
}

// windowCounters are the Gets below tier 1 during one fault.
type windowCounters struct {
	Below hist `json:"below_tier1"`
	// First is the latency of the first Get below tier 1 after the fault
	// began: the cost of discovering that the tier is down.
	First    time.Duration    `json:"first_ns"`
	FirstAt  time.Duration    `json:"first_at_ns"` // since the fault began
	Outcomes map[string]int64 `json:"outcomes"`
}

func newCounters(windows int) *counters {
	c := &counters{
		GetsByTier: map[string]int64{},
		GetLatency: map[string]*hist{},
		Outcomes:   map[string]int64{},
		Windows:    make([]windowCounters, windows),
	}
	for i := range c.Windows {
		c.Windows[i].Outcomes = map[string]int64{}
		c.Windows[i].First = -1
	}
	return c
}

const maxSamples = 12

// outcome counts one result of an operation.
func (c *counters) outcome(op, kind string, sample string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Outcomes[op+"/"+kind]++
	if sample != "" && len(c.Samples) < maxSamples {
		c.Samples = append(c.Samples, sample)
	}
}

// sample keeps a description of a failure for the report.
func (c *counters) sample(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.Samples) < maxSamples {
		c.Samples = append(c.Samples, s)
	}
}

// get records one Get: the tier that served it ("" when it failed), its
// outcome kind, its latency, and the fault window it started in (-1 for
// none) with the time since that fault began.
func (c *counters) get(tierName, kind string, d time.Duration, window int, sinceFault time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Gets++
	c.Outcomes["get/"+kind]++
	if tierName != "" {
		c.GetsByTier[tierName]++
		h := c.GetLatency[tierName]
		if h == nil {
			h = &hist{}
			c.GetLatency[tierName] = h
		}
		h.add(d)
	}
	below := tierName != hotTier
	if !below {
		return
	}
	if window < 0 {
		c.Baseline.add(d)
		return
	}
	w := &c.Windows[window]
	w.Below.add(d)
	w.Outcomes[kind]++
	if w.First < 0 || sinceFault < w.FirstAt {
		w.First, w.FirstAt = d, sinceFault
	}
}

// merge adds o (another process's counters) to c.
func (c *counters) merge(o *counters) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Written += o.Written
	c.Updates += o.Updates
	c.Deletes += o.Deletes
	c.Gets += o.Gets
	c.Queries += o.Queries
	c.Warms += o.Warms
	for k, v := range o.GetsByTier {
		c.GetsByTier[k] += v
	}
	for k, h := range o.GetLatency {
		if c.GetLatency[k] == nil {
			c.GetLatency[k] = &hist{}
		}
		c.GetLatency[k].merge(*h)
	}
	for k, v := range o.Outcomes {
		c.Outcomes[k] += v
	}
	for i := range min(len(c.Windows), len(o.Windows)) {
		w, ow := &c.Windows[i], o.Windows[i]
		w.Below.merge(ow.Below)
		for k, v := range ow.Outcomes {
			w.Outcomes[k] += v
		}
		if ow.First >= 0 && (w.First < 0 || ow.FirstAt < w.FirstAt) {
			w.First, w.FirstAt = ow.First, ow.FirstAt
		}
	}
	c.Baseline.merge(o.Baseline)
	c.StaleAges.merge(o.StaleAges)
	for _, s := range o.Samples {
		if len(c.Samples) < maxSamples {
			c.Samples = append(c.Samples, s)
		}
	}
	c.WallNanos += o.WallNanos
	c.CPUNanos += o.CPUNanos
}

// snapshot returns a deep copy, safe to encode while c keeps changing.
func (c *counters) snapshot() *counters {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := newCounters(len(c.Windows))
	out.merge(c)
	return out
}
