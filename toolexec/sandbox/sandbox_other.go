//go:build !linux

package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
)

// Probe reports that the sandbox needs Linux.
func Probe(Config) Capabilities {
	return Capabilities{Missing: []string{fmt.Sprintf("the sandbox needs Linux namespaces, cgroups, Landlock and seccomp; this is %s", runtime.GOOS)}}
}

// Pool is not available on this operating system.
type Pool struct{}

// New returns ErrUnavailable on this operating system.
func New(cfg Config, _ *slog.Logger) (*Pool, error) {
	return nil, fmt.Errorf("%w: %s", ErrUnavailable, Probe(cfg))
}

// Capabilities returns what the probe found.
func (p *Pool) Capabilities() Capabilities { return Probe(Config{}) }

// Execute always fails here.
func (p *Pool) Execute(context.Context, json.RawMessage) (any, error) {
	return nil, ErrUnavailable
}

// Stats is always zero here.
func (p *Pool) Stats() Stats { return Stats{} }

// CloseSession does nothing here.
func (p *Pool) CloseSession(string) {}

// Close does nothing here.
func (p *Pool) Close() {}

// RunCommand always fails here.
func (p *Pool) RunCommand(context.Context, []string) (*CommandResult, error) {
	return nil, ErrUnavailable
}
