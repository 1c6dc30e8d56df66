// Package soak runs a bounded soak test against a real `dive serve` process:
// many episodes at once, random dropped connections (resumed or abandoned),
// malformed and oversized frames, and hostile code in code_execution, then a
// SIGTERM under load. It checks that the server never crashes, that no
// finished episode's trajectory is lost, that no episode sees another's
// sandbox state, and reports the server's memory over the run.
package soak

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/internal/procstat"
)

// Config sizes a soak run.
type Config struct {
	// Binary is the dive executable to run as the server.
	Binary string
	// Duration is how long the load runs before the SIGTERM.
	Duration time.Duration
	// Workers run ordinary episodes; Hostile run hostile code; Garbage send
	// bad frames; ORS play episodes over the Open Reward Standard's HTTP API.
	Workers, Hostile, Garbage, ORS int
	// DropRate is the chance, per step, that a worker drops its connection abruptly.
	DropRate float64
	// CodeRate is the share of ordinary episodes that also run code_execution.
	CodeRate float64
	// Kill ends the run with SIGKILL instead of SIGTERM (a crash), then
	// starts the server again on the same trajectory log to show it recovers.
	Kill bool
	// HostileMix splits the run in two: the ordinary load alone, then with
	// the hostile mix added (mix.go); a probe's step latencies compare the
	// two (Report.ProbeP99…), and their ratio must stay under 2.
	HostileMix bool
	// Seed makes the run's random choices repeatable.
	Seed uint64
	// Log receives progress; nil discards it.
	Log *slog.Logger
}

// Report is what a soak run saw. Passed is false when any invariant broke.
type Report struct {
	DurationS         float64        `json:"duration_s"`
	Episodes          int64          `json:"episodes_finished"`
	Steps             int64          `json:"steps"`
	Drops             int64          `json:"connections_dropped"`
	Resumes           int64          `json:"resumes"`
	Abandoned         int64          `json:"episodes_abandoned_by_client"`
	ORSEpisodes       int64          `json:"ors_episodes_finished"`
	ORSReconnects     int64          `json:"ors_calls_fetched_again_by_task_id"`
	BadFrames         int64          `json:"bad_frames_sent"`
	CutOff            int64          `json:"garbage_connections_cut_off"`
	HostileCalls      int64          `json:"hostile_calls"`
	HostileSlowest    float64        `json:"hostile_slowest_s"`
	SandboxAvailable  bool           `json:"sandbox_available"`
	SandboxErrors     int64          `json:"sandbox_errors"`
	Leaks             int64          `json:"cross_episode_leaks"`
	LostTrajectories  int            `json:"lost_trajectories"`
	UnansweredAtDrain int            `json:"steps_unanswered_at_drain"`
	LostSteps         int            `json:"steps_run_but_unanswered"`
	ResentRunAtDrain  int            `json:"resent_steps_run_at_drain"`
	RecordedAbandoned int            `json:"recorded_abandoned"`
	UnexpectedErrors  map[string]int `json:"unexpected_errors"`
	ServerCrashed     bool           `json:"server_crashed"`
	ServerExit        int            `json:"server_exit_code"`
	DrainS            float64        `json:"drain_s"`
	Killed            bool           `json:"killed"`
	Restarted         bool           `json:"restarted_after_kill"`
	GoingAwayCloses   int64          `json:"going_away_closes"`
	RSSWarmMB         float64        `json:"rss_after_warmup_mb"`
	RSSPeakMB         float64        `json:"rss_peak_mb"`
	RSSEndMB          float64        `json:"rss_end_mb"`
	StepsPerSecond    float64        `json:"steps_per_s"`
	// With the hostile mix: the probe's step latency p99 without the mix and
	// with it, their ratio, and the steps each is over.
	ProbeP99CalmMS    float64  `json:"probe_p99_calm_ms,omitempty"`
	ProbeP99HostileMS float64  `json:"probe_p99_hostile_ms,omitempty"`
	ProbeRatio        float64  `json:"probe_p99_ratio,omitempty"`
	ProbeSteps        [2]int   `json:"probe_steps,omitempty"`
	Passed            bool     `json:"passed"`
	Failures          []string `json:"failures,omitempty"`

	orsWorkers int
}

const soakTasks = 24

// writeTasks writes the soak's task set: products to compute, with the
// calculator and code_execution in every toolset.
func writeTasks(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for i := 0; i < soakTasks; i++ {
		a, b := 100+i*37, 200+i*53
		line, _ := json.Marshal(map[string]any{"uuid": fmt.Sprintf("soak-%d", i), "question": fmt.Sprintf("What is %d * %d?", a, b),
			"ground_truth": strconv.Itoa(a * b), "tools": []string{"general.math.calculator", "general.sandbox.code_execution"},
			"domain": "general", "split": "train"})
		if _, err := f.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	return f.Close()
}

// Run starts the server, runs the load for cfg.Duration, stops the server
// with SIGTERM under load and checks what it recorded.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	dir, err := os.MkdirTemp("", "dive-soak-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	taskFile, trajFile := filepath.Join(dir, "tasks.jsonl"), filepath.Join(dir, "trajectories.jsonl")
	if err := writeTasks(taskFile); err != nil {
		return nil, fmt.Errorf("soak tasks: %w", err)
	}
	srv, err := startServer(ctx, cfg.Binary, taskFile, trajFile)
	if err != nil {
		return nil, err
	}
	defer srv.cmd.Process.Kill()

	rep := &Report{UnexpectedErrors: map[string]int{}, orsWorkers: cfg.ORS}
	run := &runState{cfg: cfg, url: srv.url, rep: rep, taskFile: taskFile, finished: map[string]bool{}, unanswered: map[string]unansweredStep{}}
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var wg sync.WaitGroup
	start := time.Now()
	spawn := func(n int, f func(context.Context, *rand.Rand)) {
		for i := 0; i < n; i++ {
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)<<8|uint64(n)))
			wg.Add(1)
			go func() { defer wg.Done(); f(loadCtx, rng) }()
		}
	}
	spawn(cfg.Workers, run.episodeWorker)
	spawn(cfg.ORS, run.orsWorker)
	hostile := func() {
		spawn(cfg.Hostile, run.hostileWorker)
		spawn(cfg.Garbage, run.garbageWorker)
	}
	if cfg.HostileMix {
		spawn(1, run.probeWorker)
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-time.After(cfg.Duration / 2):
			case <-loadCtx.Done():
				return
			}
			run.probe.hostile.Store(true)
			hostile()
			spawn(8, run.hoarderWorker)
			spawn(2, run.textWorker)
			wg.Add(1)
			go func() { defer wg.Done(); run.idleConnections(loadCtx, 200) }()
		}()
	} else {
		hostile()
	}

	// Memory: sample the server's RSS; "after warm-up" is at a quarter of the run.
	warmAt := start.Add(cfg.Duration / 4)
	ticker := time.NewTicker(500 * time.Millisecond)
	deadline := time.NewTimer(cfg.Duration)
sampling:
	for {
		select {
		case <-ctx.Done():
			break sampling
		case <-deadline.C:
			break sampling
		case <-srv.exited:
			rep.ServerCrashed = true
			break sampling
		case <-ticker.C:
			rss := procstat.RSSMB(srv.cmd.Process.Pid)
			rep.RSSPeakMB = max(rep.RSSPeakMB, rss)
			if rep.RSSWarmMB == 0 && time.Now().After(warmAt) {
				rep.RSSWarmMB = rss
			}
			rep.RSSEndMB = rss
		}
	}
	ticker.Stop()
	rep.DurationS = time.Since(start).Seconds()
	rep.StepsPerSecond = float64(atomic.LoadInt64(&rep.Steps)) / rep.DurationS

	switch {
	case rep.ServerCrashed:
	case cfg.Kill:
		// A crash under load: whatever the workers saw finish must be in the log.
		run.stopping.Store(true)
		rep.Killed = true
		_ = srv.cmd.Process.Kill()
		<-srv.exited
	default:
		// SIGTERM while the workers still run: in-flight steps finish, clients get 1001.
		run.stopping.Store(true)
		termAt := time.Now()
		_ = srv.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-srv.exited:
		case <-time.After(60 * time.Second):
			_ = srv.cmd.Process.Kill()
			<-srv.exited
			rep.Failures = append(rep.Failures, "the server did not exit within 60 s of SIGTERM")
		}
		rep.DrainS = time.Since(termAt).Seconds()
	}
	stopLoad()
	wg.Wait()
	rep.ServerExit = srv.cmd.ProcessState.ExitCode()
	if rep.Killed {
		rep.ServerExit = 0 // killed on purpose
		again, err := startServer(ctx, cfg.Binary, taskFile, trajFile)
		if err == nil {
			rep.Restarted = true
			_ = again.cmd.Process.Signal(syscall.SIGTERM)
			<-again.exited
		} else {
			rep.Failures = append(rep.Failures, "the server did not start again after the kill: "+err.Error())
		}
	}
	rep.HostileSlowest = time.Duration(run.hostileSlowest.Load()).Seconds()
	if cfg.HostileMix {
		run.probe.mu.Lock()
		calm, hs := p99(run.probe.calm), p99(run.probe.hs)
		rep.ProbeSteps = [2]int{len(run.probe.calm), len(run.probe.hs)}
		run.probe.mu.Unlock()
		rep.ProbeP99CalmMS, rep.ProbeP99HostileMS = float64(calm.Microseconds())/1000, float64(hs.Microseconds())/1000
		if calm > 0 {
			rep.ProbeRatio = float64(hs) / float64(calm)
		}
	}
	rep.SandboxAvailable = run.sandboxUp.Load()

	recorded, abandoned, err := recordedTurns(trajFile)
	if err != nil {
		return nil, err
	}
	rep.RecordedAbandoned = abandoned
	run.mu.Lock()
	for id := range run.finished {
		if _, ok := recorded[id]; !ok {
			rep.LostTrajectories++
		}
	}
	rep.UnansweredAtDrain = len(run.unanswered)
	rep.LostSteps, rep.ResentRunAtDrain = classifyUnanswered(run.unanswered, recorded)
	run.mu.Unlock()
	rep.judge()
	return rep, nil
}

// classifyUnanswered compares the steps the drain left unanswered with the
// turns recorded for their episodes. A step sent only on the draining
// connection must not have run: the server promises that requests without a
// reply at the 1001 close were never started, so a recorded turn past the
// acknowledged ones is lost. A step re-sent after a resume is another
// matter: its first send went out on the connection that dropped, where the
// server may have read it and run it (with resume on, a dropped connection's
// steps finish, for the re-send to fetch); if the drain came before the
// re-send was read, the turn ran and no reply could reach the client. Those
// are counted apart, not as failures.
func classifyUnanswered(unanswered map[string]unansweredStep, recorded map[string]int) (lost, resentRan int) {
	for id, u := range unanswered {
		turns, ok := recorded[id]
		if !ok || turns == u.acked {
			continue
		}
		if u.resent {
			resentRan++
		} else {
			lost++
		}
	}
	return lost, resentRan
}

// judge fills Passed and Failures.
func (r *Report) judge() {
	if r.ServerCrashed {
		r.Failures = append(r.Failures, "the server process died during the run")
	}
	if r.ServerExit != 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("the server exited with status %d after SIGTERM", r.ServerExit))
	}
	if r.LostTrajectories > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d finished episodes missing from the trajectory log", r.LostTrajectories))
	}
	if r.LostSteps > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d steps ran during the drain but were never answered", r.LostSteps))
	}
	if r.Leaks > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d sandbox results showed another episode's state", r.Leaks))
	}
	for what, n := range r.UnexpectedErrors {
		r.Failures = append(r.Failures, fmt.Sprintf("%d × %s", n, what))
	}
	if r.Episodes == 0 {
		r.Failures = append(r.Failures, "no episode finished")
	}
	if r.ORSEpisodes == 0 && r.orsWorkers > 0 {
		r.Failures = append(r.Failures, "no episode finished over ORS")
	}
	if r.ProbeSteps != [2]int{} {
		switch {
		case r.ProbeSteps[0] < 20 || r.ProbeSteps[1] < 20:
			r.Failures = append(r.Failures, fmt.Sprintf("the probe played too few steps (%d without the hostile mix, %d with it)", r.ProbeSteps[0], r.ProbeSteps[1]))
		case r.ProbeRatio >= 2:
			r.Failures = append(r.Failures, fmt.Sprintf("normal steps' p99 went from %.1f ms to %.1f ms with the hostile mix (%.1fx; the limit is 2x)", r.ProbeP99CalmMS, r.ProbeP99HostileMS, r.ProbeRatio))
		}
	}
	if r.RSSWarmMB > 0 && r.RSSEndMB > 2*r.RSSWarmMB+64 {
		r.Failures = append(r.Failures, fmt.Sprintf("memory grew from %.0f MiB after warm-up to %.0f MiB", r.RSSWarmMB, r.RSSEndMB))
	}
	r.Passed = len(r.Failures) == 0
}

type server struct {
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
}

func startServer(ctx context.Context, binary, taskFile, trajFile string) (*server, error) {
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--tasks", taskFile, "--trajectories", trajFile,
		"--resume-grace", "2s", "--call-timeout", "5s", "--max-frame-bytes", "1048576", "--max-turns", "8",
		"--sandbox-warm", "4", "--log-level", "info", "--drain-timeout", "30s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	s := &server{cmd: cmd, exited: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		re := regexp.MustCompile(`url=(ws://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(s.exited) }()
	select {
	case s.url = <-found:
		return s, nil
	case <-s.exited:
		return nil, errors.New("dive serve exited before it was ready")
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		return nil, errors.New("dive serve did not start within 60 s")
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		return nil, ctx.Err()
	}
}

// recordedTurns returns the episodes in the log with their turns (a torn
// last line is skipped) and how many were recorded as abandoned.
func recordedTurns(path string) (map[string]int, int, error) {
	trajs, err := env.ReadTrajectories(path)
	if err != nil {
		return nil, 0, err
	}
	seen, abandoned := map[string]int{}, 0
	for _, t := range trajs {
		seen[t.Episode] = t.Turns
		if t.Reason == env.ReasonAbandoned {
			abandoned++
		}
	}
	return seen, abandoned, nil
}
