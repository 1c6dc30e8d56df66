//go:build linux

package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/dive-env/dive/toolexec"
)

// BenchmarkCodeExecution measures code_execution calls over 64 concurrent
// episodes, each with its own warm slot, through the pool's Execute: the
// framing, the pipe round trip and the worker's exec of a trivial snippet.
func BenchmarkCodeExecution(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Warm = 0
	cfg.MaxSlots = 64
	cfg.ScratchRoot = "/run/dive-sandbox-bench"
	p, err := New(cfg, nil)
	if err != nil {
		b.Skipf("the sandbox cannot run here: %v", err)
	}
	defer p.Close()
	args := json.RawMessage(`{"code": "x = x + 1 if 'x' in globals() else 1"}`)
	// Lease and warm up 64 slots before timing.
	for i := 0; i < 64; i++ {
		if _, err := p.Execute(toolexec.WithSession(context.Background(), fmt.Sprint("ep-", i)), args); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.SetParallelism(32) // 32 × GOMAXPROCS(2) = 64 goroutines, one episode each
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := toolexec.WithSession(context.Background(), fmt.Sprint("ep-", next.Add(1)-1))
		for pb.Next() {
			v, err := p.Execute(ctx, args)
			if err != nil {
				b.Error(err)
				return
			}
			if r := v.(*Result); r.Error != "" {
				b.Errorf("call failed: %s", r.Error)
				return
			}
		}
	})
}

// BenchmarkCodeExecutionLatency is one episode calling in a loop: the
// latency a call adds on an idle machine.
func BenchmarkCodeExecutionLatency(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Warm = 0
	cfg.ScratchRoot = "/run/dive-sandbox-bench"
	p, err := New(cfg, nil)
	if err != nil {
		b.Skipf("the sandbox cannot run here: %v", err)
	}
	defer p.Close()
	ctx := toolexec.WithSession(context.Background(), "ep")
	args := json.RawMessage(`{"code": "x = 1"}`)
	if _, err := p.Execute(ctx, args); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := p.Execute(ctx, args); err != nil {
			b.Fatal(err)
		}
	}
}
