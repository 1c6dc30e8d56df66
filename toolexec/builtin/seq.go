package builtin

import (
	"fmt"
	"sort"
	"strings"
)

// geneticCode is one NCBI genetic code table.
type geneticCode struct {
	ID     int
	Names  []string
	AAs    string // amino acids of the 64 codons in TCAG order; '*' for stop
	Starts []string
	Stops  []string
}

// codonIndex returns the TCAG-order index of an unambiguous DNA codon, or -1.
func codonIndex(codon string) int {
	idx := 0
	for i := 0; i < 3; i++ {
		var v int
		switch codon[i] {
		case 'T':
			v = 0
		case 'C':
			v = 1
		case 'A':
			v = 2
		case 'G':
			v = 3
		default:
			return -1
		}
		idx = idx*4 + v
	}
	return idx
}

func geneticCodeByID(id int) (*geneticCode, error) {
	for i := range ncbiGeneticCodes {
		if ncbiGeneticCodes[i].ID == id {
			return &ncbiGeneticCodes[i], nil
		}
	}
	ids := make([]string, len(ncbiGeneticCodes))
	for i, c := range ncbiGeneticCodes {
		ids[i] = fmt.Sprint(c.ID)
	}
	return nil, fmt.Errorf("unknown genetic code table %d; known tables: %s", id, strings.Join(ids, ", "))
}

// forward returns the amino acid of an unambiguous DNA codon and whether it codes
// (false for a stop codon that codes for nothing).
func (g *geneticCode) forward(codon string) (byte, bool) {
	aa := g.AAs[codonIndex(codon)]
	return aa, aa != '*'
}

func (g *geneticCode) isStop(codon string) bool {
	for _, s := range g.Stops {
		if s == codon {
			return true
		}
	}
	return false
}

// isStopReading reports whether every reading of an (ambiguous) codon is
// listed as a stop codon, as Biopython's ambiguous stop-codon lists do.
func (g *geneticCode) isStopReading(codon string) bool {
	readings, ok := expandCodon(strings.ReplaceAll(codon, "U", "T"))
	if !ok {
		return false
	}
	for _, r := range readings {
		if !g.isStop(r) {
			return false
		}
	}
	return true
}

func (g *geneticCode) isStart(codon string) bool {
	for _, s := range g.Starts {
		if s == codon {
			return true
		}
	}
	return false
}

// dualCoding lists stop codons that also code for an amino acid in this table.
func (g *geneticCode) dualCoding() []string {
	var out []string
	for _, s := range g.Stops {
		if _, codes := g.forward(s); codes {
			out = append(out, s)
		}
	}
	return out
}

// expandCodon lists the unambiguous DNA codons an IUPAC codon stands for, or
// false when it holds a letter that is no nucleotide code.
func expandCodon(codon string) ([]string, bool) {
	out := []string{""}
	for i := 0; i < 3; i++ {
		c := codon[i]
		if c == 'U' {
			c = 'T'
		}
		vals, ok := ambiguousDNAValues[c]
		if !ok || c == 'X' {
			return nil, false
		}
		next := make([]string, 0, len(out)*len(vals))
		for _, p := range out {
			for j := 0; j < len(vals); j++ {
				next = append(next, p+string(vals[j]))
			}
		}
		out = next
	}
	return out, true
}

// codonClass is the translation of one (possibly ambiguous) codon.
type codonClass int

const (
	codonCodes   codonClass = iota // codes for the amino acid returned
	codonStop                      // every reading is a stop codon
	codonMaybe                     // valid letters, but stop or ambiguous beyond any protein code
	codonInvalid                   // holds a letter that is no nucleotide code
)

// classify translates one upper-case codon the way Biopython's ambiguous
// generic codon tables do.
func (g *geneticCode) classify(codon string) (byte, codonClass) {
	dna := strings.ReplaceAll(codon, "U", "T")
	if i := codonIndex(dna); i >= 0 {
		if aa := g.AAs[i]; aa != '*' {
			return aa, codonCodes
		}
		return 0, codonStop
	}
	readings, ok := expandCodon(dna)
	if !ok {
		return 0, codonInvalid
	}
	aas := map[byte]bool{}
	stops := 0
	for _, r := range readings {
		if aa, codes := g.forward(r); codes {
			aas[aa] = true
		} else {
			stops++
		}
	}
	switch {
	case stops == len(readings):
		return 0, codonStop
	case stops > 0:
		return 0, codonMaybe
	case len(aas) == 1:
		for aa := range aas {
			return aa, codonCodes
		}
	}
	// The narrowest IUPAC protein code that covers every reading.
	best, bestLen := byte(0), 1<<30
	for code, vals := range extendedProteinValues {
		covers := true
		for aa := range aas {
			if !strings.ContainsRune(vals, rune(aa)) {
				covers = false
				break
			}
		}
		if covers && (len(vals) < bestLen || (len(vals) == bestLen && code < best)) {
			best, bestLen = code, len(vals)
		}
	}
	if best == 0 {
		return 0, codonMaybe
	}
	return best, codonCodes
}

// translateOptions are the options of Bio.Seq.translate.
type translateOptions struct {
	Table      int
	StopSymbol byte
	ToStop     bool
	CDS        bool
	Gap        byte // 0 for none
}

// translate turns a nucleotide sequence into protein with the semantics of
// Biopython's Seq.translate (ambiguous codons, CDS checks, gaps, stops).
func translate(seq string, o translateOptions) (string, error) {
	g, err := geneticCodeByID(o.Table)
	if err != nil {
		return "", err
	}
	seq = strings.ToUpper(seq)
	if dual := g.dualCoding(); len(dual) > 0 && o.ToStop {
		aa, _ := g.forward(dual[0])
		return "", fmt.Errorf("to_stop cannot be used with table %d: it has %d codon(s) that are both STOP and an amino acid (e.g. '%s' -> '%c' or STOP)", g.ID, len(dual), dual[0], aa)
	}
	n := len(seq)
	var out strings.Builder
	if o.CDS {
		if n < 3 || !g.isStart(strings.ReplaceAll(seq[:3], "U", "T")) {
			return "", fmt.Errorf("first codon '%s' is not a start codon", seq[:min(3, n)])
		}
		if n%3 != 0 {
			return "", fmt.Errorf("sequence length %d is not a multiple of three", n)
		}
		last := seq[n-3:]
		if !g.isStopReading(last) {
			return "", fmt.Errorf("final codon '%s' is not a stop codon", last)
		}
		seq = seq[3 : n-3]
		n -= 6
		out.WriteByte('M')
	}
	for i := 0; i+3 <= n; i += 3 {
		codon := seq[i : i+3]
		aa, class := g.classify(codon)
		switch class {
		case codonCodes:
			out.WriteByte(aa)
		case codonStop:
			if o.CDS {
				return "", fmt.Errorf("extra in frame stop codon '%s' found", codon)
			}
			if o.ToStop {
				return out.String(), nil
			}
			out.WriteByte(o.StopSymbol)
		case codonMaybe:
			out.WriteByte('X')
		default:
			if o.Gap != 0 && codon == strings.Repeat(string(o.Gap), 3) {
				out.WriteByte(o.Gap)
				continue
			}
			return "", fmt.Errorf("codon '%s' is invalid", codon)
		}
	}
	return out.String(), nil
}

var (
	dnaComplement = buildComplement(false)
	rnaComplement = buildComplement(true)
)

// buildComplement returns the IUPAC complement table, upper and lower case.
func buildComplement(rna bool) [256]byte {
	var t [256]byte
	pairs := "ATTACGGCMKKMRYYRWWSSVBBVHDDHXXNN"
	for i := 0; i < len(pairs); i += 2 {
		a, b := pairs[i], pairs[i+1]
		if rna && b == 'T' {
			b = 'U'
		}
		t[a], t[a+'a'-'A'] = b, b+'a'-'A'
	}
	t['U'], t['u'] = 'A', 'a'
	return t
}

func mapSeq(seq string, table *[256]byte) (string, error) {
	b := make([]byte, len(seq))
	for i := 0; i < len(seq); i++ {
		c := table[seq[i]]
		if c == 0 {
			return "", fmt.Errorf("%q at position %d is not a nucleotide code", seq[i], i+1)
		}
		b[i] = c
	}
	return string(b), nil
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// complement returns the complement of a DNA sequence; a sequence with U and
// no T is complemented as RNA, as Biopython does.
func complement(seq string) (string, error) {
	hasU := strings.ContainsAny(seq, "Uu")
	hasT := strings.ContainsAny(seq, "Tt")
	switch {
	case hasU && hasT:
		return "", fmt.Errorf("mixed RNA/DNA sequence (both T and U)")
	case hasU:
		return mapSeq(seq, &rnaComplement)
	}
	return mapSeq(seq, &dnaComplement)
}

// complementRNA returns the RNA complement (T is read as U).
func complementRNA(seq string) (string, error) {
	if strings.ContainsAny(seq, "Uu") && strings.ContainsAny(seq, "Tt") {
		return "", fmt.Errorf("mixed RNA/DNA sequence (both T and U)")
	}
	t := rnaComplement
	t['T'], t['t'] = 'A', 'a'
	return mapSeq(seq, &t)
}

func transcribe(seq string) string {
	return strings.NewReplacer("T", "U", "t", "u").Replace(seq)
}

func backTranscribe(seq string) string {
	return strings.NewReplacer("U", "T", "u", "t").Replace(seq)
}

// countSubsequence counts non-overlapping (Seq.count) or overlapping
// (Seq.count_overlap) occurrences.
func countSubsequence(seq, sub string, overlap bool) int {
	if sub == "" {
		return len(seq) + 1
	}
	if !overlap {
		return strings.Count(seq, sub)
	}
	n := 0
	for i := 0; i+len(sub) <= len(seq); i++ {
		if seq[i:i+len(sub)] == sub {
			n++
		}
	}
	return n
}

// gcWeights are the G+C weights of IUPAC codes for ambiguous="weighted".
var gcWeights = map[byte]float64{
	'B': 2.0 / 3, 'D': 1.0 / 3, 'H': 1.0 / 3, 'K': 0.5, 'M': 0.5,
	'N': 0.5, 'R': 0.5, 'V': 2.0 / 3, 'X': 0.5, 'Y': 0.5,
}

// gcFraction is Bio.SeqUtils.gc_fraction: ambiguous is "remove", "ignore" or "weighted".
func gcFraction(seq, ambiguous string) (float64, error) {
	var gc, strongWeak, weighted float64
	for i := 0; i < len(seq); i++ {
		c := seq[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		switch c {
		case 'C', 'G', 'S':
			gc++
		case 'A', 'T', 'W':
			strongWeak++
		default:
			weighted += gcWeights[c]
		}
	}
	var length float64
	switch ambiguous {
	case "remove":
		length = gc + strongWeak
	case "ignore":
		length = float64(len(seq))
	case "weighted":
		length = float64(len(seq))
		gc += weighted
	default:
		return 0, fmt.Errorf("ambiguous value %q not recognized (remove, ignore, weighted)", ambiguous)
	}
	if length == 0 {
		return 0, nil
	}
	return gc / length, nil
}

// seq3 is Bio.SeqUtils.seq3: one-letter to three-letter codes.
func seq3(seq, undef string) string {
	var b strings.Builder
	for i := 0; i < len(seq); i++ {
		if code, ok := threeLetterCodes[seq[i]]; ok {
			b.WriteString(code)
		} else {
			b.WriteString(undef)
		}
	}
	return b.String()
}

var oneLetterCodes = func() map[string]byte {
	m := map[string]byte{}
	for one, three := range threeLetterCodes {
		m[strings.ToUpper(three)] = one
	}
	return m
}()

// seq1 is Bio.SeqUtils.seq1: three-letter to one-letter codes, case-insensitive.
func seq1(seq string, undef byte) string {
	var b strings.Builder
	for i := 0; i+3 <= len(seq); i += 3 {
		if one, ok := oneLetterCodes[strings.ToUpper(seq[i:i+3])]; ok {
			b.WriteByte(one)
		} else {
			b.WriteByte(undef)
		}
	}
	return b.String()
}

// codonTableView is a genetic code as the codon_table tools return it.
type codonTableView struct {
	ID           int                 `json:"id"`
	Name         string              `json:"name"`
	Names        []string            `json:"names"`
	StartCodons  []string            `json:"start_codons"`
	StopCodons   []string            `json:"stop_codons"`
	ForwardTable map[string]string   `json:"forward_table,omitempty"`
	BackTable    map[string][]string `json:"back_table,omitempty"`
}

func (g *geneticCode) view(forward, back bool) codonTableView {
	v := codonTableView{ID: g.ID, Name: g.Names[0], Names: g.Names, StartCodons: g.Starts, StopCodons: g.Stops}
	if !forward && !back {
		return v
	}
	fwd := map[string]string{}
	bk := map[string][]string{}
	const bases = "TCAG"
	for i := 0; i < 64; i++ {
		codon := string([]byte{bases[i/16], bases[i/4%4], bases[i%4]})
		aa := g.AAs[i]
		if aa == '*' {
			continue
		}
		fwd[codon] = string(aa)
		bk[string(aa)] = append(bk[string(aa)], codon)
	}
	for _, codons := range bk {
		sort.Strings(codons)
	}
	if forward {
		v.ForwardTable = fwd
	}
	if back {
		bk["*"] = g.Stops
		v.BackTable = bk
	}
	return v
}
