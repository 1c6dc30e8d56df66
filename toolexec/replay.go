package toolexec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ReplayMode says how a Registry uses its Store.
type ReplayMode string

// The record/replay modes.
const (
	ReplayOff      ReplayMode = "off"              // live calls only
	ReplayRecord   ReplayMode = "record"           // live calls, each result stored
	ReplayOnly     ReplayMode = "replay"           // stored results only; a call never recorded fails
	ReplayThenLive ReplayMode = "replay-then-live" // stored results, else a live call that is then stored
)

// ParseReplayMode checks a mode name.
func ParseReplayMode(s string) (ReplayMode, error) {
	switch m := ReplayMode(s); m {
	case ReplayOff, ReplayRecord, ReplayOnly, ReplayThenLive:
		return m, nil
	case "":
		return ReplayOff, nil
	}
	return "", fmt.Errorf("unknown record/replay mode %q (off, record, replay, replay-then-live)", s)
}

// ErrReplayMiss is the kind of result of a call that replay mode has no recording for.
const ErrReplayMiss ErrorKind = "replay_miss"

// Recording is one stored tool result: a plain JSON file a person can read.
type Recording struct {
	Tool       string          `json:"tool"`
	Arguments  json.RawMessage `json:"arguments"`
	Output     string          `json:"output,omitempty"`
	Error      *CallError      `json:"error,omitempty"`
	RecordedAt time.Time       `json:"recorded_at"`
}

// Store keeps recordings in a directory: one file per tool id and
// canonical arguments, at DIR/TOOL_ID/SHA256.json. It is safe for
// concurrent use (files are written whole, then renamed into place).
type Store struct {
	dir string
}

// OpenStore opens (creating) a recording directory.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open tool store: %w", err)
	}
	return &Store{dir: dir}, nil
}

// CanonicalArguments re-encodes JSON arguments with sorted keys, no
// insignificant space, and numbers as written, so equal arguments share a key.
func CanonicalArguments(args json.RawMessage) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(args)
	if len(trimmed) == 0 {
		trimmed = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical arguments: %w", err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canonical arguments: %w", err)
	}
	return out, nil
}

func (s *Store) path(toolID string, canonical json.RawMessage) string {
	sum := sha256.Sum256(append(append([]byte(toolID), 0), canonical...))
	return filepath.Join(s.dir, safeName(toolID), hex.EncodeToString(sum[:])+".json")
}

// safeName keeps a tool id usable as a directory name.
func safeName(id string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, id)
}

// Lookup returns the recording of a call, or false.
func (s *Store) Lookup(toolID string, args json.RawMessage) (*Recording, bool, error) {
	canonical, err := CanonicalArguments(args)
	if err != nil {
		return nil, false, err
	}
	data, err := os.ReadFile(s.path(toolID, canonical))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read recording: %w", err)
	}
	var rec Recording
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, false, fmt.Errorf("recording %s is damaged: %w", s.path(toolID, canonical), err)
	}
	return &rec, true, nil
}

// Save stores the result of a call.
func (s *Store) Save(toolID string, args json.RawMessage, res Result) error {
	canonical, err := CanonicalArguments(args)
	if err != nil {
		return err
	}
	rec := Recording{Tool: toolID, Arguments: canonical, Output: res.Output, Error: res.Err, RecordedAt: time.Now().UTC()}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("encode recording: %w", err)
	}
	path := s.path(toolID, canonical)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save recording: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".rec-*")
	if err != nil {
		return fmt.Errorf("save recording: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("save recording: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save recording: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save recording: %w", err)
	}
	return nil
}

// recordable reports whether a result is worth keeping: an output or the
// tool's own error, not a timeout, a crash or an unavailable tool.
func recordable(res Result) bool {
	return res.Err == nil || res.Err.Kind == ErrToolFailed
}

// replayable reports whether a tool's results may be recorded and replayed:
// not those of stateful executors, whose result depends on earlier calls.
func replayable(t *Tool) bool {
	_, stateful := t.exec.(SessionCloser)
	return !stateful
}
