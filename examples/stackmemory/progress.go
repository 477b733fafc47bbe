package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress reports the advance of a long command: a progress bar when
// stderr is a terminal, else a plain line now and then. It writes to
// stderr only, so stdout stays clean for scripts.
type progress struct {
	bar   *progressbar.ProgressBar
	w     io.Writer
	what  string
	unit  string
	total int64
	last  time.Time
	done  int64
	shown int64 // done as of the last plain line
}

// plainEvery is the pause between two plain progress lines.
const plainEvery = time.Second

// newProgress starts a report of total units (-1 when unknown) of work.
func (a *app) newProgress(what, unit string, total int64, bytes bool) *progress {
	p := &progress{w: a.stderr, what: what, unit: unit, total: total}
	if a.jsonOut {
		// stderr carries only JSON (errors, notes, logs).
		p.w = io.Discard
		return p
	}
	if isTerminal(a.stderr) {
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(a.stderr),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100 * time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetPredictTime(total > 0),
		}
		if bytes {
			opts = append(opts, progressbar.OptionShowBytes(true))
		} else {
			opts = append(opts, progressbar.OptionSetItsString(unit), progressbar.OptionShowIts())
		}
		p.bar = progressbar.NewOptions64(total, opts...)
	}
	return p
}

// set records that done units are finished.
func (p *progress) set(done int64) {
	p.done = done
	if p.bar != nil {
		_ = p.bar.Set64(done)
		return
	}
	if now := time.Now(); now.Sub(p.last) >= plainEvery {
		p.last = now
		p.line()
	}
}

func (p *progress) line() {
	p.shown = p.done
	if p.total > 0 {
		fmt.Fprintf(p.w, "%s: %d/%d %s\n", p.what, p.done, p.total, p.unit)
	} else {
		fmt.Fprintf(p.w, "%s: %d %s\n", p.what, p.done, p.unit)
	}
}

// finish ends the report.
func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		return
	}
	if !p.last.IsZero() && p.shown != p.done {
		p.line()
	}
}
