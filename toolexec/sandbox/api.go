// Package sandbox runs the agent's Python (the code_execution tool) in warm,
// isolated worker processes, one leased per episode so that variables
// persist between calls like a notebook.
//
// Each slot is a persistent /usr/bin/python3 worker started through a helper
// (helper.go) in its own pid, mount, net, ipc and uts namespaces: no network,
// its own /proc, a read-only root file system, private tmpfs for /tmp and a
// size-capped tmpfs scratch directory (its working directory, the only other
// writable place), an unprivileged uid with no_new_privs, rlimits (address
// space, file size, open files, no core dumps), and a cgroup limiting memory
// and processes. A call past its time is interrupted (KeyboardInterrupt, the
// state survives); one that does not stop within the grace period is killed
// with its whole pid namespace, and the episode gets a fresh slot and is told
// its state was lost.
//
// Writes are confined to the scratch directory by Landlock as well, and a
// seccomp deny-list refuses administrative system calls (seccomp.go).
package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/dive-env/dive/toolexec"
)

// Config sizes the sandbox pool and its limits.
type Config struct {
	// Python is the interpreter (Debian's, by absolute path: the pyenv shim is slow).
	Python string
	// Warm is how many started slots wait for episodes.
	Warm int
	// MaxSlots caps the slots alive at once, warm and leased.
	MaxSlots int
	// MemoryBytes caps a slot's memory (cgroup) and address space (rlimit, twice this).
	MemoryBytes int64
	// Pids caps a slot's processes and threads.
	Pids int
	// FileBytes caps the size of one file written; ScratchBytes the scratch directory.
	FileBytes, ScratchBytes int64
	// Timeout bounds one call; Grace is how long an interrupted call may take to stop.
	Timeout, Grace time.Duration
	// MaxOutput caps the characters of stdout and of stderr returned (head and tail kept).
	MaxOutput int
	// ScratchRoot holds the slots' scratch mount points; not under /tmp,
	// /var/tmp or /dev/shm, which the sandbox replaces with its own.
	ScratchRoot string
	// CgroupRoot is where cgroup file systems are mounted.
	CgroupRoot string
	// UID is the unprivileged user code runs as.
	UID int
	// Hide are files and directories of the server that sandboxed code must
	// not read. The sandbox's root holds only an allow-list (the
	// interpreter's directories, a few files of /etc), so most of them are
	// not there at all; those that fall inside it (a server binary with its
	// embedded tasks under /usr/bin, say) are covered: directories by an
	// empty read-only tmpfs, files by /dev/null. Paths that hold what the
	// sandbox needs (/, /usr, /etc, the interpreter, the scratch root, …)
	// are ignored.
	Hide []string
}

// DefaultConfig returns 2 warm slots of at most 64, 512 MiB and 64
// processes per slot, 64 MiB files in a 256 MiB scratch, 30 s calls with
// a 2 s grace, 64 Ki characters of output.
func DefaultConfig() Config {
	return Config{Python: "/usr/bin/python3", Warm: 2, MaxSlots: 64, MemoryBytes: 512 << 20, Pids: 64,
		FileBytes: 64 << 20, ScratchBytes: 256 << 20, Timeout: 30 * time.Second, Grace: 2 * time.Second,
		MaxOutput: 64 << 10, ScratchRoot: "/run/dive-sandbox", CgroupRoot: "/sys/fs/cgroup", UID: 65534}
}

// Capabilities says which isolation mechanisms this machine offers.
type Capabilities struct {
	Namespaces  bool
	Cgroups     string // "v2", "v1" or ""
	LandlockABI int
	Python      bool
	Missing     []string
}

// Complete reports whether every mechanism the sandbox uses is available.
func (c Capabilities) Complete() bool { return len(c.Missing) == 0 }

func (c Capabilities) String() string {
	if c.Complete() {
		return fmt.Sprintf("namespaces, cgroup %s limits, read-only root, Landlock ABI %d, seccomp deny-list, unprivileged uid, rlimits", c.Cgroups, c.LandlockABI)
	}
	return "missing: " + strings.Join(c.Missing, "; ")
}

// ErrUnavailable is returned by New when the machine lacks a mechanism.
var ErrUnavailable = errors.New("sandbox unavailable")

// Result is what a code_execution call returns to the model.
type Result struct {
	Stdout      string `json:"stdout"`
	Stderr      string `json:"stderr,omitempty"`
	Error       string `json:"error,omitempty"`
	Truncated   bool   `json:"truncated,omitempty"`
	OutputBytes int    `json:"output_bytes"`
	StateLost   bool   `json:"state_lost,omitempty"`
	Note        string `json:"note,omitempty"`
}

// Stats counts a pool's slots at one moment.
type Stats struct {
	// Warm slots wait for a session; Leased ones hold a session's state (or
	// run a one-off call); Starting ones are being started.
	Warm, Leased, Starting int
	// Killed counts slots killed since the pool started because a call ran
	// past its limits or the slot died (episodes ending do not count).
	Killed uint64
	// Max is the most slots the pool runs at once.
	Max int
}

// ToolID is the id of the code_execution tool, as in the DIVE reference release.
const ToolID = "general.sandbox.code_execution"

// Manifest describes the code_execution tool.
func Manifest() toolexec.Manifest {
	return toolexec.Manifest{
		ID: ToolID, Name: "code_execution", Domain: "general", Source: "dive", Version: "1.0.0",
		Description: "Run Python 3 code in a sandbox that keeps its state between calls of the same episode, like a notebook: variables, imports and files " +
			"in the working directory persist. The value of a final expression is printed. Standard library only; no network. " +
			"Returns stdout, stderr and the error (traceback), if any.",
		Module: "sandbox:code_execution", Auth: map[string]any{"type": "none"}, Executor: "sandbox",
		Parameters: json.RawMessage(`{"type": "object", "required": ["code"], "additionalProperties": false, "properties": {
			"code": {"type": "string", "minLength": 1, "maxLength": 1000000, "description": "Python code to run."}}}`),
	}
}

// Register adds code_execution to a registry, run by exec (a *Pool or
// *Lazy), or, when exec is nil, listed as unavailable for the given reason.
func Register(r *toolexec.Registry, exec toolexec.Executor, reason string) error {
	if exec == nil {
		return r.Register(Manifest(), nil, "sandbox unavailable: "+reason)
	}
	return r.Register(Manifest(), exec, "")
}

// CommandResult is the outcome of a sandboxed command (Pool.RunCommand).
type CommandResult struct {
	Stdout    string `json:"stdout"`
	Stderr    string `json:"stderr,omitempty"`
	ExitCode  int    `json:"exit_code"`
	Truncated bool   `json:"truncated,omitempty"`
}

// RunCommand starts the pool if needed and runs a sandboxed command.
func (l *Lazy) RunCommand(ctx context.Context, argv []string) (*CommandResult, error) {
	p, err := l.Start()
	if err != nil {
		return nil, err
	}
	return p.RunCommand(ctx, argv)
}

// Lazy is a Pool started on first use, or by Start. It lets a registry list
// code_execution as executable (the probe passed) without starting slots
// until they are needed. It is safe for concurrent use.
type Lazy struct {
	cfg  Config
	log  *slog.Logger
	once sync.Once
	mu   sync.Mutex
	pool *Pool
	err  error
}

// NewLazy returns a pool that starts when first used.
func NewLazy(cfg Config, log *slog.Logger) *Lazy { return &Lazy{cfg: cfg, log: log} }

// Start starts the pool (once) and returns it.
func (l *Lazy) Start() (*Pool, error) {
	l.once.Do(func() {
		p, err := New(l.cfg, l.log)
		l.mu.Lock()
		l.pool, l.err = p, err
		l.mu.Unlock()
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pool, l.err
}

// Execute implements toolexec.Executor.
func (l *Lazy) Execute(ctx context.Context, args json.RawMessage) (any, error) {
	p, err := l.Start()
	if err != nil {
		return nil, err
	}
	return p.Execute(ctx, args)
}

// Stats returns the pool's slot counts; zero before it started.
func (l *Lazy) Stats() Stats {
	l.mu.Lock()
	p := l.pool
	l.mu.Unlock()
	if p == nil {
		return Stats{}
	}
	return p.Stats()
}

// CloseSession implements toolexec.SessionCloser.
func (l *Lazy) CloseSession(id string) {
	l.mu.Lock()
	p := l.pool
	l.mu.Unlock()
	if p != nil {
		p.CloseSession(id)
	}
}

// Close stops the pool if it was started.
func (l *Lazy) Close() {
	l.mu.Lock()
	p := l.pool
	l.mu.Unlock()
	if p != nil {
		p.Close()
	}
}
