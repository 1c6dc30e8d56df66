package tasks

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

// ToolResolver resolves a task's tool reference (an id or a unique name) to
// the function name the model calls, and says whether the tool can run here.
type ToolResolver func(ref string) (name string, executable bool, err error)

// Validate checks tasks and returns every problem: missing id, question or
// answer, duplicate ids, tool references that do not resolve, two tools of
// one name in a toolset (errors), and tools that cannot run here (warnings).
// resolve may be nil to skip tool checks.
func Validate(ts []Task, resolve ToolResolver) []Problem {
	var problems []Problem
	seen := map[string]string{}
	for i := range ts {
		t := &ts[i]
		add := func(warning bool, format string, args ...any) {
			problems = append(problems, Problem{Source: t.Source, TaskID: t.ID, Message: fmt.Sprintf(format, args...), Warning: warning})
		}
		if t.ID == "" {
			add(false, "missing uuid")
		} else if first, dup := seen[t.ID]; dup {
			add(false, "duplicate uuid (first at %s)", first)
		} else {
			seen[t.ID] = t.Source
		}
		if strings.TrimSpace(t.Question) == "" {
			add(false, "missing question")
		}
		if strings.TrimSpace(t.GroundTruth) == "" {
			add(false, "missing ground_truth")
		}
		if t.MaxTurns < 0 || t.MaxToolCalls < 0 {
			add(false, "max_turns and max_tool_calls must not be negative")
		}
		if resolve == nil {
			continue
		}
		names := map[string]string{}
		for _, ref := range t.Tools {
			name, executable, err := resolve(ref)
			if err != nil {
				add(false, "tool %q: %v", ref, err)
				continue
			}
			if other, dup := names[name]; dup {
				add(false, "toolset has two tools named %q (%s and %s)", name, other, ref)
			}
			names[name] = ref
			if !executable {
				add(true, "tool %q cannot run on this machine; calls to it will return an error", ref)
			}
		}
	}
	return problems
}

// HasErrors reports whether any problem is an error rather than a warning.
func HasErrors(problems []Problem) bool {
	for _, p := range problems {
		if !p.Warning {
			return true
		}
	}
	return false
}

// Filter selects tasks; empty fields match everything.
type Filter struct {
	Split  string   `json:"split,omitempty"`
	Domain string   `json:"domain,omitempty"`
	IDs    []string `json:"ids,omitempty"`
}

func (f *Filter) match(t *Task, ids map[string]bool) bool {
	return (f.Split == "" || t.Split == f.Split) &&
		(f.Domain == "" || t.Domain == f.Domain) &&
		(len(ids) == 0 || ids[t.ID])
}

// Set is an immutable, validated collection of tasks, safe for concurrent use.
type Set struct {
	list []*Task
	byID map[string]*Task
}

// NewSet builds a set from tasks, in their order. Duplicate or empty ids are errors.
func NewSet(ts []Task) (*Set, error) {
	s := &Set{byID: make(map[string]*Task, len(ts))}
	for i := range ts {
		t := ts[i]
		if t.ID == "" {
			return nil, fmt.Errorf("%s: task without uuid", t.Source)
		}
		if _, dup := s.byID[t.ID]; dup {
			return nil, fmt.Errorf("%s: duplicate task uuid %q", t.Source, t.ID)
		}
		s.list = append(s.list, &t)
		s.byID[t.ID] = &t
	}
	return s, nil
}

// Len returns the number of tasks.
func (s *Set) Len() int { return len(s.list) }

// Get returns the task with the given id.
func (s *Set) Get(id string) (*Task, bool) {
	t, ok := s.byID[id]
	return t, ok
}

// All returns every task in load order. The slice must not be modified.
func (s *Set) All() []*Task { return s.list }

// Filter returns the tasks that match f, in load order.
func (s *Set) Filter(f Filter) []*Task {
	ids := map[string]bool{}
	for _, id := range f.IDs {
		ids[id] = true
	}
	var out []*Task
	for _, t := range s.list {
		if f.match(t, ids) {
			out = append(out, t)
		}
	}
	return out
}

// ErrNoMatch is returned when a sample's filter matches no task.
var ErrNoMatch = errors.New("no task matches the filter")

// Sample draws n tasks matching f, deterministically for a given seed: the
// same set, filter, n and seed always give the same tasks in the same order.
// Without replacement n may not exceed the number of matching tasks.
func (s *Set) Sample(f Filter, n int, seed uint64, replace bool) ([]*Task, error) {
	pool := s.Filter(f)
	if len(pool) == 0 {
		return nil, ErrNoMatch
	}
	if n <= 0 {
		return nil, fmt.Errorf("sample size must be positive, got %d", n)
	}
	rng := rand.New(rand.NewPCG(seed, 0x64697665)) // "dive"
	if replace {
		out := make([]*Task, n)
		for i := range out {
			out[i] = pool[rng.IntN(len(pool))]
		}
		return out, nil
	}
	if n > len(pool) {
		return nil, fmt.Errorf("sample of %d without replacement, but only %d task(s) match", n, len(pool))
	}
	perm := append([]*Task(nil), pool...)
	for i := 0; i < n; i++ {
		j := i + rng.IntN(len(perm)-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm[:n], nil
}

// Counts returns how many tasks each value of key (domain or split) has.
func (s *Set) Counts(key func(*Task) string) map[string]int {
	out := map[string]int{}
	for _, t := range s.list {
		out[key(t)]++
	}
	return out
}

// SplitFraction is one split's share of a task set.
type SplitFraction struct {
	Name     string
	Fraction float64
}

// AssignSplits sets each task's Split from a hash of seed and its id, so a
// task keeps its split when others are added or removed. Fractions must be
// positive and add up to 1 (within 1e-9).
func AssignSplits(ts []Task, fractions []SplitFraction, seed uint64) error {
	total := 0.0
	for _, f := range fractions {
		if f.Fraction <= 0 || f.Name == "" {
			return fmt.Errorf("split %q: fraction must be positive and the name non-empty", f.Name)
		}
		total += f.Fraction
	}
	if total < 1-1e-9 || total > 1+1e-9 {
		return fmt.Errorf("split fractions add up to %g, not 1", total)
	}
	sorted := append([]SplitFraction(nil), fractions...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for i := range ts {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%s", seed, ts[i].ID)))
		u := float64(binary.BigEndian.Uint64(sum[:8])>>11) / float64(1<<53)
		acc := 0.0
		ts[i].Split = sorted[len(sorted)-1].Name
		for _, f := range sorted {
			acc += f.Fraction
			if u < acc {
				ts[i].Split = f.Name
				break
			}
		}
	}
	return nil
}
