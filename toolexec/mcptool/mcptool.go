// Package mcptool makes the tools of MCP servers tools of the registry.
// Servers are configured in a JSON file: stdio servers (a command, kept
// running) or streamable-HTTP servers (a URL). Each server's tools/list
// becomes manifests, namespaced as mcp.SERVER.TOOL (called SERVER__TOOL).
// A stateless server is shared by all episodes; a server marked per_episode
// gets a process (or session) of its own for each episode, ended with it.
// The client is the official github.com/modelcontextprotocol/go-sdk.
package mcptool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/dive-env/dive/toolexec"
)

// ServerConfig describes one MCP server.
type ServerConfig struct {
	// Command and Args start a stdio server; Env adds to its minimal environment.
	Command string            `json:"command,omitempty"`
	Args    []string          `json:"args,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	// URL is a streamable-HTTP endpoint (instead of Command).
	URL string `json:"url,omitempty"`
	// Domain labels the server's tools (default "general").
	Domain string `json:"domain,omitempty"`
	// PerEpisode gives each episode its own server session (stateful servers).
	PerEpisode bool `json:"per_episode,omitempty"`
}

// Config is the MCP servers file: {"servers": {"NAME": {...}}}.
type Config struct {
	Servers map[string]ServerConfig `json:"servers"`
}

// LoadConfig reads and checks a servers file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read MCP servers: %w", err)
	}
	var cfg Config
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("MCP servers file %s: %w", path, err)
	}
	for name, s := range cfg.Servers {
		if !validName(name) {
			return nil, fmt.Errorf("MCP server name %q: use letters, digits, _ and - only", name)
		}
		if (s.Command == "") == (s.URL == "") {
			return nil, fmt.Errorf("MCP server %q: give command or url, not both", name)
		}
	}
	return &cfg, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Manager holds the connections to the configured servers. It is safe for
// concurrent use.
type Manager struct {
	cfg    *Config
	log    *slog.Logger
	client *mcp.Client

	mu      sync.Mutex
	shared  map[string]*mcp.ClientSession
	episode map[string]map[string]*mcp.ClientSession // server → session id → MCP session
	tools   map[string][]*mcp.Tool
	closed  bool
}

// Start connects to every server and lists its tools.
func Start(ctx context.Context, cfg *Config, log *slog.Logger) (*Manager, error) {
	if log == nil {
		log = slog.Default()
	}
	m := &Manager{cfg: cfg, log: log, client: mcp.NewClient(&mcp.Implementation{Name: "dive", Version: "1"}, nil),
		shared: map[string]*mcp.ClientSession{}, episode: map[string]map[string]*mcp.ClientSession{}, tools: map[string][]*mcp.Tool{}}
	names := make([]string, 0, len(cfg.Servers))
	for n := range cfg.Servers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		cs, err := m.connect(ctx, name)
		if err != nil {
			m.Close()
			return nil, err
		}
		var tools []*mcp.Tool
		for t, err := range cs.Tools(ctx, nil) {
			if err != nil {
				cs.Close()
				m.Close()
				return nil, fmt.Errorf("MCP server %s: tools/list: %w", name, err)
			}
			tools = append(tools, t)
		}
		m.tools[name] = tools
		if cfg.Servers[name].PerEpisode {
			cs.Close() // episodes get sessions of their own
		} else {
			m.shared[name] = cs
		}
		log.Info("MCP server connected", "server", name, "tools", len(tools), "per_episode", cfg.Servers[name].PerEpisode)
	}
	return m, nil
}

func (m *Manager) connect(ctx context.Context, name string) (*mcp.ClientSession, error) {
	s := m.cfg.Servers[name]
	var transport mcp.Transport
	if s.URL != "" {
		transport = &mcp.StreamableClientTransport{Endpoint: s.URL, MaxRetries: -1}
	} else {
		cmd := exec.Command(s.Command, s.Args...)
		// A minimal environment: the server's own variables (and tokens) stay private.
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "LANG=C.UTF-8"}
		for k, v := range s.Env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		transport = &mcp.CommandTransport{Command: cmd, TerminateDuration: 2 * time.Second}
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cs, err := m.client.Connect(cctx, transport, nil)
	if err != nil {
		return nil, fmt.Errorf("connect to MCP server %s: %w", name, err)
	}
	return cs, nil
}

// session returns the MCP session a call of the given episode uses.
func (m *Manager) session(ctx context.Context, server, episode string) (*mcp.ClientSession, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, errors.New("MCP connections are closed")
	}
	if !m.cfg.Servers[server].PerEpisode {
		cs := m.shared[server]
		m.mu.Unlock()
		if cs != nil {
			return cs, nil
		}
		return m.reconnectShared(ctx, server)
	}
	if cs := m.episode[server][episode]; cs != nil {
		m.mu.Unlock()
		return cs, nil
	}
	m.mu.Unlock()
	cs, err := m.connect(ctx, server)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.episode[server] == nil {
		m.episode[server] = map[string]*mcp.ClientSession{}
	}
	// Two calls of one episode may have connected at once: keep one session.
	if existing := m.episode[server][episode]; existing != nil {
		go cs.Close()
		return existing, nil
	}
	m.episode[server][episode] = cs
	return cs, nil
}

func (m *Manager) reconnectShared(ctx context.Context, server string) (*mcp.ClientSession, error) {
	cs, err := m.connect(ctx, server)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old := m.shared[server]; old != nil {
		cs.Close()
		return old, nil
	}
	m.shared[server] = cs
	return cs, nil
}

// drop forgets a broken session so the next call reconnects.
func (m *Manager) drop(server, episode string, cs *mcp.ClientSession) {
	m.mu.Lock()
	if m.shared[server] == cs {
		delete(m.shared, server)
	}
	if m.episode[server][episode] == cs {
		delete(m.episode[server], episode)
	}
	m.mu.Unlock()
	cs.Close()
}

// CloseSession ends the episode's sessions of per-episode servers.
func (m *Manager) CloseSession(id string) {
	m.mu.Lock()
	var sessions []*mcp.ClientSession
	for _, byEp := range m.episode {
		if cs, ok := byEp[id]; ok {
			sessions = append(sessions, cs)
			delete(byEp, id)
		}
	}
	m.mu.Unlock()
	for _, cs := range sessions {
		cs.Close()
	}
}

// Close ends every session (and stops every stdio server).
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	var sessions []*mcp.ClientSession
	for _, cs := range m.shared {
		sessions = append(sessions, cs)
	}
	for _, byEp := range m.episode {
		for _, cs := range byEp {
			sessions = append(sessions, cs)
		}
	}
	m.shared, m.episode = map[string]*mcp.ClientSession{}, map[string]map[string]*mcp.ClientSession{}
	m.mu.Unlock()
	for _, cs := range sessions {
		cs.Close()
	}
}

// ToolName is the function name of an MCP tool: SERVER__TOOL, cut to 64 characters.
func ToolName(server, tool string) string {
	n := server + "__" + strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, tool)
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}

// Register adds every listed tool to a registry.
func (m *Manager) Register(r *toolexec.Registry) error {
	servers := make([]string, 0, len(m.tools))
	for s := range m.tools {
		servers = append(servers, s)
	}
	sort.Strings(servers)
	for _, server := range servers {
		cfg := m.cfg.Servers[server]
		domain := cfg.Domain
		if domain == "" {
			domain = "general"
		}
		for _, t := range m.tools[server] {
			schema, err := json.Marshal(t.InputSchema)
			if err != nil || t.InputSchema == nil {
				schema = json.RawMessage(`{"type": "object"}`)
			}
			man := toolexec.Manifest{ID: "mcp." + server + "." + t.Name, Name: ToolName(server, t.Name), Domain: domain, Source: "mcp:" + server,
				Description: t.Description, Module: "mcp:" + server + "/" + t.Name, Auth: map[string]any{"type": "none"},
				Parameters: schema, Executor: "mcp"}
			var exec toolexec.Executor = &caller{m: m, server: server, tool: t.Name}
			if cfg.PerEpisode {
				exec = &episodeCaller{caller{m: m, server: server, tool: t.Name}}
			}
			if err := r.Register(man, exec, ""); err != nil {
				return fmt.Errorf("MCP server %s: %w", server, err)
			}
		}
	}
	return nil
}

// caller calls one tool of a shared server.
type caller struct {
	m            *Manager
	server, tool string
}

// Execute implements toolexec.Executor.
func (c *caller) Execute(ctx context.Context, args json.RawMessage) (any, error) {
	episode := toolexec.SessionFrom(ctx)
	for attempt := 0; ; attempt++ {
		cs, err := c.m.session(ctx, c.server, episode)
		if err != nil {
			return nil, err
		}
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: c.tool, Arguments: args})
		if err != nil {
			if ctx.Err() == nil && attempt == 0 && !c.m.cfg.Servers[c.server].PerEpisode {
				// The server may have died: reconnect once.
				c.m.drop(c.server, episode, cs)
				continue
			}
			if c.m.cfg.Servers[c.server].PerEpisode {
				c.m.drop(c.server, episode, cs)
			}
			return nil, fmt.Errorf("MCP server %s: %w", c.server, err)
		}
		return render(res)
	}
}

// episodeCaller calls a tool of a per-episode server; its state ends with the episode.
type episodeCaller struct{ caller }

// CloseSession implements toolexec.SessionCloser.
func (c *episodeCaller) CloseSession(id string) { c.m.CloseSession(id) }

// render turns a tools/call result into what the model reads.
func render(res *mcp.CallToolResult) (any, error) {
	var parts []string
	for _, c := range res.Content {
		switch v := c.(type) {
		case *mcp.TextContent:
			parts = append(parts, v.Text)
		case *mcp.ImageContent:
			parts = append(parts, fmt.Sprintf("[image, %s, %d bytes]", v.MIMEType, len(v.Data)))
		case *mcp.AudioContent:
			parts = append(parts, fmt.Sprintf("[audio, %s, %d bytes]", v.MIMEType, len(v.Data)))
		default:
			b, _ := json.Marshal(c)
			parts = append(parts, string(b))
		}
	}
	text := strings.Join(parts, "\n")
	if res.IsError {
		return nil, errors.New(text)
	}
	if text == "" && res.StructuredContent != nil {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			return nil, err
		}
		return json.RawMessage(b), nil
	}
	return text, nil
}
