package toolexec

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// quickSchema is a tool's parameter schema compiled for a quick check that
// accepts the arguments of most calls without the JSON Schema validator,
// which allocates as it walks and showed in profiles of the step path.
//
// It covers the keywords tool schemas are made of (type, properties,
// required, additionalProperties, items, enum of strings, booleans and null,
// the length, size and numeric bounds, pattern, and the annotations) and is
// only ever trusted to say yes: when it does not accept, the full validator
// decides and words the error. It accepts nothing the full validator rejects
// (TestQuickSchemaSound and FuzzQuickSchema check it against the validator);
// where exactness would cost, it declines instead (a bound a number equals
// in float64, an integer written 1.0, a numeric enum).
type quickSchema struct {
	types        typeSet // 0: any type
	never        bool    // the schema false
	props        map[string]*quickSchema
	required     []string
	additional   *quickSchema // nil: any additional property
	items        *quickSchema
	enum         []any // strings, booleans, nil
	hasEnum      bool
	minLen       int // -1: none
	maxLen       int
	minItems     int
	maxItems     int
	minProps     int
	maxProps     int
	min, max     *numericBound
	exMin, exMax *numericBound
	pattern      *regexp.Regexp
}

type typeSet uint8

const (
	typeObject typeSet = 1 << iota
	typeArray
	typeString
	typeNumber
	typeInteger
	typeBoolean
	typeNull
)

var typeNames = map[string]typeSet{
	"object": typeObject, "array": typeArray, "string": typeString, "number": typeNumber,
	"integer": typeInteger, "boolean": typeBoolean, "null": typeNull,
}

// annotations are keywords that do not affect validity.
var annotations = map[string]bool{
	"description": true, "title": true, "default": true, "examples": true, "$comment": true,
	"deprecated": true, "readOnly": true, "writeOnly": true, "$id": true,
}

// compileQuick compiles a schema document (as jsonschema.UnmarshalJSON
// decodes it) for the quick check, or reports false when the schema uses
// anything the check does not cover.
func compileQuick(doc any) (*quickSchema, bool) {
	if m, ok := doc.(map[string]any); ok {
		if s, ok := m["$schema"].(string); ok {
			// Drafts 6 on agree on the covered keywords; draft 4 reads
			// exclusiveMinimum differently.
			if !strings.Contains(s, "draft-06") && !strings.Contains(s, "draft-07") && !strings.Contains(s, "2019-09") && !strings.Contains(s, "2020-12") {
				return nil, false
			}
		}
	}
	return compileQuickAt(doc, 0)
}

func compileQuickAt(doc any, depth int) (*quickSchema, bool) {
	if depth > 16 {
		return nil, false
	}
	q := &quickSchema{minLen: -1, maxLen: -1, minItems: -1, maxItems: -1, minProps: -1, maxProps: -1}
	switch d := doc.(type) {
	case bool:
		q.never = !d
		return q, true
	case map[string]any:
		for k, v := range d {
			var ok bool
			switch k {
			case "$schema":
				ok = depth == 0
			case "type":
				ok = q.compileType(v)
			case "properties":
				ok = q.compileProperties(v, depth)
			case "required":
				q.required, ok = stringList(v)
			case "additionalProperties":
				q.additional, ok = compileQuickAt(v, depth+1)
			case "items":
				if _, tuple := v.([]any); !tuple {
					q.items, ok = compileQuickAt(v, depth+1)
				}
			case "enum":
				ok = q.compileEnum(v)
			case "minLength":
				q.minLen, ok = count(v)
			case "maxLength":
				q.maxLen, ok = count(v)
			case "minItems":
				q.minItems, ok = count(v)
			case "maxItems":
				q.maxItems, ok = count(v)
			case "minProperties":
				q.minProps, ok = count(v)
			case "maxProperties":
				q.maxProps, ok = count(v)
			case "minimum":
				q.min, ok = bound(v)
			case "maximum":
				q.max, ok = bound(v)
			case "exclusiveMinimum":
				q.exMin, ok = bound(v)
			case "exclusiveMaximum":
				q.exMax, ok = bound(v)
			case "pattern":
				if s, isString := v.(string); isString {
					re, err := regexp.Compile(s)
					q.pattern, ok = re, err == nil
				}
			default:
				ok = annotations[k]
			}
			if !ok {
				return nil, false
			}
		}
		return q, true
	}
	return nil, false
}

func (q *quickSchema) compileType(v any) bool {
	names := []any{v}
	if list, ok := v.([]any); ok {
		names = list
	}
	for _, n := range names {
		s, _ := n.(string)
		t, ok := typeNames[s]
		if !ok {
			return false
		}
		q.types |= t
	}
	return q.types != 0
}

func (q *quickSchema) compileProperties(v any, depth int) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	q.props = make(map[string]*quickSchema, len(m))
	for name, sub := range m {
		s, ok := compileQuickAt(sub, depth+1)
		if !ok {
			return false
		}
		q.props[name] = s
	}
	return true
}

func (q *quickSchema) compileEnum(v any) bool {
	list, ok := v.([]any)
	if !ok {
		return false
	}
	for _, e := range list {
		switch e.(type) {
		case string, bool, nil:
		default: // numbers compare as rationals, objects and arrays deeply: left to the validator
			return false
		}
	}
	q.enum, q.hasEnum = list, true
	return true
}

func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// count reads a non-negative integer keyword.
func count(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(string(n))
	return i, err == nil && i >= 0
}

// numericBound is a minimum or maximum: its value rounded to float64, and
// whether that is exact (an integer of at most 15 digits).
type numericBound struct {
	f     float64
	exact bool
}

// bound reads a numeric bound keyword.
func bound(v any) (*numericBound, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, false
	}
	return &numericBound{f: f, exact: exactInteger(string(n))}, true
}

// exactInteger reports whether a JSON number is an integer float64 holds
// exactly: at most 15 digits, no fraction or exponent.
func exactInteger(s string) bool {
	digits := strings.TrimPrefix(s, "-")
	return isPlainInteger(s) && len(digits) <= 15
}

// accepts reports whether v is valid under the schema for sure. False means
// "not sure": the full validator decides.
func (q *quickSchema) accepts(v any) bool {
	if q.never {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		return q.hasType(typeObject) && !q.hasEnum && q.acceptsObject(x)
	case []any:
		return q.hasType(typeArray) && !q.hasEnum && q.acceptsArray(x)
	case string:
		return q.hasType(typeString) && q.inEnum(x) && q.acceptsString(x)
	case json.Number:
		return !q.hasEnum && q.acceptsNumber(x)
	case bool:
		return q.hasType(typeBoolean) && q.inEnum(x)
	case nil:
		return q.hasType(typeNull) && q.inEnum(nil)
	}
	return false
}

func (q *quickSchema) hasType(t typeSet) bool { return q.types == 0 || q.types&t != 0 }

func (q *quickSchema) inEnum(v any) bool {
	if !q.hasEnum {
		return true
	}
	for _, e := range q.enum {
		if e == v {
			return true
		}
	}
	return false
}

func (q *quickSchema) acceptsObject(m map[string]any) bool {
	if (q.minProps >= 0 && len(m) < q.minProps) || (q.maxProps >= 0 && len(m) > q.maxProps) {
		return false
	}
	for _, name := range q.required {
		if _, ok := m[name]; !ok {
			return false
		}
	}
	for name, val := range m {
		if p, ok := q.props[name]; ok {
			if !p.accepts(val) {
				return false
			}
			continue
		}
		if q.additional != nil && !q.additional.accepts(val) {
			return false
		}
	}
	return true
}

func (q *quickSchema) acceptsArray(a []any) bool {
	if (q.minItems >= 0 && len(a) < q.minItems) || (q.maxItems >= 0 && len(a) > q.maxItems) {
		return false
	}
	if q.items != nil {
		for _, e := range a {
			if !q.items.accepts(e) {
				return false
			}
		}
	}
	return true
}

func (q *quickSchema) acceptsString(s string) bool {
	if q.minLen >= 0 || q.maxLen >= 0 {
		n := utf8.RuneCountInString(s)
		if (q.minLen >= 0 && n < q.minLen) || (q.maxLen >= 0 && n > q.maxLen) {
			return false
		}
	}
	return q.pattern == nil || q.pattern.MatchString(s)
}

func (q *quickSchema) acceptsNumber(n json.Number) bool {
	integer := isPlainInteger(string(n))
	switch {
	case q.types == 0 || q.types&typeNumber != 0:
	case q.types&typeInteger != 0 && integer:
	default: // not a number type here, or an integer written as 1.0 or 1e2: the validator decides
		return false
	}
	if q.min == nil && q.max == nil && q.exMin == nil && q.exMax == nil {
		return true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return false
	}
	// Rounding to float64 keeps order (a <= b implies round(a) <= round(b)),
	// so a strict inequality between the rounded values holds between the
	// exact ones; equality is trusted only between exact integers.
	exact := exactInteger(string(n))
	atLeast := func(b *numericBound) bool { return f > b.f || (f == b.f && exact && b.exact) }
	atMost := func(b *numericBound) bool { return f < b.f || (f == b.f && exact && b.exact) }
	return (q.min == nil || atLeast(q.min)) && (q.max == nil || atMost(q.max)) &&
		(q.exMin == nil || f > q.exMin.f) && (q.exMax == nil || f < q.exMax.f)
}

// isPlainInteger reports whether a JSON number is written as an integer:
// digits and an optional minus sign.
func isPlainInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
