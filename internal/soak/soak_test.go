package soak

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecordedTurnsSkipsATornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traj.jsonl")
	data := `{"episode": "a", "reason": "answer"}` + "\n" + `{"episode": "b", "reason": "abandoned"}` + "\n" + `{"episode": "c", "rea`
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	seen, abandoned, err := recordedTurns(path)
	if _, okA := seen["a"]; err != nil || len(seen) != 2 || !okA || abandoned != 1 {
		t.Fatalf("seen %v abandoned %d err %v", seen, abandoned, err)
	}
	if seen, _, err := recordedTurns(filepath.Join(t.TempDir(), "missing")); err != nil || len(seen) != 0 {
		t.Fatalf("missing file: %v %v", seen, err)
	}
}

func TestJudge(t *testing.T) {
	for _, c := range []struct {
		name string
		rep  Report
		want string
	}{
		{"clean", Report{Episodes: 10, RSSWarmMB: 40, RSSEndMB: 50}, ""},
		{"crash", Report{Episodes: 10, ServerCrashed: true}, "died"},
		{"exit", Report{Episodes: 10, ServerExit: 2}, "status 2"},
		{"lost", Report{Episodes: 10, LostTrajectories: 3}, "3 finished episodes missing"},
		{"leak", Report{Episodes: 10, Leaks: 1}, "another episode"},
		{"lost step", Report{Episodes: 10, LostSteps: 1}, "never answered"},
		{"idle", Report{}, "no episode finished"},
		{"ors idle", Report{Episodes: 10, orsWorkers: 2}, "over ORS"},
		{"memory", Report{Episodes: 10, RSSWarmMB: 40, RSSEndMB: 200}, "memory grew"},
		{"errors", Report{Episodes: 10, UnexpectedErrors: map[string]int{"step: internal": 2}}, "2 × step: internal"},
	} {
		r := c.rep
		if r.UnexpectedErrors == nil {
			r.UnexpectedErrors = map[string]int{}
		}
		r.judge()
		if got := strings.Join(r.Failures, "; "); r.Passed != (c.want == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: passed %v, failures %q", c.name, r.Passed, got)
		}
	}
}

func TestClassifyUnanswered(t *testing.T) {
	tests := []struct {
		name       string
		unanswered map[string]unansweredStep
		recorded   map[string]int
		lost, ran  int
	}{
		{"not run", map[string]unansweredStep{"a": {acked: 3}}, map[string]int{"a": 3}, 0, 0},
		{"run though sent only on the draining connection", map[string]unansweredStep{"a": {acked: 3}}, map[string]int{"a": 4}, 1, 0},
		{"re-sent after a resume, run from the first send", map[string]unansweredStep{"a": {acked: 3, resent: true}}, map[string]int{"a": 4}, 0, 1},
		{"re-sent and not run", map[string]unansweredStep{"a": {acked: 3, resent: true}}, map[string]int{"a": 3}, 0, 0},
		{"episode not recorded", map[string]unansweredStep{"a": {acked: 3}}, map[string]int{}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lost, ran := classifyUnanswered(tt.unanswered, tt.recorded)
			if lost != tt.lost || ran != tt.ran {
				t.Fatalf("classifyUnanswered = %d lost, %d re-sent run; want %d, %d", lost, ran, tt.lost, tt.ran)
			}
		})
	}
}
