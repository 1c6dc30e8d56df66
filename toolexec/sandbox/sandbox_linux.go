//go:build linux

package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
	"time"

	"github.com/dive-env/dive/toolexec"
)

//go:embed worker.py
var workerSource string

// Probe checks the machine: the interpreter, root, namespaces (by starting
// a process in new ones), Landlock, the seccomp filter and cgroups.
func Probe(cfg Config) Capabilities {
	caps, _ := probe(cfg)
	return caps
}

func probe(cfg Config) (Capabilities, *cgroups) {
	var caps Capabilities
	if _, err := os.Stat(cfg.Python); err == nil {
		caps.Python = true
	} else {
		caps.Missing = append(caps.Missing, fmt.Sprintf("no Python interpreter at %s", cfg.Python))
	}
	if os.Geteuid() != 0 {
		caps.Missing = append(caps.Missing, "not running as root: cannot create namespaces, mounts and cgroups")
	} else {
		cmd := exec.Command("/bin/true")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: namespaceFlags}
		if err := cmd.Run(); err != nil {
			caps.Missing = append(caps.Missing, fmt.Sprintf("cannot create pid/mount/net/ipc/uts namespaces: %v", err))
		} else {
			caps.Namespaces = true
		}
	}
	if abi, err := landlockABI(); err != nil {
		caps.Missing = append(caps.Missing, fmt.Sprintf("Landlock unavailable (kernel 5.13+ with Landlock enabled): %v", err))
	} else {
		caps.LandlockABI = abi
	}
	if _, err := seccompProgram(); err != nil {
		caps.Missing = append(caps.Missing, fmt.Sprintf("seccomp: %v", err))
	}
	cg, why := detectCgroups(cfg.CgroupRoot)
	caps.Cgroups = cg.mode
	if why != "" {
		caps.Missing = append(caps.Missing, why)
	}
	return caps, cg
}

const namespaceFlags = syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS

// slotCounter numbers slots across every pool of this process.
var slotCounter atomic.Uint64

// Pool is the code_execution executor: warm slots, leased per session.
// It is safe for concurrent use.
type Pool struct {
	cfg  Config
	caps Capabilities
	cg   *cgroups
	log  *slog.Logger

	mu     sync.Mutex
	warm   []*slot
	leased map[string]*slot
	lost   map[string]bool   // sessions whose slot was killed: told once
	owner  map[string]string // session → the client it belongs to (toolexec.ClientFrom)
	live   int
	// starting counts slots being started; killed, slots killed because a
	// call ran past its limits or the slot died (not ordinary session ends).
	starting int
	killed   uint64
	closed   bool
	refill   chan struct{}
	stopped  chan struct{}
}

// New probes the machine, removes what a crashed server left, and starts
// the warm slots. Without full isolation it returns ErrUnavailable (wrapped,
// with what is missing): the sandbox never runs insecurely.
func New(cfg Config, log *slog.Logger) (*Pool, error) {
	def := DefaultConfig()
	if cfg.Python == "" {
		cfg.Python = def.Python
	}
	if cfg.MaxSlots <= 0 {
		cfg.MaxSlots = def.MaxSlots
	}
	if cfg.Warm < 0 || cfg.Warm > cfg.MaxSlots {
		return nil, fmt.Errorf("sandbox: warm slots %d must be within 0..%d", cfg.Warm, cfg.MaxSlots)
	}
	for _, d := range []struct{ v, def *int64 }{{&cfg.MemoryBytes, &def.MemoryBytes}, {&cfg.FileBytes, &def.FileBytes}, {&cfg.ScratchBytes, &def.ScratchBytes}} {
		if *d.v <= 0 {
			*d.v = *d.def
		}
	}
	if cfg.Pids <= 0 {
		cfg.Pids = def.Pids
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.Grace <= 0 {
		cfg.Grace = def.Grace
	}
	if cfg.MaxOutput <= 0 {
		cfg.MaxOutput = def.MaxOutput
	}
	if cfg.ScratchRoot == "" {
		cfg.ScratchRoot = def.ScratchRoot
	}
	for _, private := range []string{"/tmp", "/var/tmp", "/dev/shm"} {
		if rel, err := filepath.Rel(private, cfg.ScratchRoot); err == nil && !strings.HasPrefix(rel, "..") {
			return nil, fmt.Errorf("sandbox: scratch root %s must not lie under %s, which the sandbox replaces with its own", cfg.ScratchRoot, private)
		}
	}
	if cfg.CgroupRoot == "" {
		cfg.CgroupRoot = def.CgroupRoot
	}
	if cfg.UID <= 0 {
		cfg.UID = def.UID
	}
	if log == nil {
		log = slog.Default()
	}
	caps, cg := probe(cfg)
	if !caps.Complete() {
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, caps)
	}
	if err := cg.prepare(); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if err := os.MkdirAll(cfg.ScratchRoot, 0o711); err != nil {
		return nil, fmt.Errorf("sandbox scratch root: %w", err)
	}
	// Sweep the scratch directories of servers that are gone.
	if entries, err := os.ReadDir(cfg.ScratchRoot); err == nil {
		for _, e := range entries {
			if !ownerAlive(e.Name()) {
				_ = os.RemoveAll(filepath.Join(cfg.ScratchRoot, e.Name()))
			}
		}
	}
	p := &Pool{cfg: cfg, caps: caps, cg: cg, log: log, leased: map[string]*slot{}, lost: map[string]bool{}, owner: map[string]string{},
		refill: make(chan struct{}, 1), stopped: make(chan struct{})}
	go p.keepWarm()
	p.signalRefill()
	return p, nil
}

// Capabilities returns what the probe found.
func (p *Pool) Capabilities() Capabilities { return p.caps }

// helperEnviron is the whole environment of a helper process: its settings
// and nothing of the server's own environment.
func (p *Pool) helperEnviron(scratch string) []string {
	hide, _ := json.Marshal(p.cfg.Hide)
	return []string{helperEnv + "=1", envScratch + "=" + scratch, envPython + "=" + p.cfg.Python,
		envScratchBytes + "=" + strconv.FormatInt(p.cfg.ScratchBytes, 10), envFileBytes + "=" + strconv.FormatInt(p.cfg.FileBytes, 10),
		envAddressBytes + "=" + strconv.FormatInt(2*p.cfg.MemoryBytes, 10), envUID + "=" + strconv.Itoa(p.cfg.UID),
		envHide + "=" + string(hide)}
}

func (p *Pool) signalRefill() {
	select {
	case p.refill <- struct{}{}:
	default:
	}
}

// keepWarm starts slots until Warm of them wait, whenever asked.
func (p *Pool) keepWarm() {
	defer close(p.stopped)
	for range p.refill {
		for {
			p.mu.Lock()
			if p.closed || len(p.warm) >= p.cfg.Warm || p.live >= p.cfg.MaxSlots {
				closed := p.closed
				p.mu.Unlock()
				if closed {
					return
				}
				break
			}
			p.live++
			p.starting++
			p.mu.Unlock()
			s, err := p.start()
			p.mu.Lock()
			p.starting--
			if err != nil {
				p.live--
				p.mu.Unlock()
				p.log.Error("start sandbox slot", "err", err)
				break
			}
			if p.closed {
				p.live--
				p.mu.Unlock()
				s.kill()
				return
			}
			p.warm = append(p.warm, s)
			p.mu.Unlock()
		}
	}
}

// lease returns the session's slot, a warm one, or a new one. When every
// slot is taken, a client below its fair share (the slots divided among
// the clients holding them, the asker included) takes an idle slot from the
// client that holds the most beyond its share: that slot's episode is told
// at its next call that its state was lost. One client can no longer hold
// every slot while another's code_execution fails.
func (p *Pool) lease(session, client string) (*slot, bool, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, false, errors.New("the sandbox is shutting down")
	}
	if s, ok := p.leased[session]; ok && session != "" {
		p.mu.Unlock()
		return s, false, nil
	}
	lost := p.lost[session]
	delete(p.lost, session)
	if n := len(p.warm); n > 0 {
		s := p.warm[n-1]
		p.warm = p.warm[:n-1]
		if session != "" {
			p.leased[session] = s
		}
		p.mu.Unlock()
		p.signalRefill()
		return s, lost, nil
	}
	if p.live >= p.cfg.MaxSlots {
		victim := p.reclaimableLocked(client)
		if victim == nil {
			p.mu.Unlock()
			return nil, lost, fmt.Errorf("all %d sandbox slots are in use; try again later", p.cfg.MaxSlots)
		}
		// reclaimableLocked holds the slot's call lock: it is idle.
		delete(p.leased, victim.session)
		delete(p.owner, victim.session)
		p.lost[victim.session] = true
		victim.s.gone = true
		p.live--
		p.mu.Unlock()
		victim.s.kill()
		victim.s.mu.Unlock()
		p.mu.Lock()
	}
	p.live++
	p.starting++
	p.mu.Unlock()
	s, err := p.start()
	p.mu.Lock()
	p.starting--
	if err != nil {
		p.live--
		p.mu.Unlock()
		return nil, lost, err
	}
	if session != "" {
		// Two calls of one episode may have started slots at once: keep one.
		if existing, ok := p.leased[session]; ok {
			p.live--
			p.mu.Unlock()
			s.kill()
			return existing, lost, nil
		}
		p.leased[session] = s
		p.owner[session] = client
	}
	p.mu.Unlock()
	return s, lost, nil
}

type leasedSlot struct {
	session string
	s       *slot
}

// reclaimableLocked finds an idle slot to take for client, which holds
// fewer slots than its fair share, from the client holding the most beyond
// its share; nil when there is none. The slot's call lock is held (TryLock)
// and released by the caller after it is killed. p.mu is held.
func (p *Pool) reclaimableLocked(client string) *leasedSlot {
	held := map[string]int{}
	for sess := range p.leased {
		held[p.owner[sess]]++
	}
	clients := len(held)
	if _, ok := held[client]; !ok {
		clients++
	}
	share := max(1, p.cfg.MaxSlots/clients)
	if held[client] >= share {
		return nil // the asker has its share
	}
	richest, most := "", share
	for c, n := range held {
		if c != client && n > most {
			richest, most = c, n
		}
	}
	if richest == "" && most == share {
		return nil
	}
	for sess, s := range p.leased {
		if p.owner[sess] != richest || !s.mu.TryLock() {
			continue
		}
		return &leasedSlot{session: sess, s: s}
	}
	return nil
}

// retire kills a slot and forgets it; dead says the call ran past its limits
// or the slot died, which Stats counts.
func (p *Pool) retire(session string, s *slot, dead bool) {
	p.mu.Lock()
	if cur, ok := p.leased[session]; ok && cur == s {
		delete(p.leased, session)
		delete(p.owner, session)
	}
	if !s.gone {
		s.gone = true
		p.live--
	}
	if dead {
		p.killed++
	}
	p.mu.Unlock()
	s.kill()
	p.signalRefill()
}

// Stats returns the pool's slot counts now.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Warm: len(p.warm), Starting: p.starting, Leased: p.live - len(p.warm) - p.starting, Killed: p.killed, Max: p.cfg.MaxSlots}
}

// CloseSession kills the session's slot and removes its scratch.
func (p *Pool) CloseSession(id string) {
	p.mu.Lock()
	s, ok := p.leased[id]
	delete(p.leased, id)
	delete(p.lost, id)
	delete(p.owner, id)
	if ok && !s.gone {
		s.gone = true
		p.live--
	}
	p.mu.Unlock()
	if ok {
		s.kill()
		p.signalRefill()
	}
}

// Close kills every slot.
func (p *Pool) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	slots := append([]*slot(nil), p.warm...)
	for _, s := range p.leased {
		slots = append(slots, s)
	}
	p.warm, p.leased = nil, map[string]*slot{}
	p.mu.Unlock()
	close(p.refill)
	<-p.stopped
	for _, s := range slots {
		s.kill()
	}
}

// Execute implements toolexec.Executor for code_execution: {"code": "..."}.
func (p *Pool) Execute(ctx context.Context, args json.RawMessage) (any, error) {
	var a struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, fmt.Errorf("decode arguments: %w", err)
	}
	session := toolexec.SessionFrom(ctx)
	s, lost, err := p.lease(session, toolexec.ClientFrom(ctx))
	if err != nil {
		return nil, err
	}
	res, dead, err := s.run(ctx, a.Code, p.cfg)
	switch {
	case session == "": // a slot for one call only
		p.retire("", s, dead)
	case dead:
		p.retire(session, s, true)
		p.mu.Lock()
		p.lost[session] = true
		p.mu.Unlock()
	}
	if err != nil {
		return nil, err
	}
	if lost {
		res.StateLost = true
		res.Note = "The sandbox was restarted before this call: variables, imports and files from earlier calls are gone."
	}
	return res, nil
}

var _ toolexec.Executor = (*Pool)(nil)
var _ toolexec.SessionCloser = (*Pool)(nil)

// slot is one worker process in its namespaces.
type slot struct {
	name    string
	scratch string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	out     *bufio.Reader
	stderr  *bytes.Buffer
	cg      *cgroups
	exited  chan struct{}

	mu       sync.Mutex // one call at a time
	killOnce sync.Once
	gone     bool // taken from its session and no longer counted live (under Pool.mu)
}

func (p *Pool) start() (*slot, error) {
	name := slotName(slotCounter.Add(1))
	scratch := filepath.Join(p.cfg.ScratchRoot, name)
	if err := os.Mkdir(scratch, 0o755); err != nil {
		return nil, fmt.Errorf("sandbox scratch: %w", err)
	}
	if err := p.cg.create(name, p.cfg.MemoryBytes, p.cfg.Pids); err != nil {
		os.Remove(scratch)
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("sandbox helper: %w", err)
	}
	cmd := exec.Command(self)
	cmd.Env = p.helperEnviron(scratch)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: namespaceFlags, Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4096}
	s := &slot{name: name, scratch: scratch, cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout), stderr: &stderr, cg: p.cg, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		p.cg.destroy(name)
		os.Remove(scratch)
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	// Limits are in place before any code arrives: the worker waits for a request.
	if err := p.cg.add(name, cmd.Process.Pid); err != nil {
		s.kill()
		return nil, err
	}
	ready := make(chan error, 1)
	go func() {
		line, err := s.out.ReadString('\n')
		if err == nil && line != "ready\n" {
			err = fmt.Errorf("unexpected %q", line)
		}
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			<-s.exited
			s.kill()
			return nil, fmt.Errorf("sandbox did not start: %v: %s", err, strings.TrimSpace(stderr.String()))
		}
	case <-time.After(10 * time.Second):
		s.kill()
		return nil, errors.New("sandbox did not start within 10s")
	}
	return s, nil
}

// errForged is a reply on the worker's pipe that the worker did not write
// for this request: sandboxed code wrote to the pipe (a 63 MiB forged reply
// was once accepted, and later calls got earlier calls' results). The slot
// is killed: its pipe can no longer be trusted.
type errForged struct{ what string }

func (e errForged) Error() string {
	return "the sandbox's reply was not its own (" + e.what + "): code wrote to the worker's protocol pipe"
}

func truncateHeader(h string) string {
	if len(h) > 20 {
		return h[:20] + "…"
	}
	return strings.TrimSpace(h)
}

// run executes code; dead reports that the slot had to be killed or died.
func (s *slot) run(ctx context.Context, code string, cfg Config) (*Result, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var nonceBytes [12]byte
	_, _ = rand.Read(nonceBytes[:])
	nonce := hex.EncodeToString(nonceBytes[:])
	req, _ := json.Marshal(map[string]any{"code": code, "max_output": cfg.MaxOutput, "nonce": nonce})
	// A reply holds two capped streams and a capped error, each character
	// at most six bytes in JSON; anything larger is not the worker's.
	maxReply := 18*cfg.MaxOutput + 64<<10
	if _, err := fmt.Fprintf(s.stdin, "%d\n%s", len(req), req); err != nil {
		return nil, true, fmt.Errorf("the sandbox is gone (%v); its state was lost, the next call gets a fresh one", err)
	}
	type reply struct {
		res *Result
		err error
	}
	done := make(chan reply, 1)
	go func() {
		header, err := s.out.ReadString('\n')
		if err != nil {
			done <- reply{err: err}
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(header))
		if err != nil || n < 0 || n > maxReply {
			done <- reply{err: errForged{fmt.Sprintf("a reply frame of %q bytes", truncateHeader(header))}}
			return
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(s.out, body); err != nil {
			done <- reply{err: err}
			return
		}
		var r struct {
			Result
			Nonce string `json:"nonce"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			done <- reply{err: errForged{"a reply that is not JSON"}}
			return
		}
		if r.Nonce != nonce {
			done <- reply{err: errForged{"a reply to another request"}}
			return
		}
		done <- reply{res: &r.Result}
	}()
	// Leave the grace period inside the caller's deadline.
	timeout := cfg.Timeout
	limit := fmt.Sprintf("its time limit of %v", timeout.Round(time.Millisecond))
	if dl, ok := ctx.Deadline(); ok && time.Until(dl)-cfg.Grace < timeout {
		timeout = max(time.Until(dl)-cfg.Grace, time.Millisecond)
		// The call's deadline was mostly spent before the code started (waiting
		// for a sandbox slot, or for this episode's earlier calls): say so.
		limit = fmt.Sprintf("the %v left of the call's deadline after waiting for the sandbox", timeout.Round(time.Millisecond))
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		if f := (errForged{}); errors.As(r.err, &f) {
			s.kill()
			return nil, true, fmt.Errorf("%v; the sandbox was reset: its state was lost, the next call gets a fresh one", f)
		}
		if r.err != nil {
			return nil, true, s.deathError(r.err)
		}
		return r.res, false, nil
	case <-timer.C:
	case <-ctx.Done():
	}
	// Soft interrupt: KeyboardInterrupt in the user's code keeps the state.
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case r := <-done:
		if r.err != nil {
			return nil, true, s.deathError(r.err)
		}
		r.res.Error = fmt.Sprintf("the call ran past %s and was interrupted; variables defined so far are kept.\n%s", limit, r.res.Error)
		return r.res, false, nil
	case <-time.After(cfg.Grace):
	}
	s.kill()
	return &Result{Error: fmt.Sprintf("the call ran past %s and did not stop when interrupted, so the sandbox was killed: its state (variables, imports, files) is lost; the next call starts fresh", limit),
		StateLost: true}, true, nil
}

func (s *slot) deathError(err error) error {
	s.kill()
	return fmt.Errorf("the sandbox process stopped during the call: %s (%v); its state was lost, the next call gets a fresh one", exitReason(s.cmd.ProcessState), err)
}

// exitReason says how a process ended: "it was killed by SIGKILL (most
// likely over its memory limit)", "it exited with status 1".
func exitReason(st *os.ProcessState) string {
	if st == nil {
		return "it ended"
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		why := "it was killed by " + unix.SignalName(ws.Signal())
		if ws.Signal() == syscall.SIGKILL {
			why += " (most likely over its memory limit)"
		}
		return why
	}
	return fmt.Sprintf("it exited with status %d", st.ExitCode())
}

// kill ends the slot's pid namespace, its cgroups and its scratch.
func (s *slot) kill() {
	s.killOnce.Do(func() {
		if s.cmd.Process != nil {
			_ = s.cmd.Process.Kill() // pid 1 of the namespace: everything in it dies
			select {
			case <-s.exited:
			case <-time.After(5 * time.Second):
			}
		}
		s.stdin.Close()
		s.cg.destroy(s.name)
		_ = os.RemoveAll(s.scratch)
	})
}

func killPid(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// limitedWriter keeps at most n bytes and notes whether it dropped any.
type limitedWriter struct {
	mu      sync.Mutex
	w       *bytes.Buffer
	n       int
	dropped bool
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	room := l.n - l.w.Len()
	if room > 0 {
		l.w.Write(p[:min(room, len(p))])
	}
	if len(p) > room {
		l.dropped = true
	}
	return len(p), nil
}
