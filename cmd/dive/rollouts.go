package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/time/rate"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/synth"
	"github.com/dive-env/dive/synth/rollout"
	"github.com/dive-env/dive/tasks"
)

func solveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("solve", "dive solve [TASKS...] --llm-url URL --llm-model M --out TRAJ.jsonl [--k 1]", stderr)
	url := fs.String("llm-url", os.Getenv("DIVE_SYNTH_URL"), "OpenAI-compatible base URL of the teacher (key from $DIVE_SYNTH_API_KEY or $OPENAI_API_KEY)")
	model := fs.String("llm-model", os.Getenv("DIVE_SYNTH_MODEL"), "teacher model")
	out := fs.String("out", "", "trajectories to append (the server's trajectory format)")
	k := fs.Int("k", 1, "rollouts per task (pass@k)")
	split := fs.String("split", "", "only tasks of this split")
	workers := fs.Int("workers", 4, "tasks in flight at once (each runs its --k rollouts as one group)")
	rps := fs.Float64("rate", 0, "requests per second to the model at most, over all workers (0: no limit)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *out == "" || *url == "" || *model == "" || *k <= 0 || *workers <= 0 {
		return usagef("solve needs --out, --llm-url, --llm-model, --k ≥ 1 and --workers ≥ 1")
	}
	reg, set, started, err := loadTaskSet(files, stderr)
	if err != nil {
		return err
	}
	defer started.Close()
	done, err := env.ReadTrajectories(*out)
	if err != nil {
		return err
	}
	have := map[string]int{}
	for _, t := range done {
		if !env.PolicyFailed(t.Reason) { // resume: rollouts already recorded count, failed calls do not
			have[t.TaskID]++
		}
	}
	rec, err := env.OpenRecorder(*out)
	if err != nil {
		return err
	}
	defer rec.Close()
	// Each job is one group (≤ env.MaxRolloutGroup episodes of a task);
	// --workers groups run at once.
	type job struct {
		id string
		n  int
	}
	var jobs []job
	episodes := 0
	for _, t := range set.Filter(tasks.Filter{Split: *split}) {
		for left := *k - have[t.ID]; left > 0; left -= env.MaxRolloutGroup {
			jobs = append(jobs, job{t.ID, min(left, env.MaxRolloutGroup)})
			episodes += min(left, env.MaxRolloutGroup)
		}
	}
	cfg := env.DefaultEngineConfig()
	cfg.MaxRolloutEpisodes = max(*workers*min(*k, env.MaxRolloutGroup), 1)
	eng, err := env.NewEngine(cfg, set, reg, reward.NewRegistry(), rec, discardLogger())
	if err != nil {
		return err
	}
	key := os.Getenv("DIVE_SYNTH_API_KEY")
	if key == "" {
		key = os.Getenv("OPENAI_API_KEY")
	}
	s, err := rollout.NewSolver(*url, *model, key, eng)
	if err != nil {
		return err
	}
	if *rps > 0 {
		s.Policy.Limit = rate.NewLimiter(rate.Limit(*rps), 1)
	}
	var correct, rolled, failed atomic.Int64
	prog := newProgress(stderr, "solve", episodes)
	emit := func(ep *env.RolloutEpisode) {
		if env.PolicyFailed(ep.Reason) {
			failed.Add(1)
			fmt.Fprintf(stderr, "%s: %s\n", ep.TaskID, ep.Error)
		} else {
			rolled.Add(1)
			if ep.Reward != nil && ep.Reward.Label == reward.Correct {
				correct.Add(1)
			}
		}
		prog.add()
	}
	next := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < min(*workers, max(1, len(jobs))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				if _, err := s.Solve(ctx, j.id, j.n, nil, emit); err != nil {
					failed.Add(int64(j.n))
					fmt.Fprintln(stderr, err)
				}
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case next <- j:
		case <-ctx.Done():
			break feed // Ctrl-C: finished rollouts are already whole lines in --out
		}
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	fmt.Fprintf(stdout, "%s: %d rollouts (%d correct), %d failed\n", *out, rolled.Load(), correct.Load(), failed.Load())
	return nil
}

func verifyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", "dive verify TRAJ.jsonl --out SCORED.jsonl [--judge-url ...]", stderr)
	out := fs.String("out", "", "trajectories with their rewards recomputed")
	scorer := fs.String("scorer", "", "scorer (default: match, or match+judge with a judge)")
	scoring := addScoringFlags(fs)
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 || *out == "" {
		return usagef("verify needs one trajectory file and --out")
	}
	reg, err := scoring.registry()
	if err != nil {
		return err
	}
	if *scorer != "" {
		if err := reg.SetDefault(*scorer); err != nil {
			return usagef("%v (have %v)", err, reg.Names())
		}
	}
	trajs, err := env.ReadTrajectories(files[0])
	if err != nil {
		return err
	}
	var buf []byte
	changed := 0
	for _, t := range trajs {
		final := ""
		for i := len(t.Messages) - 1; i >= 0; i-- {
			if t.Messages[i].Role == "assistant" {
				final = string(t.Messages[i].Content)
				break
			}
		}
		task := &tasks.Task{ID: t.TaskID, GroundTruth: t.GroundTruth}
		for _, m := range t.Messages {
			if m.Role == "user" {
				task.Question = string(m.Content)
				break
			}
		}
		res, err := reg.Score(ctx, task, final)
		if err != nil {
			res = reward.Failed("", err)
		}
		if t.Reward == nil || t.Reward.Label != res.Label {
			changed++
		}
		t.Reward = &res
		line, err := json.Marshal(t)
		if err != nil {
			return err
		}
		buf = append(append(buf, line...), '\n')
	}
	if err := writeFileAtomic(*out, buf); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d trajectories rescored, %d labels changed\n", *out, len(trajs), changed)
	return nil
}

func filterCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("filter", "dive filter TRAJ.jsonl [--tasks FILE] [--rl-out TASKS.jsonl] [--sft-out SFT.jsonl] [--k 4 --min-pass 0.1 --max-pass 0.9]", stderr)
	taskFile := fs.String("tasks", "", "the task file the trajectories came from (default: the embedded set)")
	rlOut := fs.String("rl-out", "", "tasks solved sometimes but not always (pass@k filter)")
	sftOut := fs.String("sft-out", "", "correct trajectories in OpenAI messages format (rejection sampling)")
	k := fs.Int("k", 1, "fewest rollouts a task needs to be judged")
	minPass := fs.Float64("min-pass", 0.01, "lowest pass rate kept for RL")
	maxPass := fs.Float64("max-pass", 0.99, "highest pass rate kept for RL")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 || (*rlOut == "" && *sftOut == "") || *minPass > *maxPass {
		return usagef("filter needs one trajectory file, --rl-out and/or --sft-out, and --min-pass ≤ --max-pass")
	}
	trajs, err := env.ReadTrajectories(files[0])
	if err != nil {
		return err
	}
	if *rlOut != "" {
		var from []string
		if *taskFile != "" {
			from = []string{*taskFile}
		}
		ts, problems, err := loadTasks(from, nil)
		if err != nil {
			printProblems(stderr, problems)
			return err
		}
		kept := rollout.FilterRL(ts, trajs, *k, *minPass, *maxPass)
		data, err := synth.WriteJSONL(kept)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(*rlOut, data); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d of %d tasks have a pass rate in [%g, %g] over ≥ %d rollouts\n", *rlOut, len(kept), len(ts), *minPass, *maxPass, *k)
	}
	if *sftOut != "" {
		ex := rollout.FilterSFT(trajs)
		var buf []byte
		for _, e := range ex {
			line, err := json.Marshal(e)
			if err != nil {
				return err
			}
			buf = append(append(buf, line...), '\n')
		}
		if err := writeFileAtomic(*sftOut, buf); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d correct of %d trajectories\n", *sftOut, len(ex), len(trajs))
	}
	return nil
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
