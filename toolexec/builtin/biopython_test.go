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
