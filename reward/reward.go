// Package reward scores an episode's final answer against its task's ground
// truth. A Scorer returns a score in [0, 1], a label, named components and an
// explanation; scorers are registered by name and chosen per task.
package reward

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/dive-env/dive/tasks"
)

// Label is the verdict of a score.
type Label string

// The labels a Scorer gives.
const (
	Correct   Label = "correct"
	Partial   Label = "partial"
	Incorrect Label = "incorrect"
	// Undecided marks an answer the deterministic rules could not decide
	// (a paraphrase, an answer with no clear commitment): without an LLM
	// judge its score is 0 and is no verdict; trainers should mask it.
	Undecided Label = "undecided"
	// ScoringFailed marks a result whose scorer could not give a verdict
	// (an LLM judge that timed out, say): its score is 0 and is no verdict
	// on the answer; trainers should mask it, not learn from it.
	ScoringFailed Label = "scoring_failed"
)

// Result is a scored answer.
type Result struct {
	// Score is the reward in [0, 1].
	Score float64 `json:"score"`
	// Label is correct, partial or incorrect.
	Label Label `json:"label"`
	// Components are named parts of the score (e.g. correctness, format).
	Components map[string]float64 `json:"components"`
	// Explanation says, for a person, why the score is what it is.
	Explanation string `json:"explanation"`
	// Extracted is the answer taken from the response.
	Extracted string `json:"extracted"`
	// Scorer names the scorer that produced the result.
	Scorer string `json:"scorer"`
	// DecidedBy says which path gave the label: "rule" (the deterministic
	// matcher), "judge" (an LLM judge's request), "judge_cache" (a cached
	// verdict of the judge), or "none" (no answer to score).
	DecidedBy string `json:"decided_by,omitempty"`
}

// The paths that decide a label.
const (
	DecidedByRule       = "rule"
	DecidedByJudge      = "judge"
	DecidedByJudgeCache = "judge_cache"
	DecidedByNone       = "none"
)

// LabelRewards maps a verdict's label to its reward. Undecided and
// scoring_failed results always score 0: they are no verdict.
type LabelRewards struct {
	Correct   float64 `json:"correct"`
	Partial   float64 `json:"partial"`
	Incorrect float64 `json:"incorrect"`
}

// DefaultLabelRewards is DIVE's strict mapping: 1 for correct, 0 for
// partial and incorrect.
func DefaultLabelRewards() LabelRewards { return LabelRewards{Correct: 1} }

// For is the reward of a label.
func (r LabelRewards) For(l Label) float64 {
	switch l {
	case Correct:
		return r.Correct
	case Partial:
		return r.Partial
	case Incorrect:
		return r.Incorrect
	}
	return 0
}

// ParseLabelRewards reads "correct=1,partial=0.5,incorrect=0"; labels not
// given keep the default. Each reward is in [0, 1].
func ParseLabelRewards(s string) (LabelRewards, error) {
	r := DefaultLabelRewards()
	if err := parseAssignments(s, "label reward", map[string]*float64{"correct": &r.Correct, "partial": &r.Partial, "incorrect": &r.Incorrect}, 1); err != nil {
		return LabelRewards{}, err
	}
	return r, nil
}

// Scorer scores a final response for a task. Implementations must be safe
// for concurrent use.
type Scorer interface {
	// Name is the name the scorer is registered under.
	Name() string
	// Score scores response, the final assistant message's content.
	Score(ctx context.Context, task *tasks.Task, response string) (Result, error)
}

// Registry maps scorer names to scorers. It is safe for concurrent use.
type Registry struct {
	mu       sync.RWMutex
	scorers  map[string]Scorer
	fallback string
}

// NewRegistry returns a registry with the built-in scorers: "match" (the
// default for tasks that name none) and "exact".
func NewRegistry() *Registry {
	r := &Registry{scorers: map[string]Scorer{}, fallback: MatchName}
	r.Register(NewExact(DefaultExactOptions()))
	r.Register(NewMatch(DefaultMatchOptions()))
	return r
}

// Register adds or replaces a scorer under its name.
func (r *Registry) Register(s Scorer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scorers[s.Name()] = s
}

// SetDefault chooses the scorer for tasks that name none.
func (r *Registry) SetDefault(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.scorers[name]; !ok {
		return fmt.Errorf("unknown scorer %q", name)
	}
	r.fallback = name
	return nil
}

// Names lists the registered scorers.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.scorers))
	for n := range r.scorers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// For returns the scorer a task asks for, or the default.
func (r *Registry) For(task *tasks.Task) (Scorer, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	name := task.Scorer
	if name == "" {
		name = r.fallback
	}
	s, ok := r.scorers[name]
	if !ok {
		return nil, fmt.Errorf("task %s asks for unknown scorer %q (have %s)", task.ID, name, strings.Join(r.namesLocked(), ", "))
	}
	return s, nil
}

func (r *Registry) namesLocked() []string {
	out := make([]string, 0, len(r.scorers))
	for n := range r.scorers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Score scores response with the task's scorer.
func (r *Registry) Score(ctx context.Context, task *tasks.Task, response string) (Result, error) {
	s, err := r.For(task)
	if err != nil {
		return Result{}, err
	}
	res, err := s.Score(ctx, task, response)
	if err != nil {
		return Result{}, fmt.Errorf("score task %s with %s: %w", task.ID, s.Name(), err)
	}
	return res, nil
}

// Failed is the result of a scorer that failed: score 0, label
// scoring_failed, the error as the explanation.
func Failed(scorer string, err error) Result {
	return Result{Score: 0, Label: ScoringFailed, Components: map[string]float64{"correctness": 0, "scoring_failed": 1},
		Explanation: "scoring failed: " + err.Error(), Scorer: scorer, DecidedBy: DecidedByNone}
}

// Zero is the result for an episode that ended without an answer.
func Zero(reason string) Result {
	return Result{Score: 0, Label: Incorrect, Components: map[string]float64{"correctness": 0, "answer_found": 0},
		Explanation: reason, Scorer: "none", DecidedBy: DecidedByNone}
}
