package toolexec

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

type countingExec struct {
	calls atomic.Int64
}

func (c *countingExec) Execute(_ context.Context, args json.RawMessage) (any, error) {
	n := c.calls.Add(1)
	var a struct {
		X    int  `json:"x"`
		Fail bool `json:"fail"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, err
	}
	if a.Fail {
		return nil, os.ErrPermission
	}
	return map[string]any{"double": 2 * a.X, "live_call": n}, nil
}

type statefulExec struct{ countingExec }

func (s *statefulExec) CloseSession(string) {}

func replayRegistry(t *testing.T, store *Store, mode ReplayMode) (*Registry, *countingExec, *statefulExec) {
	t.Helper()
	r := NewRegistry(Options{Store: store, Replay: mode})
	params := json.RawMessage(`{"type": "object", "properties": {"x": {"type": "integer"}, "fail": {"type": "boolean"}}}`)
	live, stateful := &countingExec{}, &statefulExec{}
	for _, reg := range []struct {
		m    Manifest
		exec Executor
	}{
		{Manifest{ID: "t.math.double", Name: "double", Parameters: params}, live},
		{Manifest{ID: "t.state.counter", Name: "counter", Parameters: params}, stateful},
	} {
		if err := r.Register(reg.m, reg.exec, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Register(Manifest{ID: "t.web.lookup", Name: "lookup", Parameters: params}, nil, "needs network access"); err != nil {
		t.Fatal(err)
	}
	return r, live, stateful
}

func TestRecordThenReplay(t *testing.T) {
	store, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rec, _, _ := replayRegistry(t, store, ReplayRecord)
	double, _ := rec.Get("t.math.double")
	first := rec.Call(ctx, double, json.RawMessage(`{"x": 21}`))
	if first.Err != nil || !strings.Contains(first.Output, `"double":42`) || first.Replayed {
		t.Fatalf("recorded call: %+v", first)
	}
	if res := rec.Call(ctx, double, json.RawMessage(`{"fail": true}`)); res.Err == nil || res.Err.Kind != ErrToolFailed {
		t.Fatalf("failing call: %+v", res)
	}
	files, _ := filepath.Glob(filepath.Join(store.dir, "t.math.double", "*.json"))
	if len(files) != 2 {
		t.Fatalf("%d recordings on disk, want 2 (the result and the tool error)", len(files))
	}

	rep, live2, stateful := replayRegistry(t, store, ReplayOnly)
	double, _ = rep.Get("t.math.double")
	// Same arguments, other key order and spacing: the same recording.
	res := rep.Call(ctx, double, json.RawMessage(`{ "x" : 21 }`))
	if res.Err != nil || res.Output != first.Output || !res.Replayed || live2.calls.Load() != 0 {
		t.Fatalf("replayed call: %+v (live calls %d)", res, live2.calls.Load())
	}
	if res := rep.Call(ctx, double, json.RawMessage(`{"fail": true}`)); res.Err == nil || res.Err.Kind != ErrToolFailed || !res.Replayed {
		t.Fatalf("replayed tool error: %+v", res)
	}
	if res := rep.Call(ctx, double, json.RawMessage(`{"x": 5}`)); res.Err == nil || res.Err.Kind != ErrReplayMiss {
		t.Fatalf("replay miss: %+v", res)
	}
	counter, _ := rep.Get("t.state.counter")
	if res := rep.Call(ctx, counter, json.RawMessage(`{"x": 1}`)); res.Err != nil || res.Replayed || stateful.calls.Load() != 1 {
		t.Fatalf("a stateful tool must stay live: %+v", res)
	}

	mixed, live3, _ := replayRegistry(t, store, ReplayThenLive)
	double, _ = mixed.Get("t.math.double")
	if res := mixed.Call(ctx, double, json.RawMessage(`{"x": 21}`)); !res.Replayed || live3.calls.Load() != 0 {
		t.Fatalf("replay-then-live with a recording: %+v", res)
	}
	if res := mixed.Call(ctx, double, json.RawMessage(`{"x": 5}`)); res.Replayed || res.Err != nil || live3.calls.Load() != 1 {
		t.Fatalf("replay-then-live without a recording: %+v", res)
	}
	if res := mixed.Call(ctx, double, json.RawMessage(`{"x": 5}`)); !res.Replayed || live3.calls.Load() != 1 {
		t.Fatalf("the live result was not recorded: %+v", res)
	}
}

// TestReplayOfflineTool: a tool that cannot run here (it needs the network)
// still answers from its recording, so recorded tasks stay verifiable offline.
func TestReplayOfflineTool(t *testing.T) {
	dir := t.TempDir()
	store, _ := OpenStore(dir)
	if err := store.Save("t.web.lookup", json.RawMessage(`{"x": 7}`), Result{Output: `{"answer": "seven"}`}); err != nil {
		t.Fatal(err)
	}
	r, _, _ := replayRegistry(t, store, ReplayOnly)
	lookup, _ := r.Get("t.web.lookup")
	if res := r.Call(context.Background(), lookup, json.RawMessage(`{"x":7}`)); res.Err != nil || res.Output != `{"answer": "seven"}` {
		t.Fatalf("offline replay: %+v", res)
	}
	live, _, _ := replayRegistry(t, nil, ReplayOff)
	lookup, _ = live.Get("t.web.lookup")
	if res := live.Call(context.Background(), lookup, json.RawMessage(`{"x":7}`)); res.Err == nil || res.Err.Kind != ErrUnavailable {
		t.Fatalf("without a store the tool is unavailable: %+v", res)
	}
	if _, err := ParseReplayMode("sometimes"); err == nil {
		t.Fatal("bad mode accepted")
	}
}

func TestCanonicalArguments(t *testing.T) {
	for _, pair := range [][2]string{
		{`{"b": 1, "a": [1, 2.50, {"y": null, "x": "s"}]}`, `{"a":[1,2.50,{"x":"s","y":null}],"b":1}`},
		{``, `{}`},
	} {
		got, err := CanonicalArguments(json.RawMessage(pair[0]))
		if err != nil || string(got) != pair[1] {
			t.Errorf("CanonicalArguments(%s) = %s, %v; want %s", pair[0], got, err, pair[1])
		}
	}
	if _, err := CanonicalArguments(json.RawMessage(`{"a":`)); err == nil {
		t.Error("bad JSON accepted")
	}
}
