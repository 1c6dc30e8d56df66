// Command gen writes the embedded default task set by executing the built-in tools.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/dive-env/dive/internal/defaults/taskgen"
	"github.com/dive-env/dive/toolexec"
	"github.com/dive-env/dive/toolexec/builtin"
)

func main() {
	out := flag.String("o", "tasks.jsonl", "output file")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	reg, err := builtin.NewRegistry(toolexec.DefaultOptions())
	if err != nil {
		return err
	}
	ts, err := taskgen.Generate(context.Background(), reg)
	if err != nil {
		return err
	}
	data, err := taskgen.WriteJSONL(ts)
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o644)
}
