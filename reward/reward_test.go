package reward

import (
	"context"
	"strings"
	"testing"

	"github.com/dive-env/dive/tasks"
)

func TestExtract(t *testing.T) {
	tests := []struct {
		in, want, method string
	}{
		{"The answer is <answer>42</answer>.", "42", MethodAnswerTag},
		{"<answer>1</answer> then <answer> 2 </answer>", "2", MethodAnswerTag},
		{"<think>maybe <answer>7</answer></think>So \\boxed{\\frac{1}{2}}", "\\frac{1}{2}", MethodBoxed},
		{"Work...\nFinal answer: 3.14\n", "3.14", MethodFinalAnswer},
		{"**Final Answer:** MKV", "MKV", MethodFinalAnswer},
		{"  just this  ", "just this", MethodWhole},
		{"\\boxed{unclosed", "\\boxed{unclosed", MethodWhole},
	}
	for _, tc := range tests {
		got := Extract(tc.in)
		if got.Text != tc.want || got.Method != tc.method {
			t.Errorf("Extract(%q) = %+v, want %q by %s", tc.in, got, tc.want, tc.method)
		}
	}
}

func TestExactScorer(t *testing.T) {
	s := NewExact(DefaultExactOptions())
	tests := []struct {
		truth, response string
		want            float64
	}{
		{"48.78", "<answer>48.78</answer>", 1},
		{"48.78", "<answer>48.78%</answer>", 1},
		{"48.78", "<answer>48.7804878</answer>", 1}, // more precise than the reference
		{"48.78", "<answer>48.8</answer>", 0},
		{"48.78", "<answer>48.77</answer>", 0},
		{"1048576", "<answer>1,048,576</answer>", 1},
		{"1048576", "<answer>1.048576e6</answer>", 1},
		{"-135.3", "<answer>−135.3</answer>", 1},
		{"0.1667", "<answer>0.16666</answer>", 1},
		{"3", "<answer>three</answer>", 0},
		{"MAIVMGR", "<answer>maivmgr</answer>", 1},
		{"MAIVMGR", "<answer>MAIVMG</answer>", 0},
		{"The Standard Code", "<answer>standard code.</answer>", 1},
		{"ACGCAT; 391", "<answer>ACGCAT ; 391</answer>", 1},
		{"Ｑｕａｎｔｕｍ", "<answer>quantum</answer>", 1},
		{"42", "", 0},
		{"42", "<answer></answer>", 0},
	}
	for _, tc := range tests {
		task := &tasks.Task{ID: "t", GroundTruth: tc.truth}
		res, err := s.Score(context.Background(), task, tc.response)
		if err != nil {
			t.Fatal(err)
		}
		if res.Score != tc.want {
			t.Errorf("truth %q, response %q: score %v (%s), want %v", tc.truth, tc.response, res.Score, res.Explanation, tc.want)
		}
		if (res.Score == 1) != (res.Label == Correct) || res.Components["correctness"] != res.Score || res.Explanation == "" {
			t.Errorf("inconsistent result %+v", res)
		}
	}
}

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	if _, err := r.For(&tasks.Task{ID: "t", Scorer: "judge"}); err == nil || !strings.Contains(err.Error(), "exact") {
		t.Fatalf("unknown scorer: %v", err)
	}
	res, err := r.Score(context.Background(), &tasks.Task{ID: "t", GroundTruth: "x"}, "<answer>x</answer>")
	if err != nil || res.Scorer != MatchName || res.Score != 1 {
		t.Fatalf("default scorer: %+v %v", res, err)
	}
	if err := r.SetDefault("nope"); err == nil {
		t.Fatal("unknown default accepted")
	}
	z := Zero("max_turns")
	if z.Score != 0 || z.Label != Incorrect || z.Explanation != "max_turns" {
		t.Fatalf("Zero = %+v", z)
	}
}

func FuzzExactScorer(f *testing.F) {
	for _, s := range []string{"<answer>42</answer>", "\\boxed{{}}", "Final answer: -1,000.5%", "<think></think>"} {
		f.Add("42", s)
	}
	s := NewExact(DefaultExactOptions())
	f.Fuzz(func(t *testing.T, truth, response string) {
		res, err := s.Score(context.Background(), &tasks.Task{ID: "f", GroundTruth: truth}, response)
		if err != nil || res.Score < 0 || res.Score > 1 {
			t.Fatalf("Score(%q, %q) = %+v, %v", truth, response, res, err)
		}
	})
}

func TestExtractWith(t *testing.T) {
	strict := []string{MethodAnswerTag}
	if a := ExtractWith("The answer is 42.", strict); a.Text != "" || a.Method != "none" {
		t.Errorf("strict extraction found %+v", a)
	}
	if a := ExtractWith("x <answer>42</answer>", strict); a.Text != "42" {
		t.Errorf("strict extraction missed the tag: %+v", a)
	}
	if a := ExtractWith("Final answer: 7 and \\boxed{8}", []string{MethodFinalAnswer, MethodBoxed}); a.Text != "7 and \\boxed{8}" || a.Method != MethodFinalAnswer {
		t.Errorf("order: %+v", a)
	}
	if _, err := ParseExtraction("answer_tag, boxed"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "xml", "answer_tag,json"} {
		if _, err := ParseExtraction(bad); err == nil {
			t.Errorf("ParseExtraction(%q) accepted", bad)
		}
	}
	m := NewMatch(MatchOptions{Extraction: strict})
	res, _ := m.Score(context.Background(), &tasks.Task{ID: "t", GroundTruth: "42"}, "The answer is 42.")
	if res.Label != Incorrect || res.Explanation != "no answer found in the response" {
		t.Errorf("strict scorer: %+v", res)
	}
}

func TestParseLabelRewards(t *testing.T) {
	r, err := ParseLabelRewards("partial=0.5, incorrect=0")
	if err != nil || r != (LabelRewards{Correct: 1, Partial: 0.5}) {
		t.Fatalf("%+v %v", r, err)
	}
	if r.For(Undecided) != 0 || r.For(ScoringFailed) != 0 || r.For(Partial) != 0.5 {
		t.Fatalf("For: %+v", r)
	}
	for _, bad := range []string{"partial", "fine=1", "correct=1.5", "partial=-0.1", "partial=x"} {
		if _, err := ParseLabelRewards(bad); err == nil {
			t.Errorf("ParseLabelRewards(%q) accepted", bad)
		}
	}
}
