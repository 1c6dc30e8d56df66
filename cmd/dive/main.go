// Command dive serves reinforcement-learning environments for tool-using LLM
// agents, and inspects their tasks and tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `dive — RL environments for tool-using LLM agents (the DIVE recipe)

Usage:
  dive serve [flags]                 serve episodes over websocket, and over the Open Reward
                                     Standard's HTTP API (default 127.0.0.1:8790, embedded tasks
                                     and tools, no configuration needed)
  dive tasks list [FILE] [flags]     list tasks (the embedded set when no FILE)
  dive tasks show ID [flags]         show one task, answer and evidence included
  dive tasks validate FILE...        check task files; every problem with file:line
  dive tools list [flags]            list tools, and whether each can run here
  dive tools call NAME '{json}'      run one tool and print its result
  dive synth --count N --out FILE    make a task set offline: real tool runs, questions entailed
                                     by their traces, each re-verified by replaying it
  dive report [FILE...] --out R.html a self-contained HTML diversity report of a task set
  dive solve [TASKS] --llm-url ...   roll a teacher model out on tasks: trajectories (SFT data)
  dive rollout --task ID --n 8 --policy-url URL --model M
                                     GRPO groups against a policy endpoint (vLLM, SGLang): episodes
                                     with rewards and token ids as JSON lines; --server sends them to a dive serve
  dive verify TRAJ --out F           rescore trajectories (match, or the judge when configured)
  dive filter TRAJ --rl-out/--sft-out  pass@k filter for RL, correct trajectories for SFT
  dive bench [--duration 10s] [--json]   load this machine: steps/s, latency, RSS, vs. a bare websocket echo
  dive soak [--duration 60s]           soak test: load, drops, bad frames, hostile code, SIGTERM; checks nothing is lost
  dive score FILE [--scorer S]       score a JSONL of question, ground_truth, response (and label):
                                     per-line results and agreement with the labels
  dive version                       print the version

Run 'dive COMMAND -h' for the flags of a command. List commands take --json.
Protocol: docs/protocol.md. Architecture: docs/architecture.md.
`

// usageError is a command-line mistake: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	var ue *usageError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "dive: %v\nRun 'dive -h' for usage.\n", err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "dive: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serveCmd(ctx, rest, stdout, stderr)
	case "tasks":
		return tasksCmd(ctx, rest, stdout, stderr)
	case "tools":
		return toolsCmd(ctx, rest, stdout, stderr)
	case "score":
		return scoreCmd(ctx, rest, stdout, stderr)
	case "synth":
		return synthCmd(ctx, rest, stdout, stderr)
	case "report":
		return reportCmd(ctx, rest, stdout, stderr)
	case "solve":
		return solveCmd(ctx, rest, stdout, stderr)
	case "verify":
		return verifyCmd(ctx, rest, stdout, stderr)
	case "filter":
		return filterCmd(ctx, rest, stdout, stderr)
	case "soak":
		return soakCmd(ctx, rest, stdout, stderr)
	case "rollout":
		return rolloutCmd(ctx, rest, stdout, stderr)
	case "bench":
		return benchCmd(ctx, rest, stdout, stderr)
	case "version", "--version":
		return versionCmd(rest, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usagef("unknown command %q", cmd)
}

// parseInterspersed parses flags that may appear before, between or after
// positional arguments, and returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}
