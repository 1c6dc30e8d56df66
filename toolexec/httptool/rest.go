package httptool

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/dive-env/dive/toolexec"
)

// httpTool is one remote-API tool: its manifest and how a call becomes a
// request. Arguments named in the endpoint's {braces} fill the path; array
// arguments of a POST tool form its JSON body; the rest become the query
// string under the API's own parameter names.
type httpTool struct {
	id, description, params string
	name                    string     // the tool name when it is not the id's last part
	source                  string     // the API, for the manifest
	endpoint                string     // absolute URL, with {name} path parameters
	method                  string     // GET (default) or POST
	fixed                   url.Values // parameters every request carries (retmode=json ...)
	// queryPrefix is prepended to a search_query that names no field (arXiv: "au:").
	queryPrefix string
	// pathValue normalizes a path parameter (OpenAlex: a full https://openalex.org/W… URL to its id).
	pathValue func(string) string
	// prepare adds what the API asks of callers: keys, contact addresses.
	prepare func(r *Request, getenv func(string) string)
	// decode turns a response into the tool's result; nil returns JSON as
	// JSON and anything else as text.
	decode func(body []byte, mediaType string) (any, error)
}

func (t httpTool) manifest() toolexec.Manifest {
	parts := strings.Split(t.id, ".")
	name := t.name
	if name == "" {
		name = parts[len(parts)-1]
	}
	return toolexec.Manifest{ID: t.id, Name: name, Domain: parts[0], Source: t.source, Version: "1.0.0",
		Description: t.description, Module: "http:" + t.endpoint, Auth: map[string]any{"type": "none"},
		Meta: map[string]any{"upstream_api": t.endpoint}, Parameters: json.RawMessage(t.params), Executor: "http"}
}

var pathParamRe = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// pathParams are the names in the endpoint's braces.
func (t httpTool) pathParams() []string {
	var out []string
	for _, m := range pathParamRe.FindAllStringSubmatch(t.endpoint, -1) {
		out = append(out, m[1])
	}
	return out
}

// escapePath percent-encodes a path parameter segment by segment, so a DOI
// such as 10.1000/xyz keeps its slash as the APIs expect.
func escapePath(v string) string {
	parts := strings.Split(v, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

func decodeArgs(args json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode arguments: %w", err)
	}
	return m, nil
}

func scalar(k string, v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", fmt.Errorf("argument %s must be a string, number or boolean", k)
}

// request builds the upstream request of a call.
func (t httpTool) request(args json.RawMessage) (Request, error) {
	m, err := decodeArgs(args)
	if err != nil {
		return Request{}, err
	}
	r := Request{Method: t.method, Query: url.Values{}, Header: http.Header{}}
	endpoint := t.endpoint
	for _, name := range t.pathParams() {
		v, ok := m[name]
		if !ok {
			return Request{}, fmt.Errorf("missing argument %s", name)
		}
		s, err := scalar(name, v)
		if err != nil {
			return Request{}, err
		}
		s = strings.TrimSpace(s)
		if t.pathValue != nil {
			s = t.pathValue(s)
		}
		if s == "" || s == "." || s == ".." {
			return Request{}, fmt.Errorf("argument %s is empty", name)
		}
		endpoint = strings.ReplaceAll(endpoint, "{"+name+"}", escapePath(s))
		delete(m, name)
	}
	r.Endpoint = endpoint
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	body := map[string]any{}
	for _, k := range keys {
		switch v := m[k].(type) {
		case nil:
		case []any:
			if t.method == http.MethodPost {
				body[k] = v
				continue
			}
			var items []string
			for _, item := range v {
				s, err := scalar(k, item)
				if err != nil {
					return Request{}, err
				}
				items = append(items, s)
			}
			r.Query.Set(k, strings.Join(items, ","))
		default:
			s, err := scalar(k, v)
			if err != nil {
				return Request{}, err
			}
			if k == "search_query" && t.queryPrefix != "" && !strings.Contains(s, ":") {
				s = t.queryPrefix + s
			}
			r.Query.Set(k, s)
		}
	}
	if len(body) > 0 {
		r.JSONBody = body
	}
	for k, vs := range t.fixed {
		if r.Query.Get(k) == "" {
			r.Query[k] = vs
		}
	}
	return r, nil
}

func (t httpTool) executor(c *Client, getenv func(string) string) toolexec.Executor {
	return toolexec.ExecutorFunc(func(ctx context.Context, args json.RawMessage) (any, error) {
		req, err := t.request(args)
		if err != nil {
			return nil, err
		}
		if t.prepare != nil {
			t.prepare(&req, getenv)
		}
		body, mediaType, err := c.Do(ctx, req)
		if err != nil {
			return nil, err
		}
		if t.decode != nil && mediaType != "text/plain" {
			return t.decode(body, mediaType)
		}
		return result(body, mediaType), nil
	})
}

// schema builds a tool's parameter schema from a group's parameter
// dictionary: names ending in "!" are required.
func schema(dict map[string]string, names ...string) string {
	var props, req []string
	for _, n := range names {
		name, required := strings.CutSuffix(n, "!")
		s, ok := dict[name]
		if !ok {
			panic("httptool: no schema for parameter " + name)
		}
		props = append(props, fmt.Sprintf("%q: %s", name, s))
		if required {
			req = append(req, fmt.Sprintf("%q", name))
		}
	}
	return `{"type": "object", "required": [` + strings.Join(req, ", ") + `], "additionalProperties": false, "properties": {` +
		strings.Join(props, ", ") + `}}`
}

// str, integer and enum write parameter schemas.
func str(desc string) string {
	return fmt.Sprintf(`{"type": "string", "minLength": 1, "description": %q}`, desc)
}
func integer(desc string, min, max, def int) string {
	s := fmt.Sprintf(`{"type": "integer", "minimum": %d, "description": %q`, min, desc)
	if max > 0 {
		s += fmt.Sprintf(`, "maximum": %d`, max)
	}
	if def >= 0 {
		s += fmt.Sprintf(`, "default": %d`, def)
	}
	return s + "}"
}
func enum(desc string, values ...string) string {
	b, _ := json.Marshal(values)
	return fmt.Sprintf(`{"type": "string", "enum": %s, "description": %q}`, b, desc)
}
