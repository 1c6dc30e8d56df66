package reward

import (
	"slices"
	"testing"
)

// The hand scanner finds exactly the spans of the regular expression.
func TestScanNumbersAgreesWithRegexp(t *testing.T) {
	inputs := []string{"", "1,234.5 and 12,3456 and 1234,567", "-$1.2 billion", "$ 5", "US$3 or €4,000.50", "--5 - 5 +.5", "2.5e-9 M, 6.02 x 10^23, 6.02×10^-3, 1 x 105",
		"1e", "3.e5", "−40 °C – 3", "12,34", "1,234,", "..5", "$-5", "¥3,592", "₹100", "5e+", "7 x 10", "x10^5"}
	for _, c := range loadGraded(t, "testdata/graded.jsonl") {
		inputs = append(inputs, c.Response, c.Question, c.GroundTruth)
	}
	inputs = append(inputs, verbose2KB())
	for _, in := range inputs {
		checkScan(t, in)
	}
}

func checkScan(t *testing.T, in string) {
	t.Helper()
	want := numRe.FindAllStringIndex(in, -1)
	got := scanNumbers(in)
	if len(want) != len(got) || !slices.EqualFunc(want, got, func(a []int, b [2]int) bool { return a[0] == b[0] && a[1] == b[1] }) {
		t.Fatalf("scanNumbers(%q) = %v, numRe finds %v", in, got, want)
	}
}

func FuzzScanNumbers(f *testing.F) {
	for _, s := range []string{"1,234.5", "-$1.2e-3", "6.02 x 10^23", "12,3456", "$ -.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkScan(t, s) })
}

// The word scans give what the regular expressions they replace give.
func TestHedgedAndAnswerTagsAgree(t *testing.T) {
	inputs := []string{"X or Y", "Either way", "MAYBE", "it might  be", "could be", "not sure", "notsure", "anywhere from 2", "orange",
		"<answer>1</answer> x <ANSWER>2</Answer>", "<answer>unclosed", "<answer></answer>", "between-ness", "perhaps."}
	for _, c := range loadGraded(t, "testdata/graded.jsonl") {
		inputs = append(inputs, c.Response)
	}
	for _, in := range inputs {
		if got, want := hedged(in), hedgeRe.MatchString(lowerASCII(in)); got != want {
			t.Errorf("hedged(%q) = %v, hedgeRe says %v", in, got, want)
		}
		var want []string
		for _, m := range answerTag.FindAllStringSubmatch(in, 64) {
			want = append(want, m[1])
		}
		if got := answerTags(in); !slices.Equal(got, want) {
			t.Errorf("answerTags(%q) = %q, answerTag finds %q", in, got, want)
		}
	}
}
