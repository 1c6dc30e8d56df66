// Package tasks holds the task model (the DIVE reference release's format
// and our superset), loading from JSON arrays and JSONL with positions for
// every problem, validation against the tool pool, and deterministic
// filtering, sampling and splitting.
package tasks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Task is one verifiable tool-use task. The JSON field names are those of the
// DIVE reference release (uuid, question, ground_truth, tools, domain, seed,
// evidence); the rest are our own and optional.
type Task struct {
	// ID is the task's unique id ("uuid" in DIVE files; "id" is accepted too).
	ID string `json:"uuid"`
	// Question is what the user asks.
	Question string `json:"question"`
	// GroundTruth is the reference answer. Numbers and lists in the source
	// file are kept as text (lists joined with "; ").
	GroundTruth string `json:"ground_truth"`
	// Tools are the ids (or unique names) of the task's toolset.
	Tools []string `json:"tools"`
	// Domain is general, biological, academic, medical or financial.
	Domain string `json:"domain,omitempty"`
	// Split is the dataset split (train, test, ...); empty when unassigned.
	Split string `json:"split,omitempty"`
	// Seed is the seed entity the task was derived from.
	Seed json.RawMessage `json:"seed,omitempty"`
	// Evidence is the tool-call evidence the answer is entailed by.
	Evidence json.RawMessage `json:"evidence,omitempty"`
	// SystemPrompt overrides the server's default system prompt.
	SystemPrompt string `json:"system_prompt,omitempty"`
	// Scorer names the reward scorer; empty for the server default.
	Scorer string `json:"scorer,omitempty"`
	// MaxTurns and MaxToolCalls override the server's episode limits when > 0.
	MaxTurns     int `json:"max_turns,omitempty"`
	MaxToolCalls int `json:"max_tool_calls,omitempty"`
	// Metadata carries anything else.
	Metadata map[string]any `json:"metadata,omitempty"`

	// Source is where the task was read from ("file:line"); not serialized.
	Source string `json:"-"`
}

// UnmarshalJSON accepts "id" for "uuid", and numbers, booleans and lists of
// scalars for ground_truth.
func (t *Task) UnmarshalJSON(data []byte) error {
	type plain Task
	var aux struct {
		plain
		AltID       json.RawMessage `json:"id"`
		UUID        json.RawMessage `json:"uuid"`
		GroundTruth json.RawMessage `json:"ground_truth"`
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	*t = Task(aux.plain)
	for _, raw := range []json.RawMessage{aux.UUID, aux.AltID} {
		if t.ID != "" || len(raw) == 0 {
			continue
		}
		id, err := scalarText(raw)
		if err != nil {
			return fmt.Errorf("uuid: %w", err)
		}
		t.ID = id
	}
	if len(aux.GroundTruth) > 0 {
		gt, err := scalarText(aux.GroundTruth)
		if err != nil {
			var parts []json.RawMessage
			if json.Unmarshal(aux.GroundTruth, &parts) != nil {
				return fmt.Errorf("ground_truth: %w", err)
			}
			texts := make([]string, 0, len(parts))
			for _, p := range parts {
				s, err := scalarText(p)
				if err != nil {
					return fmt.Errorf("ground_truth list: %w", err)
				}
				texts = append(texts, s)
			}
			gt = strings.Join(texts, "; ")
		}
		t.GroundTruth = gt
	}
	return nil
}

// scalarText returns a JSON string, number or boolean as text.
func scalarText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case 't', 'f':
		var b bool
		err := json.Unmarshal(raw, &b)
		return strconv.FormatBool(b), err
	case '[', '{':
		return "", fmt.Errorf("expected a string or number, got %s", raw[:1])
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", err
	}
	return n.String(), nil
}

// Summary is what listing operations show of a task: never the answer.
type Summary struct {
	ID       string `json:"id"`
	Domain   string `json:"domain,omitempty"`
	Split    string `json:"split,omitempty"`
	Question string `json:"question"`
	Tools    int    `json:"tools"`
}

// Summary returns the task's summary.
func (t *Task) Summary() Summary {
	return Summary{ID: t.ID, Domain: t.Domain, Split: t.Split, Question: t.Question, Tools: len(t.Tools)}
}
