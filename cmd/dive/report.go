package main

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/dive-env/dive/synth"
)

func reportCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", "dive report [FILE...] --out report.html [--title T]", stderr)
	out := fs.String("out", "", "HTML file to write (self-contained)")
	title := fs.String("title", "", "report title (default: the files' names)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("report needs --out FILE.html")
	}
	ts, problems, err := loadTasks(files, nil)
	if err != nil {
		printProblems(stderr, problems)
		return err
	}
	if *title == "" {
		*title = "Task set report: embedded default tasks"
		if len(files) > 0 {
			*title = fmt.Sprintf("Task set report: %v", files)
		}
	}
	r := synth.NewReport(*title, ts)
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		return err
	}
	if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d tasks, %d domains, %d distinct tools called, %d tool-call patterns, %d plots\n",
		*out, r.Tasks, r.Domains, r.DistinctTools, r.Patterns, len(r.Plots))
	return nil
}
