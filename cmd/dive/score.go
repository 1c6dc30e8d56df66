package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
)

// scoreLine is one line of a file to score.
type scoreLine struct {
	Question    string `json:"question"`
	GroundTruth string `json:"ground_truth"`
	Response    string `json:"response"`
	Label       string `json:"label,omitempty"` // correct | partial | incorrect, when known
}

// scoredLine is one line's result.
type scoredLine struct {
	Line        int     `json:"line"`
	Score       float64 `json:"score"`
	Label       string  `json:"label"`
	Expected    string  `json:"expected_label,omitempty"`
	Agrees      *bool   `json:"agrees,omitempty"`
	Extracted   string  `json:"extracted"`
	Explanation string  `json:"explanation"`
}

// scoreSummary is what `dive score --json` prints.
type scoreSummary struct {
	Scorer    string         `json:"scorer"`
	N         int            `json:"n"`
	MeanScore float64        `json:"mean_score"`
	Labels    map[string]int `json:"labels"`
	Labelled  int            `json:"labelled"`
	Accuracy  *float64       `json:"accuracy"` // agreement with the given labels; null when no line has one
	Results   []scoredLine   `json:"results"`
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
	reg, err := judge.registry(nil) // units as written: scoring a file starts no sandbox
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
	fmt.Fprintln(tw, "LINE\tSCORE\tLABEL\tEXPECTED\tEXPLANATION")
	for _, r := range sum.Results {
		fmt.Fprintf(tw, "%d\t%.3g\t%s\t%s\t%s\n", r.Line, r.Score, r.Label, r.Expected, truncate(r.Explanation, 90))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d line(s) scored by %s: mean score %.4f; correct %d, partial %d, incorrect %d\n", sum.N, sum.Scorer, sum.MeanScore,
		sum.Labels["correct"], sum.Labels["partial"], sum.Labels["incorrect"])
	if sum.Accuracy != nil {
		fmt.Fprintf(stdout, "agreement with the %d given labels: %.4f\n", sum.Labelled, *sum.Accuracy)
	}
	return nil
}

// scoreLines scores every line; a malformed line stops with its number.
func scoreLines(ctx context.Context, reg *reward.Registry, scorer string, in io.Reader, name string) (scoreSummary, error) {
	sum := scoreSummary{Scorer: scorer, Labels: map[string]int{"correct": 0, "partial": 0, "incorrect": 0}, Results: []scoredLine{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	agree, total := 0, 0.0
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Bytes()
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var l scoreLine
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
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
		r := scoredLine{Line: n, Score: res.Score, Label: string(res.Label), Expected: l.Label, Extracted: res.Extracted, Explanation: res.Explanation}
		if l.Label != "" {
			ok := l.Label == string(res.Label)
			r.Agrees = &ok
			sum.Labelled++
			if ok {
				agree++
			}
		}
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
	if sum.Labelled > 0 {
		acc := float64(agree) / float64(sum.Labelled)
		sum.Accuracy = &acc
	}
	return sum, nil
}
