package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/dive-env/dive/internal/defaults"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
	"github.com/dive-env/dive/toolexec/dictionary"
	"github.com/dive-env/dive/toolexec/docweb"
	"github.com/dive-env/dive/toolexec/httptool"
	"github.com/dive-env/dive/toolexec/journals"
	"github.com/dive-env/dive/toolexec/marketdata"
	"github.com/dive-env/dive/toolexec/mcptool"
	"github.com/dive-env/dive/toolexec/miscfiles"
	"github.com/dive-env/dive/toolexec/numdb"
	"github.com/dive-env/dive/toolexec/opendata"
	"github.com/dive-env/dive/toolexec/sandbox"
	"github.com/dive-env/dive/toolexec/unitstool"
	"github.com/dive-env/dive/toolexec/wordnet"
)

// stringList is a repeatable flag that also splits on commas.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// registryOptions say which tools to load.
type registryOptions struct {
	manifests   []string      // extra manifest files or directories (listed, not executable)
	callTimeout time.Duration // per tool call
	sandbox     string        // code_execution: auto (if the machine can isolate it), require, off
	sandboxCfg  sandbox.Config
	storeDir    string // record/replay directory; "" for none
	storeMode   string // off, record, replay, replay-then-live
	online      bool   // enable the tools that call remote web APIs
	mcpConfig   string // MCP servers file; "" for none
	log         *slog.Logger
}

// closers are what loadRegistry started: the caller closes them on exit.
type closers []func()

func (c closers) Close() {
	for i := len(c) - 1; i >= 0; i-- {
		c[i]()
	}
}

// loadRegistry returns the built-in tools, code_execution (run by a sandbox
// pool that starts on first use, when the machine can isolate it), the tools
// of the configured MCP servers, the HTTP tools and the manifests at each
// path. The caller closes what it returns.
func loadRegistry(o registryOptions) (*toolexec.Registry, *sandbox.Lazy, closers, error) {
	reg, pool, err := loadTools(o)
	if err != nil {
		return nil, nil, nil, err
	}
	var cl closers
	if pool != nil {
		cl = append(cl, pool.Close)
	}
	if o.mcpConfig != "" {
		cfg, err := mcptool.LoadConfig(o.mcpConfig)
		if err != nil {
			cl.Close()
			return nil, nil, nil, err
		}
		m, err := mcptool.Start(context.Background(), cfg, o.log)
		if err != nil {
			cl.Close()
			return nil, nil, nil, err
		}
		cl = append(cl, m.Close)
		if err := m.Register(reg); err != nil {
			cl.Close()
			return nil, nil, nil, err
		}
	}
	return reg, pool, cl, nil
}

func loadTools(o registryOptions) (*toolexec.Registry, *sandbox.Lazy, error) {
	opts := toolexec.Options{CallTimeout: o.callTimeout}
	mode, err := toolexec.ParseReplayMode(o.storeMode)
	if err != nil {
		return nil, nil, usagef("%v", err)
	}
	if mode != toolexec.ReplayOff {
		if o.storeDir == "" {
			return nil, nil, usagef("--tool-store-mode %s needs --tool-store DIR", mode)
		}
		if opts.Store, err = toolexec.OpenStore(o.storeDir); err != nil {
			return nil, nil, err
		}
		opts.Replay = mode
	}
	reg, err := defaults.Registry(opts)
	if err != nil {
		return nil, nil, err
	}
	var pool *sandbox.Lazy
	switch o.sandbox {
	case "off":
		if err = sandbox.Register(reg, nil, "turned off (--sandbox off)"); err == nil {
			err = unitstool.Register(reg, nil, "needs the sandbox, turned off (--sandbox off)")
		}
	case "", "auto", "require":
		cfg := o.sandboxCfg
		if cfg.Python == "" {
			cfg = sandbox.DefaultConfig()
		}
		if caps := sandbox.Probe(cfg); caps.Complete() {
			pool = sandbox.NewLazy(cfg, o.log)
			if err = sandbox.Register(reg, pool, ""); err == nil {
				err = unitstool.Register(reg, pool, "")
			}
		} else if o.sandbox == "require" {
			return nil, nil, fmt.Errorf("--sandbox require: code_execution cannot be isolated on this machine: %s", caps)
		} else if err = sandbox.Register(reg, nil, caps.String()); err == nil {
			err = unitstool.Register(reg, nil, "needs the sandbox, which is unavailable: "+caps.String())
		}
	default:
		return nil, nil, usagef("bad --sandbox %q (auto, require, off)", o.sandbox)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := wordnet.Register(reg, wordnet.DefaultDir); err != nil {
		return nil, nil, err
	}
	if err := dictionary.Register(reg, dictionary.DefaultDir); err != nil {
		return nil, nil, err
	}
	if err := marketdata.Register(reg, marketdata.DefaultDir); err != nil {
		return nil, nil, err
	}
	if err := miscfiles.Register(reg, miscfiles.DefaultDir); err != nil {
		return nil, nil, err
	}
	if err := opendata.Register(reg, opendata.DefaultDir); err != nil {
		return nil, nil, err
	}
	if err := numdb.Register(reg, numdb.DefaultDir); err != nil {
		return nil, nil, err
	}
	if err := docweb.Register(reg, docweb.DefaultSites); err != nil {
		return nil, nil, err
	}
	if err := journals.Register(reg, journals.DefaultDir); err != nil {
		return nil, nil, err
	}
	if err := httptool.Register(reg, httptool.Options{Online: o.online}); err != nil {
		return nil, nil, err
	}
	for _, p := range o.manifests {
		ms, err := toolexec.ReadManifests(p)
		if err != nil {
			return nil, nil, err
		}
		if _, err := reg.AddManifests(ms); err != nil {
			return nil, nil, fmt.Errorf("manifests %s: %w", p, err)
		}
	}
	return reg, pool, nil
}

// resolver adapts a registry to tasks.Validate.
func resolver(reg *toolexec.Registry) tasks.ToolResolver {
	return func(ref string) (string, bool, error) {
		t, err := reg.Resolve(ref)
		if err != nil {
			return "", false, err
		}
		return t.Manifest.Name, t.Executable(), nil
	}
}

// loadTasks reads task files (or the embedded set when none), validates them
// against reg and returns every problem; err is set when any is an error.
func loadTasks(files []string, reg *toolexec.Registry) ([]tasks.Task, []tasks.Problem, error) {
	var all []tasks.Task
	var problems []tasks.Problem
	if len(files) == 0 {
		ts, err := defaults.Tasks()
		if err != nil {
			return nil, nil, err
		}
		all = ts
	}
	for _, f := range files {
		ts, ps, err := tasks.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, ts...)
		problems = append(problems, ps...)
	}
	var res tasks.ToolResolver
	if reg != nil {
		res = resolver(reg)
	}
	problems = append(problems, tasks.Validate(all, res)...)
	if tasks.HasErrors(problems) {
		return all, problems, &tasks.ProblemsError{Problems: problems}
	}
	return all, problems, nil
}

func printProblems(w io.Writer, problems []tasks.Problem) {
	for _, p := range problems {
		fmt.Fprintln(w, p.String())
	}
}

// loadTaskSet loads the default tools (code_execution when the machine can
// isolate it) and the task files (the embedded set when none), printing
// the files' problems: what dive solve and dive rollout run on.
func loadTaskSet(files []string, stderr io.Writer) (*toolexec.Registry, *tasks.Set, closers, error) {
	reg, _, started, err := loadRegistry(registryOptions{callTimeout: 30 * time.Second, sandbox: "auto", log: discardLogger()})
	if err != nil {
		return nil, nil, nil, err
	}
	ts, problems, err := loadTasks(files, reg)
	if err != nil {
		printProblems(stderr, problems)
		started.Close()
		return nil, nil, nil, err
	}
	set, err := tasks.NewSet(ts)
	if err != nil {
		started.Close()
		return nil, nil, nil, err
	}
	return reg, set, started, nil
}
