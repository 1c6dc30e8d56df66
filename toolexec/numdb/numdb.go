// Package numdb serves the number registries that Debian's python3-stdnum
// ships as prefix databases: ISBN registration groups and publisher ranges
// (International ISBN Agency RangeMessage), the SWIFT IBAN registry, ISO
// 10962 CFI codes (SIX) and mobile country and network codes. It reads the
// .dat files in place and looks numbers up as python-stdnum does, so its
// answers can be checked against python-stdnum's.
package numdb

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// DefaultDir is where Debian installs python-stdnum's databases.
const DefaultDir = "/usr/lib/python3/dist-packages/stdnum"

// entry is one prefix range of a database with its properties and the
// entries that may follow it.
type entry struct {
	low, high string
	props     map[string]string
	children  *[]*entry // shared by every range on one line
}

// DB is a parsed prefix database.
type DB struct {
	root []*entry
}

// Part is one component of a number and the properties its prefix carries.
type Part struct {
	Digits string            `json:"part"`
	Props  map[string]string `json:"properties,omitempty"`
}

var (
	lineRe = regexp.MustCompile(`^( *)([^-,\s]+(?:-[^-,\s]+)?(?:,[^-,\s]+(?:-[^-,\s]+)?)*)\s*(.*)$`)
	propRe = regexp.MustCompile(`([0-9a-zA-Z_-]+)="([^"]*)"`)
)

// Read parses a database file: each line is an indented list of prefix
// ranges ("0-5,600-649") followed by key="value" properties; a line indented
// deeper than the previous one lists what may follow the previous line's prefixes.
func Read(path string) (*DB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open number database: %w", err)
	}
	defer f.Close()
	db := &DB{}
	levels := map[int]*[]*entry{0: &db.root}
	var last *entry
	lastIndent := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		m := lineRe.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("%s line %d: cannot parse %q", filepath.Base(path), n, line)
		}
		indent := len(m[1])
		if indent > lastIndent {
			if last == nil {
				return nil, fmt.Errorf("%s line %d: indented first line", filepath.Base(path), n)
			}
			levels[indent] = last.children
		}
		list, ok := levels[indent]
		if !ok {
			return nil, fmt.Errorf("%s line %d: indentation %d matches no parent", filepath.Base(path), n, indent)
		}
		props := map[string]string{}
		for _, p := range propRe.FindAllStringSubmatch(m[3], -1) {
			props[p[1]] = p[2]
		}
		children := &[]*entry{}
		for _, r := range strings.Split(m[2], ",") {
			low, high, found := strings.Cut(r, "-")
			if !found {
				high = low
			}
			if len(low) != len(high) {
				return nil, fmt.Errorf("%s line %d: range %q has bounds of different lengths", filepath.Base(path), n, r)
			}
			last = &entry{low: low, high: high, props: props, children: children}
			*list = append(*list, last)
		}
		lastIndent = indent
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return db, nil
}

// Info splits number into the parts the database knows, each with the
// properties of the prefixes it matched. At each level every entry whose
// range holds the number's next digits applies; the shortest matching
// prefix wins and the properties and continuations of the entries of that
// length are merged. What the database does not cover ends up as a last
// part without properties.
func (db *DB) Info(number string) []Part {
	var out []Part
	level := db.root
	for number != "" {
		part := number
		props := map[string]string{}
		var next []*entry
		for _, e := range level {
			n := len(e.low)
			if len(part) >= n && e.low <= part[:n] && part[:n] <= e.high {
				if n < len(part) {
					part = part[:n]
					props = map[string]string{}
					next = nil
				}
				for k, v := range e.props {
					props[k] = v
				}
				next = append(next, *e.children...)
			}
		}
		out = append(out, Part{Digits: part, Props: props})
		number = number[len(part):]
		level = next
	}
	return out
}
