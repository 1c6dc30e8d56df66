package mcptool

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/dive-env/dive/toolexec"
)

type echoIn struct {
	Message string `json:"message"`
}

type addIn struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

type sumOut struct {
	Sum float64 `json:"sum"`
}

// newTestServer builds an MCP server with an echo, a failing tool, a
// structured add, and a counter whose state lives in the server instance.
func newTestServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "dive-test", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "Echo a message."}, func(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "echo: " + in.Message}}}, nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "fail", Description: "Always fails."}, func(_ context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: "the tool failed on purpose"}}}, nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "add", Description: "Add two numbers."}, func(_ context.Context, _ *mcp.CallToolRequest, in addIn) (*mcp.CallToolResult, sumOut, error) {
		return nil, sumOut{Sum: in.A + in.B}, nil
	})
	// The SDK serves calls of one session concurrently: the counter is atomic.
	var count atomic.Int64
	mcp.AddTool(s, &mcp.Tool{Name: "count", Description: "Count calls in this session."}, func(_ context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		n := count.Add(1)
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: strings.Repeat("|", int(n))}}}, nil, nil
	})
	return s
}

func loopbackServer(t *testing.T) string {
	t.Helper()
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return newTestServer() }, nil)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func start(t *testing.T, cfg *Config) (*Manager, *toolexec.Registry) {
	t.Helper()
	m, err := Start(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	r := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := m.Register(r); err != nil {
		t.Fatal(err)
	}
	return m, r
}

func callIn(t *testing.T, r *toolexec.Registry, episode, name, args string) toolexec.Result {
	t.Helper()
	tool, err := r.Resolve(name)
	if err != nil {
		t.Fatal(err)
	}
	return r.Call(toolexec.WithSession(context.Background(), episode), tool, json.RawMessage(args))
}

func TestStreamableHTTPServer(t *testing.T) {
	url := loopbackServer(t)
	m, r := start(t, &Config{Servers: map[string]ServerConfig{
		"shared": {URL: url, Domain: "academic"},
		"mine":   {URL: url, PerEpisode: true},
	}})
	if r.Len() != 8 {
		t.Fatalf("%d tools registered, want 4 per server", r.Len())
	}
	echo, _ := r.Get("mcp.shared.echo")
	if echo.Manifest.Name != "shared__echo" || echo.Manifest.Domain != "academic" || echo.ExecutorKind() != "mcp" {
		t.Fatalf("manifest %+v", echo.Manifest)
	}
	if res := callIn(t, r, "ep1", "shared__echo", `{"message": "hi"}`); res.Err != nil || res.Output != "echo: hi" {
		t.Fatalf("echo: %+v", res)
	}
	if res := callIn(t, r, "ep1", "shared__echo", `{"message": 3}`); res.Err == nil || res.Err.Kind != toolexec.ErrInvalidArguments {
		t.Fatalf("the server's input schema is enforced before the call: %+v", res)
	}
	if res := callIn(t, r, "ep1", "shared__fail", `{}`); res.Err == nil || !strings.Contains(res.Err.Message, "failed on purpose") {
		t.Fatalf("tool error: %+v", res)
	}
	if res := callIn(t, r, "ep1", "shared__add", `{"a": 2, "b": 40}`); res.Err != nil || !strings.Contains(res.Output, `"sum":42`) {
		t.Fatalf("structured result: %+v", res)
	}
	// Shared: one session for all episodes. Per episode: a session each, ended with the episode.
	callIn(t, r, "ep1", "shared__count", `{}`)
	if res := callIn(t, r, "ep2", "shared__count", `{}`); res.Output != "||" {
		t.Fatalf("shared server state: %+v", res)
	}
	callIn(t, r, "ep1", "mine__count", `{}`)
	if res := callIn(t, r, "ep1", "mine__count", `{}`); res.Output != "||" {
		t.Fatalf("per-episode state within an episode: %+v", res)
	}
	if res := callIn(t, r, "ep2", "mine__count", `{}`); res.Output != "|" {
		t.Fatalf("per-episode state leaked between episodes: %+v", res)
	}
	r.CloseSession("ep1")
	if res := callIn(t, r, "ep1", "mine__count", `{}`); res.Output != "|" {
		t.Fatalf("the episode's session was not ended: %+v", res)
	}
	m.mu.Lock()
	n := len(m.episode["mine"])
	m.mu.Unlock()
	if n != 2 {
		t.Fatalf("%d per-episode sessions, want 2", n)
	}
}

// TestParallelCallsOfOneEpisode: concurrent calls of one episode to a
// per-episode server share one session.
func TestParallelCallsOfOneEpisode(t *testing.T) {
	url := loopbackServer(t)
	m, r := start(t, &Config{Servers: map[string]ServerConfig{"mine": {URL: url, PerEpisode: true}}})
	done := make(chan toolexec.Result, 6)
	for i := 0; i < 6; i++ {
		go func() { done <- callIn(t, r, "ep", "mine__count", `{}`) }()
	}
	for i := 0; i < 6; i++ {
		if res := <-done; res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	if res := callIn(t, r, "ep", "mine__count", `{}`); res.Output != "|||||||" {
		t.Fatalf("the calls did not share one session: %q", res.Output)
	}
	m.mu.Lock()
	n := len(m.episode["mine"])
	m.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d sessions for one episode", n)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		body string
		ok   bool
	}{
		"good":    {`{"servers": {"everything": {"command": "node", "args": ["x.js"]}, "web": {"url": "http://127.0.0.1:1/mcp"}}}`, true},
		"both":    {`{"servers": {"x": {"command": "node", "url": "http://127.0.0.1:1/"}}}`, false},
		"neither": {`{"servers": {"x": {}}}`, false},
		"name":    {`{"servers": {"bad name": {"command": "node"}}}`, false},
		"field":   {`{"servers": {"x": {"command": "node", "colour": "red"}}}`, false},
	} {
		path := filepath.Join(dir, name+".json")
		if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(path)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

// TestServerEverythingInterop drives the npm reference server
// (@modelcontextprotocol/server-everything) over stdio.
func TestServerEverythingInterop(t *testing.T) {
	bin, _ := filepath.Abs(filepath.Join("testdata", "npm", "node_modules", ".bin", "mcp-server-everything"))
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("the npm reference server is not installed (npm install --prefix toolexec/mcptool/testdata/npm): %v", err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	_, r := start(t, &Config{Servers: map[string]ServerConfig{"everything": {Command: bin, Args: []string{"stdio"}}}})
	if r.Len() == 0 {
		t.Fatal("no tools listed")
	}
	tool, ok := r.Get("mcp.everything.echo")
	if !ok {
		var names []string
		for _, t := range r.Tools() {
			names = append(names, t.Manifest.ID)
		}
		t.Fatalf("no echo tool among %v", names)
	}
	res := r.Call(context.Background(), tool, json.RawMessage(`{"message": "hello from dive"}`))
	if res.Err != nil || !strings.Contains(res.Output, "hello from dive") {
		t.Fatalf("echo: %+v", res)
	}
}

// BenchmarkMCPCall measures one tools/call through the registry: to a Go
// server over streamable HTTP on loopback, and to the npm reference server
// over stdio when it is installed.
func BenchmarkMCPCall(b *testing.B) {
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return newTestServer() }, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	servers := map[string]ServerConfig{"http": {URL: srv.URL}}
	bin, _ := filepath.Abs(filepath.Join("testdata", "npm", "node_modules", ".bin", "mcp-server-everything"))
	if _, err := os.Stat(bin); err == nil {
		servers["stdio"] = ServerConfig{Command: bin, Args: []string{"stdio"}}
	}
	m, err := Start(context.Background(), &Config{Servers: servers}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	r := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := m.Register(r); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"http__echo", "stdio__echo"} {
		tool, err := r.Resolve(name)
		if err != nil {
			continue
		}
		b.Run(name, func(b *testing.B) {
			args := json.RawMessage(`{"message": "hi"}`)
			for b.Loop() {
				if res := r.Call(context.Background(), tool, args); res.Err != nil {
					b.Fatal(res.Err)
				}
			}
		})
	}
}
