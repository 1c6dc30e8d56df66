package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
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
	URL         string           `json:"url"`
	InProcess   bool             `json:"in_process"`
	Encoding    string           `json:"encoding"`
	Tool        string           `json:"tool"`
	Connections int              `json:"connections"`
	Concurrency int              `json:"concurrency_per_connection"`
	DurationS   float64          `json:"duration_s"`
	Steps       int64            `json:"steps"`
	StepsPerS   float64          `json:"steps_per_s"`
	EchoPerS    float64          `json:"echo_per_s"`
	Ratio       float64          `json:"ratio"`
	P50ms       float64          `json:"p50_ms"`
	P90ms       float64          `json:"p90_ms"`
	P99ms       float64          `json:"p99_ms"`
	MaxMs       float64          `json:"max_ms"`
	RSSMB       float64          `json:"rss_mb"`
	CPUSeconds  float64          `json:"cpu_s"`
	Errors      int64            `json:"errors"`
	ErrorKinds  map[string]int64 `json:"error_kinds,omitempty"`
}

// benchTasks are the in-process server's tasks: one per tool of the mix.
func benchTasks() []tasks.Task {
	return []tasks.Task{
		{ID: "bench-builtin", Question: "What is 17 * 23?", GroundTruth: "391", Tools: []string{"general.math.calculator"}, Domain: "general"},
		{ID: "bench-code", Question: "Print 391.", GroundTruth: "391", Tools: []string{sandbox.ToolID}, Domain: "general"},
	}
}

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "dive bench [--url ws://HOST:PORT/v1/env] [--duration 10s] [--connections 4 --concurrency 64] [--json]", stderr)
	url := fs.String("url", "", "server to load (default: start one in this process on loopback)")
	task := fs.String("task", "", "task every episode runs on a --url server (default: the in-process server's bench task for --tool)")
	tool := fs.String("tool", "builtin", "the tool each step calls: builtin (calculator) or code (code_execution)")
	connections := fs.Int("connections", 4, "websocket connections")
	concurrency := fs.Int("concurrency", 64, "episodes in flight per connection, each one request at a time")
	duration := fs.Duration("duration", 10*time.Second, "how long the load runs (and the echo run after it)")
	steps := fs.Int64("steps", 0, "stop after this many steps (0: run for --duration)")
	encoding := fs.String("encoding", "msgpack", "msgpack or json")
	turns := fs.Int("turns", 16, "steps per episode before a new reset")
	echo := fs.Bool("echo", true, "also measure a bare websocket+msgpack echo under the same load, and report the ratio")
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("bench takes no arguments")
	}
	if *encoding != "msgpack" && *encoding != "json" {
		return usagef("--encoding must be msgpack or json")
	}
	toolName, toolArgs := "calculator", `{"expression": "17 * 23"}`
	switch *tool {
	case "builtin":
	case "code":
		toolName, toolArgs = "code_execution", `{"code": "print(17 * 23)"}`
	default:
		return usagef("--tool must be builtin or code")
	}
	rep := benchReport{URL: *url, Encoding: *encoding, Tool: *tool, Connections: *connections, Concurrency: *concurrency}
	if *url == "" {
		rep.InProcess = true
		u, stop, err := startBenchServer(ctx, *connections)
		if err != nil {
			return err
		}
		defer stop()
		rep.URL = u
		if *task == "" {
			*task = "bench-" + *tool
		}
	} else if *task == "" {
		return usagef("--url needs --task (a task whose toolset has %s)", toolName)
	}
	progress := func(what string) func(int64, time.Duration) {
		if !isTerminal(stderr) {
			return nil
		}
		return func(n int64, d time.Duration) {
			fmt.Fprintf(stderr, "\r%s: %d steps, %.0f/s   ", what, n, float64(n)/d.Seconds())
		}
	}
	cfg := bench.Config{URL: rep.URL, Token: os.Getenv("DIVE_TOKEN"), Connections: *connections, Concurrency: *concurrency,
		Duration: *duration, Steps: *steps, Encoding: *encoding, TaskID: *task, Turns: *turns,
		ToolName: toolName, ToolArgs: toolArgs, OnProgress: progress("steps")}
	cpu0 := cpuSeconds()
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if rep.InProcess {
		rep.CPUSeconds = cpuSeconds() - cpu0
		rep.RSSMB = procstat.RSSMB(0)
	}
	rep.DurationS, rep.Steps, rep.StepsPerS = res.Elapsed.Seconds(), res.Steps, res.PerSecond()
	rep.P50ms, rep.P90ms = millis(res.Percentile(50)), millis(res.Percentile(90))
	rep.P99ms, rep.MaxMs = millis(res.Percentile(99)), millis(res.Percentile(100))
	rep.Errors, rep.ErrorKinds = res.Errors, res.ErrorKind
	if *echo {
		cfg.OnProgress = progress("echo")
		cfg.Steps = res.Steps // the same amount of work, or the same time
		er, err := bench.Echo(ctx, cfg)
		if err != nil {
			return fmt.Errorf("echo: %w", err)
		}
		rep.EchoPerS = er.PerSecond()
		if rep.EchoPerS > 0 {
			rep.Ratio = rep.StepsPerS / rep.EchoPerS
		}
	}
	if isTerminal(stderr) {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	where := rep.URL
	if rep.InProcess {
		where = "an in-process server on loopback"
	}
	fmt.Fprintf(stdout, "dive bench: %d connections × %d episodes in flight, %s, one %s call per step, against %s\n",
		rep.Connections, rep.Concurrency, rep.Encoding, toolName, where)
	fmt.Fprintf(stdout, "  steps      %d in %.1fs: %.0f steps/s; latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; errors %d\n",
		rep.Steps, rep.DurationS, rep.StepsPerS, rep.P50ms, rep.P90ms, rep.P99ms, rep.MaxMs, rep.Errors)
	if *echo {
		fmt.Fprintf(stdout, "  echo       %.0f frames/s (bare websocket+msgpack, same load): steps run at %.0f%% of it\n", rep.EchoPerS, 100*rep.Ratio)
	}
	if rep.InProcess {
		fmt.Fprintf(stdout, "  process    RSS %.0f MiB, CPU %.1fs (server and load generator together)\n", rep.RSSMB, rep.CPUSeconds)
	}
	for k, n := range rep.ErrorKinds {
		fmt.Fprintf(stdout, "  error      %d × %s\n", n, k)
	}
	return nil
}

// startBenchServer serves the bench tasks with the default tool pool (and
// code_execution when the machine can sandbox it), metrics on as in `dive
// serve`, on a loopback port.
func startBenchServer(ctx context.Context, connections int) (string, func(), error) {
	log := slog.New(slog.DiscardHandler)
	reg, pool, started, err := loadRegistry(registryOptions{callTimeout: 30 * time.Second, sandbox: "auto", sandboxCfg: sandbox.DefaultConfig(), log: log})
	if err != nil {
		return "", nil, err
	}
	if pool != nil {
		if _, err := pool.Start(); err != nil {
			started.Close()
			return "", nil, fmt.Errorf("start the sandbox: %w", err)
		}
	}
	set, err := tasks.NewSet(benchTasks())
	if err != nil {
		started.Close()
		return "", nil, err
	}
	mp, _, err := telemetry.Metrics("dive", "bench")
	if err != nil {
		started.Close()
		return "", nil, err
	}
	engine, err := env.NewEngine(env.EngineConfig{MeterProvider: mp}, set, reg, reward.NewRegistry(), nil, log)
	if err != nil {
		started.Close()
		return "", nil, err
	}
	srv := env.NewServer(engine, env.ServerConfig{MaxConnectionsPerClient: connections + 8, Version: "bench"}, log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		started.Close()
		return "", nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = srv.Serve(sctx, ln, 5*time.Second); close(done) }()
	return "ws://" + ln.Addr().String() + env.EndpointPath, func() { cancel(); <-done; started.Close() }, nil
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
