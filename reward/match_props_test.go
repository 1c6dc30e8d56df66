package reward

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dive-env/dive/tasks"
)

// samples are answers of every shape the cases use.
func samples() []string {
	seen := map[string]bool{}
	var out []string
	for _, tc := range matchCases {
		for _, s := range []string{tc.reference, tc.answer} {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

func TestNormalizeIdempotent(t *testing.T) {
	for _, s := range append(samples(), "  Ｑｕａｎｔｕｍ  ", "A-B—C", "$ 3,000.50", "the the the", "-1.5e-3", "İstanbul", "ǅ") {
		once := Normalize(s)
		if twice := Normalize(once); twice != once {
			t.Errorf("Normalize(Normalize(%q)) = %q, want %q", s, twice, once)
		}
	}
}

// Every answer matches itself, and the score is always in [0, 1].
func TestMatchReflexiveAndBounded(t *testing.T) {
	m := NewMatch(DefaultMatchOptions())
	all := samples()
	for _, s := range all {
		if Normalize(s) == "" {
			continue
		}
		if got, why := m.Compare(s, s, ""); got != 1 {
			t.Errorf("Compare(%q, %q) = %v (%s), want 1", s, s, got, why)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		a, b := all[rng.IntN(len(all))], all[rng.IntN(len(all))]
		if got, _ := m.Compare(a, b, ""); got < 0 || got > 1 || math.IsNaN(got) {
			t.Fatalf("Compare(%q, %q) = %v", a, b, got)
		}
	}
}

// Matching is symmetric for yes/no, dates, integers, text and unordered
// lists of the same length: swapping answer and reference changes nothing.
func TestMatchSymmetric(t *testing.T) {
	m := NewMatch(DefaultMatchOptions())
	pairs := [][2]string{
		{"Yes", "yes"}, {"No", "Yes"}, {"2023-12-31", "December 31, 2023"}, {"2023-12-31", "2023-12-30"},
		{"57", "57"}, {"57", "58"}, {"1,048,576", "1048576"}, {"Paris", "paris"}, {"Paris", "London"},
		{"red, green, blue", "blue, red, green"}, {"red, green", "red, blue"}, {"57; 43", "43; 57"}, {"forty-two", "42"},
	}
	for _, p := range pairs {
		ab, _ := m.Compare(p[0], p[1], "")
		ba, _ := m.Compare(p[1], p[0], "")
		if ab != ba {
			t.Errorf("Compare(%q, %q) = %v but Compare(%q, %q) = %v", p[0], p[1], ab, p[1], p[0], ba)
		}
	}
}

// FuzzParseNumbers reads numbers, quantities, dates and number words out
// of any text: no panic, no NaN or infinity, spans inside the text.
func FuzzParseNumbers(f *testing.F) {
	for _, s := range append(samples(), "9e307 trillion and 1e308 million") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if q, ok := singleQuantity(s); ok && (math.IsNaN(q.value) || math.IsInf(q.value, 0)) {
			t.Fatalf("singleQuantity(%q) = %+v", s, q)
		}
		for _, n := range findNumbers(s, true) {
			if math.IsNaN(n.value) || math.IsInf(n.value, 0) || n.start < 0 || n.end > len(s) || n.start > n.end {
				t.Fatalf("findNumbers(%q): %+v", s, n)
			}
		}
		ParseDates(s)
		FindDates(s)
		parseWordNumber(s)
	})
}

func FuzzMatchCompare(f *testing.F) {
	for _, tc := range matchCases {
		f.Add(tc.answer, tc.reference, tc.question)
	}
	m := NewMatch(DefaultMatchOptions())
	f.Fuzz(func(t *testing.T, answer, reference, question string) {
		got, why := m.Compare(answer, reference, question)
		if got < 0 || got > 1 || math.IsNaN(got) || why == "" {
			t.Fatalf("Compare(%q, %q, %q) = %v, %q", answer, reference, question, got, why)
		}
		if Normalize(reference) != "" && strings.TrimSpace(reference) != "" {
			if self, _ := m.Compare(reference, reference, question); self != 1 {
				t.Fatalf("Compare(%q, itself) = %v", reference, self)
			}
		}
	})
}

// BenchmarkMatchShort scores short answers, the common case of an RL run,
// through the Scorer interface on one goroutine.
func BenchmarkMatchShort(b *testing.B) {
	m := NewMatch(DefaultMatchOptions())
	cases := []struct{ truth, question, response string }{
		{"57", "How many guests can the house accommodate?", "<answer>57</answer>"},
		{"48.78", "Give it as a percentage rounded to two decimal places.", "<answer>48.7804%</answer>"},
		{"Paris", "Which city?", "<answer>The capital is Paris.</answer>"},
		{"57; 43", "Give both values.", "<answer>57 ; 43</answer>"},
		{"2023-12-31", "When?", "<answer>December 31, 2023</answer>"},
		{"Yes", "Was it?", "<answer>No</answer>"},
		{"1,048,576", "How many?", "<answer>1048576</answer>"},
		{"BRCA1, TP53", "Which genes?", "<answer>tp53, brca1</answer>"},
	}
	ts := make([]*tasks.Task, len(cases))
	for i, c := range cases {
		ts[i] = &tasks.Task{ID: "b", GroundTruth: c.truth, Question: c.question}
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c := i % len(cases)
		if _, err := m.Score(ctx, ts[c], cases[c].response); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scores/s")
}

// A flood of parts costs bounded time and scores low.
func TestMatchManyParts(t *testing.T) {
	m := NewMatch(DefaultMatchOptions())
	answer := strings.Repeat("x; ", 50000) + "57"
	got, why := m.Compare(answer, "57; 43", "")
	if got > 0.01 {
		t.Fatalf("a flooded answer scores %v (%s)", got, why)
	}
	ref := strings.Repeat("a; ", 500) + "b"
	if got, _ := m.Compare(ref, ref, ""); got != 1 {
		t.Fatalf("a long list against itself: %v", got)
	}
}
