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

// sharedBudget counts the bytes of the frames in flight on all
// connections together. Many readers wait on it; each release wakes them.
type sharedBudget struct {
	mu      sync.Mutex
	used    int
	max     int
	changed chan struct{} // closed and replaced at each release
}

func newSharedBudget(max int) *sharedBudget {
	return &sharedBudget{max: max, changed: make(chan struct{})}
}

// acquire takes n bytes, waiting while others hold so much that n would
// pass the budget, unless alone (the asking connection holds nothing in
// flight: every connection may always have one request, so none starves);
// false when ctx ends first.
func (b *sharedBudget) acquire(ctx context.Context, n int, alone bool) bool {
	for {
		b.mu.Lock()
		if alone || b.used+n <= b.max {
			b.used += n
			b.mu.Unlock()
			return true
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

func (b *sharedBudget) release(n int) {
	b.mu.Lock()
	b.used -= n
	close(b.changed)
	b.changed = make(chan struct{})
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
