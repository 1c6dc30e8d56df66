// Package dictionary serves a dictd-format dictionary — the GNU Collaborative
// International Dictionary of English (Debian package dict-gcide: Webster's
// 1913 and later additions, 203,645 index lines) — as tools: definitions of a
// word and headwords by prefix. The index is read at first use; the gzip'd
// text is decompressed into memory then.
package dictionary

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dive-env/dive/toolexec"
)

// DefaultDir is where Debian installs dictd dictionaries.
const DefaultDir = "/usr/share/dictd"

const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// decodeNumber reads dictd's base-64 numbers (most significant digit first).
func decodeNumber(s string) (int, error) {
	n := 0
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(b64, s[i])
		if d < 0 {
			return 0, fmt.Errorf("bad dictd number %q", s)
		}
		n = n*64 + d
	}
	return n, nil
}

type entry struct {
	headword    string
	offset, len int
}

// Dict is an open dictionary. It is safe for concurrent use.
type Dict struct {
	entries map[string][]entry // lower-cased headword → entries
	words   []string           // sorted lower-cased headwords, for prefixes
	text    []byte
}

// Open reads NAME.index and NAME.dict.dz from dir.
func Open(dir, name string) (*Dict, error) {
	idx, err := os.Open(filepath.Join(dir, name+".index"))
	if err != nil {
		return nil, fmt.Errorf("dictionary: %w", err)
	}
	defer idx.Close()
	d := &Dict{entries: map[string][]entry{}}
	sc := bufio.NewScanner(idx)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 || strings.HasPrefix(f[0], "00-database") {
			continue
		}
		off, err1 := decodeNumber(f[1])
		n, err2 := decodeNumber(f[2])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("dictionary index: bad line %q", sc.Text())
		}
		key := strings.ToLower(f[0])
		if _, seen := d.entries[key]; !seen {
			d.words = append(d.words, key)
		}
		d.entries[key] = append(d.entries[key], entry{f[0], off, n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dictionary index: %w", err)
	}
	sort.Strings(d.words)
	dz, err := os.Open(filepath.Join(dir, name+".dict.dz"))
	if err != nil {
		return nil, fmt.Errorf("dictionary: %w", err)
	}
	defer dz.Close()
	zr, err := gzip.NewReader(dz)
	if err != nil {
		return nil, fmt.Errorf("dictionary text: %w", err)
	}
	if d.text, err = io.ReadAll(io.LimitReader(zr, 512<<20)); err != nil {
		return nil, fmt.Errorf("dictionary text: %w", err)
	}
	return d, nil
}

// Define returns the distinct articles that mention word as a headword.
func (d *Dict) Define(word string, max int) []string {
	var out []string
	seen := map[[2]int]bool{}
	for _, e := range d.entries[strings.ToLower(strings.TrimSpace(word))] {
		k := [2]int{e.offset, e.len}
		if seen[k] || e.offset+e.len > len(d.text) {
			continue
		}
		seen[k] = true
		out = append(out, strings.TrimSpace(string(d.text[e.offset:e.offset+e.len])))
		if len(out) == max {
			break
		}
	}
	return out
}

// Prefix returns up to max headwords starting with prefix, alphabetically.
func (d *Dict) Prefix(prefix string, max int) []string {
	p := strings.ToLower(prefix)
	i := sort.SearchStrings(d.words, p)
	var out []string
	for ; i < len(d.words) && strings.HasPrefix(d.words[i], p) && len(out) < max; i++ {
		out = append(out, d.entries[d.words[i]][0].headword)
	}
	return out
}

// Register adds the GCIDE tools, opening the dictionary on first use;
// without it they are listed with the reason.
func Register(r *toolexec.Registry, dir string) error {
	ms := []toolexec.Manifest{
		{ID: "general.dictionary.dictionary_define", Name: "dictionary_define", Domain: "general", Source: "gcide", Version: "1.0.0", Executor: "builtin",
			Description: "Dictionary articles for an English word from GCIDE (Webster's Revised Unabridged 1913 with later additions): pronunciation, part of speech, senses, etymology.",
			Auth:        map[string]any{"type": "none"}, Module: "dictd:gcide",
			Parameters: json.RawMessage(`{"type": "object", "required": ["word"], "additionalProperties": false, "properties": {
				"word": {"type": "string", "minLength": 1, "maxLength": 100}, "max_entries": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5}}}`)},
		{ID: "general.dictionary.dictionary_prefix", Name: "dictionary_prefix", Domain: "general", Source: "gcide", Version: "1.0.0", Executor: "builtin",
			Description: "Headwords of GCIDE that start with a prefix, alphabetically (for spelling and word finding).",
			Auth:        map[string]any{"type": "none"}, Module: "dictd:gcide",
			Parameters: json.RawMessage(`{"type": "object", "required": ["prefix"], "additionalProperties": false, "properties": {
				"prefix": {"type": "string", "minLength": 1, "maxLength": 100}, "limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}}`)},
	}
	unavailable := ""
	if _, err := os.Stat(filepath.Join(dir, "gcide.index")); err != nil {
		unavailable = "needs GCIDE (apt-get install dict-gcide; scripts/setup-data installs it)"
	}
	return toolexec.RegisterGroup(r, ms, unavailable, func() (*Dict, error) { return Open(dir, "gcide") }, call)
}

func call(_ context.Context, d *Dict, tool string, raw json.RawMessage) (any, error) {
	var a struct {
		Word   string `json:"word"`
		Max    *int   `json:"max_entries"`
		Prefix string `json:"prefix"`
		Limit  *int   `json:"limit"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	if tool == "dictionary_prefix" {
		limit := 50
		if a.Limit != nil {
			limit = *a.Limit
		}
		return map[string]any{"prefix": a.Prefix, "headwords": d.Prefix(a.Prefix, limit)}, nil
	}
	max := 5
	if a.Max != nil {
		max = *a.Max
	}
	articles := d.Define(a.Word, max)
	if len(articles) == 0 {
		return nil, fmt.Errorf("%q is not a headword of GCIDE", a.Word)
	}
	return map[string]any{"word": a.Word, "articles": articles}, nil
}
