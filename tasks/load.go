package tasks

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Problem is one thing wrong with a task file, with where it is.
type Problem struct {
	// Source is "file:line" (line of the task's first character).
	Source string `json:"source"`
	// TaskID is the task's id when known.
	TaskID string `json:"task_id,omitempty"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Warning marks a problem that does not stop the task from being served.
	Warning bool `json:"warning,omitempty"`
}

func (p Problem) String() string {
	kind := "error"
	if p.Warning {
		kind = "warning"
	}
	if p.TaskID != "" {
		return fmt.Sprintf("%s: %s: task %s: %s", p.Source, kind, p.TaskID, p.Message)
	}
	return fmt.Sprintf("%s: %s: %s", p.Source, kind, p.Message)
}

// ProblemsError carries every problem found; it is returned when any problem
// is an error (not a warning).
type ProblemsError struct {
	Problems []Problem
}

func (e *ProblemsError) Error() string {
	var errs []string
	for _, p := range e.Problems {
		if !p.Warning {
			errs = append(errs, p.String())
		}
	}
	if len(errs) > 10 {
		errs = append(errs[:10], fmt.Sprintf("... and %d more", len(errs)-10))
	}
	return fmt.Sprintf("%d problem(s) in tasks:\n  %s", len(errs), strings.Join(errs, "\n  "))
}

// Parse reads tasks from data, a JSON array of task objects or JSONL (one
// object per line; blank lines skipped). name labels positions in problems.
// Decoding problems are returned as Problems; the tasks that decoded are
// returned too.
func Parse(name string, data []byte) ([]Task, []Problem) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return parseArray(name, data)
	}
	return parseLines(name, data)
}

func parseLines(name string, data []byte) ([]Task, []Problem) {
	var out []Task
	var problems []Problem
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		src := fmt.Sprintf("%s:%d", name, line)
		var t Task
		if err := json.Unmarshal(text, &t); err != nil {
			problems = append(problems, Problem{Source: src, Message: "invalid JSON: " + err.Error()})
			continue
		}
		t.Source = src
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, Problem{Source: fmt.Sprintf("%s:%d", name, line+1), Message: "read: " + err.Error()})
	}
	return out, problems
}

func parseArray(name string, data []byte) ([]Task, []Problem) {
	dec := json.NewDecoder(bytes.NewReader(data))
	lineAt := func(offset int64) int { return 1 + bytes.Count(data[:offset], []byte("\n")) }
	if _, err := dec.Token(); err != nil {
		return nil, []Problem{{Source: name + ":1", Message: "invalid JSON: " + err.Error()}}
	}
	var out []Task
	var problems []Problem
	for dec.More() {
		start := dec.InputOffset()
		// InputOffset is just past the previous token; skip separators to the element.
		for start < int64(len(data)) && strings.ContainsRune(" \t\r\n,", rune(data[start])) {
			start++
		}
		src := fmt.Sprintf("%s:%d", name, lineAt(start))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			problems = append(problems, Problem{Source: src, Message: "invalid JSON: " + err.Error()})
			return out, problems
		}
		var t Task
		if err := json.Unmarshal(raw, &t); err != nil {
			problems = append(problems, Problem{Source: src, Message: "invalid task: " + err.Error()})
			continue
		}
		t.Source = src
		out = append(out, t)
	}
	if _, err := dec.Token(); err != nil && !errors.Is(err, io.EOF) {
		problems = append(problems, Problem{Source: fmt.Sprintf("%s:%d", name, lineAt(dec.InputOffset())), Message: "invalid JSON: " + err.Error()})
	}
	return out, problems
}

// ReadFile reads tasks from a .json or .jsonl file (decided by content).
func ReadFile(path string) ([]Task, []Problem, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read tasks: %w", err)
	}
	ts, problems := Parse(filepath.Base(path), data)
	return ts, problems, nil
}
