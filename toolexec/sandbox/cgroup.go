//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroupParent names the cgroup under which every slot's cgroup lives, so a
// restart can find and remove what a crashed server left.
const cgroupParent = "dive-sandbox"

// cgroups limits memory, process count and CPU of each slot, on cgroup v2
// (one unified hierarchy with the memory and pids controllers, and cpu
// where it is there) or v1 (separate memory and pids hierarchies, and a cpu
// one where mounted), whichever this machine has.
//
// CPU: each slot is one cgroup with the default weight (cpu.weight 100 /
// cpu.shares 1024), so that under contention every episode's processes
// together get one share, however many it starts, and the slots together
// weigh as much as one busy thread per CPU: the slots get about half the
// machine and the server's threads, the readers that answer every client,
// the other half. (A quota of one CPU per slot was tried: CFS throttling
// made normal calls miss their deadlines in the soak.)
type cgroups struct {
	mode string   // "v2", "v1" or "" (none usable)
	dirs []string // v2: [root]; v1: [memory root, pids root] and the cpu root when mounted
	cpu  bool     // the cpu controller is there
}

// CPU limits (see cgroups).
const (
	slotCPUWeight   = 100  // v2 (the default)
	slotCPUShares   = 1024 // v1 (the default)
	parentCPUWeight = 100  // v2, per CPU (the default weight is 100)
	parentCPUShares = 1024 // v1, per CPU (the default shares are 1024)
)

// detectCgroups finds a usable cgroup setup under root (normally /sys/fs/cgroup).
func detectCgroups(root string) (*cgroups, string) {
	if data, err := os.ReadFile(filepath.Join(root, "cgroup.controllers")); err == nil {
		ctl := " " + strings.TrimSpace(string(data)) + " "
		if strings.Contains(ctl, " memory ") && strings.Contains(ctl, " pids ") {
			return &cgroups{mode: "v2", dirs: []string{root}, cpu: strings.Contains(ctl, " cpu ")}, ""
		}
		return &cgroups{}, "cgroup v2 without the memory and pids controllers"
	}
	mem, pids := filepath.Join(root, "memory"), filepath.Join(root, "pids")
	if isDir(filepath.Join(mem, "cgroup.procs")) == nil && isDir(filepath.Join(pids, "cgroup.procs")) == nil {
		cg := &cgroups{mode: "v1", dirs: []string{mem, pids}}
		if cpu := filepath.Join(root, "cpu"); isDir(filepath.Join(cpu, "cpu.cfs_quota_us")) == nil {
			cg.dirs, cg.cpu = append(cg.dirs, cpu), true
		}
		return cg, ""
	}
	return &cgroups{}, "no writable memory and pids cgroup controllers"
}

func isDir(path string) error {
	_, err := os.Stat(path)
	return err
}

// prepare creates the parent cgroups (enabling the v2 controllers) and
// removes slot cgroups that a server no longer running left behind, killing
// their processes. Slots of live servers are left alone.
func (c *cgroups) prepare() error {
	for _, d := range c.dirs {
		parent := filepath.Join(d, cgroupParent)
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("create cgroup %s: %w", parent, err)
		}
		if c.mode == "v2" {
			controllers := "+memory +pids"
			if c.cpu {
				controllers += " +cpu"
			}
			_ = os.WriteFile(filepath.Join(d, "cgroup.subtree_control"), []byte(controllers), 0o644)
			if err := os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte(controllers), 0o644); err != nil {
				return fmt.Errorf("enable controllers in %s: %w", parent, err)
			}
			if c.cpu {
				if err := os.WriteFile(filepath.Join(parent, "cpu.weight"), []byte(strconv.Itoa(min(10000, parentCPUWeight*runtime.NumCPU()))), 0o644); err != nil {
					return fmt.Errorf("set the sandboxes' CPU weight: %w", err)
				}
			}
		} else if c.cpu && d == c.dirs[len(c.dirs)-1] {
			if err := os.WriteFile(filepath.Join(parent, "cpu.shares"), []byte(strconv.Itoa(parentCPUShares*runtime.NumCPU())), 0o644); err != nil {
				return fmt.Errorf("set the sandboxes' CPU shares: %w", err)
			}
		}
		entries, _ := os.ReadDir(parent)
		for _, e := range entries {
			if e.IsDir() && !ownerAlive(e.Name()) {
				c.destroyDir(filepath.Join(parent, e.Name()))
			}
		}
	}
	return nil
}

// slotName names a slot after the server process that owns it.
func slotName(n uint64) string { return fmt.Sprintf("slot-%d-%d", os.Getpid(), n) }

// ownerAlive reports whether the server process named in a slot name runs.
func ownerAlive(name string) bool {
	parts := strings.Split(name, "-")
	if len(parts) != 3 || parts[0] != "slot" {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return false
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// create makes a slot's cgroups with its limits.
func (c *cgroups) create(name string, memoryBytes int64, pids int) error {
	if c.mode == "" {
		return nil
	}
	for _, d := range c.dirs {
		dir := filepath.Join(d, cgroupParent, name)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create cgroup %s: %w", dir, err)
		}
	}
	var writes [][2]string
	if c.mode == "v2" {
		dir := filepath.Join(c.dirs[0], cgroupParent, name)
		writes = [][2]string{{filepath.Join(dir, "memory.max"), strconv.FormatInt(memoryBytes, 10)},
			{filepath.Join(dir, "memory.swap.max"), "0"}, {filepath.Join(dir, "pids.max"), strconv.Itoa(pids)}}
		if c.cpu {
			writes = append(writes, [2]string{filepath.Join(dir, "cpu.weight"), strconv.Itoa(slotCPUWeight)})
		}
	} else {
		// memsw (memory + swap) after memory, which it may not be below; absent without swap accounting.
		writes = [][2]string{{filepath.Join(c.dirs[0], cgroupParent, name, "memory.limit_in_bytes"), strconv.FormatInt(memoryBytes, 10)},
			{filepath.Join(c.dirs[0], cgroupParent, name, "memory.memsw.limit_in_bytes"), strconv.FormatInt(memoryBytes, 10)},
			{filepath.Join(c.dirs[1], cgroupParent, name, "pids.max"), strconv.Itoa(pids)}}
		if c.cpu {
			writes = append(writes, [2]string{filepath.Join(c.dirs[2], cgroupParent, name, "cpu.shares"), strconv.Itoa(slotCPUShares)})
		}
	}
	for _, w := range writes {
		if err := os.WriteFile(w[0], []byte(w[1]), 0o644); err != nil {
			if strings.HasSuffix(w[0], "memory.swap.max") || strings.HasSuffix(w[0], "memory.memsw.limit_in_bytes") {
				if _, statErr := os.Stat(w[0]); errors.Is(statErr, os.ErrNotExist) {
					continue // no swap accounting: nothing to limit
				}
			}
			return fmt.Errorf("set %s: %w", w[0], err)
		}
	}
	return nil
}

// add moves a process into a slot's cgroups.
func (c *cgroups) add(name string, pid int) error {
	for _, d := range c.dirs {
		procs := filepath.Join(d, cgroupParent, name, "cgroup.procs")
		if err := os.WriteFile(procs, []byte(strconv.Itoa(pid)), 0o644); err != nil {
			return fmt.Errorf("add pid %d to %s: %w", pid, procs, err)
		}
	}
	return nil
}

// destroy kills whatever is left in a slot's cgroups and removes them.
func (c *cgroups) destroy(name string) {
	for _, d := range c.dirs {
		c.destroyDir(filepath.Join(d, cgroupParent, name))
	}
}

func (c *cgroups) destroyDir(dir string) {
	for attempt := 0; attempt < 50; attempt++ {
		if data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil {
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil {
					_ = killPid(pid)
				}
			}
		}
		if err := os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
