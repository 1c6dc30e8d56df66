// Package unitstool converts units with GNU units (Debian package "units"),
// run as a sandboxed subprocess: its definitions file is thousands of units,
// prefixes and nonlinear scales (temperatures, gauges) maintained upstream.
package unitstool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/dive-env/dive/toolexec"
	"github.com/dive-env/dive/toolexec/sandbox"
)

// Program is where Debian installs GNU units.
const Program = "/usr/bin/units"

// Runner runs a command in the sandbox (a *sandbox.Lazy or *sandbox.Pool).
type Runner interface {
	RunCommand(ctx context.Context, argv []string) (*sandbox.CommandResult, error)
}

func manifests() []toolexec.Manifest {
	return []toolexec.Manifest{
		{ID: "general.units.unit_convert", Name: "unit_convert", Domain: "general", Source: "gnu-units", Version: "1.0.0", Executor: "subprocess",
			Description: "Convert a quantity between units with GNU units: prefixes, compound units (\"60 mile/hour\" to \"m/s\"), and nonlinear scales written as " +
				"functions (\"tempF(98.6)\" to \"tempC\"). Fails on incompatible dimensions.",
			Auth: map[string]any{"type": "none"}, Module: "subprocess:" + Program,
			Parameters: json.RawMessage(`{"type": "object", "required": ["from", "to"], "additionalProperties": false, "properties": {
				"from": {"type": "string", "minLength": 1, "maxLength": 500, "description": "Quantity with its unit, e.g. \"3.2 km\" or \"tempF(100)\"."},
				"to": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Target unit, e.g. \"m\" or \"tempC\"."}}}`)},
		{ID: "general.units.unit_definition", Name: "unit_definition", Domain: "general", Source: "gnu-units", Version: "1.0.0", Executor: "subprocess",
			Description: "The value of a unit or quantity in SI base units, from GNU units' definitions (e.g. \"furlong\" is 201.168 m).",
			Auth:        map[string]any{"type": "none"}, Module: "subprocess:" + Program,
			Parameters: json.RawMessage(`{"type": "object", "required": ["unit"], "additionalProperties": false, "properties": {
				"unit": {"type": "string", "minLength": 1, "maxLength": 500, "description": "A unit or quantity, e.g. \"furlong\" or \"1 atm\"."}}}`)},
	}
}

// Register adds the units tools: run through runner when it and the program
// are available, otherwise listed with the reason.
func Register(r *toolexec.Registry, runner Runner, unavailable string) error {
	reason := unavailable
	if _, err := os.Stat(Program); err != nil && reason == "" {
		reason = "needs GNU units (apt-get install units; scripts/setup-data installs it)"
	}
	for _, m := range manifests() {
		if runner == nil || reason != "" {
			if reason == "" {
				reason = "needs the sandbox to run subprocesses"
			}
			if err := r.Register(m, nil, reason); err != nil {
				return err
			}
			continue
		}
		if err := r.Register(m, executor(runner, m.Name), ""); err != nil {
			return err
		}
	}
	return nil
}

func executor(runner Runner, name string) toolexec.Executor {
	return toolexec.ExecutorFunc(func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a struct {
			From string `json:"from"`
			To   string `json:"to"`
			Unit string `json:"unit"`
		}
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		argv := []string{Program, "--terse", "--"}
		if name == "unit_convert" {
			argv = append(argv, a.From, a.To)
		} else {
			argv = append(argv, a.Unit)
		}
		res, err := runner.RunCommand(ctx, argv)
		if err != nil {
			return nil, err
		}
		out := strings.TrimSpace(res.Stdout + "\n" + res.Stderr)
		if res.ExitCode != 0 {
			if out == "" {
				out = fmt.Sprintf("units exited with status %d", res.ExitCode)
			}
			return nil, errors.New(strings.Join(strings.Fields(out), " "))
		}
		if name == "unit_convert" {
			return map[string]any{"from": a.From, "to": a.To, "result": strings.TrimSpace(res.Stdout)}, nil
		}
		return map[string]any{"unit": a.Unit, "definition": strings.TrimSpace(res.Stdout)}, nil
	})
}
