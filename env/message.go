package env

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Message is an OpenAI chat message.
type Message struct {
	Role       string     `json:"role"`
	Content    Content    `json:"content"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	Name       string     `json:"name,omitempty"`
}

// ToolCall is an OpenAI tool call.
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function and carries its arguments.
type FunctionCall struct {
	Name      string    `json:"name"`
	Arguments Arguments `json:"arguments"`
}

// Content is message text. On input it accepts a string, null, or an array
// of OpenAI content parts (their text parts are joined); it is sent as a string.
type Content string

// UnmarshalJSON implements json.Unmarshaler.
func (c *Content) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	s, err := contentText(v)
	*c = Content(s)
	return err
}

// DecodeMsgpack implements msgpack.CustomDecoder.
func (c *Content) DecodeMsgpack(dec *msgpack.Decoder) error {
	v, err := dec.DecodeInterface()
	if err != nil {
		return err
	}
	s, err := contentText(v)
	*c = Content(s)
	return err
}

func contentText(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case []any:
		var b strings.Builder
		for _, part := range x {
			p, ok := part.(map[string]any)
			if !ok {
				return "", fmt.Errorf("content part must be an object, got %T", part)
			}
			if t, _ := p["type"].(string); t != "text" {
				return "", fmt.Errorf("content part of type %q is not supported (only text)", p["type"])
			}
			text, _ := p["text"].(string)
			b.WriteString(text)
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("content must be a string, null or an array of text parts, got %T", v)
}

// Arguments are a tool call's arguments as JSON text. On input they may be
// the OpenAI string form or a JSON object; they are sent as a string.
type Arguments string

// UnmarshalJSON implements json.Unmarshaler.
func (a *Arguments) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = Arguments(s)
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		*a = ""
		return nil
	}
	*a = Arguments(b)
	return nil
}

// DecodeMsgpack implements msgpack.CustomDecoder.
func (a *Arguments) DecodeMsgpack(dec *msgpack.Decoder) error {
	if c, err := dec.PeekCode(); err == nil && msgpcode.IsString(c) { // the usual OpenAI string form
		s, err := dec.DecodeString()
		*a = Arguments(s)
		return err
	}
	v, err := dec.DecodeInterface()
	if err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*a = ""
	case string:
		*a = Arguments(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Errorf("arguments: %w", err)
		}
		*a = Arguments(b)
	}
	return nil
}

// parsedCall is one tool call taken from an assistant turn. Err is set for a
// call that could not be parsed (the model sees it as a failed call).
type parsedCall struct {
	ID        string
	Name      string
	Arguments string
	Err       string
	// XML holds the parameters of a call written in the XML layout
	// (xmlcall.go), to be typed by the tool's schema; Arguments is then
	// empty until the episode fills it in.
	XML   []xmlParam
	IsXML bool
}

const (
	hermesOpen  = "<tool_call>"
	hermesClose = "</tool_call>"
)

// parseHermes splits Qwen/Hermes-style text into its plain content and the
// calls in its <tool_call>{"name": ..., "arguments": ...}</tool_call> blocks,
// or in the XML layout of Qwen3-Coder and Qwen3.5
// (<tool_call><function=NAME><parameter=KEY>VALUE</parameter></function></tool_call>).
// A block that is not valid JSON, or is not closed, becomes a call with Err.
func parseHermes(text string) (content string, calls []parsedCall) {
	var plain strings.Builder
	rest := text
	for {
		i := strings.Index(rest, hermesOpen)
		if i < 0 {
			plain.WriteString(rest)
			break
		}
		plain.WriteString(rest[:i])
		rest = rest[i+len(hermesOpen):]
		j := strings.Index(rest, hermesClose)
		var body string
		if j < 0 {
			body, rest = rest, ""
		} else {
			body, rest = rest[:j], rest[j+len(hermesClose):]
		}
		call := parsedCall{}
		if j < 0 {
			call.Err = "the <tool_call> block is not closed with </tool_call>"
			call.Arguments = strings.TrimSpace(body)
		} else if isXMLCall(body) {
			name, params, err := parseXMLCall(body)
			if err != nil {
				call.Err = "the <tool_call> block's <function=...> call is malformed: " + err.Error()
				call.Arguments = strings.TrimSpace(body)
			} else {
				call.Name, call.XML, call.IsXML = name, params, true
			}
		} else {
			var raw struct {
				Name      string          `json:"name"`
				Arguments json.RawMessage `json:"arguments"`
			}
			if err := json.Unmarshal([]byte(strings.TrimSpace(body)), &raw); err != nil {
				call.Err = fmt.Sprintf("the <tool_call> block is not valid JSON: %v", err)
				call.Arguments = strings.TrimSpace(body)
			} else {
				call.Name = raw.Name
				var args Arguments
				if len(raw.Arguments) > 0 {
					if err := args.UnmarshalJSON(raw.Arguments); err != nil {
						call.Err = fmt.Sprintf("the arguments are not valid JSON: %v", err)
					}
				}
				call.Arguments = string(args)
				if call.Name == "" && call.Err == "" {
					call.Err = `the <tool_call> block has no "name"`
				}
			}
		}
		calls = append(calls, call)
		if j < 0 {
			break
		}
	}
	return strings.TrimSpace(plain.String()), calls
}
