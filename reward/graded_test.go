package reward

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dive-env/dive/tasks"
)

// TestGradedCorpora holds the acceptance figures of the scorer on the
// labelled corpora of testdata (labels written by a grader before the
// scorer saw them): agreement on the answers it decides of at least 97%,
// at least 90% of them decided, no hedge scored correct. Disagreements are
// listed, to be read.
func TestGradedCorpora(t *testing.T) {
	m := NewMatch(DefaultMatchOptions())
	ctx := context.Background()
	total, verbose := 0, 0
	for _, path := range []string{"testdata/graded.jsonl", "testdata/graded_holdout.jsonl"} {
		cases := loadGraded(t, path)
		decided, agree, hedgesCorrect := 0, 0, 0
		for i, c := range cases {
			res, err := m.Score(ctx, &tasks.Task{ID: "g", Question: c.Question, GroundTruth: c.GroundTruth}, c.Response)
			if err != nil {
				t.Fatalf("%s:%d: %v", path, i+1, err)
			}
			if res.Label != Undecided {
				decided++
				if res.Label == c.Label {
					agree++
				} else {
					t.Logf("%s:%d (%s): %s, the grader says %s: %s", path, i+1, c.Category, res.Label, c.Label, res.Explanation)
				}
			}
			if c.Hedge && res.Label == Correct {
				hedgesCorrect++
				t.Errorf("%s:%d: a hedge scored correct: %q", path, i+1, c.Response)
			}
			if c.Style == "verbose" {
				verbose++
			}
		}
		total += len(cases)
		coverage, accuracy := float64(decided)/float64(len(cases)), float64(agree)/float64(decided)
		t.Logf("%s: %d cases, coverage %.4f, agreement on the decided %.4f, hedges scored correct %d", path, len(cases), coverage, accuracy, hedgesCorrect)
		if coverage < 0.90 || accuracy < 0.97 {
			t.Errorf("%s: coverage %.4f (want ≥ 0.90), agreement on the decided %.4f (want ≥ 0.97)", path, coverage, accuracy)
		}
	}
	if total < 400 || 2*verbose < total {
		t.Errorf("the corpora hold %d cases, %d verbose: want at least 400, half of them verbose", total, verbose)
	}
}

// FuzzScore scores any response against any reference: no panic, a label
// of the five, a score in [0, 1] that the label explains, and the
// reference itself in answer tags is correct.
func FuzzScore(f *testing.F) {
	for i, c := range loadGraded(f, "testdata/graded.jsonl") {
		if i%7 == 0 {
			f.Add(c.Question, c.GroundTruth, c.Response)
		}
	}
	f.Add("Which?", "Saturn", "Saturn; Jupiter; **Mars** or \\boxed{Venus}")
	f.Add("How much did it fall?", "-1.2 billion", "fell by $1.2B from $4.5B to $3.3B; 17 hours 30 minutes; 4:1; 0x10^5")
	m := NewMatch(DefaultMatchOptions())
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, question, reference, response string) {
		task := &tasks.Task{ID: "f", Question: question, GroundTruth: reference}
		res, err := m.Score(ctx, task, response)
		if err != nil {
			t.Fatal(err)
		}
		switch res.Label {
		case Correct, Partial, Incorrect, Undecided:
		default:
			t.Fatalf("label %q", res.Label)
		}
		if res.Score < 0 || res.Score > 1 || res.Explanation == "" || (res.Label != Correct && res.Score != 0) {
			t.Fatalf("Score(%q, %q, %q) = %+v", question, reference, response, res)
		}
		if strings.TrimSpace(reference) != "" && Normalize(reference) != "" && !strings.Contains(reference, "</answer>") {
			if self, _ := m.Score(ctx, task, "<answer>"+reference+"</answer>"); self.Label != Correct {
				t.Fatalf("the reference %q in answer tags scores %s: %s", reference, self.Label, self.Explanation)
			}
		}
	})
}

// A 1 MB response (a model stuck in a loop) is scored in bounded time:
// the rules read its last 16 KB. The bound is loose; it catches a
// quadratic pass, which would take minutes.
func TestScoreHugeResponse(t *testing.T) {
	m := NewMatch(DefaultMatchOptions())
	var b strings.Builder
	for b.Len() < 1<<20 {
		b.WriteString("The value was 12.5% or **3,400 km** from 2019-04-21 (about $45,459.04), so h = 12; ")
	}
	for _, resp := range []string{b.String(), "<answer>" + b.String() + "</answer>", strings.Repeat("9", 1<<20), strings.Repeat("**", 1<<19)} {
		start := time.Now()
		res, err := m.Score(context.Background(), &tasks.Task{ID: "h", Question: "What share?", GroundTruth: "12.5%"}, resp)
		if err != nil || res.Explanation == "" {
			t.Fatalf("%+v %v", res, err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("a 1 MB response took %v", d)
		}
	}
}

// The examples of docs/protocol.md ("The reward") are what match says.
func TestProtocolRewardExamples(t *testing.T) {
	b, err := os.ReadFile("../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "Examples, with the label `match` gives:")
	if start < 0 {
		t.Fatal("docs/protocol.md has no reward examples")
	}
	m := NewMatch(DefaultMatchOptions())
	n := 0
	for _, line := range strings.Split(doc[start:], "\n")[4:] {
		if !strings.HasPrefix(line, "| ") {
			break
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 4 {
			t.Fatalf("bad example row %q", line)
		}
		q, ref, ans, want := cells[0], cells[1], strings.Trim(cells[2], "`"), Label(cells[3])
		if got, why := m.Decide(q, ref, ans); got != want {
			t.Errorf("docs/protocol.md: %q for %q (%q) is %s (%s), the docs say %s", ans, ref, q, got, why, want)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("%d examples", n)
	}
}
