// Package journals serves the journal metadata in the Citation Style
// Language styles Debian ships (citation-style-language-styles, CC BY-SA
// 3.0): about 10,000 styles, most of them one journal each, with print and
// electronic ISSNs, fields, citation format, the publisher style they
// derive from and the author-guidelines URL.
package journals

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultDir is where Debian installs the styles.
const DefaultDir = "/usr/share/citation-style-language/styles"

// Journal is the <info> of one style.
type Journal struct {
	StyleID        string   `json:"style_id"`
	Title          string   `json:"title"`
	ShortTitle     string   `json:"short_title,omitempty"`
	ISSN           string   `json:"issn,omitempty"`
	EISSN          string   `json:"eissn,omitempty"`
	Fields         []string `json:"fields,omitempty"`
	CitationFormat string   `json:"citation_format,omitempty"`
	ParentStyle    string   `json:"parent_style,omitempty"` // the style a dependent style uses
	TemplateStyle  string   `json:"template_style,omitempty"`
	Documentation  string   `json:"documentation,omitempty"` // usually the author guidelines
	Updated        string   `json:"updated,omitempty"`
	Dependent      bool     `json:"dependent"`
}

type info struct {
	Title      string `xml:"info>title"`
	TitleShort string `xml:"info>title-short"`
	ID         string `xml:"info>id"`
	ISSN       string `xml:"info>issn"`
	EISSN      string `xml:"info>eissn"`
	Updated    string `xml:"info>updated"`
	Links      []struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr"`
	} `xml:"info>link"`
	Categories []struct {
		Field  string `xml:"field,attr"`
		Format string `xml:"citation-format,attr"`
	} `xml:"info>category"`
}

const styleURL = "http://www.zotero.org/styles/"

// readInfo parses a style's <info>, reading no further than its end.
func readInfo(path string) (info, error) {
	f, err := os.Open(path)
	if err != nil {
		return info{}, err
	}
	defer f.Close()
	var head bytes.Buffer
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		head.Write(sc.Bytes())
		head.WriteByte('\n')
		if bytes.Contains(sc.Bytes(), []byte("</info>")) {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return info{}, err
	}
	head.WriteString("</style>")
	var in info
	if err := xml.Unmarshal(head.Bytes(), &in); err != nil {
		return info{}, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return in, nil
}

// Catalogue is every style's journal metadata.
type Catalogue struct {
	Journals []Journal
	byISSN   map[string][]int
}

// Open reads every style in dir (and its dependent/ folder).
func Open(dir string) (*Catalogue, error) {
	c := &Catalogue{byISSN: map[string][]int{}}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".csl") {
			return nil
		}
		in, err := readInfo(path)
		if err != nil {
			return err
		}
		j := Journal{StyleID: strings.TrimPrefix(in.ID, styleURL), Title: strings.TrimSpace(in.Title), ShortTitle: strings.TrimSpace(in.TitleShort),
			ISSN: strings.TrimSpace(in.ISSN), EISSN: strings.TrimSpace(in.EISSN), Updated: in.Updated,
			Dependent: filepath.Base(filepath.Dir(path)) == "dependent"}
		for _, l := range in.Links {
			switch l.Rel {
			case "independent-parent":
				j.ParentStyle = strings.TrimPrefix(l.Href, styleURL)
			case "template":
				j.TemplateStyle = strings.TrimPrefix(l.Href, styleURL)
			case "documentation":
				if j.Documentation == "" {
					j.Documentation = l.Href
				}
			}
		}
		for _, cat := range in.Categories {
			if cat.Field != "" {
				j.Fields = append(j.Fields, cat.Field)
			}
			if cat.Format != "" {
				j.CitationFormat = cat.Format
			}
		}
		c.Journals = append(c.Journals, j)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read citation styles: %w", err)
	}
	sort.Slice(c.Journals, func(a, b int) bool { return c.Journals[a].StyleID < c.Journals[b].StyleID })
	// A dependent style takes its format from its parent.
	byID := map[string]int{}
	for i, j := range c.Journals {
		byID[j.StyleID] = i
	}
	for i, j := range c.Journals {
		if j.CitationFormat == "" && j.ParentStyle != "" {
			if p, ok := byID[j.ParentStyle]; ok {
				c.Journals[i].CitationFormat = c.Journals[p].CitationFormat
			}
		}
		for _, issn := range []string{j.ISSN, j.EISSN} {
			if issn != "" {
				k := normISSN(issn)
				c.byISSN[k] = append(c.byISSN[k], i)
			}
		}
	}
	return c, nil
}

// normISSN is an ISSN without its hyphen, upper-cased.
func normISSN(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", ""))
}
