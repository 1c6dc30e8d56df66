package env

import (
	"bufio"
	"context"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// byteBudget counts the bytes of the frames in flight: on one connection
// (only its reader acquires) or on the whole server (every reader does).
// A release wakes the waiters, if any.
type byteBudget struct {
	mu      sync.Mutex
	used    int
	max     int
	waiters int
	changed chan struct{} // closed and replaced by a release that has waiters
}

func newByteBudget(max int) *byteBudget {
	return &byteBudget{max: max, changed: make(chan struct{})}
}

// acquire takes n bytes when they fit, when nothing is held (a frame may
// fill the budget alone), or when always is set (the server's budget lets
// a connection with nothing in flight have one request, so that none
// starves); else it waits for releases. False when ctx ends first.
func (b *byteBudget) acquire(ctx context.Context, n int, always bool) bool {
	for {
		b.mu.Lock()
		if always || b.used == 0 || b.used+n <= b.max {
			b.used += n
			b.mu.Unlock()
			return true
		}
		ch := b.changed
		b.waiters++
		b.mu.Unlock()
		var done bool
		select {
		case <-ch:
		case <-ctx.Done():
			done = true
		}
		b.mu.Lock()
		b.waiters--
		b.mu.Unlock()
		if done {
			return false
		}
	}
}

// empty reports that nothing is held.
func (b *byteBudget) empty() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used == 0
}

// release gives back n bytes.
func (b *byteBudget) release(n int) {
	b.mu.Lock()
	b.used -= n
	if b.waiters > 0 {
		close(b.changed)
		b.changed = make(chan struct{})
	}
	b.mu.Unlock()
}

// memoryLimit is the memory the server may use: GOMEMLIMIT when set, else
// its cgroup's limit (v2 or v1), else the machine's memory; 0 if unknown.
func memoryLimit() int64 {
	if l := debug.SetMemoryLimit(-1); l > 0 && l < math.MaxInt64 {
		return l
	}
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := os.ReadFile(path); err == nil {
			if v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && v > 0 && v < 1<<50 {
				return v
			}
		}
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// defaultInFlightTotal is a quarter of the memory limit, at least 256 MiB
// (1 GiB when the limit is unknown).
func defaultInFlightTotal() int {
	l := memoryLimit()
	if l <= 0 {
		return 1 << 30
	}
	return int(max(l/4, 256<<20))
}
