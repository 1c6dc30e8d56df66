package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/dive-env/dive/toolexec/sandbox"
)

func toolsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("tools needs a subcommand: list or call")
	}
	switch args[0] {
	case "list":
		return toolsList(args[1:], stdout, stderr)
	case "call":
		return toolsCall(ctx, args[1:], stdout, stderr)
	}
	return usagef("unknown tools subcommand %q (list, call)", args[0])
}

// toolRow is one tool as `dive tools list --json` prints it.
type toolRow struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Domain      string `json:"domain"`
	Group       string `json:"group"`
	Executor    string `json:"executor"`
	Executable  bool   `json:"executable"`
	Reason      string `json:"reason"`
	Description string `json:"description"`
}

func toolsList(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tools list", "dive tools list [--domain D] [--manifests PATH] [--executable] [--json]", stderr)
	domain := fs.String("domain", "", "only tools of this domain")
	var manifests stringList
	fs.Var(&manifests, "manifests", "also list the tool manifests in this file or directory (repeatable)")
	onlyExec := fs.Bool("executable", false, "only tools that can run here")
	mcpFile := fs.String("mcp", "", "MCP servers file whose tools to list too")
	asJSON := fs.Bool("json", false, "print one JSON array")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("tools list takes no arguments")
	}
	reg, _, started, err := loadRegistry(registryOptions{manifests: manifests, sandbox: "auto", mcpConfig: *mcpFile, log: quietLog()})
	if err != nil {
		return err
	}
	defer started.Close()
	rows := []toolRow{}
	for _, t := range reg.Tools() {
		m := t.Manifest
		if (*domain != "" && m.Domain != *domain) || (*onlyExec && !t.Executable()) {
			continue
		}
		rows = append(rows, toolRow{ID: m.ID, Name: m.Name, Domain: m.Domain, Group: m.Group(), Executor: t.ExecutorKind(),
			Executable: t.Executable(), Reason: t.Reason(), Description: m.Description})
	}
	if *asJSON {
		return writeJSON(stdout, rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DOMAIN\tGROUP\tNAME\tEXECUTOR\tRUNS HERE")
	executable := 0
	for _, r := range rows {
		runs := "yes"
		if !r.Executable {
			runs = "no: " + r.Reason
		} else {
			executable++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Domain, r.Group, r.Name, r.Executor, runs)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d tool(s), %d executable here\n", len(rows), executable)
	return nil
}

// quietLog discards the start-up logs of one-shot commands.
func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func toolsCall(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tools call", "dive tools call NAME '{json arguments}' [--tool-store DIR --tool-store-mode MODE]", stderr)
	timeout := fs.Duration("timeout", 0, "deadline of the call (default 30s)")
	online := fs.Bool("online", false, "enable the tools that call remote web APIs")
	mcpFile := fs.String("mcp", "", "MCP servers file whose tools can be called too")
	storeDir := fs.String("tool-store", "", "directory of recorded tool results")
	storeMode := fs.String("tool-store-mode", "off", "off, record, replay or replay-then-live")
	var manifests stringList
	fs.Var(&manifests, "manifests", "also load the tool manifests in this file or directory (to replay their recordings)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usagef("tools call needs NAME and, optionally, a JSON object of arguments")
	}
	cfg := sandbox.DefaultConfig()
	cfg.Warm = 0
	reg, _, started, err := loadRegistry(registryOptions{manifests: manifests, callTimeout: *timeout, sandbox: "auto", sandboxCfg: cfg,
		storeDir: *storeDir, storeMode: *storeMode, online: *online, mcpConfig: *mcpFile, log: quietLog()})
	if err != nil {
		return err
	}
	defer started.Close()
	tool, err := reg.Resolve(pos[0])
	if err != nil {
		return err
	}
	argText := "{}"
	if len(pos) == 2 {
		argText = pos[1]
	}
	res := reg.Call(ctx, tool, json.RawMessage(argText))
	if res.Err != nil {
		return fmt.Errorf("%s: %s", res.Err.Kind, res.Err.Message)
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, []byte(res.Output), "", "  ") == nil {
		pretty.WriteByte('\n')
		_, err = stdout.Write(pretty.Bytes())
		return err
	}
	_, err = fmt.Fprintln(stdout, res.Output)
	return err
}
