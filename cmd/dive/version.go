package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/internal/version"
)

func versionCmd(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usagef("version takes no arguments")
	}
	fmt.Fprintf(stdout, "dive %s (protocol %s, %s %s/%s)\n", version.String(), env.ProtocolVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
