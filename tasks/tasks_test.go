package tasks

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// fakeTools resolves calculator (runs here) and remote_lookup (does not).
func fakeTools(ref string) (string, bool, error) {
	switch ref {
	case "calculator", "general.math.calculator":
		return "calculator", true, nil
	case "remote_lookup":
		return "remote_lookup", false, nil
	}
	return "", false, errors.New("unknown tool")
}

func TestValidateNamesEveryProblemWithItsLine(t *testing.T) {
	ts, problems, err := ReadFile("testdata/problems.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	problems = append(problems, Validate(ts, fakeTools)...)
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	want := []string{
		"problems.jsonl:7: error: invalid JSON",
		"problems.jsonl:3: error: task no-answer: missing ground_truth",
		"problems.jsonl:4: error: task ok-1: duplicate uuid (first at problems.jsonl:1)",
		`problems.jsonl:5: error: task bad-tool: tool "web_search": unknown tool`,
		"problems.jsonl:6: error: missing uuid",
		`problems.jsonl:8: error: task 17: toolset has two tools named "calculator"`,
		`problems.jsonl:9: warning: task offline: tool "remote_lookup" cannot run on this machine`,
	}
	joined := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(joined, w) {
			t.Errorf("missing problem %q in:\n%s", w, joined)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(got), len(want), joined)
	}
	if !HasErrors(problems) {
		t.Error("HasErrors = false")
	}
	var aliased *Task
	for i := range ts {
		if ts[i].ID == "17" {
			aliased = &ts[i]
		}
	}
	if aliased == nil || aliased.GroundTruth != "57; 43" {
		t.Fatalf("id alias and list ground truth: %+v", aliased)
	}
	if ts[0].GroundTruth != "4" {
		t.Fatalf("numeric ground truth = %q", ts[0].GroundTruth)
	}
	msg := (&ProblemsError{Problems: problems}).Error()
	if !strings.Contains(msg, "6 problem(s)") || strings.Contains(msg, "warning") {
		t.Fatalf("ProblemsError = %s", msg)
	}
}

func TestParseArrayKeepsLines(t *testing.T) {
	ts, problems, err := ReadFile("testdata/array.json")
	if err != nil || len(problems) != 0 {
		t.Fatal(err, problems)
	}
	if len(ts) != 3 {
		t.Fatalf("%d tasks", len(ts))
	}
	for i, line := range []int{2, 10, 16} {
		if want := fmt.Sprintf("array.json:%d", line); ts[i].Source != want {
			t.Errorf("task %d source %s, want %s", i, ts[i].Source, want)
		}
	}
	if ts[2].GroundTruth != "true" || string(ts[2].Seed) != `{"entity": "x"}` || ts[2].Metadata["k"] != 1.0 {
		t.Errorf("superset fields: %+v", ts[2])
	}
	vp := Validate(ts, nil)
	if len(vp) != 1 || vp[0].Source != "array.json:10" || !strings.Contains(vp[0].Message, "missing question") {
		t.Errorf("problems = %v", vp)
	}
}

func TestParseBrokenArray(t *testing.T) {
	ts, problems := Parse("x.json", []byte("[\n{\"uuid\": \"a\", \"question\": \"q\", \"ground_truth\": \"1\"},\n{\"uuid\": 3.5.1}\n]"))
	if len(ts) != 1 || len(problems) != 1 || problems[0].Source != "x.json:3" {
		t.Fatalf("tasks %v, problems %v", ts, problems)
	}
}

func makeSet(t *testing.T, n int) *Set {
	t.Helper()
	var ts []Task
	for i := 0; i < n; i++ {
		ts = append(ts, Task{ID: fmt.Sprintf("t%03d", i), Question: "q", GroundTruth: "a", Domain: []string{"biological", "general"}[i%2]})
	}
	if err := AssignSplits(ts, []SplitFraction{{"train", 0.75}, {"test", 0.25}}, 1); err != nil {
		t.Fatal(err)
	}
	s, err := NewSet(ts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ids(ts []*Task) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func TestSampleIsDeterministic(t *testing.T) {
	s := makeSet(t, 200)
	a, err := s.Sample(Filter{Domain: "general"}, 10, 99, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Sample(Filter{Domain: "general"}, 10, 99, false)
	c, _ := s.Sample(Filter{Domain: "general"}, 10, 100, false)
	if !reflect.DeepEqual(ids(a), ids(b)) {
		t.Fatal("same seed, different sample")
	}
	if reflect.DeepEqual(ids(a), ids(c)) {
		t.Fatal("different seeds, same sample")
	}
	seen := map[string]bool{}
	for _, x := range a {
		if x.Domain != "general" || seen[x.ID] {
			t.Fatalf("bad sample %v", ids(a))
		}
		seen[x.ID] = true
	}
	all, _ := s.Sample(Filter{Domain: "general"}, 100, 5, false)
	if len(all) != 100 {
		t.Fatal("full permutation")
	}
	if _, err := s.Sample(Filter{Domain: "general"}, 101, 5, false); err == nil {
		t.Fatal("oversampling without replacement accepted")
	}
	if r, err := s.Sample(Filter{IDs: []string{"t001"}}, 5, 5, true); err != nil || len(r) != 5 || r[4].ID != "t001" {
		t.Fatalf("with replacement: %v %v", r, err)
	}
	if _, err := s.Sample(Filter{Domain: "astrology"}, 1, 5, false); !errors.Is(err, ErrNoMatch) {
		t.Fatalf("no match: %v", err)
	}
}

func TestAssignSplits(t *testing.T) {
	s := makeSet(t, 1000)
	counts := s.Counts(func(t *Task) string { return t.Split })
	if counts["train"] < 700 || counts["train"] > 800 || counts["train"]+counts["test"] != 1000 {
		t.Fatalf("split counts %v", counts)
	}
	// A task keeps its split when the set changes.
	one := []Task{{ID: "t005"}}
	if err := AssignSplits(one, []SplitFraction{{"train", 0.75}, {"test", 0.25}}, 1); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get("t005"); got.Split != one[0].Split {
		t.Fatal("split depends on the rest of the set")
	}
	if err := AssignSplits(one, []SplitFraction{{"train", 0.5}}, 1); err == nil {
		t.Fatal("fractions that do not add up accepted")
	}
}

func TestNewSetRejectsDuplicates(t *testing.T) {
	if _, err := NewSet([]Task{{ID: "a"}, {ID: "a"}}); err == nil {
		t.Fatal("duplicate accepted")
	}
	if _, err := NewSet([]Task{{}}); err == nil {
		t.Fatal("empty id accepted")
	}
}
