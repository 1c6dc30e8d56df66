package synth

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestAnswerType(t *testing.T) {
	for gt, want := range map[string]string{"57": "integer", "1,048,576": "integer", "48.78": "decimal", "-0.5": "decimal", "12.5%": "percentage",
		"2023-12-31": "date", "November 1854": "date", "Yes": "yes/no", "57; 43": "multi-part", "978-0-13-110362-7": "identifier",
		"MAIVMGR": "text", "Nuku'alofa": "text", "1478-9698": "identifier"} {
		if got := AnswerType(gt); got != want {
			t.Errorf("AnswerType(%q) = %s, want %s", gt, got, want)
		}
	}
}

// The report of a generated set has every plot, each with its bars, and no
// script or external resource.
func TestReport(t *testing.T) {
	ts, _, err := Generate(context.Background(), pool(t), Options{Count: 300, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	r := NewReport("test <report>", ts)
	if r.Tasks != 300 || r.Domains != 5 || r.DistinctTools < 10 || r.Patterns < 10 || r.MeanChain < 1 {
		t.Fatalf("report %+v", r)
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, "<script") || strings.Contains(page, "http://") || strings.Contains(page, "https://") || !strings.Contains(page, "test &lt;report&gt;") {
		t.Fatal("the report is not self-contained or not escaped")
	}
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	bars := map[string]int{}
	total := map[string]int{}
	var walk func(n *html.Node, plot string)
	walk = func(n *html.Node, plot string) {
		if n.Type == html.ElementNode && n.Data == "svg" {
			for _, a := range n.Attr {
				if a.Key == "data-plot" {
					plot = a.Val
					bars[plot] = 0
				}
			}
		}
		if n.Type == html.ElementNode && n.Data == "rect" && plot != "" {
			for _, a := range n.Attr {
				if a.Key == "data-value" {
					v, _ := strconv.Atoi(a.Val)
					total[plot] += v
				}
			}
			bars[plot]++
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, plot)
		}
	}
	walk(doc, "")
	for _, p := range []string{"domains", "tool-domains", "tools", "toolset-sizes", "patterns", "chains", "answers"} {
		if bars[p] == 0 {
			t.Errorf("plot %s has no bars", p)
		}
	}
	for _, p := range []string{"domains", "toolset-sizes", "chains", "answers"} {
		if total[p] != 300 {
			t.Errorf("plot %s counts %d tasks, want 300", p, total[p])
		}
	}
	if bars["domains"] != 5 {
		t.Errorf("%d domain bars", bars["domains"])
	}
}
