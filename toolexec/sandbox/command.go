//go:build linux

package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// RunCommand runs a trusted program (argv[0] by absolute path) once, with
// the sandbox's isolation: its own namespaces, no network, read-only root,
// uid 65534, Landlock, seccomp, rlimits and a cgroup. It waits at most
// the pool's call timeout (or ctx's deadline) and keeps MaxOutput bytes of
// each stream.
func (p *Pool) RunCommand(ctx context.Context, argv []string) (*CommandResult, error) {
	if len(argv) == 0 || !filepath.IsAbs(argv[0]) {
		return nil, errors.New("sandboxed commands need an absolute program path")
	}
	// A command counts against the pool's slots (--sandbox-slots) like a
	// code_execution slot; a warm slot gives way when all are taken.
	if err := p.takeCommandSlot(); err != nil {
		return nil, err
	}
	defer p.releaseCommandSlot()
	name := slotName(slotCounter.Add(1))
	scratch := filepath.Join(p.cfg.ScratchRoot, name)
	if err := os.Mkdir(scratch, 0o755); err != nil {
		return nil, fmt.Errorf("sandbox scratch: %w", err)
	}
	defer os.RemoveAll(scratch)
	if err := p.cg.create(name, p.cfg.MemoryBytes, p.cfg.Pids); err != nil {
		return nil, err
	}
	defer p.cg.destroy(name)
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	rawArgv, _ := json.Marshal(argv)
	cmd := exec.Command(self)
	cmd.Env = append(p.helperEnviron(scratch), envArgv+"="+string(rawArgv))
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: namespaceFlags, Pdeathsig: syscall.SIGKILL}
	var stdout, stderr bytes.Buffer
	out := &limitedWriter{w: &stdout, n: p.cfg.MaxOutput}
	errw := &limitedWriter{w: &stderr, n: p.cfg.MaxOutput}
	cmd.Stdout, cmd.Stderr = out, errw
	gate, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sandboxed command: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := p.cg.add(name, cmd.Process.Pid); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return nil, err
	}
	_, _ = gate.Write([]byte{1}) // in the cgroup: go
	gate.Close()
	timeout := p.cfg.Timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	select {
	case <-exited:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-exited
		return nil, fmt.Errorf("%s did not finish within %v and was killed", filepath.Base(argv[0]), timeout.Round(time.Millisecond))
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-exited
		return nil, ctx.Err()
	}
	res := &CommandResult{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: cmd.ProcessState.ExitCode(),
		Truncated: out.dropped || errw.dropped}
	if res.ExitCode == 111 && bytes.Contains(stderr.Bytes(), []byte("sandbox helper:")) {
		return nil, fmt.Errorf("the sandbox could not start %s: %s", argv[0], bytes.TrimSpace(stderr.Bytes()))
	}
	return res, nil
}

// takeCommandSlot counts a command against MaxSlots: a free slot, else a
// warm one given up, else the error code_execution gets.
func (p *Pool) takeCommandSlot() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errors.New("the sandbox is shutting down")
	}
	var warm *slot
	if p.live >= p.cfg.MaxSlots {
		n := len(p.warm)
		if n == 0 {
			p.mu.Unlock()
			return fmt.Errorf("all %d sandbox slots are in use; try again later", p.cfg.MaxSlots)
		}
		warm = p.warm[n-1]
		p.warm = p.warm[:n-1]
		warm.gone = true
		p.live--
	}
	p.live++
	p.mu.Unlock()
	if warm != nil {
		warm.kill()
	}
	return nil
}

func (p *Pool) releaseCommandSlot() {
	p.mu.Lock()
	p.live--
	p.mu.Unlock()
	p.signalRefill()
}
