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
// (root inside them) makes the mounts private and pivots into a new,
// read-only root that holds only an allow-list — the interpreter's
// directories (/usr without /usr/local, /bin, /lib…), a few files of /etc,
// its own /proc, a minimal /dev and the noexec scratch tmpfs, the only
// place it can write (there is no /tmp: TMPDIR is scratch) — then drops to
// an unprivileged uid with no_new_privs, confines writes to scratch with
// Landlock, loads the seccomp deny-list, sets rlimits and execs the Python
// worker. It runs
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

	// Mounts: private; then a new root that holds only what the sandbox
	// needs (an allow-list: the interpreter and its libraries, a few files
	// of /etc, a fresh /proc, a minimal /dev and the scratch directory), so
	// that nothing else of the host — task files, trajectory logs, a source
	// checkout, tokens, files created after the slot started — is there to
	// read. Hidden paths are covered inside it; the root is read-only.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	var hide []string
	if raw := os.Getenv(envHide); raw != "" && raw != "null" {
		if err := json.Unmarshal([]byte(raw), &hide); err != nil {
			return fmt.Errorf("%s: %w", envHide, err)
		}
	}
	scratchOpts := fmt.Sprintf("size=%d,mode=0700,uid=%d,gid=%d", scratchBytes, uid, uid)
	if err := enterAllowListRoot(scratch, python, scratchOpts); err != nil {
		return err
	}
	if err := hidePaths(hide, scratch, python); err != nil {
		return err
	}
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("remount the root read-only: %w", err)
	}

	// Drop privileges for good: first the capability bounding set, so that
	// nothing exec'd later can regain a capability.
	for c := 0; c <= unix.CAP_LAST_CAP; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
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

// allowedDirs are the host directories the sandbox sees, read-only: the
// interpreter, its libraries and the programs it may run. /usr/local is
// covered (a server installed there, Go, a checkout), unless the
// interpreter lives in it.
var allowedDirs = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}

// allowedEtc are the files of /etc the sandbox sees: the dynamic loader's,
// name lookups of the local users, time zone, TLS roots, MIME types and
// Debian's alternatives (symlinks of /usr/bin).
var allowedEtc = []string{"ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "nsswitch.conf", "passwd", "group",
	"hosts", "alternatives", "ssl", "ca-certificates", "mime.types", "os-release", "debian_version", "protocols", "services"}

// enterAllowListRoot builds a new root on a tmpfs over scratch (the slot's
// directory, already private to this mount namespace), binds the allowed
// directories into it read-only, mounts /proc, a minimal /dev and the
// scratch tmpfs at scratch's own path, and pivots into it.
func enterAllowListRoot(scratch, python, scratchOpts string) error {
	root := scratch
	if err := unix.Mount("tmpfs", root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=1m,mode=0755"); err != nil {
		return fmt.Errorf("mount the new root: %w", err)
	}
	bindRO := func(src, dst string) error {
		if err := unix.Mount(src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind %s: %w", src, err)
		}
		if err := unix.Mount("", dst, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
			return fmt.Errorf("bind %s read-only: %w", src, err)
		}
		return nil
	}
	// place makes dst in the new root like src on the host: a symlink as a
	// symlink, a directory or file bound read-only.
	place := func(src string) error {
		st, err := os.Lstat(src)
		if err != nil {
			return nil // not on this host
		}
		dst := filepath.Join(root, src)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		switch {
		case st.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(src)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		case st.IsDir():
			if err := os.Mkdir(dst, 0o755); err != nil && !os.IsExist(err) {
				return err
			}
		default:
			if err := os.WriteFile(dst, nil, 0o644); err != nil {
				return err
			}
		}
		return bindRO(src, dst)
	}
	for _, d := range allowedDirs {
		if err := place(d); err != nil {
			return fmt.Errorf("allow %s: %w", d, err)
		}
	}
	for _, f := range allowedEtc {
		if err := place(filepath.Join("/etc", f)); err != nil {
			return fmt.Errorf("allow /etc/%s: %w", f, err)
		}
	}
	if matches, _ := filepath.Glob("/etc/python3*"); len(matches) > 0 {
		for _, m := range matches {
			if err := place(m); err != nil {
				return fmt.Errorf("allow %s: %w", m, err)
			}
		}
	}
	// The interpreter: under /usr it is there already; elsewhere its
	// installation prefix is bound too.
	realPython, err := filepath.EvalSymlinks(python)
	if err != nil {
		return fmt.Errorf("interpreter %s: %w", python, err)
	}
	prefix := filepath.Dir(filepath.Dir(realPython))
	inUsrLocal := strings.HasPrefix(realPython, "/usr/local/")
	if !underAny(realPython, allowedDirs) || inUsrLocal {
		if err := place(prefix); err != nil {
			return fmt.Errorf("allow the interpreter's prefix %s: %w", prefix, err)
		}
	}
	if !inUsrLocal {
		if local := filepath.Join(root, "/usr/local"); dirExists(local) {
			if err := unix.Mount("tmpfs", local, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=4k,mode=0555"); err != nil {
				return fmt.Errorf("cover /usr/local: %w", err)
			}
		}
	}
	// A fresh /proc for the new pid namespace.
	procDir := filepath.Join(root, "proc")
	if err := os.Mkdir(procDir, 0o555); err != nil {
		return err
	}
	if err := unix.Mount("proc", procDir, "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	// A minimal /dev: the character devices programs open.
	devDir := filepath.Join(root, "dev")
	if err := os.Mkdir(devDir, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", devDir, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "size=64k,mode=0755"); err != nil {
		return fmt.Errorf("mount /dev: %w", err)
	}
	for _, d := range []string{"null", "zero", "full", "random", "urandom"} {
		dst := filepath.Join(devDir, d)
		if err := os.WriteFile(dst, nil, 0o666); err != nil {
			return err
		}
		if err := unix.Mount(filepath.Join("/dev", d), dst, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind /dev/%s: %w", d, err)
		}
	}
	for link, target := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		if err := os.Symlink(target, filepath.Join(devDir, link)); err != nil {
			return err
		}
	}
	// The scratch directory, at its own path.
	scratchDir := filepath.Join(root, scratch)
	if err := os.MkdirAll(scratchDir, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", scratchDir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, scratchOpts); err != nil {
		return fmt.Errorf("mount scratch: %w", err)
	}
	// Pivot, and let go of the old root.
	old := filepath.Join(root, ".old-root")
	if err := os.Mkdir(old, 0o700); err != nil {
		return err
	}
	if err := unix.PivotRoot(root, old); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}
	if err := unix.Unmount("/.old-root", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach the old root: %w", err)
	}
	return os.Remove("/.old-root")
}

func underAny(path string, dirs []string) bool {
	for _, d := range dirs {
		if path == d || strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

func dirExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
