package env

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The XML body of a tool call, the layout Qwen3-Coder and Qwen3.5 write
// inside <tool_call></tool_call> in place of Hermes JSON:
//
//	<function=NAME>
//	<parameter=KEY>
//	VALUE
//	</parameter>
//	</function>
//
// Values are bare text; the tool's JSON Schema says what each one is.
const (
	xmlFunctionOpen   = "<function="
	xmlFunctionClose  = "</function>"
	xmlParameterOpen  = "<parameter="
	xmlParameterClose = "</parameter>"
)

// xmlParam is one <parameter=KEY>VALUE</parameter> of an XML tool call.
type xmlParam struct {
	Name, Value string
}

// isXMLCall reports whether a <tool_call> block's body is in the XML layout.
func isXMLCall(body string) bool {
	return strings.HasPrefix(strings.TrimSpace(body), xmlFunctionOpen)
}

// parseXMLCall reads a call in the XML layout: the function's name and its
// parameters in the order written. A parameter left open ends at the next
// parameter, at </function> or at the end; a value loses one newline at
// each end (the layout puts the value on lines of its own).
func parseXMLCall(body string) (name string, params []xmlParam, err error) {
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
	// Positions are offsets into rest. The next </parameter> is searched
	// for once and kept while it lies ahead: searching for it again at
	// every tag made a run of open tags quadratic (64k tags, 1.5 MB: 26 s).
	pos, closeAt := 0, -1 // closeAt: the next </parameter> at or after pos; -1 unknown
	noClose := false
	for {
		i := strings.Index(rest[pos:], xmlParameterOpen)
		if i < 0 {
			return name, params, nil
		}
		pos += i + len(xmlParameterOpen)
		end := strings.IndexByte(rest[pos:], '>')
		if end < 0 {
			return "", nil, fmt.Errorf("a <parameter=...> tag of %s is not closed with >", name)
		}
		key := strings.TrimSpace(rest[pos : pos+end])
		if key == "" {
			return "", nil, fmt.Errorf("a <parameter=> tag of %s has no name", name)
		}
		pos += end + 1
		if !noClose && closeAt < pos {
			if j := strings.Index(rest[pos:], xmlParameterClose); j >= 0 {
				closeAt = pos + j
			} else {
				noClose = true
			}
		}
		valueEnd, next := len(rest), len(rest)
		if !noClose {
			valueEnd, next = closeAt, closeAt+len(xmlParameterClose)
		}
		if j := strings.Index(rest[pos:valueEnd], xmlParameterOpen); j >= 0 {
			valueEnd, next = pos+j, pos+j
		}
		value := strings.TrimPrefix(rest[pos:valueEnd], "\n")
		value = strings.TrimSuffix(value, "\n")
		params = append(params, xmlParam{Name: key, Value: value})
		pos = next
	}
}

// xmlArguments turns an XML call's parameters into a JSON object, each
// value read as the type the tool's schema gives its property (schema:
// the tool's parameters; nil when the tool is unknown). A parameter
// written twice keeps its last value.
func xmlArguments(params []xmlParam, schema json.RawMessage) string {
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	_ = json.Unmarshal(schema, &doc) // no schema: every value a string
	last := map[string]int{}
	for i, p := range params {
		last[p.Name] = i
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range params {
		if last[p.Name] != i {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(p.Name)
		b.Write(key)
		b.WriteByte(':')
		b.Write(xmlValue(p.Value, schemaTypes(doc.Properties[p.Name])))
	}
	b.WriteByte('}')
	return b.String()
}

// typeOrder is the order in which a value is tried against the types a
// property allows: the most particular first, a string last.
var typeOrder = []string{"null", "integer", "number", "boolean", "object", "array", "string"}

// xmlValue reads a bare value as the first of types, in typeOrder, that it
// can be; as a JSON literal or else a string when it can be none of them
// (the tool's schema check then tells the model what was wrong).
func xmlValue(value string, types map[string]bool) json.RawMessage {
	trimmed := strings.TrimSpace(value)
	for _, t := range typeOrder {
		if !types[t] {
			continue
		}
		switch t {
		case "null":
			if strings.EqualFold(trimmed, "null") {
				return json.RawMessage("null")
			}
		case "integer":
			if n, err := strconv.ParseInt(trimmed, 10, 64); err == nil {
				return json.RawMessage(strconv.FormatInt(n, 10)) // "007" and "+7" are not JSON
			}
			if f, err := strconv.ParseFloat(trimmed, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				return json.RawMessage(strconv.FormatInt(int64(f), 10)) // "3.0" for an integer
			}
		case "number":
			if f, err := strconv.ParseFloat(trimmed, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				if decodable(trimmed) {
					return json.RawMessage(trimmed) // as written: no rounding
				}
				out, _ := json.Marshal(f)
				return out
			}
		case "boolean":
			switch strings.ToLower(trimmed) {
			case "true", "false":
				return json.RawMessage(strings.ToLower(trimmed))
			}
		case "object", "array":
			open := byte('{')
			if t == "array" {
				open = '['
			}
			if len(trimmed) > 0 && trimmed[0] == open && decodable(trimmed) {
				return json.RawMessage(trimmed)
			}
		case "string":
			out, _ := json.Marshal(value)
			return out
		}
	}
	if decodable(trimmed) {
		return json.RawMessage(trimmed)
	}
	out, _ := json.Marshal(value)
	return out
}

// decodable reports whether s is JSON that decodes: valid, and with no
// number beyond a float64 (1e400), which a tool could not read.
func decodable(s string) bool {
	var v any
	return json.Unmarshal([]byte(s), &v) == nil
}

// schemaTypes collects the JSON types a property's schema allows: its
// "type" (a name or a list), the types of its enum's members, and those of
// anyOf/oneOf/allOf branches; a property without any allows a string.
func schemaTypes(prop json.RawMessage) map[string]bool {
	types := map[string]bool{}
	collectTypes(prop, types, 0)
	if len(types) == 0 {
		types["string"] = true
	}
	return types
}

func collectTypes(prop json.RawMessage, types map[string]bool, depth int) {
	if len(prop) == 0 || depth > 8 {
		return
	}
	var s struct {
		Type  json.RawMessage   `json:"type"`
		Enum  []json.RawMessage `json:"enum"`
		AnyOf []json.RawMessage `json:"anyOf"`
		OneOf []json.RawMessage `json:"oneOf"`
		AllOf []json.RawMessage `json:"allOf"`
	}
	if json.Unmarshal(prop, &s) != nil {
		return
	}
	var one string
	var many []string
	if json.Unmarshal(s.Type, &one) == nil {
		types[one] = true
	} else if json.Unmarshal(s.Type, &many) == nil {
		for _, t := range many {
			types[t] = true
		}
	}
	for _, member := range s.Enum {
		types[jsonType(member)] = true
	}
	for _, branches := range [][]json.RawMessage{s.AnyOf, s.OneOf, s.AllOf} {
		for _, b := range branches {
			collectTypes(b, types, depth+1)
		}
	}
}

// jsonType names the JSON type of a literal; integers are "integer".
func jsonType(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "string"
	}
	switch v[0] {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	}
	if bytes.ContainsAny(v, ".eE") {
		return "number"
	}
	return "integer"
}
