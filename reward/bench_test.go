package reward

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dive-env/dive/tasks"
)

// gradedCase is one line of testdata/graded.jsonl.
type gradedCase struct {
	Question    string `json:"question"`
	GroundTruth string `json:"ground_truth"`
	Response    string `json:"response"`
	Label       Label  `json:"label"`
	Category    string `json:"category"`
	Style       string `json:"style"`
	Hedge       bool   `json:"hedge"`
}

func loadGraded(tb testing.TB, path string) []gradedCase {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var out []gradedCase
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var c gradedCase
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			tb.Fatalf("%s:%d: %v", path, i+1, err)
		}
		out = append(out, c)
	}
	return out
}

// verbose2KB is a long final answer that is mostly a table of numbers,
// with a bolded conclusion (about 1 KB).
func verbose2KB() string {
	var b strings.Builder
	b.WriteString("To answer this I first retrieved the loan parameters and then ran the amortization formula with the calculator tool.\n\n")
	b.WriteString("| Year | Opening balance | Interest | Principal | Closing balance |\n|---|---|---|---|---|\n")
	bal := 600000.0
	for y := 1; y <= 10; y++ {
		interest := bal * 0.0576
		principal := 79069.8 - interest
		b.WriteString("| " + fmtNum(float64(y)) + " | $" + fmtNum(float64(int(bal))) + " | $" + fmtNum(float64(int(interest))) + " | $" +
			fmtNum(float64(int(principal))) + " | $" + fmtNum(float64(int(bal-principal))) + " |\n")
		bal -= principal
	}
	b.WriteString("\nThe monthly rate is 5.76% / 12 = 0.48%, over 120 payments, so each payment is $6,589.15 and the total paid is 120 × 6,589.15 = $790,698. ")
	b.WriteString("Subtracting the $600,000 principal leaves the interest. I double-checked the payment with the standard formula M = P·r / (1 − (1 + r)^−n), ")
	b.WriteString("which gives the same figure to the cent, and the schedule above sums to the same total within rounding.\n\n")
	b.WriteString("**Total interest paid: $190,698**\n")
	return b.String()
}

// verbose2KBProse is a 2 KB (2,032-byte) answer as models write them: the steps in
// prose and a short list, about twenty numbers, a bolded conclusion.
func verbose2KBProse() string {
	return `To work this out I gathered the loan terms first and then checked the arithmetic with the calculator tool.

**Step 1: the loan terms.** The mortgage is for $600,000 at a nominal annual rate of 5.76%, compounded monthly, and it is repaid in equal monthly payments over 10 years. That means the monthly rate is r = 0.0576 / 12 = 0.0048 and the number of payments is n = 10 × 12 = 120.

**Step 2: the monthly payment.** For an amortizing loan the payment is M = P · r / (1 − (1 + r)^−n). With P = 600,000, r = 0.0048 and n = 120, the growth factor (1.0048)^120 comes to about 1.7769, so its inverse is about 0.5628 and the denominator is 1 − 0.5628 = 0.4372. The numerator is 600,000 × 0.0048 = 2,880. Dividing gives M ≈ 2,880 / 0.4372 ≈ $6,589.15 per month. I re-ran this with the calculator tool and it returned 6589.1497, which rounds to the same value.

**Step 3: the total paid.** Over the life of the loan the borrower makes 120 payments of $6,589.15, which is 120 × 6,589.15 = $790,698 in total (to the nearest dollar; the unrounded total is 790,697.96).

**Step 4: the interest.** The interest is everything paid beyond the principal: $790,698 − $600,000.

Before settling on the figure I also considered whether the question meant simple interest or a different compounding convention. It says the rate is compounded monthly and the payments are equal and monthly, which is the standard fixed-rate mortgage, so the amortization formula applies as used above; no fees or points are mentioned, so none are added.

A quick sanity check: interest of roughly 32% of the principal over ten years is in line with a rate near 6% on a balance that falls to zero, since the average balance outstanding is a little over half of the original loan. The first payment alone carries $2,880 of interest and $3,709.15 of principal, and the share of principal grows every month after that.

- Principal: $600,000
- Monthly payment: $6,589.15
- Number of payments: 120
- Total repaid: $790,698

**Total interest paid: $190,698**
`
}

// benchScores scores each (task, response) pair in turn and reports the
// median and the 99th percentile of one call.
func benchScores(b *testing.B, ts []*tasks.Task, responses []string) {
	m := NewMatch(DefaultMatchOptions())
	ctx := context.Background()
	durs := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := i % len(ts)
		start := time.Now()
		if _, err := m.Score(ctx, ts[k], responses[k]); err != nil {
			b.Fatal(err)
		}
		if len(durs) < cap(durs) {
			durs = append(durs, time.Since(start))
		}
		i++
	}
	slices.Sort(durs)
	if len(durs) > 0 {
		b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds())/1e3, "p50-µs")
		b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds())/1e3, "p99-µs")
	}
}

func gradedBench(b *testing.B, style string) {
	var ts []*tasks.Task
	var rs []string
	for _, c := range loadGraded(b, "testdata/graded.jsonl") {
		if c.Style == style {
			ts = append(ts, &tasks.Task{ID: "b", Question: c.Question, GroundTruth: c.GroundTruth})
			rs = append(rs, c.Response)
		}
	}
	benchScores(b, ts, rs)
}

// BenchmarkScoreGradedShort scores the graded corpus's short answers.
func BenchmarkScoreGradedShort(b *testing.B) { gradedBench(b, "short") }

// BenchmarkScoreGradedVerbose scores its verbose answers (sentences,
// markdown, reasoning first; 30–600 bytes).
func BenchmarkScoreGradedVerbose(b *testing.B) { gradedBench(b, "verbose") }

var mortgageTask = &tasks.Task{ID: "b", GroundTruth: "190698", Question: "A $600000 mortgage at 5.76% a year, compounded monthly, is repaid in equal monthly payments over 10 years. How much interest is paid in all, in dollars, rounded to the nearest dollar?"}

// BenchmarkScoreVerbose2KB scores a 2 KB answer in prose with about twenty
// numbers and a bolded conclusion.
func BenchmarkScoreVerbose2KB(b *testing.B) {
	benchScores(b, []*tasks.Task{mortgageTask}, []string{verbose2KBProse()})
}

// BenchmarkScoreVerbose2KBWrong scores the same answer against another
// reference: its bold conclusion settles it as incorrect.
func BenchmarkScoreVerbose2KBWrong(b *testing.B) {
	wrong := *mortgageTask
	wrong.GroundTruth = "190689"
	benchScores(b, []*tasks.Task{&wrong}, []string{verbose2KBProse()})
}

// BenchmarkScoreVerbose2KBFullRead scores the answer with its conclusion
// unmarked ("So the total interest is …") against another reference: the
// conclusion does not settle it, and the whole text is read (the slow path).
func BenchmarkScoreVerbose2KBFullRead(b *testing.B) {
	wrong := *mortgageTask
	wrong.GroundTruth = "190689"
	resp := strings.Replace(verbose2KBProse(), "**Total interest paid: $190,698**", "So the total interest paid is $190,698.", 1)
	benchScores(b, []*tasks.Task{&wrong}, []string{resp})
}

// BenchmarkScoreTable1KB scores a 1 KB answer that is mostly a table of
// numbers (about 60): the worst case per byte.
func BenchmarkScoreTable1KB(b *testing.B) {
	benchScores(b, []*tasks.Task{mortgageTask}, []string{verbose2KB()})
}
