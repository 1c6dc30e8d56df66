// Package procstat reads a process's resident memory from /proc.
package procstat

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// RSSMB returns the resident set size of process pid (0 for this process)
// in MiB, or 0 where /proc cannot tell.
func RSSMB(pid int) float64 {
	path := "/proc/self/status"
	if pid > 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
