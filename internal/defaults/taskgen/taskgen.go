// Package taskgen generates the embedded default task set by executing the
// built-in tools: every ground truth is computed from real tool results, and
// the calls that produced it are kept as the task's evidence. It stands in
// for the synthesis pipeline until that lands, and is deterministic.
package taskgen

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// Seed is the generator's fixed seed.
const Seed = 2603

// PerTemplate is how many tasks each template makes.
const PerTemplate = 5

// Evidence is one recorded tool call that a ground truth is entailed by.
type Evidence struct {
	Tool      string          `json:"tool"`
	Arguments json.RawMessage `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

type generator struct {
	ctx  context.Context
	reg  *toolexec.Registry
	rng  *rand.Rand
	pool []string // ids of all executable tools, sorted
}

// draft is a task under construction.
type draft struct {
	question string
	answer   string
	domain   string
	seed     string
	core     []string // tool ids the answer needs
	evidence []Evidence
}

// call runs a tool for real and records the call as evidence.
func (g *generator) call(d *draft, id string, args map[string]any) (map[string]any, error) {
	tool, ok := g.reg.Get(id)
	if !ok {
		return nil, fmt.Errorf("no tool %s", id)
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	res := g.reg.Call(g.ctx, tool, raw)
	if res.Err != nil {
		return nil, fmt.Errorf("%s(%s): %v", id, raw, res.Err)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(res.Output), &out); err != nil {
		return nil, fmt.Errorf("%s output: %w", id, err)
	}
	d.evidence = append(d.evidence, Evidence{Tool: id, Arguments: raw, Output: json.RawMessage(res.Output)})
	if !contains(d.core, id) {
		d.core = append(d.core, id)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func fixed(v float64, decimals int) string { return strconv.FormatFloat(v, 'f', decimals, 64) }

func (g *generator) dna(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteByte("ACGT"[g.rng.IntN(4)])
	}
	return b.String()
}

// orf returns ATG, codons codons that are not stops, a stop codon and a tail.
func (g *generator) orf(codons int) string {
	var b strings.Builder
	b.WriteString("ATG")
	for i := 0; i < codons; i++ {
		for {
			c := g.dna(3)
			if c != "TAA" && c != "TAG" && c != "TGA" {
				b.WriteString(c)
				break
			}
		}
	}
	b.WriteString([]string{"TAA", "TAG", "TGA"}[g.rng.IntN(3)])
	b.WriteString(g.dna(g.rng.IntN(7)))
	return b.String()
}

func (g *generator) protein(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteByte("ACDEFGHIKLMNPQRSTVWY"[g.rng.IntN(20)])
	}
	return b.String()
}

const (
	toolGC        = "biological.bio_sequtils.bio_sequtils_gc_content"
	toolTranslate = "biological.bio_seq.bio_seq_translate"
	toolRevComp   = "biological.bio_seq.bio_seq_reverse_complement"
	toolProtParam = "biological.protparam.protparam_molecular_weight"
	toolPI        = "biological.protparam.protparam_isoelectric_point"
	toolAromatic  = "biological.protparam.protparam_aromaticity"
	toolCount     = "biological.bio_seq.bio_seq_count"
	toolCodonByID = "biological.codon_table.codon_table_by_id"
	toolDihedral  = "biological.pdb.pdb_calc_dihedral"
	toolCalc      = "general.math.calculator"
	toolAnalysis  = "biological.protparam.protparam_analysis"
	toolTranscr   = "biological.bio_seq.bio_seq_transcribe"
)

var aminoAcidNames = map[string]string{
	"A": "alanine", "R": "arginine", "N": "asparagine", "D": "aspartate", "C": "cysteine", "Q": "glutamine",
	"E": "glutamate", "G": "glycine", "H": "histidine", "I": "isoleucine", "L": "leucine", "K": "lysine",
	"M": "methionine", "F": "phenylalanine", "P": "proline", "S": "serine", "T": "threonine", "W": "tryptophan",
	"Y": "tyrosine", "V": "valine",
}

type template func(g *generator, d *draft) error

var templates = []struct {
	name string
	make template
}{
	{"gc_content", func(g *generator, d *draft) error {
		seq := g.dna(24 + g.rng.IntN(40))
		out, err := g.call(d, toolGC, map[string]any{"sequence": seq})
		if err != nil {
			return err
		}
		d.question = fmt.Sprintf("What is the GC content of the DNA sequence %s? Give it as a percentage rounded to two decimal places.", seq)
		d.answer, d.domain, d.seed = fixed(out["gc_percent"].(float64), 2), "biological", "GC content"
		return nil
	}},
	{"translate", func(g *generator, d *draft) error {
		seq := g.orf(6 + g.rng.IntN(10))
		out, err := g.call(d, toolTranslate, map[string]any{"sequence": seq, "to_stop": true})
		if err != nil {
			return err
		}
		d.question = fmt.Sprintf("Translate the DNA sequence %s with the standard genetic code, stopping at the first stop codon. What is the resulting protein sequence in one-letter codes?", seq)
		d.answer, d.domain, d.seed = out["protein"].(string), "biological", "genetic code"
		return nil
	}},
	{"reverse_complement", func(g *generator, d *draft) error {
		seq := g.dna(15 + g.rng.IntN(20))
		out, err := g.call(d, toolRevComp, map[string]any{"sequence": seq})
		if err != nil {
			return err
		}
		d.question = fmt.Sprintf("What is the reverse complement of the DNA sequence %s?", seq)
		d.answer, d.domain, d.seed = out["result"].(string), "biological", "DNA replication"
		return nil
	}},
	{"molecular_weight", func(g *generator, d *draft) error {
		p := g.protein(8 + g.rng.IntN(30))
		out, err := g.call(d, toolProtParam, map[string]any{"sequence": p})
		if err != nil {
			return err
		}
		d.question = fmt.Sprintf("What is the average molecular weight of the protein %s in daltons, rounded to two decimal places?", p)
		d.answer, d.domain, d.seed = fixed(out["molecular_weight"].(float64), 2), "biological", "amino acid sequence"
		return nil
	}},
	{"isoelectric_point", func(g *generator, d *draft) error {
		p := g.protein(6 + g.rng.IntN(30))
		out, err := g.call(d, toolPI, map[string]any{"sequence": p})
		if err != nil {
			return err
		}
		d.question = fmt.Sprintf("Estimate the isoelectric point (pI) of the peptide %s with the Bjellqvist method. Round to two decimal places.", p)
		d.answer, d.domain, d.seed = fixed(out["isoelectric_point"].(float64), 2), "biological", "protein structure"
		return nil
	}},
	{"translate_then_weight", func(g *generator, d *draft) error {
		seq := g.orf(5 + g.rng.IntN(8))
		tr, err := g.call(d, toolTranslate, map[string]any{"sequence": seq, "to_stop": true})
		if err != nil {
			return err
		}
		mw, err := g.call(d, toolProtParam, map[string]any{"sequence": tr["protein"].(string)})
		if err != nil {
			return err
		}
		d.question = fmt.Sprintf("A gene fragment reads %s. Translate it with the standard genetic code up to the first stop codon, then give the average molecular weight of that protein in daltons, rounded to one decimal place.", seq)
		d.answer, d.domain, d.seed = fixed(mw["molecular_weight"].(float64), 1), "biological", "protein synthesis"
		return nil
	}},
	{"motif_count", func(g *generator, d *draft) error {
		motif := g.dna(2 + g.rng.IntN(2))
		seq := g.dna(40 + g.rng.IntN(30))
		seq = seq[:10] + motif + motif[:1] + motif + seq[10:]
		out, err := g.call(d, toolCount, map[string]any{"sequence": seq, "subsequence": motif, "overlap": true})
		if err != nil {
			return err
		}
		d.question = fmt.Sprintf("How many times does the motif %s occur in the sequence %s, counting overlapping occurrences?", motif, seq)
		d.answer, d.domain, d.seed = fmt.Sprint(int(out["count"].(float64))), "biological", "DNA sequencing"
		return nil
	}},
	{"codon_count", func(g *generator, d *draft) error {
		ids := []int{1, 2, 3, 4, 5, 6, 9, 11, 12, 13, 14, 21}
		id := ids[g.rng.IntN(len(ids))]
		aas := []string{"L", "S", "R", "I", "M", "W", "T", "G", "A", "K"}
		aa := aas[g.rng.IntN(len(aas))]
		out, err := g.call(d, toolCodonByID, map[string]any{"table_id": id, "include_forward_table": false, "include_back_table": true})
		if err != nil {
			return err
		}
		back := out["back_table"].(map[string]any)
		codons, _ := back[aa].([]any)
		d.question = fmt.Sprintf("In NCBI genetic code table %d (%s), how many codons encode %s?", id, out["name"], aminoAcidNames[aa])
		d.answer, d.domain, d.seed = fmt.Sprint(len(codons)), "biological", "genetic code"
		return nil
	}},
	{"compound_interest", func(g *generator, d *draft) error {
		principal := 1000 * (1 + g.rng.IntN(50))
		rate := 1 + float64(g.rng.IntN(80))/10
		years := 2 + g.rng.IntN(20)
		expr := fmt.Sprintf("%d * (1 + %s/100) ^ %d", principal, strconv.FormatFloat(rate, 'f', -1, 64), years)
		out, err := g.call(d, toolCalc, map[string]any{"expression": expr})
		if err != nil {
			return err
		}
		d.question = fmt.Sprintf("An investment of $%d earns %s%% interest per year, compounded annually. What is it worth after %d years? Give the amount in dollars rounded to the cent.", principal, strconv.FormatFloat(rate, 'f', -1, 64), years)
		d.answer, d.domain, d.seed = fixed(out["result"].(float64), 2), "financial", "compound interest"
		return nil
	}},
	{"revcomp_then_translate", func(g *generator, d *draft) error {
		orf := g.orf(5 + g.rng.IntN(8))
		rc, err := g.call(d, toolRevComp, map[string]any{"sequence": orf})
		if err != nil {
			return err
		}
		minus := rc["result"].(string)
		rc2, err := g.call(d, toolRevComp, map[string]any{"sequence": minus})
		if err != nil {
			return err
		}
		tr, err := g.call(d, toolTranslate, map[string]any{"sequence": rc2["result"].(string), "to_stop": true})
		if err != nil {
			return err
		}
		d.question = fmt.Sprintf("The minus strand of a short gene reads %s (5' to 3'). Take its reverse complement to get the coding strand, and translate that with the standard genetic code up to the first stop codon. What protein sequence results?", minus)
		d.evidence = d.evidence[1:] // the question gives the minus strand; the solver starts from it
		d.answer, d.domain, d.seed = tr["protein"].(string), "biological", "gene expression"
		return nil
	}},
	{"aromaticity", func(g *generator, d *draft) error {
		p := g.protein(10 + g.rng.IntN(30))
		out, err := g.call(d, toolAromatic, map[string]any{"sequence": p})
		if err != nil {
			return err
		}
		d.question = fmt.Sprintf("What is the aromaticity (relative frequency of F, W and Y) of the protein %s? Round to four decimal places.", p)
		d.answer, d.domain, d.seed = fixed(out["aromaticity"].(float64), 4), "biological", "amino acid sequence"
		return nil
	}},
	{"dihedral", func(g *generator, d *draft) error {
		var pts [4][3]float64
		for i := range pts {
			for j := range pts[i] {
				pts[i][j] = math.Round((g.rng.Float64()*8-4)*100) / 100
			}
		}
		out, err := g.call(d, toolDihedral, map[string]any{"v1": pts[0], "v2": pts[1], "v3": pts[2], "v4": pts[3]})
		if err != nil {
			return err
		}
		var coords []string
		for i, p := range pts {
			coords = append(coords, fmt.Sprintf("atom %d at (%g, %g, %g)", i+1, p[0], p[1], p[2]))
		}
		d.question = fmt.Sprintf("Four atoms lie at these positions in ångström: %s. What is the dihedral angle 1-2-3-4 in degrees, rounded to one decimal place?", strings.Join(coords, ", "))
		d.answer, d.domain, d.seed = fixed(out["dihedral_degrees"].(float64), 1), "biological", "protein structure"
		return nil
	}},
}

// Generate builds the default task set by running the tools of reg.
func Generate(ctx context.Context, reg *toolexec.Registry) ([]tasks.Task, error) {
	g := &generator{ctx: ctx, reg: reg, rng: rand.New(rand.NewPCG(Seed, Seed))}
	for _, t := range reg.Tools() {
		if t.Executable() {
			g.pool = append(g.pool, t.Manifest.ID)
		}
	}
	sort.Strings(g.pool)
	var out []tasks.Task
	for _, tmpl := range templates {
		for i := 0; i < PerTemplate; i++ {
			d := &draft{}
			if err := tmpl.make(g, d); err != nil {
				return nil, fmt.Errorf("template %s: %w", tmpl.name, err)
			}
			evidence, err := json.Marshal(d.evidence)
			if err != nil {
				return nil, err
			}
			seed, _ := json.Marshal(d.seed)
			out = append(out, tasks.Task{
				ID: fmt.Sprintf("dive-default-%s-%d", tmpl.name, i+1), Question: d.question, GroundTruth: d.answer,
				Tools: g.toolset(d.core), Domain: d.domain, Seed: seed, Evidence: evidence,
				Metadata: map[string]any{"template": tmpl.name, "generator": "internal/defaults/taskgen"},
			})
		}
	}
	if err := tasks.AssignSplits(out, []tasks.SplitFraction{{Name: "train", Fraction: 0.8}, {Name: "test", Fraction: 0.2}}, Seed); err != nil {
		return nil, err
	}
	return out, nil
}

// toolset adds distractor tools to the ones a task needs: 4 to 9 tools in all,
// in a shuffled order, so the model must choose.
func (g *generator) toolset(core []string) []string {
	size := 4 + g.rng.IntN(6)
	set := append([]string(nil), core...)
	for len(set) < size && len(set) < len(g.pool) {
		cand := g.pool[g.rng.IntN(len(g.pool))]
		if !contains(set, cand) {
			set = append(set, cand)
		}
	}
	g.rng.Shuffle(len(set), func(i, j int) { set[i], set[j] = set[j], set[i] })
	return set
}

// WriteJSONL renders tasks as JSONL.
func WriteJSONL(ts []tasks.Task) ([]byte, error) {
	var b strings.Builder
	for _, t := range ts {
		line, err := json.Marshal(t)
		if err != nil {
			return nil, fmt.Errorf("encode task %s: %w", t.ID, err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil
}
