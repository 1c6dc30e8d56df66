package procstat

import (
	"os"
	"testing"
)

func TestRSSMB(t *testing.T) {
	self, byPid := RSSMB(0), RSSMB(os.Getpid())
	if self <= 1 || byPid <= 1 || self > 100000 {
		t.Fatalf("RSS of this process: %v MiB (self), %v MiB (pid)", self, byPid)
	}
	if RSSMB(1<<30) != 0 {
		t.Fatal("a process that does not exist has an RSS")
	}
}
