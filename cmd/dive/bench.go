package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/internal/bench"
	"github.com/dive-env/dive/internal/procstat"
	"github.com/dive-env/dive/internal/telemetry"
	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec/sandbox"
)

// benchReport is `dive bench --json`.
type benchReport struct {
	URL         string `json:"url"`
	InProcess   bool   `json:"in_process"`
	Scenario    string `json:"scenario,omitempty"`
	Encoding    string `json:"encoding"`
	Tool        string `json:"tool"`
	Connections int    `json:"connections"`
	Concurrency int    `json:"concurrency_per_connection"`
	Tasks       int    `json:"tasks"`
	Rollouts    int    `json:"rollouts"`
	Turns       int    `json:"turns"`
	Answer      bool   `json:"answer"`
	Open        int    `json:"open"`
	benchLoad
	EchoPerS   float64     `json:"echo_per_s"`
	EchoP50ms  float64     `json:"echo_p50_ms,omitempty"`
	EchoP99ms  float64     `json:"echo_p99_ms,omitempty"`
	Ratio      float64     `json:"ratio"`
	RSSMB      float64     `json:"rss_mb"`
	PeakOpen   int         `json:"peak_open_episodes,omitempty"`
	CPUSeconds float64     `json:"cpu_s"`
	LoadCPUS   float64     `json:"load_cpu_s,omitempty"`
	Goals      []benchGoal `json:"goals,omitempty"`
}

// benchLoad is what the load generator measured: all a child's report
// gives the in-process parent.
type benchLoad struct {
	DurationS  float64          `json:"duration_s"`
	Steps      int64            `json:"steps"`
	Episodes   int64            `json:"episodes"`
	StepsPerS  float64          `json:"steps_per_s"`
	P50ms      float64          `json:"p50_ms"`
	P90ms      float64          `json:"p90_ms"`
	P99ms      float64          `json:"p99_ms"`
	MaxMs      float64          `json:"max_ms"`
	Errors     int64            `json:"errors"`
	ErrorKinds map[string]int64 `json:"error_kinds,omitempty"`
}

// benchGoal is one performance goal of docs/performance.md, checked.
type benchGoal struct {
	Goal string  `json:"goal"`
	Got  float64 `json:"got"`
	Met  bool    `json:"met"`
}

// benchTools are the tools a step can call: the flag's name for it, the
// function the model calls, its arguments and the tool's id.
var benchTools = map[string]struct{ name, args, id string }{
	"builtin": {"calculator", `{"expression": "17 * 23"}`, "general.math.calculator"},
	"code":    {"code_execution", `{"code": "print(17 * 23)"}`, sandbox.ToolID},
	"mcp":     {"bench__multiply", `{"a": 17, "b": 23}`, "mcp.bench.multiply"},
}

// benchScenarios preset flags for the goals of docs/performance.md; flags
// given on the command line win.
var benchScenarios = map[string]map[string]string{
	// 10,000 episodes open, 1,000 of them stepping.
	// Each active episode steps at a model's pace (--think 100ms ± 50%):
	// about 10,000 steps/s offered, the latency is the server's, not a queue's.
	"open-episodes": {"open": "9000", "connections": "4", "concurrency": "250", "think": "100ms", "duration": "20s"},
	// A synthetic RL phase: 3.2k tasks × 8 rollouts × 10 steps, scored.
	"rl-phase": {"tasks": "3200", "rollouts": "8", "turns": "10", "answer": "true", "steps": "256000", "duration": "10m",
		"connections": "4", "concurrency": "64"},
}

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "dive bench [--scenario open-episodes|rl-phase] [--url ws://HOST:PORT/v1/env --task ID] [--duration 10s] [--connections 4 --concurrency 64] [--tool builtin:8,code:1,mcp:1] [--json]", stderr)
	url := fs.String("url", "", "server to load (default: start one in this process on loopback, and the load in a child process)")
	task := fs.String("task", "", "comma-separated tasks episodes run in turn on a --url server (default: the in-process server's bench tasks)")
	tool := fs.String("tool", "builtin", "what each step calls: builtin (calculator), code (code_execution), mcp (an MCP server's multiply), or a weighted mix such as builtin:8,code:1,mcp:1")
	scenario := fs.String("scenario", "", "preset for a goal of docs/performance.md: open-episodes (10,000 open, 1,000 stepping) or rl-phase (3.2k tasks × 8 rollouts × 10 steps)")
	connections := fs.Int("connections", 4, "websocket connections")
	concurrency := fs.Int("concurrency", 64, "episodes in flight per connection, each one request at a time")
	duration := fs.Duration("duration", 10*time.Second, "how long the load runs (and the echo run after it)")
	steps := fs.Int64("steps", 0, "stop after this many steps (0: run for --duration)")
	encoding := fs.String("encoding", "msgpack", "msgpack or json")
	nTasks := fs.Int("tasks", 1, "distinct tasks of the in-process server, run in turn")
	rollouts := fs.Int("rollouts", 1, "consecutive episodes per task (a GRPO group)")
	turns := fs.Int("turns", 16, "steps per episode")
	answer := fs.Bool("answer", false, "the last step of each episode answers (the episode ends and is scored) instead of calling a tool and closing it")
	open := fs.Int("open", 0, "idle episodes held open during the run, beside the connections × concurrency active ones")
	echo := fs.Bool("echo", true, "also measure a bare websocket+msgpack echo under the same load, and report the ratio")
	againstEcho := fs.Bool("against-echo", false, "the --url is dive bench's echo server: send step-sized frames, no episodes (used by dive bench itself)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	think := fs.Duration("think", 0, "model time: each episode waits this long (±50%, at random) before each step, as an episode waits for its policy")
	cpuProfile := fs.String("cpuprofile", "", "write the in-process server's CPU profile (pprof) during the load to this file")
	traceFile := fs.String("trace", "", "write the in-process server's execution trace (runtime/trace: scheduling, GC, syscalls; go tool trace reads it) during the load to this file")
	loadProfile := fs.String("load-cpuprofile", "", "write the load generator's CPU profile (pprof) during the load to this file (the child's, when the server runs in this process)")
	gcPercent := addGCFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	applyGCPercent(*gcPercent)
	if len(pos) > 0 {
		return usagef("bench takes no arguments")
	}
	if *scenario != "" {
		preset, ok := benchScenarios[*scenario]
		if !ok {
			return usagef("--scenario must be open-episodes or rl-phase")
		}
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for name, v := range preset {
			if !given[name] {
				if err := fs.Set(name, v); err != nil {
					return err
				}
			}
		}
	}
	if *encoding != "msgpack" && *encoding != "json" {
		return usagef("--encoding must be msgpack or json")
	}
	if *connections <= 0 || *concurrency <= 0 || *turns <= 0 || *nTasks <= 0 || *rollouts <= 0 || *open < 0 {
		return usagef("--connections, --concurrency, --turns, --tasks and --rollouts must be positive, --open not negative")
	}
	mix, err := parseToolMix(*tool)
	if err != nil {
		return err
	}
	cfg := bench.Config{URL: *url, Token: os.Getenv("DIVE_TOKEN"), Connections: *connections, Concurrency: *concurrency,
		Duration: *duration, Steps: *steps, Encoding: *encoding, Rollouts: *rollouts, Turns: *turns, Open: *open, Calls: mix, Think: *think}
	if *answer {
		cfg.Answer = "391"
	}
	rep := benchReport{URL: *url, Scenario: *scenario, Encoding: *encoding, Tool: *tool, Connections: *connections, Concurrency: *concurrency,
		Rollouts: *rollouts, Turns: *turns, Answer: *answer, Open: *open}
	progress := func(what string) func(int64, time.Duration) {
		if !isTerminal(stderr) {
			return nil
		}
		return func(n int64, d time.Duration) {
			fmt.Fprintf(stderr, "\r%s: %d steps, %.0f/s   ", what, n, float64(n)/d.Seconds())
		}
	}
	switch {
	case *url == "":
		if err := benchInProcess(ctx, &rep, cfg, *nTasks, *echo, serverProfiles{cpu: *cpuProfile, trace: *traceFile}, args, stderr); err != nil {
			return err
		}
	case *againstEcho:
		cfg.OnProgress = progress("echo")
		res, err := bench.Echo(ctx, cfg)
		if err != nil {
			return fmt.Errorf("echo: %w", err)
		}
		rep.fill(res)
	default:
		if *task == "" {
			return usagef("--url needs --task (tasks whose toolsets have the tools of --tool)")
		}
		cfg.Tasks = strings.Split(*task, ",")
		cfg.OnProgress = progress("steps")
		stopProfile, err := startCPUProfile(*loadProfile)
		if err != nil {
			return err
		}
		res, err := bench.Run(ctx, cfg)
		stopProfile()
		if err != nil {
			return err
		}
		rep.fill(res)
		rep.Tasks = len(cfg.Tasks)
		if *echo {
			echoURL, stop := bench.EchoServer()
			defer stop()
			cfg.URL, cfg.OnProgress = echoURL, progress("echo")
			cfg.Steps = res.Steps // the same amount of work, or the same time
			er, err := bench.Echo(ctx, cfg)
			if err != nil {
				return fmt.Errorf("echo: %w", err)
			}
			rep.setEcho(er.PerSecond(), millis(er.Percentile(50)), millis(er.Percentile(99)))
		}
	}
	rep.checkGoals()
	if isTerminal(stderr) {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	rep.print(stdout)
	return nil
}

// parseToolMix turns "builtin:8,code:1,mcp:1" into the steps' calls, each
// tool spread evenly over the cycle (smooth weighted round robin).
func parseToolMix(s string) ([]bench.Call, error) {
	var tools []bench.Call
	var weights []int
	total := 0
	for _, part := range strings.Split(s, ",") {
		name, weight, hasWeight := strings.Cut(strings.TrimSpace(part), ":")
		t, ok := benchTools[name]
		if !ok {
			return nil, usagef("--tool: unknown tool %q (builtin, code, mcp)", name)
		}
		n := 1
		if hasWeight {
			var err error
			if n, err = strconv.Atoi(weight); err != nil || n <= 0 || n > 1000 {
				return nil, usagef("--tool: weight %q of %s must be a whole number from 1 to 1000", weight, name)
			}
		}
		tools, weights, total = append(tools, bench.Call{Name: t.name, Args: t.args}), append(weights, n), total+n
	}
	calls := make([]bench.Call, 0, total)
	current := make([]int, len(tools))
	for range total {
		best := 0
		for i, w := range weights {
			current[i] += w
			if current[i] > current[best] {
				best = i
			}
		}
		current[best] -= total
		calls = append(calls, tools[best])
	}
	return calls, nil
}

func (r *benchReport) fill(res *bench.Result) {
	r.DurationS, r.Steps, r.Episodes, r.StepsPerS = res.Elapsed.Seconds(), res.Steps, res.Episodes, res.PerSecond()
	r.P50ms, r.P90ms = millis(res.Percentile(50)), millis(res.Percentile(90))
	r.P99ms, r.MaxMs = millis(res.Percentile(99)), millis(res.Percentile(100))
	r.Errors, r.ErrorKinds = res.Errors, res.ErrorKind
}

// setEcho records the echo run: its frames per second and round-trip
// latencies under the same load.
func (r *benchReport) setEcho(perS, p50ms, p99ms float64) {
	r.EchoPerS, r.EchoP50ms, r.EchoP99ms = perS, p50ms, p99ms
	if perS > 0 {
		r.Ratio = r.StepsPerS / perS
	}
}

// checkGoals adds the goals of docs/performance.md this run measured.
func (r *benchReport) checkGoals() {
	switch {
	case r.Scenario == "open-episodes" && r.InProcess:
		r.Goals = append(r.Goals, benchGoal{fmt.Sprintf("%d open episodes under 1 GiB server RSS", r.PeakOpen), r.RSSMB,
			r.RSSMB < 1024 && r.PeakOpen >= r.Open+r.Connections*r.Concurrency})
		r.Goals = append(r.Goals, benchGoal{fmt.Sprintf("p99 step under 10 ms at %d active", r.Connections*r.Concurrency), r.P99ms, r.P99ms < 10})
	case r.Scenario == "rl-phase" && r.InProcess:
		r.Goals = append(r.Goals, benchGoal{fmt.Sprintf("%d-step RL phase under 60 s of server CPU", r.Steps), r.CPUSeconds, r.CPUSeconds < 60 && r.Errors == 0})
	case r.Tool == "builtin" && r.EchoPerS > 0 && r.InProcess: // with --url, the echo and the server are not alike
		r.Goals = append(r.Goals, benchGoal{"trivial-tool steps at ≥ 50% of the echo rate", r.Ratio, r.Ratio >= 0.5})
	}
}

func (r *benchReport) print(w io.Writer) {
	where := r.URL
	if r.InProcess {
		where = "a server in this process on loopback (the load from a child process)"
	}
	fmt.Fprintf(w, "dive bench: %d connections × %d episodes in flight, %s, steps call %s, against %s\n",
		r.Connections, r.Concurrency, r.Encoding, r.Tool, where)
	if r.Open > 0 || r.Answer || r.Tasks > 1 {
		fmt.Fprintf(w, "  shape      %d tasks × %d rollouts × %d turns (last one answers: %v), %d idle episodes held open\n",
			r.Tasks, r.Rollouts, r.Turns, r.Answer, r.Open)
	}
	fmt.Fprintf(w, "  steps      %d in %.1fs (%d episodes): %.0f steps/s; latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; errors %d\n",
		r.Steps, r.DurationS, r.Episodes, r.StepsPerS, r.P50ms, r.P90ms, r.P99ms, r.MaxMs, r.Errors)
	if r.EchoPerS > 0 {
		fmt.Fprintf(w, "  echo       %.0f frames/s (bare websocket+msgpack, same load), p50 %.2f ms, p99 %.2f ms: steps run at %.0f%% of it\n",
			r.EchoPerS, r.EchoP50ms, r.EchoP99ms, 100*r.Ratio)
	}
	if r.InProcess {
		fmt.Fprintf(w, "  server     peak %d episodes open, peak RSS %.0f MiB, CPU %.1fs (%.1f µs a step); load generator CPU %.1fs\n",
			r.PeakOpen, r.RSSMB, r.CPUSeconds, 1e6*r.CPUSeconds/max(1, float64(r.Steps)), r.LoadCPUS)
	}
	for k, n := range r.ErrorKinds {
		fmt.Fprintf(w, "  error      %d × %s\n", n, k)
	}
	for _, g := range r.Goals {
		verdict := "met"
		if !g.Met {
			verdict = "NOT met"
		}
		fmt.Fprintf(w, "  goal       %s: %.2f, %s\n", g.Goal, g.Got, verdict)
	}
}

// benchInProcess serves the bench tasks in this process and runs the load
// (and then the echo load) as a child `dive bench --url`, so that this
// process's CPU and RSS are the server's alone.
// serverProfiles names the files the in-process server's profiles go to
// while the load runs ("" for none).
type serverProfiles struct {
	cpu   string // pprof CPU profile
	trace string // runtime/trace execution trace
}

// start begins the profiles named; stop ends them.
func (p serverProfiles) start() (stop func(), err error) {
	var files []*os.File
	stop = func() {
		if p.cpu != "" {
			pprof.StopCPUProfile()
		}
		if p.trace != "" {
			trace.Stop()
		}
		for _, f := range files {
			f.Close()
		}
	}
	create := func(name string) (*os.File, error) {
		f, err := os.Create(name)
		if err == nil {
			files = append(files, f)
		}
		return f, err
	}
	if p.cpu != "" {
		f, err := create(p.cpu)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			p.cpu = ""
			stop()
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
	}
	if p.trace != "" {
		f, err := create(p.trace)
		if err == nil {
			err = trace.Start(f)
		}
		if err != nil {
			p.trace = ""
			stop()
			return nil, fmt.Errorf("execution trace: %w", err)
		}
	}
	return stop, nil
}

func benchInProcess(ctx context.Context, rep *benchReport, cfg bench.Config, nTasks int, echo bool, profiles serverProfiles, args []string, stderr io.Writer) error {
	rep.InProcess, rep.Tasks = true, nTasks
	var mcpURL string
	if strings.Contains(rep.Tool, "mcp") {
		u, stop := bench.MCPServer()
		defer stop()
		mcpURL = u
	}
	u, ids, engine, stop, err := startBenchServer(ctx, cfg.Connections, nTasks, mcpURL)
	if err != nil {
		return err
	}
	defer stop()
	rep.URL = u
	// The child takes the user's flags, then the server's address and tasks.
	child := append(append([]string{"bench"}, args...), "--url", u, "--task", strings.Join(ids, ","), "--echo=false", "--json")
	stopProfiles, err := profiles.start()
	if err != nil {
		return err
	}
	cpu0 := cpuSeconds()
	var peak float64
	var peakOpen int
	res, loadCPU, err := runBenchChild(ctx, child, stderr, func() {
		peak, peakOpen = max(peak, procstat.RSSMB(0)), max(peakOpen, engine.OpenEpisodes())
	})
	stopProfiles()
	if err != nil {
		return fmt.Errorf("load generator: %w", err)
	}
	rep.CPUSeconds, rep.RSSMB, rep.LoadCPUS, rep.PeakOpen = cpuSeconds()-cpu0, peak, loadCPU, peakOpen
	rep.benchLoad = res.benchLoad
	if echo {
		echoURL, stopEcho := bench.EchoServer()
		defer stopEcho()
		// The same amount of work, or the same time; no idle episodes.
		echoArgs := append(append([]string{"bench"}, args...), "--url", echoURL, "--against-echo", "--json", "--load-cpuprofile=",
			"--steps", strconv.FormatInt(res.Steps, 10), "--open", "0")
		er, _, err := runBenchChild(ctx, echoArgs, stderr, nil)
		if err != nil {
			return fmt.Errorf("echo: %w", err)
		}
		rep.setEcho(er.StepsPerS, er.P50ms, er.P99ms)
	}
	return nil
}

// runBenchChild runs this binary with args, its report on stdout, its
// progress and errors on stderr; sample is called every 100 ms meanwhile.
// It returns the report and the child's CPU time.
func runBenchChild(ctx context.Context, args []string, stderr io.Writer, sample func()) (*benchReport, float64, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, 0, fmt.Errorf("find this binary: %w", err)
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	if sample != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				sample()
				select {
				case <-done:
					return
				case <-t.C:
				}
			}
		}()
	}
	err = cmd.Wait()
	close(done)
	wg.Wait()
	if err != nil {
		return nil, 0, err
	}
	var rep benchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return nil, 0, fmt.Errorf("read its report: %w: %q", err, out.String())
	}
	return &rep, (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds(), nil
}

// benchTasks are the in-process server's tasks: n alike, each with every
// bench tool, answered 391.
func benchTasks(n int, mcp bool) []tasks.Task {
	toolset := []string{benchTools["builtin"].id, benchTools["code"].id}
	if mcp {
		toolset = append(toolset, benchTools["mcp"].id)
	}
	out := make([]tasks.Task, n)
	for i := range out {
		out[i] = tasks.Task{ID: fmt.Sprintf("bench-%04d", i), Question: "What is 17 * 23?", GroundTruth: "391", Tools: toolset, Domain: "general"}
	}
	return out
}

// startBenchServer serves n bench tasks with the default tool pool (and
// code_execution when the machine can sandbox it, and the bench MCP server
// when mcpURL is set), metrics on as in `dive serve`, on a loopback port.
func startBenchServer(ctx context.Context, connections, n int, mcpURL string) (string, []string, *env.Engine, func(), error) {
	log := slog.New(slog.DiscardHandler)
	opts := registryOptions{callTimeout: 30 * time.Second, sandbox: "auto", sandboxCfg: sandbox.DefaultConfig(), log: log}
	if mcpURL != "" {
		dir, err := os.MkdirTemp("", "dive-bench-")
		if err != nil {
			return "", nil, nil, nil, err
		}
		defer os.RemoveAll(dir)
		opts.mcpConfig = filepath.Join(dir, "mcp.json")
		servers, _ := json.Marshal(map[string]any{"servers": map[string]any{"bench": map[string]any{"url": mcpURL}}})
		if err := os.WriteFile(opts.mcpConfig, servers, 0o600); err != nil {
			return "", nil, nil, nil, err
		}
	}
	reg, pool, started, err := loadRegistry(opts)
	if err != nil {
		return "", nil, nil, nil, err
	}
	fail := func(err error) (string, []string, *env.Engine, func(), error) {
		started.Close()
		return "", nil, nil, nil, err
	}
	if pool != nil {
		if _, err := pool.Start(); err != nil {
			return fail(fmt.Errorf("start the sandbox: %w", err))
		}
	}
	ts := benchTasks(n, mcpURL != "")
	set, err := tasks.NewSet(ts)
	if err != nil {
		return fail(err)
	}
	mp, _, err := telemetry.Metrics("dive", "bench")
	if err != nil {
		return fail(err)
	}
	engine, err := env.NewEngine(env.EngineConfig{MeterProvider: mp}, set, reg, reward.NewRegistry(), nil, log)
	if err != nil {
		return fail(err)
	}
	srv := env.NewServer(engine, env.ServerConfig{MaxConnectionsPerClient: connections + 24, Version: "bench"}, log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = srv.Serve(sctx, ln, 5*time.Second); close(done) }()
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return "ws://" + ln.Addr().String() + env.EndpointPath, ids, engine, func() { cancel(); <-done; started.Close() }, nil
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// startCPUProfile starts profiling this process into file ("" profiles
// nothing); the function it returns stops it.
func startCPUProfile(file string) (func(), error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
