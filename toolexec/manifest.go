// Package toolexec holds the tool pool: tool manifests in the DIVE reference
// format, the registry that resolves and validates tool calls, and the
// Executor interface that runs them.
//
// A tool is a Manifest (what the model sees: name, description, JSON Schema
// parameters) bound to an Executor (what runs it). Manifests without an
// executor are still listed, with the reason they cannot run here.
package toolexec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Manifest describes one tool in the DIVE reference release's format, plus
// the optional Executor field of our own that names the executor kind.
type Manifest struct {
	// ID is the globally unique tool id, e.g. "biological.bio_seq.bio_seq_translate".
	ID string `json:"id"`
	// Name is the function name the model calls. Names are unique within a toolset,
	// not across the whole pool.
	Name string `json:"name"`
	// Domain is one of general, biological, academic, medical, financial (or any other label).
	Domain      string `json:"domain"`
	Source      string `json:"source,omitempty"`
	Version     string `json:"version,omitempty"`
	Description string `json:"description"`
	// Module is the reference release's Python implementation path; kept for provenance.
	Module string         `json:"module,omitempty"`
	Auth   map[string]any `json:"auth,omitempty"`
	Meta   map[string]any `json:"meta,omitempty"`
	// Parameters is the JSON Schema (type object) of the call arguments.
	Parameters json.RawMessage `json:"parameters"`
	// OutputSchema optionally describes the result.
	OutputSchema json.RawMessage `json:"output_schema,omitempty"`
	// Executor names the executor kind that runs this tool ("builtin", ...);
	// empty in reference manifests.
	Executor string `json:"executor,omitempty"`
}

// Group returns the manifest's group: the middle part of a three-part id
// ("biological.bio_seq.bio_seq_translate" → "bio_seq"), or "" when the id has
// no such part.
func (m *Manifest) Group() string {
	parts := strings.Split(m.ID, ".")
	if len(parts) == 3 {
		return parts[1]
	}
	return ""
}

// AuthType returns the manifest's auth type ("none", "token", "api_key"), or "none".
func (m *Manifest) AuthType() string {
	if t, ok := m.Auth["type"].(string); ok && t != "" {
		return t
	}
	return "none"
}

// Check reports what is wrong with a manifest, or nil.
func (m *Manifest) Check() error {
	var problems []string
	if m.ID == "" {
		problems = append(problems, "missing id")
	}
	if m.Name == "" {
		problems = append(problems, "missing name")
	} else if !validFunctionName(m.Name) {
		problems = append(problems, fmt.Sprintf("name %q is not a valid function name ([A-Za-z0-9_-]{1,64})", m.Name))
	}
	if len(bytes.TrimSpace(m.Parameters)) == 0 {
		problems = append(problems, "missing parameters schema")
	}
	if len(problems) > 0 {
		return fmt.Errorf("manifest %q: %s", m.ID, strings.Join(problems, "; "))
	}
	return nil
}

func validFunctionName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		ok := r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// ParseManifests decodes manifests from data in any of the layouts the
// reference release and our own files use: an object mapping group names to
// arrays of manifests (the reference's per-domain files), an array of
// manifests, or a single manifest object.
func ParseManifests(data []byte) ([]Manifest, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("empty manifest document")
	}
	switch data[0] {
	case '[':
		var list []Manifest
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("decode manifest array: %w", err)
		}
		return list, nil
	case '{':
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(data, &probe); err != nil {
			return nil, fmt.Errorf("decode manifest object: %w", err)
		}
		if _, single := probe["parameters"]; single {
			var m Manifest
			if err := json.Unmarshal(data, &m); err != nil {
				return nil, fmt.Errorf("decode manifest: %w", err)
			}
			return []Manifest{m}, nil
		}
		groups := make([]string, 0, len(probe))
		for g := range probe {
			groups = append(groups, g)
		}
		sort.Strings(groups)
		var out []Manifest
		for _, g := range groups {
			var list []Manifest
			if err := json.Unmarshal(probe[g], &list); err != nil {
				return nil, fmt.Errorf("decode manifest group %q: %w", g, err)
			}
			out = append(out, list...)
		}
		return out, nil
	default:
		return nil, errors.New("manifest document is neither a JSON object nor an array")
	}
}

// ReadManifests reads manifests from a file, or from every *.json file of a
// directory (in name order).
func ReadManifests(path string) ([]Manifest, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	files := []string{path}
	if info.IsDir() {
		files, err = filepath.Glob(filepath.Join(path, "*.json"))
		if err != nil {
			return nil, fmt.Errorf("read manifests %s: %w", path, err)
		}
		sort.Strings(files)
	}
	var all []Manifest
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read manifests: %w", err)
		}
		list, err := ParseManifests(data)
		if err != nil {
			return nil, fmt.Errorf("read manifests %s: %w", f, err)
		}
		all = append(all, list...)
	}
	return all, nil
}

// CompareParameters reports how two manifests' parameters differ in the ways
// a caller notices: parameter names, JSON types and the required list (not
// descriptions, defaults or bounds). It is how our tools are checked against
// the reference release's manifests of the same id.
func CompareParameters(ours, theirs Manifest) []string {
	type shape struct {
		Required   []string `json:"required"`
		Properties map[string]struct {
			Type any `json:"type"`
		} `json:"properties"`
	}
	var a, b shape
	if err := json.Unmarshal(ours.Parameters, &a); err != nil {
		return []string{"our parameters: " + err.Error()}
	}
	if err := json.Unmarshal(theirs.Parameters, &b); err != nil {
		return []string{"their parameters: " + err.Error()}
	}
	var diffs []string
	sort.Strings(a.Required)
	sort.Strings(b.Required)
	if strings.Join(a.Required, ",") != strings.Join(b.Required, ",") {
		diffs = append(diffs, fmt.Sprintf("required %v, reference %v", a.Required, b.Required))
	}
	for name, p := range b.Properties {
		q, ok := a.Properties[name]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("reference parameter %q missing", name))
		case fmt.Sprint(q.Type) != fmt.Sprint(p.Type):
			diffs = append(diffs, fmt.Sprintf("parameter %q has type %v, reference %v", name, q.Type, p.Type))
		}
	}
	for name := range a.Properties {
		if _, ok := b.Properties[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("parameter %q is not in the reference", name))
		}
	}
	sort.Strings(diffs)
	return diffs
}
