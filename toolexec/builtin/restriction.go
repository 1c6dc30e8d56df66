package builtin

import (
	"fmt"
	"sort"
	"strings"
)

// noCut marks a cut position that REBASE does not define.
const noCut = -1 << 31

// enzyme is a restriction enzyme of the REBASE table (rebase_gen.go), with
// the semantics of Biopython's Bio.Restriction classes.
type enzyme struct {
	Name        string
	Site        string // recognition site, IUPAC
	Size        int
	Fst5, Fst3  int // first cut, from the 5' end of the site and from its 3' end
	Scd5, Scd3  int // second cut (TwoCuts enzymes)
	Ovhg        int
	OvhgSeq     string
	Freq        float64
	Palindromic bool
	Cuts        string // NoCut, OneCut, TwoCuts
	Overhang    string // Blunt, Ov5, Ov3, Unknown
	Definition  string // Defined, Ambiguous, NotDefined
	OptTemp     int
	InactTemp   int
	Substrate   string
	REBASEID    int
	Suppliers   string // supplier codes
}

func lookupEnzyme(name string) (*enzyme, error) {
	if e, ok := rebaseEnzymes[name]; ok {
		return e, nil
	}
	for n, e := range rebaseEnzymes {
		if strings.EqualFold(n, name) {
			return e, nil
		}
	}
	return nil, fmt.Errorf("unknown restriction enzyme %q (try restriction_all_enzymes with a search_pattern)", name)
}

// siteMatches reports whether an IUPAC site matches the start of seq.
func siteMatches(site, seq string) bool {
	if len(seq) < len(site) {
		return false
	}
	for i := 0; i < len(site); i++ {
		if !strings.ContainsRune(ambiguousDNAValues[site[i]], rune(seq[i])) {
			return false
		}
	}
	return true
}

// search is RestrictionType.search on a linear sequence: the 1-based
// positions of the first base after each cut.
func (e *enzyme) search(seq string) []int {
	seq = strings.ToUpper(seq)
	var antisense string
	if !e.Palindromic {
		rc, _ := complement(e.Site)
		antisense = reverse(rc)
	}
	var forward, minus []int
	for i := 0; i+e.Size <= len(seq); i++ {
		pos := i + 1
		switch {
		case siteMatches(e.Site, seq[i:]):
			forward = append(forward, e.modify(pos, false)...)
		case antisense != "" && siteMatches(antisense, seq[i:]):
			minus = append(minus, e.modify(pos, true)...)
		}
	}
	results := append(forward, minus...)
	if len(results) == 0 {
		return []int{}
	}
	if !e.Palindromic {
		sort.Ints(results)
	}
	return e.drop(results, len(seq))
}

// modify turns a site position into cut positions (_modify, _rev_modify).
func (e *enzyme) modify(pos int, minusStrand bool) []int {
	switch e.Cuts {
	case "OneCut":
		if minusStrand {
			return []int{pos - e.Fst3}
		}
		return []int{pos + e.Fst5}
	case "TwoCuts":
		if minusStrand {
			return []int{pos - e.Fst3, pos - e.Scd3}
		}
		return []int{pos + e.Fst5, pos + e.Scd5}
	}
	return []int{pos}
}

// drop removes cuts outside a linear sequence the way Biopython does: a
// leading run at or before position 1, and everything from the first cut
// past the end.
func (e *enzyme) drop(results []int, length int) []int {
	if e.Definition == "NotDefined" {
		return results
	}
	i := 0
	for i < len(results) && results[i] <= 1 {
		i++
	}
	results = results[i:]
	for j, r := range results {
		if r > length {
			return results[:j]
		}
	}
	return results
}

// catalyse is RestrictionType.catalyse on a linear sequence: the fragments.
func (e *enzyme) catalyse(seq string) ([]string, []int, error) {
	if e.Overhang == "Unknown" {
		return nil, nil, fmt.Errorf("%s restriction is unknown: REBASE does not say where it cuts", e.Name)
	}
	cuts := e.search(seq)
	if len(cuts) == 0 {
		return []string{seq}, cuts, nil
	}
	data := " " + seq // 1-based, as Biopython's FormattedSeq
	slice := func(a, b int) string {
		a, b = min(max(a, 0), len(data)), min(max(b, 0), len(data))
		if a >= b {
			return ""
		}
		return data[a:b]
	}
	frags := []string{slice(1, cuts[0])}
	for i := 0; i+1 < len(cuts); i++ {
		frags = append(frags, slice(cuts[i], cuts[i+1]))
	}
	frags = append(frags, slice(cuts[len(cuts)-1], len(data)))
	return frags, cuts, nil
}

// info describes an enzyme for the model.
func (e *enzyme) info() map[string]any {
	var suppliers []string
	for i := 0; i < len(e.Suppliers); i++ {
		if s, ok := rebaseSuppliers[e.Suppliers[i]]; ok {
			suppliers = append(suppliers, s)
		}
	}
	sort.Strings(suppliers)
	cut := func(v int) any {
		if v == noCut {
			return nil
		}
		return v
	}
	out := map[string]any{
		"name": e.Name, "site": e.Site, "size": e.Size, "palindromic": e.Palindromic,
		"cuts": e.Cuts, "overhang_type": e.Overhang, "definition": e.Definition,
		"fst5": cut(e.Fst5), "fst3": cut(e.Fst3), "scd5": cut(e.Scd5), "scd3": cut(e.Scd3),
		"overhang": cut(e.Ovhg), "overhang_sequence": e.OvhgSeq, "frequency": e.Freq,
		"optimal_temperature": e.OptTemp, "inactivation_temperature": e.InactTemp,
		"substrate": e.Substrate, "suppliers": suppliers, "commercially_available": len(suppliers) > 0,
	}
	if e.REBASEID > 0 {
		out["rebase_id"] = e.REBASEID
		out["rebase_url"] = fmt.Sprintf("https://identifiers.org/rebase:%d", e.REBASEID)
	}
	return out
}
