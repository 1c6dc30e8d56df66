package env

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// TestToolsets: toolsets.get gives each task's toolset id — the one its
// reset reports — and each named toolset's schemas once; equal toolsets
// share an id, different ones do not; bad requests get typed errors.
func TestToolsets(t *testing.T) {
	reg := toolexec.NewRegistry(toolexec.Options{})
	echo := toolexec.InlineFunc(func(ctx context.Context, args json.RawMessage) (any, error) { return string(args), nil })
	for _, name := range []string{"alpha", "beta"} {
		m := toolexec.Manifest{ID: "test." + name, Name: name, Domain: "test", Description: name, Parameters: json.RawMessage(`{"type":"object"}`)}
		if err := reg.Register(m, echo, ""); err != nil {
			t.Fatal(err)
		}
	}
	task := func(id string, tools ...string) tasks.Task {
		return tasks.Task{ID: id, Question: "q", GroundTruth: "a", Tools: tools}
	}
	set, err := tasks.NewSet([]tasks.Task{task("ab-1", "test.alpha", "test.beta"), task("ab-2", "test.alpha", "test.beta"),
		task("ba", "test.beta", "test.alpha"), task("a", "test.alpha")})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine(DefaultEngineConfig(), set, reg, reward.NewRegistry(), nil, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	url := serveOnLoopback(t, NewServer(eng, DefaultServerConfig(), quietLogger()))
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) {
			c := dial(t, url, enc.subprotocol)
			// Tasks grouped by their toolsets as the task set writes them.
			byTools := map[string][]string{}
			var ids []string
			for _, task := range set.All() {
				key := fmt.Sprint(task.Tools)
				byTools[key] = append(byTools[key], task.ID)
				ids = append(ids, task.ID)
			}
			res := c.result(OpToolsets, map[string]any{"task_ids": ids})
			tasks, toolsets := res["tasks"].(map[string]any), res["toolsets"].(map[string]any)
			if len(tasks) != len(ids) || len(toolsets) != len(byTools) {
				t.Fatalf("%d tasks and %d toolsets, want %d and %d", len(tasks), len(toolsets), len(ids), len(byTools))
			}
			for _, group := range byTools {
				for _, id := range group[1:] {
					if tasks[id] != tasks[group[0]] {
						t.Fatalf("tasks %s and %s have the same tools but toolsets %v and %v", group[0], id, tasks[group[0]], tasks[id])
					}
				}
			}
			// The reset's tools and toolset id are the ones listed.
			reset := c.result(OpReset, map[string]any{"task_id": ids[0]})
			if reset["toolset"] != tasks[ids[0]] {
				t.Fatalf("reset's toolset %v, toolsets.get's %v", reset["toolset"], tasks[ids[0]])
			}
			if !reflect.DeepEqual(reset["tools"], toolsets[tasks[ids[0]].(string)]) {
				t.Fatal("reset's tools differ from the toolset's schemas")
			}
			// By id.
			one := tasks[ids[0]].(string)
			byID := c.result(OpToolsets, map[string]any{"ids": []string{one}})
			if len(byID["tasks"].(map[string]any)) != 0 || !reflect.DeepEqual(byID["toolsets"].(map[string]any)[one], toolsets[one]) {
				t.Fatalf("by id: %v", byID)
			}
			for _, tc := range []struct {
				params any
				code   string
			}{
				{map[string]any{}, CodeBadRequest},
				{map[string]any{"task_ids": []string{"no-such-task"}}, CodeUnknownTask},
				{map[string]any{"ids": []string{"0123456789abcdef"}}, CodeBadRequest},
				{map[string]any{"task_ids": "not a list"}, CodeBadRequest},
				{map[string]any{"ids": make([]string, MaxToolsetsRequest+1)}, CodeLimit},
			} {
				if code := errorCode(c.call(OpToolsets, tc.params)); code != tc.code {
					p, _ := json.Marshal(tc.params)
					t.Errorf("toolsets.get %.80s: %q, want %q", p, code, tc.code)
				}
			}
		})
	}
}

// TestToolsetIDIsContent: the id changes with any schema's content or the
// order of the tools, and not otherwise.
func TestToolsetIDIsContent(t *testing.T) {
	a := ToolSchema{Type: "function", Function: ToolFunction{Name: "a", Description: "A", Parameters: map[string]any{"type": "object"}}}
	b := ToolSchema{Type: "function", Function: ToolFunction{Name: "b", Description: "B", Parameters: map[string]any{"type": "object"}}}
	b2 := b
	b2.Function.Description = "B, better"
	id := func(s ...ToolSchema) string {
		v, err := toolsetID(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ab, again := id(a, b), id(a, b)
	if ab != again || ab == id(b, a) || ab == id(a, b2) || id(a) == ab || len(id(a)) != 16 {
		t.Fatalf("ids: %s %s %s %s", id(a, b), id(b, a), id(a, b2), id(a))
	}
}
