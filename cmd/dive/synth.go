package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/dive-env/dive/synth"
	"github.com/dive-env/dive/tasks"
)

func synthCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("synth", "dive synth --generator offline --count N --out FILE [--seed S] [--min-tools 15] [--max-tools 50] [--json]", stderr)
	generator := fs.String("generator", "offline", "task generator: offline (runs real tools of the offline pool; no model needed) or llm (the DIVE loop with a model)")
	var lf llmSynthFlags
	fs.StringVar(&lf.url, "llm-url", os.Getenv("DIVE_SYNTH_URL"), "llm: OpenAI-compatible base URL (key from $DIVE_SYNTH_API_KEY or $OPENAI_API_KEY)")
	fs.StringVar(&lf.model, "llm-model", os.Getenv("DIVE_SYNTH_MODEL"), "llm: model name")
	fs.StringVar(&lf.domain, "domain", "", "llm: only this domain (default: all five in turn)")
	fs.StringVar(&lf.seeds, "seeds", "", "llm: seed topics, one per line (default: the offline pool's topics)")
	fs.StringVar(&lf.exemplars, "exemplars", "", "llm: exemplar questions (lines, or JSONL with \"question\"); 3 to 5 are shown per task")
	fs.IntVar(&lf.rounds, "rounds", 3, "llm: evidence-collection and derivation rounds per task")
	fs.IntVar(&lf.steps, "steps", 5, "llm: tool-calling turns per round")
	fs.IntVar(&lf.workers, "workers", 4, "llm: tasks made at once")
	fs.Float64Var(&lf.rps, "rate", 0, "llm: requests per second to the model at most, over all workers (0: no limit)")
	count := fs.Int("count", 1000, "tasks to make")
	out := fs.String("out", "", "task file to write (JSONL; dive serve --tasks FILE serves it)")
	seed := fs.Uint64("seed", 2603, "random seed: a run is a function of the seed and the installed tools")
	minTools := fs.Int("min-tools", 15, "fewest tools in a task's toolset")
	maxTools := fs.Int("max-tools", 50, "most tools in a task's toolset")
	asJSON := fs.Bool("json", false, "print the run's statistics as JSON")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usagef("synth takes no arguments, only flags (got %q)", rest[0])
	case *generator != "offline" && *generator != "llm":
		return usagef("unknown --generator %q (offline, llm)", *generator)
	case *out == "":
		return usagef("synth needs --out FILE")
	case *count <= 0:
		return usagef("--count must be positive")
	case *minTools <= 0 || *maxTools < *minTools:
		return usagef("want 0 < --min-tools <= --max-tools")
	}
	reg, _, started, err := loadRegistry(registryOptions{callTimeout: 30 * time.Second, sandbox: "off", log: discardLogger()})
	if err != nil {
		return err
	}
	defer started.Close()
	if *generator == "llm" {
		// Appends to --out, skipping ids already there: an interrupted run resumes.
		return runLLMSynth(ctx, reg, lf, *count, *seed, *minTools, *maxTools, *out, stdout, stderr)
	}
	begin := time.Now()
	ts, st, err := synth.Generate(ctx, reg, synth.Options{Count: *count, Seed: *seed, MinTools: *minTools, MaxTools: *maxTools})
	if err != nil && len(ts) == 0 {
		return fmt.Errorf("synth: %w", err)
	}
	if problems := tasks.Validate(ts, resolver(reg)); tasks.HasErrors(problems) {
		printProblems(stderr, problems)
		return fmt.Errorf("synth made invalid tasks (a bug): %d problem(s)", len(problems))
	}
	data, werr := synth.WriteJSONL(ts)
	if werr != nil {
		return werr
	}
	if werr := writeFileAtomic(*out, data); werr != nil {
		return werr
	}
	elapsed := time.Since(begin)
	if *asJSON {
		if err := writeJSON(stdout, map[string]any{"file": *out, "seconds": elapsed.Seconds(), "stats": st}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "wrote %d task(s) to %s in %.1fs (%d tool calls, %.2f per task; %d duplicates, %d failed drafts, %d unverified dropped)\n",
			st.Made, *out, elapsed.Seconds(), st.ToolCalls, st.MeanChain, st.Duplicates, st.Failed, st.Unverified)
		domains := make([]string, 0, len(st.PerDomain))
		for d := range st.PerDomain {
			domains = append(domains, d)
		}
		sort.Strings(domains)
		for _, d := range domains {
			fmt.Fprintf(stdout, "  %-10s %d\n", d, st.PerDomain[d])
		}
		if len(st.Skipped) > 0 {
			fmt.Fprintf(stdout, "recipes skipped (their tools cannot run here; scripts/setup-data installs the data): %v\n", st.Skipped)
		}
	}
	if err != nil {
		return fmt.Errorf("synth stopped early: %w", err) // the file holds what was made
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
