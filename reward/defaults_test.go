package reward_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/dive-env/dive/internal/defaults"
	"github.com/dive-env/dive/reward"
)

// nearMisses makes wrong answers close to a ground truth: a number off by
// one in its last written digit, a sequence one residue short or with one
// residue changed, an identifier with another check digit.
func nearMisses(truth string) []string {
	if v, err := strconv.ParseFloat(truth, 64); err == nil {
		dec := 0
		if i := strings.IndexByte(truth, '.'); i >= 0 {
			dec = len(truth) - i - 1
		}
		step := math.Pow(10, -float64(dec))
		if len(truth) >= 12 && dec == 0 { // an identifier: change the last digit
			last := truth[len(truth)-1]
			return []string{truth[:len(truth)-1] + string('0'+(last-'0'+1)%10)}
		}
		return []string{strconv.FormatFloat(v+step, 'f', dec, 64), strconv.FormatFloat(v-step, 'f', dec, 64)}
	}
	other := byte('A')
	if truth[len(truth)-1] == 'A' {
		other = 'G'
	}
	return []string{truth[:len(truth)-1], truth[:len(truth)-1] + string(other)}
}

// Every task of the embedded default set: the right answer, plain and
// verbose, is correct; near misses and hedges of every shape never earn
// full credit.
func TestDefaultTasksNearMissesAndHedges(t *testing.T) {
	ts, err := defaults.Tasks()
	if err != nil {
		t.Fatal(err)
	}
	m := reward.NewMatch(reward.DefaultMatchOptions())
	ctx := context.Background()
	kinds := map[string]bool{}
	for i := range ts {
		task := &ts[i]
		kinds[strings.TrimRight(strings.TrimPrefix(task.ID, "dive-default-"), "0123456789-")] = true
		truth := task.GroundTruth
		right := []string{
			"<answer>" + truth + "</answer>",
			fmt.Sprintf("I called the tools and checked the result twice.\n\nThe answer is **%s**.", truth),
		}
		for _, r := range right {
			if res, _ := m.Score(ctx, task, r); res.Label != reward.Correct {
				t.Errorf("%s: the right answer %q scores %s: %s", task.ID, r, res.Label, res.Explanation)
			}
		}
		for _, miss := range nearMisses(truth) {
			wrong := []string{
				"<answer>" + miss + "</answer>",
				fmt.Sprintf("After running the tools, the result is %s.", miss),
				// Hedges: both values, as a list, as alternatives, as two final answers.
				fmt.Sprintf("<answer>%s or %s</answer>", truth, miss),
				fmt.Sprintf("<answer>%s; %s</answer>", miss, truth),
				fmt.Sprintf("It is either %s or %s, depending on rounding.", truth, miss),
				fmt.Sprintf("<answer>%s</answer>\n\nOn reflection: <answer>%s</answer>", miss, truth),
				fmt.Sprintf("\\boxed{%s} or \\boxed{%s}", truth, miss),
			}
			for _, w := range wrong {
				if res, _ := m.Score(ctx, task, w); res.Label == reward.Correct || res.Score > 0 {
					t.Errorf("%s (truth %s): %q scores %s (%v): %s", task.ID, truth, w, res.Label, res.Score, res.Explanation)
				}
			}
		}
	}
	if len(ts) < 100 || len(kinds) < 10 {
		t.Fatalf("%d tasks of %d kinds: the default set shrank?", len(ts), len(kinds))
	}
}
