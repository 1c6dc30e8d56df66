package builtin

import (
	"fmt"
	"strings"
)

// residueName normalizes a residue name as Bio.PDB's Residue.get_resname
// gives it: upper case, left-justified to three characters ("DA" → "DA ").
func residueName(s string) string {
	return fmt.Sprintf("%-3s", strings.ToUpper(strings.TrimSpace(s)))
}

// isAA is Bio.PDB.Polypeptide.is_aa for a residue name.
func isAA(residue string, standard bool) bool {
	return residueIn(residue, standard, pdbProtein3to1, pdbProtein3to1Extended)
}

// isNucleic is Bio.PDB.Polypeptide.is_nucleic for a residue name.
func isNucleic(residue string, standard bool) bool {
	return residueIn(residue, standard, pdbNucleic3to1, pdbNucleic3to1Extended)
}

// residueIn looks a residue name up in the standard or the extended table.
func residueIn(residue string, standard bool, std, extended map[string]string) bool {
	table := extended
	if standard {
		table = std
	}
	_, ok := table[residueName(residue)]
	return ok
}

// location is one part of a sequence feature: [Start, End) on a strand
// (1, -1, or 0 for none).
type location struct {
	Start  int  `json:"start"`
	End    int  `json:"end"`
	Strand *int `json:"strand"`
}

func (l location) check(n int) error {
	if l.Start < 0 || l.End < l.Start || l.End > n {
		return fmt.Errorf("location [%d, %d) does not lie within the sequence of length %d", l.Start, l.End, n)
	}
	return nil
}

// extract is SimpleLocation.extract: the part, reverse-complemented on the minus strand.
func (l location) extract(seq string) (string, error) {
	part := seq[l.Start:l.End]
	if l.Strand != nil && *l.Strand == -1 {
		rc, err := complement(part)
		if err != nil {
			return "", err
		}
		return reverse(rc), nil
	}
	return part, nil
}
