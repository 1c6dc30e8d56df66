// Package ors serves dive's episodes over the Open Reward Standard (ORS):
// HTTP endpoints for discovery and sessions, and tool calls answered as
// server-sent events, so that trainers with an ORS client (TRL, SkyRL, ROLL)
// use dive with no adapter code.
//
// One ORS environment, named "dive" by default, holds every task. A session
// is one dive episode: /create starts it on a task, /{env}/call runs one
// tool call as one step, and the submit_answer tool ends it with the
// verifiable reward. Tool failures (an unknown tool, arguments the schema
// refuses, a timeout) are observations with ok true, as on the websocket
// protocol; ok false is kept for calls that cannot run at all (the episode
// has ended).
package ors

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dive-env/dive/env"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// AnswerTool is the tool that submits the final answer and ends the episode.
const AnswerTool = "submit_answer"

// SystemPrompt is the system message of ORS episodes: the answer goes
// through AnswerTool, not <answer> tags.
const SystemPrompt = "You are a careful assistant with tools. Call tools whenever they help, several at once when they are independent, " +
	"and base your answer on their results. When you are done, call " + AnswerTool + " with your final answer; that ends the task."

// chunkSize is the most bytes of a result one SSE event carries; longer
// results go as chunk events and a last end event (as the reference server
// does, so clients reassemble them the same way).
const chunkSize = 4096

// Config tunes the facade.
type Config struct {
	// EnvName is the environment's name in URLs (default "dive").
	EnvName string
	// MaxSessions caps the sessions held at once (default 4096); /create
	// beyond it answers 429.
	MaxSessions int
	// IdleTimeout ends a session not used for this long (default 15
	// minutes, as ORS specifies); its episode is abandoned and recorded.
	IdleTimeout time.Duration
	// Token, when set, is required as X-API-Key (the ORS client's header)
	// or as a bearer token, on every endpoint but /health.
	Token string
	// PingEvery is how often a call in progress sends an SSE comment, so
	// that a client's read timeout (30 s in the reference client) never
	// fires (default 10 s).
	PingEvery time.Duration
	// BodyTimeout bounds reading a request's body (default 30 s): a body
	// sent slowly, byte by byte, holds a connection no longer.
	BodyTimeout time.Duration
	// Log receives the facade's logs; nil discards them.
	Log *slog.Logger
}

// Server is the ORS facade over an engine.
type Server struct {
	engine *env.Engine
	cfg    Config
	log    *slog.Logger
	stop   context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	sessions map[string]*session
	calls    map[string]*call // by task id, while running and for a minute after
	// minted holds the session ids /create_session handed out and /create
	// has not used yet, with when: /create takes no other id, so that a
	// client cannot choose (or guess) another's.
	minted map[string]time.Time
}

// mintedTTL is how long a minted session id waits for its /create.
const mintedTTL = 10 * time.Minute

// session is one episode driven over ORS.
type session struct {
	mu       sync.Mutex // serializes the session's calls
	episode  string
	prompt   []block
	tools    []toolSpec
	lastSeen time.Time
	busy     int // calls in progress (under Server.mu): the reaper leaves a busy session be
	turn     int
}

// maxCallsInFlight caps one session's calls waiting or running at once.
const maxCallsInFlight = 64

// call is one tool call's result, kept so that a client whose stream
// dropped can ask for it again by task id.
type call struct {
	sess   *session // the session that made it: only it may fetch the result
	done   chan struct{}
	result []byte // a RunToolOutput's JSON
	ended  time.Time
}

// block is an ORS content block (text only: dive's tools answer in text).
type block struct {
	Type   string         `json:"type"`
	Text   string         `json:"text"`
	Detail map[string]any `json:"detail"`
}

// toolSpec is an ORS tool description.
type toolSpec struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	InputSchema any    `json:"input_schema"`
}

// toolOutput is the result of a tool call.
type toolOutput struct {
	Blocks   []block        `json:"blocks"`
	Metadata map[string]any `json:"metadata"`
	Reward   *float64       `json:"reward"`
	Finished bool           `json:"finished"`
}

// New returns the facade and starts its reaper of idle sessions; Close
// stops it.
func New(engine *env.Engine, cfg Config) *Server {
	if cfg.EnvName == "" {
		cfg.EnvName = "dive"
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 4096
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 15 * time.Minute
	}
	if cfg.PingEvery <= 0 {
		cfg.PingEvery = 10 * time.Second
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = 30 * time.Second
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{engine: engine, cfg: cfg, log: log, stop: stop, done: make(chan struct{}),
		sessions: map[string]*session{}, calls: map[string]*call{}, minted: map[string]time.Time{}}
	go s.reap(ctx)
	return s
}

// Close stops the reaper and abandons every session's episode.
func (s *Server) Close() {
	s.stop()
	<-s.done
	s.mu.Lock()
	ids := make([]string, 0, len(s.sessions))
	for sid, sess := range s.sessions {
		if sess.episode != "" {
			ids = append(ids, sess.episode)
		}
		delete(s.sessions, sid)
	}
	s.mu.Unlock()
	for _, id := range ids {
		s.engine.Abandon(id)
	}
}

// Sessions returns the number of sessions held.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Register adds the ORS endpoints to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	handle := func(pattern string, h http.HandlerFunc) { mux.HandleFunc(pattern, s.authorized(h)) }
	inEnv := func(pattern string, h http.HandlerFunc) { handle(pattern, s.knownEnv(h)) }
	handle("GET /list_environments", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, []string{s.cfg.EnvName}) })
	inEnv("GET /{env}/tools", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"tools": []toolSpec{answerSpec()}})
	})
	inEnv("GET /{env}/splits", s.splits)
	inEnv("POST /{env}/tasks", s.listTasks)
	inEnv("POST /{env}/num_tasks", s.numTasks)
	inEnv("POST /{env}/task", s.getTask)
	inEnv("POST /{env}/task_range", s.taskRange)
	handle("POST /create_session", s.createSession)
	handle("POST /create", s.create)
	handle("POST /ping", s.withSession(func(w http.ResponseWriter, _ *http.Request, _ *session) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	handle("POST /delete", s.delete)
	handle("POST /delete_session", s.deleteSession)
	inEnv("GET /{env}/prompt", s.withSession(func(w http.ResponseWriter, _ *http.Request, sess *session) {
		writeJSON(w, http.StatusOK, sess.prompt)
	}))
	inEnv("GET /{env}/task_tools", s.withSession(func(w http.ResponseWriter, _ *http.Request, sess *session) {
		writeJSON(w, http.StatusOK, map[string]any{"tools": sess.tools})
	}))
	inEnv("POST /{env}/call", s.withSession(s.call))
}

// knownEnv answers 404 for an environment name other than this server's
// (compared without case, as the reference server does).
func (s *Server) knownEnv(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if name := r.PathValue("env"); !strings.EqualFold(name, s.cfg.EnvName) {
			writeError(w, http.StatusNotFound, fmt.Sprintf("unknown environment %q (this server has %q)", name, s.cfg.EnvName))
			return
		}
		h(w, r)
	}
}

func (s *Server) authorized(h http.HandlerFunc) http.HandlerFunc {
	if s.cfg.Token == "" {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("X-API-Key")
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			got = bearer
		}
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.cfg.Token)) != 1 {
			w.Header().Set("Connection", "close") // a client without the token keeps no connection
			writeError(w, http.StatusUnauthorized, "this server needs its token: send X-API-Key: TOKEN (or Authorization: Bearer TOKEN)")
			return
		}
		h(w, r)
	}
}

// answerSpec describes AnswerTool.
func answerSpec() toolSpec {
	return toolSpec{Name: AnswerTool, Description: "Submit your final answer to the task. This ends the task and scores the answer.",
		InputSchema: map[string]any{"type": "object", "required": []string{"answer"}, "additionalProperties": false,
			"properties": map[string]any{"answer": map[string]any{"type": "string", "description": "The final answer, as short as the question allows."}}}}
}

// allSplit names the split that holds every task.
const allSplit = "all"

// splitTasks returns the tasks of a split ("all": every task), and whether
// the split exists.
func (s *Server) splitTasks(split string) ([]*tasks.Task, bool) {
	set := s.engine.Tasks()
	if split == allSplit {
		return set.All(), true
	}
	list := set.Filter(tasks.Filter{Split: split})
	return list, len(list) > 0
}

func (s *Server) splits(w http.ResponseWriter, _ *http.Request) {
	counts := s.engine.Tasks().Counts(func(t *tasks.Task) string { return t.Split })
	names := make([]string, 0, len(counts))
	for name := range counts {
		if name != "" && name != allSplit {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := []map[string]string{}
	for _, name := range append(names, allSplit) {
		kind := "validation"
		switch name {
		case "train", "test":
			kind = name
		}
		out = append(out, map[string]string{"name": name, "type": kind})
	}
	writeJSON(w, http.StatusOK, out)
}

// taskSpec is a task as ORS lists it: never its answer.
func taskSpec(t *tasks.Task) map[string]any {
	return map[string]any{"task_id": t.ID, "domain": t.Domain, "split": t.Split, "question": t.Question, "tools": len(t.Tools)}
}

func specs(list []*tasks.Task) []map[string]any {
	out := make([]map[string]any, len(list))
	for i, t := range list {
		out[i] = taskSpec(t)
	}
	return out
}

// readBody decodes a JSON request body into v within the body timeout,
// answering 400 when it cannot. The read deadline is lifted once the body
// is in, so that a call's event stream is not cut.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout))
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<20))
	err := dec.Decode(v)
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusRequestTimeout, fmt.Sprintf("the request body did not arrive within %v", s.cfg.BodyTimeout))
			return false
		}
		writeError(w, http.StatusBadRequest, "bad request body: "+err.Error())
		return false
	}
	return true
}

func (s *Server) splitFromBody(w http.ResponseWriter, r *http.Request, v any, split *string) ([]*tasks.Task, bool) {
	if !s.readBody(w, r, v) {
		return nil, false
	}
	list, ok := s.splitTasks(*split)
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Invalid split %q", *split))
	}
	return list, ok
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Split string `json:"split"`
	}
	if list, ok := s.splitFromBody(w, r, &body, &body.Split); ok {
		writeJSON(w, http.StatusOK, map[string]any{"tasks": specs(list), "env_name": s.cfg.EnvName})
	}
}

func (s *Server) numTasks(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Split string `json:"split"`
	}
	if list, ok := s.splitFromBody(w, r, &body, &body.Split); ok {
		writeJSON(w, http.StatusOK, map[string]int{"num_tasks": len(list)})
	}
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Split string `json:"split"`
		Index int    `json:"index"`
	}
	list, ok := s.splitFromBody(w, r, &body, &body.Split)
	if !ok {
		return
	}
	if body.Index < 0 || body.Index >= len(list) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Invalid index %d: split %q has %d tasks", body.Index, body.Split, len(list)))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"task": taskSpec(list[body.Index])})
}

func (s *Server) taskRange(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Split string `json:"split"`
		Start *int   `json:"start"`
		Stop  *int   `json:"stop"`
	}
	list, ok := s.splitFromBody(w, r, &body, &body.Split)
	if !ok {
		return
	}
	// Python's slice rules, as the reference server applies them.
	bound := func(p *int, def int) int {
		if p == nil {
			return def
		}
		v := *p
		if v < 0 {
			v = max(len(list)+v, 0)
		}
		return min(v, len(list))
	}
	start, stop := bound(body.Start, 0), bound(body.Stop, len(list))
	if stop < start {
		stop = start
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": specs(list[start:stop])})
}

// newID returns a random UUID (version 4) as text.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// createSession mints a session id, sent as the reference server sends it:
// an SSE stream of a task_id event and an empty end event.
func (s *Server) createSession(w http.ResponseWriter, _ *http.Request) {
	id := newID()
	now := time.Now()
	s.mu.Lock()
	if len(s.minted) >= 4*s.cfg.MaxSessions {
		for m, at := range s.minted {
			if now.Sub(at) > mintedTTL {
				delete(s.minted, m)
			}
		}
	}
	full := len(s.minted) >= 4*s.cfg.MaxSessions
	if !full {
		s.minted[id] = now
	}
	s.mu.Unlock()
	if full {
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("%d session ids wait for /create: use them, or retry later", len(s.minted)))
		return
	}
	sw := startSSE(w)
	sw.event("task_id", id)
	sw.event("end", "")
}

func sessionID(w http.ResponseWriter, r *http.Request) (string, bool) {
	sid := strings.TrimSpace(r.Header.Get("X-Session-ID"))
	if sid == "" {
		writeError(w, http.StatusBadRequest, "X-Session-ID header is required")
		return "", false
	}
	return sid, true
}

// create starts the session's episode on a task: task_spec (its task_id,
// as /tasks lists it) or split and index.
func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	sid, ok := sessionID(w, r)
	if !ok {
		return
	}
	var body struct {
		EnvName  *string           `json:"env_name"`
		TaskSpec map[string]any    `json:"task_spec"`
		Split    *string           `json:"split"`
		Index    *int              `json:"index"`
		Secrets  map[string]string `json:"secrets"`
	}
	if !s.readBody(w, r, &body) {
		return
	}
	if body.EnvName != nil && !strings.EqualFold(*body.EnvName, s.cfg.EnvName) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown environment %q (this server has %q)", *body.EnvName, s.cfg.EnvName))
		return
	}
	var taskID string
	switch hasSpec, hasIndex := body.TaskSpec != nil, body.Split != nil && body.Index != nil; {
	case hasSpec == hasIndex || (body.Split == nil) != (body.Index == nil):
		writeError(w, http.StatusBadRequest, "Provide either task_spec or both split and index, not both/neither")
		return
	case hasSpec:
		id, _ := body.TaskSpec["task_id"].(string)
		if id == "" {
			id, _ = body.TaskSpec["id"].(string)
		}
		if id == "" {
			writeError(w, http.StatusBadRequest, `task_spec needs "task_id" (as /tasks lists it)`)
			return
		}
		taskID = id
	default:
		list, ok := s.splitTasks(*body.Split)
		if !ok {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Invalid split %q", *body.Split))
			return
		}
		if *body.Index < 0 || *body.Index >= len(list) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Invalid index %d: split %q has %d tasks", *body.Index, *body.Split, len(list)))
			return
		}
		taskID = list[*body.Index].ID
	}

	s.mu.Lock()
	_, exists := s.sessions[sid]
	mintedAt, minted := s.minted[sid]
	minted = minted && time.Since(mintedAt) <= mintedTTL
	full := len(s.sessions) >= s.cfg.MaxSessions
	if !exists && minted && !full {
		s.sessions[sid] = &session{lastSeen: time.Now()} // held while the episode starts
		delete(s.minted, sid)
	}
	s.mu.Unlock()
	switch {
	case exists:
		writeError(w, http.StatusBadRequest, "Session already exists")
		return
	case !minted:
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown session id %q: POST /create_session mints one (ids are not chosen by clients)", sid))
		return
	case full:
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("the server holds %d ORS sessions, its limit: delete finished ones, or retry later", s.cfg.MaxSessions))
		return
	}
	prompt := SystemPrompt
	reset, perr := s.engine.Reset(toolexec.WithClient(r.Context(), env.ClientHost(r)), env.ResetParams{TaskID: taskID, Options: env.EpisodeOptions{SystemPrompt: &prompt}})
	if perr != nil {
		s.mu.Lock()
		delete(s.sessions, sid)
		s.mu.Unlock()
		status := http.StatusBadRequest
		if perr.Code == env.CodeUnknownTask {
			status = http.StatusNotFound
		}
		writeError(w, status, perr.Message)
		return
	}
	sess := &session{episode: reset.Episode, lastSeen: time.Now(), tools: []toolSpec{answerSpec()}}
	for _, m := range reset.Messages {
		sess.prompt = append(sess.prompt, block{Type: "text", Text: string(m.Content), Detail: map[string]any{"role": m.Role}})
	}
	for _, t := range reset.Tools {
		if t.Function.Name == AnswerTool {
			continue // the task's own tool of that name would be unreachable; the toolsets here have none
		}
		sess.tools = append(sess.tools, toolSpec{Name: t.Function.Name, Description: t.Function.Description, InputSchema: t.Function.Parameters})
	}
	s.mu.Lock()
	s.sessions[sid] = sess
	s.mu.Unlock()
	s.log.Debug("ors session created", "sid", sid, "episode", reset.Episode, "task", taskID)
	writeJSON(w, http.StatusOK, map[string]string{"sid": sid})
}

// lookup returns a session that has an episode, marking it used.
func (s *Server) lookup(sid string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[sid]
	if sess == nil || sess.episode == "" {
		return nil
	}
	sess.lastSeen = time.Now()
	return sess
}

func (s *Server) withSession(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sid, ok := sessionID(w, r)
		if !ok {
			return
		}
		sess := s.lookup(sid)
		if sess == nil {
			writeError(w, http.StatusNotFound, "Active environment not found")
			return
		}
		h(w, r, sess)
	}
}

// delete ends the session: a running episode is abandoned (reward 0, its
// partial trajectory recorded) and released.
func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	sid, ok := sessionID(w, r)
	if !ok {
		return
	}
	s.end(sid)
	writeJSON(w, http.StatusOK, map[string]string{"sid": sid})
}

func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) {
	if sid, ok := sessionID(w, r); ok {
		writeJSON(w, http.StatusOK, map[string]string{"sid": sid})
	}
}

func (s *Server) end(sid string) {
	s.mu.Lock()
	sess := s.sessions[sid]
	delete(s.sessions, sid)
	s.mu.Unlock()
	if sess != nil && sess.episode != "" {
		s.engine.Abandon(sess.episode)
	}
}

// reap ends sessions idle past IdleTimeout, and forgets call results a
// minute after they were made.
func (s *Server) reap(ctx context.Context) {
	defer close(s.done)
	every := min(s.cfg.IdleTimeout/4, 30*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			var idle []string
			s.mu.Lock()
			for sid, sess := range s.sessions {
				if sess.episode != "" && sess.busy == 0 && now.Sub(sess.lastSeen) > s.cfg.IdleTimeout {
					idle = append(idle, sid)
				}
			}
			for id, c := range s.calls {
				if !c.ended.IsZero() && now.Sub(c.ended) > time.Minute {
					delete(s.calls, id)
				}
			}
			s.mu.Unlock()
			for _, sid := range idle {
				s.log.Info("ors session idle: ended", "sid", sid, "idle_timeout", s.cfg.IdleTimeout)
				s.end(sid)
			}
		}
	}
}

// call runs one tool call as one step and streams its result: a task_id
// event, pings while it runs, then the RunToolOutput JSON in chunk events
// and an end event. A request that names the task_id of an earlier call
// gets that call's result (the client's stream dropped) instead of a
// second run.
func (s *Server) call(w http.ResponseWriter, r *http.Request, sess *session) {
	var body struct {
		Name   string          `json:"name"`
		Input  json.RawMessage `json:"input"`
		TaskID *string         `json:"task_id"`
	}
	if !s.readBody(w, r, &body) {
		return
	}
	var c *call
	var taskID string
	if body.TaskID != nil {
		taskID = *body.TaskID
		s.mu.Lock()
		c = s.calls[taskID]
		s.mu.Unlock()
		if c == nil || c.sess != sess {
			sw := startSSE(w)
			sw.event("error", "unknown task_id")
			return
		}
	} else {
		if body.Name == "" {
			writeError(w, http.StatusBadRequest, "the call needs a tool name")
			return
		}
		input := bytes.TrimSpace(body.Input)
		if len(input) == 0 || bytes.Equal(input, []byte("null")) {
			input = []byte("{}")
		}
		if input[0] != '{' {
			writeError(w, http.StatusBadRequest, "input must be a JSON object")
			return
		}
		taskID = newID()
		c = &call{sess: sess, done: make(chan struct{})}
		s.mu.Lock()
		if sess.busy >= maxCallsInFlight {
			s.mu.Unlock()
			writeError(w, http.StatusTooManyRequests, fmt.Sprintf("the session has %d calls in progress", sess.busy))
			return
		}
		sess.busy++
		s.calls[taskID] = c
		s.mu.Unlock()
		// The call runs apart from the request: a dropped stream does not
		// cancel it, and its result waits for the client to come back.
		go func() {
			c.result = s.run(sess, body.Name, input)
			s.mu.Lock()
			c.ended = time.Now()
			sess.busy--
			sess.lastSeen = c.ended
			s.mu.Unlock()
			close(c.done)
		}()
	}
	sw := startSSE(w)
	sw.event("task_id", taskID)
	tick := time.NewTicker(s.cfg.PingEvery)
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			sw.result(c.result)
			return
		case <-tick.C:
			sw.comment("ping")
		case <-r.Context().Done():
			return
		}
	}
}

// run executes a call on the session's episode and returns its
// RunToolOutput as JSON.
func (s *Server) run(sess *session, name string, input []byte) []byte {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	sess.turn++
	msg := &env.Message{Role: "assistant"}
	if name == AnswerTool {
		var a struct {
			Answer any `json:"answer"`
		}
		if err := json.Unmarshal(input, &a); err != nil || a.Answer == nil {
			return toolError(fmt.Sprintf("%s needs {\"answer\": \"...\"}", AnswerTool))
		}
		text, ok := a.Answer.(string)
		if !ok {
			b, _ := json.Marshal(a.Answer)
			text = string(b)
		}
		msg.Content = env.Content("<answer>" + text + "</answer>")
	} else {
		msg.ToolCalls = []env.ToolCall{{ID: fmt.Sprintf("call_%d", sess.turn), Type: "function",
			Function: env.FunctionCall{Name: name, Arguments: env.Arguments(input)}}}
	}
	res, perr := s.engine.Step(context.Background(), env.StepParams{Episode: sess.episode, Message: msg})
	if perr != nil {
		return toolError(perr.Message)
	}
	out := toolOutput{Finished: res.Done, Metadata: map[string]any{"episode": sess.episode, "turn": res.Info.Turn}}
	if len(res.Messages) > 0 {
		out.Blocks = []block{{Type: "text", Text: string(res.Messages[0].Content)}}
	}
	if len(res.Info.ToolCalls) > 0 {
		info := res.Info.ToolCalls[0]
		out.Metadata["duration_ms"] = info.DurationMS
		if info.Error != nil {
			out.Metadata["error"] = info.Error
		}
		if info.Truncated {
			out.Metadata["truncated"] = true
		}
	}
	if res.Info.Shaping != nil {
		out.Reward = res.Info.Shaping
	}
	if res.Done {
		out.Metadata["reason"] = res.Reason
		if res.Reward != nil {
			score := res.Reward.Score
			out.Reward = &score
			out.Metadata["reward"] = res.Reward
			if name == AnswerTool {
				out.Blocks = []block{{Type: "text", Text: fmt.Sprintf("Submitted. Reward %g (%s).", res.Reward.Score, res.Reward.Label)}}
			}
		}
	}
	if out.Blocks == nil {
		out.Blocks = []block{{Type: "text", Text: "The task has ended (" + res.Reason + ")."}}
	}
	b, err := json.Marshal(map[string]any{"ok": true, "output": out})
	if err != nil {
		return toolError("encode the result: " + err.Error())
	}
	return b
}

func toolError(msg string) []byte {
	b, _ := json.Marshal(map[string]any{"ok": false, "error": msg})
	return b
}

// sseWriter writes server-sent events and flushes each.
type sseWriter struct {
	w http.ResponseWriter
	f http.Flusher
}

func startSSE(w http.ResponseWriter) *sseWriter {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	return &sseWriter{w: w, f: f}
}

func (s *sseWriter) flush() {
	if s.f != nil {
		s.f.Flush()
	}
}

// event writes one event; data holds no newline (ids, JSON).
func (s *sseWriter) event(name, data string) {
	fmt.Fprintf(s.w, "event: %s\r\ndata: %s\r\n\r\n", name, data)
	s.flush()
}

func (s *sseWriter) comment(text string) {
	fmt.Fprintf(s.w, ": %s\r\n\r\n", text)
	s.flush()
}

// result writes a result in chunks of at most chunkSize bytes, cut between
// UTF-8 characters (the reference client decodes each line alone): chunk
// events, the last one an end event.
func (s *sseWriter) result(data []byte) {
	parts := chunks(data, chunkSize)
	for i, part := range parts {
		name := "chunk"
		if i == len(parts)-1 {
			name = "end"
		}
		s.event(name, string(part))
	}
}

// chunks cuts data into pieces of at most size bytes, each ending on a
// UTF-8 character boundary; one empty piece for empty data.
func chunks(data []byte, size int) [][]byte {
	if len(data) == 0 {
		return [][]byte{data}
	}
	var out [][]byte
	for len(data) > 0 {
		n := min(size, len(data))
		for n < len(data) && n > 0 && !utf8.RuneStart(data[n]) {
			n--
		}
		if n == 0 {
			n = min(size, len(data)) // no boundary in reach: not UTF-8; cut anyway
		}
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a client gone mid-write has nothing to be told
}

// writeError answers as the reference server does: {"detail": message}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"detail": msg})
}
