//go:build linux

package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The sandbox helper: the server re-executes its own binary with
// helperEnv set, in new pid, mount, net, ipc and uts namespaces. The helper
// (root inside them) makes the mounts private, gives the sandbox its own
// /proc and empty noexec tmpfs for /tmp, /var/tmp, /dev/shm and the scratch
// directory, makes the root file system read-only, drops to an unprivileged
// uid with no_new_privs, confines writes to scratch with Landlock, loads the
// seccomp deny-list, sets rlimits and execs the Python worker. It runs
// before main, from this package's init, in any binary that imports the
// package (the dive binary and test binaries alike).
const (
	helperEnv       = "DIVE_SANDBOX_HELPER"
	envScratch      = "DIVE_SANDBOX_SCRATCH"
	envScratchBytes = "DIVE_SANDBOX_SCRATCH_BYTES"
	envFileBytes    = "DIVE_SANDBOX_FILE_BYTES"
	envAddressBytes = "DIVE_SANDBOX_AS_BYTES"
	envPython       = "DIVE_SANDBOX_PYTHON"
	envUID          = "DIVE_SANDBOX_UID"
	envArgv         = "DIVE_SANDBOX_ARGV" // JSON argv of a command to run instead of the Python worker
	envHide         = "DIVE_SANDBOX_HIDE" // JSON list of paths to hide
)

func init() {
	if os.Getenv(helperEnv) != "1" {
		return
	}
	// helperMain only returns when something failed: on success it has exec'd the worker.
	fmt.Fprintf(os.Stderr, "sandbox helper: %v\n", helperMain())
	os.Exit(111)
}

func envInt(name string) (int64, error) {
	v, err := strconv.ParseInt(os.Getenv(name), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return v, nil
}

func helperMain() error {
	// no_new_privs is per thread, and exec must come from the thread that set it.
	runtime.LockOSThread()
	scratch := os.Getenv(envScratch)
	python := os.Getenv(envPython)
	scratchBytes, err := envInt(envScratchBytes)
	if err != nil {
		return err
	}
	fileBytes, err := envInt(envFileBytes)
	if err != nil {
		return err
	}
	asBytes, err := envInt(envAddressBytes)
	if err != nil {
		return err
	}
	uid64, err := envInt(envUID)
	if err != nil {
		return err
	}
	uid := int(uid64)

	// Mounts: private, a fresh /proc for the new pid namespace, empty
	// size-capped tmpfs where anyone may write, and the scratch directory.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	for _, dir := range []string{"/tmp", "/var/tmp", "/dev/shm"} {
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=16m,mode=1777"); err != nil {
			return fmt.Errorf("mount tmpfs on %s: %w", dir, err)
		}
	}
	var hide []string
	if raw := os.Getenv(envHide); raw != "" && raw != "null" {
		if err := json.Unmarshal([]byte(raw), &hide); err != nil {
			return fmt.Errorf("%s: %w", envHide, err)
		}
	}
	if err := hidePaths(hide, scratch, python); err != nil {
		return err
	}
	opts := fmt.Sprintf("size=%d,mode=0700,uid=%d,gid=%d", scratchBytes, uid, uid)
	if err := unix.Mount("tmpfs", scratch, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, opts); err != nil {
		return fmt.Errorf("mount scratch: %w", err)
	}
	// Everything else read-only: the root mount and every other mount below it.
	if err := remountReadOnly(scratch); err != nil {
		return err
	}

	// Drop privileges for good.
	if err := syscall.Setgroups(nil); err != nil { // syscall's Set* apply to every thread
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(uid); err != nil {
		return fmt.Errorf("setgid: %w", err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("setuid: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	// Landlock: writes only beneath scratch (and to /dev/null); then the
	// seccomp deny-list. Both hold for this thread and what it execs.
	if err := restrictWrites(scratch); err != nil {
		return err
	}
	if err := installSeccomp(); err != nil {
		return err
	}
	if err := os.Chdir(scratch); err != nil {
		return fmt.Errorf("chdir scratch: %w", err)
	}
	// Everything exec needs is allocated now: under a low RLIMIT_AS the Go
	// runtime may fail to allocate, so that limit is set last and followed
	// by the raw execve only.
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + scratch, "TMPDIR=" + scratch, "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1", "PYTHONIOENCODING=utf-8"}
	target := []string{python, "-I", "-S", "-u", "-c", workerSource}
	if raw := os.Getenv(envArgv); raw != "" {
		if err := json.Unmarshal([]byte(raw), &target); err != nil || len(target) == 0 {
			return fmt.Errorf("bad %s: %v", envArgv, err)
		}
		// A command starts at once: wait until the server has put us in the cgroup.
		var gate [1]byte
		if _, err := os.Stdin.Read(gate[:]); err != nil {
			return fmt.Errorf("wait for the start signal: %w", err)
		}
	}
	argv0, err := syscall.BytePtrFromString(target[0])
	if err != nil {
		return err
	}
	argv, err := syscall.SlicePtrFromStrings(target)
	if err != nil {
		return err
	}
	envv, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return err
	}
	for _, l := range []struct {
		res int
		val uint64
	}{{unix.RLIMIT_CORE, 0}, {unix.RLIMIT_NOFILE, 256}, {unix.RLIMIT_FSIZE, uint64(fileBytes)}, {unix.RLIMIT_AS, uint64(asBytes)}} {
		if err := unix.Setrlimit(l.res, &unix.Rlimit{Cur: l.val, Max: l.val}); err != nil {
			return fmt.Errorf("setrlimit %d: %w", l.res, err)
		}
	}
	_, _, errno := syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(argv0)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
	return fmt.Errorf("exec %s: %w", target[0], errno)
}

// hideable reports whether path may be hidden: not the root, and neither
// holding nor inside what the sandbox itself needs.
func hideable(path, scratch, python string) bool {
	if !filepath.IsAbs(path) {
		return false
	}
	path = filepath.Clean(path)
	for _, need := range []string{"/", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/proc", "/dev", "/sys", "/run", "/tmp", "/var/tmp",
		filepath.Dir(scratch), python} {
		if need == "" {
			continue
		}
		rel, err := filepath.Rel(path, filepath.Clean(need))
		if path == need || err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return false // path is need, or an ancestor of it
		}
	}
	return true
}

// hidePaths covers each hideable directory with an empty read-only tmpfs and
// each hideable file with /dev/null. Missing paths are skipped.
func hidePaths(paths []string, scratch, python string) error {
	for _, path := range paths {
		if !hideable(path, scratch, python) {
			continue
		}
		st, err := os.Stat(path)
		if err != nil {
			continue
		}
		if st.IsDir() {
			if err := unix.Mount("tmpfs", path, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=4k,mode=0555"); err != nil {
				return fmt.Errorf("hide %s: %w", path, err)
			}
			continue
		}
		if err := unix.Mount("/dev/null", path, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("hide %s: %w", path, err)
		}
	}
	return nil
}

// remountReadOnly makes every mount read-only except the writable ones the
// helper made (scratch, /tmp, /var/tmp, /dev/shm) and /proc.
func remountReadOnly(scratch string) error {
	keep := map[string]bool{scratch: true, "/tmp": true, "/var/tmp": true, "/dev/shm": true, "/proc": true}
	mounts, err := mountPoints()
	if err != nil {
		return err
	}
	for _, m := range mounts {
		if keep[m] || len(m) >= 6 && m[:6] == "/proc/" {
			continue
		}
		flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | unix.MS_NOSUID)
		if err := unix.Mount("", m, "", flags, ""); err != nil {
			// Some kernel file systems refuse a bind remount; the sandbox
			// user cannot write to them anyway. Anything else is an error.
			if m == "/" {
				return fmt.Errorf("remount / read-only: %w", err)
			}
		}
	}
	return nil
}

// mountPoints lists the mount points of this mount namespace, parents first.
func mountPoints() ([]string, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	var out []string
	line := 0
	for start := 0; start < len(data); line++ {
		end := start
		for end < len(data) && data[end] != '\n' {
			end++
		}
		fields := splitFields(string(data[start:end]))
		if len(fields) > 4 {
			out = append(out, unescapeMount(fields[4]))
		}
		start = end + 1
	}
	return out, nil
}

func splitFields(s string) []string {
	var out []string
	cur := ""
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if cur != "" {
				out = append(out, cur)
			}
			cur = ""
			continue
		}
		cur += string(s[i])
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// unescapeMount decodes the octal escapes (\040 for a space) of mountinfo.
func unescapeMount(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				out = append(out, byte(v))
				i += 3
				continue
			}
		}
		out = append(out, s[i])
	}
	return string(out)
}
