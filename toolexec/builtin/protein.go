package builtin

import (
	"fmt"
	"math"
	"strings"
)

const standardAminoAcids = "ACDEFGHIKLMNPQRSTVWY"

// proteinAnalysis computes what Bio.SeqUtils.ProtParam.ProteinAnalysis does
// for a sequence of the 20 standard amino acids.
type proteinAnalysis struct {
	seq    string
	counts map[byte]int
}

func newProteinAnalysis(seq string) (*proteinAnalysis, error) {
	seq = strings.ToUpper(seq)
	if seq == "" {
		return nil, fmt.Errorf("empty protein sequence")
	}
	counts := make(map[byte]int, 20)
	for i := 0; i < len(standardAminoAcids); i++ {
		counts[standardAminoAcids[i]] = 0
	}
	for i := 0; i < len(seq); i++ {
		if _, ok := counts[seq[i]]; !ok {
			return nil, fmt.Errorf("%q at position %d is not one of the 20 standard amino acids", seq[i], i+1)
		}
		counts[seq[i]]++
	}
	return &proteinAnalysis{seq: seq, counts: counts}, nil
}

// molecularWeight is Bio.SeqUtils.molecular_weight(seq, "protein").
func (p *proteinAnalysis) molecularWeight(monoisotopic bool) float64 {
	table, water := proteinWeightsAverage, 18.0153
	if monoisotopic {
		table, water = proteinWeightsMonoisotopic, 18.010565
	}
	w := 0.0
	for i := 0; i < len(p.seq); i++ {
		w += table[p.seq[i]]
	}
	return w - float64(len(p.seq)-1)*water
}

func (p *proteinAnalysis) fraction(aa byte) float64 {
	return float64(p.counts[aa]) / float64(len(p.seq))
}

func (p *proteinAnalysis) aromaticity() float64 {
	return p.fraction('Y') + p.fraction('W') + p.fraction('F')
}

func (p *proteinAnalysis) instabilityIndex() float64 {
	score := 0.0
	for i := 0; i+1 < len(p.seq); i++ {
		score += instabilityDIWV[p.seq[i]][p.seq[i+1]]
	}
	return 10.0 / float64(len(p.seq)) * score
}

func (p *proteinAnalysis) gravy() float64 {
	total := 0.0
	for i := 0; i < len(p.seq); i++ {
		total += kyteDoolittle[p.seq[i]]
	}
	return total / float64(len(p.seq))
}

// secondaryStructureFraction returns the helix, turn and sheet fractions.
func (p *proteinAnalysis) secondaryStructureFraction() [3]float64 {
	sum := func(set string) float64 {
		f := 0.0
		for i := 0; i < len(set); i++ {
			f += p.fraction(set[i])
		}
		return f
	}
	return [3]float64{sum("VIYFWL"), sum("NPGS"), sum("EMAL")}
}

// molarExtinctionCoefficient returns it with reduced cysteines and with cystines.
func (p *proteinAnalysis) molarExtinctionCoefficient() [2]int {
	reduced := p.counts['W']*5500 + p.counts['Y']*1490
	return [2]int{reduced, reduced + p.counts['C']/2*125}
}

// Bjellqvist pK values, as Bio.SeqUtils.IsoelectricPoint uses them.
var (
	positivePKs  = map[string]float64{"Nterm": 7.5, "K": 10.0, "R": 12.0, "H": 5.98}
	negativePKs  = map[string]float64{"Cterm": 3.55, "D": 4.05, "E": 4.45, "C": 9.0, "Y": 10.0}
	pKCTerminal  = map[byte]float64{'D': 4.55, 'E': 4.75}
	pKNTerminal  = map[byte]float64{'A': 7.59, 'M': 7.0, 'S': 6.93, 'P': 8.36, 'T': 6.82, 'V': 7.44, 'E': 7.7}
	positiveKeys = []string{"Nterm", "K", "R", "H"}
	negativeKeys = []string{"Cterm", "D", "E", "C", "Y"}
)

// chargeAtPH is the net charge at pH by the Henderson–Hasselbalch equation.
func (p *proteinAnalysis) chargeAtPH(pH float64) float64 {
	content := func(key string) float64 {
		if key == "Nterm" || key == "Cterm" {
			return 1
		}
		return float64(p.counts[key[0]])
	}
	pos := 0.0
	for _, k := range positiveKeys {
		pK := positivePKs[k]
		if k == "Nterm" {
			if v, ok := pKNTerminal[p.seq[0]]; ok {
				pK = v
			}
		}
		pos += content(k) / (math.Pow(10, pH-pK) + 1)
	}
	neg := 0.0
	for _, k := range negativeKeys {
		pK := negativePKs[k]
		if k == "Cterm" {
			if v, ok := pKCTerminal[p.seq[len(p.seq)-1]]; ok {
				pK = v
			}
		}
		neg += content(k) / (math.Pow(10, pK-pH) + 1)
	}
	return pos - neg
}

// isoelectricPoint finds the pH of zero charge by the same bisection as
// Biopython (start 7.775 in [4.05, 12], stop when the interval < 1e-4).
func (p *proteinAnalysis) isoelectricPoint() float64 {
	pH, lo, hi := 7.775, 4.05, 12.0
	for hi-lo > 0.0001 {
		if p.chargeAtPH(pH) > 0 {
			lo = pH
		} else {
			hi = pH
		}
		pH = (lo + hi) / 2
	}
	return pH
}
