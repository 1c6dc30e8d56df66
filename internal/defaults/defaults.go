// Package defaults holds what `dive serve` runs with no configuration: the
// built-in tool registry and the embedded default task set, made by the
// offline generator (synth) from real executions of those tools, so that
// it runs with no data installed (go generate ./internal/defaults).
package defaults

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/dive-env/dive/synth"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
	"github.com/dive-env/dive/toolexec/builtin"
)

// GeneratorOptions make the embedded set: 140 tasks over the built-in
// tools, toolsets of 15 to 30 tools, a fixed seed.
var GeneratorOptions = synth.Options{Count: 140, Seed: 2603, MinTools: 15, MaxTools: 30, IDPrefix: "dive-default"}

// Generate makes the embedded task set by running the built-in tools.
func Generate(ctx context.Context) ([]byte, error) {
	reg, err := Registry(toolexec.DefaultOptions())
	if err != nil {
		return nil, err
	}
	ts, _, err := synth.Generate(ctx, reg, GeneratorOptions)
	if err != nil {
		return nil, err
	}
	return synth.WriteJSONL(ts)
}

//go:generate go run ./gen -o tasks.jsonl

// TasksJSONL is the embedded default task set.
//
//go:embed tasks.jsonl
var TasksJSONL []byte

// TasksFile is the name the embedded task set reports in problems.
const TasksFile = "embedded:tasks.jsonl"

// Tasks parses the embedded default task set.
func Tasks() ([]tasks.Task, error) {
	ts, problems := tasks.Parse(TasksFile, TasksJSONL)
	if len(problems) > 0 {
		return nil, &tasks.ProblemsError{Problems: problems}
	}
	return ts, nil
}

// Registry returns a registry holding the built-in tools.
func Registry(opts toolexec.Options) (*toolexec.Registry, error) {
	r, err := builtin.NewRegistry(opts)
	if err != nil {
		return nil, fmt.Errorf("default tools: %w", err)
	}
	return r, nil
}
