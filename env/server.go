package env

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"go.opentelemetry.io/otel/metric"

	"github.com/dive-env/dive/tasks"
)

// ServerConfig are the transport limits of a Server.
type ServerConfig struct {
	// MaxFrameBytes is the largest frame a client may send.
	MaxFrameBytes int
	// MaxEpisodesPerConnection caps running episodes per connection.
	MaxEpisodesPerConnection int
	// RetainFinished is how many finished episodes per connection stay
	// readable by state before the oldest is released.
	RetainFinished int
	// MaxInFlight caps requests being handled per connection; the reader
	// stops reading (backpressure) until one finishes.
	MaxInFlight int
	// MaxInFlightBytes caps the bytes of the frames being handled per
	// connection (default 64 MiB): past it the reader stops reading until
	// requests finish. One connection queuing 100 steps of 15 MiB behind a
	// slow call took a server to 2.1 GB. A frame larger than the budget is
	// read when nothing else is in flight.
	MaxInFlightBytes int
	// MaxInFlightBytesTotal caps the bytes of the frames being handled on
	// all connections together (default a quarter of the server's memory
	// limit: GOMEMLIMIT, its cgroup's, or the machine's; at least 256 MiB).
	// Past it readers stop reading, except a connection with nothing in
	// flight, which may always have one request.
	MaxInFlightBytesTotal int
	// MaxBatch caps the requests of one batch frame.
	MaxBatch int
	// MaxConnectionsPerClient caps the open connections from one IP address;
	// beyond it the handshake is refused with 429.
	MaxConnectionsPerClient int
	// MaxBadFrames is how many undecodable frames in a row a connection may
	// send before it is closed (1008): a client that only sends garbage is
	// cut off; others are not affected.
	MaxBadFrames int
	// PingInterval is how often the server pings; a connection that sends
	// nothing, not even a pong, for PongWait is closed.
	PingInterval, PongWait time.Duration
	// WriteWait bounds one frame write.
	WriteWait time.Duration
	// Version is reported by hello and the status page.
	Version string
	// ResumeGrace is how long the episodes of a dropped connection wait for
	// a client to resume them (hello with the session token) before they
	// are abandoned. Zero means the default; negative turns resume off.
	ResumeGrace time.Duration
	// Token, when set, is the bearer token every websocket client must send
	// (Authorization: Bearer TOKEN); it is compared in constant time.
	Token string
	// AllowedOrigins are the browser origins (scheme://host[:port]) allowed
	// besides the server's own; a handshake with any other Origin header is
	// refused. Clients that send no Origin (trainers) are not affected.
	AllowedOrigins []string
	// TLSCertFile and TLSKeyFile, when set, make Serve speak TLS (wss://).
	TLSCertFile, TLSKeyFile string
	// MetricsHandler, when set, is served at /metrics (no token needed, like
	// /healthz): the Prometheus exposition of the engine's meter provider.
	MetricsHandler http.Handler
	// Routes, when set, adds endpoints to the server's mux beside the
	// websocket ones (dive serve: the ORS facade of package env/ors).
	Routes func(*http.ServeMux)
	// StatusLines are shown on the status page (/), after the protocol
	// line: what Routes serves, say.
	StatusLines []string
	// IdleTimeout closes a keep-alive HTTP connection idle this long
	// between requests (default 60 s; websocket connections have their
	// own ping deadlines). Request headers must arrive within 10 s.
	IdleTimeout time.Duration
	// MaxTCPPerClient caps the TCP connections of any kind one address
	// holds at once (default MaxConnectionsPerClient + 64): past it a new
	// one is closed as soon as it is accepted.
	MaxTCPPerClient int
}

// DefaultServerConfig returns the defaults: 16 MiB frames, 4096 episodes,
// 1024 finished episodes retained and 256 requests in flight per
// connection, batches of 1024, pings every 20 s with a 60 s pong wait, 10 s
// writes, a 60 s grace period for resuming a dropped connection's episodes,
// and idle HTTP connections closed after 60 s.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{MaxFrameBytes: 16 << 20, MaxEpisodesPerConnection: 4096, RetainFinished: 1024,
		MaxInFlight: 256, MaxInFlightBytes: 64 << 20, MaxBatch: 1024, MaxConnectionsPerClient: 256, MaxBadFrames: 100, PingInterval: 20 * time.Second, PongWait: 60 * time.Second,
		WriteWait: 10 * time.Second, Version: "dev", ResumeGrace: 60 * time.Second, IdleTimeout: 60 * time.Second}
}

func (c *ServerConfig) fillDefaults() {
	d := DefaultServerConfig()
	for _, f := range []struct{ v, def *int }{
		{&c.MaxFrameBytes, &d.MaxFrameBytes}, {&c.MaxEpisodesPerConnection, &d.MaxEpisodesPerConnection},
		{&c.RetainFinished, &d.RetainFinished}, {&c.MaxInFlight, &d.MaxInFlight}, {&c.MaxBatch, &d.MaxBatch},
		{&c.MaxConnectionsPerClient, &d.MaxConnectionsPerClient}, {&c.MaxBadFrames, &d.MaxBadFrames},
		{&c.MaxInFlightBytes, &d.MaxInFlightBytes},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	for _, f := range []struct{ v, def *time.Duration }{
		{&c.PingInterval, &d.PingInterval}, {&c.PongWait, &d.PongWait}, {&c.WriteWait, &d.WriteWait}, {&c.IdleTimeout, &d.IdleTimeout},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	if c.Version == "" {
		c.Version = d.Version
	}
	if c.ResumeGrace == 0 {
		c.ResumeGrace = d.ResumeGrace
	}
	if c.MaxInFlightBytesTotal <= 0 {
		c.MaxInFlightBytesTotal = defaultInFlightTotal()
	}
	if c.MaxTCPPerClient <= 0 {
		c.MaxTCPPerClient = c.MaxConnectionsPerClient + 64
	}
}

// Server serves the dive.v1 protocol over websocket, plus /healthz and a
// status page at /.
type Server struct {
	inFlight *byteBudget // bytes of the frames in flight on all connections
	engine   *Engine
	cfg      ServerConfig
	log      *slog.Logger
	upgrader websocket.Upgrader
	started  time.Time

	// ctx outlives connections: the requests of a dropped connection run
	// under it when resume is on. It is canceled when a shutdown gives up.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	conns    map[*conn]struct{}
	perIP    map[string]int      // open connections by client IP
	sessions map[string]*session // by token: attached and detached ones
	draining atomic.Bool
	connWG   sync.WaitGroup
}

// NewServer returns a server over an engine.
func NewServer(engine *Engine, cfg ServerConfig, log *slog.Logger) *Server {
	cfg.fillDefaults()
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		engine: engine, cfg: cfg, log: log, started: time.Now(), conns: map[*conn]struct{}{}, inFlight: newByteBudget(cfg.MaxInFlightBytesTotal),
		sessions: map[string]*session{}, perIP: map[string]int{}, ctx: ctx, cancel: cancel,
		upgrader: websocket.Upgrader{
			Subprotocols:    []string{SubprotocolMsgpack, SubprotocolJSON},
			ReadBufferSize:  16 << 10,
			WriteBufferSize: 16 << 10,
			CheckOrigin:     originChecker(cfg.AllowedOrigins),
		},
	}
	if mp := engine.cfg.MeterProvider; mp != nil {
		s.observe(mp)
	}
	return s
}

// observe registers the server's gauges: open connections, and dropped
// connections' sessions waiting for a resume.
func (s *Server) observe(mp metric.MeterProvider) {
	m := mp.Meter("github.com/dive-env/dive/env")
	_, err := m.Int64ObservableGauge("dive.connections", metric.WithDescription("Open websocket connections."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			o.Observe(int64(len(s.conns)))
			return nil
		}))
	if err == nil {
		_, err = m.Int64ObservableGauge("dive.sessions.awaiting_resume", metric.WithDescription("Dropped connections whose episodes wait for a resume."),
			metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
				s.mu.Lock()
				defer s.mu.Unlock()
				o.Observe(int64(max(len(s.sessions)-len(s.conns), 0)))
				return nil
			}))
	}
	if err != nil {
		s.log.Error("server metrics", "err", err)
	}
}

// originChecker allows handshakes without an Origin header (non-browser
// clients), from the server's own host, and from the allowed origins.
func originChecker(allowed []string) func(*http.Request) bool {
	set := map[string]bool{}
	for _, o := range allowed {
		set[strings.ToLower(strings.TrimRight(o, "/"))] = true
	}
	return func(r *http.Request) bool {
		origin := r.Header.Get("Origin")
		if origin == "" {
			return true
		}
		u, err := url.Parse(origin)
		if err != nil {
			return false
		}
		return strings.EqualFold(u.Host, r.Host) || set[strings.ToLower(u.Scheme+"://"+u.Host)]
	}
}

// ClientHost is the host of a request's remote address, without its port:
// the client that per-client limits and shares count by.
func ClientHost(r *http.Request) string { return hostOnly(r.RemoteAddr) }

// hostOnly drops the port of a host:port address.
func hostOnly(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// authorized reports whether a request carries the server's bearer token.
func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.Token == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.cfg.Token)) == 1
}

// Limits returns the limits announced by hello.
func (s *Server) Limits() Limits {
	ec := s.engine.Config()
	return Limits{MaxFrameBytes: s.cfg.MaxFrameBytes, MaxEpisodesPerConnection: s.cfg.MaxEpisodesPerConnection,
		MaxInFlight: s.cfg.MaxInFlight, MaxInFlightBytes: s.cfg.MaxInFlightBytes, MaxBatch: s.cfg.MaxBatch, MaxToolCallsPerStep: ec.MaxToolCallsPerStep,
		MaxMessageBytes: ec.MaxMessageBytes, MaxConnectionsPerClient: s.cfg.MaxConnectionsPerClient,
		DefaultMaxTurns: ec.MaxTurns, DefaultMaxToolCalls: ec.MaxToolCalls, DefaultDeadlineSeconds: ec.EpisodeDeadline.Seconds(),
		DefaultMaxConsecutiveInvalidToolCalls: ec.MaxConsecutiveInvalidToolCalls}
}

// Handler returns the HTTP handler: the websocket endpoint, /healthz, /,
// /metrics and the Routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(EndpointPath, s.serveWebsocket)
	mux.HandleFunc("/healthz", s.serveHealth)
	if s.cfg.MetricsHandler != nil {
		mux.Handle("/metrics", s.cfg.MetricsHandler)
	}
	mux.HandleFunc("/{$}", s.serveStatus)
	if s.cfg.Routes != nil {
		s.cfg.Routes(mux)
	}
	return mux
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "draining")
		return
	}
	fmt.Fprintln(w, "ok")
}

func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="dive"`)
		w.Header().Set("Connection", "close")
		http.Error(w, "this server needs a bearer token: send Authorization: Bearer TOKEN", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	e := s.engine
	executable := 0
	for _, t := range e.Tools().Tools() {
		if t.Executable() {
			executable++
		}
	}
	s.mu.Lock()
	nconns := len(s.conns)
	s.mu.Unlock()
	fmt.Fprintf(w, "dive %s — RL environment server for tool-using LLM agents\n\n", s.cfg.Version)
	fmt.Fprintf(w, "protocol:       %s over websocket at %s (subprotocols %s, %s)\n", ProtocolVersion, EndpointPath, SubprotocolMsgpack, SubprotocolJSON)
	for _, line := range s.cfg.StatusLines {
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "uptime:         %s\n", time.Since(s.started).Round(time.Second))
	fmt.Fprintf(w, "tasks loaded:   %d (%s)\n", e.Tasks().Len(), countsText(e.Tasks().Counts(func(t *tasks.Task) string { return t.Domain })))
	fmt.Fprintf(w, "tools:          %d registered, %d executable here\n", e.Tools().Len(), executable)
	fmt.Fprintf(w, "scorers:        %s\n", strings.Join(e.Scorers().Names(), ", "))
	fmt.Fprintf(w, "connections:    %d\n", nconns)
	s.mu.Lock()
	waiting := len(s.sessions) - nconns
	s.mu.Unlock()
	fmt.Fprintf(w, "open episodes:  %d\n", e.OpenEpisodes())
	fmt.Fprintf(w, "awaiting resume: %d dropped connection(s), grace %s\n", max(waiting, 0), s.cfg.ResumeGrace)
	fmt.Fprintf(w, "\ndocs: docs/protocol.md in the source tree; health: /healthz\n")
}

func countsText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		name := k
		if name == "" {
			name = "(none)"
		}
		parts[i] = fmt.Sprintf("%s %d", name, m[k])
	}
	return strings.Join(parts, ", ")
}

func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="dive"`)
		w.Header().Set("Connection", "close") // a client without the token keeps no connection
		http.Error(w, "this server needs a bearer token: send Authorization: Bearer TOKEN", http.StatusUnauthorized)
		return
	}
	if asked := websocket.Subprotocols(r); len(asked) > 0 {
		ok := false
		for _, p := range asked {
			if p == SubprotocolJSON || p == SubprotocolMsgpack {
				ok = true
			}
		}
		if !ok {
			http.Error(w, fmt.Sprintf("unsupported subprotocol %q; use %s or %s", strings.Join(asked, ", "), SubprotocolMsgpack, SubprotocolJSON), http.StatusBadRequest)
			return
		}
	}
	ip := ClientHost(r)
	s.mu.Lock()
	if s.perIP[ip] >= s.cfg.MaxConnectionsPerClient {
		s.mu.Unlock()
		http.Error(w, fmt.Sprintf("too many connections from %s (the limit is %d); multiplex episodes over fewer connections", ip, s.cfg.MaxConnectionsPerClient), http.StatusTooManyRequests)
		return
	}
	s.perIP[ip]++
	s.mu.Unlock()
	released := false
	releaseIP := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !released {
			released = true
			if s.perIP[ip]--; s.perIP[ip] <= 0 {
				delete(s.perIP, ip)
			}
		}
	}
	capture := &hijackCapture{ResponseWriter: w}
	ws, err := s.upgrader.Upgrade(capture, r, nil)
	if err != nil {
		releaseIP()
		s.log.Debug("websocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return // the upgrader has answered the client
	}
	cd, err := codecFor(ws.Subprotocol())
	if err != nil { // cannot happen: the upgrader only picks ours
		ws.Close()
		return
	}
	c, err := newConn(s, ws, cd, ip)
	if err == nil {
		c.raw = capture.conn
	}
	if err != nil {
		releaseIP()
		s.log.Error("open connection", "err", err)
		ws.Close()
		return
	}
	s.mu.Lock()
	if s.draining.Load() {
		s.mu.Unlock()
		releaseIP()
		c.closeNow(closeCodeGoingAway, closeReasonShutdown)
		return
	}
	s.conns[c] = struct{}{}
	s.sessions[c.sess.token] = c.sess
	s.connWG.Add(1)
	s.mu.Unlock()
	s.log.Debug("connection opened", "remote", r.RemoteAddr, "encoding", cd.name())
	go func() {
		defer s.connWG.Done()
		defer releaseIP()
		c.run()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.log.Debug("connection closed", "remote", r.RemoteAddr)
	}()
}

// releaseDetached releases the sessions waiting for a resume, recording
// their running episodes as abandoned.
func (s *Server) releaseDetached() {
	s.mu.Lock()
	var detached []*session
	for _, sess := range s.sessions {
		detached = append(detached, sess)
	}
	s.mu.Unlock()
	for _, sess := range detached {
		s.releaseSession(sess)
	}
}

// Serve accepts connections on ln until ctx is done, then shuts down
// gracefully: no new connections, in-flight requests finish, clients get
// close code 1001. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener, drainTimeout time.Duration) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: s.cfg.IdleTimeout}
	ln = newCapListener(ln, s.cfg.MaxTCPPerClient)
	errc := make(chan error, 1)
	if s.cfg.TLSCertFile != "" || s.cfg.TLSKeyFile != "" {
		go func() { errc <- hs.ServeTLS(ln, s.cfg.TLSCertFile, s.cfg.TLSKeyFile) }()
	} else {
		go func() { errc <- hs.Serve(ln) }()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	s.draining.Store(true)
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stop listener: %w", err)
	}
	return s.Shutdown(sctx)
}

// Shutdown drains every connection: each stops reading, finishes its
// in-flight requests, and closes with 1001. It waits until all are closed or
// ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.drain()
	}
	done := make(chan struct{})
	go func() { s.connWG.Wait(); close(done) }()
	select {
	case <-done:
		s.releaseDetached()
		return nil
	case <-ctx.Done():
		s.cancel()
		for _, c := range conns {
			c.abort()
		}
		return fmt.Errorf("shutdown: %d connection(s) still busy: %w", len(conns), ctx.Err())
	}
}
