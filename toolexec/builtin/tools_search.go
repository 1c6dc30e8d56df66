package builtin

import (
	"fmt"
	"strings"
)

// searchDefinitions are the sequence search, composition, structure and
// IUPAC data tools.
func searchDefinitions() []definition {
	return []definition{
		{
			id:          "biological.bio_seq.bio_seq_find",
			description: "Find a subsequence in a sequence: the first position, or every (overlapping) position, 0-based, optionally within [start, end).",
			params: `{"type": "object", "required": ["sequence", "subsequence"], "additionalProperties": false, "properties": {
				"sequence": {"type": "string", "minLength": 1, "description": "Sequence to search (DNA, RNA or protein)."},
				"subsequence": {"type": "string", "minLength": 1, "description": "Subsequence to find, e.g. GAATTC."},
				"find_all": {"type": "boolean", "default": false, "description": "Return every position instead of the first."},
				"start": {"type": "integer", "minimum": 0, "default": 0, "description": "Where the search starts (0-based)."},
				"end": {"type": "integer", "minimum": 0, "description": "Where the search ends (exclusive); default the sequence end."}}}`,
			run: typed(func(a struct {
				Sequence    string `json:"sequence"`
				Subsequence string `json:"subsequence"`
				FindAll     bool   `json:"find_all"`
				Start       int    `json:"start"`
				End         *int   `json:"end"`
			}) (any, error) {
				end := len(a.Sequence)
				if a.End != nil {
					end = *a.End
				}
				first, all := findAll(a.Sequence, a.Subsequence, a.Start, end)
				out := map[string]any{"subsequence": a.Subsequence, "position": first, "found": first >= 0}
				if a.FindAll {
					out["positions"] = all
					out["count"] = len(all)
				}
				return out, nil
			}),
		},
		{
			id:          "biological.bio_seq.bio_seq_pattern",
			description: "Check whether a sequence starts and/or ends with a pattern (startswith / endswith, optionally from start or up to end).",
			params: `{"type": "object", "required": ["sequence", "pattern"], "additionalProperties": false, "properties": {
				"sequence": {"type": "string", "minLength": 1, "description": "Sequence to check."},
				"pattern": {"type": "string", "minLength": 1, "description": "Pattern to look for at the start or end, e.g. ATG or AAAA."},
				"operation": {"type": "string", "enum": ["startswith", "endswith", "both"], "default": "startswith", "description": "Which end to check."},
				"start": {"type": "integer", "minimum": 0, "default": 0, "description": "Position the startswith check begins at (0-based)."},
				"end": {"type": "integer", "minimum": 0, "description": "Position the endswith check ends at (exclusive); default the sequence end."}}}`,
			run: typed(func(a struct {
				Sequence  string `json:"sequence"`
				Pattern   string `json:"pattern"`
				Operation string `json:"operation"`
				Start     int    `json:"start"`
				End       *int   `json:"end"`
			}) (any, error) {
				end := len(a.Sequence)
				if a.End != nil {
					end = min(*a.End, len(a.Sequence))
				}
				starts := a.Start <= len(a.Sequence) && strings.HasPrefix(a.Sequence[a.Start:], a.Pattern)
				ends := strings.HasSuffix(a.Sequence[:end], a.Pattern)
				switch a.Operation {
				case "", "startswith":
					return map[string]any{"operation": "startswith", "pattern": a.Pattern, "result": starts}, nil
				case "endswith":
					return map[string]any{"operation": "endswith", "pattern": a.Pattern, "result": ends}, nil
				case "both":
					return map[string]any{"operation": "both", "pattern": a.Pattern, "startswith": starts, "endswith": ends, "result": starts && ends}, nil
				}
				return nil, fmt.Errorf("unknown operation %q", a.Operation)
			}),
		},
		{
			id:          "biological.bio_sequtils.bio_sequtils_nt_search",
			description: "Search a DNA sequence for a subsequence with IUPAC ambiguity codes (Bio.SeqUtils.nt_search): the pattern as a regular expression and every (overlapping) 0-based position.",
			params: `{"type": "object", "required": ["sequence", "subsequence"], "additionalProperties": false, "properties": {
				"sequence": {"type": "string", "minLength": 1, "description": "DNA sequence to search."},
				"subsequence": {"type": "string", "minLength": 1, "description": "DNA pattern; IUPAC codes such as N or R match their bases."}}}`,
			run: typed(func(a struct {
				Sequence    string `json:"sequence"`
				Subsequence string `json:"subsequence"`
			}) (any, error) {
				pattern, positions, err := ntSearch(a.Sequence, a.Subsequence)
				if err != nil {
					return nil, err
				}
				return map[string]any{"pattern": pattern, "positions": positions, "count": len(positions)}, nil
			}),
		},
		{
			id:          "biological.bio_sequtils.bio_sequtils_gc123",
			description: "G+C percentage overall and at the first, second and third codon positions (Bio.SeqUtils.GC123).",
			params: `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {
				"sequence": {"type": "string", "minLength": 3, "description": "DNA coding sequence, ideally a multiple of 3 long."}}}`,
			run: typed(func(a seqArgs) (any, error) {
				v, err := gc123(a.Sequence)
				if err != nil {
					return nil, err
				}
				return map[string]any{"gc_total": v[0], "gc_first": v[1], "gc_second": v[2], "gc_third": v[3], "unit": "percent"}, nil
			}),
		},
		{
			id:          "biological.bio_sequtils.bio_sequtils_gc_skew",
			description: "GC skew (G-C)/(G+C) in consecutive windows of a DNA sequence (Bio.SeqUtils.GC_skew); 0 for a window without G or C.",
			params: `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {
				"sequence": {"type": "string", "minLength": 10, "description": "DNA sequence."},
				"window": {"type": "integer", "minimum": 1, "default": 100, "description": "Window size in bases."}}}`,
			run: typed(func(a struct {
				Sequence string `json:"sequence"`
				Window   *int   `json:"window"`
			}) (any, error) {
				w := 100
				if a.Window != nil {
					w = *a.Window
				}
				skews := gcSkew(a.Sequence, w)
				return map[string]any{"window": w, "skews": skews, "windows": len(skews)}, nil
			}),
		},
		{
			id:          "biological.bio_sequtils.bio_sequtils_six_frame",
			description: "Translate a DNA sequence in all six reading frames: +1, +2, +3 on the given strand and -1, -2, -3 on its reverse complement, each trimmed to whole codons.",
			params: `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {
				"sequence": {"type": "string", "minLength": 3, "description": "DNA sequence."},
				"genetic_code": {"type": "integer", "minimum": 1, "maximum": 33, "default": 1, "description": "NCBI genetic code id."}}}`,
			run: typed(func(a struct {
				Sequence    string `json:"sequence"`
				GeneticCode *int   `json:"genetic_code"`
			}) (any, error) {
				table := 1
				if a.GeneticCode != nil {
					table = *a.GeneticCode
				}
				frames, err := sixFrames(a.Sequence, table)
				if err != nil {
					return nil, err
				}
				return map[string]any{"genetic_code": table, "frames": frames}, nil
			}),
		},
		{
			id:          "biological.pdb.pdb_is_aa",
			description: "Whether a PDB residue name is an amino acid: one of the 20 standard ones, or (standard=false) also a modified one such as MSE.",
			params: `{"type": "object", "required": ["residue"], "additionalProperties": false, "properties": {
				"residue": {"type": "string", "minLength": 1, "description": "Residue name, e.g. ALA, GLY, MSE."},
				"standard": {"type": "boolean", "default": false, "description": "Accept only the 20 standard amino acids."}}}`,
			run: typed(func(a struct {
				Residue  string `json:"residue"`
				Standard bool   `json:"standard"`
			}) (any, error) {
				name := residueName(a.Residue)
				out := map[string]any{"residue": strings.TrimSpace(name), "is_amino_acid": isAA(name, a.Standard), "standard_only": a.Standard}
				if one, ok := pdbProtein3to1Extended[name]; ok {
					out["one_letter_code"] = one
				}
				return out, nil
			}),
		},
		{
			id:          "biological.pdb.pdb_is_nucleic",
			description: "Whether a PDB residue name is a nucleotide: a standard one (A, C, G, U, DA, DC, DG, DT, ...) or (standard=false) also a modified one.",
			params: `{"type": "object", "required": ["residue"], "additionalProperties": false, "properties": {
				"residue": {"type": "string", "minLength": 1, "description": "Residue name, e.g. DA, U, PSU."},
				"standard": {"type": "boolean", "default": false, "description": "Accept only standard nucleotides."}}}`,
			run: typed(func(a struct {
				Residue  string `json:"residue"`
				Standard bool   `json:"standard"`
			}) (any, error) {
				name := residueName(a.Residue)
				out := map[string]any{"residue": strings.TrimSpace(name), "is_nucleic": isNucleic(name, a.Standard), "standard_only": a.Standard}
				if one, ok := pdbNucleic3to1Extended[name]; ok {
					out["one_letter_code"] = one
				}
				return out, nil
			}),
		},
		{
			id:          "biological.seqfeature.seqfeature_location",
			description: "A feature location [start, end) on a strand, and the sequence it covers (reverse-complemented on strand -1), as Bio.SeqFeature's SimpleLocation.extract.",
			params: `{"type": "object", "required": ["sequence", "start", "end"], "additionalProperties": false, "properties": {
				"sequence": {"type": "string", "minLength": 1, "description": "Sequence the feature lies on."},
				"start": {"type": "integer", "minimum": 0, "description": "Start (0-based, inclusive)."},
				"end": {"type": "integer", "minimum": 1, "description": "End (0-based, exclusive)."},
				"strand": {"type": "integer", "enum": [1, -1], "description": "1 for the forward strand, -1 for the reverse."},
				"extract": {"type": "boolean", "default": true, "description": "Also return the covered sequence."}}}`,
			run: typed(func(a struct {
				Sequence string `json:"sequence"`
				location
				Extract *bool `json:"extract"`
			}) (any, error) {
				return describeLocation(a.Sequence, []location{a.location}, a.Extract == nil || *a.Extract)
			}),
		},
		{
			id:          "biological.seqfeature.seqfeature_compound",
			description: "A compound feature location (e.g. exons): its parts, total length, and the concatenated sequence of the parts in the order given, each extracted on its own strand.",
			params: `{"type": "object", "required": ["sequence", "locations"], "additionalProperties": false, "properties": {
				"sequence": {"type": "string", "minLength": 1, "description": "Sequence the feature lies on."},
				"locations": {"type": "array", "minItems": 1, "description": "The parts, each {start, end, strand}.",
					"items": {"type": "object", "required": ["start", "end"], "additionalProperties": false, "properties": {
						"start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 1}, "strand": {"type": "integer", "enum": [1, -1]}}}},
				"extract": {"type": "boolean", "default": true, "description": "Also return the concatenated sequence."}}}`,
			run: typed(func(a struct {
				Sequence  string     `json:"sequence"`
				Locations []location `json:"locations"`
				Extract   *bool      `json:"extract"`
			}) (any, error) {
				return describeLocation(a.Sequence, a.Locations, a.Extract == nil || *a.Extract)
			}),
		},
		{
			id:          "biological.iupac_data.iupac_data_letters",
			description: "IUPAC letter codes for DNA, RNA and protein: alphabets, ambiguity codes with the bases they stand for, and one- to three-letter amino acid codes.",
			params: `{"type": "object", "required": [], "additionalProperties": false, "properties": {
				"sequence_type": {"type": "string", "enum": ["dna", "rna", "protein", "all"], "default": "all", "description": "Which alphabet."},
				"include_ambiguous": {"type": "boolean", "default": true, "description": "Include ambiguity codes and their meanings."}}}`,
			run: typed(func(a struct {
				SequenceType     string `json:"sequence_type"`
				IncludeAmbiguous *bool  `json:"include_ambiguous"`
			}) (any, error) {
				return iupacLetterData(a.SequenceType, a.IncludeAmbiguous == nil || *a.IncludeAmbiguous)
			}),
		},
		{
			id:          "biological.iupac_data.iupac_data_weights",
			description: "Molecular weights (Da) of DNA nucleotides, RNA nucleotides and amino acids, average and/or monoisotopic, from Bio.Data.IUPACData.",
			params: `{"type": "object", "required": [], "additionalProperties": false, "properties": {
				"sequence_type": {"type": "string", "enum": ["dna", "rna", "protein", "all"], "default": "all", "description": "Which letters."},
				"weight_type": {"type": "string", "enum": ["monoisotopic", "average", "both"], "default": "both", "description": "Which masses."}}}`,
			run: typed(func(a struct {
				SequenceType string `json:"sequence_type"`
				WeightType   string `json:"weight_type"`
			}) (any, error) {
				return iupacWeightData(a.SequenceType, a.WeightType)
			}),
		},
	}
}

func describeLocation(seq string, parts []location, extract bool) (any, error) {
	total := 0
	var b strings.Builder
	for i, p := range parts {
		if err := p.check(len(seq)); err != nil {
			return nil, fmt.Errorf("location %d: %w", i+1, err)
		}
		total += p.End - p.Start
		if extract {
			s, err := p.extract(seq)
			if err != nil {
				return nil, fmt.Errorf("location %d: %w", i+1, err)
			}
			b.WriteString(s)
		}
	}
	out := map[string]any{"locations": parts, "length": total}
	if extract {
		out["sequence"] = b.String()
	}
	return out, nil
}

func byteKeys[V any](m map[byte]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

func iupacLetterData(kind string, ambiguous bool) (any, error) {
	dna := map[string]any{"unambiguous": iupacLetters["unambiguous_dna_letters"]}
	rna := map[string]any{"unambiguous": iupacLetters["unambiguous_rna_letters"]}
	protein := map[string]any{"letters": iupacLetters["protein_letters"], "one_to_three": proteinLetters1to3}
	if ambiguous {
		dna["ambiguous"], dna["ambiguous_values"] = iupacLetters["ambiguous_dna_letters"], byteKeys(ambiguousDNAValues)
		rna["ambiguous"], rna["ambiguous_values"] = iupacLetters["ambiguous_rna_letters"], ambiguousRNAValues
		protein["extended"], protein["extended_values"] = iupacLetters["extended_protein_letters"], byteKeys(extendedProteinValues)
	}
	return pick(kind, dna, rna, protein)
}

func iupacWeightData(kind, weight string) (any, error) {
	tables := func(avg, mono map[byte]float64) (map[string]any, error) {
		switch weight {
		case "", "both":
			return map[string]any{"average": byteKeys(avg), "monoisotopic": byteKeys(mono)}, nil
		case "average":
			return map[string]any{"average": byteKeys(avg)}, nil
		case "monoisotopic":
			return map[string]any{"monoisotopic": byteKeys(mono)}, nil
		}
		return nil, fmt.Errorf("unknown weight_type %q", weight)
	}
	dna, err := tables(dnaWeightsAverage, dnaWeightsMonoisotopic)
	if err != nil {
		return nil, err
	}
	rna, _ := tables(rnaWeightsAverage, rnaWeightsMonoisotopic)
	protein, _ := tables(proteinWeightsAverage, proteinWeightsMonoisotopic)
	return pick(kind, dna, rna, protein)
}

func pick(kind string, dna, rna, protein map[string]any) (any, error) {
	switch kind {
	case "", "all":
		return map[string]any{"dna": dna, "rna": rna, "protein": protein}, nil
	case "dna":
		return map[string]any{"dna": dna}, nil
	case "rna":
		return map[string]any{"rna": rna}, nil
	case "protein":
		return map[string]any{"protein": protein}, nil
	}
	return nil, fmt.Errorf("unknown sequence_type %q", kind)
}
