package builtin

import (
	"sort"
	"strings"
)

// restrictionDefinitions are the Bio.Restriction tools over the REBASE table.
func restrictionDefinitions() []definition {
	type digestArgs struct {
		Sequence   string `json:"sequence"`
		EnzymeName string `json:"enzyme_name"`
	}
	digestParams := `{"type": "object", "required": ["sequence", "enzyme_name"], "additionalProperties": false, "properties": {
		"sequence": {"type": "string", "minLength": 1, "pattern": "^[ATCG]+$", "description": "Linear DNA sequence of A, T, C and G."},
		"enzyme_name": {"type": "string", "minLength": 1, "description": "REBASE enzyme name, e.g. EcoRI, BamHI, HindIII, NotI (case-insensitive)."}}}`
	return []definition{
		{
			id: "biological.restriction.restriction_search",
			description: "Find where a restriction enzyme cuts a linear DNA sequence (Bio.Restriction search): 1-based positions of the first base after each cut, " +
				"both strands for non-palindromic sites. Data: REBASE.",
			params: digestParams,
			run: typed(func(a digestArgs) (any, error) {
				e, err := lookupEnzyme(a.EnzymeName)
				if err != nil {
					return nil, err
				}
				cuts := e.search(a.Sequence)
				return map[string]any{"enzyme": e.Name, "site": e.Site, "cut_positions": cuts, "count": len(cuts)}, nil
			}),
		},
		{
			id:          "biological.restriction.restriction_catalyse",
			description: "Digest a linear DNA sequence with a restriction enzyme (Bio.Restriction catalyse): the fragments in order, their lengths and the cut positions. Data: REBASE.",
			params:      digestParams,
			run: typed(func(a digestArgs) (any, error) {
				e, err := lookupEnzyme(a.EnzymeName)
				if err != nil {
					return nil, err
				}
				frags, cuts, err := e.catalyse(a.Sequence)
				if err != nil {
					return nil, err
				}
				lengths := make([]int, len(frags))
				for i, f := range frags {
					lengths[i] = len(f)
				}
				return map[string]any{"enzyme": e.Name, "fragments": frags, "fragment_lengths": lengths, "cut_positions": cuts}, nil
			}),
		},
		{
			id:          "biological.restriction.restriction_enzyme_info",
			description: "Everything REBASE says about a restriction enzyme: recognition site, cut positions, overhang, temperatures and suppliers.",
			params: `{"type": "object", "required": ["enzyme_name"], "additionalProperties": false, "properties": {
				"enzyme_name": {"type": "string", "minLength": 1, "description": "REBASE enzyme name, e.g. EcoRI (case-insensitive)."}}}`,
			run: typed(func(a struct {
				EnzymeName string `json:"enzyme_name"`
			}) (any, error) {
				e, err := lookupEnzyme(a.EnzymeName)
				if err != nil {
					return nil, err
				}
				return e.info(), nil
			}),
		},
		{
			id:          "biological.restriction.restriction_all_enzymes",
			description: "List restriction enzyme names of the REBASE table, alphabetically, optionally those whose name contains a pattern (case-insensitive).",
			params: `{"type": "object", "required": [], "additionalProperties": false, "properties": {
				"limit": {"type": "integer", "minimum": 1, "maximum": 1088, "default": 100, "description": "How many names at most."},
				"search_pattern": {"type": "string", "description": "Only names containing this, e.g. Eco."}}}`,
			run: typed(func(a struct {
				Limit         *int   `json:"limit"`
				SearchPattern string `json:"search_pattern"`
			}) (any, error) {
				limit := 100
				if a.Limit != nil {
					limit = *a.Limit
				}
				var names []string
				for n := range rebaseEnzymes {
					if strings.Contains(strings.ToLower(n), strings.ToLower(a.SearchPattern)) {
						names = append(names, n)
					}
				}
				sort.Strings(names)
				total := len(names)
				if len(names) > limit {
					names = names[:limit]
				}
				return map[string]any{"enzymes": names, "returned": len(names), "matching": total, "database_size": len(rebaseEnzymes)}, nil
			}),
		},
	}
}
