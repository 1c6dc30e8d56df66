package builtin

import (
	"fmt"
	"regexp"
	"strings"
)

// findAll returns the first position of sub in seq[start:end] (or -1) and
// every position, overlapping ones included, as Python's str.find does.
func findAll(seq, sub string, start, end int) (first int, all []int) {
	end = min(end, len(seq))
	all = []int{}
	if start > end {
		return -1, all
	}
	for i := start; i+len(sub) <= end; i++ {
		if seq[i:i+len(sub)] == sub {
			all = append(all, i)
		}
	}
	if len(all) == 0 {
		return -1, all
	}
	return all[0], all
}

// ntSearch is Bio.SeqUtils.nt_search: the IUPAC pattern as a regular
// expression and the start of every (overlapping) match.
func ntSearch(seq, sub string) (string, []int, error) {
	var pattern strings.Builder
	for i := 0; i < len(sub); i++ {
		vals, ok := ambiguousDNAValues[sub[i]]
		if !ok {
			return "", nil, fmt.Errorf("%q at position %d of the subsequence is not an IUPAC nucleotide code", sub[i], i+1)
		}
		if len(vals) == 1 {
			pattern.WriteString(vals)
		} else {
			pattern.WriteString("[" + vals + "]")
		}
	}
	re, err := regexp.Compile(pattern.String())
	if err != nil {
		return "", nil, err
	}
	positions := []int{}
	for pos := 0; pos <= len(seq); {
		loc := re.FindStringIndex(seq[pos:])
		if loc == nil {
			break
		}
		positions = append(positions, pos+loc[0])
		pos += loc[0] + 1
	}
	return pattern.String(), positions, nil
}
