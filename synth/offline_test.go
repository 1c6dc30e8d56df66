package synth

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
	"github.com/dive-env/dive/toolexec/builtin"
	"github.com/dive-env/dive/toolexec/journals"
	"github.com/dive-env/dive/toolexec/marketdata"
	"github.com/dive-env/dive/toolexec/miscfiles"
	"github.com/dive-env/dive/toolexec/numdb"
	"github.com/dive-env/dive/toolexec/opendata"
)

// pool is the offline tool pool: the built-in tools and, where their data
// is installed, the data-backed groups.
func pool(t testing.TB) *toolexec.Registry {
	t.Helper()
	reg, err := builtin.NewRegistry(toolexec.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, register := range []func(*toolexec.Registry) error{
		func(r *toolexec.Registry) error { return opendata.Register(r, opendata.DefaultDir) },
		func(r *toolexec.Registry) error { return marketdata.Register(r, marketdata.DefaultDir) },
		func(r *toolexec.Registry) error { return miscfiles.Register(r, miscfiles.DefaultDir) },
		func(r *toolexec.Registry) error { return numdb.Register(r, numdb.DefaultDir) },
		func(r *toolexec.Registry) error { return journals.Register(r, journals.DefaultDir) },
	} {
		if err := register(reg); err != nil {
			t.Fatal(err)
		}
	}
	return reg
}

func TestOfflineGenerator(t *testing.T) {
	reg := pool(t)
	ctx := context.Background()
	ts, st, err := Generate(ctx, reg, Options{Count: 1000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1000 || st.Made != 1000 || st.Verified != 1000 {
		t.Fatalf("%d tasks, stats %+v", len(ts), st)
	}
	for _, d := range []string{"biological", "general", "financial", "medical", "academic"} {
		if st.PerDomain[d] == 0 {
			t.Errorf("no %s task (%v)", d, st.PerDomain)
		}
	}
	if problems := tasks.Validate(ts, func(ref string) (string, bool, error) {
		tool, err := reg.Resolve(ref)
		if err != nil {
			return "", false, err
		}
		return tool.Manifest.Name, tool.Executable(), nil
	}); len(problems) > 0 {
		t.Fatalf("problems: %v", problems[:min(5, len(problems))])
	}
	questions := map[string]bool{}
	for _, task := range ts {
		q := reward.Normalize(task.Question)
		if questions[q] {
			t.Fatalf("duplicate question %q", task.Question)
		}
		questions[q] = true
		if n := len(task.Tools); n < 15 || n > 50 {
			// The pool may be smaller than the draw; never beyond 50.
			if n > 50 || n < 15 && n < len(reg.Tools())/4 {
				t.Errorf("%s: %d tools", task.ID, n)
			}
		}
		var ev []Evidence
		if err := json.Unmarshal(task.Evidence, &ev); err != nil || len(ev) == 0 {
			t.Fatalf("%s: evidence %v", task.ID, err)
		}
		// Every tool of the trace is in the toolset.
		for _, e := range ev {
			found := false
			for _, id := range task.Tools {
				found = found || id == e.Tool
			}
			if !found {
				t.Errorf("%s: trace tool %s is not in the toolset", task.ID, e.Tool)
			}
		}
		if !replays(ctx, reg, ev) {
			t.Errorf("%s: its trace does not replay", task.ID)
		}
	}
	// The same seed makes the same set.
	again, _, err := Generate(ctx, reg, Options{Count: 50, Seed: 7})
	if err != nil || !reflect.DeepEqual(again[0].Question, ts[0].Question) || again[49].GroundTruth != ts[49].GroundTruth {
		t.Fatalf("not deterministic: %v", err)
	}
}

// End to end: generated tasks are served, answered with their ground truth
// and scored correct by the default scorer; a wrong answer is not.
func TestGeneratedTasksServe(t *testing.T) {
	reg := pool(t)
	ctx := context.Background()
	ts, _, err := Generate(ctx, reg, Options{Count: 120, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	set, err := tasks.NewSet(ts)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := env.NewEngine(env.DefaultEngineConfig(), set, reg, reward.NewRegistry(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, task := range ts {
		r, perr := eng.Reset(ctx, env.ResetParams{TaskID: task.ID})
		if perr != nil {
			t.Fatal(perr)
		}
		answer := task.GroundTruth
		if i%10 == 9 {
			answer = "I could not find it."
		}
		res, perr := eng.Step(ctx, env.StepParams{Episode: r.Episode, Message: &env.Message{Role: "assistant", Content: env.Content("<answer>" + answer + "</answer>")}})
		if perr != nil {
			t.Fatal(perr)
		}
		wantScore := 1.0
		if i%10 == 9 {
			wantScore = 0
		}
		if res.Reward == nil || res.Reward.Score != wantScore {
			t.Errorf("%s (%s): %q scored %+v", task.ID, task.Question, answer, res.Reward)
		}
	}
}

func BenchmarkOffline1000(b *testing.B) {
	reg := pool(b)
	for b.Loop() {
		if _, _, err := Generate(context.Background(), reg, Options{Count: 1000, Seed: 3}); err != nil {
			b.Fatal(err)
		}
	}
}
