package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/env/ors"
	"github.com/dive-env/dive/internal/telemetry"
	"github.com/dive-env/dive/internal/version"
	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec/sandbox"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "dive serve [flags]", stderr)
	addr := fs.String("addr", "127.0.0.1:8790", "address to listen on")
	var taskFiles, manifests stringList
	fs.Var(&taskFiles, "tasks", "task file (JSON array or JSONL; repeatable); default: the embedded task set")
	fs.Var(&manifests, "manifests", "extra tool manifest file or directory (listed, not executable; repeatable)")
	trajectories := fs.String("trajectories", "", "append every finished episode to this JSONL file")
	format := fs.String("format", env.FormatOpenAI, "default tool-call format: openai, hermes or qwen3_coder (hermes and qwen3_coder both read <tool_call> blocks in JSON or XML)")
	maxTurns := fs.Int("max-turns", 16, "default assistant turns per episode")
	maxToolCalls := fs.Int("max-tool-calls", 64, "default tool calls per episode")
	maxCallsPerStep := fs.Int("max-tool-calls-per-step", 16, "tool calls run per assistant turn")
	orsOn := fs.Bool("ors", true, "serve the Open Reward Standard HTTP API beside the websocket one (environment \"dive\": /create_session, /create, /dive/call, ...)")
	orsMaxSessions := fs.Int("ors-max-sessions", 4096, "ORS sessions held at once (each one episode)")
	maxInvalidCalls := fs.Int("max-consecutive-invalid-tool-calls", 0, "default: end an episode after this many invalid tool calls in a row (unknown tool, bad arguments; 0: never)")
	deadline := fs.Duration("episode-deadline", 30*time.Minute, "default wall-clock budget of an episode")
	callTimeout := fs.Duration("call-timeout", 30*time.Second, "deadline of one tool call")
	maxInFlight := fs.Int("max-in-flight", 256, "requests handled at once per connection")
	maxEpisodes := fs.Int("max-episodes", 4096, "running episodes per connection")
	maxFrame := fs.Int("max-frame-bytes", 16<<20, "largest frame a client may send")
	maxMessage := fs.Int("max-message-bytes", 4<<20, "largest assistant turn (content and tool-call arguments)")
	maxConnsPerClient := fs.Int("max-connections-per-client", 256, "open connections from one IP address")
	maxRollout := fs.Int("max-rollout-episodes", 512, "episodes rollouts run at once; more are refused with capacity and a retry-after hint")
	maxRolloutPerClient := fs.Int("max-rollout-episodes-per-client", 0, "one client IP's share of --max-rollout-episodes (0: all of it)")
	maxPolicyCalls := fs.Int("max-policy-calls", 256, "calls in flight to each policy endpoint; more wait, within their deadline")
	drain := fs.Duration("drain-timeout", 30*time.Second, "how long shutdown waits for in-flight steps")
	tokenFile := fs.String("token-file", "", "file holding the bearer token clients must send (default: $DIVE_TOKEN); required to listen off loopback")
	tlsCert := fs.String("tls-cert", "", "TLS certificate (PEM) to serve wss:// with --tls-key")
	tlsKey := fs.String("tls-key", "", "TLS private key (PEM)")
	origins := fs.String("allowed-origins", "", "comma-separated browser origins allowed besides the server's own (e.g. https://ui.example.org)")
	metricsOn := fs.Bool("metrics", true, "serve Prometheus metrics at /metrics (steps, latencies, tool calls, episodes, rewards, errors)")
	resumeGrace := fs.Duration("resume-grace", 60*time.Second, "how long a dropped connection's episodes wait for the client to resume them (0: resume off, episodes released at once)")
	mcpFile := fs.String("mcp", "", `MCP servers file: {"servers": {"NAME": {"command": ..., "args": [...]} or {"url": ...}}}; their tools join the pool`)
	online := fs.Bool("online", false, "enable the tools that call remote web APIs (NCBI E-utilities); API keys from NCBI_API_KEY")
	storeDir := fs.String("tool-store", "", "directory of recorded tool results (one JSON file per tool and arguments)")
	storeMode := fs.String("tool-store-mode", "off", "record/replay of tool results: off, record, replay (recorded results only), replay-then-live")
	sandboxMode := fs.String("sandbox", "auto", "code_execution sandbox: auto (when the machine can isolate it), require (refuse to start without it), off")
	sandboxWarm := fs.Int("sandbox-warm", 2, "sandbox slots kept started, waiting for episodes")
	sandboxSlots := fs.Int("sandbox-slots", 64, "sandbox slots alive at most (one per episode that runs code)")
	judge := addScoringFlags(fs)
	weights := fs.String("reward-weights", "", "reward = correctness×C + format×F − tool_error×failed calls − tool_call×calls − turn×turns, clamped to [0, 1], e.g. "+
		"\"correctness=0.9,format=0.1,tool_error=0.02\"; step_tool_error=X adds per-step shaping (default: correctness alone)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	gcPercent := addGCFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	applyGCPercent(*gcPercent)
	if len(pos) > 0 {
		return usagef("serve takes no arguments, got %q", strings.Join(pos, " "))
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}

	if err := judge.check(); err != nil {
		return err
	}
	rewardWeights, err := reward.ParseWeights(*weights)
	if err != nil {
		return usagef("--reward-weights: %v", err)
	}
	if *maxInvalidCalls < 0 {
		return usagef("--max-consecutive-invalid-tool-calls must not be negative")
	}

	shutdownTracing, tracing, err := telemetry.Setup(ctx, "dive", version.String())
	if err != nil {
		return err
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdownTracing(flushCtx); err != nil {
			log.Warn("flushing traces", "err", err)
		}
	}()
	var tracerProvider trace.TracerProvider
	if tracing {
		tracerProvider = otel.GetTracerProvider()
		log.Info("tracing on", "exporter", os.Getenv("OTEL_TRACES_EXPORTER"), "endpoint", os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
	}
	var meterProvider metric.MeterProvider
	var metricsHandler http.Handler
	if *metricsOn {
		if meterProvider, metricsHandler, err = telemetry.Metrics("dive", version.String()); err != nil {
			return err
		}
	}
	token, err := loadToken(*tokenFile, os.Getenv("DIVE_TOKEN"))
	if err != nil {
		return err
	}
	if token == "" && !loopbackAddr(*addr) {
		return usagef("--addr %s is reachable from other machines: set a bearer token (DIVE_TOKEN or --token-file) so that only your trainers can connect", *addr)
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}

	sbCfg := sandbox.DefaultConfig()
	sbCfg.Warm, sbCfg.MaxSlots = *sandboxWarm, *sandboxSlots
	// Sandboxed code must not read what the server holds: its binary (with the
	// embedded tasks), task files, trajectories, stores, secrets, its working directory.
	sbCfg.Hide = absPaths(append(append(serverPaths(), taskFiles...), *trajectories, *storeDir, *mcpFile, judge.cache, *tokenFile, *tlsCert, *tlsKey))
	if t := *callTimeout - 3*time.Second; t > 0 && t < sbCfg.Timeout {
		sbCfg.Timeout = t // interrupted and reported within the call's deadline
	}
	reg, pool, started, err := loadRegistry(registryOptions{manifests: manifests, callTimeout: *callTimeout, sandbox: *sandboxMode, sandboxCfg: sbCfg,
		storeDir: *storeDir, storeMode: *storeMode, online: *online, mcpConfig: *mcpFile, log: log})
	if err != nil {
		return err
	}
	defer started.Close()
	if pool != nil {
		if p, err := pool.Start(); err != nil {
			return fmt.Errorf("start the sandbox: %w", err)
		} else {
			log.Info("code_execution sandbox ready", "isolation", p.Capabilities().String(), "warm", sbCfg.Warm, "max_slots", sbCfg.MaxSlots)
		}
		if meterProvider != nil {
			if err := sandbox.RegisterMetrics(meterProvider, pool); err != nil {
				return err
			}
		}
	} else if t, ok := reg.Get(sandbox.ToolID); ok {
		log.Warn("code_execution is not available", "reason", t.Reason())
	}
	scorers, err := judge.registry()
	if err != nil {
		return err
	}
	if judge.url != "" {
		log.Info("LLM judge configured", "url", judge.url, "model", judge.model, "mode", judge.mode, "cache", judge.cache)
	}
	ts, problems, err := loadTasks(taskFiles, reg)
	if err != nil {
		printProblems(stderr, problems)
		return errors.New("task set has errors; nothing served")
	}
	for _, p := range problems {
		log.Warn("task problem", "problem", p.String())
	}
	set, err := tasks.NewSet(ts)
	if err != nil {
		return err
	}
	var rec *env.Recorder
	if *trajectories != "" {
		if rec, err = env.OpenRecorder(*trajectories); err != nil {
			return err
		}
		defer func() {
			if err := rec.Close(); err != nil {
				log.Error("close trajectories", "err", err)
			}
		}()
	}
	engine, err := env.NewEngine(env.EngineConfig{
		MaxTurns: *maxTurns, MaxToolCalls: *maxToolCalls, MaxToolCallsPerStep: *maxCallsPerStep, Weights: rewardWeights,
		MaxConsecutiveInvalidToolCalls: *maxInvalidCalls,
		MaxMessageBytes:                *maxMessage, TracerProvider: tracerProvider, MeterProvider: meterProvider,
		EpisodeDeadline: *deadline, ToolCallFormat: *format,
		MaxRolloutEpisodes: *maxRollout, MaxRolloutEpisodesPerClient: *maxRolloutPerClient, MaxPolicyCalls: *maxPolicyCalls,
	}, set, reg, scorers, rec, log)
	if err != nil {
		return err
	}
	var routes func(*http.ServeMux)
	var status []string
	if *orsOn {
		facade := ors.New(engine, ors.Config{Token: token, MaxSessions: *orsMaxSessions, Log: log})
		defer facade.Close()
		routes = facade.Register
		status = append(status, "ORS:            the Open Reward Standard's HTTP API, environment \"dive\" (/list_environments, /create_session, /create, /dive/call; docs/ors.md)")
	}
	srv := env.NewServer(engine, env.ServerConfig{
		MaxFrameBytes: *maxFrame, MaxEpisodesPerConnection: *maxEpisodes, MaxInFlight: *maxInFlight, MaxConnectionsPerClient: *maxConnsPerClient,
		Version: version.String(), ResumeGrace: resumeGraceConfig(*resumeGrace),
		Token: token, TLSCertFile: *tlsCert, TLSKeyFile: *tlsKey, AllowedOrigins: splitList(*origins), MetricsHandler: metricsHandler,
		Routes: routes, StatusLines: status,
	}, log)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	scheme := "ws"
	if *tlsCert != "" {
		scheme = "wss"
	}
	log.Info("dive serving", "version", version.String(), "url", scheme+"://"+ln.Addr().String()+env.EndpointPath,
		"status", map[string]string{"ws": "http", "wss": "https"}[scheme]+"://"+ln.Addr().String()+"/", "token", token != "", "tasks", set.Len(), "tools", reg.Len(), "trajectories", *trajectories)
	if err := srv.Serve(ctx, ln, *drain); err != nil {
		return err
	}
	log.Info("dive stopped cleanly")
	return nil
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("bad --log-level %q (debug, info, warn, error)", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(telemetry.LogHandler(slog.NewTextHandler(w, opts))), nil
	case "json":
		return slog.New(telemetry.LogHandler(slog.NewJSONHandler(w, opts))), nil
	}
	return nil, usagef("bad --log-format %q (text, json)", format)
}

// resumeGraceConfig maps the --resume-grace flag (0 = off) onto
// ServerConfig.ResumeGrace (0 = default, negative = off).
func resumeGraceConfig(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// loadToken reads the bearer token from a file (trailing newline trimmed) or
// takes it from the environment; an empty file is an error.
func loadToken(file, fromEnv string) (string, error) {
	if file == "" {
		return strings.TrimSpace(fromEnv), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("token file %s is empty", file)
	}
	return tok, nil
}

// loopbackAddr reports whether a listen address is reachable from this machine only.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serverPaths are the server's own binary and working directory.
func serverPaths() []string {
	var out []string
	if exe, err := os.Executable(); err == nil {
		out = append(out, exe)
	}
	if wd, err := os.Getwd(); err == nil {
		out = append(out, wd)
	}
	return out
}

// absPaths makes paths absolute, dropping empty ones.
func absPaths(paths []string) []string {
	var out []string
	for _, p := range paths {
		if p == "" {
			continue
		}
		if abs, err := filepath.Abs(p); err == nil {
			out = append(out, abs)
		}
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
