// Package docweb is an offline web: documentation sites that Debian ships as
// HTML (the Python 3.11 documentation from python3.11-doc, SQLite's from
// sqlite3-doc) read in place under their public URLs, with a BM25 inverted
// index over their sections. It serves the reference's general search,
// parallel_search and browse tools without a network: search ranks
// sections of the mirrored pages, browse opens a page by its URL and ranks
// its passages against the question.
package docweb

import (
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Section is a heading and the text under it, up to the next heading.
type Section struct {
	Heading string `json:"heading"`
	Anchor  string `json:"anchor,omitempty"` // the id a #fragment names
	Text    string `json:"text"`
}

// Link is a hyperlink of a page, resolved to an absolute URL.
type Link struct {
	Text string `json:"text"`
	URL  string `json:"url"`
}

// Page is the readable content of one HTML page.
type Page struct {
	URL      string
	Title    string
	Sections []Section
	Links    []Link
}

// chrome are class names of navigation and decoration the text leaves out:
// Sphinx's sidebars, relation bars and footers, SQLite's menus and search box.
var chrome = []string{"sphinxsidebar", "related", "footer", "nosearch", "menu", "headerlink", "mobile-nav", "searchbox"}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func skipped(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Nav, atom.Noscript, atom.Template:
		return true
	}
	if attr(n, "role") == "navigation" {
		return true
	}
	for _, c := range strings.Fields(attr(n, "class")) {
		for _, x := range chrome {
			if c == x {
				return true
			}
		}
	}
	return false
}

// block elements end a line of text.
func block(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Li, atom.Tr, atom.Br, atom.Pre, atom.Dt, atom.Dd, atom.Table, atom.Ul, atom.Ol,
		atom.Blockquote, atom.Section, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Dl, atom.Td, atom.Th:
		return true
	}
	return false
}

func heading(a atom.Atom) bool {
	switch a {
	case atom.H1, atom.H2, atom.H3, atom.H4:
		return true
	}
	return false
}

// textOf is the visible text of a node, with chrome left out.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && skipped(n) {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return tidy(b.String())
}

// tidy collapses white space within lines and drops empty lines and the
// pilcrows of Sphinx's heading links.
func tidy(s string) string {
	s = strings.ReplaceAll(s, "¶", "")
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// Parse reads an HTML page served at pageURL.
func Parse(r io.Reader, pageURL string) (*Page, error) {
	doc, err := html.Parse(r)
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, err
	}
	p := &Page{URL: pageURL}
	cur := &Section{}
	var text strings.Builder
	anchor := ""
	flush := func() {
		cur.Text = tidy(text.String())
		if cur.Text != "" || cur.Heading != "" {
			p.Sections = append(p.Sections, *cur)
		}
		text.Reset()
	}
	seenLinks := map[string]bool{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.DataAtom == atom.Title && p.Title == "" {
				p.Title = tidy(textOf(n))
				return
			}
			if n.DataAtom == atom.Head {
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.DataAtom == atom.Title && p.Title == "" {
						p.Title = tidy(textOf(c))
					}
				}
				return
			}
			if skipped(n) {
				return
			}
			if id := attr(n, "id"); id != "" && (n.DataAtom == atom.Section || n.DataAtom == atom.Span) {
				anchor = id
			}
			if name := attr(n, "name"); name != "" && n.DataAtom == atom.A {
				anchor = name
			}
			if heading(n.DataAtom) {
				flush()
				a := attr(n, "id")
				if a == "" {
					a = anchor
				}
				cur = &Section{Heading: textOf(n), Anchor: a}
				return
			}
			if n.DataAtom == atom.A {
				if href := attr(n, "href"); href != "" && !strings.HasPrefix(href, "javascript:") && !strings.HasPrefix(href, "mailto:") && !strings.HasPrefix(href, "#") {
					if u, err := base.Parse(href); err == nil && !seenLinks[u.String()] {
						if t := textOf(n); t != "" {
							seenLinks[u.String()] = true
							p.Links = append(p.Links, Link{Text: t, URL: u.String()})
						}
					}
				}
			}
			if block(n.DataAtom) {
				text.WriteString("\n")
			}
		}
		if n.Type == html.TextNode {
			text.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && block(n.DataAtom) {
			text.WriteString("\n")
		}
	}
	walk(doc)
	flush()
	// Sphinx appends " — Python 3.11.2 documentation" to every title.
	if i := strings.LastIndex(p.Title, " — "); i > 0 && strings.HasSuffix(p.Title, " documentation") {
		p.Title = p.Title[:i]
	}
	if p.Title == "" && len(p.Sections) > 0 {
		p.Title = p.Sections[0].Heading
	}
	return p, nil
}
