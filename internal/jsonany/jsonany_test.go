package jsonany

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
)

// reference decodes data as encoding/json does with UseNumber, rejecting
// trailing data: the decoder Parse must agree with.
func reference(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, io.ErrUnexpectedEOF
	}
	return v, nil
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any // nil with ok false: Parse gives up
		ok   bool
	}{
		{"object", `{"expression": "2 + 3 * 4"}`, map[string]any{"expression": "2 + 3 * 4"}, true},
		{"empty object", " {} ", map[string]any{}, true},
		{"nested", `{"a":[1,-2.5e3,true,false,null,{"b":[]}]}`, map[string]any{"a": []any{json.Number("1"), json.Number("-2.5e3"), true, false, nil, map[string]any{"b": []any{}}}}, true},
		{"escapes", `{"q":"line\n\t\"quoted\" a\\b \/"}`, map[string]any{"q": "line\n\t\"quoted\" a\\b /"}, true},
		{"utf-8", `{"name":"Müller – 東京"}`, map[string]any{"name": "Müller – 東京"}, true},
		{"repeated key keeps the last", `{"a":1,"a":2}`, map[string]any{"a": json.Number("2")}, true},
		{"zero and exponent", `[0, -0, 0.5, 1E+2, 3e-1]`, []any{json.Number("0"), json.Number("-0"), json.Number("0.5"), json.Number("1E+2"), json.Number("3e-1")}, true},
		{"top-level scalar", `"x"`, "x", true},
		{"unicode escape is left to encoding/json", `{"a":"\u00e9"}`, nil, false},
		{"invalid utf-8 is left to encoding/json", "{\"a\":\"\xff\"}", nil, false},
		{"trailing data", `{} {}`, nil, false},
		{"trailing comma", `{"a":1,}`, nil, false},
		{"leading zero", `[01]`, nil, false},
		{"bare fraction", `[1.]`, nil, false},
		{"control character in a string", "[\"a\x01\"]", nil, false},
		{"unterminated", `{"a":"b`, nil, false},
		{"single quotes", `{'a':1}`, nil, false},
		{"empty", ``, nil, false},
		{"too deep", strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Parse([]byte(tt.in))
			if ok != tt.ok {
				t.Fatalf("Parse(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			if ok {
				ref, err := reference([]byte(tt.in))
				if err != nil || !reflect.DeepEqual(ref, got) {
					t.Fatalf("encoding/json gives %#v, %v", ref, err)
				}
			}
		})
	}
}

// FuzzParse checks that Parse accepts only what encoding/json accepts, and
// decodes it to the same value.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"expression":"1+2"}`, `[1,2.5,-3e4,"x\n",true,null]`, `{"a":{"b":[{}]}}`, `"\u00e9"`, `{"a":1,}`, "  0 ", `-`, `1e`, `{"k":"\\/"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := Parse(data)
		if !ok {
			return
		}
		ref, err := reference(data)
		if err != nil {
			t.Fatalf("Parse accepted %q, which encoding/json rejects: %v", data, err)
		}
		if !reflect.DeepEqual(got, ref) {
			t.Fatalf("Parse(%q) = %#v, encoding/json gives %#v", data, got, ref)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	args := []byte(`{"expression": "(17 + 4) * 3 - 12 / 4", "precision": 6, "units": ["m", "s"], "strict": true}`)
	b.Run("jsonany", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := Parse(args); !ok {
				b.Fatal("not parsed")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reference(args); err != nil {
				b.Fatal(err)
			}
		}
	})
}
