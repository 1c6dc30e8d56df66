package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dive-env/dive/internal/defaults"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// stringList is a repeatable flag that also splits on commas.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// loadRegistry returns the built-in tools plus the manifests at each path
// (files or directories; those tools are listed but cannot run here).
func loadRegistry(manifestPaths []string, callTimeout time.Duration) (*toolexec.Registry, error) {
	reg, err := defaults.Registry(toolexec.Options{CallTimeout: callTimeout})
	if err != nil {
		return nil, err
	}
	for _, p := range manifestPaths {
		ms, err := toolexec.ReadManifests(p)
		if err != nil {
			return nil, err
		}
		if _, err := reg.AddManifests(ms); err != nil {
			return nil, fmt.Errorf("manifests %s: %w", p, err)
		}
	}
	return reg, nil
}

// resolver adapts a registry to tasks.Validate.
func resolver(reg *toolexec.Registry) tasks.ToolResolver {
	return func(ref string) (string, bool, error) {
		t, err := reg.Resolve(ref)
		if err != nil {
			return "", false, err
		}
		return t.Manifest.Name, t.Executable(), nil
	}
}

// loadTasks reads task files (or the embedded set when none), validates them
// against reg and returns every problem; err is set when any is an error.
func loadTasks(files []string, reg *toolexec.Registry) ([]tasks.Task, []tasks.Problem, error) {
	var all []tasks.Task
	var problems []tasks.Problem
	if len(files) == 0 {
		ts, err := defaults.Tasks()
		if err != nil {
			return nil, nil, err
		}
		all = ts
	}
	for _, f := range files {
		ts, ps, err := tasks.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, ts...)
		problems = append(problems, ps...)
	}
	var res tasks.ToolResolver
	if reg != nil {
		res = resolver(reg)
	}
	problems = append(problems, tasks.Validate(all, res)...)
	if tasks.HasErrors(problems) {
		return all, problems, &tasks.ProblemsError{Problems: problems}
	}
	return all, problems, nil
}

func printProblems(w io.Writer, problems []tasks.Problem) {
	for _, p := range problems {
		fmt.Fprintln(w, p.String())
	}
}
