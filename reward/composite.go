package reward

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Weights turn a scorer's verdict and the shape of an episode into the
// reward: Correctness × correctness + Format × format − ToolError × failed
// tool calls − ToolCall × tool calls − Turn × assistant turns, clamped to
// [0, 1]. The default (correctness 1, the rest 0) leaves the score as the
// scorer gave it. StepToolError is per-step shaping: each step reports
// −StepToolError × its failed tool calls for trainers that use it.
type Weights struct {
	Correctness   float64 `json:"correctness"`
	Format        float64 `json:"format"`
	ToolError     float64 `json:"tool_error"`
	ToolCall      float64 `json:"tool_call"`
	Turn          float64 `json:"turn"`
	StepToolError float64 `json:"step_tool_error"`
}

// DefaultWeights score by correctness alone.
func DefaultWeights() Weights { return Weights{Correctness: 1} }

// EpisodeStats are what the weights charge for.
type EpisodeStats struct {
	Turns, ToolCalls, ToolErrors int
}

// ParseWeights reads "correctness=0.9,format=0.1,tool_error=0.05": names
// not given keep their default.
func ParseWeights(s string) (Weights, error) {
	w := DefaultWeights()
	fields := map[string]*float64{"correctness": &w.Correctness, "format": &w.Format, "tool_error": &w.ToolError,
		"tool_call": &w.ToolCall, "turn": &w.Turn, "step_tool_error": &w.StepToolError}
	if err := parseAssignments(s, "reward weight", fields, math.Inf(1)); err != nil {
		return Weights{}, err
	}
	return w, nil
}

// parseAssignments reads "name=number,…" into fields: every name one of
// fields', every number finite and in [0, most].
func parseAssignments(s, what string, fields map[string]*float64, most float64) error {
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		p, known := fields[strings.TrimSpace(k)]
		if !ok || !known {
			names := make([]string, 0, len(fields))
			for n := range fields {
				names = append(names, n)
			}
			sort.Strings(names)
			return fmt.Errorf("bad %s %q: want NAME=NUMBER with NAME one of %s", what, kv, strings.Join(names, ", "))
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > most {
			if math.IsInf(most, 1) {
				return fmt.Errorf("bad %s %q: want a finite number ≥ 0", what, kv)
			}
			return fmt.Errorf("bad %s %q: want a number in [0, %g]", what, kv, most)
		}
		*p = f
	}
	return nil
}

// Shaped reports whether the weights change anything beyond correctness.
func (w Weights) Shaped() bool { return w != DefaultWeights() }

// Apply adds the episode's counts to the result's components and, when
// the weights are not the default, recomputes the score from them. A
// scoring_failed result is left at 0.
func (w Weights) Apply(r Result, s EpisodeStats) Result {
	comps := make(map[string]float64, len(r.Components)+4)
	for k, v := range r.Components {
		comps[k] = v
	}
	comps["turns"], comps["tool_calls"], comps["tool_errors"] = float64(s.Turns), float64(s.ToolCalls), float64(s.ToolErrors)
	r.Components = comps
	if !w.Shaped() || r.Label == ScoringFailed {
		return r
	}
	correctness, ok := comps["correctness"]
	if !ok {
		correctness = r.Score
	}
	format := b2f(comps["answer_found"] == 1 && comps["answer_tagged"] == 1)
	comps["format"] = format
	raw := w.Correctness*correctness + w.Format*format - w.ToolError*float64(s.ToolErrors) - w.ToolCall*float64(s.ToolCalls) - w.Turn*float64(s.Turns)
	comps["reward_raw"] = raw
	r.Score = math.Min(1, math.Max(0, raw))
	r.Explanation += fmt.Sprintf("; reward %.4g = %g×correctness %.4g + %g×format %g − %g×%d tool errors − %g×%d tool calls − %g×%d turns, clamped to [0, 1]",
		r.Score, w.Correctness, correctness, w.Format, format, w.ToolError, s.ToolErrors, w.ToolCall, s.ToolCalls, w.Turn, s.Turns)
	return r
}
