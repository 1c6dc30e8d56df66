package env

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestReadmeWalkthrough runs the README's protocol walk-through, a Python
// client, against a real server, and checks the README shows it as it is.
func TestReadmeWalkthrough(t *testing.T) {
	script, err := os.ReadFile("../docs/examples/walkthrough.py")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```python\n"+string(script)+"```") {
		t.Error("README.md does not show docs/examples/walkthrough.py as it is")
	}
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import websockets").Run(); err != nil {
		t.Skipf("%s with python3-websockets is needed (apt-get install python3-websockets): %v", python, err)
	}
	te := newTestEnv(t, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "../docs/examples/walkthrough.py", te.url).CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "True answer 1 ") {
		t.Fatalf("walkthrough did not earn the reward:\n%s", out)
	}
}
