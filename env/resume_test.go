package env

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func withGrace(d time.Duration) func(*EngineConfig, *ServerConfig) {
	return func(_ *EngineConfig, sc *ServerConfig) { sc.ResumeGrace = d }
}

// calculatorTask returns a default task whose toolset has the calculator.
func calculatorTask(t testing.TB, te *testEnv) string {
	t.Helper()
	for _, task := range te.tasks.All() {
		for _, ref := range task.Tools {
			if ref == "general.math.calculator" {
				return task.ID
			}
		}
	}
	t.Fatal("no default task has the calculator")
	return ""
}

func calcMessage(expr string) map[string]any {
	args, _ := json.Marshal(map[string]string{"expression": expr})
	return map[string]any{"role": "assistant", "content": "", "tool_calls": []any{openAICall("c1", "calculator", string(args))}}
}

// TestResumeAfterDrop drops a connection mid-episode; a new connection
// resumes the session and finishes the episode, and a re-sent step is
// answered from the episode's last reply instead of running twice.
func TestResumeAfterDrop(t *testing.T) {
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) {
			te := newTestEnv(t, nil, withGrace(10*time.Second))
			task := calculatorTask(t, te)
			truth, _ := te.tasks.Get(task)
			a := dial(t, te.url, enc.subprotocol)
			hello := a.result(OpHello, nil)
			token, _ := hello["session"].(string)
			if len(token) != 32 || hello["resume_grace_s"] != 10.0 {
				t.Fatalf("hello session %q grace %v", token, hello["resume_grace_s"])
			}
			ep := a.result(OpReset, map[string]any{"task_id": task})["episode"]
			first := a.result(OpStep, map[string]any{"episode": ep, "turn": 1, "message": calcMessage("6*7")})
			a.ws.Close()

			b := dial(t, te.url, enc.subprotocol)
			resumed := b.result(OpHello, map[string]any{"resume": token})
			if resumed["session"] != token {
				t.Fatalf("resumed session %v, want the same token", resumed["session"])
			}
			list, _ := resumed["resumed"].([]any)
			if len(list) != 1 {
				t.Fatalf("resumed = %v", resumed["resumed"])
			}
			r0 := list[0].(map[string]any)
			if r0["episode"] != ep || r0["task_id"] != task || r0["turns"] != 1.0 || r0["done"] != false {
				t.Fatalf("resumed episode %v", r0)
			}
			// The lost-reply case: the client re-sends turn 1 and gets the same reply.
			again := b.result(OpStep, map[string]any{"episode": ep, "turn": 1, "message": calcMessage("6*7")})
			info := again["info"].(map[string]any)
			if info["resent"] != true || info["turn"] != 1.0 {
				t.Fatalf("re-sent step info %v", info)
			}
			if m1, m2 := first["messages"].([]any)[0], again["messages"].([]any)[0]; m1.(map[string]any)["content"] != m2.(map[string]any)["content"] {
				t.Fatalf("re-sent reply differs: %v vs %v", m1, m2)
			}
			if code := errorCode(b.call(OpStep, map[string]any{"episode": ep, "turn": 5, "text": "x"})); code != CodeTurnMismatch {
				t.Fatalf("turn 5 at turn 1: %q", code)
			}
			final := b.result(OpStep, map[string]any{"episode": ep, "turn": 2,
				"message": map[string]any{"role": "assistant", "content": "<answer>" + truth.GroundTruth + "</answer>"}})
			if final["done"] != true || final["reward"].(map[string]any)["score"] != 1.0 {
				t.Fatalf("final step %v", final)
			}
			st := b.result(OpState, map[string]any{"episode": ep})
			if st["turns"] != 2.0 || st["tool_calls"] != 1.0 {
				t.Fatalf("state after resume: turns %v tool_calls %v", st["turns"], st["tool_calls"])
			}
			// The final turn re-sent answers with its reward, not episode_done.
			if again := b.result(OpStep, map[string]any{"episode": ep, "turn": 2, "text": "whatever"}); again["reward"] == nil {
				t.Fatalf("re-sent final step %v", again)
			}
		})
	}
}

// TestResumeTakesOverOpenConnection: a client that noticed a drop before the
// server did resumes; the server drops the old, half-open connection.
func TestResumeTakesOverOpenConnection(t *testing.T) {
	te := newTestEnv(t, nil, withGrace(10*time.Second))
	a := dial(t, te.url, SubprotocolJSON)
	token := a.result(OpHello, nil)["session"]
	ep := a.result(OpReset, map[string]any{"task_id": calculatorTask(t, te)})["episode"]

	b := dial(t, te.url, SubprotocolMsgpack)
	mine := b.result(OpReset, map[string]any{"task_id": calculatorTask(t, te)})["episode"]
	res := b.result(OpHello, map[string]any{"resume": token})
	if len(res["resumed"].([]any)) != 2 {
		t.Fatalf("resumed %v; want the old episode and the one this connection started", res["resumed"])
	}
	select {
	case <-a.readErr:
	case <-time.After(5 * time.Second):
		t.Fatal("the old connection was not closed")
	}
	for _, id := range []any{ep, mine} {
		if st := b.result(OpState, map[string]any{"episode": id}); st["done"] != false {
			t.Fatalf("episode %v: %v", id, st)
		}
	}
	if code := errorCode(b.call(OpHello, map[string]any{"resume": token})); code != CodeBadRequest {
		t.Fatalf("resuming the session this connection holds: %q", code)
	}
}

// TestGraceExpiryAbandons: a session nobody resumes is released after the
// grace period; its running episode is recorded as abandoned, and a late
// resume gets unknown_session.
func TestGraceExpiryAbandons(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traj.jsonl")
	rec, err := OpenRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	te := newTestEnv(t, rec, withGrace(150*time.Millisecond))
	a := dial(t, te.url, SubprotocolJSON)
	token := a.result(OpHello, nil)["session"]
	task := calculatorTask(t, te)
	ep := a.result(OpReset, map[string]any{"task_id": task})["episode"]
	a.result(OpStep, map[string]any{"episode": ep, "message": calcMessage("1+1")})
	done := a.result(OpReset, map[string]any{"task_id": task})["episode"]
	a.result(OpStep, map[string]any{"episode": done, "text": "<answer>no idea</answer>"})
	a.ws.Close()

	deadline := time.Now().Add(5 * time.Second)
	for te.engine.OpenEpisodes() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d episodes still open after the grace period", te.engine.OpenEpisodes())
		}
		time.Sleep(10 * time.Millisecond)
	}
	b := dial(t, te.url, SubprotocolJSON)
	if code := errorCode(b.call(OpHello, map[string]any{"resume": token})); code != CodeUnknownSession {
		t.Fatalf("late resume: %q", code)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reasons := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var tr Trajectory
		if err := json.Unmarshal(sc.Bytes(), &tr); err != nil {
			t.Fatal(err)
		}
		reasons[tr.Episode] = tr.Reason
		if tr.Reason == ReasonAbandoned && (tr.Turns != 1 || len(tr.ToolCalls) != 1 || tr.Reward == nil || tr.Reward.Score != 0) {
			t.Fatalf("abandoned trajectory %+v", tr)
		}
	}
	if reasons[ep.(string)] != ReasonAbandoned || reasons[done.(string)] != ReasonAnswer || len(reasons) != 2 {
		t.Fatalf("trajectory reasons %v", reasons)
	}
}

func TestResumeOff(t *testing.T) {
	te := newTestEnv(t, nil, withGrace(-1))
	a := dial(t, te.url, SubprotocolJSON)
	hello := a.result(OpHello, nil)
	if hello["resume_grace_s"] != 0.0 {
		t.Fatalf("grace %v with resume off", hello["resume_grace_s"])
	}
	if code := errorCode(a.call(OpHello, map[string]any{"resume": hello["session"]})); code != CodeUnknownSession {
		t.Fatalf("resume with resume off: %q", code)
	}
}

// TestScoreOp scores answers without an episode, as TRL's and verl's reward
// functions do.
func TestScoreOp(t *testing.T) {
	te := newTestEnv(t, nil, nil)
	c := dial(t, te.url, SubprotocolMsgpack)
	task := calculatorTask(t, te)
	truth, _ := te.tasks.Get(task)
	right := c.result(OpScore, map[string]any{"task_id": task, "answer": "<answer>" + truth.GroundTruth + "</answer>"})
	if right["task_id"] != task || right["reward"].(map[string]any)["score"] != 1.0 {
		t.Fatalf("right answer: %v", right)
	}
	msgs := []any{
		map[string]any{"role": "user", "content": truth.Question},
		calcMessage("1/0"),
		map[string]any{"role": "tool", "tool_call_id": "c1", "content": "Error (tool_error): division by zero"},
		map[string]any{"role": "assistant", "content": "<answer>wrong</answer>"},
	}
	wrong := c.result(OpScore, map[string]any{"task_id": task, "messages": msgs})
	comp := wrong["reward"].(map[string]any)["components"].(map[string]any)
	if wrong["reward"].(map[string]any)["score"] != 0.0 || comp["turns"] != 2.0 || comp["tool_calls"] != 1.0 || comp["tool_errors"] != 1.0 {
		t.Fatalf("wrong answer from messages: %v", wrong)
	}
	for name, params := range map[string]map[string]any{
		"no task":       {"answer": "1"},
		"unknown task":  {"task_id": "nope", "answer": "1"},
		"both":          {"task_id": task, "answer": "1", "messages": msgs},
		"neither":       {"task_id": task},
		"no assistant":  {"task_id": task, "messages": msgs[:1]},
		"unknown field": {"task_id": task, "answer": "1", "extra": true},
	} {
		want := CodeBadRequest
		if name == "unknown task" {
			want = CodeUnknownTask
		}
		if code := errorCode(c.call(OpScore, params)); code != want {
			t.Errorf("%s: %q, want %q", name, code, want)
		}
	}
}

// TestCloseRunningEpisodeIsRecorded: closing a running episode records its
// partial trajectory, reason "closed", reward 0 (it recorded nothing).
func TestCloseRunningEpisodeIsRecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traj.jsonl")
	rec, err := OpenRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	te := newTestEnv(t, rec, nil)
	c := dial(t, te.url, SubprotocolJSON)
	ep := c.result(OpReset, map[string]any{"task_id": calculatorTask(t, te)})["episode"]
	c.result(OpStep, map[string]any{"episode": ep, "message": calcMessage("1+1")})
	c.result(OpClose, map[string]any{"episode": ep})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tr Trajectory
	if err := json.Unmarshal(b, &tr); err != nil || tr.Episode != ep || tr.Reason != ReasonClosed || tr.Turns != 1 || tr.Reward == nil || tr.Reward.Score != 0 {
		t.Fatalf("the closed episode's trajectory: %v %+v (%s)", err, tr, b)
	}
}
