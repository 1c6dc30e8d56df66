// Package version reports the build's version.
package version

import "runtime/debug"

// Version is set at link time with -ldflags "-X github.com/dive-env/dive/internal/version.Version=v1.2.3";
// otherwise it is taken from the module build info, or "dev".
var Version = ""

// String returns the version.
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
