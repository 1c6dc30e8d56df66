package defaults

import (
	"bytes"
	"context"
	"testing"

	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// TestEmbeddedTasksAreCurrent regenerates the default task set by running the
// tools again: the embedded file must be byte-identical, so every ground
// truth is what the tools compute today.
func TestEmbeddedTasksAreCurrent(t *testing.T) {
	data, err := Generate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, TasksJSONL) {
		t.Fatal("internal/defaults/tasks.jsonl is stale: run go generate ./internal/defaults")
	}
}

func TestDefaultTasksAreValid(t *testing.T) {
	reg, err := Registry(toolexec.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ts, err := Tasks()
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) < 50 {
		t.Fatalf("%d default tasks, want at least 50", len(ts))
	}
	problems := tasks.Validate(ts, func(ref string) (string, bool, error) {
		tool, err := reg.Resolve(ref)
		if err != nil {
			return "", false, err
		}
		return tool.Manifest.Name, tool.Executable(), nil
	})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	set, err := tasks.NewSet(ts)
	if err != nil {
		t.Fatal(err)
	}
	splits := set.Counts(func(t *tasks.Task) string { return t.Split })
	if splits["train"] == 0 || splits["test"] == 0 {
		t.Fatalf("splits %v", splits)
	}
	for _, task := range ts {
		if len(task.Tools) < 4 || len(task.Evidence) == 0 {
			t.Errorf("task %s: %d tools, evidence %s", task.ID, len(task.Tools), task.Evidence)
		}
	}
}
