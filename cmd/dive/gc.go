package main

import (
	"flag"
	"os"
	"runtime/debug"
)

// defaultGCPercent is the collector's target for the long-running commands.
// The server's live heap is small (tens of MiB with thousands of episodes
// open) and it allocates ~10 KiB a step, so at Go's default of 100 it
// collects many times a second; 400 cut the server's CPU per step by about a
// fifth under dive bench's default load, for roughly twice the RSS
// (docs/performance.md).
const defaultGCPercent = 400

// addGCFlag registers --gogc on a command's flag set.
func addGCFlag(fs *flag.FlagSet) *int {
	return fs.Int("gogc", defaultGCPercent, "garbage collector target percentage, as Go's GOGC (higher: less CPU, more memory; -1: off); "+
		"the GOGC environment variable wins when set, and GOMEMLIMIT caps the heap as usual")
}

// applyGCPercent sets the collector's target unless the environment sets
// GOGC, which the runtime has already applied.
func applyGCPercent(percent int) {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	debug.SetGCPercent(percent)
}
