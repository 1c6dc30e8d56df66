package builtin

import (
	"fmt"
	"sort"
	"strings"
)

const (
	seqParam     = `{"type": "string", "minLength": 1, "description": "Nucleotide sequence (DNA or RNA); IUPAC ambiguity codes allowed."}`
	dnaParam     = `{"type": "string", "minLength": 1, "pattern": "^[ATCG]+$", "description": "DNA sequence of A, T, C and G."}`
	rnaParam     = `{"type": "string", "minLength": 1, "pattern": "^[AUCG]+$", "description": "RNA sequence of A, U, C and G."}`
	proteinParam = `{"type": "string", "minLength": 1, "pattern": "^[ACDEFGHIKLMNPQRSTVWY]+$", "description": "Protein sequence in one-letter codes of the 20 standard amino acids."}`
	pointParam   = `{"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3, "description": "Cartesian coordinates [x, y, z] in ångström."}`
)

type seqArgs struct {
	Sequence string `json:"sequence"`
}

type seqOpArgs struct {
	Sequence  string `json:"sequence"`
	Operation string `json:"operation"`
}

func sequenceResult(input, op, result string) map[string]any {
	return map[string]any{"operation": op, "input_length": len(input), "result": result, "length": len(result)}
}

func complementOp(seq, op string) (any, error) {
	var out string
	var err error
	switch op {
	case "complement":
		out, err = complement(seq)
	case "reverse_complement":
		out, err = complement(seq)
		out = reverse(out)
	case "complement_rna":
		out, err = complementRNA(seq)
	case "reverse_complement_rna":
		out, err = complementRNA(seq)
		out = reverse(out)
	default:
		return nil, fmt.Errorf("unknown operation %q", op)
	}
	if err != nil {
		return nil, err
	}
	return sequenceResult(seq, op, out), nil
}

func fixedOp(op string) func(seqArgs) (any, error) {
	return func(a seqArgs) (any, error) { return complementOp(a.Sequence, op) }
}

func proteinTool(fn func(p *proteinAnalysis) map[string]any) func(seqArgs) (any, error) {
	return func(a seqArgs) (any, error) {
		p, err := newProteinAnalysis(a.Sequence)
		if err != nil {
			return nil, err
		}
		out := fn(p)
		out["sequence_length"] = len(p.seq)
		return out, nil
	}
}

type codonTableArgs struct {
	TableID        int   `json:"table_id"`
	IncludeForward *bool `json:"include_forward_table"`
	IncludeBack    bool  `json:"include_back_table"`
}

func (a codonTableArgs) forward() bool { return a.IncludeForward == nil || *a.IncludeForward }

func definitions() []definition {
	defs := []definition{
		{
			id:          "biological.bio_seq.bio_seq_translate",
			description: "Translate a DNA or RNA sequence into protein with an NCBI genetic code table (Biopython Seq.translate semantics: ambiguous codons, stop symbols, CDS checks, gap codons).",
			params: `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {
				"sequence": {"type": "string", "minLength": 3, "description": "Nucleotide sequence (DNA or RNA), at least one codon; IUPAC ambiguity codes allowed."},
				"table": {"type": "integer", "minimum": 1, "maximum": 33, "default": 1, "description": "NCBI genetic code id (1 standard, 2 vertebrate mitochondrial, 11 bacterial, ...)."},
				"stop_symbol": {"type": "string", "maxLength": 1, "default": "*", "description": "Character written for stop codons."},
				"to_stop": {"type": "boolean", "default": false, "description": "Stop translating at the first stop codon."},
				"cds": {"type": "boolean", "default": false, "description": "Require a complete coding sequence: start codon, length a multiple of 3, one final stop."},
				"gap": {"type": "string", "maxLength": 1, "default": "-", "description": "Gap character; a codon of three gaps translates to one gap."}}}`,
			run: typed(func(a struct {
				Sequence   string  `json:"sequence"`
				Table      *int    `json:"table"`
				StopSymbol *string `json:"stop_symbol"`
				ToStop     bool    `json:"to_stop"`
				CDS        bool    `json:"cds"`
				Gap        *string `json:"gap"`
			}) (any, error) {
				o := translateOptions{Table: 1, StopSymbol: '*', ToStop: a.ToStop, CDS: a.CDS, Gap: '-'}
				if a.Table != nil {
					o.Table = *a.Table
				}
				if a.StopSymbol != nil && *a.StopSymbol != "" {
					o.StopSymbol = (*a.StopSymbol)[0]
				}
				if a.Gap != nil {
					o.Gap = 0
					if *a.Gap != "" {
						o.Gap = (*a.Gap)[0]
					}
				}
				protein, err := translate(a.Sequence, o)
				if err != nil {
					return nil, err
				}
				g, _ := geneticCodeByID(o.Table)
				return map[string]any{"protein": protein, "length": len(protein), "table": g.ID, "table_name": g.Names[0],
					"partial_codon": !a.CDS && len(a.Sequence)%3 != 0}, nil
			}),
		},
		{
			id:          "biological.bio_seq.bio_seq_complement",
			description: "Complement or reverse-complement a nucleotide sequence (IUPAC codes and case kept), as DNA or as RNA.",
			params: `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {
				"sequence": ` + seqParam + `,
				"operation": {"type": "string", "enum": ["complement", "reverse_complement", "complement_rna", "reverse_complement_rna"], "default": "reverse_complement", "description": "Which complement to compute."}}}`,
			run: typed(func(a seqOpArgs) (any, error) {
				if a.Operation == "" {
					a.Operation = "reverse_complement"
				}
				return complementOp(a.Sequence, a.Operation)
			}),
		},
		{
			id:          "biological.bio_seq.bio_seq_reverse_complement",
			description: "Reverse complement of a DNA sequence (ATCG → CGAT).",
			params:      `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {"sequence": ` + dnaParam + `}}`,
			run:         typed(fixedOp("reverse_complement")),
		},
		{
			id:          "biological.bio_seq.bio_seq_complement_rna",
			description: "Complement of an RNA sequence (AUCG → UAGC).",
			params:      `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {"sequence": ` + rnaParam + `}}`,
			run:         typed(fixedOp("complement_rna")),
		},
		{
			id:          "biological.bio_seq.bio_seq_reverse_complement_rna",
			description: "Reverse complement of an RNA sequence (AUCG → CGAU).",
			params:      `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {"sequence": ` + rnaParam + `}}`,
			run:         typed(fixedOp("reverse_complement_rna")),
		},
		{
			id:          "biological.bio_seq.bio_seq_transcribe",
			description: "Transcribe DNA to RNA (T → U) or back-transcribe RNA to DNA (U → T).",
			params: `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {
				"sequence": ` + seqParam + `,
				"operation": {"type": "string", "enum": ["transcribe", "back_transcribe"], "default": "transcribe", "description": "Direction of the conversion."}}}`,
			run: typed(func(a seqOpArgs) (any, error) {
				switch a.Operation {
				case "", "transcribe":
					return sequenceResult(a.Sequence, "transcribe", transcribe(a.Sequence)), nil
				case "back_transcribe":
					return sequenceResult(a.Sequence, "back_transcribe", backTranscribe(a.Sequence)), nil
				}
				return nil, fmt.Errorf("unknown operation %q", a.Operation)
			}),
		},
		{
			id:          "biological.bio_seq.bio_seq_back_transcribe",
			description: "Back-transcribe an RNA sequence to DNA (U → T).",
			params:      `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {"sequence": ` + rnaParam + `}}`,
			run: typed(func(a seqArgs) (any, error) {
				return sequenceResult(a.Sequence, "back_transcribe", backTranscribe(a.Sequence)), nil
			}),
		},
		{
			id:          "biological.bio_seq.bio_seq_count",
			description: "Count occurrences of a subsequence, non-overlapping (Seq.count) or overlapping (Seq.count_overlap).",
			params: `{"type": "object", "required": ["sequence", "subsequence"], "additionalProperties": false, "properties": {
				"sequence": {"type": "string", "minLength": 1, "description": "Sequence to search."},
				"subsequence": {"type": "string", "minLength": 1, "description": "Subsequence to count."},
				"overlap": {"type": "boolean", "default": false, "description": "Count overlapping occurrences."}}}`,
			run: typed(func(a struct {
				Sequence    string `json:"sequence"`
				Subsequence string `json:"subsequence"`
				Overlap     bool   `json:"overlap"`
			}) (any, error) {
				return map[string]any{"count": countSubsequence(a.Sequence, a.Subsequence, a.Overlap),
					"subsequence": a.Subsequence, "overlap": a.Overlap, "sequence_length": len(a.Sequence)}, nil
			}),
		},
		{
			id:          "biological.bio_sequtils.bio_sequtils_gc_content",
			description: "G+C content of a nucleotide sequence as a fraction and a percentage (Biopython gc_fraction).",
			params: `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {
				"sequence": ` + seqParam + `,
				"ambiguous": {"type": "string", "enum": ["ignore", "weighted", "remove"], "default": "ignore", "description": "Ambiguous codes: ignore (count as non-GC), weighted (by GC probability), remove (leave out of the length)."}}}`,
			run: typed(func(a struct {
				Sequence  string `json:"sequence"`
				Ambiguous string `json:"ambiguous"`
			}) (any, error) {
				if a.Ambiguous == "" {
					a.Ambiguous = "ignore"
				}
				f, err := gcFraction(a.Sequence, a.Ambiguous)
				if err != nil {
					return nil, err
				}
				return map[string]any{"gc_fraction": f, "gc_percent": f * 100, "ambiguous": a.Ambiguous, "sequence_length": len(a.Sequence)}, nil
			}),
		},
		{
			id:          "biological.bio_sequtils.bio_sequtils_seq3",
			description: "Convert one-letter amino acid codes to three-letter codes (MAIVM → MetAlaIleValMet).",
			params: `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {
				"sequence": {"type": "string", "minLength": 1, "description": "Protein sequence in one-letter codes."},
				"undef_code": {"type": "string", "default": "Xaa", "description": "Code written for unknown letters."}}}`,
			run: typed(func(a struct {
				Sequence  string  `json:"sequence"`
				UndefCode *string `json:"undef_code"`
			}) (any, error) {
				undef := "Xaa"
				if a.UndefCode != nil {
					undef = *a.UndefCode
				}
				return map[string]any{"result": seq3(a.Sequence, undef)}, nil
			}),
		},
		{
			id:          "biological.bio_sequtils.bio_sequtils_seq1",
			description: "Convert three-letter amino acid codes to one-letter codes (MetAlaIle → MAI).",
			params: `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {
				"sequence": {"type": "string", "minLength": 3, "description": "Protein sequence in concatenated three-letter codes."},
				"undef_code": {"type": "string", "default": "X", "maxLength": 1, "description": "Letter written for unknown codes."}}}`,
			run: typed(func(a struct {
				Sequence  string  `json:"sequence"`
				UndefCode *string `json:"undef_code"`
			}) (any, error) {
				undef := byte('X')
				if a.UndefCode != nil && *a.UndefCode != "" {
					undef = (*a.UndefCode)[0]
				}
				return map[string]any{"result": seq1(a.Sequence, undef)}, nil
			}),
		},
		{
			id:          "biological.codon_table.codon_table_standard",
			description: "The standard genetic code (NCBI table 1): start and stop codons, codon → amino acid, and optionally amino acid → codons.",
			params: `{"type": "object", "required": [], "additionalProperties": false, "properties": {
				"include_forward_table": {"type": "boolean", "default": true, "description": "Include the codon → amino acid table."},
				"include_back_table": {"type": "boolean", "default": false, "description": "Include the amino acid → codons table."}}}`,
			run: typed(func(a codonTableArgs) (any, error) {
				g, _ := geneticCodeByID(1)
				return g.view(a.forward(), a.IncludeBack), nil
			}),
		},
		{
			id:          "biological.codon_table.codon_table_by_id",
			description: "An NCBI genetic code table by id: names, start and stop codons, codon → amino acid, and optionally amino acid → codons.",
			params: `{"type": "object", "required": ["table_id"], "additionalProperties": false, "properties": {
				"table_id": {"type": "integer", "minimum": 1, "maximum": 33, "description": "NCBI genetic code id."},
				"include_forward_table": {"type": "boolean", "default": true, "description": "Include the codon → amino acid table."},
				"include_back_table": {"type": "boolean", "default": false, "description": "Include the amino acid → codons table."}}}`,
			run: typed(func(a codonTableArgs) (any, error) {
				g, err := geneticCodeByID(a.TableID)
				if err != nil {
					return nil, err
				}
				return g.view(a.forward(), a.IncludeBack), nil
			}),
		},
		{
			id:          "biological.codon_table.codon_table_list",
			description: "List the NCBI genetic code tables (id and names; with details, start and stop codons).",
			params: `{"type": "object", "required": [], "additionalProperties": false, "properties": {
				"include_details": {"type": "boolean", "default": true, "description": "Include start and stop codons of each table."}}}`,
			run: typed(func(a struct {
				IncludeDetails *bool `json:"include_details"`
			}) (any, error) {
				details := a.IncludeDetails == nil || *a.IncludeDetails
				tables := make([]any, 0, len(ncbiGeneticCodes))
				for i := range ncbiGeneticCodes {
					g := &ncbiGeneticCodes[i]
					if details {
						tables = append(tables, g.view(false, false))
					} else {
						tables = append(tables, map[string]any{"id": g.ID, "name": g.Names[0]})
					}
				}
				return map[string]any{"count": len(tables), "tables": tables}, nil
			}),
		},
		{
			id:          "biological.protparam.protparam_molecular_weight",
			description: "Average molecular weight (Da) of a protein sequence (Biopython ProteinAnalysis.molecular_weight).",
			params:      `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {"sequence": ` + proteinParam + `}}`,
			run: typed(proteinTool(func(p *proteinAnalysis) map[string]any {
				return map[string]any{"molecular_weight": p.molecularWeight(false), "monoisotopic_weight": p.molecularWeight(true), "unit": "Da"}
			})),
		},
		{
			id:          "biological.protparam.protparam_isoelectric_point",
			description: "Isoelectric point (pI) of a protein sequence by the Bjellqvist method (Biopython ProteinAnalysis.isoelectric_point).",
			params:      `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {"sequence": ` + proteinParam + `}}`,
			run: typed(proteinTool(func(p *proteinAnalysis) map[string]any {
				return map[string]any{"isoelectric_point": p.isoelectricPoint(), "charge_at_ph7": p.chargeAtPH(7)}
			})),
		},
		{
			id:          "biological.protparam.protparam_aromaticity",
			description: "Aromaticity of a protein: the relative frequency of F, W and Y (Lobry 1994).",
			params:      `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {"sequence": ` + proteinParam + `}}`,
			run: typed(proteinTool(func(p *proteinAnalysis) map[string]any {
				return map[string]any{"aromaticity": p.aromaticity()}
			})),
		},
		{
			id:          "biological.protparam.protparam_analysis",
			description: "Full ProtParam analysis of a protein: weight, pI, charge at pH 7, aromaticity, instability index, GRAVY, secondary structure fractions, extinction coefficients and amino acid counts.",
			params:      `{"type": "object", "required": ["sequence"], "additionalProperties": false, "properties": {"sequence": ` + proteinParam + `}}`,
			run: typed(proteinTool(func(p *proteinAnalysis) map[string]any {
				ss := p.secondaryStructureFraction()
				ext := p.molarExtinctionCoefficient()
				counts := map[string]int{}
				for aa, n := range p.counts {
					counts[string(aa)] = n
				}
				return map[string]any{
					"molecular_weight": p.molecularWeight(false), "isoelectric_point": p.isoelectricPoint(),
					"charge_at_ph7": p.chargeAtPH(7), "aromaticity": p.aromaticity(),
					"instability_index": p.instabilityIndex(), "stable": p.instabilityIndex() < 40,
					"gravy":                        p.gravy(),
					"secondary_structure_fraction": map[string]float64{"helix": ss[0], "turn": ss[1], "sheet": ss[2]},
					"molar_extinction_coefficient": map[string]int{"reduced_cysteines": ext[0], "disulfide_bridges": ext[1]},
					"amino_acid_counts":            counts,
				}
			})),
		},
		{
			id:          "biological.pdb.pdb_calc_angle",
			description: "Angle v1-v2-v3 between three points (Bio.PDB calc_angle), in radians and degrees.",
			params: `{"type": "object", "required": ["v1", "v2", "v3"], "additionalProperties": false, "properties": {
				"v1": ` + pointParam + `, "v2": ` + pointParam + `, "v3": ` + pointParam + `}}`,
			run: typed(func(a struct{ V1, V2, V3 vec3 }) (any, error) {
				r := calcAngle(a.V1, a.V2, a.V3)
				return map[string]any{"angle_radians": r, "angle_degrees": r * 180 / 3.141592653589793}, nil
			}),
		},
		{
			id:          "biological.pdb.pdb_calc_dihedral",
			description: "Dihedral (torsion) angle v1-v2-v3-v4 of four points (Bio.PDB calc_dihedral), in radians and degrees, in ]-180°, 180°].",
			params: `{"type": "object", "required": ["v1", "v2", "v3", "v4"], "additionalProperties": false, "properties": {
				"v1": ` + pointParam + `, "v2": ` + pointParam + `, "v3": ` + pointParam + `, "v4": ` + pointParam + `}}`,
			run: typed(func(a struct{ V1, V2, V3, V4 vec3 }) (any, error) {
				r := calcDihedral(a.V1, a.V2, a.V3, a.V4)
				return map[string]any{"dihedral_radians": r, "dihedral_degrees": r * 180 / 3.141592653589793}, nil
			}),
		},
		{
			id: "general.math.calculator",
			description: "Evaluate an arithmetic expression exactly as written: + - * / // % ^ (or **), parentheses, constants pi, e, tau, and functions " +
				strings.Join(calcFuncNames(), ", ") + ". Trigonometry is in radians; log(x) is natural, log(x, b) base b.",
			params: `{"type": "object", "required": ["expression"], "additionalProperties": false, "properties": {
				"expression": {"type": "string", "minLength": 1, "maxLength": 4096, "description": "Expression to evaluate, e.g. \"(3.2e3 - 12) / sqrt(2)\"."}}}`,
			run: typed(func(a struct {
				Expression string `json:"expression"`
			}) (any, error) {
				v, err := evaluate(a.Expression)
				if err != nil {
					return nil, err
				}
				return map[string]any{"expression": a.Expression, "result": v}, nil
			}),
		},
	}
	defs = append(defs, searchDefinitions()...)
	defs = append(defs, motifDefinitions()...)
	defs = append(defs, restrictionDefinitions()...)
	defs = append(defs, pairwiseDefinitions()...)
	defs = append(defs, structureDefinitions()...)
	defs = append(defs, clusterDefinitions()...)
	defs = append(defs, financeDefinitions()...)
	defs = append(defs, statsDefinitions()...)
	defs = append(defs, hypothesisDefinitions()...)
	defs = append(defs, calendarDefinitions()...)
	defs = append(defs, clinicalDefinitions()...)
	defs = append(defs, textDefinitions()...)
	defs = append(defs, identifierDefinitions()...)
	sort.Slice(defs, func(i, j int) bool { return defs[i].id < defs[j].id })
	return defs
}

func calcFuncNames() []string {
	names := make([]string, 0, len(calcFuncs))
	for n := range calcFuncs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
