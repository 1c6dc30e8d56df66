//go:build linux

package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dive-env/dive/toolexec"
)

// newTestPool starts a pool with short limits, or skips with the reason the
// machine cannot sandbox.
func newTestPool(t *testing.T, mutate func(*Config)) *Pool {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Warm = 1
	cfg.Timeout = 2 * time.Second
	cfg.Grace = 500 * time.Millisecond
	cfg.MemoryBytes = 256 << 20
	cfg.ScratchRoot = fmt.Sprintf("/run/dive-sandbox-test-%d", os.Getpid()) // not under /tmp
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New(cfg, nil)
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("the sandbox cannot run on this machine: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		os.RemoveAll(cfg.ScratchRoot)
	})
	return p
}

func run(t *testing.T, p *Pool, session, code string) *Result {
	t.Helper()
	ctx := toolexec.WithSession(context.Background(), session)
	args, _ := json.Marshal(map[string]string{"code": code})
	v, err := p.Execute(ctx, args)
	if err != nil {
		t.Fatalf("Execute(%q): %v", code, err)
	}
	return v.(*Result)
}

func TestStatePersistsWithinAnEpisodeOnly(t *testing.T) {
	p := newTestPool(t, nil)
	if r := run(t, p, "ep-a", "x = 41\nimport math"); r.Error != "" {
		t.Fatalf("define: %+v", r)
	}
	if r := run(t, p, "ep-a", "x + 1"); strings.TrimSpace(r.Stdout) != "42" {
		t.Fatalf("state lost between calls: %+v", r)
	}
	if r := run(t, p, "ep-b", "x"); !strings.Contains(r.Error, "NameError") {
		t.Fatalf("state leaked into another episode: %+v", r)
	}
	run(t, p, "ep-a", "open('notes.txt', 'w').write('secret')")
	if r := run(t, p, "ep-b", "import os; print(os.listdir('.'))"); strings.Contains(r.Stdout, "notes.txt") {
		t.Fatalf("scratch files leaked: %+v", r)
	}
	p.CloseSession("ep-a")
	if r := run(t, p, "ep-a", "x"); !strings.Contains(r.Error, "NameError") {
		t.Fatalf("a closed session kept its state: %+v", r)
	}
	if r := run(t, p, "ep-c", "print('out'); import sys; print('err', file=sys.stderr); 1/0"); r.Stdout != "out\n" || r.Stderr != "err\n" || !strings.Contains(r.Error, "ZeroDivisionError") {
		t.Fatalf("streams and errors: %+v", r)
	}
}

// TestContainment runs hostile code: each attempt is contained and
// reported to the model, and the pool keeps serving.
func TestContainment(t *testing.T) {
	p := newTestPool(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	marker := filepath.Join(os.TempDir(), fmt.Sprintf("dive-sandbox-escape-%d", os.Getpid()))
	defer os.Remove(marker)

	cases := []struct {
		name, code string
		want       func(r *Result) bool
	}{
		{"infinite loop", "while True: pass", func(r *Result) bool { return strings.Contains(r.Error, "interrupted") && !r.StateLost }},
		{"ignores interrupts", "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: time.sleep(0.01)", func(r *Result) bool { return r.StateLost }},
		{"fork bomb", "import os\npids = []\ntry:\n    for _ in range(10000): pids.append(os.fork()) if True else None\nexcept OSError as e: print('contained', e.errno)\nif 0 in pids: os._exit(0)", func(r *Result) bool { return strings.Contains(r.Stdout, "contained") }},
		{"memory bomb", "x = bytearray(4 * 1024**3)", func(r *Result) bool { return strings.Contains(r.Error, "MemoryError") }},
		{"network", fmt.Sprintf("import socket\nsocket.create_connection(('127.0.0.1', %d), timeout=1)", ln.Addr().(*net.TCPAddr).Port), func(r *Result) bool { return strings.Contains(r.Error, "Error") }},
		{"read /etc/shadow", "open('/etc/shadow').read()", func(r *Result) bool {
			return strings.Contains(r.Error, "PermissionError") || strings.Contains(r.Error, "FileNotFoundError")
		}},
		{"write outside scratch", "open('/usr/dive-escape', 'w')", func(r *Result) bool { return strings.Contains(r.Error, "Error") }},
		{"write /tmp", fmt.Sprintf("open(%q, 'w').write('x')", marker), func(r *Result) bool {
			return strings.Contains(r.Error, "PermissionError") || strings.Contains(r.Error, "FileNotFoundError") // there is no /tmp
		}},
		{"write scratch", "open('f', 'w').write('ok'); print(open('f').read())", func(r *Result) bool { return strings.TrimSpace(r.Stdout) == "ok" }},
		{"tempfile", "import tempfile\nwith tempfile.TemporaryFile() as f: f.write(b'x')\nprint('ok')", func(r *Result) bool { return strings.TrimSpace(r.Stdout) == "ok" }},
		{"exec from scratch", "import os, subprocess\nopen('x.sh', 'w').write('#!/bin/sh\\necho hi\\n')\nos.chmod('x.sh', 0o755)\nsubprocess.run(['./x.sh'])", func(r *Result) bool { return strings.Contains(r.Error, "PermissionError") }},
		{"subprocess", "import subprocess\nprint(subprocess.run(['/bin/echo', 'hi'], capture_output=True, text=True).stdout)", func(r *Result) bool { return strings.Contains(r.Stdout, "hi") }},
		{"seccomp", "print(open('/proc/self/status').read().split('Seccomp:')[1].split()[0])\nimport ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.unshare(0x10000000), ctypes.get_errno())", func(r *Result) bool { return strings.TrimSpace(r.Stdout) == "2\n-1 1" }},
		{"mount", "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.mount(b'none', b'/mnt', b'tmpfs', 0, None), ctypes.get_errno())", func(r *Result) bool { return strings.TrimSpace(r.Stdout) == "-1 1" }},
		{"signal the server", fmt.Sprintf("import os, signal\nos.kill(%d, signal.SIGTERM)", os.Getpid()), func(r *Result) bool { return strings.Contains(r.Error, "ProcessLookupError") }},
		{"see host processes", "import os\nprint(sorted(int(d) for d in os.listdir('/proc') if d.isdigit()))", func(r *Result) bool {
			return strings.HasPrefix(r.Stdout, "[1") && !strings.Contains(r.Stdout, fmt.Sprint(os.Getpid()))
		}},
		{"100 MB of output", "print('x' * 100_000_000)", func(r *Result) bool { return r.Truncated && r.OutputBytes >= 100_000_000 && len(r.Stdout) < 100_000 }},
		{"disk fill", "f = open('big', 'wb')\nfor _ in range(1000): f.write(b'x' * (1 << 20))", func(r *Result) bool { return strings.Contains(r.Error, "Error") }},
		{"environment", "import os; print(sorted(os.environ))", func(r *Result) bool {
			return !strings.Contains(r.Stdout, "DIVE") && !strings.Contains(r.Stdout, "TOKEN")
		}},
		{"uid", "import os; print(os.getuid(), os.getgid())", func(r *Result) bool { return strings.TrimSpace(r.Stdout) == "65534 65534" }},
		// The red team's #5/#6/#17: AF_VSOCK reaches the host from any network
		// namespace, io_uring's operations pass seccomp by, and the capability
		// bounding set was left full.
		{"vsock", "import socket\ntry:\n    socket.socket(40, socket.SOCK_STREAM)\n    print('opened')\nexcept OSError as e:\n    print('refused', e.errno)", func(r *Result) bool {
			return strings.TrimSpace(r.Stdout) == "refused 1"
		}},
		{"packet socket", "import socket\ntry:\n    socket.socket(17, socket.SOCK_RAW)\n    print('opened')\nexcept OSError as e:\n    print('refused', e.errno)", func(r *Result) bool {
			return strings.TrimSpace(r.Stdout) == "refused 1"
		}},
		{"inet and unix sockets open", "import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()\nsocket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()\nsocket.socket(socket.AF_UNIX).close()\na, b = socket.socketpair(); print('ok')", func(r *Result) bool {
			return strings.TrimSpace(r.Stdout) == "ok"
		}},
		{"io_uring", fmt.Sprintf("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nbuf = ctypes.create_string_buffer(256)\nprint(libc.syscall(%d, 8, buf), ctypes.get_errno())", unix.SYS_IO_URING_SETUP), func(r *Result) bool {
			return strings.TrimSpace(r.Stdout) == "-1 1"
		}},
		{"capability bounding set", "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('CapBnd')][0])", func(r *Result) bool {
			return strings.TrimSpace(r.Stdout) == "0000000000000000"
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, p, fmt.Sprintf("hostile-%d", i), c.code)
			if !c.want(r) {
				t.Fatalf("not contained as expected: %+v", r)
			}
		})
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("sandboxed code wrote to the host's /tmp")
	}
	if r := run(t, p, "after", "sum(range(10))"); strings.TrimSpace(r.Stdout) != "45" {
		t.Fatalf("the pool stopped serving: %+v", r)
	}
}

// TestConcurrentCallsShareTheEpisodeSlot: parallel calls of one episode
// (several code_execution calls in one step) end up in one slot.
func TestConcurrentCallsShareTheEpisodeSlot(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.Warm = 0 })
	done := make(chan *Result, 4)
	for i := 0; i < 4; i++ {
		go func() { done <- run(t, p, "ep", "import os\nprint(os.getpid())") }()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	p.mu.Lock()
	live, leased := p.live, len(p.leased)
	p.mu.Unlock()
	if live != 1 || leased != 1 {
		t.Fatalf("%d live slots, %d leased, want 1 and 1", live, leased)
	}
}

func TestKilledSlotTellsTheModel(t *testing.T) {
	p := newTestPool(t, nil)
	run(t, p, "ep", "y = 1")
	r := run(t, p, "ep", "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: time.sleep(0.01)")
	if !r.StateLost {
		t.Fatalf("hard hang: %+v", r)
	}
	r = run(t, p, "ep", "y")
	if !r.StateLost || r.Note == "" || !strings.Contains(r.Error, "NameError") {
		t.Fatalf("the next call should say the state is gone: %+v", r)
	}
}

// TestThroughTheRegistry: calls through the registry are validated and
// keyed by session; closing the session kills the slot.
// TestSweep: slots of a server that is gone are removed at start-up; those
// of live servers are not.
func TestSweep(t *testing.T) {
	p := newTestPool(t, nil)
	dead := filepath.Join(p.cfg.ScratchRoot, "slot-999999999-1")
	live := filepath.Join(p.cfg.ScratchRoot, fmt.Sprintf("slot-%d-999", os.Getppid()))
	for _, d := range []string{dead, live} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range p.cg.dirs {
		if err := os.MkdirAll(filepath.Join(d, cgroupParent, "slot-999999999-1"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	q, err := New(p.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, err := os.Stat(dead); err == nil {
		t.Error("scratch of a dead server was not swept")
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("scratch of a live server was swept")
	}
	os.RemoveAll(live)
	for _, d := range p.cg.dirs {
		if _, err := os.Stat(filepath.Join(d, cgroupParent, "slot-999999999-1")); err == nil {
			t.Errorf("cgroup of a dead server was not swept in %s", d)
		}
	}
}

func TestThroughTheRegistry(t *testing.T) {
	p := newTestPool(t, nil)
	reg := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(reg, p, ""); err != nil {
		t.Fatal(err)
	}
	tool, _ := reg.Get(ToolID)
	ctx := toolexec.WithSession(context.Background(), "ep-1")
	if res := reg.Call(ctx, tool, json.RawMessage(`{"code": ""}`)); res.Err == nil || res.Err.Kind != toolexec.ErrInvalidArguments {
		t.Fatalf("empty code: %+v", res)
	}
	if res := reg.Call(ctx, tool, json.RawMessage(`{"code": "z = 6 * 7\nz"}`)); res.Err != nil || !strings.Contains(res.Output, `"stdout":"42\n"`) {
		t.Fatalf("call: %+v", res)
	}
	p.mu.Lock()
	leased := len(p.leased)
	p.mu.Unlock()
	if leased != 1 {
		t.Fatalf("%d leased slots, want 1", leased)
	}
	reg.CloseSession("ep-1")
	p.mu.Lock()
	leased = len(p.leased)
	p.mu.Unlock()
	if leased != 0 {
		t.Fatal("closing the session did not release its slot")
	}

	unavailable := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(unavailable, nil, "not root"); err != nil { // an untyped nil: no executor
		t.Fatal(err)
	}
	if tool, _ := unavailable.Get(ToolID); tool.Executable() || !strings.Contains(tool.Reason(), "not root") {
		t.Fatalf("unavailable tool: %+v", tool)
	}
}

// TestHiddenPaths: the server's own files (a task file with ground truths, a
// trajectory log, a directory of them) are invisible to sandboxed code even
// when their permissions would let anyone read them; paths the sandbox needs
// are never hidden.
// TestSandboxSeesAnAllowList: the sandbox's root holds the interpreter,
// its libraries and a few files of /etc, nothing else of the host: not the
// server's working data, not a file made after the slot started (the red
// team found the trajectory log readable by the warm slots that started
// before it existed), not the source checkout the tests run in. Hidden
// paths are covered inside what it does see.
func TestSandboxSeesAnAllowList(t *testing.T) {
	dir, err := os.MkdirTemp("/var/lib", "dive-hide-test-")
	if err != nil {
		t.Skipf("no writable /var/lib: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	taskFile := filepath.Join(dir, "tasks.jsonl")
	if err := os.WriteFile(taskFile, []byte(`{"ground_truth": "42"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p := newTestPool(t, func(c *Config) { c.Hide = []string{"/etc/hosts", "/", "/usr", "relative/path", c.Python} })
	// Made after the pool's warm slot started, as a trajectory log is.
	later := filepath.Join(dir, "trajectories.jsonl")
	if err := os.WriteFile(later, []byte(`{"ground_truth": "42"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	read := func(path string) string {
		code := fmt.Sprintf("import os\ntry:\n    print(repr(open(%q).read()))\nexcept Exception as e:\n    print(type(e).__name__)", path)
		return strings.TrimSpace(run(t, p, "hide", code).Stdout)
	}
	for _, path := range []string{taskFile, later, filepath.Join(wd, "sandbox_test.go"), "/etc/shadow", "/root/.bashrc"} {
		if got := read(path); got != "FileNotFoundError" && got != "PermissionError" {
			t.Errorf("%s is readable in the sandbox: %s", path, got)
		}
	}
	if got := read("/etc/hosts"); got != "''" {
		t.Errorf("a hidden file: %s", got)
	}
	list := func(path string) string {
		code := fmt.Sprintf("import os\ntry:\n    print(sorted(os.listdir(%q)))\nexcept Exception as e:\n    print(type(e).__name__)", path)
		return strings.TrimSpace(run(t, p, "hide", code).Stdout)
	}
	if got := list("/"); got != "['bin', 'dev', 'etc', 'lib', 'lib64', 'proc', 'run', 'sbin', 'usr']" && !strings.HasPrefix(got, "['bin', 'dev', 'etc'") {
		t.Errorf("the sandbox's root: %s", got)
	}
	for _, path := range []string{"/var", "/home", "/srv", "/work", "/opt", "/mnt", "/sys"} {
		if got := list(path); got != "FileNotFoundError" {
			t.Errorf("%s in the sandbox: %s", path, got)
		}
	}
	if got := list("/usr/local"); got != "[]" {
		t.Errorf("/usr/local in the sandbox: %s", got)
	}
	if r := run(t, p, "hide", "import json, sys, decimal, sqlite3; print(sys.version_info[0])"); strings.TrimSpace(r.Stdout) != "3" {
		t.Errorf("python and its libraries: %+v", r)
	}
	for _, c := range []struct {
		path string
		want bool
	}{{"/", false}, {"/usr", false}, {"/usr/bin/python3", false}, {"/run", false}, {"/var", false}, {"/var/lib/dive", true}, {"/srv/dive/tasks", true}, {"rel", false}} {
		if got := hideable(c.path, "/run/dive-sandbox/slot-1", "/usr/bin/python3"); got != c.want {
			t.Errorf("hideable(%q) = %v", c.path, got)
		}
	}
}

// TestShortenedDeadlineIsSaid: when the call's deadline leaves less than the
// sandbox's own time limit (the rest went to waiting for a slot or for the
// episode's earlier calls), the interruption message says so instead of
// naming a limit the model never saw.
func TestShortenedDeadlineIsSaid(t *testing.T) {
	p := newTestPool(t, nil)
	ctx, cancel := context.WithTimeout(toolexec.WithSession(context.Background(), "short"), 1200*time.Millisecond)
	defer cancel()
	args, _ := json.Marshal(map[string]string{"code": "while True: pass"})
	v, err := p.Execute(ctx, args)
	if err != nil {
		t.Fatal(err)
	}
	if r := v.(*Result); !strings.Contains(r.Error, "left of the call's deadline after waiting for the sandbox") {
		t.Fatalf("message: %q", r.Error)
	}
	if r := run(t, p, "full", "while True: pass"); !strings.Contains(r.Error, "its time limit of 2s") {
		t.Fatalf("message with the full limit: %q", r.Error)
	}
}

// TestStats: the counts follow leases, one-off calls, kills and session ends;
// a one-off call whose slot is killed is counted once (it used to be retired
// twice, leaving the pool believing it ran one slot fewer than it did).
func TestStats(t *testing.T) {
	p := newTestPool(t, nil)
	waitFor := func(what string, ok func(Stats) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok(p.Stats()) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: stats %+v", what, p.Stats())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("one warm slot", func(s Stats) bool { return s.Warm == 1 && s.Leased == 0 && s.Starting == 0 })
	run(t, p, "ep", "x = 1")
	waitFor("ep leased, a new warm one", func(s Stats) bool { return s.Warm == 1 && s.Leased == 1 && s.Killed == 0 })
	hang := "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: time.sleep(0.01)"
	if r := run(t, p, "", hang); !strings.Contains(r.Error, "time limit") && r.Error == "" {
		t.Fatalf("one-off hang: %+v", r)
	}
	waitFor("the one-off slot killed once", func(s Stats) bool { return s.Killed == 1 && s.Leased == 1 && s.Warm == 1 })
	p.mu.Lock()
	live := p.live
	p.mu.Unlock()
	if live != 2 {
		t.Fatalf("live %d, want 2 (ep's and the warm one)", live)
	}
	p.CloseSession("ep")
	waitFor("ep's slot ended, not counted as killed", func(s Stats) bool { return s.Leased == 0 && s.Killed == 1 && s.Max == p.cfg.MaxSlots })
}

// A process killed by a signal is reported with the signal's name
// ("killed by SIGKILL", not "killed by killed" as syscall.Signal.String
// gave).
func TestExitReasonNamesTheSignal(t *testing.T) {
	cmd := exec.Command("/bin/sleep", "10")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if got := exitReason(cmd.ProcessState); got != "it was killed by SIGKILL (most likely over its memory limit)" {
		t.Fatalf("exitReason = %q", got)
	}
	if got := exitReason(nil); got != "it ended" {
		t.Fatalf("exitReason(nil) = %q", got)
	}
}

// A call ends with everything it started: processes it left running (the
// red team's 63 spinning processes lived as long as the episode, slowing
// another client's episode from 33 ms to 8.3 s) are gone by the next call,
// and the slot's cgroup holds one CPU at most.
func TestCallEndsWithWhatItStarted(t *testing.T) {
	p := newTestPool(t, nil)
	r := run(t, p, "spin", "import subprocess\nps = [subprocess.Popen(['/usr/bin/python3', '-c', 'while True: pass']) for _ in range(4)]\nprint(len(ps))")
	if strings.TrimSpace(r.Stdout) != "4" {
		t.Fatalf("start: %+v", r)
	}
	r = run(t, p, "spin", "import os\nprint(sorted(int(d) for d in os.listdir('/proc') if d.isdigit()))")
	if strings.TrimSpace(r.Stdout) != "[1]" {
		t.Fatalf("processes left by the last call: %+v", r)
	}
	if r := run(t, p, "spin", "ps"); !strings.Contains(r.Stdout, "Popen") {
		t.Fatalf("the notebook's state: %+v", r)
	}
}

// TestFairShareOfSlots: one client can no longer hold every slot while
// another's code_execution fails (the red team's #14). A client below its
// share takes an idle slot from the one holding the most; that episode is
// told at its next call that its state was lost.
func TestFairShareOfSlots(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.MaxSlots, c.Warm = 2, 0 })
	call := func(client, session, code string) (*Result, error) {
		ctx := toolexec.WithClient(toolexec.WithSession(context.Background(), session), client)
		args, _ := json.Marshal(map[string]string{"code": code})
		v, err := p.Execute(ctx, args)
		if err != nil {
			return nil, err
		}
		return v.(*Result), nil
	}
	for _, sess := range []string{"a1", "a2"} {
		if _, err := call("10.0.0.1", sess, "x = 1"); err != nil {
			t.Fatal(err)
		}
	}
	r, err := call("10.0.0.2", "b1", "print('b')")
	if err != nil || strings.TrimSpace(r.Stdout) != "b" {
		t.Fatalf("a second client, with every slot held by the first: %+v %v", r, err)
	}
	// Each client now holds its share (one slot): a third episode of the first waits its turn.
	if _, err := call("10.0.0.1", "a3", "1"); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("a client past its share: %v", err)
	}
	p.CloseSession("b1")
	lost, kept := 0, 0
	for _, sess := range []string{"a1", "a2"} {
		r, err := call("10.0.0.1", sess, "print(x)")
		switch {
		case err != nil:
			t.Fatal(err)
		case r.StateLost && strings.Contains(r.Error, "NameError"):
			lost++
		case strings.TrimSpace(r.Stdout) == "1":
			kept++
		}
	}
	if lost != 1 || kept != 1 {
		t.Fatalf("the first client's episodes: %d told their state was lost, %d kept it; want 1 and 1", lost, kept)
	}
	if st := p.Stats(); st.Leased+st.Warm+st.Starting > 2 {
		t.Fatalf("slots over the limit: %+v", st)
	}
}

// A reply forged on the worker's pipe by sandboxed code (the red team's #12:
// a 63 MiB forged reply was accepted, and later calls got earlier calls'
// results) resets the slot; the next call is answered by its own reply.
func TestForgedReplyResetsTheSlot(t *testing.T) {
	p := newTestPool(t, nil)
	run(t, p, "forge", "x = 1")
	forge := "import os, json\nd = json.dumps({'stdout': 'forged', 'stderr': '', 'error': None, 'truncated': False, 'output_bytes': 6}).encode()\n" +
		"for fd in range(3, 8):\n    try:\n        os.write(fd, b'%d\\n' % len(d) + d)\n    except OSError:\n        pass"
	ctx := toolexec.WithSession(context.Background(), "forge")
	args, _ := json.Marshal(map[string]string{"code": forge})
	v, err := p.Execute(ctx, args)
	if err == nil && v.(*Result).Stdout == "forged" {
		t.Fatalf("a forged reply was taken: %+v", v)
	}
	for i, want := range []string{"2", "3"} {
		r := run(t, p, "forge", fmt.Sprintf("print(%d)", i+2))
		if strings.TrimSpace(r.Stdout) != want {
			t.Fatalf("call %d after the forgery: %+v", i, r)
		}
	}
	big := "import os\nfor fd in range(3, 8):\n    try:\n        os.write(fd, b'999999999\\n')\n    except OSError:\n        pass"
	args, _ = json.Marshal(map[string]string{"code": big})
	if v, err := p.Execute(ctx, args); err == nil {
		t.Fatalf("a huge forged frame header was taken: %+v", v)
	}
	if r := run(t, p, "forge", "print('fresh')"); strings.TrimSpace(r.Stdout) != "fresh" {
		t.Fatalf("after a huge frame header: %+v", r)
	}
	if r := run(t, p, "big-error", "raise ValueError('x' * 10_000_000)"); !strings.Contains(r.Error, "error truncated") {
		t.Fatalf("a huge error: %d bytes", len(r.Error))
	}
}

// Sandboxed commands (GNU units for unit_convert) count against the pool's
// slots: they ran beside a full pool before (the red team's #15).
func TestCommandsCountAgainstSlots(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.MaxSlots, c.Warm = 1, 0 })
	run(t, p, "holder", "x = 1")
	if _, err := p.RunCommand(context.Background(), []string{"/bin/echo", "hi"}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("a command beside a full pool: %v", err)
	}
	p.CloseSession("holder")
	res, err := p.RunCommand(context.Background(), []string{"/bin/echo", "hi"})
	if err != nil || strings.TrimSpace(res.Stdout) != "hi" {
		t.Fatalf("a command with a free slot: %+v %v", res, err)
	}
	if st := p.Stats(); st.Leased+st.Starting+st.Warm > 1 {
		t.Fatalf("slots after the command: %+v", st)
	}
}
