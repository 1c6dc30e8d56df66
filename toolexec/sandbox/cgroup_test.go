//go:build linux

package sandbox

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// TestCgroupV2Limits exercises the cgroup v2 path against a fake cgroupfs
// directory: detection, enabling the controllers, the limits and adding a pid.
func TestCgroupV2Limits(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n")
	writeFile(t, filepath.Join(root, "cgroup.subtree_control"), "")
	writeFile(t, filepath.Join(root, cgroupParent, "cgroup.subtree_control"), "")
	cg, why := detectCgroups(root)
	if cg.mode != "v2" || why != "" {
		t.Fatalf("detected %q (%s), want v2", cg.mode, why)
	}
	if err := cg.prepare(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(root, cgroupParent, "cgroup.subtree_control")); got != "+memory +pids +cpu" {
		t.Fatalf("controllers not enabled for slots: %q", got)
	}
	if got := readFile(t, filepath.Join(root, cgroupParent, "cpu.weight")); got != strconv.Itoa(min(10000, 100*runtime.NumCPU())) {
		t.Fatalf("the sandboxes' CPU weight: %q", got)
	}
	if err := cg.create("slot-1-1", 256<<20, 32); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, cgroupParent, "slot-1-1")
	for file, want := range map[string]string{"memory.max": "268435456", "memory.swap.max": "0", "pids.max": "32", "cpu.weight": "100"} {
		if got := readFile(t, filepath.Join(dir, file)); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	if err := cg.add("slot-1-1", 4242); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "cgroup.procs")); got != "4242" {
		t.Fatalf("cgroup.procs = %q", got)
	}
}

func TestCgroupDetection(t *testing.T) {
	noControllers := t.TempDir()
	writeFile(t, filepath.Join(noControllers, "cgroup.controllers"), "cpu io\n")
	if cg, why := detectCgroups(noControllers); cg.mode != "" || !strings.Contains(why, "without the memory and pids") {
		t.Fatalf("v2 without controllers: %q %q", cg.mode, why)
	}
	v1 := t.TempDir()
	writeFile(t, filepath.Join(v1, "memory", "cgroup.procs"), "")
	writeFile(t, filepath.Join(v1, "pids", "cgroup.procs"), "")
	if cg, _ := detectCgroups(v1); cg.mode != "v1" || len(cg.dirs) != 2 || cg.cpu {
		t.Fatalf("v1: %+v", cg)
	}
	if cg, why := detectCgroups(t.TempDir()); cg.mode != "" || why == "" {
		t.Fatalf("nothing: %+v %q", cg, why)
	}
}

// TestCgroupV1CPU: on cgroup v1 with a cpu hierarchy, the slots' parent gets
// the shares of one busy thread per CPU and each slot a cgroup of its own
// (one episode's spinning processes slowed another client's episode from
// 33 ms to 8.3 s when each process competed on its own).
func TestCgroupV1CPU(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "memory", "cgroup.procs"), "")
	writeFile(t, filepath.Join(root, "pids", "cgroup.procs"), "")
	writeFile(t, filepath.Join(root, "cpu", "cpu.cfs_quota_us"), "-1")
	cg, _ := detectCgroups(root)
	if cg.mode != "v1" || !cg.cpu || len(cg.dirs) != 3 {
		t.Fatalf("v1 with cpu: %+v", cg)
	}
	if err := cg.prepare(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(root, "cpu", cgroupParent, "cpu.shares")); got != strconv.Itoa(1024*runtime.NumCPU()) {
		t.Fatalf("the sandboxes' CPU shares: %q", got)
	}
	if err := cg.create("slot-1-1", 256<<20, 32); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "cpu", cgroupParent, "slot-1-1")
	if got := readFile(t, filepath.Join(dir, "cpu.shares")); got != "1024" {
		t.Fatalf("slot CPU shares %s", got)
	}
	if err := cg.add("slot-1-1", 4242); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "cgroup.procs")); got != "4242" {
		t.Fatalf("cgroup.procs = %q", got)
	}
}
