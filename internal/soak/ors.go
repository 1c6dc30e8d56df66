package soak

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// orsClient speaks the ORS facade of the server under test, over HTTP.
type orsClient struct {
	base string // http://host:port
	http *http.Client
}

func (r *runState) newORSClient() *orsClient {
	host := strings.TrimSuffix(strings.TrimPrefix(r.url, "ws://"), "/v1/env")
	return &orsClient{base: "http://" + host, http: &http.Client{Timeout: 30 * time.Second}}
}

// errHTTP is an ORS reply with an error status.
type errHTTP struct {
	status int
	detail string
}

func (e *errHTTP) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.detail) }

func (o *orsClient) request(ctx context.Context, path, sid string, body any) (*http.Response, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.base+path, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if sid != "" {
		req.Header.Set("X-Session-ID", sid)
	}
	resp, err := o.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return nil, &errHTTP{resp.StatusCode, strings.TrimSpace(string(data))}
	}
	return resp, nil
}

// events reads an SSE stream up to its end or error event: the task id,
// and the joined chunk and end data. With dropAfterTaskID the stream is
// closed as soon as the task id is read, as a client whose connection fails.
func events(resp *http.Response, dropAfterTaskID bool) (taskID, data string, err error) {
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var name string
	var b strings.Builder
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "event: "):
			name = line[len("event: "):]
		case strings.HasPrefix(line, "data: ") || line == "data:":
			value := strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
			switch name {
			case "task_id":
				taskID = value
				if dropAfterTaskID {
					return taskID, "", nil
				}
			case "chunk":
				b.WriteString(value)
			case "end":
				b.WriteString(value)
				return taskID, b.String(), nil
			case "error":
				return taskID, "", errors.New("error event: " + value)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return taskID, "", err
	}
	return taskID, "", io.ErrUnexpectedEOF
}

// callTool runs one tool call; when drop, the first stream is cut after its
// task id and the result is fetched again by that id.
func (o *orsClient) callTool(ctx context.Context, sid, name string, input any, drop bool) (map[string]any, error) {
	resp, err := o.request(ctx, "/dive/call", sid, map[string]any{"name": name, "input": input})
	if err != nil {
		return nil, err
	}
	taskID, data, err := events(resp, drop)
	if err != nil {
		return nil, err
	}
	if drop {
		resp, err = o.request(ctx, "/dive/call", sid, map[string]any{"name": name, "input": input, "task_id": taskID})
		if err != nil {
			return nil, err
		}
		if _, data, err = events(resp, false); err != nil {
			return nil, err
		}
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(data), &out); err != nil {
		return nil, fmt.Errorf("result %q: %w", data, err)
	}
	if out["ok"] != true {
		return nil, fmt.Errorf("call %s: %v", name, out["error"])
	}
	return out["output"].(map[string]any), nil
}

// orsWorker plays episodes over the ORS facade: a session on a task, the
// calculator, the answer (or, now and then, a session deleted before it);
// at DropRate it cuts a call's stream and fetches the result by task id.
func (r *runState) orsWorker(ctx context.Context, rng *rand.Rand) {
	o := r.newORSClient()
	for ctx.Err() == nil {
		err := r.orsEpisode(ctx, rng, o)
		if err == nil {
			continue
		}
		if ctx.Err() != nil || r.stopping.Load() {
			return // the server is going away: errors are expected
		}
		var he *errHTTP
		if errors.As(err, &he) && he.status == http.StatusTooManyRequests {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		r.unexpected("ors: " + firstLine(err.Error()))
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *runState) orsEpisode(ctx context.Context, rng *rand.Rand, o *orsClient) error {
	resp, err := o.request(ctx, "/create_session", "", map[string]any{})
	if err != nil {
		return err
	}
	sid, _, err := events(resp, false)
	if err != nil || sid == "" {
		return fmt.Errorf("create_session: %q %v", sid, err)
	}
	i := rng.IntN(soakTasks)
	resp, err = o.request(ctx, "/create", sid, map[string]any{"env_name": "dive", "task_spec": map[string]any{"task_id": fmt.Sprintf("soak-%d", i)}})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	resp.Body.Close()
	defer func() {
		if resp, err := o.request(context.WithoutCancel(ctx), "/delete", sid, map[string]any{}); err == nil {
			resp.Body.Close()
		}
	}()
	a, b := 100+i*37, 200+i*53 // the task's question (writeTasks)
	drop := rng.Float64() < r.cfg.DropRate*5
	out, err := o.callTool(ctx, sid, "calculator", map[string]any{"expression": fmt.Sprintf("%d * %d", a, b)}, drop)
	if err != nil {
		return err
	}
	atomic.AddInt64(&r.rep.Steps, 1)
	if drop {
		atomic.AddInt64(&r.rep.ORSReconnects, 1)
	}
	text := out["blocks"].([]any)[0].(map[string]any)["text"].(string)
	var calc struct {
		Result json.Number `json:"result"`
	}
	if err := json.Unmarshal([]byte(text), &calc); err != nil {
		return fmt.Errorf("calculator result %q: %w", text, err)
	}
	if rng.Float64() < 0.1 {
		return nil // deleted unanswered: abandoned, recorded
	}
	out, err = o.callTool(ctx, sid, "submit_answer", map[string]any{"answer": calc.Result.String()}, false)
	if err != nil {
		return err
	}
	atomic.AddInt64(&r.rep.Steps, 1)
	meta, _ := out["metadata"].(map[string]any)
	episode, _ := meta["episode"].(string)
	if out["finished"] != true || out["reward"] != 1.0 || episode == "" {
		r.unexpected(fmt.Sprintf("ors: a right answer gave finished %v, reward %v", out["finished"], out["reward"]))
		return nil
	}
	r.mu.Lock()
	r.finished[episode] = true
	r.mu.Unlock()
	atomic.AddInt64(&r.rep.Episodes, 1)
	atomic.AddInt64(&r.rep.ORSEpisodes, 1)
	return nil
}
