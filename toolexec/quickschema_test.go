package toolexec_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/dive-env/dive/toolexec"
	"github.com/dive-env/dive/toolexec/builtin"
)

// candidates returns argument objects for a tool schema: every required
// property filled with a value its schema suggests, then each property in
// turn set to each value of a palette of right, wrong and borderline values.
func candidates(schema map[string]any) []map[string]any {
	props, _ := schema["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for name := range props {
		names = append(names, name)
	}
	sort.Strings(names)
	base := map[string]any{}
	for _, name := range names {
		sub, _ := props[name].(map[string]any)
		if vs := suggested(sub); len(vs) > 0 {
			base[name] = vs[0]
		}
	}
	out := []map[string]any{base, {}}
	for _, name := range names {
		sub, _ := props[name].(map[string]any)
		for _, v := range append(suggested(sub), palette...) {
			c := map[string]any{}
			for k, x := range base {
				c[k] = x
			}
			c[name] = v
			out = append(out, c)
		}
		without := map[string]any{}
		for k, x := range base {
			if k != name {
				without[k] = x
			}
		}
		out = append(out, without)
	}
	extra := map[string]any{"not_a_parameter": 1}
	for k, x := range base {
		extra[k] = x
	}
	return append(out, extra)
}

// palette holds values of every JSON type, at the edges the keywords care
// about: numbers written as integers, as decimals and with exponents,
// beyond float64, empty and non-ASCII strings.
var palette = []any{
	json.Number("0"), json.Number("-0"), json.Number("1"), json.Number("-1"), json.Number("1.0"), json.Number("0.5"),
	json.Number("1e2"), json.Number("2.5e-3"), json.Number("100000000000000000001"), json.Number("1e400"),
	json.Number("0.09999999999999999999"), json.Number("0.1"), json.Number("4294967296"),
	"", "a", "ACGT", "BRCA1", "2026-11-25", "é", "𝄞𝄞", strings.Repeat("x", 300), "17 * 23",
	true, false, nil, []any{}, []any{"a"}, []any{json.Number("1"), json.Number("2")}, map[string]any{}, map[string]any{"a": "b"},
}

// suggested returns values a property's schema names or implies: its enum,
// its default, its bounds and the numbers next to them, strings at its
// length bounds, arrays at its size bounds.
func suggested(s map[string]any) []any {
	if s == nil {
		return nil
	}
	var out []any
	if enum, ok := s["enum"].([]any); ok {
		out = append(out, enum...)
	}
	if d, ok := s["default"]; ok {
		out = append(out, toNumbers(d))
	}
	for _, k := range []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} {
		if f, ok := s[k].(float64); ok {
			out = append(out, json.Number(fmt.Sprint(f)), json.Number(fmt.Sprint(f+1)), json.Number(fmt.Sprint(f-1)),
				json.Number(fmt.Sprint(f+0.5)), json.Number(fmt.Sprint(f-0.5)))
		}
	}
	for _, k := range []string{"minLength", "maxLength"} {
		if f, ok := s[k].(float64); ok {
			n := int(f)
			out = append(out, strings.Repeat("a", n), strings.Repeat("é", n+1))
			if n > 0 {
				out = append(out, strings.Repeat("a", n-1))
			}
		}
	}
	items, _ := s["items"].(map[string]any)
	var item any = "a"
	if vs := suggested(items); len(vs) > 0 {
		item = vs[0]
	}
	for _, k := range []string{"minItems", "maxItems"} {
		if f, ok := s[k].(float64); ok && f <= 64 {
			for _, n := range []int{int(f), int(f) + 1, max(0, int(f)-1)} {
				arr := make([]any, n)
				for i := range arr {
					arr[i] = item
				}
				out = append(out, arr)
			}
		}
	}
	switch s["type"] {
	case "string":
		out = append(out, "ACGTACGT")
	case "integer":
		out = append(out, json.Number("3"))
	case "number":
		out = append(out, json.Number("3.25"))
	case "boolean":
		out = append(out, true)
	case "array":
		out = append(out, []any{item})
	}
	return out
}

// toNumbers turns encoding/json's float64s into json.Numbers, as arguments
// are decoded.
func toNumbers(v any) any {
	switch x := v.(type) {
	case float64:
		return json.Number(fmt.Sprint(x))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toNumbers(e)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = toNumbers(e)
		}
		return out
	}
	return v
}

// TestQuickSchemaSound checks the quick check against the JSON Schema
// validator over every built-in tool: it must never accept arguments the
// validator rejects, it must cover most schemas, and it must accept the
// ordinary valid calls (or it saves nothing).
func TestQuickSchemaSound(t *testing.T) {
	reg, err := builtin.NewRegistry(toolexec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tools := reg.Tools()
	covered, checked, quickYes, fullYes := 0, 0, 0, 0
	for _, tool := range tools {
		has, _ := toolexec.QuickCheck(tool, []byte(`{}`))
		if !has {
			continue
		}
		covered++
		for _, c := range candidates(toolexec.SchemaDoc(tool)) {
			args, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			_, accepted := toolexec.QuickCheck(tool, args)
			valid := toolexec.FullValidate(tool, args) == nil
			if valid {
				fullYes++
			}
			if accepted {
				quickYes++
				if !valid {
					t.Errorf("%s: the quick check accepts %s, which the validator rejects: %v", tool.Manifest.ID, args, toolexec.FullValidate(tool, args))
				}
			}
		}
	}
	t.Logf("%d of %d schemas covered; %d candidate calls, %d valid, %d accepted by the quick check", covered, len(tools), checked, fullYes, quickYes)
	if covered < len(tools)*9/10 {
		t.Errorf("the quick check covers %d of %d built-in schemas; want at least 90%%", covered, len(tools))
	}
	if quickYes < fullYes*3/4 {
		t.Errorf("the quick check accepts %d of %d valid calls; want at least 75%%", quickYes, fullYes)
	}
}

// quickSchemas are hand-written schemas at the edges of the quick check.
var quickSchemas = []string{
	`{"type":"object","properties":{"x":{"type":"number","minimum":0.1,"maximum":10}},"required":["x"],"additionalProperties":false}`,
	`{"type":"object","properties":{"n":{"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":4294967296}}}`,
	`{"type":"object","properties":{"s":{"type":["string","null"],"minLength":2,"maxLength":3,"pattern":"^[A-Z]+$"}}}`,
	`{"type":"object","properties":{"e":{"enum":["a","b",null,true]},"l":{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":2}}}`,
	`{"type":"object","additionalProperties":{"type":"string"},"minProperties":1,"maxProperties":2}`,
	`{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"a":true,"b":false},"required":["a"]}`,
	`{"type":"object","properties":{"o":{"type":"object","properties":{"k":{"type":"number","minimum":-1e300}}}}}`,
}

// FuzzQuickSchema checks, for fuzzed arguments, that the quick check of each
// schema in quickSchemas accepts only what the validator accepts.
func FuzzQuickSchema(f *testing.F) {
	reg := toolexec.NewRegistry(toolexec.Options{})
	var tools []*toolexec.Tool
	for i, s := range quickSchemas {
		m := toolexec.Manifest{ID: fmt.Sprintf("test.quick.q%d", i), Name: fmt.Sprintf("q%d", i), Domain: "general",
			Description: "quick check test", Parameters: json.RawMessage(s)}
		if err := reg.Register(m, toolexec.InlineFunc(nil), ""); err != nil {
			f.Fatal(err)
		}
		tool, _ := reg.Get(m.ID)
		if has, _ := toolexec.QuickCheck(tool, []byte(`{}`)); !has {
			f.Fatalf("schema %d is not covered by the quick check", i)
		}
		tools = append(tools, tool)
	}
	for _, seed := range []string{`{"x":0.1}`, `{"x":0.09999999999999999999}`, `{"x":10.0}`, `{"n":4294967295}`, `{"n":1.0}`,
		`{"s":"AB"}`, `{"s":"ÀB"}`, `{"s":null}`, `{"e":null,"l":[1]}`, `{"l":[1.5]}`, `{"q":"x"}`, `{"a":1,"b":2}`,
		`{"o":{"k":-1e300}}`, `{"o":{"k":-1.0000000000000001e300}}`} {
		for i := range tools {
			f.Add(uint8(i), []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, args []byte) {
		tool := tools[int(which)%len(tools)]
		if _, accepted := toolexec.QuickCheck(tool, args); accepted {
			if err := toolexec.FullValidate(tool, args); err != nil {
				t.Fatalf("schema %d: the quick check accepts %s, which the validator rejects: %v", int(which)%len(tools), args, err)
			}
		}
	})
}
