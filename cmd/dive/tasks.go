package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/dive-env/dive/tasks"
)

func tasksCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("tasks needs a subcommand: list, show or validate")
	}
	switch args[0] {
	case "list":
		return tasksList(args[1:], stdout, stderr)
	case "show":
		return tasksShow(args[1:], stdout, stderr)
	case "validate":
		return tasksValidate(args[1:], stdout, stderr)
	}
	return usagef("unknown tasks subcommand %q (list, show, validate)", args[0])
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func tasksList(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tasks list", "dive tasks list [FILE...] [--split S] [--domain D] [--json]", stderr)
	split := fs.String("split", "", "only tasks of this split")
	domain := fs.String("domain", "", "only tasks of this domain")
	asJSON := fs.Bool("json", false, "print one JSON array")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	set, err := loadSet(files, stderr)
	if err != nil {
		return err
	}
	sel := set.Filter(tasks.Filter{Split: *split, Domain: *domain})
	sums := make([]tasks.Summary, len(sel))
	for i, t := range sel {
		sums[i] = t.Summary()
	}
	if *asJSON {
		return writeJSON(stdout, sums)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDOMAIN\tSPLIT\tTOOLS\tQUESTION")
	for _, s := range sums {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", s.ID, s.Domain, s.Split, s.Tools, truncate(s.Question, 72))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d task(s)\n", len(sums))
	return nil
}

// loadSet reads task files (or the embedded set) into a Set, printing every
// problem when there are errors. Tool references are not checked here.
func loadSet(files []string, stderr io.Writer) (*tasks.Set, error) {
	ts, problems, err := loadTasks(files, nil)
	if err != nil {
		printProblems(stderr, problems)
		return nil, err
	}
	return tasks.NewSet(ts)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func tasksShow(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tasks show", "dive tasks show ID [--tasks FILE] [--json]", stderr)
	var files stringList
	fs.Var(&files, "tasks", "task file to look in (repeatable); default: the embedded task set")
	asJSON := fs.Bool("json", false, "print the task as JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("tasks show needs exactly one task id")
	}
	set, err := loadSet(files, stderr)
	if err != nil {
		return err
	}
	t, ok := set.Get(pos[0])
	if !ok {
		return fmt.Errorf("no task %q", pos[0])
	}
	if *asJSON {
		return writeJSON(stdout, t)
	}
	fmt.Fprintf(stdout, "id:           %s\nsource:       %s\ndomain:       %s\nsplit:        %s\n", t.ID, t.Source, t.Domain, t.Split)
	fmt.Fprintf(stdout, "question:     %s\nground truth: %s\n", t.Question, t.GroundTruth)
	fmt.Fprintf(stdout, "tools (%d):\n  %s\n", len(t.Tools), strings.Join(t.Tools, "\n  "))
	if len(t.Evidence) > 0 {
		fmt.Fprintf(stdout, "evidence:     %s\n", t.Evidence)
	}
	return nil
}

func tasksValidate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tasks validate", "dive tasks validate FILE... [--manifests PATH] [--json]", stderr)
	var manifests stringList
	fs.Var(&manifests, "manifests", "extra tool manifests that task tools may refer to (repeatable)")
	asJSON := fs.Bool("json", false, "print the problems as one JSON array")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("tasks validate needs at least one FILE")
	}
	reg, _, started, err := loadRegistry(registryOptions{manifests: manifests, sandbox: "auto"})
	if err != nil {
		return err
	}
	defer started.Close()
	ts, problems, loadErr := loadTasks(files, reg)
	if *asJSON {
		if problems == nil {
			problems = []tasks.Problem{}
		}
		if err := writeJSON(stdout, problems); err != nil {
			return err
		}
	} else {
		printProblems(stdout, problems)
		errs := 0
		for _, p := range problems {
			if !p.Warning {
				errs++
			}
		}
		fmt.Fprintf(stdout, "%d task(s) in %d file(s): %d error(s), %d warning(s)\n", len(ts), len(files), errs, len(problems)-errs)
	}
	if loadErr != nil {
		return fmt.Errorf("validation failed")
	}
	return nil
}
