//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The seccomp filter: a deny-list. Sandboxed code gets EPERM for system
// calls that only an administrator or a debugger needs (mounting, modules,
// kexec, ptrace of other processes, bpf, perf, keyrings, clock setting,
// namespaces: unshare, setns and clone with a namespace flag), for
// io_uring (whose operations seccomp cannot see), and for sockets of any
// family but Unix, IPv4, IPv6 and netlink (AF_VSOCK reaches the host from
// any network namespace); ENOSYS for clone3, whose flags a filter cannot
// read (the C library then falls back to clone). Everything else is
// allowed.

// BPF instruction classes and fields (linux/filter.h).
const (
	bpfLD  = 0x00
	bpfW   = 0x00
	bpfABS = 0x20
	bpfALU = 0x04
	bpfAND = 0x50
	bpfJMP = 0x05
	bpfJEQ = 0x10
	bpfJGE = 0x30
	bpfK   = 0x00
	bpfRET = 0x06

	seccompDataNr   = 0
	seccompDataArch = 4
	seccompDataArg0 = 16 // low 32 bits on little-endian machines
)

const namespaceCloneFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET |
	unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWCGROUP

// allowedSocketFamilies are the address families socket(2) may open; the
// type argument's flags (SOCK_CLOEXEC…) live in another argument.
var allowedSocketFamilies = []int{unix.AF_UNIX, unix.AF_INET, unix.AF_INET6, unix.AF_NETLINK}

// errSeccompArch is returned where the deny-list has no syscall numbers.
var errSeccompArch = errors.New("no seccomp filter for this architecture")

// seccompProgram assembles the filter for this architecture.
func seccompProgram() ([]unix.SockFilter, error) {
	if auditArch == 0 {
		return nil, errSeccompArch
	}
	stmt := func(code uint16, k uint32) unix.SockFilter { return unix.SockFilter{Code: code, K: k} }
	// Jumps are filled in once the layout is known; targets name the tail.
	type jump struct {
		at     int
		target string
	}
	var prog []unix.SockFilter
	var jumps []jump
	jeq := func(k uint32, target string) {
		jumps = append(jumps, jump{len(prog), target})
		prog = append(prog, unix.SockFilter{Code: bpfJMP | bpfJEQ | bpfK, K: k})
	}
	prog = append(prog, stmt(bpfLD|bpfW|bpfABS, seccompDataArch))
	prog = append(prog, unix.SockFilter{Code: bpfJMP | bpfJEQ | bpfK, K: auditArch, Jt: 1, Jf: 0})
	prog = append(prog, stmt(bpfRET|bpfK, unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM)))
	prog = append(prog, stmt(bpfLD|bpfW|bpfABS, seccompDataNr))
	if x32Bit != 0 {
		jumps = append(jumps, jump{len(prog), "deny"})
		prog = append(prog, unix.SockFilter{Code: bpfJMP | bpfJGE | bpfK, K: x32Bit})
	}
	for _, nr := range deniedSyscalls {
		jeq(uint32(nr), "deny")
	}
	jeq(uint32(unix.SYS_CLONE3), "enosys")
	jeq(uint32(unix.SYS_CLONE), "clone")
	jeq(uint32(unix.SYS_SOCKET), "socket")
	labels := map[string]int{}
	prog = append(prog, stmt(bpfRET|bpfK, unix.SECCOMP_RET_ALLOW))
	labels["socket"] = len(prog)
	prog = append(prog, stmt(bpfLD|bpfW|bpfABS, seccompDataArg0))
	for _, family := range allowedSocketFamilies {
		jeq(uint32(family), "allow")
	}
	jumps = append(jumps, jump{len(prog), "deny"})
	prog = append(prog, unix.SockFilter{Code: bpfJMP | bpfJGE | bpfK, K: 0}) // always: the family is not allowed
	labels["allow"] = len(prog)
	prog = append(prog, stmt(bpfRET|bpfK, unix.SECCOMP_RET_ALLOW))
	labels["clone"] = len(prog)
	prog = append(prog, stmt(bpfLD|bpfW|bpfABS, seccompDataArg0))
	prog = append(prog, stmt(bpfALU|bpfAND|bpfK, namespaceCloneFlags))
	prog = append(prog, unix.SockFilter{Code: bpfJMP | bpfJEQ | bpfK, K: 0, Jt: 0, Jf: 1})
	prog = append(prog, stmt(bpfRET|bpfK, unix.SECCOMP_RET_ALLOW))
	labels["deny"] = len(prog)
	prog = append(prog, stmt(bpfRET|bpfK, unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM)))
	labels["enosys"] = len(prog)
	prog = append(prog, stmt(bpfRET|bpfK, unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS)))
	for _, j := range jumps {
		off := labels[j.target] - j.at - 1
		if off < 0 || off > 255 {
			return nil, fmt.Errorf("seccomp filter jump out of range (%d)", off)
		}
		prog[j.at].Jt = uint8(off)
	}
	return prog, nil
}

// installSeccomp loads the filter on the calling thread (it survives exec).
// no_new_privs must already be set.
func installSeccomp() error {
	prog, err := seccompProgram()
	if err != nil {
		return err
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&fprog)), 0, 0); err != nil {
		return fmt.Errorf("install seccomp filter: %w", err)
	}
	return nil
}
