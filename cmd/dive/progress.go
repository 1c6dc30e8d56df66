package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress reports "done/total, rate, ETA": on a terminal as one line
// redrawn in place (a bar), otherwise as plain lines, at most one every few
// seconds, and the last one.
type progress struct {
	mu          sync.Mutex
	w           io.Writer
	what        string
	total, done int
	start, last time.Time
	terminal    bool
}

func newProgress(w io.Writer, what string, total int) *progress {
	now := time.Now()
	return &progress{w: w, what: what, total: total, start: now, last: now, terminal: isTerminal(w)}
}

// isTerminal reports whether w is a terminal (progress is redrawn in place there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *progress) add() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	now := time.Now()
	every := 3 * time.Second
	if p.terminal {
		every = 200 * time.Millisecond
	}
	if p.done < p.total && now.Sub(p.last) < every {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start)
	rate := float64(p.done) / elapsed.Minutes()
	eta := "—"
	if p.done > 0 && p.done < p.total {
		eta = (time.Duration(float64(elapsed) / float64(p.done) * float64(p.total-p.done))).Round(time.Second).String()
	}
	if p.terminal {
		const width = 30
		filled := width * p.done / max(1, p.total)
		end := ""
		if p.done >= p.total {
			end = "\n"
		}
		fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d, %.1f/min, ETA %s   %s", p.what, strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.done, p.total, rate, eta, end)
		return
	}
	fmt.Fprintf(p.w, "%s: %d/%d, %.1f/min, ETA %s\n", p.what, p.done, p.total, rate, eta)
}
