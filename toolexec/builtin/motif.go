package builtin

import (
	"fmt"
	"sort"
	"strings"
)

// motif is Bio.motifs.create(instances, alphabet): counts per letter and
// position, and the sequences read from them.
type motif struct {
	alphabet string
	length   int
	counts   map[byte][]int
}

func newMotif(instances []string, alphabet string) (*motif, error) {
	if len(instances) == 0 {
		return nil, fmt.Errorf("a motif needs at least one sequence")
	}
	m := &motif{alphabet: alphabet, length: len(instances[0]), counts: map[byte][]int{}}
	for i := 0; i < len(alphabet); i++ {
		m.counts[alphabet[i]] = make([]int, m.length)
	}
	for n, s := range instances {
		if len(s) != m.length {
			return nil, fmt.Errorf("all sequences must have the same length (sequence %d has %d, the first has %d)", n+1, len(s), m.length)
		}
		for pos := 0; pos < len(s); pos++ {
			col, ok := m.counts[s[pos]]
			if !ok {
				return nil, fmt.Errorf("sequence %d has %q at position %d, which is not in the alphabet %s", n+1, s[pos], pos+1, alphabet)
			}
			col[pos]++
		}
	}
	return m, nil
}

// extreme returns the consensus (most frequent letter per position) or, with
// least, the anticonsensus; ties go to the earlier letter of the alphabet.
func (m *motif) extreme(least bool) string {
	var b strings.Builder
	for pos := 0; pos < m.length; pos++ {
		best, bestCount := byte(0), 0
		for i := 0; i < len(m.alphabet); i++ {
			c := m.counts[m.alphabet[i]][pos]
			if best == 0 || (!least && c > bestCount) || (least && c < bestCount) {
				best, bestCount = m.alphabet[i], c
			}
		}
		b.WriteByte(best)
	}
	return b.String()
}

var degenerateNucleotide = map[string]string{
	"A": "A", "C": "C", "G": "G", "T": "T", "AC": "M", "AG": "R", "AT": "W", "CG": "S", "CT": "Y", "GT": "K",
	"ACG": "V", "ACT": "H", "AGT": "D", "CGT": "B", "ACGT": "N",
}

// degenerateConsensus follows Cavener's rules (1987), as Biopython does; DNA only.
func (m *motif) degenerateConsensus() string {
	var b strings.Builder
	for pos := 0; pos < m.length; pos++ {
		letters := []byte(m.alphabet)
		sort.SliceStable(letters, func(i, j int) bool { return m.counts[letters[i]][pos] > m.counts[letters[j]][pos] })
		c := make([]int, len(letters))
		total := 0
		for i, l := range letters {
			c[i] = m.counts[l][pos]
			total += c[i]
		}
		sortedKey := func(n int) string {
			k := []byte(string(letters[:n]))
			sort.Slice(k, func(i, j int) bool { return k[i] < k[j] })
			return string(k)
		}
		var key string
		switch {
		case c[0] > total-c[0] && c[0] > 2*c[1]:
			key = string(letters[0])
		case 4*(c[0]+c[1]) > 3*total:
			key = sortedKey(2)
		case c[3] == 0:
			key = sortedKey(3)
		default:
			key = "ACGT"
		}
		b.WriteString(degenerateNucleotide[key])
	}
	return b.String()
}

// pwm is the position weight matrix: counts divided by the number of sequences.
func (m *motif) pwm() map[string][]float64 {
	out := map[string][]float64{}
	for l, col := range m.counts {
		row := make([]float64, m.length)
		for pos, c := range col {
			total := 0
			for _, other := range m.counts {
				total += other[pos]
			}
			if total > 0 {
				row[pos] = float64(c) / float64(total)
			}
		}
		out[string(l)] = row
	}
	return out
}
