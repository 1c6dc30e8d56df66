package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dive-env/dive/internal/soak"
)

// soakCmd runs the soak test against a `dive serve` child process of this binary.
func soakCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("soak", "dive soak [--duration 60s] [--workers 32] [--json]", stderr)
	duration := fs.Duration("duration", 60*time.Second, "how long the load runs before the SIGTERM")
	workers := fs.Int("workers", 32, "connections playing ordinary episodes")
	hostile := fs.Int("hostile", 2, "connections running hostile code in code_execution")
	garbage := fs.Int("garbage", 2, "connections sending malformed and oversized frames")
	orsWorkers := fs.Int("ors", 4, "clients playing episodes over the ORS HTTP API (cutting some call streams and fetching the result again)")
	drop := fs.Float64("drop-rate", 0.02, "chance per step that a worker drops its connection (then resumes or abandons)")
	codeRate := fs.Float64("code-rate", 0.1, "share of ordinary episodes that also run code_execution (sandbox slot starts bound the rate)")
	kill := fs.Bool("kill", false, "end with SIGKILL (a crash) instead of SIGTERM, then start the server again on the same log")
	mix := fs.Bool("hostile-mix", false, "first half ordinary load, second half with a hostile mix (fork-and-spin and memory bombs across slots, slot hoarding, megabytes of raw text, 200 idle connections); a probe's step p99 with the mix must stay under 2x its p99 without")
	seed := fs.Uint64("seed", 1, "seed of the run's random choices")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("soak takes no arguments")
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	rep, err := soak.Run(ctx, soak.Config{Binary: self, Duration: *duration, Workers: *workers, Hostile: *hostile,
		Garbage: *garbage, ORS: *orsWorkers, DropRate: *drop, CodeRate: *codeRate, Kill: *kill, HostileMix: *mix, Seed: *seed})
	if err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "soak %.0fs: %d episodes finished, %d steps (%.0f/s), %d drops (%d resumed, %d abandoned)\n",
			rep.DurationS, rep.Episodes, rep.Steps, rep.StepsPerSecond, rep.Drops, rep.Resumes, rep.Abandoned)
		fmt.Fprintf(stdout, "  over ORS: %d episodes finished, %d call results fetched again by task id\n", rep.ORSEpisodes, rep.ORSReconnects)
		fmt.Fprintf(stdout, "  bad frames sent %d (%d connections cut off); hostile code calls %d (slowest %.1fs); sandbox available: %v, %d calls failed as tool results\n",
			rep.BadFrames, rep.CutOff, rep.HostileCalls, rep.HostileSlowest, rep.SandboxAvailable, rep.SandboxErrors)
		if *mix {
			fmt.Fprintf(stdout, "  hostile mix: normal steps' p99 %.1f ms without it (%d steps), %.1f ms with it (%d steps): %.2fx\n",
				rep.ProbeP99CalmMS, rep.ProbeSteps[0], rep.ProbeP99HostileMS, rep.ProbeSteps[1], rep.ProbeRatio)
		}
		fmt.Fprintf(stdout, "  trajectories lost %d; abandoned recorded %d; cross-episode leaks %d; unexpected errors %d\n",
			rep.LostTrajectories, rep.RecordedAbandoned, rep.Leaks, len(rep.UnexpectedErrors))
		fmt.Fprintf(stdout, "  server RSS %.0f MiB after warm-up, %.0f MiB peak, %.0f MiB at the end\n", rep.RSSWarmMB, rep.RSSPeakMB, rep.RSSEndMB)
		if rep.Killed {
			fmt.Fprintf(stdout, "  killed with SIGKILL under load; started again on the same log: %v\n", rep.Restarted)
		} else {
			fmt.Fprintf(stdout, "  SIGTERM under load: drained in %.2fs, exit %d, 1001 closes seen %d, steps unanswered at the close %d (run anyway: %d; re-sent after a resume and run from the first send: %d)\n",
				rep.DrainS, rep.ServerExit, rep.GoingAwayCloses, rep.UnansweredAtDrain, rep.LostSteps, rep.ResentRunAtDrain)
		}
		for _, f := range rep.Failures {
			fmt.Fprintf(stdout, "  FAIL: %s\n", f)
		}
		if rep.Passed {
			fmt.Fprintln(stdout, "  PASS")
		}
	}
	if !rep.Passed {
		return fmt.Errorf("soak failed: %d invariant(s) broken", len(rep.Failures))
	}
	return nil
}
