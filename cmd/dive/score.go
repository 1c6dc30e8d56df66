package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"text/tabwriter"

	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
)

// scoreLine is one line of a file to score. Other fields (why, style, …)
// are ignored.
type scoreLine struct {
	Question    string `json:"question"`
	GroundTruth string `json:"ground_truth"`
	Response    string `json:"response"`
	Label       string `json:"label,omitempty"`    // correct | partial | incorrect, when known
	Category    string `json:"category,omitempty"` // a class to report agreement by
	Hedge       bool   `json:"hedge,omitempty"`    // the response hedges: it must not score above partial
}

// scoredLine is one line's result.
type scoredLine struct {
	Line        int     `json:"line"`
	Score       float64 `json:"score"`
	Label       string  `json:"label"`
	DecidedBy   string  `json:"decided_by"`
	Expected    string  `json:"expected_label,omitempty"`
	Category    string  `json:"category,omitempty"`
	Agrees      *bool   `json:"agrees,omitempty"`
	Extracted   string  `json:"extracted"`
	Explanation string  `json:"explanation"`
}

// agreement counts a set of labelled lines: how many the scorer decided
// (correct, partial or incorrect rather than undecided or failed) and how
// many of its labels agree with the given ones.
type agreement struct {
	Labelled        int      `json:"labelled"`
	Decided         int      `json:"decided"`
	Agree           int      `json:"agree"`
	Coverage        *float64 `json:"coverage"`         // decided / labelled
	Accuracy        *float64 `json:"accuracy"`         // agree / labelled (an undecided line disagrees)
	DecidedAccuracy *float64 `json:"decided_accuracy"` // agree / decided
}

func (a *agreement) add(expected string, got reward.Label) {
	a.Labelled++
	if got == reward.Correct || got == reward.Partial || got == reward.Incorrect {
		a.Decided++
	}
	if expected == string(got) {
		a.Agree++
	}
}

func (a *agreement) finish() {
	ratio := func(n, d int) *float64 {
		if d == 0 {
			return nil
		}
		r := float64(n) / float64(d)
		return &r
	}
	a.Coverage, a.Accuracy, a.DecidedAccuracy = ratio(a.Decided, a.Labelled), ratio(a.Agree, a.Labelled), ratio(a.Agree, a.Decided)
}

// scoreSummary is what `dive score --json` prints.
type scoreSummary struct {
	Scorer    string         `json:"scorer"`
	N         int            `json:"n"`
	MeanScore float64        `json:"mean_score"`
	Labels    map[string]int `json:"labels"`
	DecidedBy map[string]int `json:"decided_by"`
	Labelled  int            `json:"labelled"`
	// Accuracy is the agreement with the given labels over all labelled
	// lines; null when no line has one.
	Accuracy *float64 `json:"accuracy"`
	// Coverage is the share of labelled lines the scorer decided;
	// DecidedAccuracy the agreement on those.
	Coverage        *float64              `json:"coverage"`
	DecidedAccuracy *float64              `json:"decided_accuracy"`
	ByCategory      map[string]*agreement `json:"by_category,omitempty"`
	// Hedges counts the lines marked hedge; HedgesAbovePartial those the
	// scorer labelled correct.
	Hedges             int          `json:"hedges"`
	HedgesAbovePartial int          `json:"hedges_above_partial"`
	Results            []scoredLine `json:"results"`
}

func scoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("score", "dive score FILE|- [--scorer NAME] [--json]", stderr)
	scorerName := fs.String("scorer", "", "scorer: match (default), exact; judge and match+judge (the default then) with --judge-url and --judge-model")
	asJSON := fs.Bool("json", false, "print one JSON summary object, per-line results included")
	judge := addScoringFlags(fs)
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usagef("score needs one JSONL file (or - for standard input) whose lines hold question, ground_truth, response and optionally label")
	}
	reg, err := judge.registry()
	if err != nil {
		return err
	}
	if *scorerName == "" {
		*scorerName = reward.MatchName
		if judge.url != "" {
			*scorerName = reward.HybridName
		}
	}
	if err := reg.SetDefault(*scorerName); err != nil {
		return usagef("%v (have %v)", err, reg.Names())
	}
	var in io.Reader = os.Stdin
	if files[0] != "-" {
		f, err := os.Open(files[0])
		if err != nil {
			return fmt.Errorf("score: %w", err)
		}
		defer f.Close()
		in = f
	}
	sum, err := scoreLines(ctx, reg, *scorerName, in, files[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, sum)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LINE\tSCORE\tLABEL\tBY\tEXPECTED\tEXPLANATION")
	for _, r := range sum.Results {
		fmt.Fprintf(tw, "%d\t%.3g\t%s\t%s\t%s\t%s\n", r.Line, r.Score, r.Label, r.DecidedBy, r.Expected, truncate(r.Explanation, 90))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d line(s) scored by %s: mean score %.4f; correct %d, partial %d, incorrect %d, undecided %d\n", sum.N, sum.Scorer, sum.MeanScore,
		sum.Labels["correct"], sum.Labels["partial"], sum.Labels["incorrect"], sum.Labels["undecided"])
	if sum.Accuracy != nil {
		fmt.Fprintf(stdout, "agreement with the %d given labels: %.4f; coverage %.4f; agreement on the %d decided: %s\n", sum.Labelled, *sum.Accuracy,
			*sum.Coverage, int(math.Round(*sum.Coverage*float64(sum.Labelled))), fmtRatio(sum.DecidedAccuracy))
	}
	if len(sum.ByCategory) > 0 {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CATEGORY\tLABELLED\tCOVERAGE\tAGREEMENT\tON DECIDED")
		for _, c := range slices.Sorted(maps.Keys(sum.ByCategory)) {
			a := sum.ByCategory[c]
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", c, a.Labelled, fmtRatio(a.Coverage), fmtRatio(a.Accuracy), fmtRatio(a.DecidedAccuracy))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if sum.Hedges > 0 {
		fmt.Fprintf(stdout, "hedges scored correct: %d of %d\n", sum.HedgesAbovePartial, sum.Hedges)
	}
	return nil
}

// scoreLines scores every line; a malformed line stops with its number.
func scoreLines(ctx context.Context, reg *reward.Registry, scorer string, in io.Reader, name string) (scoreSummary, error) {
	sum := scoreSummary{Scorer: scorer, Labels: map[string]int{"correct": 0, "partial": 0, "incorrect": 0, "undecided": 0},
		DecidedBy: map[string]int{}, Results: []scoredLine{}}
	var all agreement
	byCat := map[string]*agreement{}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	total := 0.0
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Bytes()
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var l scoreLine
		if err := json.Unmarshal(raw, &l); err != nil {
			return sum, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if l.GroundTruth == "" {
			return sum, fmt.Errorf("%s:%d: ground_truth is missing or empty", name, n)
		}
		switch l.Label {
		case "", "correct", "partial", "incorrect":
		default:
			return sum, fmt.Errorf("%s:%d: label %q is not correct, partial or incorrect", name, n, l.Label)
		}
		task := &tasks.Task{ID: fmt.Sprintf("line-%d", n), Question: l.Question, GroundTruth: l.GroundTruth}
		res, err := reg.Score(ctx, task, l.Response)
		if err != nil {
			return sum, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		r := scoredLine{Line: n, Score: res.Score, Label: string(res.Label), DecidedBy: res.DecidedBy, Expected: l.Label, Category: l.Category,
			Extracted: res.Extracted, Explanation: res.Explanation}
		if l.Label != "" {
			ok := l.Label == string(res.Label)
			r.Agrees = &ok
			all.add(l.Label, res.Label)
			if l.Category != "" {
				if byCat[l.Category] == nil {
					byCat[l.Category] = &agreement{}
				}
				byCat[l.Category].add(l.Label, res.Label)
			}
		}
		if l.Hedge {
			sum.Hedges++
			if res.Label == reward.Correct {
				sum.HedgesAbovePartial++
			}
		}
		sum.DecidedBy[res.DecidedBy]++
		sum.Labels[string(res.Label)]++
		total += res.Score
		sum.Results = append(sum.Results, r)
	}
	if err := sc.Err(); err != nil {
		return sum, fmt.Errorf("%s: %w", name, err)
	}
	sum.N = len(sum.Results)
	if sum.N > 0 {
		sum.MeanScore = total / float64(sum.N)
	}
	all.finish()
	sum.Labelled, sum.Accuracy, sum.Coverage, sum.DecidedAccuracy = all.Labelled, all.Accuracy, all.Coverage, all.DecidedAccuracy
	if len(byCat) > 0 {
		for _, a := range byCat {
			a.finish()
		}
		sum.ByCategory = byCat
	}
	return sum, nil
}

func fmtRatio(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.4f", *r)
}
