// Package synth makes DIVE-style task sets. Its offline generator needs no
// model: it is evidence-first by construction — it runs real tools of the
// offline pool, chaining retrieval into processing (2 to 6 calls where the
// data allows), and derives templated questions whose answers are entailed
// by the recorded trace. Every task is re-verified by replaying its trace
// before it is kept.
package synth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// Evidence is one recorded tool call that a ground truth is entailed by.
type Evidence struct {
	Tool      string          `json:"tool"`
	Arguments json.RawMessage `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

// Options configure the offline generator.
type Options struct {
	Count int    // tasks to make
	Seed  uint64 // the whole run is a function of the seed and the tool pool
	// MinTools and MaxTools bound a task's toolset (DIVE: 15 to 50): the tools
	// its trace used plus tools of its domain and general tools as distractors.
	MinTools, MaxTools int
	// IDPrefix starts every task id (default "dive-offline").
	IDPrefix string
}

// Stats describe a run.
type Stats struct {
	Made       int            `json:"made"`
	PerDomain  map[string]int `json:"per_domain"`
	PerRecipe  map[string]int `json:"per_recipe"`
	Duplicates int            `json:"duplicates"`
	Failed     int            `json:"failed"`     // recipes that could not complete (a tool error)
	Unverified int            `json:"unverified"` // traces that did not replay identically
	Skipped    []string       `json:"skipped"`    // recipes whose tools cannot run here
	ToolCalls  int            `json:"tool_calls"` // in kept traces
	MeanChain  float64        `json:"mean_chain"` // tool calls per kept task
	Verified   int            `json:"verified"`   // tasks whose trace replayed identically
}

// walker runs one recipe.
type walker struct {
	ctx context.Context
	reg *toolexec.Registry
	rng *rand.Rand
}

// draft is a task under construction.
type draft struct {
	question, answer, domain, seed string
	evidence                       []Evidence
}

// call runs a tool for real and records it as evidence.
func (w *walker) call(d *draft, id string, args map[string]any) (map[string]any, error) {
	tool, ok := w.reg.Get(id)
	if !ok {
		return nil, fmt.Errorf("no tool %s", id)
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	res := w.reg.Call(w.ctx, tool, raw)
	if res.Err != nil {
		return nil, fmt.Errorf("%s(%s): %s", id, raw, res.Err.Message)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(res.Output), &out); err != nil {
		return nil, fmt.Errorf("%s output: %w", id, err)
	}
	d.evidence = append(d.evidence, Evidence{Tool: id, Arguments: raw, Output: json.RawMessage(res.Output)})
	return out, nil
}

// Generate makes up to opts.Count tasks from the recipes whose tools can
// run in reg, cycling through them, deduplicated by normalized question.
func Generate(ctx context.Context, reg *toolexec.Registry, opts Options) ([]tasks.Task, Stats, error) {
	if opts.Count <= 0 {
		return nil, Stats{}, errors.New("count must be positive")
	}
	if opts.MinTools <= 0 {
		opts.MinTools = 15
	}
	if opts.MaxTools < opts.MinTools {
		opts.MaxTools = max(50, opts.MinTools)
	}
	if opts.IDPrefix == "" {
		opts.IDPrefix = "dive-offline"
	}
	st := Stats{PerDomain: map[string]int{}, PerRecipe: map[string]int{}, Skipped: []string{}}
	var usable []recipe
	for _, r := range recipes {
		ok := true
		for _, id := range r.tools {
			if t, found := reg.Get(id); !found || !t.Executable() {
				ok = false
				break
			}
		}
		if ok {
			usable = append(usable, r)
		} else {
			st.Skipped = append(st.Skipped, r.name)
		}
	}
	if len(usable) == 0 {
		return nil, st, errors.New("no recipe can run: none of their tools is executable here (run scripts/setup-data)")
	}
	pools := toolPools(reg)
	w := &walker{ctx: ctx, reg: reg, rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))}
	seen := map[string]bool{}
	var out []tasks.Task
	// A recipe that fails or repeats itself this many times in a row has
	// exhausted its parameter space and is retired.
	const maxMisses = 40
	misses := make([]int, len(usable))
	for i := 0; len(out) < opts.Count; i++ {
		if err := ctx.Err(); err != nil {
			return out, st, err
		}
		k := i % len(usable)
		if misses[k] >= maxMisses {
			live := false
			for _, m := range misses {
				live = live || m < maxMisses
			}
			if !live {
				return out, st, fmt.Errorf("the recipes ran out of distinct tasks after %d (asked for %d)", len(out), opts.Count)
			}
			continue
		}
		r := usable[k]
		d := &draft{domain: r.domain}
		if err := r.make(w, d); err != nil {
			st.Failed++
			misses[k]++
			continue
		}
		key := reward.Normalize(d.question)
		if seen[key] {
			st.Duplicates++
			misses[k]++
			continue
		}
		if !replays(ctx, reg, d.evidence) {
			st.Unverified++
			misses[k]++
			continue
		}
		misses[k] = 0
		seen[key] = true
		st.Verified++
		ev, err := json.Marshal(d.evidence)
		if err != nil {
			return out, st, err
		}
		seed, _ := json.Marshal(d.seed)
		out = append(out, tasks.Task{
			ID: fmt.Sprintf("%s-%s-%d", opts.IDPrefix, r.name, st.PerRecipe[r.name]+1), Question: d.question, GroundTruth: d.answer,
			Tools: w.toolset(d, pools, opts), Domain: d.domain, Seed: seed, Evidence: ev,
			Metadata: map[string]any{"generator": "synth/offline", "recipe": r.name, "chain_length": len(d.evidence)},
		})
		st.PerRecipe[r.name]++
		st.PerDomain[d.domain]++
		st.ToolCalls += len(d.evidence)
	}
	st.Made = len(out)
	if st.Made > 0 {
		st.MeanChain = float64(st.ToolCalls) / float64(st.Made)
	}
	if err := tasks.AssignSplits(out, []tasks.SplitFraction{{Name: "train", Fraction: 0.9}, {Name: "test", Fraction: 0.1}}, opts.Seed); err != nil {
		return nil, st, err
	}
	return out, st, nil
}

// replays re-executes a trace and checks every output is the same.
func replays(ctx context.Context, reg *toolexec.Registry, ev []Evidence) bool {
	for _, e := range ev {
		tool, ok := reg.Get(e.Tool)
		if !ok {
			return false
		}
		res := reg.Call(ctx, tool, e.Arguments)
		if res.Err != nil || !bytes.Equal([]byte(res.Output), e.Output) {
			return false
		}
	}
	return true
}

// toolPools lists the executable tools by domain, with unique names.
func toolPools(reg *toolexec.Registry) map[string][]*toolexec.Tool {
	pools := map[string][]*toolexec.Tool{}
	for _, t := range reg.Tools() {
		if t.Executable() {
			pools[t.Manifest.Domain] = append(pools[t.Manifest.Domain], t)
		}
	}
	for _, p := range pools {
		sort.Slice(p, func(i, j int) bool { return p[i].Manifest.ID < p[j].Manifest.ID })
	}
	return pools
}

// toolset is the trace's tools plus distractors from the task's domain and
// the general tools, between MinTools and MaxTools in all (fewer when the
// pool is smaller), shuffled, no two of one name.
func (w *walker) toolset(d *draft, pools map[string][]*toolexec.Tool, opts Options) []string {
	var set []string
	names := map[string]bool{}
	add := func(t *toolexec.Tool) {
		if !names[t.Manifest.Name] {
			names[t.Manifest.Name] = true
			set = append(set, t.Manifest.ID)
		}
	}
	for _, e := range d.evidence {
		if t, ok := w.reg.Get(e.Tool); ok {
			add(t)
		}
	}
	candidates := append(append([]*toolexec.Tool(nil), pools[d.domain]...), pools["general"]...)
	w.rng.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })
	size := opts.MinTools + w.rng.IntN(opts.MaxTools-opts.MinTools+1)
	for _, c := range candidates {
		if len(set) >= size {
			break
		}
		add(c)
	}
	w.rng.Shuffle(len(set), func(i, j int) { set[i], set[j] = set[j], set[i] })
	return set
}

// WriteJSONL renders tasks as JSONL.
func WriteJSONL(ts []tasks.Task) ([]byte, error) {
	var b bytes.Buffer
	for _, t := range ts {
		line, err := json.Marshal(t)
		if err != nil {
			return nil, fmt.Errorf("encode task %s: %w", t.ID, err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func num(m map[string]any, path string) (float64, error) {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return 0, fmt.Errorf("no %s in the output", path)
		}
		v = mm[k]
	}
	f, ok := v.(float64)
	if !ok {
		return 0, fmt.Errorf("%s is not a number", path)
	}
	return f, nil
}

func str(m map[string]any, path string) (string, error) {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return "", fmt.Errorf("no %s in the output", path)
		}
		v = mm[k]
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s is not a string", path)
	}
	return s, nil
}
