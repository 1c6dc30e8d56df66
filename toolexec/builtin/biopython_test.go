package builtin

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
	"sort"
	"testing"
)

// vectors are inputs and Biopython 1.80's outputs, written by
// scripts/gen_biopython_vectors.py.
type vectors struct {
	Biopython string `json:"biopython"`
	Translate []struct {
		Sequence string `json:"sequence"`
		Args     struct {
			Table      int     `json:"table"`
			ToStop     bool    `json:"to_stop"`
			CDS        bool    `json:"cds"`
			StopSymbol *string `json:"stop_symbol"`
			Gap        *string `json:"gap"`
		} `json:"args"`
		Result outcome `json:"result"`
	} `json:"translate"`
	Complement []struct {
		Sequence             string  `json:"sequence"`
		Complement           outcome `json:"complement"`
		ReverseComplement    outcome `json:"reverse_complement"`
		ComplementRNA        outcome `json:"complement_rna"`
		ReverseComplementRNA outcome `json:"reverse_complement_rna"`
		Transcribe           string  `json:"transcribe"`
		BackTranscribe       string  `json:"back_transcribe"`
	} `json:"complement"`
	GCFraction []map[string]any `json:"gc_fraction"`
	Count      []struct {
		Sequence, Subsequence string
		Count                 int `json:"count"`
		CountOverlap          int `json:"count_overlap"`
	} `json:"count"`
	Protein []struct {
		Sequence                   string         `json:"sequence"`
		MolecularWeight            float64        `json:"molecular_weight"`
		MonoisotopicWeight         float64        `json:"monoisotopic_weight"`
		Aromaticity                float64        `json:"aromaticity"`
		InstabilityIndex           float64        `json:"instability_index"`
		Gravy                      float64        `json:"gravy"`
		IsoelectricPoint           float64        `json:"isoelectric_point"`
		ChargeAtPH7                float64        `json:"charge_at_ph7"`
		SecondaryStructureFraction [3]float64     `json:"secondary_structure_fraction"`
		MolarExtinctionCoefficient [2]int         `json:"molar_extinction_coefficient"`
		AminoAcidsCount            map[string]int `json:"amino_acids_count"`
	} `json:"protein"`
	Seq3        []struct{ Sequence, Result string } `json:"seq3"`
	Seq1        []struct{ Sequence, Result string } `json:"seq1"`
	CodonTables []struct {
		ID           int               `json:"id"`
		Name         string            `json:"name"`
		ForwardTable map[string]string `json:"forward_table"`
		StartCodons  []string          `json:"start_codons"`
		StopCodons   []string          `json:"stop_codons"`
	} `json:"codon_tables"`
	Geometry []struct {
		Points   [4]vec3 `json:"points"`
		Angle    float64 `json:"angle"`
		Dihedral float64 `json:"dihedral"`
	} `json:"geometry"`
}

type outcome struct {
	OK    *string `json:"ok"`
	Error string  `json:"error"`
}

func loadVectors(t *testing.T) *vectors {
	t.Helper()
	data, err := os.ReadFile("testdata/biopython_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

func checkOutcome(t *testing.T, what string, got string, err error, want outcome) {
	t.Helper()
	switch {
	case want.OK != nil && err != nil:
		t.Errorf("%s: error %v, Biopython gives %q", what, err, *want.OK)
	case want.OK != nil && got != *want.OK:
		t.Errorf("%s = %q, Biopython gives %q", what, got, *want.OK)
	case want.OK == nil && err == nil:
		t.Errorf("%s = %q, Biopython raises %s", what, got, want.Error)
	}
}

func closeTo(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

func TestTranslateMatchesBiopython(t *testing.T) {
	v := loadVectors(t)
	if len(v.Translate) < 500 {
		t.Fatalf("only %d translate vectors", len(v.Translate))
	}
	for _, c := range v.Translate {
		o := translateOptions{Table: c.Args.Table, StopSymbol: '*', ToStop: c.Args.ToStop, CDS: c.Args.CDS, Gap: '-'}
		if c.Args.StopSymbol != nil {
			o.StopSymbol = (*c.Args.StopSymbol)[0]
		}
		if c.Args.Gap != nil {
			o.Gap = (*c.Args.Gap)[0]
		}
		got, err := translate(c.Sequence, o)
		checkOutcome(t, "translate("+c.Sequence+")", got, err, c.Result)
	}
}

func TestComplementAndTranscriptionMatchBiopython(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.Complement {
		got, err := complement(c.Sequence)
		checkOutcome(t, "complement("+c.Sequence+")", got, err, c.Complement)
		rc, err := complement(c.Sequence)
		checkOutcome(t, "reverse_complement("+c.Sequence+")", reverse(rc), err, c.ReverseComplement)
		got, err = complementRNA(c.Sequence)
		checkOutcome(t, "complement_rna("+c.Sequence+")", got, err, c.ComplementRNA)
		rc, err = complementRNA(c.Sequence)
		checkOutcome(t, "reverse_complement_rna("+c.Sequence+")", reverse(rc), err, c.ReverseComplementRNA)
		if got := transcribe(c.Sequence); got != c.Transcribe {
			t.Errorf("transcribe(%s) = %s, want %s", c.Sequence, got, c.Transcribe)
		}
		if got := backTranscribe(c.Sequence); got != c.BackTranscribe {
			t.Errorf("back_transcribe(%s) = %s, want %s", c.Sequence, got, c.BackTranscribe)
		}
	}
}

func TestGCFractionMatchesBiopython(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.GCFraction {
		seq := c["sequence"].(string)
		for _, mode := range []string{"ignore", "weighted", "remove"} {
			got, err := gcFraction(seq, mode)
			if err != nil {
				t.Fatal(err)
			}
			if want := c[mode].(float64); !closeTo(got, want, 1e-12) {
				t.Errorf("gc_fraction(%q, %s) = %v, want %v", seq, mode, got, want)
			}
		}
	}
	if _, err := gcFraction("ACGT", "bogus"); err == nil {
		t.Error("unknown ambiguous mode accepted")
	}
}

func TestCountMatchesBiopython(t *testing.T) {
	for _, c := range loadVectors(t).Count {
		if got := countSubsequence(c.Sequence, c.Subsequence, false); got != c.Count {
			t.Errorf("count(%s, %s) = %d, want %d", c.Sequence, c.Subsequence, got, c.Count)
		}
		if got := countSubsequence(c.Sequence, c.Subsequence, true); got != c.CountOverlap {
			t.Errorf("count_overlap(%s, %s) = %d, want %d", c.Sequence, c.Subsequence, got, c.CountOverlap)
		}
	}
}

func TestProteinAnalysisMatchesBiopython(t *testing.T) {
	for _, c := range loadVectors(t).Protein {
		p, err := newProteinAnalysis(c.Sequence)
		if err != nil {
			t.Fatal(err)
		}
		checks := []struct {
			name      string
			got, want float64
		}{
			{"molecular_weight", p.molecularWeight(false), c.MolecularWeight},
			{"monoisotopic_weight", p.molecularWeight(true), c.MonoisotopicWeight},
			{"aromaticity", p.aromaticity(), c.Aromaticity},
			{"instability_index", p.instabilityIndex(), c.InstabilityIndex},
			{"gravy", p.gravy(), c.Gravy},
			{"isoelectric_point", p.isoelectricPoint(), c.IsoelectricPoint},
			{"charge_at_ph7", p.chargeAtPH(7), c.ChargeAtPH7},
		}
		ss := p.secondaryStructureFraction()
		for i, name := range []string{"helix", "turn", "sheet"} {
			checks = append(checks, struct {
				name      string
				got, want float64
			}{name, ss[i], c.SecondaryStructureFraction[i]})
		}
		for _, k := range checks {
			if !closeTo(k.got, k.want, 1e-9) {
				t.Errorf("%s(%s) = %v, Biopython gives %v", k.name, c.Sequence, k.got, k.want)
			}
		}
		if got := p.molarExtinctionCoefficient(); got != c.MolarExtinctionCoefficient {
			t.Errorf("extinction(%s) = %v, want %v", c.Sequence, got, c.MolarExtinctionCoefficient)
		}
		for aa, n := range c.AminoAcidsCount {
			if p.counts[aa[0]] != n {
				t.Errorf("count %s in %s = %d, want %d", aa, c.Sequence, p.counts[aa[0]], n)
			}
		}
	}
}

func TestSeq1Seq3MatchBiopython(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.Seq3 {
		if got := seq3(c.Sequence, "Xaa"); got != c.Result {
			t.Errorf("seq3(%s) = %s, want %s", c.Sequence, got, c.Result)
		}
	}
	for _, c := range v.Seq1 {
		if got := seq1(c.Sequence, 'X'); got != c.Result {
			t.Errorf("seq1(%s) = %s, want %s", c.Sequence, got, c.Result)
		}
	}
}

func TestCodonTablesMatchBiopython(t *testing.T) {
	v := loadVectors(t)
	if len(v.CodonTables) != len(ncbiGeneticCodes) {
		t.Fatalf("%d tables, Biopython has %d", len(ncbiGeneticCodes), len(v.CodonTables))
	}
	for _, c := range v.CodonTables {
		g, err := geneticCodeByID(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		view := g.view(true, false)
		if view.Name != c.Name || !reflect.DeepEqual(view.ForwardTable, c.ForwardTable) {
			t.Errorf("table %d differs from Biopython", c.ID)
		}
		for _, pair := range [][2][]string{{view.StartCodons, c.StartCodons}, {view.StopCodons, c.StopCodons}} {
			a, b := append([]string(nil), pair[0]...), append([]string(nil), pair[1]...)
			sort.Strings(a)
			sort.Strings(b)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("table %d codons %v, want %v", c.ID, a, b)
			}
		}
	}
}

func TestGeometryMatchesBiopython(t *testing.T) {
	for _, c := range loadVectors(t).Geometry {
		p := c.Points
		if got := calcAngle(p[0], p[1], p[2]); !closeTo(got, c.Angle, 1e-9) {
			t.Errorf("calc_angle%v = %v, want %v", p, got, c.Angle)
		}
		if got := calcDihedral(p[0], p[1], p[2], p[3]); !closeTo(got, c.Dihedral, 1e-9) {
			t.Errorf("calc_dihedral%v = %v, want %v", p, got, c.Dihedral)
		}
	}
}

// moreVectors are the vectors of the search, composition and structure tools.
type moreVectors struct {
	Find []struct {
		Sequence, Subsequence string
		Start                 int   `json:"start"`
		End                   *int  `json:"end"`
		First                 int   `json:"first"`
		All                   []int `json:"all"`
	} `json:"find"`
	GC123 []struct {
		Sequence string `json:"sequence"`
		Result   struct {
			OK    []float64 `json:"ok"`
			Error string    `json:"error"`
		} `json:"result"`
	} `json:"gc123"`
	GCSkew []struct {
		Sequence string    `json:"sequence"`
		Window   int       `json:"window"`
		Result   []float64 `json:"result"`
	} `json:"gc_skew"`
	SixFrame []struct {
		Sequence string            `json:"sequence"`
		Table    int               `json:"table"`
		Frames   map[string]string `json:"frames"`
	} `json:"six_frame"`
	NTSearch []struct {
		Sequence, Subsequence string
		Result                []any `json:"result"`
	} `json:"nt_search"`
	Residues []struct {
		Residue           string `json:"residue"`
		IsAA              bool   `json:"is_aa"`
		IsAAStandard      bool   `json:"is_aa_standard"`
		IsNucleic         bool   `json:"is_nucleic"`
		IsNucleicStandard bool   `json:"is_nucleic_standard"`
	} `json:"residues"`
	Locations []struct {
		Sequence  string     `json:"sequence"`
		Parts     []location `json:"parts"`
		Extracted string     `json:"extracted"`
	} `json:"locations"`
}

func loadMoreVectors(t *testing.T) *moreVectors {
	t.Helper()
	data, err := os.ReadFile("testdata/biopython_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v moreVectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Find) == 0 || len(v.Locations) == 0 {
		t.Fatal("vectors are missing; regenerate with scripts/gen_biopython_vectors.py")
	}
	return &v
}

func TestSearchMatchesBiopython(t *testing.T) {
	v := loadMoreVectors(t)
	for _, c := range v.Find {
		end := len(c.Sequence)
		if c.End != nil {
			end = *c.End
		}
		first, all := findAll(c.Sequence, c.Subsequence, c.Start, end)
		if first != c.First || !reflect.DeepEqual(all, append([]int{}, c.All...)) {
			t.Errorf("find(%s, %s, %d, %d) = %d %v, want %d %v", c.Sequence, c.Subsequence, c.Start, end, first, all, c.First, c.All)
		}
	}
	for _, c := range v.NTSearch {
		pattern, positions, err := ntSearch(c.Sequence, c.Subsequence)
		if err != nil {
			t.Fatal(err)
		}
		got := []any{pattern}
		for _, p := range positions {
			got = append(got, float64(p))
		}
		if !reflect.DeepEqual(got, c.Result) {
			t.Errorf("nt_search(%s, %s) = %v, want %v", c.Sequence, c.Subsequence, got, c.Result)
		}
	}
}

func TestCompositionMatchesBiopython(t *testing.T) {
	v := loadMoreVectors(t)
	for _, c := range v.GC123 {
		got, err := gc123(c.Sequence)
		if c.Result.Error != "" {
			if err == nil {
				t.Errorf("GC123(%s) = %v, Biopython raises %s", c.Sequence, got, c.Result.Error)
			}
			continue
		}
		for i := range got {
			if err != nil || !closeTo(got[i], c.Result.OK[i], 1e-12) {
				t.Errorf("GC123(%s) = %v %v, want %v", c.Sequence, got, err, c.Result.OK)
				break
			}
		}
	}
	for _, c := range v.GCSkew {
		got := gcSkew(c.Sequence, c.Window)
		if len(got) != len(c.Result) {
			t.Fatalf("GC_skew(%s, %d): %d windows, want %d", c.Sequence, c.Window, len(got), len(c.Result))
		}
		for i := range got {
			if !closeTo(got[i], c.Result[i], 1e-12) {
				t.Errorf("GC_skew window %d = %v, want %v", i, got[i], c.Result[i])
			}
		}
	}
	for _, c := range v.SixFrame {
		frames, err := sixFrames(c.Sequence, c.Table)
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range c.Frames {
			key := k
			if k[0] != '-' {
				key = "+" + k
			}
			if frames[key] != want {
				t.Errorf("six_frame(%s, %d)[%s] = %s, want %s", c.Sequence, c.Table, key, frames[key], want)
			}
		}
	}
}

func TestStructureMatchesBiopython(t *testing.T) {
	v := loadMoreVectors(t)
	for _, c := range v.Residues {
		if isAA(c.Residue, false) != c.IsAA || isAA(c.Residue, true) != c.IsAAStandard ||
			isNucleic(c.Residue, false) != c.IsNucleic || isNucleic(c.Residue, true) != c.IsNucleicStandard {
			t.Errorf("residue %s differs from Biopython: %+v", c.Residue, c)
		}
	}
	for _, c := range v.Locations {
		var got string
		for _, p := range c.Parts {
			s, err := p.extract(c.Sequence)
			if err != nil {
				t.Fatal(err)
			}
			got += s
		}
		if got != c.Extracted {
			t.Errorf("extract %v = %s, want %s", c.Parts, got, c.Extracted)
		}
	}
}

func TestMotifsMatchBiopython(t *testing.T) {
	data, err := os.ReadFile("testdata/biopython_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Motifs []struct {
			Instances []string `json:"instances"`
			Alphabet  string   `json:"alphabet"`
			Result    struct {
				OK *struct {
					Counts              map[string][]int     `json:"counts"`
					Consensus           string               `json:"consensus"`
					Anticonsensus       string               `json:"anticonsensus"`
					DegenerateConsensus string               `json:"degenerate_consensus"`
					PWM                 map[string][]float64 `json:"pwm"`
				} `json:"ok"`
				Error string `json:"error"`
			} `json:"result"`
		} `json:"motifs"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Motifs) < 10 {
		t.Fatal("motif vectors missing")
	}
	for _, c := range v.Motifs {
		m, err := newMotif(c.Instances, c.Alphabet)
		want := c.Result.OK
		if want == nil {
			if err == nil {
				t.Errorf("motif %v accepted; Biopython raises %s", c.Instances, c.Result.Error)
			}
			continue
		}
		if err != nil {
			t.Fatalf("motif %v: %v", c.Instances, err)
		}
		for l, col := range want.Counts {
			if !reflect.DeepEqual(m.counts[l[0]], col) {
				t.Errorf("motif %v counts[%s] = %v, want %v", c.Instances, l, m.counts[l[0]], col)
			}
		}
		if got := m.extreme(false); got != want.Consensus {
			t.Errorf("consensus %v = %s, want %s", c.Instances, got, want.Consensus)
		}
		if got := m.extreme(true); got != want.Anticonsensus {
			t.Errorf("anticonsensus %v = %s, want %s", c.Instances, got, want.Anticonsensus)
		}
		if want.DegenerateConsensus != "" {
			if got := m.degenerateConsensus(); got != want.DegenerateConsensus {
				t.Errorf("degenerate consensus %v = %s, want %s", c.Instances, got, want.DegenerateConsensus)
			}
		}
		pwm := m.pwm()
		for l, row := range want.PWM {
			for i := range row {
				if !closeTo(pwm[l][i], row[i], 1e-12) {
					t.Errorf("pwm %v [%s][%d] = %v, want %v", c.Instances, l, i, pwm[l][i], row[i])
				}
			}
		}
	}
}

func TestRestrictionMatchesBiopython(t *testing.T) {
	data, err := os.ReadFile("testdata/biopython_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Restriction []struct {
			Enzyme   string `json:"enzyme"`
			Sequence string `json:"sequence"`
			Search   []int  `json:"search"`
			Catalyse struct {
				OK    []string `json:"ok"`
				Error string   `json:"error"`
			} `json:"catalyse"`
		} `json:"restriction"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Restriction) < 100 {
		t.Fatalf("only %d restriction vectors", len(v.Restriction))
	}
	for _, c := range v.Restriction {
		e, err := lookupEnzyme(c.Enzyme)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.search(c.Sequence); !reflect.DeepEqual(got, append([]int{}, c.Search...)) {
			t.Errorf("%s (%s %s %s).search(%s) = %v, Biopython %v", c.Enzyme, e.Cuts, e.Overhang, e.Definition, c.Sequence, got, c.Search)
		}
		frags, _, err := e.catalyse(c.Sequence)
		if c.Catalyse.Error != "" {
			if err == nil {
				t.Errorf("%s.catalyse succeeded; Biopython raises %s", c.Enzyme, c.Catalyse.Error)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(frags, c.Catalyse.OK) {
			t.Errorf("%s.catalyse(%s) = %v %v, Biopython %v", c.Enzyme, c.Sequence, frags, err, c.Catalyse.OK)
		}
	}
	if len(rebaseEnzymes) < 1000 {
		t.Fatalf("%d enzymes in the REBASE table", len(rebaseEnzymes))
	}
}

func TestPairwise2MatchesBiopython(t *testing.T) {
	data, err := os.ReadFile("testdata/biopython_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Pairwise2 []struct {
			A, B            string
			Mode            string    `json:"mode"`
			Params          []float64 `json:"params"`
			PenalizeEndGaps bool      `json:"penalize_end_gaps"`
			Score           float64   `json:"score"`
			Alignments      [][]any   `json:"alignments"`
			First           [][]any   `json:"first"`
		} `json:"pairwise2"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Pairwise2) < 200 {
		t.Fatalf("only %d pairwise2 vectors", len(v.Pairwise2))
	}
	asLists := func(as []alignment) [][]any {
		out := [][]any{}
		for _, a := range as {
			out = append(out, []any{a.SeqA, a.SeqB, a.Score, float64(a.Start), float64(a.End)})
		}
		return out
	}
	for _, c := range v.Pairwise2 {
		p := alignParams{Match: c.Params[0], Mismatch: c.Params[1], GapOpen: c.Params[2], GapExt: c.Params[3],
			PenalizeEndGaps: c.PenalizeEndGaps, Global: c.Mode == "global", GapChar: '-'}
		score, all := pairwiseAlign(c.A, c.B, p)
		if !closeTo(score, c.Score, 1e-9) {
			t.Errorf("%s %s/%s %v: score %v, Biopython %v", c.Mode, c.A, c.B, c.Params, score, c.Score)
		}
		want := c.Alignments
		if want == nil {
			want = [][]any{}
		}
		if got := asLists(all); !reflect.DeepEqual(got, want) {
			t.Errorf("%s %s/%s %v end-gaps=%v:\n got %v\nwant %v", c.Mode, c.A, c.B, c.Params, c.PenalizeEndGaps, got, want)
			continue
		}
		p.OneAlignmentOnly = true
		_, first := pairwiseAlign(c.A, c.B, p)
		wantFirst := c.First
		if wantFirst == nil {
			wantFirst = [][]any{}
		}
		if got := asLists(first); !reflect.DeepEqual(got, wantFirst) {
			t.Errorf("%s %s/%s %v one_alignment_only: got %v, want %v", c.Mode, c.A, c.B, c.Params, got, wantFirst)
		}
	}
}

func TestSuperimposeMatchesBiopython(t *testing.T) {
	data, err := os.ReadFile("testdata/biopython_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Superimpose []struct {
			Reference   [][3]float64 `json:"reference"`
			Coords      [][3]float64 `json:"coords"`
			RMS         float64      `json:"rms"`
			InitRMS     float64      `json:"init_rms"`
			Rotation    mat3         `json:"rotation"`
			Translation [3]float64   `json:"translation"`
			Transformed [][3]float64 `json:"transformed"`
		} `json:"superimpose"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Superimpose) < 5 {
		t.Fatal("superimpose vectors missing")
	}
	for n, c := range v.Superimpose {
		got, err := superimpose(c.Reference, c.Coords)
		if err != nil {
			t.Fatal(err)
		}
		if !closeTo(got.RMS, c.RMS, 1e-8) || !closeTo(got.InitialRMS, c.InitRMS, 1e-8) {
			t.Errorf("case %d: rms %v/%v, Biopython %v/%v", n, got.RMS, got.InitialRMS, c.RMS, c.InitRMS)
		}
		for i := 0; i < 3; i++ {
			for j := 0; j < 3; j++ {
				if math.Abs(got.Rotation[i][j]-c.Rotation[i][j]) > 1e-7 {
					t.Errorf("case %d: rotation %v, Biopython %v", n, got.Rotation, c.Rotation)
				}
			}
			if math.Abs(got.Translation[i]-c.Translation[i]) > 1e-6 {
				t.Errorf("case %d: translation %v, Biopython %v", n, got.Translation, c.Translation)
			}
		}
		for i := range c.Transformed {
			for k := 0; k < 3; k++ {
				if math.Abs(got.Transformed[i][k]-c.Transformed[i][k]) > 1e-6 {
					t.Fatalf("case %d: transformed %v, Biopython %v", n, got.Transformed[i], c.Transformed[i])
				}
			}
		}
	}
}

func TestClusterMatchesBiopython(t *testing.T) {
	data, err := os.ReadFile("testdata/biopython_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Cluster []struct {
			Data      [][]float64             `json:"data"`
			Dist      string                  `json:"dist"`
			Transpose bool                    `json:"transpose"`
			Matrix    [][]float64             `json:"matrix"`
			Trees     map[string][][3]float64 `json:"trees"`
		} `json:"cluster"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Cluster) < 100 {
		t.Fatalf("only %d cluster vectors", len(v.Cluster))
	}
	for n, c := range v.Cluster {
		elems, err := clusterElements(c.Data, c.Transpose)
		if err != nil {
			t.Fatal(err)
		}
		metric, err := metricFor(c.Dist)
		if err != nil {
			t.Fatal(err)
		}
		dm := distanceMatrix(elems, metric)
		for i := range c.Matrix {
			for j := range c.Matrix[i] {
				if !closeTo(dm[i][j], c.Matrix[i][j], 1e-12) {
					t.Errorf("case %d (%s, transpose=%v): d[%d][%d] = %v, Biopython %v", n, c.Dist, c.Transpose, i, j, dm[i][j], c.Matrix[i][j])
				}
			}
		}
		for method, want := range c.Trees {
			tree, err := treeCluster(elems, method, metric)
			if err != nil {
				t.Fatal(err)
			}
			if len(tree) != len(want) {
				t.Fatalf("case %d method %s: %d nodes, want %d", n, method, len(tree), len(want))
			}
			for i, node := range tree {
				w := want[i]
				if node.Left != int(w[0]) || node.Right != int(w[1]) || !closeTo(node.Distance, w[2], 1e-12) {
					t.Errorf("case %d (%s %s, transpose=%v) %v: node %d = %+v, Biopython %v", n, method, c.Dist, c.Transpose, c.Data, i, node, w)
					break
				}
			}
		}
	}
}

// TestPCAMatchesBiopython compares with Bio.Cluster.pca: column means and
// eigenvalues exactly; each component with a non-zero eigenvalue, and the
// coordinates on it, up to its sign (which neither side defines).
func TestPCAMatchesBiopython(t *testing.T) {
	data, err := os.ReadFile("testdata/biopython_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		PCA []struct {
			Data        [][]float64 `json:"data"`
			ColumnMean  []float64   `json:"column_mean"`
			Coordinates [][]float64 `json:"coordinates"`
			Components  [][]float64 `json:"components"`
			Eigenvalues []float64   `json:"eigenvalues"`
		} `json:"pca"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.PCA) < 5 {
		t.Fatal("pca vectors missing")
	}
	for n, c := range v.PCA {
		got, err := pca(c.Data)
		if err != nil {
			t.Fatal(err)
		}
		for k := range c.ColumnMean {
			if !closeTo(got.ColumnMean[k], c.ColumnMean[k], 1e-12) {
				t.Errorf("case %d: mean %v, Biopython %v", n, got.ColumnMean, c.ColumnMean)
			}
		}
		if len(got.Eigenvalues) != len(c.Eigenvalues) {
			t.Fatalf("case %d: %d components, Biopython %d", n, len(got.Eigenvalues), len(c.Eigenvalues))
		}
		for comp, ev := range c.Eigenvalues {
			if math.Abs(got.Eigenvalues[comp]-ev) > 1e-7*math.Max(1, ev) {
				t.Errorf("case %d: eigenvalues %v, Biopython %v", n, got.Eigenvalues, c.Eigenvalues)
				break
			}
			if ev < 1e-6 || (comp+1 < len(c.Eigenvalues) && math.Abs(c.Eigenvalues[comp+1]-ev) < 1e-6) {
				continue // a zero or repeated eigenvalue: the component is not unique
			}
			sign := 1.0
			if got.Components[comp][0]*c.Components[comp][0] < 0 || (math.Abs(c.Components[comp][0]) < 1e-9 && len(c.Components[comp]) > 1 && got.Components[comp][1]*c.Components[comp][1] < 0) {
				sign = -1
			}
			for k := range c.Components[comp] {
				if math.Abs(sign*got.Components[comp][k]-c.Components[comp][k]) > 1e-6 {
					t.Errorf("case %d: component %d = %v, Biopython %v", n, comp, got.Components[comp], c.Components[comp])
					break
				}
			}
			for i := range c.Coordinates {
				if math.Abs(sign*got.Coordinates[i][comp]-c.Coordinates[i][comp]) > 1e-6 {
					t.Errorf("case %d: coordinate [%d][%d] = %v, Biopython %v", n, i, comp, got.Coordinates[i][comp], c.Coordinates[i][comp])
					break
				}
			}
		}
	}
}
