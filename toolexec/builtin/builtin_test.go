package builtin

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dive-env/dive/toolexec"
)

// TestManifestsMatchReference checks that every built-in tool that the DIVE
// reference release also has keeps its id, name, domain, parameter names,
// types and required list, so reference tasks run against our executors.
func TestManifestsMatchReference(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "dive-reference", "tools")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("DIVE reference manifests not found at %s (../shared is absent)", dir)
	}
	ref, err := toolexec.ReadManifests(dir)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]toolexec.Manifest{}
	for _, m := range ref {
		byID[m.ID] = m
	}
	matched := 0
	for _, ours := range Manifests() {
		theirs, ok := byID[ours.ID]
		if !ok {
			continue
		}
		matched++
		if ours.Name != theirs.Name || ours.Domain != theirs.Domain {
			t.Errorf("%s: name/domain %s/%s, reference %s/%s", ours.ID, ours.Name, ours.Domain, theirs.Name, theirs.Domain)
		}
		for _, d := range toolexec.CompareParameters(ours, theirs) {
			t.Errorf("%s: %s", ours.ID, d)
		}
	}
	if matched < 15 {
		t.Fatalf("only %d built-ins share an id with the reference", matched)
	}
}

func TestBuiltinTools(t *testing.T) {
	reg, err := NewRegistry(toolexec.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if reg.Len() < 11 {
		t.Fatalf("%d built-in tools, want at least 11", reg.Len())
	}
	tests := []struct {
		tool string
		args string
		want map[string]any // fields of the JSON output
		err  string         // substring of the error, when the call must fail
	}{
		{"bio_seq_translate", `{"sequence": "ATGGCCATTGTAATGGGCCGCTGAAAGGGTGCCCGATAG"}`, map[string]any{"protein": "MAIVMGR*KGAR*"}, ""},
		{"bio_seq_translate", `{"sequence": "ATGGCCATTGTAATGGGCCGCTGAAAGGGTGCCCGATAG", "to_stop": true}`, map[string]any{"protein": "MAIVMGR"}, ""},
		{"bio_seq_translate", `{"sequence": "ATGGCCATTGTAATGGGCCGCTGAAAGGGTGCCCGATAG", "table": 2}`, map[string]any{"protein": "MAIVMGRWKGAR*", "table_name": "Vertebrate Mitochondrial"}, ""},
		{"bio_seq_translate", `{"sequence": "ATGAAATAA", "cds": true}`, map[string]any{"protein": "MK"}, ""},
		{"bio_seq_translate", `{"sequence": "ATGAAA", "cds": true}`, nil, "not a stop codon"},
		{"bio_seq_translate", `{"sequence": "ATGAAA", "table": 7}`, nil, "unknown genetic code table 7"},
		{"bio_seq_reverse_complement", `{"sequence": "ATGCGT"}`, map[string]any{"result": "ACGCAT"}, ""},
		{"bio_seq_complement", `{"sequence": "ATGCGT", "operation": "complement"}`, map[string]any{"result": "TACGCA"}, ""},
		{"bio_seq_complement", `{"sequence": "AUGC"}`, map[string]any{"result": "GCAU"}, ""},
		{"bio_seq_complement_rna", `{"sequence": "AUGC"}`, map[string]any{"result": "UACG"}, ""},
		{"bio_seq_reverse_complement_rna", `{"sequence": "AUGC"}`, map[string]any{"result": "GCAU"}, ""},
		{"bio_seq_transcribe", `{"sequence": "ATGC"}`, map[string]any{"result": "AUGC"}, ""},
		{"bio_seq_transcribe", `{"sequence": "AUGC", "operation": "back_transcribe"}`, map[string]any{"result": "ATGC"}, ""},
		{"bio_seq_back_transcribe", `{"sequence": "AUGC"}`, map[string]any{"result": "ATGC"}, ""},
		{"bio_seq_count", `{"sequence": "AAAA", "subsequence": "AA"}`, map[string]any{"count": 2.0}, ""},
		{"bio_seq_count", `{"sequence": "AAAA", "subsequence": "AA", "overlap": true}`, map[string]any{"count": 3.0}, ""},
		{"bio_sequtils_gc_content", `{"sequence": "ACTGN"}`, map[string]any{"gc_fraction": 0.4, "gc_percent": 40.0}, ""},
		{"bio_sequtils_gc_content", `{"sequence": "ACTGN", "ambiguous": "remove"}`, map[string]any{"gc_fraction": 0.5}, ""},
		{"bio_sequtils_seq3", `{"sequence": "MAIVMGR"}`, map[string]any{"result": "MetAlaIleValMetGlyArg"}, ""},
		{"bio_sequtils_seq1", `{"sequence": "MetAlaIle"}`, map[string]any{"result": "MAI"}, ""},
		{"codon_table_standard", `{}`, map[string]any{"id": 1.0, "name": "Standard"}, ""},
		{"codon_table_by_id", `{"table_id": 11}`, map[string]any{"id": 11.0, "name": "Bacterial"}, ""},
		{"codon_table_by_id", `{"table_id": 8}`, nil, "unknown genetic code table 8"},
		{"protparam_molecular_weight", `{"sequence": "PETER"}`, map[string]any{"molecular_weight": 630.6481}, ""},
		{"protparam_isoelectric_point", `{"sequence": "PETER"}`, map[string]any{"isoelectric_point": 4.532079887390137}, ""},
		{"protparam_aromaticity", `{"sequence": "FWYA"}`, map[string]any{"aromaticity": 0.75}, ""},
		{"protparam_analysis", `{"sequence": "PETER"}`, map[string]any{"instability_index": 81.28, "stable": false}, ""},
		{"pdb_calc_angle", `{"v1": [1, 0, 0], "v2": [0, 0, 0], "v3": [0, 1, 0]}`, map[string]any{"angle_degrees": 90.0}, ""},
		{"pdb_calc_dihedral", `{"v1": [1, 0, 0], "v2": [0, 0, 0], "v3": [0, 1, 0], "v4": [0, 1, 1]}`, map[string]any{"dihedral_degrees": -90.0}, ""},
		{"bio_seq_find", `{"sequence": "ATGCGATCGATG", "subsequence": "ATG", "find_all": true}`, map[string]any{"position": 0.0, "count": 2.0}, ""},
		{"bio_seq_find", `{"sequence": "ATGCGATCGATG", "subsequence": "TTT"}`, map[string]any{"position": -1.0, "found": false}, ""},
		{"bio_seq_pattern", `{"sequence": "ATGAAATAA", "pattern": "TAA", "operation": "endswith"}`, map[string]any{"result": true}, ""},
		{"bio_seq_pattern", `{"sequence": "ATGAAATAA", "pattern": "ATG", "operation": "both"}`, map[string]any{"startswith": true, "endswith": false, "result": false}, ""},
		{"bio_sequtils_nt_search", `{"sequence": "GAATTCGAGTTC", "subsequence": "GANTTC"}`, map[string]any{"pattern": "GA[GATC]TTC", "count": 2.0}, ""},
		{"bio_sequtils_nt_search", `{"sequence": "ACGT", "subsequence": "AZ"}`, nil, "not an IUPAC nucleotide code"},
		{"bio_sequtils_gc123", `{"sequence": "ATGAAACGCTAG"}`, map[string]any{"gc_total": 41.666666666666664, "gc_third": 75.0}, ""},
		{"bio_sequtils_gc123", `{"sequence": "NNNNNN"}`, nil, "no A, C, G or T"},
		{"bio_sequtils_gc_skew", `{"sequence": "GGGGCCCAAT", "window": 5}`, map[string]any{"windows": 2.0}, ""},
		{"pdb_is_aa", `{"residue": "MSE"}`, map[string]any{"is_amino_acid": true, "one_letter_code": "M"}, ""},
		{"pdb_is_aa", `{"residue": "MSE", "standard": true}`, map[string]any{"is_amino_acid": false}, ""},
		{"pdb_is_nucleic", `{"residue": "DA", "standard": true}`, map[string]any{"is_nucleic": true}, ""},
		{"seqfeature_location", `{"sequence": "ATCGATCGAT", "start": 2, "end": 6, "strand": -1}`, map[string]any{"sequence": "ATCG", "length": 4.0}, ""},
		{"seqfeature_location", `{"sequence": "ATCG", "start": 2, "end": 9}`, nil, "does not lie within"},
		{"seqfeature_compound", `{"sequence": "ATCGATCGATCGATCG", "locations": [{"start": 0, "end": 4}, {"start": 10, "end": 14, "strand": -1}]}`, map[string]any{"sequence": "ATCGATCG", "length": 8.0}, ""},
		{"iupac_data_weights", `{"sequence_type": "dna", "weight_type": "average"}`, nil, ""},
		{"iupac_data_letters", `{"sequence_type": "protein"}`, nil, ""},
		{"motifs_create", `{"sequences": ["TACAA", "TACGC", "TACAC", "TACCC", "AACCC", "AATGC", "AATGC"]}`, map[string]any{"consensus": "TACGC", "degenerate_consensus": "WACVC", "length": 5.0}, ""},
		{"motifs_create", `{"sequences": ["ACGT", "ACG"]}`, nil, "same length"},
		{"motifs_reverse_complement", `{"sequence": "ATCG"}`, map[string]any{"result": "CGAT"}, ""},
		{"motifs_reverse_complement_rna", `{"sequence": "AUCG"}`, map[string]any{"result": "CGAU"}, ""},
		{"restriction_search", `{"sequence": "GAATTCATGAATTC", "enzyme_name": "EcoRI"}`, map[string]any{"count": 2.0}, ""},
		{"restriction_catalyse", `{"sequence": "GAATTCATGAATTC", "enzyme_name": "ecori"}`, map[string]any{"enzyme": "EcoRI"}, ""},
		{"restriction_catalyse", `{"sequence": "ACGT", "enzyme_name": "NoSuchI"}`, nil, "unknown restriction enzyme"},
		{"restriction_enzyme_info", `{"enzyme_name": "BamHI"}`, map[string]any{"site": "GGATCC", "overhang_type": "Ov5", "palindromic": true}, ""},
		{"restriction_all_enzymes", `{"search_pattern": "EcoR", "limit": 2}`, map[string]any{"returned": 2.0}, ""},
		{"pairwise2_global_align", `{"sequence_a": "ACCGT", "sequence_b": "ACG"}`, map[string]any{"score": 5.0, "num_alignments": 2.0}, ""},
		{"pairwise2_local_align", `{"sequence_a": "AGACCGTT", "sequence_b": "ACG", "score_only": true}`, map[string]any{"score": 5.5}, ""},
		{"pairwise2_globalxx", `{"sequence_a": "ACCGT", "sequence_b": "ACG", "one_alignment_only": true}`, map[string]any{"score": 3.0, "num_alignments": 1.0}, ""},
		{"pairwise2_localxx", `{"sequence_a": "AGACCGTT", "sequence_b": "ACG"}`, map[string]any{"score": 3.0}, ""},
		{"svd_superimpose", `{"coordinates1": [[0,0,0],[1,0,0],[0,1,0]], "coordinates2": [[0,0,0],[0,1,0],[-1,0,0]]}`, map[string]any{"rms": 0.0, "num_points": 3.0}, ""},
		{"svd_superimpose", `{"coordinates1": [[0,0,0],[1,0,0],[0,1,0]], "coordinates2": [[0,0,0],[0,1,0],[-1,0,0],[1,1,1]]}`, nil, "must have as many"},
		{"cluster_distancematrix", `{"data": [[1, 2], [1, 4], [4, 2], [4, 4.5]]}`, map[string]any{"items": 4.0}, ""},
		{"cluster_distancematrix", `{"data": [[1, 2], [1]]}`, nil, "rectangular"},
		{"cluster_treecluster", `{"data": [[1, 2], [1, 4], [4, 2], [4, 4.5]], "method": "s"}`, map[string]any{"items": 4.0, "method": "s"}, ""},
		{"cluster_treecluster", `{"data": [[1, 2]]}`, nil, "at least 2"},
		{"cluster_pca", `{"data": [[1, 2], [1, 4], [4, 2], [4, 4.5]]}`, nil, ""},
		{"finmath_npv", `{"rate": 0.281, "cash_flows": [-100, 39, 59, 55, 20]}`, map[string]any{"npv": -0.00847859163845488}, ""},
		{"finmath_irr", `{"cash_flows": [-100, 39, 59, 55, 20]}`, map[string]any{"irr": 0.28094842115996094}, ""},
		{"finmath_irr", `{"cash_flows": [100, 39]}`, nil, "both a negative and a positive"},
		{"finmath_payment", `{"rate": 0.00625, "nper": 180, "pv": 200000}`, map[string]any{"payment": -1854.0247200054619}, ""},
		{"finmath_future_value", `{"rate": 0.004166666666666667, "nper": 120, "pmt": -100, "pv": -100}`, map[string]any{"future_value": 15692.92889433575}, ""},
		{"finmath_present_value", `{"rate": 0.004166666666666667, "nper": 120, "pmt": -100, "fv": 15692.93}`, map[string]any{"present_value": -100.00067131625708}, ""},
		{"finmath_compound_interest", `{"principal": 1000, "annual_rate": 0.05, "years": 10}`, map[string]any{"amount": 1628.894626777442}, ""},
		{"finmath_compound_interest", `{"principal": 1000, "annual_rate": 0.05, "years": 1, "compounds_per_year": 0}`, map[string]any{"amount": 1051.2710963760241}, ""},
		{"finmath_cagr", `{"begin_value": 100, "end_value": 200, "years": 5}`, map[string]any{"cagr": 0.1486983549970351}, ""},
		{"finmath_amortization_schedule", `{"principal": 200000, "annual_rate": 0.075, "years": 15}`, map[string]any{"payment": 1854.0247200054619, "periods": 180.0}, ""},
		{"finmath_returns", `{"prices": [100, 110, 99]}`, map[string]any{"cumulative_return": -0.01}, ""},
		{"finmath_volatility", `{"prices": [100, 110, 99, 99], "periods_per_year": 4}`, map[string]any{"volatility": 0.10000000000000002}, ""},
		{"finmath_sharpe_ratio", `{"returns": [0.1, 0.3], "periods_per_year": 1}`, map[string]any{"sharpe_ratio": 1.4142135623730951}, ""},
		{"finmath_moving_average", `{"values": [1, 2, 3, 4, 5], "window": 2}`, map[string]any{"last": 4.5}, ""},
		{"finmath_max_drawdown", `{"prices": [100, 120, 90, 130, 65]}`, map[string]any{"max_drawdown": 0.5, "peak_index": 3.0, "trough_index": 4.0}, ""},
		{"finmath_black_scholes", `{"spot": 100, "strike": 100, "years": 1, "rate": 0.05, "volatility": 0.2}`, map[string]any{"price": 10.450583572185565}, ""},
		{"finmath_black_scholes", `{"spot": 100, "strike": 100, "years": 1, "rate": 0.05, "volatility": 0.2, "option_type": "put"}`, map[string]any{"price": 5.573526022256971}, ""},
		{"finmath_bond", `{"coupon_rate": 0.05, "yield_to_maturity": 0.05, "years": 10}`, map[string]any{"price": 100.0}, ""},
		{"stats_describe", `{"values": [1, 2, 2, 3, 4]}`, map[string]any{"mean": 2.4, "median": 2.0, "stdev": 1.140175425099138, "q1": 2.0, "q3": 3.0}, ""},
		{"stats_correlation", `{"x": [1, 2, 3, 4, 5], "y": [2, 4, 5, 4, 5]}`, map[string]any{"pearson_r": 0.7745966692414834, "slope": 0.6, "intercept": 2.2}, ""},
		{"stats_correlation", `{"x": [1, 2], "y": [1, 2, 3]}`, nil, "pair up"},
		// Reference values from closed forms (t with 2 df, chi-square with 1 and 2 df) and Python's statistics.NormalDist.
		{"stats_t_test", `{"test": "one_sample", "x": [1, 2, 3]}`, map[string]any{"t_statistic": 3.4641016151377544, "degrees_of_freedom": 2.0, "p_value_two_sided": 0.07417990022744858}, ""},
		{"stats_t_test", `{"test": "pooled", "x": [1, 3], "y": [4, 6]}`, map[string]any{"t_statistic": -2.1213203435596424, "degrees_of_freedom": 2.0, "p_value_two_sided": 0.1679497056621564, "p_value_less": 0.0839748528310782}, ""},
		{"stats_t_test", `{"test": "welch", "x": [1, 3], "y": [4, 6]}`, map[string]any{"t_statistic": -2.1213203435596424, "degrees_of_freedom": 2.0, "p_value_two_sided": 0.1679497056621564}, ""},
		{"stats_t_test", `{"test": "paired", "x": [2, 4, 6], "y": [1, 2, 3]}`, map[string]any{"t_statistic": 3.4641016151377544, "p_value_two_sided": 0.07417990022744858}, ""},
		{"stats_t_test", `{"test": "paired", "x": [2, 4, 6], "y": [1, 2]}`, nil, "pair up"},
		{"stats_t_test", `{"test": "welch", "x": [2, 4, 6]}`, nil, "needs y"},
		{"stats_t_test", `{"test": "one_sample", "x": [2, 2, 2]}`, nil, "does not vary"},
		{"stats_chi_square_test", `{"observed": [10, 20, 30]}`, map[string]any{"chi_square": 10.0, "degrees_of_freedom": 2.0, "p_value": 0.006737946999085467}, ""},
		{"stats_chi_square_test", `{"observed": [10, 20, 30], "expected": [1, 2, 3]}`, map[string]any{"chi_square": 0.0, "p_value": 1.0}, ""},
		{"stats_chi_square_test", `{"table": [[10, 20], [20, 10]]}`, map[string]any{"chi_square": 5.4, "degrees_of_freedom": 1.0, "p_value": 0.02013675155034634, "yates_correction": true}, ""},
		{"stats_chi_square_test", `{"table": [[10, 20], [20, 10]], "yates_correction": false}`, map[string]any{"chi_square": 6.666666666666667, "p_value": 0.009823274507519245}, ""},
		{"stats_chi_square_test", `{"table": [[10, 20, 5], [20, 10]]}`, nil, "row 1 has 2 cells"},
		{"stats_chi_square_test", `{}`, nil, "give either observed"},
		{"stats_normal_distribution", `{"mean": 100, "sd": 15, "x": 130, "probability": 0.975}`, map[string]any{"z": 2.0, "cdf": 0.9772498680518208, "pdf": 0.0035993977675458705, "quantile": 129.3994597681008}, ""},
		{"stats_normal_distribution", `{"mean": 100}`, nil, "give x, probability"},
		{"stats_binomial_distribution", `{"n": 10, "p": 0.5, "k": 5}`, map[string]any{"pmf": 0.24609375, "cdf": 0.623046875, "survival_at_least_k": 0.623046875, "mean": 5.0, "variance": 2.5}, ""},
		{"stats_binomial_distribution", `{"n": 3, "p": 0.5, "k": 4}`, nil, "exceeds n"},
		// F(2, 2) has survival 1/(1+F); Poisson(2) probabilities by hand; month grids from Python's calendar module.
		{"stats_anova_oneway", `{"groups": [[1, 3], [4, 6], [8]]}`, map[string]any{"f_statistic": 6.3, "df_between": 2.0, "df_within": 2.0, "p_value": 0.136986301369863, "ss_between": 25.2, "ss_within": 4.0}, ""},
		{"stats_anova_oneway", `{"groups": [[1, 3], [4, 6]]}`, map[string]any{"f_statistic": 4.5, "p_value": 0.1679497056621564}, ""},
		{"stats_anova_oneway", `{"groups": [[1], [4]]}`, nil, "more observations than groups"},
		{"stats_poisson_distribution", `{"lambda": 2, "k": 3}`, map[string]any{"pmf": 0.1804470443154836, "cdf": 0.857123460498547, "survival_at_least_k": 0.32332358381693654}, ""},
		{"stats_poisson_distribution", `{"lambda": 0, "k": 0}`, map[string]any{"pmf": 1.0, "cdf": 1.0}, ""},
		{"datetime_easter", `{"year": 2024}`, map[string]any{"date": "2024-03-31"}, ""},
		{"datetime_easter", `{"year": 2025}`, map[string]any{"date": "2025-04-20"}, ""},
		{"datetime_easter", `{"year": 2000}`, map[string]any{"date": "2000-04-23"}, ""},
		{"datetime_easter", `{"year": 2024, "tradition": "orthodox"}`, map[string]any{"date": "2024-05-05"}, ""},
		{"datetime_easter", `{"year": 2023, "tradition": "orthodox"}`, map[string]any{"date": "2023-04-16"}, ""},
		{"datetime_add_business_days", `{"date": "2024-11-22", "business_days": 1}`, map[string]any{"date": "2024-11-25", "weekday": "Monday", "calendar_days": 3.0}, ""},
		{"datetime_add_business_days", `{"date": "2024-11-27", "business_days": 2, "holidays": ["2024-11-28"]}`, map[string]any{"date": "2024-12-02"}, ""},
		{"datetime_add_business_days", `{"date": "2024-11-25", "business_days": -1}`, map[string]any{"date": "2024-11-22", "calendar_days": -3.0}, ""},
		{"datetime_add_business_days", `{"date": "2024-11-25", "business_days": 1, "holidays": ["tomorrow"]}`, nil, "holiday"},
		{"datetime_month_calendar", `{"year": 2024, "month": 2}`, map[string]any{"days": 29.0, "first_weekday": "Thursday", "weekdays_monday_to_friday": 21.0,
			"weeks": []any{[]any{0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0}, []any{5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0}, []any{12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0}, []any{19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0}, []any{26.0, 27.0, 28.0, 29.0, 0.0, 0.0, 0.0}}}, ""},
		{"datetime_month_calendar", `{"year": 2024, "month": 9, "week_starts_on": "sunday"}`, map[string]any{"first_weekday": "Sunday", "last_weekday": "Monday",
			"weeks": []any{[]any{1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0}, []any{8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0}, []any{15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0}, []any{22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0}, []any{29.0, 30.0, 0.0, 0.0, 0.0, 0.0, 0.0}}}, ""},
		{"stats_confidence_interval", `{"values": [1, 2, 3]}`, map[string]any{"critical_t": 4.302652729749463, "margin_of_error": 2.4841377117503307, "lower": -0.4841377117503307, "upper": 4.484137711750331}, ""},
		{"datetime_difference", `{"start": "2024-01-01", "end": "2024-03-01"}`, map[string]any{"days": 60.0, "business_days": 44.0, "months": 2.0, "remaining_days": 0.0}, ""},
		{"datetime_add", `{"date": "2024-01-31", "months": 1}`, map[string]any{"date": "2024-03-02"}, ""},
		{"datetime_info", `{"date": "2024-12-30"}`, map[string]any{"weekday": "Monday", "iso_year": 2025.0, "iso_week": 1.0, "leap_year": true, "day_of_year": 365.0}, ""},
		{"datetime_convert_timezone", `{"datetime": "2024-07-01T12:00:00", "from_zone": "America/New_York", "to_zone": "Asia/Tokyo"}`, map[string]any{"result": "2024-07-02T01:00:00", "offset_hours_difference": 13.0}, ""},
		{"datetime_convert_timezone", `{"datetime": "2024-07-01T12:00:00", "from_zone": "Mars/Olympus", "to_zone": "UTC"}`, nil, "unknown time zone"},
		{"clinical_bmi", `{"weight_kg": 70, "height_cm": 175}`, map[string]any{"bmi": 22.857142857142858, "category": "normal weight"}, ""},
		{"clinical_bsa", `{"weight_kg": 70, "height_cm": 175}`, map[string]any{"bsa_m2": 1.8446619684315546}, ""},
		{"clinical_egfr", `{"creatinine_mg_dl": 0.8, "age": 50, "sex": "female"}`, map[string]any{"egfr": 89.70737342385397, "ckd_stage": "G2"}, ""},
		{"clinical_creatinine_clearance", `{"creatinine_mg_dl": 1.0, "age": 60, "weight_kg": 72, "sex": "male"}`, map[string]any{"creatinine_clearance": 80.0}, ""},
		{"clinical_qtc", `{"qt_ms": 400, "heart_rate": 60}`, map[string]any{"bazett": 400.0, "fridericia": 400.0, "framingham": 400.0}, ""},
		{"clinical_mean_arterial_pressure", `{"systolic": 120, "diastolic": 80}`, map[string]any{"map": 93.33333333333333, "pulse_pressure": 40.0}, ""},
		{"clinical_anion_gap", `{"sodium": 140, "chloride": 104, "bicarbonate": 24, "potassium": 4}`, map[string]any{"anion_gap": 12.0, "anion_gap_with_potassium": 16.0}, ""},
		{"clinical_corrected_calcium", `{"calcium_mg_dl": 8.0, "albumin_g_dl": 2.0}`, map[string]any{"corrected_calcium": 9.6}, ""},
		{"clinical_ideal_body_weight", `{"height_cm": 180, "sex": "male"}`, map[string]any{"ideal_body_weight_kg": 74.99212598425197}, ""},
		{"clinical_bmr", `{"weight_kg": 70, "height_cm": 175, "age": 30, "sex": "male"}`, map[string]any{"bmr_kcal_per_day": 1648.75}, ""},
		{"clinical_due_date", `{"last_menstrual_period": "2024-01-01", "on_date": "2024-03-15"}`, map[string]any{"due_date": "2024-10-07", "gestational_age_weeks": 10.0, "gestational_age_days": 4.0}, ""},
		{"clinical_lab_units", `{"analyte": "glucose", "value": 90, "from_unit": "mg/dL"}`, map[string]any{"value": 4.995559502664299, "unit": "mmol/L"}, ""},
		{"clinical_lab_units", `{"analyte": "creatinine", "value": 88.42, "from_unit": "SI"}`, map[string]any{"value": 1.0, "unit": "mg/dL"}, ""},
		{"clinical_weight_based_dose", `{"dose_mg_per_kg": 15, "weight_kg": 20, "max_dose_mg": 250, "concentration_mg_per_ml": 50}`, map[string]any{"dose_mg": 250.0, "capped_at_max": true, "volume_ml": 5.0}, ""},
		{"text_statistics", `{"text": "The cat sat. The dog ran!"}`, map[string]any{"words": 6.0, "sentences": 2.0, "syllables": 6.0, "flesch_reading_ease": 119.19, "flesch_kincaid_grade": -2.62}, ""},
		{"bibliometrics_h_index", `{"citations": [10, 8, 5, 4, 3]}`, map[string]any{"h_index": 4.0, "g_index": 5.0, "i10_index": 1.0, "total_citations": 30.0}, ""},
		{"bibliometrics_format_citation", `{"authors": [{"given": "Jane Q", "family": "Doe"}, {"given": "John", "family": "Smith"}], "title": "A study", "journal": "Nature", "year": 2020, "volume": "580", "issue": "7", "pages": "100-105", "doi": "10.1038/x"}`,
			map[string]any{"apa": "Doe, J. Q., & Smith, J. (2020). A study. Nature, 580(7), 100-105. https://doi.org/10.1038/x"}, ""},
		{"calculator", `{"expression": "2^10 - 24"}`, map[string]any{"result": 1000.0}, ""},
		{"calculator", `{"expression": "1/0"}`, nil, "division by zero"},
	}
	for _, tc := range tests {
		t.Run(tc.tool, func(t *testing.T) {
			tool, err := reg.Resolve(tc.tool)
			if err != nil {
				t.Fatal(err)
			}
			res := reg.Call(context.Background(), tool, json.RawMessage(tc.args))
			if tc.err != "" {
				if res.Err == nil || !strings.Contains(res.Err.Message, tc.err) {
					t.Fatalf("%s(%s) = %+v, want error %q", tc.tool, tc.args, res, tc.err)
				}
				return
			}
			if res.Err != nil {
				t.Fatalf("%s(%s): %v", tc.tool, tc.args, res.Err)
			}
			var out map[string]any
			if err := json.Unmarshal([]byte(res.Output), &out); err != nil {
				t.Fatalf("output is not a JSON object: %s", res.Output)
			}
			for k, want := range tc.want {
				got := out[k]
				if f, ok := want.(float64); ok {
					if g, ok := got.(float64); !ok || math.Abs(g-f) > 1e-9*math.Max(1, math.Abs(f)) {
						t.Errorf("%s: %s = %v, want %v", tc.tool, k, got, want)
					}
					continue
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: %s = %v, want %v", tc.tool, k, got, want)
				}
			}
		})
	}
}

func TestCalculator(t *testing.T) {
	tests := []struct {
		expr string
		want float64
		err  string
	}{
		{expr: "1 + 2 * 3", want: 7},
		{expr: "(1 + 2) * 3", want: 9},
		{expr: "2 ^ 3 ^ 2", want: 512},
		{expr: "2 ** 10", want: 1024},
		{expr: "-2 ^ 2", want: -4},
		{expr: "2 ^ -1", want: 0.5},
		{expr: "7 // 2 + 7 % 2", want: 4},
		{expr: "-7 % 3", want: 2},
		{expr: "1.5e3 + 1_000", want: 2500},
		{expr: "sqrt(16) + abs(-2) + floor(2.7) + ceil(2.1)", want: 11},
		{expr: "log(e) + ln(1) + log10(1000) + log2(8) + log(8, 2)", want: 10},
		{expr: "round(2.675, 2)", want: 2.68},
		{expr: "round(2.5)", want: 2},
		{expr: "max(1, 5, 3) - min(4, 2)", want: 3},
		{expr: "factorial(5)", want: 120},
		{expr: "degrees(pi)", want: 180},
		{expr: "sin(pi / 2) + cos(0)", want: 2},
		{expr: "hypot(3, 4) * 2", want: 10},
		{expr: "10 × 3 ÷ 2 − 1", want: 14},
		{expr: "1000 * (1 + 5/100) ^ 10", want: 1628.894626777442},
		{expr: "1 / 0", err: "division by zero"},
		{expr: "sqrt(-1)", err: "undefined"},
		{expr: "foo(1)", err: "unknown function"},
		{expr: "x + 1", err: "unknown name"},
		{expr: "1 +", err: "ends too early"},
		{expr: "(1 + 2", err: "missing ')'"},
		{expr: "1 2", err: "unexpected"},
		{expr: "1 $ 2", err: "unexpected character"},
		{expr: "max()", err: "arguments"},
		{expr: "10 ^ 400", err: "not a finite number"},
		{expr: strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300), err: "nests too deeply"},
	}
	for _, tc := range tests {
		got, err := evaluate(tc.expr)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("evaluate(%q) = %v, %v; want error %q", tc.expr, got, err, tc.err)
			}
			continue
		}
		if err != nil || math.Abs(got-tc.want) > 1e-9*math.Max(1, math.Abs(tc.want)) {
			t.Errorf("evaluate(%q) = %v, %v; want %v", tc.expr, got, err, tc.want)
		}
	}
}

func FuzzCalculator(f *testing.F) {
	for _, s := range []string{"1+2", "sqrt(2)^2", "((1))", "-1e308*10", "round(1.005, 2)", "max(1,2,3)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		v, err := evaluate(expr)
		if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("evaluate(%q) = %v without error", expr, v)
		}
	})
}

func TestSuperimposeDegenerate(t *testing.T) {
	line := [][3]float64{{0, 0, 0}, {1, 0, 0}, {2, 0, 0}}
	same := [][3]float64{{1, 1, 1}, {1, 1, 1}, {1, 1, 1}}
	for _, pts := range [][][3]float64{line, same} {
		s, err := superimpose(pts, pts)
		if err != nil {
			t.Fatal(err)
		}
		if s.RMS > 1e-9 || math.Abs(s.Rotation.det()-1) > 1e-9 {
			t.Fatalf("degenerate set %v: rms %v, det %v", pts, s.RMS, s.Rotation.det())
		}
	}
	if _, err := superimpose(line, line[:2]); err == nil {
		t.Fatal("sets of different sizes accepted")
	}
}

// BenchmarkBuiltinCall measures one built-in call through the registry:
// schema validation, the inline executor, JSON encoding of the result.
func BenchmarkBuiltinCall(b *testing.B) {
	reg, err := NewRegistry(toolexec.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ tool, args string }{
		{"calculator", `{"expression": "17 * 23"}`},
		{"bio_seq_translate", `{"sequence": "ATGGCCATTGTAATGGGCCGCTGAAAGGGTGCCCGATAG"}`},
	} {
		b.Run(tc.tool, func(b *testing.B) {
			tool, err := reg.Resolve(tc.tool)
			if err != nil {
				b.Fatal(err)
			}
			args := json.RawMessage(tc.args)
			b.ReportAllocs()
			for b.Loop() {
				if res := reg.Call(context.Background(), tool, args); res.Err != nil {
					b.Fatal(res.Err)
				}
			}
		})
	}
}

// FuzzToolArguments sends arbitrary arguments to every built-in tool through
// the registry, as a model's tool call would: schema validation first, then
// the tool. No input may make a tool panic (the registry would turn it into a
// "panic" result; here it is a failure) or return a result that is not JSON.
func FuzzToolArguments(f *testing.F) {
	reg, err := NewRegistry(toolexec.DefaultOptions())
	if err != nil {
		f.Fatal(err)
	}
	tools := reg.Tools()
	sort.Slice(tools, func(i, j int) bool { return tools[i].Manifest.ID < tools[j].Manifest.ID })
	for i, tool := range tools {
		f.Add(uint16(i), []byte(`{}`))
		f.Add(uint16(i), []byte(`{"sequence": "ATGC", "expression": "1+2", "values": [1, 2, 3], "n": 3}`))
		f.Add(uint16(i), []byte(tool.Manifest.Parameters)) // the schema itself: wrong shape, right keys
	}
	f.Add(uint16(0), []byte(`null`))
	f.Add(uint16(1), []byte(`{"a": 1e999}`))
	f.Fuzz(func(t *testing.T, which uint16, args []byte) {
		tool := tools[int(which)%len(tools)]
		if !tool.Executable() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		res := reg.Call(ctx, tool, args)
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("%s took %v on %q", tool.Manifest.Name, took, args)
		}
		if res.Err != nil {
			if res.Err.Kind == toolexec.ErrPanic {
				t.Fatalf("%s panicked on %q: %s", tool.Manifest.Name, args, res.Err.Message)
			}
			return
		}
		if !json.Valid([]byte(res.Content())) {
			t.Fatalf("%s returned non-JSON for %q: %.200s", tool.Manifest.Name, args, res.Content())
		}
	})
}
