// Package wordnet serves WordNet 3.0 (Debian package wordnet-base) as tools:
// definitions, semantic relations, and BM25 search over the glosses. It
// reads the database files in place: index files are binary-searched,
// synsets are read at their byte offsets, and the search index is built on
// the first search.
package wordnet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// DefaultDir is where Debian installs the database.
const DefaultDir = "/usr/share/wordnet"

var posNames = map[string]string{"n": "noun", "v": "verb", "a": "adj", "r": "adv"}

// DB is an open WordNet database. It is safe for concurrent use.
type DB struct {
	dir   string
	index map[string][]byte // pos → index file contents (sorted lines)
	data  map[string]*os.File
	exc   map[string]map[string][]string // pos → inflected form → base forms

	searchOnce sync.Once
	search     *bm25
	searchErr  error
}

// Open opens the database in dir.
func Open(dir string) (*DB, error) {
	db := &DB{dir: dir, index: map[string][]byte{}, data: map[string]*os.File{}, exc: map[string]map[string][]string{}}
	for pos, name := range posNames {
		idx, err := os.ReadFile(filepath.Join(dir, "index."+name))
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("wordnet: %w", err)
		}
		db.index[pos] = idx
		f, err := os.Open(filepath.Join(dir, "data."+name))
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("wordnet: %w", err)
		}
		db.data[pos] = f
		db.exc[pos] = map[string][]string{}
		if exc, err := os.ReadFile(filepath.Join(dir, name+".exc")); err == nil {
			for _, line := range strings.Split(string(exc), "\n") {
				f := strings.Fields(line)
				if len(f) >= 2 {
					db.exc[pos][f[0]] = append(db.exc[pos][f[0]], f[1:]...)
				}
			}
		}
	}
	return db, nil
}

// Close closes the data files.
func (db *DB) Close() {
	for _, f := range db.data {
		f.Close()
	}
}

// Synset is one WordNet sense: its words, gloss and pointers.
type Synset struct {
	Offset   int64     `json:"offset"`
	POS      string    `json:"pos"`
	Lemmas   []string  `json:"lemmas"`
	Gloss    string    `json:"gloss"`
	pointers []pointer // symbol, target
}

type pointer struct {
	symbol string
	offset int64
	pos    string
}

// normalize turns a query word into WordNet's form: lower case, spaces as underscores.
func normalize(word string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(word)), " ", "_")
}

// lookup finds the index line of a lemma by binary search.
func (db *DB) lookup(pos, lemma string) []string {
	data := db.index[pos]
	lo, hi := 0, len(data)
	key := []byte(lemma + " ")
	for lo < hi {
		mid := (lo + hi) / 2
		start := bytes.LastIndexByte(data[:mid], '\n') + 1
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data) - start
		}
		line := data[start : start+end]
		switch {
		case len(line) > 0 && line[0] == ' ': // licence header lines sort first
			lo = start + end + 1
		case bytes.HasPrefix(line, key):
			return strings.Fields(string(line))
		case bytes.Compare(line, key) < 0:
			lo = start + end + 1
		default:
			hi = start
		}
	}
	return nil
}

// baseForms are the candidate lemmas of a word: itself, exceptions, and
// WordNet's detachment rules (morphy).
func (db *DB) baseForms(pos, word string) []string {
	out := []string{word}
	out = append(out, db.exc[pos][word]...)
	rules := map[string][][2]string{
		"n": {{"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"}, {"men", "man"}, {"ies", "y"}},
		"v": {{"s", ""}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"}, {"ing", ""}},
		"a": {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}},
	}
	for _, r := range rules[pos] {
		if strings.HasSuffix(word, r[0]) && len(word) > len(r[0]) {
			out = append(out, strings.TrimSuffix(word, r[0])+r[1])
		}
	}
	return out
}

// Senses returns the synsets of a word, most frequent sense first, for one
// part of speech or all.
func (db *DB) Senses(word, pos string) ([]*Synset, error) {
	word = normalize(word)
	var out []*Synset
	for _, p := range []string{"n", "v", "a", "r"} {
		if pos != "" && pos != p {
			continue
		}
		seen := map[string]bool{}
		for _, base := range db.baseForms(p, word) {
			if seen[base] {
				continue
			}
			seen[base] = true
			f := db.lookup(p, base)
			if len(f) < 4 {
				continue
			}
			synsetCnt, err1 := strconv.Atoi(f[2])
			pCnt, err2 := strconv.Atoi(f[3])
			if err1 != nil || err2 != nil || len(f) < 4+pCnt+2+synsetCnt {
				return nil, fmt.Errorf("wordnet: bad index line for %q", base)
			}
			for _, off := range f[4+pCnt+2 : 4+pCnt+2+synsetCnt] {
				o, err := strconv.ParseInt(off, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("wordnet: bad offset %q", off)
				}
				s, err := db.Synset(p, o)
				if err != nil {
					return nil, err
				}
				out = append(out, s)
			}
			break // the first base form that is a lemma
		}
	}
	return out, nil
}

// Synset reads the synset at a byte offset of a data file.
func (db *DB) Synset(pos string, offset int64) (*Synset, error) {
	f := db.data[pos]
	if pos == "s" {
		f = db.data["a"]
	}
	if f == nil {
		return nil, fmt.Errorf("wordnet: unknown part of speech %q", pos)
	}
	buf := make([]byte, 0, 512)
	chunk := make([]byte, 4096)
	for at := offset; ; at += int64(len(chunk)) {
		n, err := f.ReadAt(chunk, at)
		if i := bytes.IndexByte(chunk[:n], '\n'); i >= 0 {
			buf = append(buf, chunk[:i]...)
			break
		}
		buf = append(buf, chunk[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("wordnet: %w", err)
		}
	}
	return parseSynset(string(buf))
}

func parseSynset(line string) (*Synset, error) {
	head, gloss, _ := strings.Cut(line, " | ")
	f := strings.Fields(head)
	if len(f) < 4 {
		return nil, errors.New("wordnet: bad synset line")
	}
	off, _ := strconv.ParseInt(f[0], 10, 64)
	s := &Synset{Offset: off, POS: f[2], Gloss: strings.TrimSpace(gloss)}
	if s.POS == "s" {
		s.POS = "a"
	}
	wcnt, err := strconv.ParseInt(f[3], 16, 32)
	if err != nil || len(f) < 4+2*int(wcnt)+1 {
		return nil, errors.New("wordnet: bad word count")
	}
	i := 4
	for w := 0; w < int(wcnt); w++ {
		lemma := f[i]
		if p := strings.IndexByte(lemma, '('); p > 0 { // adjective markers such as (a)
			lemma = lemma[:p]
		}
		s.Lemmas = append(s.Lemmas, strings.ReplaceAll(lemma, "_", " "))
		i += 2
	}
	pcnt, err := strconv.Atoi(f[i])
	if err != nil || len(f) < i+1+4*pcnt {
		return nil, errors.New("wordnet: bad pointer count")
	}
	i++
	for k := 0; k < pcnt; k++ {
		o, _ := strconv.ParseInt(f[i+1], 10, 64)
		p := f[i+2]
		if p == "s" {
			p = "a"
		}
		s.pointers = append(s.pointers, pointer{symbol: f[i], offset: o, pos: p})
		i += 4
	}
	return s, nil
}

// relationSymbols maps relation names to WordNet pointer symbols.
var relationSymbols = map[string][]string{
	"hypernym": {"@", "@i"}, "hyponym": {"~", "~i"}, "antonym": {"!"},
	"meronym": {"%m", "%s", "%p"}, "holonym": {"#m", "#s", "#p"}, "similar": {"&"},
	"also": {"^"}, "derivation": {"+"}, "entailment": {"*"}, "cause": {">"},
}

// Related returns, for each sense of the word, the synsets linked by a relation.
func (db *DB) Related(word, pos, relation string) ([]map[string]any, error) {
	symbols, ok := relationSymbols[relation]
	if !ok {
		return nil, fmt.Errorf("unknown relation %q", relation)
	}
	senses, err := db.Senses(word, pos)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, s := range senses {
		var related []*Synset
		for _, p := range s.pointers {
			for _, sym := range symbols {
				if p.symbol == sym {
					r, err := db.Synset(p.pos, p.offset)
					if err != nil {
						return nil, err
					}
					related = append(related, r)
				}
			}
		}
		if len(related) > 0 {
			out = append(out, map[string]any{"sense": s, "related": related})
		}
	}
	return out, nil
}

// bm25 is an in-memory BM25 index over synset glosses and lemmas.
type bm25 struct {
	docs     []docRef
	lengths  []int
	avgLen   float64
	postings map[string][]posting
}

type docRef struct {
	pos    string
	offset int64
}

type posting struct {
	doc int32
	tf  int32
}

func tokenize(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func (db *DB) buildSearch() (*bm25, error) {
	ix := &bm25{postings: map[string][]posting{}}
	total := 0
	for _, p := range []string{"n", "v", "a", "r"} {
		f, err := os.Open(filepath.Join(db.dir, "data."+posNames[p]))
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var off int64
		for sc.Scan() {
			line := sc.Text()
			lineOff := off
			off += int64(len(line)) + 1
			if strings.HasPrefix(line, "  ") {
				continue
			}
			s, err := parseSynset(line)
			if err != nil {
				continue
			}
			doc := int32(len(ix.docs))
			ix.docs = append(ix.docs, docRef{pos: p, offset: lineOff})
			tf := map[string]int32{}
			toks := tokenize(strings.Join(s.Lemmas, " ") + " " + s.Gloss)
			for _, t := range toks {
				tf[t]++
			}
			for t, n := range tf {
				ix.postings[t] = append(ix.postings[t], posting{doc, n})
			}
			ix.lengths = append(ix.lengths, len(toks))
			total += len(toks)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	ix.avgLen = float64(total) / float64(len(ix.docs))
	return ix, nil
}

// Search ranks synsets by BM25 (k1 = 1.2, b = 0.75) over lemmas and glosses.
func (db *DB) Search(query string, k int) ([]map[string]any, error) {
	db.searchOnce.Do(func() { db.search, db.searchErr = db.buildSearch() })
	if db.searchErr != nil {
		return nil, db.searchErr
	}
	ix := db.search
	scores := map[int32]float64{}
	n := float64(len(ix.docs))
	for _, t := range tokenize(query) {
		ps := ix.postings[t]
		if len(ps) == 0 {
			continue
		}
		idf := math.Log(1 + (n-float64(len(ps))+0.5)/(float64(len(ps))+0.5))
		for _, p := range ps {
			tf := float64(p.tf)
			norm := tf * 2.2 / (tf + 1.2*(1-0.75+0.75*float64(ix.lengths[p.doc])/ix.avgLen))
			scores[p.doc] += idf * norm
		}
	}
	type hit struct {
		doc   int32
		score float64
	}
	hits := make([]hit, 0, len(scores))
	for d, s := range scores {
		hits = append(hits, hit{d, s})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].score != hits[j].score {
			return hits[i].score > hits[j].score
		}
		return hits[i].doc < hits[j].doc
	})
	var out []map[string]any
	for _, h := range hits[:min(k, len(hits))] {
		ref := ix.docs[h.doc]
		s, err := db.Synset(ref.pos, ref.offset)
		if err != nil {
			return nil, err
		}
		out = append(out, map[string]any{"score": math.Round(h.score*1000) / 1000, "synset": s})
	}
	return out, nil
}
