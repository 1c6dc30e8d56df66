package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress prints "done/total, rate, ETA" lines: at most one every few
// seconds, and the last one.
type progress struct {
	mu          sync.Mutex
	w           io.Writer
	what        string
	total, done int
	start, last time.Time
}

func newProgress(w io.Writer, what string, total int) *progress {
	now := time.Now()
	return &progress{w: w, what: what, total: total, start: now, last: now}
}

func (p *progress) add() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	now := time.Now()
	if p.done < p.total && now.Sub(p.last) < 3*time.Second {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start)
	rate := float64(p.done) / elapsed.Minutes()
	eta := "—"
	if p.done > 0 && p.done < p.total {
		eta = (time.Duration(float64(elapsed) / float64(p.done) * float64(p.total-p.done))).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "%s: %d/%d, %.1f/min, ETA %s\n", p.what, p.done, p.total, rate, eta)
}
