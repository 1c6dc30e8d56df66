package main

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestApplyGCPercent(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	tests := []struct {
		name   string
		gogc   string // "" leaves GOGC unset
		flag   int
		wanted int
	}{
		{"the flag sets the target", "", 250, 250},
		{"GOGC in the environment wins", "100", 400, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			if tt.gogc != "" {
				t.Setenv("GOGC", tt.gogc)
			} else {
				t.Setenv("GOGC", "")
				os.Unsetenv("GOGC")
			}
			applyGCPercent(tt.flag)
			if got := debug.SetGCPercent(100); got != tt.wanted {
				t.Fatalf("GC percent = %d, want %d", got, tt.wanted)
			}
		})
	}
}
