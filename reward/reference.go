package reward

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// refKind is what a reference answer is.
type refKind int

const (
	kindText       refKind = iota // a name, a title, a phrase
	kindNumber                    // a quantity: number, unit or currency, percent, ratio
	kindDate                      // a calendar date, a month, a year-month
	kindIdentifier                // a DOI, an arXiv id, an ISSN/ISBN/EAN, a database id
	kindSequence                  // a DNA, RNA or protein sequence
	kindYesNo                     // yes or no
	kindParts                     // several values, labelled or not
)

// refInfo is what the scorer reads from a reference and its question.
type refInfo struct {
	raw, norm string
	question  string
	kind      refKind
	rnd       rounding

	// Numbers.
	num    numVal
	ratio  bool      // answers may be written as ratios (4:1)
	qDown  bool      // the question asks the size of a decrease
	echoes []float64 // numbers the question itself gives

	// Dates.
	dates             []Date
	askYear, askMonth bool
	questionYear      int
	questionSequences map[string]bool

	// Identifiers.
	idKind, idCanon string

	// Sequences.
	seq string

	// Yes/no: 1 yes, -1 no.
	yesNo int

	// Text.
	exactWords       bool       // compare words exactly: an acronym, a code, a symbol
	geneSymbol       bool       // an upper-case symbol in a question about genes: its case names the species
	aliases          [][]string // normalized word sequences that name the reference
	person           bool
	surname, given   string
	threshold        *comparison
	parts            []refPart
	labelled, ranked bool
}

// refPart is one value of a multi-part reference.
type refPart struct {
	label string
	info  *refInfo
}

// comparison is a threshold a yes/no question asks about ("above 50%").
type comparison struct {
	above bool // above, greater than, more than, at least, over
	value float64
}

var (
	doiRe        = regexp.MustCompile(`(?i)\b10\.\d{4,9}/[^\s"'<>\]\[)(]+`)
	arxivRe      = regexp.MustCompile(`(?i)(?:arxiv:\s*|arxiv\.org/(?:abs|pdf)/)?\b(\d{4}\.\d{4,5})(?:v\d+)?\b`)
	arxivRefRe   = regexp.MustCompile(`^(?i)(?:arxiv:\s*)?(\d{4}\.\d{4,5})(?:v\d+)?$`)
	digitsIDRe   = regexp.MustCompile(`^(?i)[\d][\d -]*[\dX]$`)
	idQuestion   = regexp.MustCompile(`(?i)\b(?:id|ids|identifier|pmid|pmcid|pubmed|rxcui|cui|entrez|barcode|ean|ean-13|isbn|issn|accession|doi|arxiv|serial number|registry number|cas)\b`)
	sequenceRe   = regexp.MustCompile(`^[ACDEFGHIKLMNPQRSTVWYUXBZ*]{6,}$`)
	geneSymbolRe = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,9}$`)
	geneQRe      = regexp.MustCompile(`(?i)\bgenes?\b|\bortholog|\bprotein\b|\bsymbol\b|\bencod`)
	shortSeqRe   = regexp.MustCompile(`^[ACDEFGHIKLMNPQRSTVWYU*]{2,5}$`)
	seqAskRe     = regexp.MustCompile(`(?i)\btranslat|\btranscri|\bcomplement\b|\bone-letter\b|\bprotein\s+sequence\b|\bmrna\b`)
	seqQuestion  = regexp.MustCompile(`(?i)\b(?:sequence|protein|peptide|dna|rna|translate|translation|complement|transcri\w*|codon|strand|amino)\b`)
	orderRe      = regexp.MustCompile(`(?i)\bin\s+(?:that\s+|this\s+|the\s+same\s+|the\s+given\s+)?order\b|\branks?\b|\branked\b|\branking\b|\brespectively\b|\bfirst\b[^?]*\bthen\b|\bfrom\s+(?:the\s+)?(?:highest|lowest|largest|smallest|heaviest|lightest|most|least|earliest|latest|oldest|newest|biggest|longest|shortest)\b|\bsort(?:ed)?\b|\bordered\b`)
	downQRe      = regexp.MustCompile(`(?i)\b(?:fall|falls|fell|drop|drops|dropped|decrease|decreases|decreased|decline|declines|declined|lose|loses|lost|loss|reduction|reduce|reduced|shrink|shrank|less|lower|fewer|cheaper|shorter|lighter|smaller|saved|savings)\b`)
	yearQRe      = regexp.MustCompile(`(?i)\bwhen\b|\byear\b`)
	askYearRe    = regexp.MustCompile(`(?i)\b(?:which|what|in\s+what|in\s+which)\s+year\b|\byear\s+only\b`)
	askMonthRe   = regexp.MustCompile(`(?i)\b(?:which|what|in\s+what|in\s+which)\s+month\b|\bmonth\s+only\b`)
	askMYRe      = regexp.MustCompile(`(?i)\bmonth\s+and\s+year\b|\byear\s+and\s+month\b`)
	personQRe    = regexp.MustCompile(`(?i)\bwho\b|\bauthor|\bname\s+of\s+the\s+(?:person|scientist|researcher|inventor|founder|discoverer|winner)\b|\bdiscovered\s+by\b|\binventor\b|\bfounder\b`)
	personRe     = regexp.MustCompile(`^(?:[A-Z][a-z'’-]+|[A-Z]\.)(?:\s+(?:[A-Z][a-z'’-]+|[A-Z]\.|de|van|von|der|da|di|le|la)){1,3}$`)
	thresholdRe  = regexp.MustCompile(`(?i)\b(above|greater\s+than|more\s+than|higher\s+than|larger\s+than|exceeds?|exceeding|over|at\s+least|below|less\s+than|lower\s+than|smaller\s+than|under|at\s+most|fewer\s+than)\s+\$?([-−]?\d+(?:,\d{3})*(?:\.\d+)?)\s*(%|percent)?`)
	qUnitRe      = regexp.MustCompile(`(?i)\b(?:in|how\s+many|how\s+much|number\s+of)\s+([^\s,?.;()]+(?:\s[^\s,?.;()]+){0,2})`)
)

// newRefInfo reads what every kind of reference needs from the question.
func newRefInfo(ref, question string) *refInfo {
	info := &refInfo{raw: ref, norm: Normalize(ref), question: question, rnd: roundingFrom(question)}
	info.ranked = orderRe.MatchString(question)
	info.qDown = downQRe.MatchString(question)
	for _, n := range findNumbers(question, false) {
		info.echoes = append(info.echoes, n.value)
	}
	info.questionSequences = map[string]bool{}
	for _, s := range seqTokenRe.FindAllString(question, -1) {
		if len(s) >= 6 {
			info.questionSequences[s] = true
		}
	}
	if m := thresholdRe.FindStringSubmatch(question); m != nil {
		if v, _, ok := parseDecimal(m[2]); ok {
			w := strings.ToLower(strings.Join(strings.Fields(m[1]), " "))
			above := false
			for _, p := range []string{"above", "greater", "more", "higher", "larger", "exceed", "over", "at least"} {
				if strings.HasPrefix(w, p) {
					above = true
				}
			}
			info.threshold = &comparison{above: above, value: v}
		}
	}
	if y := yearsIn(question); len(y) == 1 {
		info.questionYear = y[0]
	}
	info.askYear = askYearRe.MatchString(question) && !askMYRe.MatchString(question)
	info.askMonth = askMonthRe.MatchString(question) && !askMYRe.MatchString(question)
	return info
}

// analyze reads a reference (and its question) once.
func analyze(reference, question string) *refInfo {
	ref := strings.TrimSpace(reference)
	info := newRefInfo(ref, question)
	// Yes/no.
	if f := strings.Fields(info.norm); len(f) == 1 {
		switch f[0] {
		case "yes", "true":
			info.kind, info.yesNo = kindYesNo, 1
			return info
		case "no", "false":
			info.kind, info.yesNo = kindYesNo, -1
			return info
		}
	}
	// Several parts.
	if parts := splitParts(ref); len(parts) >= 2 {
		info.kind = kindParts
		info.labelled = true
		for i, p := range parts {
			if i >= maxParts {
				break
			}
			sub := analyze(p.value, question)
			if sub.kind == kindParts {
				sub = analyzeAs(p.value, question, kindText)
			}
			info.parts = append(info.parts, refPart{label: p.label, info: sub})
			if p.label == "" {
				info.labelled = false
			}
		}
		return info
	} else if len(parts) == 1 && parts[0].label != "" {
		// "Answer: 42", "GC content: 58.06%": the value is the reference.
		sub := analyze(parts[0].value, question)
		sub.raw = ref
		return sub
	}
	return analyzeAs(ref, question, -1)
}

// analyzeAs reads a single-valued reference; kind -1 finds the kind.
func analyzeAs(ref, question string, kind refKind) *refInfo {
	info := newRefInfo(ref, question)
	if kind == kindText {
		info.kind = kindText
		info.setText()
		return info
	}
	switch {
	case strings.HasPrefix(strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(ref, "doi:"), "https://doi.org/")), "10.") && doiRe.MatchString(ref):
		info.kind, info.idKind = kindIdentifier, "doi"
		info.idCanon = canonDOI(doiRe.FindString(ref))
		return info
	case arxivRefRe.MatchString(ref):
		info.kind, info.idKind = kindIdentifier, "arxiv"
		info.idCanon = arxivRefRe.FindStringSubmatch(ref)[1]
		return info
	}
	if d := ParseDates(ref); len(d) > 0 {
		info.kind, info.dates = kindDate, d
		return info
	}
	if y, err := strconv.Atoi(ref); err == nil && y >= 1000 && y <= 2999 && (info.askYear || yearQRe.MatchString(question)) {
		info.kind, info.dates, info.askYear = kindDate, []Date{{Year: y}}, true
		return info
	}
	if digitsIDRe.MatchString(ref) {
		canon := canonDigits(ref)
		hyphenated := strings.Contains(strings.TrimPrefix(ref, "-"), "-")
		long := len(canon) >= 12 && !strings.HasSuffix(canon, "000")
		if hyphenated || (idQuestion.MatchString(question) && !strings.Contains(ref, " ")) || long {
			info.kind, info.idKind, info.idCanon = kindIdentifier, "digits", canon
			return info
		}
	}
	if (sequenceRe.MatchString(ref) && (seqQuestion.MatchString(question) || len(ref) >= 10)) ||
		(shortSeqRe.MatchString(ref) && seqAskRe.MatchString(question)) {
		info.kind, info.seq = kindSequence, strings.TrimRight(ref, "*")
		return info
	}
	if n, ok := singleQuantity(ref); ok {
		info.kind, info.num = kindNumber, n
		info.ratio = n.ratio || strings.Contains(strings.ToLower(question), "ratio")
		if !n.hasUnit {
			if u, ok := questionUnit(question); ok {
				info.num.unit, info.num.hasUnit = u, true
			}
		}
		return info
	}
	info.kind = kindText
	info.setText()
	return info
}

// setText reads a text reference's names: the whole, the part before a
// parenthesis and the part inside it ("statins (HMG-CoA reductase
// inhibitors)"), and a person's surname and given name.
func (info *refInfo) setText() {
	add := func(s string) {
		if w := strings.Fields(Normalize(s)); len(w) > 0 {
			info.aliases = append(info.aliases, w)
		}
	}
	info.exactWords = strings.ToUpper(info.raw) == info.raw
	info.geneSymbol = geneSymbolRe.MatchString(info.raw) && geneQRe.MatchString(info.question)
	add(info.raw)
	if i := strings.Index(info.raw, "("); i > 0 {
		if j := strings.LastIndex(info.raw, ")"); j > i {
			add(info.raw[:i])
			add(info.raw[i+1 : j])
		}
	}
	if personRe.MatchString(info.raw) && personQRe.MatchString(info.question) {
		f := strings.Fields(Normalize(info.raw))
		info.person = true
		info.surname, info.given = f[len(f)-1], f[0]
	}
}

// singleQuantity reads a reference that is one number, with an optional
// currency, multiplier, percent, unit or ratio and nothing else of note.
func singleQuantity(ref string) (numVal, bool) {
	nums := findNumbers(ref, true)
	if len(nums) != 1 {
		if v, ok := parseWordNumber(ref); ok {
			return numVal{value: v, end: len(ref)}, true
		}
		return numVal{}, false
	}
	n := nums[0]
	rest := strings.TrimSpace(ref[:n.start] + " " + ref[n.end:])
	rest = strings.Trim(rest, " .~≈")
	if rest != "" && len(strings.Fields(rest)) > 3 {
		return numVal{}, false
	}
	if n.direction != 0 && !n.signed {
		n.value *= float64(n.direction)
		n.signed = n.direction < 0
	}
	return n, true
}

// questionUnit reads the unit a question asks for ("in dollars", "how
// many days", "in °C").
func questionUnit(q string) (unit, bool) {
	for _, m := range qUnitRe.FindAllStringSubmatch(q, -1) {
		if u, _, ok := lookupUnit(m[1]); ok {
			return u, true
		}
	}
	return unit{}, false
}

func canonDOI(s string) string {
	return strings.ToLower(strings.TrimRight(s, ".,;:"))
}

var idSepReplacer = strings.NewReplacer("-", "", " ", "")

func canonDigits(s string) string {
	return strings.ToUpper(idSepReplacer.Replace(s))
}

var yearRe = regexp.MustCompile(`\b(1[0-9]{3}|2[0-9]{3})\b`)

func yearsIn(s string) []int {
	seen := map[int]bool{}
	var out []int
	for _, m := range yearRe.FindAllString(s, -1) {
		y, _ := strconv.Atoi(m)
		if !seen[y] {
			seen[y] = true
			out = append(out, y)
		}
	}
	return out
}

// rounding is what the question asks: decimals or significant figures,
// and whether it asks for a percentage.
type rounding struct {
	decimals, sig int
	set           bool
	percent       bool
}

var (
	decimalPlacesRe = regexp.MustCompile(`(?i)\b(\d+|one|two|three|four|five|six)\s+decimal(?:\s+places?|\s+points?|s)\b`)
	nearestRe       = regexp.MustCompile(`(?i)\bnearest\s+(whole\s+number|whole|integer|unit|tenth|hundredth|thousandth|ten|hundred|thousand|million|cent|penny|dollar|euro|pound|yen|percent|percentage\s+point|day|year|minute|second|gram|kilogram|metre|meter)\b`)
	centRe          = regexp.MustCompile(`(?i)\b(?:to|in)\s+(?:the\s+)?(?:cents?|pennies|penny)\b|\bcents?\s+precision\b`)
	sigFigRe        = regexp.MustCompile(`(?i)\b(\d+|one|two|three|four|five|six)\s+significant\s+(?:figures?|digits?)\b`)
	wholeRe         = regexp.MustCompile(`(?i)\b(?:as\s+an?\s+|a\s+)?(?:whole\s+number|integer)\b`)
	smallCount      = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
	percentAskedRe  = regexp.MustCompile(`(?i)\bpercent(?:age)?\b|%`)
)

func count(s string) int {
	if n, ok := smallCount[strings.ToLower(s)]; ok {
		return n
	}
	n, _ := strconv.Atoi(s)
	return n
}

// roundingFrom reads a rounding instruction from the question: decimal
// places, significant figures, "nearest tenth", "to the cent", "to the
// nearest dollar", "as a whole number".
func roundingFrom(question string) rounding {
	r := rounding{percent: percentAskedRe.MatchString(question)}
	switch {
	case decimalPlacesRe.MatchString(question):
		r.decimals, r.set = count(decimalPlacesRe.FindStringSubmatch(question)[1]), true
	case sigFigRe.MatchString(question):
		r.sig, r.set = count(sigFigRe.FindStringSubmatch(question)[1]), true
	case nearestRe.MatchString(question):
		w := strings.ToLower(strings.Fields(nearestRe.FindStringSubmatch(question)[1])[0])
		r.decimals = map[string]int{"tenth": 1, "hundredth": 2, "thousandth": 3, "ten": -1, "hundred": -2, "thousand": -3, "million": -6,
			"cent": 2, "penny": 2}[w]
		r.set = true
	case centRe.MatchString(question):
		r.decimals, r.set = 2, true
	case wholeRe.MatchString(question):
		r.decimals, r.set = 0, true
	}
	return r
}

// need is the precision, in decimals, that a value must have to be
// correct: what the question asks, else the reference's own, at most six
// significant figures.
func (r rounding) need(ref float64, refDecimals int) int {
	mag := 0
	if ref != 0 {
		mag = int(math.Floor(math.Log10(math.Abs(ref))))
	}
	if r.set {
		if r.sig > 0 {
			return r.sig - 1 - mag
		}
		return r.decimals
	}
	if ref != 0 && refDecimals+1+mag > 6 {
		return 6 - 1 - mag
	}
	return refDecimals
}
