package reward

import (
	"context"
	"testing"

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
