package reward

import (
	"context"
	"testing"

	"github.com/dive-env/dive/tasks"
)

// matchCases are shaped on DIVE-style questions (../shared/dive-reference
// exemplars: counts, years, names, amounts, percentages, multi-part answers)
// and the ways models write answers.
var matchCases = []struct {
	name, question, reference, answer string
	want                              float64
}{
	// Plain numbers and formatting.
	{"integer", "", "57", "57", 1},
	{"integer sentence", "", "57", "The answer is 57.", 1},
	{"integer with period", "", "57", "57.", 1},
	{"integer words", "", "42", "forty-two", 1},
	{"integer words spaced", "", "105", "one hundred and five", 1},
	{"large words", "", "2300000", "two million three hundred thousand", 1},
	{"dozen", "", "12", "a dozen", 1},
	{"wrong integer", "", "57", "58", 0},
	{"integer vs decimal close", "", "57", "57.4", 0},
	{"thousands separator", "", "1048576", "1,048,576", 1},
	{"thousands separator in ref", "", "1,048,576", "1048576", 1},
	{"scientific", "", "1048576", "1.048576e6", 1},
	{"times ten", "", "6.02e23", "6.02 x 10^23", 1},
	{"unicode minus", "", "-135.3", "−135.3", 1},
	{"en dash minus", "", "-4", "–4", 1},
	{"plus sign", "", "7", "+7", 1},
	{"negative wrong sign", "", "-12", "12", 0},
	{"million word", "", "1200000", "1.2 million", 1},
	{"billion word", "", "3400000000", "3.4 billion", 1},
	{"k suffix", "", "3400", "3.4k", 1},
	{"currency dollars", "", "1500000", "$1.5 million", 1},
	{"currency m", "", "$2.5m", "2,500,000 dollars", 1},
	{"currency match", "", "$1,234.56", "1234.56", 1},
	{"approximately", "", "300", "approximately 300", 1},
	{"about tilde", "", "300", "~300", 1},
	{"zero", "", "0", "0.0", 1},
	{"zero words", "", "0", "zero", 1},
	{"decimal more precise", "", "48.78", "48.7804878", 1},
	{"decimal less precise", "", "48.78", "48.8", 0.5}, // the right value, less precise: partial
	{"decimal off", "", "48.78", "48.77", 0},
	{"decimal trailing zero", "", "2.50", "2.5", 1},
	{"ratio", "", "0.1667", "0.16666", 1},
	{"year", "", "1896", "It was built in 1896.", 1},
	{"year wrong", "", "1896", "1903", 0},
	{"two numbers hedge", "", "57", "57 or 58", 0},
	{"same number twice", "", "57", "57 (that is, 57 units)", 1},
	{"number with unit in answer", "", "12", "12 guests", 1},
	{"number with unit both", "", "474 miles", "474 miles", 1},
	{"unit plural", "", "3 kilometres", "3 kilometre", 1},
	{"unit mismatch", "", "3 km", "3 m", 0},
	{"unit mg vs g", "", "5 mg", "5 g", 0},
	{"unit spacing", "", "5 mg/dL", "5mg/dL", 1},
	{"no number", "", "57", "fifty seven point two apples", 0},
	{"empty answer", "", "57", "", 0},
	{"number in words sentence", "", "3", "There are three of them", 1},

	// Percentages.
	{"percent sign both", "", "57%", "57%", 1},
	{"percent dropped", "", "57%", "57", 1},
	{"percent added", "", "57", "57%", 1},
	{"percent as fraction", "", "57%", "0.57", 1},
	{"fraction as percent", "", "0.57", "57%", 1},
	{"percent word", "", "57%", "57 percent", 1},
	{"percent decimal", "", "48.78%", "48.78 %", 1},
	{"percent wrong", "", "57%", "0.58", 0},
	{"percent in sentence", "", "12.5%", "It grew by 12.5% over the year", 1},
	{"percent precise", "", "48.78", "48.780487804878%", 1},

	// Rounding taken from the question.
	{"nearest whole", "Round to the nearest whole number.", "46", "45.83", 1},
	{"nearest whole wrong", "Round to the nearest whole number.", "46", "45.2", 0},
	{"nearest integer", "Give the nearest integer.", "3", "3.4", 1},
	{"two decimal places", "Give it as a percentage rounded to two decimal places.", "48.78", "48.7804", 1},
	{"two decimal places wrong", "Round to two decimal places.", "48.78", "48.79", 0},
	{"2 decimal places digit", "Answer with 2 decimal places.", "3.14", "3.14159", 1},
	{"one decimal place", "to one decimal place", "2.5", "2.46", 1},
	{"nearest tenth", "to the nearest tenth", "2.5", "2.54", 1},
	{"nearest hundredth", "to the nearest hundredth", "0.33", "0.3333", 1},
	{"nearest thousand", "to the nearest thousand", "12000", "11,800", 1},
	{"nearest million", "to the nearest million", "8000000", "8.3 million", 1},
	{"significant figures", "Give 3 significant figures.", "0.000123", "0.00012345", 1},
	{"significant figures wrong", "Give three significant figures.", "1230", "1240", 0},
	{"no rounding asked", "What is the value?", "46", "45.83", 0},

	// Yes / no.
	{"yes", "", "Yes", "yes", 1},
	{"yes sentence", "", "Yes", "Yes, it is.", 1},
	{"yes true", "", "yes", "True", 1},
	{"no", "", "No", "No.", 1},
	{"no sentence", "", "No", "No, it was not completed.", 1},
	{"yes vs no", "", "Yes", "No", 0},
	{"no vs yes", "", "No", "Yes, definitely", 0},
	{"false", "", "False", "false", 1},

	// Dates.
	{"iso date", "", "2023-12-31", "2023-12-31", 1},
	{"date long", "", "2023-12-31", "December 31, 2023", 1},
	{"date day first", "", "2023-12-31", "31 December 2023", 1},
	{"date abbreviated", "", "December 31, 2023", "Dec. 31 2023", 1},
	{"date ordinal", "", "2023-01-05", "5th of January, 2023", 1},
	{"date weekday", "", "2023-01-05", "Thursday, January 5, 2023", 1},
	{"date slashes us", "", "2023-01-05", "01/05/2023", 1},
	{"date slashes eu", "", "2023-01-05", "05/01/2023", 1},
	{"date wrong day", "", "2023-12-31", "December 30, 2023", 0},
	{"date wrong year", "", "2023-12-31", "December 31, 2022", 0},
	{"month year", "", "June 1867", "June 1867", 1},
	{"month year vs iso", "", "June 1867", "1867-06", 1},
	{"month year answered with day", "", "June 1867", "June 12, 1867", 1},
	{"month year wrong", "", "June 1867", "July 1867", 0},
	{"date in sentence", "", "2023-12-31", "As of December 31, 2023", 1},

	// Text.
	{"case", "", "Paris", "paris", 1},
	{"articles", "", "The Standard Code", "standard code.", 1},
	{"punctuation", "", "O'Brien", "OBrien", 0},
	{"punctuation spaced", "", "Jean-Paul Sartre", "Jean Paul Sartre", 1},
	{"unicode width", "", "Ｑｕａｎｔｕｍ", "quantum", 1},
	{"accents kept", "", "Zürich", "Zurich", 0},
	{"contained", "", "Paris", "The capital of France is Paris.", 1},
	{"contained multiword", "", "Abraham Lincoln", "It was Abraham Lincoln, the 16th president.", 1},
	{"contained hedge or", "", "Paris", "Paris or Lyon", 0},
	{"contained negated", "", "Paris", "It is not Paris", 0},
	{"partial name", "", "Abraham Lincoln", "Lincoln", 0},
	{"wrong name", "", "Paris", "London", 0},
	{"gene symbol", "", "BRCA1", "brca1", 1},
	{"gene symbol human vs mouse", "", "BRCA1", "Brca1", 0},
	{"gene symbol mouse vs human", "", "Trp53", "TRP53", 0},
	{"gene symbol mouse", "", "Trp53", "Trp53", 1},
	{"gene symbol in sentence", "", "TP53", "The gene is TP53.", 1},
	{"ticker", "", "MSFT", "msft", 1},
	{"doi", "", "10.1038/nature14539", "10.1038/NATURE14539", 1},
	{"protein sequence", "", "MAIVMGR", "maivmgr", 1},
	{"protein sequence short", "", "MAIVMGR", "MAIVMG", 0},
	{"ticker", "", "AAPL", "aapl", 1},
	{"cas", "", "50-78-2", "50-78-2", 1},
	{"cas wrong", "", "50-78-2", "50-78-3", 0},
	{"title", "", "Attention Is All You Need", "\"Attention is all you need\"", 1},

	// Multi-part answers.
	{"two parts semicolon", "", "57; 43", "57 ; 43", 1},
	{"two parts labelled answer", "", "57; 43", "Huaxin: 57; 43", 1},
	{"two parts labelled both", "", "A: 57, B: 43", "B: 43, A: 57", 1},
	{"labelled wrong part", "", "A: 57; B: 43", "A: 57; B: 44", 0.5},
	{"labelled swapped values", "", "A: 57; B: 43", "A: 43; B: 57", 0},
	{"two parts reversed unordered", "", "57; 43", "43; 57", 1},
	{"two parts one right", "", "57; 43", "57; 44", 0.5},
	{"two parts none right", "", "57; 43", "1; 2", 0},
	{"three parts newline", "", "red\ngreen\nblue", "red; blue; green", 1},
	{"parts in prose", "", "57; 43", "The first value is 57 and the second is 43", 1},
	{"parts in prose one", "", "57; 43", "The first value is 57", 0.5},
	{"parts with extra", "", "57; 43", "57; 43; 99", 0.8},
	{"parts with units", "", "474 miles; 78 miles", "474 miles; 78 miles", 1},
	{"parts numbers and text", "", "Tokyo; 1964", "1964; Tokyo", 1},
	{"parts percent", "", "57%; 43%", "0.57; 0.43", 1},
	{"parts rounded", "Round each to the nearest whole number.", "46; 12", "45.8; 12.3", 1},
	{"parts bar", "", "x | y", "x; y", 1},

	// Lists and sets.
	{"list commas", "", "red, green, blue", "blue, red, green", 1},
	{"list and", "", "red, green and blue", "red, green, blue", 1},
	{"list missing one", "", "red, green, blue", "red, green", 0.8},
	{"list extra one", "", "red, green", "red, green, blue", 0.8},
	{"list half", "", "red, green, blue, black", "red, green, white, gray", 0.5},
	{"list case", "", "BRCA1, TP53", "tp53, brca1", 1},
	{"list none", "", "red, green", "white, gray", 0},
	{"list in sentence", "", "red, green", "The colours are red and green.", 1},
	{"list names", "", "Marie Curie, Pierre Curie", "Pierre Curie, Marie Curie", 1},
	{"number with comma not list", "", "12,345", "12345", 1},
	{"date with comma not list", "", "January 5, 2023", "2023-01-05", 1},
	{"prose reference not list", "", "He went home, then he slept for a very long time indeed", "He went home, then he slept for a very long time indeed", 1},
	// More shapes of DIVE answers: counts, money, measurements, identifiers.
	{"count of guests", "How many guests can the house accommodate?", "12", "The house accommodates up to 12 guests.", 1},
	{"distance range reference", "", "474 miles", "About 474 miles", 1},
	{"distance wrong", "", "474 miles", "475 miles", 0},
	{"population with commas", "", "2,161,000", "2161000", 1},
	{"population millions", "", "2,161,000", "2.161 million", 1},
	{"gdp trillions", "", "$25.46 trillion", "25.46 trillion dollars", 1},
	{"euros", "", "€30", "30 euros", 1},
	{"euros vs dollars", "", "€30", "$30", 0},
	{"pounds sterling", "", "£1,200", "1200 pounds", 1},
	{"negative percent", "", "-37.58%", "−37.58%", 1},
	{"negative percent fraction", "", "-37.58%", "-0.3758", 1},
	{"basis of decimals ref precision", "", "0.05", "0.0512", 1},
	{"ref precision no", "", "0.05", "0.056", 0},
	{"half", "", "0.5", "0.50", 1},
	{"big exponent", "", "1.2e-7", "0.00000012", 1},
	{"exponent mismatch", "", "1.2e-7", "1.2e-6", 0},
	{"integer as float", "", "42", "42.0", 1},
	{"integer as float wrong", "", "42", "42.5", 0},
	{"twenty one", "", "21", "twenty-one", 1},
	{"seventy seven thousand", "", "77000", "seventy seven thousand", 1},
	{"minus words", "", "-7", "minus seven", 1},
	{"ordinal not number", "", "3", "third", 0},
	{"age", "How old was she?", "34", "She was 34 years old.", 1},
	{"year in prose with month", "In which year?", "1867", "The deed was recorded in March 1867.", 1},
	{"elevation", "", "2,962 m", "2962 m", 1},
	{"elevation feet vs m", "", "2,962 m", "2962 ft", 0},
	{"temperature", "", "100 °C", "100 °C", 1},
	{"speed", "", "88 km/h", "88 km/h", 1},
	{"molecular weight", "", "180.16 g/mol", "180.156 g/mol", 1},
	{"isoelectric", "Round to two decimal places.", "6.24", "6.2401", 1},
	{"gc content", "Give it as a percentage rounded to two decimal places.", "48.78", "48.78%", 1},
	{"gc fraction policy", "Give it as a percentage rounded to two decimal places.", "48.78", "0.4878", 1},
	{"sharpe", "Round to 3 decimal places.", "1.234", "1.2344", 1},
	{"cagr", "to one decimal place", "7.2%", "7.18%", 1},
	{"npv", "Round to the nearest whole number.", "1,234", "$1,233.70", 1},
	{"bmi", "one decimal place", "24.7", "24.69 kg/m^2", 1},
	{"egfr", "nearest integer", "88", "87.6", 1},
	{"yes with reason", "", "Yes", "Yes — the deed was recorded in 1867.", 1},
	{"no with reason", "", "No", "No; it opened in 1903.", 1},
	{"yes vs maybe", "", "Yes", "Maybe", 0},
	{"name with title", "", "Marie Curie", "Dr. Marie Curie", 1},
	{"name reversed", "", "Marie Curie", "Curie, Marie", 1},
	{"country", "", "Mongolia", "The country is Mongolia.", 1},
	{"country wrong", "", "Mongolia", "Kazakhstan", 0},
	{"city state", "", "Austin, Texas", "Austin, Texas", 1},
	{"city state partial", "", "Austin, Texas", "Austin", 0.5},
	{"species binomial", "", "Homo sapiens", "homo sapiens", 1},
	{"gene list unordered", "", "BRCA1; BRCA2; TP53", "TP53, BRCA2, BRCA1", 1},
	{"gene list missing", "", "BRCA1; BRCA2; TP53", "TP53; BRCA1", 0.8},
	{"codons", "", "TAA, TAG, TGA", "TGA, TAA, TAG", 1},
	{"enzymes", "", "EcoRI, BamHI", "BamHI and EcoRI", 1},
	{"two dates", "", "1896; 1903", "1896 and 1903", 1},
	{"two dates one", "", "1896; 1903", "1896", 0.5},
	{"labelled three", "", "min: 1; max: 9; mean: 5", "mean: 5; min: 1; max: 9", 1},
	{"labelled three one wrong", "", "min: 1; max: 9; mean: 5", "min: 1; max: 8; mean: 5", 0.666667},
	{"labelled answer unlabelled ref", "", "1; 9", "min: 1; max: 9", 1},
	{"ordered parts", "", "first: Paris; second: Rome", "first: Paris; second: Rome", 1},
	{"empty parts", "", "57; 43", ";", 0},
	{"whitespace only", "", "Paris", "   ", 0},
	{"url", "", "https://example.org/page", "https://example.org/page", 1},
	{"email-like id", "", "P12345", "p12345", 1},
	{"chemical formula", "", "C6H12O6", "c6h12o6", 1},
	{"roman numeral", "", "XIV", "xiv", 1},
	{"quoted answer", "", "Moby-Dick", "“Moby-Dick”", 1},
	{"answer with markdown", "", "Paris", "**Paris**", 1},
	{"answer with trailing note", "", "Paris", "Paris (the capital)", 1},
	{"answer with latex", "", "42", "$42$", 1},
}

// TestMatchCases checks the label of each case: a want of 1 is correct,
// 0 incorrect, anything between partial.
func TestMatchCases(t *testing.T) {
	m := NewMatch(DefaultMatchOptions())
	for _, tc := range matchCases {
		want := Partial
		switch {
		case tc.want == 1:
			want = Correct
		case tc.want == 0:
			want = Incorrect
		}
		got, why := m.Decide(tc.question, tc.reference, tc.answer)
		if got != want {
			t.Errorf("%s: Decide(%q, %q, %q) = %s (%s), want %s", tc.name, tc.question, tc.reference, tc.answer, got, why, want)
		}
		if why == "" {
			t.Errorf("%s: no explanation", tc.name)
		}
	}
}

func TestMatchScorerLabels(t *testing.T) {
	m := NewMatch(DefaultMatchOptions())
	for _, tc := range []struct {
		truth, response string
		label           Label
	}{
		{"57; 43", "<answer>57; 43</answer>", Correct},
		{"57; 43", "<answer>57; 44</answer>", Partial},
		{"57; 43", "<answer>1; 2</answer>", Incorrect},
		{"57", "no tags, just 57", Correct},
		{"57", "<think>57?</think>", Incorrect},
	} {
		res, err := m.Score(context.Background(), &tasks.Task{ID: "t", GroundTruth: tc.truth}, tc.response)
		if err != nil || res.Label != tc.label || res.Scorer != MatchName || res.Explanation == "" {
			t.Errorf("Score(%q, %q) = %+v, %v; want %s", tc.truth, tc.response, res, err, tc.label)
		}
	}
}

func TestTaskPolicy(t *testing.T) {
	m := NewMatch(DefaultMatchOptions())
	ctx := context.Background()
	for _, tc := range []struct {
		meta          map[string]any
		truth, answer string
		want          float64
	}{
		{nil, "57%", "<answer>0.57</answer>", 1},
		{map[string]any{"percent_as_fraction": false}, "57%", "<answer>0.57</answer>", 0},
		{map[string]any{"percent_as_fraction": false}, "57%", "<answer>57</answer>", 1},
		{nil, "first; second", "<answer>second; first</answer>", 1},
		{map[string]any{"ordered_parts": true}, "first; second", "<answer>second; first</answer>", 0},
		{map[string]any{"ordered_parts": true}, "first; second", "<answer>first; second</answer>", 1},
	} {
		res, err := m.Score(ctx, &tasks.Task{ID: "t", GroundTruth: tc.truth, Metadata: tc.meta}, tc.answer)
		if err != nil || res.Score != tc.want {
			t.Errorf("%v %q %q: %+v %v, want %v", tc.meta, tc.truth, tc.answer, res, err, tc.want)
		}
	}
}
