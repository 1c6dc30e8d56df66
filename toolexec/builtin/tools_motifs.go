package builtin

// motifDefinitions are the Bio.motifs tools.
func motifDefinitions() []definition {
	type rcArgs struct {
		Sequence string `json:"sequence"`
		Inplace  bool   `json:"inplace"`
	}
	rcParams := func(what string) string {
		return `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {
			"sequence": {"type": "string", "minLength": 1, "description": "` + what + ` sequence."},
			"inplace": {"type": "boolean", "default": false, "description": "Accepted for compatibility; the result is always returned."}}}`
	}
	return []definition{
		{
			id:          "biological.motifs.motifs_create",
			description: "Build a sequence motif from aligned sequences of equal length (Bio.motifs.create): counts per position, consensus, anticonsensus, degenerate consensus (DNA, Cavener's rules) and the position weight matrix.",
			params: `{"type": "object", "required": ["sequences"], "additionalProperties": false, "properties": {
				"sequences": {"type": "array", "minItems": 2, "items": {"type": "string", "minLength": 1}, "description": "Sequences of the same length, e.g. [\"ACGT\", \"ACGT\", \"ACTT\"]."},
				"alphabet": {"type": "string", "enum": ["ACGT", "ACGU", "ACDEFGHIKLMNPQRSTVWY"], "default": "ACGT", "description": "The letters counted: DNA, RNA or protein."}}}`,
			run: typed(func(a struct {
				Sequences []string `json:"sequences"`
				Alphabet  string   `json:"alphabet"`
			}) (any, error) {
				if a.Alphabet == "" {
					a.Alphabet = "ACGT"
				}
				m, err := newMotif(a.Sequences, a.Alphabet)
				if err != nil {
					return nil, err
				}
				counts := map[string][]int{}
				for l, col := range m.counts {
					counts[string(l)] = col
				}
				out := map[string]any{"length": m.length, "num_sequences": len(a.Sequences), "alphabet": a.Alphabet,
					"counts": counts, "consensus": m.extreme(false), "anticonsensus": m.extreme(true), "pwm": m.pwm()}
				if a.Alphabet == "ACGT" {
					out["degenerate_consensus"] = m.degenerateConsensus()
				}
				return out, nil
			}),
		},
		{
			id:          "biological.motifs.motifs_reverse_complement",
			description: "Reverse complement of a DNA sequence (ATCG → CGAT), IUPAC codes and case kept.",
			params:      rcParams("DNA"),
			run:         typed(func(a rcArgs) (any, error) { return complementOp(a.Sequence, "reverse_complement") }),
		},
		{
			id:          "biological.motifs.motifs_reverse_complement_rna",
			description: "Reverse complement of an RNA sequence (AUCG → CGAU), IUPAC codes and case kept.",
			params:      rcParams("RNA"),
			run:         typed(func(a rcArgs) (any, error) { return complementOp(a.Sequence, "reverse_complement_rna") }),
		},
	}
}
