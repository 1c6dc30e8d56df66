package env

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// mixedEngine serves one task with an inline tool (echo) and one that runs
// on a goroutine of its own (sleep).
func mixedEngine(t *testing.T) *Engine {
	t.Helper()
	reg := toolexec.NewRegistry(toolexec.Options{})
	echo := toolexec.InlineFunc(func(ctx context.Context, args json.RawMessage) (any, error) {
		return map[string]any{"echo": string(args)}, nil
	})
	sleep := sleepExecutor()
	for _, tool := range []struct {
		id, name string
		exec     toolexec.Executor
		params   string
	}{
		{"test.echo", "echo", echo, `{"type":"object"}`},
		{"test.sleep", "sleep", sleep, `{"type":"object","required":["ms"],"properties":{"ms":{"type":"integer","minimum":0,"maximum":10000}}}`},
	} {
		if err := reg.Register(toolexec.Manifest{ID: tool.id, Name: tool.name, Domain: "test", Description: tool.name, Parameters: json.RawMessage(tool.params)}, tool.exec, ""); err != nil {
			t.Fatal(err)
		}
	}
	set, err := tasks.NewSet([]tasks.Task{{ID: "mixed", Question: "Echo, sleep, then say done.", GroundTruth: "done", Tools: []string{"test.echo", "test.sleep"}}})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine(DefaultEngineConfig(), set, reg, reward.NewRegistry(), nil, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func callsMessage(names ...string) *Message {
	m := &Message{Role: "assistant"}
	for i, n := range names {
		args := `{}`
		if n == "sleep" {
			args = `{"ms": 1}`
		}
		m.ToolCalls = append(m.ToolCalls, ToolCall{ID: string(rune('a' + i)), Type: "function", Function: FunctionCall{Name: n, Arguments: Arguments(args)}})
	}
	return m
}

// TestQuickStep: only a step whose calls all run inline, and that cannot
// end its episode, is one the reader may run itself.
func TestQuickStep(t *testing.T) {
	eng := mixedEngine(t)
	ctx := context.Background()
	open := func(opts EpisodeOptions) string {
		r, perr := eng.Reset(ctx, ResetParams{TaskID: "mixed", Options: opts})
		if perr != nil {
			t.Fatal(perr)
		}
		return r.Episode
	}
	ep := open(EpisodeOptions{})
	twoTurns := open(EpisodeOptions{MaxTurns: 2})
	if _, perr := eng.Step(ctx, StepParams{Episode: twoTurns, Message: callsMessage("echo")}); perr != nil {
		t.Fatal(perr)
	}
	fewCalls := open(EpisodeOptions{MaxToolCalls: 2})
	oneInvalidLeft := open(EpisodeOptions{MaxConsecutiveInvalidToolCalls: 2})
	if _, perr := eng.Step(ctx, StepParams{Episode: oneInvalidLeft, Message: callsMessage("nope")}); perr != nil {
		t.Fatal(perr)
	}
	invalidsLeft := open(EpisodeOptions{MaxConsecutiveInvalidToolCalls: 3})
	ended := open(EpisodeOptions{})
	if _, perr := eng.Step(ctx, StepParams{Episode: ended, Message: &Message{Role: "assistant", Content: "done"}}); perr != nil {
		t.Fatal(perr)
	}
	text := "<tool_call>{\"name\": \"echo\", \"arguments\": {}}</tool_call>"
	for _, tc := range []struct {
		name  string
		p     StepParams
		quick bool
	}{
		{"inline call", StepParams{Episode: ep, Message: callsMessage("echo")}, true},
		{"two inline calls", StepParams{Episode: ep, Message: callsMessage("echo", "echo")}, true},
		{"a call on its own goroutine", StepParams{Episode: ep, Message: callsMessage("echo", "sleep")}, false},
		{"unknown tool", StepParams{Episode: ep, Message: callsMessage("nope")}, false},
		{"an answer (scored)", StepParams{Episode: ep, Message: &Message{Role: "assistant", Content: "done"}}, false},
		{"text (parsed on the worker)", StepParams{Episode: ep, Text: &text}, false},
		{"the last turn (ends the episode)", StepParams{Episode: twoTurns, Message: callsMessage("echo")}, false},
		{"the call budget spent (ends the episode)", StepParams{Episode: fewCalls, Message: callsMessage("echo", "echo")}, false},
		{"an ended episode", StepParams{Episode: ended, Message: callsMessage("echo")}, false},
		{"a call that, if invalid, ends the run of invalid calls' episode", StepParams{Episode: oneInvalidLeft, Message: callsMessage("echo")}, false},
		{"calls that cannot reach the invalid-call limit", StepParams{Episode: invalidsLeft, Message: callsMessage("echo", "echo")}, true},
		{"calls that could reach it", StepParams{Episode: invalidsLeft, Message: callsMessage("echo", "echo", "echo")}, false},
		{"no such episode", StepParams{Episode: "nope", Message: callsMessage("echo")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := eng.quickStep(&tc.p); got != tc.quick {
				t.Fatalf("quickStep = %v, want %v", got, tc.quick)
			}
		})
	}
}

// TestQuickStepsBesideASlowOne: on one connection, inline steps answered
// while another episode's slow step is in flight (they go to workers then,
// not behind it), and run on the reader when the connection is idle: every
// reply arrives, each episode's steps run in the order sent.
func TestQuickStepsBesideASlowOne(t *testing.T) {
	srv := NewServer(mixedEngine(t), DefaultServerConfig(), quietLogger())
	url := serveOnLoopback(t, srv)
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	call := func(id int, op string, params any) {
		t.Helper()
		if err := ws.WriteJSON(map[string]any{"id": id, "op": op, "params": params}); err != nil {
			t.Fatal(err)
		}
	}
	read := func() (int, json.RawMessage) {
		t.Helper()
		var r struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *Error          `json:"error"`
		}
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := ws.ReadJSON(&r); err != nil {
			t.Fatal(err)
		}
		if r.Error != nil {
			t.Fatalf("request %d: %v", r.ID, r.Error)
		}
		return r.ID, r.Result
	}
	var episodes [2]string
	for i := range episodes {
		call(i+1, OpReset, map[string]any{"task_id": "mixed"})
		var res ResetResult
		if _, result := read(); json.Unmarshal(result, &res) != nil {
			t.Fatal(err)
		}
		episodes[i] = res.Episode
	}
	// Episode 0 sleeps 300 ms; episode 1 takes five inline turns meanwhile,
	// then one more on an idle connection.
	slow := callsMessage("sleep")
	slow.ToolCalls[0].Function.Arguments = `{"ms": 300}`
	call(100, OpStep, map[string]any{"episode": episodes[0], "turn": 1, "message": slow})
	for turn := 1; turn <= 5; turn++ {
		call(100+turn, OpStep, map[string]any{"episode": episodes[1], "turn": turn, "message": callsMessage("echo")})
	}
	// Replies may come in any order; the slow step's comes last, and each
	// of episode 1's steps ran as the turn it was sent as.
	var order []int
	for range 6 {
		id, result := read()
		order = append(order, id)
		var step StepResult
		if err := json.Unmarshal(result, &step); err != nil {
			t.Fatal(err)
		}
		if want := id - 100; id != 100 && step.Info.Turn != want {
			t.Fatalf("request %d ran as turn %d", id, step.Info.Turn)
		}
	}
	if order[5] != 100 {
		t.Fatalf("replies in the order %v: the inline steps waited behind the slow one", order)
	}
	call(200, OpStep, map[string]any{"episode": episodes[1], "turn": 6, "message": callsMessage("echo")})
	var step StepResult
	if _, result := read(); json.Unmarshal(result, &step) != nil || step.Info.Turn != 6 || len(step.Messages) != 1 {
		t.Fatalf("idle-connection step: %s", result)
	}
}
