// Package builtin holds the tools implemented natively in Go: sequence,
// codon-table, protein and geometry tools with the names and parameters of
// the DIVE reference manifests (results match Biopython's), and a
// calculator. Their manifests are generated from the definitions here, so
// what the model is shown cannot drift from what runs.
package builtin

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/dive-env/dive/toolexec"
)

// ExecutorKind is the Manifest.Executor value of built-in tools.
const ExecutorKind = "builtin"

type definition struct {
	id          string
	description string
	params      string
	run         func(ctx context.Context, args json.RawMessage) (any, error)
	// heavy marks a tool whose calls can take a noticeable share of a CPU
	// even within its input bounds: it runs off the connection's reader,
	// under the call's deadline, and at most one call per CPU runs at once.
	heavy bool
}

// heavySlots bounds the heavy built-in calls running at once, server-wide.
var heavySlots = make(chan struct{}, runtime.NumCPU())

// withHeavySlot runs fn when a heavy slot is free, or fails when ctx ends
// first.
func withHeavySlot(fn func(ctx context.Context, args json.RawMessage) (any, error)) func(ctx context.Context, args json.RawMessage) (any, error) {
	return func(ctx context.Context, args json.RawMessage) (any, error) {
		select {
		case heavySlots <- struct{}{}:
			defer func() { <-heavySlots }()
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for a free CPU for this heavy tool: %w", ctx.Err())
		}
		return fn(ctx, args)
	}
}

// typed adapts a function over a decoded argument struct.
func typed[T any](fn func(T) (any, error)) func(context.Context, json.RawMessage) (any, error) {
	return func(_ context.Context, raw json.RawMessage) (any, error) {
		var args T
		if err := json.Unmarshal(raw, &args); err != nil {
			return nil, fmt.Errorf("decode arguments: %w", err)
		}
		return fn(args)
	}
}

// Manifests returns the manifests of every built-in tool, sorted by id.
func Manifests() []toolexec.Manifest {
	defs := definitions()
	out := make([]toolexec.Manifest, 0, len(defs))
	for _, d := range defs {
		out = append(out, d.manifest())
	}
	return out
}

func (d definition) manifest() toolexec.Manifest {
	domain, group, name := splitID(d.id)
	return toolexec.Manifest{
		ID: d.id, Name: name, Domain: domain, Source: "dive", Version: "1.0.0",
		Description: d.description, Module: "builtin:" + group + "." + name,
		Auth: map[string]any{"type": "none"}, Parameters: json.RawMessage(d.params),
		Executor: ExecutorKind,
	}
}

func splitID(id string) (domain, group, name string) {
	var parts [3]string
	n := 0
	start := 0
	for i := 0; i <= len(id) && n < 3; i++ {
		if i == len(id) || id[i] == '.' {
			parts[n] = id[start:i]
			n++
			start = i + 1
		}
	}
	return parts[0], parts[1], parts[2]
}

// Register adds every built-in tool to r.
func Register(r *toolexec.Registry) error {
	for _, d := range definitions() {
		// Built-ins are in-process and bounded by their validated input: run
		// inline, unless heavy.
		var exec toolexec.Executor = toolexec.InlineFunc(d.run)
		if d.heavy {
			exec = toolexec.ExecutorFunc(withHeavySlot(d.run))
		}
		if err := r.Register(d.manifest(), exec, ""); err != nil {
			return fmt.Errorf("register built-in tools: %w", err)
		}
	}
	return nil
}

// NewRegistry returns a registry holding the built-in tools.
func NewRegistry(opts toolexec.Options) (*toolexec.Registry, error) {
	r := toolexec.NewRegistry(opts)
	if err := Register(r); err != nil {
		return nil, err
	}
	return r, nil
}
