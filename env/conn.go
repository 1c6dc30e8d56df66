package env

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// conn is one websocket connection: one reader goroutine that decodes
// requests and dispatches them to request workers (at most MaxInFlight
// requests in flight), and one writer goroutine that writes their replies,
// coalescing those queued together. When nothing is in flight, the reader
// runs a step that finishes promptly itself and writes its reply if the
// writer is idle: requests that arrive one at a time, as a policy's do, cost
// no hand-off between goroutines.
type conn struct {
	srv   *Server
	eng   *Engine
	ws    *websocket.Conn
	codec codec

	// ctx is canceled when the connection is lost or aborted (not on drain),
	// which cancels the tool calls of its in-flight steps.
	ctx    context.Context
	cancel context.CancelFunc

	out        chan []byte
	writerDone chan struct{}
	// writeMu is held while frames are written: by the writer goroutine,
	// and by the reader when it writes the reply of a step it ran itself
	// (replyNow). writeFailed is set by whichever saw a write fail.
	writeMu     sync.Mutex
	writeFailed atomic.Bool
	// raw is the connection under ws when the server upgraded it (nil
	// otherwise): the writer coalesces the replies queued together into
	// one write through it.
	raw      *coalescingConn
	sem      chan struct{}
	budget   *byteBudget // bytes of the frames in flight (MaxInFlightBytes)
	inflight sync.WaitGroup
	// work hands requests to idle workers; the reader, its only sender,
	// closes it when it ends.
	work chan *request

	deadlineMu  sync.Mutex
	extendedAt  time.Time // when the read deadline was last pushed out (under deadlineMu)
	draining    atomic.Bool
	policyClose string // set by the reader before it ends: close with 1008 and this reason

	client string // the remote IP: its share of rollout capacity

	mu    sync.Mutex
	tails map[string]chan struct{} // per-episode: done channel of the last queued request
	sess  *session                 // the episodes this connection holds; replaced by a resume
}

func newConn(s *Server, ws *websocket.Conn, cd codec, client string) (*conn, error) {
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{
		srv: s, eng: s.engine, ws: ws, codec: cd, ctx: ctx, cancel: cancel,
		out: make(chan []byte, 64), writerDone: make(chan struct{}), sem: make(chan struct{}, s.cfg.MaxInFlight), budget: newByteBudget(s.cfg.MaxInFlightBytes),
		work: make(chan *request), client: client, tails: map[string]chan struct{}{},
	}
	sess, err := newSession(c)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("new session: %w", err)
	}
	c.sess = sess
	return c, nil
}

// session returns the session whose episodes this connection holds.
func (c *conn) session() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

func (c *conn) setSession(s *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess = s
}

// workCtx is the context requests run under. With resume on, a step keeps
// running when its connection drops, so that a resumed client can fetch its
// reply; without, the connection's loss cancels it.
func (c *conn) workCtx() context.Context {
	if c.srv.cfg.ResumeGrace > 0 {
		return c.srv.ctx
	}
	return c.ctx
}

// closeNow closes a connection that never started.
func (c *conn) closeNow(code int, reason string) {
	msg := websocket.FormatCloseMessage(code, reason)
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.srv.cfg.WriteWait))
	c.ws.Close()
}

// run serves the connection until it is lost or drained, then releases its episodes.
func (c *conn) run() {
	c.ws.SetReadLimit(int64(c.srv.cfg.MaxFrameBytes))
	c.extendReadDeadline()
	c.ws.SetPongHandler(func(string) error { c.extendReadDeadline(); return nil })
	go c.writeLoop()
	c.readLoop()
	close(c.work) // idle workers exit
	if !c.draining.Load() {
		c.cancel()
	}
	c.inflight.Wait()
	close(c.out) // the writer sends the close frame and exits
	<-c.writerDone
	c.ws.Close()
	c.cancel()
	c.srv.detach(c)
}

// extendReadDeadline pushes the read deadline out by PongWait, unless
// draining. A frame that arrives within PongWait/8 of the last push leaves
// the deadline be (resetting the runtime's timer on every frame showed in
// profiles): the deadline is then at least 7/8 of PongWait away.
func (c *conn) extendReadDeadline() {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	if c.draining.Load() {
		return
	}
	now := time.Now()
	if now.Sub(c.extendedAt) < c.srv.cfg.PongWait/8 {
		return
	}
	c.extendedAt = now
	_ = c.ws.SetReadDeadline(now.Add(c.srv.cfg.PongWait))
}

// drain makes the reader stop; in-flight requests finish and the writer
// closes with 1001.
func (c *conn) drain() {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	c.draining.Store(true)
	_ = c.ws.SetReadDeadline(time.Now())
}

// abort drops the connection at once.
func (c *conn) abort() {
	c.cancel()
	c.ws.Close()
}

// writeFrame writes one frame; the caller holds writeMu.
func (c *conn) writeFrame(frame []byte) {
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteWait))
	if err := c.ws.WriteMessage(c.codec.messageType(), frame); err != nil {
		c.writeFail(err)
	}
}

// writeFail drops a connection whose write failed.
func (c *conn) writeFail(err error) {
	if c.writeFailed.Swap(true) {
		return
	}
	c.srv.log.Debug("write failed; dropping connection", "err", err)
	c.cancel()
	c.ws.Close() // unblocks the reader
}

func (c *conn) writeLoop() {
	defer close(c.writerDone)
	ticker := time.NewTicker(c.srv.cfg.PingInterval)
	defer ticker.Stop()
	closeFrame := func() {
		if c.writeFailed.Load() {
			return
		}
		code, reason := websocket.CloseNormalClosure, ""
		if c.draining.Load() {
			code, reason = closeCodeGoingAway, closeReasonShutdown
		} else if c.policyClose != "" {
			code, reason = websocket.ClosePolicyViolation, c.policyClose
		}
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(c.srv.cfg.WriteWait))
	}
	for {
		select {
		case frame, ok := <-c.out:
			if !ok {
				closeFrame()
				return
			}
			if c.writeFailed.Load() {
				continue // discard: the peer is gone
			}
			if c.raw == nil {
				c.writeMu.Lock()
				c.writeFrame(frame)
				c.writeMu.Unlock()
				continue
			}
			// Write this frame and every one already queued behind it in
			// one syscall. If none is queued yet, yield once first, so
			// that handlers about to queue theirs run (without it the
			// writer woke for each reply and a write carried 1.17 frames
			// under load; with it, 12-14). Only frames already there are
			// taken: nothing waits for more.
			closed := false
			if len(c.out) == 0 {
				runtime.Gosched()
			}
			c.writeMu.Lock()
			c.raw.hold()
			c.writeFrame(frame)
		drain:
			for !c.writeFailed.Load() && c.raw.buffered() < maxCoalesceBytes {
				select {
				case next, ok := <-c.out:
					if !ok {
						closed = true
						break drain
					}
					c.writeFrame(next)
				default:
					break drain
				}
			}
			if err := c.raw.release(); err != nil {
				c.writeFail(err)
			}
			c.writeMu.Unlock()
			if closed {
				closeFrame()
				return
			}
		case <-ticker.C:
			if c.writeFailed.Load() {
				continue
			}
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.srv.cfg.WriteWait)); err != nil {
				c.writeFail(err)
			}
		}
	}
}

// send queues an encoded reply; it drops the reply if the connection is lost.
func (c *conn) send(frame []byte) {
	select {
	case c.out <- frame:
	case <-c.ctx.Done():
	}
}

func (c *conn) reply(r Response) {
	c.send(c.encodeReply(r))
}

// replyNow writes a reply from the calling goroutine when nothing is queued
// for the writer and it is not writing (so the writer need not be woken),
// and queues it otherwise.
func (c *conn) replyNow(r Response) {
	frame := c.encodeReply(r)
	if len(c.out) == 0 && c.writeMu.TryLock() {
		if !c.writeFailed.Load() {
			c.writeFrame(frame)
		}
		c.writeMu.Unlock()
		return
	}
	c.send(frame)
}

func (c *conn) encodeReply(r Response) []byte {
	frame, err := c.codec.encode(r)
	if err != nil {
		c.srv.log.Error("encode reply", "op", r.Op, "id", r.ID.String(), "err", err)
		frame, _ = c.codec.encode(Response{ID: r.ID, Op: r.Op, Error: errorf(CodeInternal, "reply could not be encoded: %v", err)})
	}
	return frame
}

func (c *conn) readLoop() {
	bad := 0 // undecodable frames in a row
	badFrame := func(e *Error) bool {
		c.eng.metrics.protocolError(c.ctx, e.Code)
		c.reply(Response{Error: e})
		if bad++; bad >= c.srv.cfg.MaxBadFrames {
			c.srv.log.Warn("closing a connection that sends only undecodable frames", "remote", c.ws.RemoteAddr().String(), "bad_frames", bad)
			c.policyClose = fmt.Sprintf("%d undecodable frames in a row", bad)
			return true
		}
		return false
	}
	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			if !c.draining.Load() && !websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) {
				c.srv.log.Debug("read ended", "err", err)
			}
			return
		}
		c.extendReadDeadline()
		if mt != c.codec.messageType() {
			if badFrame(errorf(CodeBadFrame, "this connection speaks %s: send %s frames", c.codec.name(), frameKind(c.codec.messageType()))) {
				return
			}
			continue
		}
		env, err := c.codec.decodeEnvelope(data)
		if err != nil {
			if badFrame(errorf(CodeBadFrame, "frame is not a valid %s request: %v", c.codec.name(), err)) {
				return
			}
			continue
		}
		bad = 0
		cost := min(len(data), c.srv.cfg.MaxInFlightBytes)
		if !c.take(cost) {
			return
		}
		req := c.prepare(env, false)
		req.cost = cost
		if c.runsOnReader(req) {
			// Nothing else is in flight and the step finishes promptly:
			// run it here, saving the hand-off to a worker (one goroutine
			// wake-up a step when requests arrive one at a time).
			c.sem <- struct{}{}
			c.inflight.Add(1)
			c.replyNow(c.execute(req))
			<-c.sem
			c.give(req.cost)
			c.inflight.Done()
			continue
		}
		select {
		case c.sem <- struct{}{}:
		case <-c.ctx.Done():
			c.give(req.cost)
			return
		}
		c.inflight.Add(1)
		select {
		case c.work <- req: // an idle worker takes it
		default:
			go c.worker(req)
		}
	}
}

// runsOnReader reports whether the reader runs req itself: the connection
// has no request in flight (so none waits behind this one, and it waits for
// no earlier request of its episode) and req is a step that finishes
// promptly (Engine.quickStep). Under load requests overlap and go to
// workers, which run them in parallel.
func (c *conn) runsOnReader(req *request) bool {
	if len(c.sem) != 0 || req.err != nil || req.op != OpStep {
		return false
	}
	p, ok := req.params.(*StepParams)
	return ok && c.owns(p.Episode) && c.eng.quickStep(p)
}

// workerIdle is how long a request worker waits for another request before
// it exits.
const workerIdle = 5 * time.Second

// worker runs req, then whatever requests the reader hands it, until it has
// been idle for workerIdle or the reader ends. Reusing workers, rather than
// a goroutine per request, keeps their grown stacks: a fresh goroutine's
// stack grows (copied each time it doubles) on every step otherwise.
func (c *conn) worker(req *request) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		c.reply(c.execute(req))
		<-c.sem
		c.give(req.cost)
		c.inflight.Done()
		idle.Reset(workerIdle)
		var ok bool
		select {
		case req, ok = <-c.work:
			if !ok {
				return
			}
		case <-idle.C:
			return
		}
	}
}

func frameKind(mt int) string {
	if mt == websocket.BinaryMessage {
		return "binary"
	}
	return "text"
}

// request is a decoded request, ordered behind earlier requests of its episode.
type request struct {
	cost    int // bytes of the frame, held against the connection's budget until done
	id      RequestID
	op      string
	params  any
	err     *Error
	episode string
	prev    chan struct{}
	mine    chan struct{}
	batch   []*request
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// prepare decodes a request's params and, for episode operations, queues it
// behind the earlier requests of the same episode. It runs on the reader
// goroutine, so the queue follows arrival order.
func (c *conn) prepare(env envelope, inBatch bool) *request {
	r := &request{id: env.ID, op: env.Op}
	if env.ID.IsZero() {
		r.err = errorf(CodeBadRequest, "request has no id")
		return r
	}
	var p any
	switch env.Op {
	case OpHello:
		p = &HelloParams{}
	case OpTasksList:
		p = &TasksListParams{}
	case OpTasksSample:
		p = &SampleSpec{}
	case OpReset:
		p = &ResetParams{}
	case OpStep:
		p = &StepParams{}
	case OpState, OpClose:
		p = &EpisodeParams{}
	case OpScore:
		p = &ScoreParams{}
	case OpToolsets:
		p = &ToolsetsParams{}
	case OpRollout:
		p = &RolloutParams{}
	case OpBatch:
		if inBatch {
			r.err = errorf(CodeBadRequest, "a batch cannot contain a batch")
			return r
		}
		return c.prepareBatch(r, env.Params)
	case "":
		r.err = errorf(CodeBadRequest, "request has no op")
		return r
	default:
		r.err = errorf(CodeUnknownOp, "unknown op %q (hello, tasks.list, tasks.sample, reset, step, state, close, score, toolsets.get, rollout, batch)", env.Op)
		return r
	}
	if err := c.codec.decodeParams(env.Params, p); err != nil {
		r.err = errorf(CodeBadRequest, "invalid params for %s: %v", env.Op, err)
		return r
	}
	r.params = p
	switch x := p.(type) {
	case *StepParams:
		r.episode = x.Episode
	case *EpisodeParams:
		r.episode = x.Episode
	}
	if r.episode != "" {
		r.mine = make(chan struct{})
		c.mu.Lock()
		r.prev = c.tails[r.episode]
		c.tails[r.episode] = r.mine
		c.mu.Unlock()
		if r.prev == nil {
			r.prev = closedChan
		}
	}
	return r
}

func (c *conn) prepareBatch(r *request, raw []byte) *request {
	frames, err := c.codec.splitBatch(raw)
	if err != nil {
		r.err = errorf(CodeBadRequest, "invalid batch: %v", err)
		return r
	}
	if len(frames) > c.srv.cfg.MaxBatch {
		r.err = errorf(CodeLimit, "batch of %d requests; the limit is %d", len(frames), c.srv.cfg.MaxBatch)
		return r
	}
	r.batch = make([]*request, len(frames))
	for i, f := range frames {
		env, err := c.codec.decodeEnvelope(f)
		if err != nil {
			r.batch[i] = &request{err: errorf(CodeBadFrame, "batch entry %d is not a valid request: %v", i, err)}
			continue
		}
		r.batch[i] = c.prepare(env, true)
	}
	return r
}

// execute runs a prepared request and returns its reply. A panic in a
// handler becomes an internal error reply; the connection stays up.
func (c *conn) execute(r *request) (resp Response) {
	resp = Response{ID: r.id, Op: r.op}
	if r.mine != nil {
		<-r.prev
		defer c.release(r)
	}
	defer func() {
		if p := recover(); p != nil {
			c.srv.log.Error("handler panic", "op", r.op, "panic", p, "stack", string(debug.Stack()))
			resp.Result, resp.Error = nil, errorf(CodeInternal, "internal error handling %s: %v", r.op, p)
		}
	}()
	if r.err != nil {
		resp.Error = r.err
		c.eng.metrics.protocolError(c.ctx, r.err.Code)
		return resp
	}
	if r.batch != nil || r.op == OpBatch {
		resp.Result = c.executeBatch(r.batch)
		return resp
	}
	result, perr := c.handle(r)
	if perr != nil {
		resp.Error = perr
		c.eng.metrics.protocolError(c.ctx, perr.Code)
	} else {
		resp.Result = result
	}
	return resp
}

// release lets the next request of the episode run.
func (c *conn) release(r *request) {
	close(r.mine)
	c.mu.Lock()
	if c.tails[r.episode] == r.mine {
		delete(c.tails, r.episode)
	}
	c.mu.Unlock()
}

func (c *conn) executeBatch(reqs []*request) *BatchResult {
	out := &BatchResult{Responses: make([]Response, len(reqs))}
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out.Responses[i] = c.execute(r)
		}()
	}
	wg.Wait()
	return out
}

// owns reports whether an episode belongs to this connection's session.
func (c *conn) owns(id string) bool { return c.session().owns(id) }

func (c *conn) handle(r *request) (any, *Error) {
	switch p := r.params.(type) {
	case *HelloParams:
		return c.hello(p)
	case *TasksListParams:
		return c.tasksList(p)
	case *SampleSpec:
		return c.tasksSample(p)
	case *ResetParams:
		return c.reset(p)
	case *ScoreParams:
		return c.eng.Score(c.workCtx(), *p)
	case *ToolsetsParams:
		return c.eng.Toolsets(*p)
	case *RolloutParams:
		var emit func(*RolloutEpisode)
		if p.Stream {
			emit = func(ep *RolloutEpisode) { c.reply(Response{ID: r.id, Op: OpRolloutEpisode, Result: ep}) }
		}
		// The rollout stops (its episodes scored as failures) when the
		// connection is lost: nobody would read it.
		return c.eng.Rollout(c.ctx, c.client, *p, emit)
	case *StepParams:
		if !c.owns(p.Episode) {
			return nil, errorf(CodeUnknownEpisode, "no open episode %q on this connection", p.Episode)
		}
		res, perr := c.eng.Step(c.workCtx(), *p)
		if perr == nil && res.Done {
			c.markFinished(p.Episode)
		}
		return res, perr
	case *EpisodeParams:
		if !c.owns(p.Episode) {
			return nil, errorf(CodeUnknownEpisode, "no open episode %q on this connection", p.Episode)
		}
		if r.op == OpState {
			return c.eng.State(p.Episode)
		}
		res, perr := c.eng.Close(p.Episode)
		c.session().forget(p.Episode)
		return res, perr
	}
	return nil, errorf(CodeInternal, "no handler for %s", r.op)
}

func (c *conn) hello(p *HelloParams) (*HelloResult, *Error) {
	res := &HelloResult{Server: "dive", Version: c.srv.cfg.Version, Protocol: ProtocolVersion, Encoding: c.codec.name(),
		Limits: c.srv.Limits(), ToolCallFormats: toolCallFormats,
		Tasks: c.eng.Tasks().Len(), Tools: c.eng.Tools().Len(), Scorers: c.eng.Scorers().Names(),
		ResumeGraceSeconds: max(c.srv.cfg.ResumeGrace, 0).Seconds()}
	if p.Resume != "" {
		if c.srv.cfg.ResumeGrace <= 0 {
			return nil, errorf(CodeUnknownSession, "resume is off on this server (--resume-grace 0)")
		}
		resumed, perr := c.srv.resume(c, p.Resume)
		if perr != nil {
			return nil, perr
		}
		res.Resumed = resumed
		if res.Resumed == nil {
			res.Resumed = []ResumedEpisode{}
		}
	}
	res.Session = c.session().token
	return res, nil
}

func summaries(ts []*tasks.Task) []tasks.Summary {
	out := make([]tasks.Summary, len(ts))
	for i, t := range ts {
		out[i] = t.Summary()
	}
	return out
}

func (c *conn) tasksList(p *TasksListParams) (*TasksListResult, *Error) {
	if p.Offset < 0 || p.Limit < 0 {
		return nil, errorf(CodeBadRequest, "offset and limit must not be negative")
	}
	all := c.eng.Tasks().Filter(p.Filter)
	page := all[min(p.Offset, len(all)):]
	if p.Limit > 0 && p.Limit < len(page) {
		page = page[:p.Limit]
	}
	return &TasksListResult{Total: len(all), Tasks: summaries(page)}, nil
}

func (c *conn) tasksSample(p *SampleSpec) (*TasksSampleResult, *Error) {
	n := p.N
	if n == 0 {
		n = 1
	}
	got, seed, perr := c.eng.Sample(*p, n, p.Seed)
	if perr != nil {
		return nil, perr
	}
	return &TasksSampleResult{Seed: seed, Tasks: summaries(got)}, nil
}

func (c *conn) reset(p *ResetParams) (*ResetResult, *Error) {
	max := c.srv.cfg.MaxEpisodesPerConnection
	sess := c.session()
	if !sess.reserve(max) {
		return nil, errorf(CodeLimit, "this connection has %d running episodes, the limit; close or finish some first", max)
	}
	res, perr := c.eng.Reset(toolexec.WithClient(c.workCtx(), c.client), *p)
	if perr != nil {
		sess.started("")
		return nil, perr
	}
	sess.started(res.Episode)
	return res, nil
}

// markFinished moves an episode to the finished list, releasing the oldest
// finished episodes beyond RetainFinished.
func (c *conn) markFinished(id string) {
	for _, old := range c.session().markFinished(id, c.srv.cfg.RetainFinished) {
		_, _ = c.eng.Close(old)
	}
}

// String names the connection in logs.
func (c *conn) String() string { return fmt.Sprintf("conn(%s)", c.ws.RemoteAddr()) }

// take holds a frame's bytes against the connection's budget and the
// server's; false when the connection ends first.
func (c *conn) take(n int) bool {
	alone := c.budget.empty()
	if !c.budget.acquire(c.ctx, n, false) {
		return false
	}
	if !c.srv.inFlight.acquire(c.ctx, n, alone) {
		c.budget.release(n)
		return false
	}
	return true
}

// give returns a frame's bytes to both budgets.
func (c *conn) give(n int) {
	c.budget.release(n)
	c.srv.inFlight.release(n)
}
