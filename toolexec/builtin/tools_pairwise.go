package builtin

import "fmt"

// maxAlignmentsShown bounds the alignments a pairwise2 tool returns; the
// number of optimal alignments found (up to 1000) is always reported.
const maxAlignmentsShown = 20

// pairwiseDefinitions are the Bio.pairwise2 tools.
func pairwiseDefinitions() []definition {
	common := `"sequence_a": {"type": "string", "minLength": 1, "maxLength": 1000, "description": "First sequence (DNA, RNA or protein), at most 1000 characters."},
		"sequence_b": {"type": "string", "minLength": 1, "maxLength": 1000, "description": "Second sequence, at most 1000 characters."},
		"score_only": {"type": "boolean", "default": false, "description": "Return only the best score."},
		"one_alignment_only": {"type": "boolean", "default": false, "description": "Return only the first optimal alignment."},
		"penalize_end_gaps": {"type": "boolean", "default": true, "description": "Penalize gaps at the ends (global alignments; default true for global, false for local)."},
		"gap_char": {"type": "string", "minLength": 1, "maxLength": 1, "default": "-", "description": "Gap character in the output."}`
	scored := `"match_score": {"type": "number", "default": 2, "description": "Score of identical characters."},
		"mismatch_score": {"type": "number", "default": -1, "description": "Score of different characters."},
		"gap_open": {"type": "number", "default": -0.5, "description": "Score of opening a gap (negative)."},
		"gap_extend": {"type": "number", "default": -0.1, "description": "Score of extending a gap by one (negative)."},`
	type args struct {
		SequenceA        string   `json:"sequence_a"`
		SequenceB        string   `json:"sequence_b"`
		MatchScore       *float64 `json:"match_score"`
		MismatchScore    *float64 `json:"mismatch_score"`
		GapOpen          *float64 `json:"gap_open"`
		GapExtend        *float64 `json:"gap_extend"`
		ScoreOnly        bool     `json:"score_only"`
		OneAlignmentOnly bool     `json:"one_alignment_only"`
		PenalizeEndGaps  *bool    `json:"penalize_end_gaps"`
		GapChar          string   `json:"gap_char"`
	}
	orDefault := func(v *float64, d float64) float64 {
		if v == nil {
			return d
		}
		return *v
	}
	run := func(global, scoredParams bool) func(args) (any, error) {
		return func(a args) (any, error) {
			p := alignParams{Match: 1, Global: global, GapChar: '-', OneAlignmentOnly: a.OneAlignmentOnly, PenalizeEndGaps: global}
			if scoredParams {
				p.Match, p.Mismatch = orDefault(a.MatchScore, 2), orDefault(a.MismatchScore, -1)
				p.GapOpen, p.GapExt = orDefault(a.GapOpen, -0.5), orDefault(a.GapExtend, -0.1)
			}
			if a.PenalizeEndGaps != nil {
				p.PenalizeEndGaps = *a.PenalizeEndGaps
			}
			if a.GapChar != "" {
				p.GapChar = a.GapChar[0]
			}
			score, alignments := pairwiseAlign(a.SequenceA, a.SequenceB, p)
			out := map[string]any{"score": score, "mode": map[bool]string{true: "global", false: "local"}[global]}
			if a.ScoreOnly {
				return out, nil
			}
			out["num_alignments"] = len(alignments)
			if len(alignments) > maxAlignmentsShown {
				out["alignments_shown"] = maxAlignmentsShown
				alignments = alignments[:maxAlignmentsShown]
			}
			out["alignments"] = alignments
			return out, nil
		}
	}
	mk := func(id, what string, global, scoredParams bool) definition {
		params := `{"type": "object", "required": ["sequence_a", "sequence_b"], "additionalProperties": false, "properties": {`
		if scoredParams {
			params += scored
		}
		params += common + `}}`
		return definition{id: id, description: what, params: params, run: typed(run(global, scoredParams))}
	}
	return []definition{
		mk("biological.pairwise2.pairwise2_global_align", fmt.Sprintf("Global (end-to-end) alignment of two sequences with match/mismatch scores and affine gap penalties (Bio.pairwise2 globalms): the best score and the optimal alignments (up to %d shown) with their aligned region.", maxAlignmentsShown), true, true),
		mk("biological.pairwise2.pairwise2_local_align", fmt.Sprintf("Local alignment of two sequences with match/mismatch scores and affine gap penalties (Bio.pairwise2 localms): the best score and the optimal alignments (up to %d shown) with their aligned region.", maxAlignmentsShown), false, true),
		mk("biological.pairwise2.pairwise2_globalxx", "Global alignment counting identical characters (match 1, mismatch 0, no gap penalty; Bio.pairwise2 globalxx).", true, false),
		mk("biological.pairwise2.pairwise2_localxx", "Local alignment counting identical characters (match 1, mismatch 0, no gap penalty; Bio.pairwise2 localxx).", false, false),
	}
}
