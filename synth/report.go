package synth

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
)

// Bar is one bar of a plot.
type Bar struct {
	Label string
	Value int
}

// Plot is a titled bar chart.
type Plot struct {
	ID, Title, Caption string
	Bars               []Bar
}

// Report is the diversity report of a task set: the measures the DIVE paper
// argues for (tool-pool coverage, toolset variety, tool-call patterns).
type Report struct {
	Title         string
	Tasks         int
	Domains       int
	DistinctTools int // tools called in some trace
	Patterns      int // distinct sequences of tool groups
	MeanToolset   float64
	MeanChain     float64
	Plots         []Plot
}

// evidenceOf reads a task's recorded tool calls (offline generator traces,
// or any list of objects with a "tool" field).
func evidenceOf(t *tasks.Task) []string {
	var ev []struct {
		Tool string `json:"tool"`
	}
	if len(t.Evidence) == 0 || json.Unmarshal(t.Evidence, &ev) != nil {
		return nil
	}
	var out []string
	for _, e := range ev {
		if e.Tool != "" {
			out = append(out, e.Tool)
		}
	}
	return out
}

// group is the domain.group part of a tool id (the id itself when it has no dots).
func group(id string) string {
	parts := strings.Split(id, ".")
	if len(parts) >= 3 {
		return parts[0] + "." + parts[1]
	}
	return id
}

var (
	intRe     = regexp.MustCompile(`^[-+]?\d[\d,]*$`)
	decimalRe = regexp.MustCompile(`^[-+]?\d[\d,]*\.\d+$`)
)

// AnswerType classifies a ground truth: integer, decimal, percentage, date,
// yes/no, multi-part, identifier or text.
func AnswerType(gt string) string {
	s := strings.TrimSpace(gt)
	switch {
	case intRe.MatchString(s):
		return "integer"
	case decimalRe.MatchString(s):
		return "decimal"
	case strings.HasSuffix(s, "%"):
		return "percentage"
	case len(reward.ParseDates(s)) > 0:
		return "date"
	}
	if f := strings.Fields(reward.Normalize(s)); len(f) == 1 && (f[0] == "yes" || f[0] == "no") {
		return "yes/no"
	}
	if strings.ContainsAny(s, ";\n|") {
		return "multi-part"
	}
	if !strings.Contains(s, " ") && strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' }) >= 0 {
		return "identifier"
	}
	return "text"
}

func sortedBars(counts map[string]int, limit int) []Bar {
	bars := make([]Bar, 0, len(counts))
	for k, v := range counts {
		bars = append(bars, Bar{k, v})
	}
	sort.Slice(bars, func(i, j int) bool {
		if bars[i].Value != bars[j].Value {
			return bars[i].Value > bars[j].Value
		}
		return bars[i].Label < bars[j].Label
	})
	if limit > 0 && len(bars) > limit {
		bars = bars[:limit]
	}
	return bars
}

// NewReport measures a task set.
func NewReport(title string, ts []tasks.Task) Report {
	r := Report{Title: title, Tasks: len(ts)}
	domains, tools, toolDomains, patterns, sizes, chains, answers := map[string]int{}, map[string]int{}, map[string]int{},
		map[string]int{}, map[int]int{}, map[int]int{}, map[string]int{}
	totalTools, totalCalls := 0, 0
	for i := range ts {
		t := &ts[i]
		d := t.Domain
		if d == "" {
			d = "(none)"
		}
		domains[d]++
		sizes[len(t.Tools)]++
		totalTools += len(t.Tools)
		ev := evidenceOf(t)
		chains[len(ev)]++
		totalCalls += len(ev)
		var pattern []string
		for _, id := range ev {
			tools[id]++
			toolDomains[strings.SplitN(id, ".", 2)[0]]++
			g := group(id)
			if len(pattern) == 0 || pattern[len(pattern)-1] != g {
				pattern = append(pattern, g)
			}
		}
		if len(pattern) > 0 {
			patterns[strings.Join(pattern, " → ")]++
		}
		answers[AnswerType(t.GroundTruth)]++
	}
	r.Domains, r.DistinctTools, r.Patterns = len(domains), len(tools), len(patterns)
	if len(ts) > 0 {
		r.MeanToolset, r.MeanChain = float64(totalTools)/float64(len(ts)), float64(totalCalls)/float64(len(ts))
	}
	hist := func(m map[int]int, bucket int) []Bar {
		keys := make([]int, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		counts := map[int]int{}
		var order []int
		for _, k := range keys {
			b := k / bucket * bucket
			if _, ok := counts[b]; !ok {
				order = append(order, b)
			}
			counts[b] += m[k]
		}
		var bars []Bar
		for _, b := range order {
			label := strconv.Itoa(b)
			if bucket > 1 {
				label = fmt.Sprintf("%d–%d", b, b+bucket-1)
			}
			bars = append(bars, Bar{label, counts[b]})
		}
		return bars
	}
	r.Plots = []Plot{
		{"domains", "Tasks per domain", "", sortedBars(domains, 0)},
		{"tool-domains", "Tool calls per tool domain", "Calls in the recorded traces, by the domain of the tool called.", sortedBars(toolDomains, 0)},
		{"tools", "Tool-call frequency per tool (top 30)", fmt.Sprintf("%d distinct tools are called in the traces.", len(tools)), sortedBars(tools, 30)},
		{"toolset-sizes", "Toolset size distribution", fmt.Sprintf("Tools offered per task (mean %.1f).", r.MeanToolset), hist(sizes, 5)},
		{"patterns", "Distinct tool-call patterns (top 20)", fmt.Sprintf("%d distinct sequences of tool groups: the topology of retrieval and processing chains.", len(patterns)), sortedBars(patterns, 20)},
		{"chains", "Tool calls per task (chain length)", fmt.Sprintf("Mean %.2f calls per task.", r.MeanChain), hist(chains, 1)},
		{"answers", "Answer types", "Ground truths by the form of their answer.", sortedBars(answers, 0)},
	}
	return r
}

// svgBars draws a horizontal bar chart.
func svgBars(p Plot) template.HTML {
	const labelW, barW, rowH = 330, 420, 18
	maxV := 1
	for _, b := range p.Bars {
		maxV = max(maxV, b.Value)
	}
	var sb strings.Builder
	h := rowH*len(p.Bars) + 10
	fmt.Fprintf(&sb, `<svg class="plot" data-plot="%s" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		template.HTMLEscapeString(p.ID), labelW+barW+70, h, labelW+barW+70, h, template.HTMLEscapeString(p.Title))
	for i, b := range p.Bars {
		y := 5 + i*rowH
		w := max(1, b.Value*barW/maxV)
		label := b.Label
		if r := []rune(label); len(r) > 52 {
			label = string(r[:51]) + "…"
		}
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" class="label"><title>%s</title>%s</text>`, labelW-6, y+13,
			template.HTMLEscapeString(b.Label), template.HTMLEscapeString(label))
		fmt.Fprintf(&sb, `<rect class="bar" x="%d" y="%d" width="%d" height="%d" data-value="%d"></rect>`, labelW, y+2, w, rowH-4, b.Value)
		fmt.Fprintf(&sb, `<text x="%d" y="%d" class="value">%d</text>`, labelW+w+4, y+13, b.Value)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{"bars": svgBars}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 900px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
table.summary td { padding: 2px 12px 2px 0; }
svg .bar { fill: #3b6ea8; } svg text { font-size: 12px; fill: #222; } svg .value { fill: #555; }
.caption { color: #555; margin: 0.2em 0 0.6em; }
</style></head><body>
<h1>{{.Title}}</h1>
<table class="summary">
<tr><td>tasks</td><td id="n-tasks">{{.Tasks}}</td></tr>
<tr><td>domains</td><td>{{.Domains}}</td></tr>
<tr><td>distinct tools called</td><td>{{.DistinctTools}}</td></tr>
<tr><td>distinct tool-call patterns</td><td>{{.Patterns}}</td></tr>
<tr><td>mean toolset size</td><td>{{printf "%.1f" .MeanToolset}}</td></tr>
<tr><td>mean tool calls per task</td><td>{{printf "%.2f" .MeanChain}}</td></tr>
</table>
{{range .Plots}}<section id="{{.ID}}"><h2>{{.Title}}</h2>{{if .Caption}}<p class="caption">{{.Caption}}</p>{{end}}{{bars .}}</section>
{{end}}<p class="caption">Made by dive report. Self-contained: no scripts, no external resources.</p>
</body></html>
`))

// WriteHTML renders the report as one self-contained HTML page.
func (r Report) WriteHTML(w io.Writer) error {
	if err := reportTemplate.Execute(w, r); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return nil
}
