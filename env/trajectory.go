package env

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/dive-env/dive/reward"
)

// Trajectory is the record of one finished episode: one JSONL line of the
// --trajectories file. Messages are in OpenAI chat format, ready for SFT.
type Trajectory struct {
	Episode        string         `json:"episode"`
	TaskID         string         `json:"task_id"`
	Domain         string         `json:"domain,omitempty"`
	Split          string         `json:"split,omitempty"`
	Messages       []Message      `json:"messages"`
	Tools          []ToolSchema   `json:"tools"`
	ToolCalls      []CallRecord   `json:"tool_calls"`
	ToolCallFormat string         `json:"tool_call_format"`
	Turns          int            `json:"turns"`
	Reason         string         `json:"reason"`
	Reward         *reward.Result `json:"reward"`
	GroundTruth    string         `json:"ground_truth"`
	Seed           *uint64        `json:"seed,omitempty"`
	StartedAt      time.Time      `json:"started_at"`
	EndedAt        time.Time      `json:"ended_at"`
	DurationMS     float64        `json:"duration_ms"`
}

// Recorder appends trajectories to a JSONL file, one line per episode,
// written whole with one write call so lines never interleave. It is safe
// for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// OpenRecorder opens (creating or appending to) a trajectory file.
func OpenRecorder(path string) (*Recorder, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open trajectories: %w", err)
	}
	return &Recorder{f: f, path: path}, nil
}

// Record appends one trajectory as a line and hands it to the kernel before
// returning, so it survives a crash of the server process.
func (r *Recorder) Record(t *Trajectory) error {
	line, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode trajectory %s: %w", t.Episode, err)
	}
	line = append(line, '\n')
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.f.Write(line); err != nil {
		return fmt.Errorf("append trajectory to %s: %w", r.path, err)
	}
	return nil
}

// Close syncs and closes the file.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.f.Sync(); err != nil {
		r.f.Close()
		return fmt.Errorf("sync trajectories: %w", err)
	}
	return r.f.Close()
}

// ReadTrajectories reads a trajectory file. A line that does not decode (the
// torn last line of a crash mid-write, or a foreign line) is skipped; a
// missing file is no trajectories.
func ReadTrajectories(path string) ([]Trajectory, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read trajectories: %w", err)
	}
	defer f.Close()
	var out []Trajectory
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for sc.Scan() {
		var t Trajectory
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			continue
		}
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read trajectories %s: %w", path, err)
	}
	return out, nil
}
