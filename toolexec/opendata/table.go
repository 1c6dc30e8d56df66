// Package opendata serves statistical datasets shipped by the npm package
// vega-datasets 3.2.1 (Palmer penguins, Burtin's antibiotics, Nightingale's
// Crimean War mortality, Gapminder, Mauna Loa CO2, NASA GISS temperatures,
// NOAA weather, USGS earthquakes, BLS employment, US Census and IPUMS
// tables, US airports and ZIP codes, ...) as query tools: filter by the
// dataset's keys, summarise its measures, group, sort and rank.
// scripts/setup-data installs the files.
package opendata

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// DefaultDir is where scripts/setup-data unpacks vega-datasets' data folder.
const DefaultDir = "/usr/local/share/dive/vega-datasets/data"

// Column types.
const (
	String  = "string"  // matched case-insensitively, exactly or (Contains) by substring
	Integer = "integer" // matched exactly, or by a _from/_to range
	Date    = "date"    // ISO date or month; matched by prefix ("2012", "2012-03") or a _from/_to range
	Number  = "number"  // a measure: summarised, never filtered
)

// Column describes one field of a dataset as the tools present it.
type Column struct {
	Name     string // field name in arguments and results
	Type     string // String, Integer, Date or Number
	Unit     string // unit of a measure, "" if none
	Desc     string // what the field means
	Contains bool   // String keys: match a substring rather than the whole value
	Key      bool   // may be filtered on and grouped by
}

// Row is one record: Name → string, float64 or nil (missing).
type Row map[string]any

// Table is a loaded dataset.
type Table struct {
	Columns []Column
	Rows    []Row
}

func (t *Table) column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// readJSONArray decodes a JSON array of objects.
func readJSONArray(path string) ([]map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return rows, nil
}

// readDelimited reads a CSV or TSV file with a header line into maps of strings.
func readDelimited(path string, comma rune) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = comma
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s header: %w", filepath.Base(path), err)
	}
	var rows []map[string]any
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		m := make(map[string]any, len(header))
		for i, h := range header {
			m[h] = rec[i]
		}
		rows = append(rows, m)
	}
}

// num converts a JSON number or a numeric string; "" and null are missing.
func num(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case float64:
		return x, nil
	case string:
		s := strings.TrimSpace(x)
		if s == "" || s == "NA" {
			return nil, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("not a number: %q", x)
		}
		return f, nil
	}
	return nil, fmt.Errorf("not a number: %v", v)
}

// text converts a value to a string key; null is missing.
func text(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// query is the parsed arguments of a dataset tool.
type query struct {
	filters map[string]any // column → value (string or float64)
	from    map[string]any // column → lower bound (inclusive)
	to      map[string]any // column → upper bound (inclusive)
	groupBy string
	sortBy  string
	desc    bool
	limit   int
}

const (
	defaultLimit = 20
	maxLimit     = 100
)

func parseQuery(t *Table, raw json.RawMessage) (query, error) {
	var args map[string]any
	if err := json.Unmarshal(raw, &args); err != nil {
		return query{}, err
	}
	q := query{filters: map[string]any{}, from: map[string]any{}, to: map[string]any{}, limit: defaultLimit}
	for k, v := range args {
		switch k {
		case "group_by":
			q.groupBy, _ = v.(string)
		case "sort_by":
			q.sortBy, _ = v.(string)
		case "order":
			q.desc = v == "desc"
		case "limit":
			f, _ := v.(float64)
			q.limit = int(f)
		default:
			name, bound := k, ""
			if n, ok := strings.CutSuffix(k, "_from"); ok {
				name, bound = n, "from"
			} else if n, ok := strings.CutSuffix(k, "_to"); ok {
				name, bound = n, "to"
			}
			if _, ok := t.column(name); !ok {
				return query{}, fmt.Errorf("unknown argument %q", k)
			}
			switch bound {
			case "from":
				q.from[name] = v
			case "to":
				q.to[name] = v
			default:
				q.filters[name] = v
			}
		}
	}
	if q.sortBy != "" && q.groupBy == "" {
		if _, ok := t.column(q.sortBy); !ok {
			return query{}, fmt.Errorf("unknown sort_by %q", q.sortBy)
		}
	}
	return q, nil
}

func matchValue(c Column, row, want any) bool {
	if row == nil {
		return false
	}
	switch c.Type {
	case String:
		r, w := strings.ToLower(row.(string)), strings.ToLower(strings.TrimSpace(fmt.Sprint(want)))
		if c.Contains {
			return strings.Contains(r, w)
		}
		return r == w
	case Date:
		return strings.HasPrefix(row.(string), fmt.Sprint(want))
	default:
		return row == want
	}
}

// inRange reports whether v lies within [from, to]; a date bound given as a
// prefix ("2012-03") covers the whole period it names.
func inRange(c Column, v, from, to any) bool {
	if v == nil {
		return false
	}
	if c.Type == Date {
		s := v.(string)
		if from != nil && s < fmt.Sprint(from) {
			return false
		}
		if to != nil {
			bound := fmt.Sprint(to)
			if len(s) > len(bound) {
				s = s[:len(bound)]
			}
			if s > bound {
				return false
			}
		}
		return true
	}
	f, ok := v.(float64)
	if !ok {
		return false
	}
	if lo, ok := from.(float64); ok && f < lo {
		return false
	}
	if hi, ok := to.(float64); ok && f > hi {
		return false
	}
	return true
}

// Stats summarises one measure over a set of rows.
type Stats struct {
	Count  int      `json:"count"`
	Sum    float64  `json:"sum"`
	Mean   float64  `json:"mean"`
	SD     *float64 `json:"sd,omitempty"` // sample standard deviation (n-1), with 2 or more values
	Median float64  `json:"median"`
	Min    float64  `json:"min"`
	Max    float64  `json:"max"`
	MinAt  Row      `json:"min_at,omitempty"` // the key fields of the row holding the minimum (first if tied)
	MaxAt  Row      `json:"max_at,omitempty"`
}

func (t *Table) keyOf(r Row) Row {
	out := Row{}
	for _, c := range t.Columns {
		if c.Key && r[c.Name] != nil {
			out[c.Name] = r[c.Name]
		}
	}
	return out
}

func (t *Table) summarise(rows []Row, withRows bool) map[string]Stats {
	out := map[string]Stats{}
	for _, c := range t.Columns {
		if c.Type != Number {
			continue
		}
		var vals []float64
		var s Stats
		for _, r := range rows {
			f, ok := r[c.Name].(float64)
			if !ok {
				continue
			}
			if len(vals) == 0 || f < s.Min {
				s.Min = f
				if withRows {
					s.MinAt = t.keyOf(r)
				}
			}
			if len(vals) == 0 || f > s.Max {
				s.Max = f
				if withRows {
					s.MaxAt = t.keyOf(r)
				}
			}
			vals = append(vals, f)
			s.Sum += f
		}
		if len(vals) == 0 {
			continue
		}
		s.Count = len(vals)
		s.Mean = s.Sum / float64(len(vals))
		if len(vals) > 1 {
			var ss float64
			for _, v := range vals {
				ss += (v - s.Mean) * (v - s.Mean)
			}
			sd := math.Sqrt(ss / float64(len(vals)-1))
			s.SD = &sd
		}
		sort.Float64s(vals)
		if n := len(vals); n%2 == 1 {
			s.Median = vals[n/2]
		} else {
			s.Median = (vals[n/2-1] + vals[n/2]) / 2
		}
		out[c.Name] = s
	}
	return out
}

// knownValues lists the distinct values of a string key when there are few.
func (t *Table) knownValues(name string) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range t.Rows {
		if s, ok := r[name].(string); ok && !seen[s] {
			seen[s] = true
			out = append(out, s)
			if len(out) > 60 {
				return nil
			}
		}
	}
	sort.Strings(out)
	return out
}

// less orders two values of a column; missing values go last.
func less(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && x < y
	case string:
		y, ok := b.(string)
		return ok && x < y
	}
	return false
}

// Run answers a query over the table.
func (t *Table) Run(raw json.RawMessage) (map[string]any, error) {
	q, err := parseQuery(t, raw)
	if err != nil {
		return nil, err
	}
	// Resolve the columns once; a column with both bounds is checked once.
	type filter struct {
		col  Column
		want any
	}
	type bounds struct {
		col      Column
		from, to any
	}
	var filters []filter
	for name, want := range q.filters {
		c, _ := t.column(name)
		filters = append(filters, filter{c, want})
	}
	var ranges []bounds
	for name := range q.from {
		c, _ := t.column(name)
		ranges = append(ranges, bounds{c, q.from[name], q.to[name]})
	}
	for name := range q.to {
		if _, done := q.from[name]; !done {
			c, _ := t.column(name)
			ranges = append(ranges, bounds{c, nil, q.to[name]})
		}
	}
	var rows []Row
rowLoop:
	for _, r := range t.Rows {
		for _, f := range filters {
			if !matchValue(f.col, r[f.col.Name], f.want) {
				continue rowLoop
			}
		}
		for _, b := range ranges {
			if !inRange(b.col, r[b.col.Name], b.from, b.to) {
				continue rowLoop
			}
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		msg := "no rows match the filters"
		for name, want := range q.filters {
			if c, _ := t.column(name); c.Type == String && !c.Contains {
				if vals := t.knownValues(name); vals != nil && !matchAny(vals, want) {
					msg += fmt.Sprintf("; %s %q is not in the data (known: %s)", name, fmt.Sprint(want), strings.Join(vals, ", "))
				}
			}
		}
		return nil, fmt.Errorf("%s", msg)
	}
	out := map[string]any{"matched": len(rows), "summary": t.summarise(rows, true)}
	if q.groupBy != "" {
		groups := t.groups(rows, q)
		out["group_count"] = len(groups)
		if len(groups) > q.limit {
			out["truncated"] = true
			groups = groups[:q.limit]
		}
		out["groups"] = groups
		return out, nil
	}
	if q.sortBy != "" {
		sort.SliceStable(rows, func(i, j int) bool {
			a, b := rows[i][q.sortBy], rows[j][q.sortBy]
			if q.desc {
				return less(b, a) || (a != nil && b == nil)
			}
			return less(a, b) || (a != nil && b == nil)
		})
	}
	if len(rows) > q.limit {
		out["truncated"] = true
		rows = rows[:q.limit]
	}
	out["rows"] = rows
	return out, nil
}

func matchAny(vals []string, want any) bool {
	for _, v := range vals {
		if strings.EqualFold(v, strings.TrimSpace(fmt.Sprint(want))) {
			return true
		}
	}
	return false
}

// Group is the summary of the rows sharing one value of the group_by key.
type Group struct {
	Value   any              `json:"value"`
	Count   int              `json:"count"`
	Summary map[string]Stats `json:"summary"`
}

func (t *Table) groups(rows []Row, q query) []Group {
	idx := map[any]int{}
	var members [][]Row
	var out []Group
	for _, r := range rows {
		v := r[q.groupBy]
		i, ok := idx[v]
		if !ok {
			i = len(out)
			idx[v] = i
			out = append(out, Group{Value: v})
			members = append(members, nil)
		}
		members[i] = append(members[i], r)
	}
	for i := range out {
		out[i].Count = len(members[i])
		out[i].Summary = t.summarise(members[i], false)
	}
	sort.SliceStable(out, func(i, j int) bool { return less(out[i].Value, out[j].Value) })
	if q.sortBy != "" {
		mean := func(g Group) any {
			if s, ok := g.Summary[q.sortBy]; ok {
				return s.Mean
			}
			if q.sortBy == "count" {
				return float64(g.Count)
			}
			return nil
		}
		sort.SliceStable(out, func(i, j int) bool {
			a, b := mean(out[i]), mean(out[j])
			if q.desc {
				return less(b, a) || (a != nil && b == nil)
			}
			return less(a, b) || (a != nil && b == nil)
		})
	}
	return out
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read dataset: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return nil
}
