package main

import (
	"bytes"
	"strings"
	"testing"
)

// Off a terminal, progress is plain lines: the last one always, none redrawn.
func TestProgressPlain(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, "solve", 3)
	for i := 0; i < 3; i++ {
		p.add()
	}
	if out := b.String(); !strings.Contains(out, "solve: 3/3") || strings.Contains(out, "\r") || strings.Count(out, "\n") != 1 {
		t.Fatalf("%q", out)
	}
}
