// Command gen writes the embedded default task set by executing the built-in tools.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/dive-env/dive/internal/defaults"
)

func main() {
	out := flag.String("o", "tasks.jsonl", "output file")
	flag.Parse()
	data, err := defaults.Generate(context.Background())
	if err == nil {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
