package unitstool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dive-env/dive/toolexec"
	"github.com/dive-env/dive/toolexec/sandbox"
)

func TestUnits(t *testing.T) {
	if _, err := os.Stat(Program); err != nil {
		t.Skipf("GNU units is not installed (apt-get install units): %v", err)
	}
	cfg := sandbox.DefaultConfig()
	cfg.Warm = 0
	cfg.ScratchRoot = fmt.Sprintf("/run/dive-units-test-%d", os.Getpid())
	pool, err := sandbox.New(cfg, nil)
	if errors.Is(err, sandbox.ErrUnavailable) {
		t.Skipf("the sandbox cannot run here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() { pool.Close(); os.RemoveAll(cfg.ScratchRoot) }()
	r := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(r, pool, ""); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tool, args, want, err string
	}{
		{"unit_convert", `{"from": "3.2 km", "to": "m"}`, `"result":"3200"`, ""},
		{"unit_convert", `{"from": "tempF(100)", "to": "tempC"}`, `"result":"37.777778"`, ""},
		{"unit_convert", `{"from": "60 mile/hour", "to": "m/s"}`, `"result":"26.8224"`, ""},
		{"unit_convert", `{"from": "-1 kg", "to": "g"}`, `"result":"-1000"`, ""},
		{"unit_convert", `{"from": "1 kg", "to": "m"}`, "", "conformability error"},
		{"unit_convert", `{"from": "3 flurbs", "to": "m"}`, "", "Unknown unit"},
		{"unit_definition", `{"unit": "furlong"}`, "201.168 m", ""},
	} {
		tool, err := r.Resolve(tc.tool)
		if err != nil {
			t.Fatal(err)
		}
		res := r.Call(context.Background(), tool, json.RawMessage(tc.args))
		if tc.err != "" {
			if res.Err == nil || !strings.Contains(res.Err.Message, tc.err) {
				t.Errorf("%s %s: %+v, want error %q", tc.tool, tc.args, res, tc.err)
			}
			continue
		}
		if res.Err != nil || !strings.Contains(res.Output, tc.want) {
			t.Errorf("%s %s: %+v, want %s", tc.tool, tc.args, res, tc.want)
		}
	}
}

func TestUnavailable(t *testing.T) {
	r := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(r, nil, "sandbox unavailable: not root"); err != nil {
		t.Fatal(err)
	}
	for _, tool := range r.Tools() {
		if tool.Executable() || !strings.Contains(tool.Reason(), "not root") {
			t.Fatalf("%s: %v %q", tool.Manifest.ID, tool.Executable(), tool.Reason())
		}
	}
}
