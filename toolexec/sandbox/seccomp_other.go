//go:build linux && !amd64 && !arm64

package sandbox

const (
	auditArch = 0 // no deny-list here: Probe reports the sandbox unavailable
	x32Bit    = 0
)

var deniedSyscalls []int
