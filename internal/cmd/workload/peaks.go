package main

import (
	"context"
	"sync"
	"time"

	"github.com/stackmemoryai/tier"
)

// tierPeak is the most a tier held while the workload ran, from Status
// sampled every second: limits are about the whole run, not only its end.
type tierPeak struct {
	Name      string `json:"name"`
	Frames    int64  `json:"max_frames"`
	Bytes     int64  `json:"max_bytes"`
	BroughtUp int    `json:"max_brought_up"`
	Backlog   int    `json:"max_backlog"`
	Samples   int    `json:"samples"`
}

// peakSampler samples a Manager's Status every second until stopped.
type peakSampler struct {
	mu    sync.Mutex
	peaks []tierPeak
	// queued is the longest replication queue seen.
	queued int
	stop   chan struct{}
	done   chan struct{}
}

// samplePeaks starts sampling m.
func samplePeaks(m *tier.Manager) *peakSampler {
	p := &peakSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			p.sample(m)
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peakSampler) sample(m *tier.Manager) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	st, err := m.Status(ctx)
	cancel()
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queued = max(p.queued, st.Replication.Queued)
	for i, ts := range st.Tiers {
		if i >= len(p.peaks) {
			p.peaks = append(p.peaks, tierPeak{Name: ts.Name})
		}
		pk := &p.peaks[i]
		pk.Frames = max(pk.Frames, ts.Frames)
		pk.Bytes = max(pk.Bytes, ts.Bytes)
		pk.BroughtUp = max(pk.BroughtUp, ts.BroughtUp)
		pk.Backlog = max(pk.Backlog, ts.Backlog)
		pk.Samples++
	}
}

// finish stops sampling and returns the peaks per tier and the longest
// replication queue.
func (p *peakSampler) finish() ([]tierPeak, int) {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]tierPeak(nil), p.peaks...), p.queued
}
