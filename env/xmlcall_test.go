package env

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestParseXMLCall: the XML layout's name and parameters, in order, with
// one newline trimmed at each end of a value; malformed tags are errors.
func TestParseXMLCall(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		fn         string
		params     []xmlParam
		err        string
	}{
		{"the layout as written", "\n<function=bio_seq_translate>\n<parameter=sequence>\nATGGCC\n</parameter>\n<parameter=table>\n11\n</parameter>\n</function>\n",
			"bio_seq_translate", []xmlParam{{"sequence", "ATGGCC"}, {"table", "11"}}, ""},
		{"on one line", "<function=f><parameter=a>1</parameter><parameter=b>x y</parameter></function>",
			"f", []xmlParam{{"a", "1"}, {"b", "x y"}}, ""},
		{"a value's inner newlines and spaces kept", "<function=f><parameter=code>\n\nprint(1)\n  x\n\n</parameter></function>",
			"f", []xmlParam{{"code", "\nprint(1)\n  x\n"}}, ""},
		{"no parameters", "<function=now>\n</function>", "now", nil, ""},
		{"a parameter left open ends at the next", "<function=f><parameter=a>1\n<parameter=b>2</parameter></function>",
			"f", []xmlParam{{"a", "1"}, {"b", "2"}}, ""},
		{"no </function>", "<function=f><parameter=a>1</parameter>", "f", []xmlParam{{"a", "1"}}, ""},
		{"text after </function> is not a parameter", "<function=f></function><parameter=a>1</parameter>", "f", nil, ""},
		{"the function tag not closed", "<function=f", "", nil, "not closed"},
		{"no function name", "<function=>", "", nil, "no name"},
		{"no parameter name", "<function=f><parameter=>1</parameter></function>", "", nil, "no name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !isXMLCall(tc.body) {
				t.Fatalf("isXMLCall(%q) = false", tc.body)
			}
			fn, params, err := parseXMLCall(tc.body)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil || fn != tc.fn || !reflect.DeepEqual(params, tc.params) {
				t.Fatalf("got %q %q %v, want %q %q", fn, params, err, tc.fn, tc.params)
			}
		})
	}
	if isXMLCall(`{"name": "f", "arguments": {}}`) {
		t.Fatal("a JSON body taken for XML")
	}
}

// TestXMLArguments: each value typed by its property's schema — the most
// particular type the value can be, a string when the schema allows none
// it fits (the tool's schema check then tells the model).
func TestXMLArguments(t *testing.T) {
	schema := json.RawMessage(`{"type": "object", "properties": {
		"s": {"type": "string"}, "i": {"type": "integer"}, "n": {"type": "number"}, "b": {"type": "boolean"},
		"o": {"type": "object"}, "a": {"type": "array", "items": {"type": "integer"}},
		"ni": {"type": ["integer", "null"]}, "e": {"enum": [1, 2, "many"]},
		"any": {"anyOf": [{"type": "boolean"}, {"type": "string"}]}, "untyped": {"description": "no type"}}}`)
	for _, tc := range []struct {
		name   string
		params []xmlParam
		want   string
	}{
		{"each type", []xmlParam{{"s", "42"}, {"i", " 7 "}, {"n", "2.50"}, {"b", "True"}, {"o", `{"k": [1]}`}, {"a", "[1, 2]"}},
			`{"s":"42","i":7,"n":2.50,"b":true,"o":{"k": [1]},"a":[1, 2]}`},
		{"an integer written as 3.0", []xmlParam{{"i", "3.0"}}, `{"i":3}`},
		{"exponents and negatives", []xmlParam{{"n", "-1e-3"}, {"i", "-12"}}, `{"n":-1e-3,"i":-12}`},
		{"not a number for a number: a JSON literal or a string", []xmlParam{{"i", "seven"}, {"n", "1/3"}, {"b", "yes"}},
			`{"i":"seven","n":"1/3","b":"yes"}`},
		{"nullable", []xmlParam{{"ni", "null"}}, `{"ni":null}`},
		{"enum members' types", []xmlParam{{"e", "2"}}, `{"e":2}`},
		{"enum string member", []xmlParam{{"e", "many"}}, `{"e":"many"}`},
		{"anyOf", []xmlParam{{"any", "false"}}, `{"any":false}`},
		{"anyOf falls to string", []xmlParam{{"any", "maybe"}}, `{"any":"maybe"}`},
		{"no type: a string", []xmlParam{{"untyped", "12"}}, `{"untyped":"12"}`},
		{"not in the schema: a string", []xmlParam{{"extra", "12"}}, `{"extra":"12"}`},
		{"a string keeps its spaces and escapes", []xmlParam{{"s", " a \"b\"\n<c>"}}, `{"s":" a \"b\"\n\u003cc\u003e"}`},
		{"an object that is not JSON: a string", []xmlParam{{"o", "{k: 1}"}}, `{"o":"{k: 1}"}`},
		{"written twice: the last", []xmlParam{{"i", "1"}, {"s", "x"}, {"i", "2"}}, `{"s":"x","i":2}`},
		{"none", nil, `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := xmlArguments(tc.params, schema)
			if got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			if !json.Valid([]byte(got)) {
				t.Fatalf("%s is not JSON", got)
			}
		})
	}
	// A tool the episode does not know: no schema, every value a string.
	if got := xmlArguments([]xmlParam{{"i", "1"}}, nil); got != `{"i":"1"}` {
		t.Fatalf("no schema: %s", got)
	}
}

// TestXMLToolCallStep: a Hermes-format step whose calls are in the XML
// layout runs the tool with arguments typed by its schema, is recorded as
// an OpenAI call with JSON arguments, and a malformed one is a failed call
// the model is told about.
func TestXMLToolCallStep(t *testing.T) {
	te := newTestEnv(t, nil, nil)
	c := dial(t, te.url, SubprotocolJSON)
	for _, format := range []string{FormatHermes, FormatQwen3Coder} {
		t.Run(format, func(t *testing.T) { xmlToolCallStep(t, c, format) })
	}
	if code := errorCode(c.call(OpReset, map[string]any{"task_id": "dive-default-translate-1", "options": map[string]any{"tool_call_format": "qwen3_xml"}})); code != CodeBadRequest {
		t.Fatalf("an unknown format: %q", code)
	}
}

func xmlToolCallStep(t *testing.T, c *client, format string) {
	reset := c.result(OpReset, map[string]any{"task_id": "dive-default-translate-1", "options": map[string]any{"tool_call_format": format}})
	if reset["tool_call_format"] != format {
		t.Fatalf("reset's format %v, want %s", reset["tool_call_format"], format)
	}
	ep := reset["episode"]
	text := "<think>\nTranslate it, stopping at the stop codon.\n</think>\n\n<tool_call>\n<function=bio_seq_translate>\n" +
		"<parameter=sequence>\nATGGCCTAAGGG\n</parameter>\n<parameter=to_stop>\ntrue\n</parameter>\n<parameter=table>\n11\n</parameter>\n</function>\n</tool_call>" +
		"<tool_call>\n<function=bio_seq_translate>\n<parameter=sequence>ATG\n</function>\n</tool_call>" +
		"<tool_call>\n<function=bio_seq_translate\n</tool_call>"
	r := c.result(OpStep, map[string]any{"episode": ep, "text": text})
	msgs := r["messages"].([]any)
	if len(msgs) != 3 {
		t.Fatalf("%d tool messages: %v", len(msgs), r)
	}
	if got := msgs[0].(map[string]any)["content"].(string); !strings.Contains(got, `"protein":"MA"`) {
		t.Fatalf("the typed call: %s", got)
	}
	if got := msgs[1].(map[string]any)["content"].(string); !strings.Contains(got, `"protein":"M"`) {
		t.Fatalf("the call with an open parameter: %s", got)
	}
	if got := msgs[2].(map[string]any)["content"].(string); !strings.Contains(got, "malformed") {
		t.Fatalf("the malformed call: %s", got)
	}
	state := c.result(OpState, map[string]any{"episode": ep})
	all := state["messages"].([]any)
	assistant := all[len(all)-4].(map[string]any)
	call := assistant["tool_calls"].([]any)[0].(map[string]any)["function"].(map[string]any)
	if call["name"] != "bio_seq_translate" || call["arguments"] != `{"sequence":"ATGGCCTAAGGG","to_stop":true,"table":11}` {
		t.Fatalf("recorded call %v", call)
	}
	if content := assistant["content"].(string); !strings.HasPrefix(content, "<think>") || strings.Contains(content, "<tool_call>") {
		t.Fatalf("recorded content %q", content)
	}
}

// parseXMLCallQuadratic is the plain reading of the XML layout that
// parseXMLCall replaced: it searches the rest of the text for </parameter>
// at every tag (quadratic on a run of open tags). FuzzXMLCall holds the two
// equal.
func parseXMLCallQuadratic(body string) (name string, params []xmlParam, err error) {
	rest := strings.TrimSpace(body)[len(xmlFunctionOpen):]
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", nil, fmt.Errorf("the <function=...> tag is not closed with >")
	}
	name, rest = strings.TrimSpace(rest[:end]), rest[end+1:]
	if name == "" {
		return "", nil, fmt.Errorf("the <function=> tag has no name")
	}
	if i := strings.Index(rest, xmlFunctionClose); i >= 0 {
		rest = rest[:i]
	}
	for {
		i := strings.Index(rest, xmlParameterOpen)
		if i < 0 {
			return name, params, nil
		}
		rest = rest[i+len(xmlParameterOpen):]
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			return "", nil, fmt.Errorf("a <parameter=...> tag of %s is not closed with >", name)
		}
		key := strings.TrimSpace(rest[:end])
		if key == "" {
			return "", nil, fmt.Errorf("a <parameter=> tag of %s has no name", name)
		}
		rest = rest[end+1:]
		valueEnd, next := len(rest), len(rest)
		if j := strings.Index(rest, xmlParameterClose); j >= 0 {
			valueEnd, next = j, j+len(xmlParameterClose)
		}
		if j := strings.Index(rest, xmlParameterOpen); j >= 0 && j < valueEnd {
			valueEnd, next = j, j
		}
		value := strings.TrimPrefix(rest[:valueEnd], "\n")
		value = strings.TrimSuffix(value, "\n")
		params = append(params, xmlParam{Name: key, Value: value})
		rest = rest[next:]
	}
}

// A degenerate repetition of open <parameter= tags (the red team's 8c: 64k
// tags, 1.5 MB, took 26 s of server CPU, quadratic) parses in linear time.
// The bound is loose: it catches a quadratic parse, not a slow machine.
func TestXMLCallRunOfOpenTagsIsLinear(t *testing.T) {
	body := "<function=calculator>" + strings.Repeat("<parameter=expression>1", 64000) + "</function>"
	start := time.Now()
	name, params, err := parseXMLCall(body)
	if err != nil || name != "calculator" || len(params) != 64000 || params[63999].Value != "1" {
		t.Fatalf("%q, %d params, %v", name, len(params), err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("64k open tags took %v", d)
	}
}

func BenchmarkXMLCallRunOfOpenTags(b *testing.B) {
	body := "<function=calculator>" + strings.Repeat("<parameter=expression>1", 8000) + "</function>"
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		parseXMLCall(body)
	}
}
