package builtin

import (
	"errors"
	"strings"
)

// gc123 is Bio.SeqUtils.GC123: G+C percentage overall and at each codon position.
func gc123(seq string) ([4]float64, error) {
	var counts [3][4]int // position × A, T, G, C
	for i := 0; i < len(seq); i++ {
		pos := i % 3
		switch seq[i] {
		case 'A', 'a':
			counts[pos][0]++
		case 'T', 't':
			counts[pos][1]++
		case 'G', 'g':
			counts[pos][2]++
		case 'C', 'c':
			counts[pos][3]++
		}
	}
	var out [4]float64
	gcAll, nAll := 0, 0
	for pos := 0; pos < 3; pos++ {
		c := counts[pos]
		n := c[0] + c[1] + c[2] + c[3]
		if n > 0 {
			out[pos+1] = float64(c[2]+c[3]) * 100 / float64(n)
		}
		gcAll += c[2] + c[3]
		nAll += n
	}
	if nAll == 0 {
		return out, errors.New("the sequence has no A, C, G or T")
	}
	out[0] = 100 * float64(gcAll) / float64(nAll)
	return out, nil
}

// gcSkew is Bio.SeqUtils.GC_skew: (G-C)/(G+C) in consecutive windows.
func gcSkew(seq string, window int) []float64 {
	out := []float64{}
	for i := 0; i < len(seq); i += window {
		w := seq[i:min(i+window, len(seq))]
		g := strings.Count(w, "G") + strings.Count(w, "g")
		c := strings.Count(w, "C") + strings.Count(w, "c")
		skew := 0.0
		if g+c > 0 {
			skew = float64(g-c) / float64(g+c)
		}
		out = append(out, skew)
	}
	return out
}

// sixFrames translates the three forward frames (+1, +2, +3) and the three
// frames of the reverse complement (-1, -2, -3), each trimmed to whole codons.
func sixFrames(seq string, table int) (map[string]string, error) {
	rc, err := complement(seq)
	if err != nil {
		return nil, err
	}
	rc = reverse(rc)
	frames := map[string]string{}
	for f := 0; f < 3 && f < len(seq); f++ {
		for _, strand := range []struct {
			name string
			s    string
		}{{"+", seq[f:]}, {"-", rc[f:]}} {
			s := strand.s[:len(strand.s)-len(strand.s)%3]
			protein, err := translate(s, translateOptions{Table: table, StopSymbol: '*', Gap: '-'})
			if err != nil {
				return nil, err
			}
			key := strand.name + string(rune('1'+f))
			frames[key] = protein
		}
	}
	return frames, nil
}
