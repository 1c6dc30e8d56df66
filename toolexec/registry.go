package toolexec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/dive-env/dive/internal/jsonany"
)

// Tool is a manifest bound to its executor and its compiled parameter schema.
// A Tool is immutable once registered and safe for concurrent use.
type Tool struct {
	Manifest Manifest
	schema   *jsonschema.Schema
	quick    *quickSchema // nil when the schema uses keywords the quick check does not cover
	exec     Executor
	reason   string
}

// Executable reports whether the tool can run on this machine.
func (t *Tool) Executable() bool { return t.exec != nil }

// Reason says why the tool cannot run here; empty when it can.
func (t *Tool) Reason() string { return t.reason }

// ExecutorKind names the executor that runs the tool, or "none".
func (t *Tool) ExecutorKind() string {
	if t.exec == nil {
		return "none"
	}
	if t.Manifest.Executor != "" {
		return t.Manifest.Executor
	}
	return "custom"
}

// FunctionTool is an OpenAI function-tool schema: what the model is shown.
type FunctionTool struct {
	Type     string         `json:"type"`
	Function FunctionSchema `json:"function"`
}

// FunctionSchema is the function part of an OpenAI function-tool schema.
type FunctionSchema struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}

// FunctionTool returns the tool as an OpenAI function-tool schema.
func (t *Tool) FunctionTool() FunctionTool {
	return FunctionTool{Type: "function", Function: FunctionSchema{
		Name: t.Manifest.Name, Description: t.Manifest.Description, Parameters: t.Manifest.Parameters,
	}}
}

var englishPrinter = message.NewPrinter(language.English)

// Inline reports whether the tool's calls run on the caller's goroutine
// and finish on their own (see Inline): a deadline on their context would
// interrupt nothing.
func (t *Tool) Inline() bool {
	in, ok := t.exec.(Inline)
	return ok && in.Inline()
}

// ValidateArguments checks call arguments (a JSON object) against the tool's
// parameter schema. The error names every violation with its location.
func (t *Tool) ValidateArguments(args json.RawMessage) error {
	trimmed := bytes.TrimSpace(args)
	if len(trimmed) == 0 {
		trimmed = []byte("{}")
	}
	inst, ok := jsonany.Parse(trimmed)
	if !ok { // not JSON, or JSON only encoding/json decodes: it decides and words the error
		var err error
		if inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(trimmed)); err != nil {
			return fmt.Errorf("arguments are not valid JSON: %w", err)
		}
	}
	if _, ok := inst.(map[string]any); !ok {
		return errors.New("arguments must be a JSON object")
	}
	if t.quick != nil && t.quick.accepts(inst) {
		return nil // sure to be valid (see quickSchema); the validator decides otherwise
	}
	if err := t.schema.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return errors.New(describeValidation(ve))
		}
		return err
	}
	return nil
}

func describeValidation(ve *jsonschema.ValidationError) string {
	var leaves []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			leaves = append(leaves, fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(englishPrinter)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(leaves, "; ")
}

// Options configure a Registry.
type Options struct {
	// CallTimeout bounds one call when the caller's context has no earlier deadline.
	CallTimeout time.Duration
	// MaxResultBytes caps the text a call returns; longer output keeps its head
	// and tail and says how much was cut.
	MaxResultBytes int
	// Store and Replay record tool results and play them back (see ReplayMode);
	// stateful tools (code execution) are always live.
	Store  *Store
	Replay ReplayMode
}

// DefaultOptions returns the registry defaults: 30 s per call, 64 KiB results.
func DefaultOptions() Options {
	return Options{CallTimeout: 30 * time.Second, MaxResultBytes: 64 << 10}
}

// Registry holds the tool pool. It is safe for concurrent use; registration
// normally happens at start-up, calls at any time.
type Registry struct {
	opts   Options
	mu     sync.RWMutex
	byID   map[string]*Tool
	byName map[string][]*Tool
	// closers are the distinct executors that keep per-session state, in
	// registration order: CloseSession runs on every episode's end.
	closers []SessionCloser
}

// NewRegistry returns an empty registry.
func NewRegistry(opts Options) *Registry {
	def := DefaultOptions()
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = def.CallTimeout
	}
	if opts.MaxResultBytes <= 0 {
		opts.MaxResultBytes = def.MaxResultBytes
	}
	return &Registry{opts: opts, byID: map[string]*Tool{}, byName: map[string][]*Tool{}}
}

// compileSchema compiles a tool's parameter schema, and its quick check (nil
// where the quick check does not cover the schema).
func compileSchema(m *Manifest) (*jsonschema.Schema, *quickSchema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(m.Parameters))
	if err != nil {
		return nil, nil, fmt.Errorf("parameters of %q are not valid JSON: %w", m.ID, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	url := "mem://tools/" + m.ID + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, nil, fmt.Errorf("parameters of %q: %w", m.ID, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, nil, fmt.Errorf("compile parameters of %q: %w", m.ID, err)
	}
	quick, ok := compileQuick(doc)
	if !ok {
		quick = nil
	}
	return s, quick, nil
}

// Register adds a tool. exec may be nil for a tool that cannot run here, in
// which case reason must say why. Registering an id twice is an error.
func (r *Registry) Register(m Manifest, exec Executor, reason string) error {
	if err := m.Check(); err != nil {
		return err
	}
	if exec == nil && reason == "" {
		return fmt.Errorf("register %q: a tool without an executor needs a reason", m.ID)
	}
	schema, quick, err := compileSchema(&m)
	if err != nil {
		return err
	}
	t := &Tool{Manifest: m, schema: schema, quick: quick, exec: exec}
	if exec == nil {
		t.reason = reason
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.byID[m.ID]; dup {
		return fmt.Errorf("register %q: duplicate tool id", m.ID)
	}
	r.byID[m.ID] = t
	r.byName[m.Name] = append(r.byName[m.Name], t)
	if c, ok := exec.(SessionCloser); ok && !slices.Contains(r.closers, c) {
		r.closers = append(r.closers, c)
	}
	return nil
}

// AddManifests registers manifests that have no executor of their own (such
// as the reference release's), each with the reason it cannot run here.
// Manifests whose id is already registered (a built-in of the same id) are
// skipped. It returns how many were added and every error met.
func (r *Registry) AddManifests(ms []Manifest) (int, error) {
	var errs []error
	added := 0
	for _, m := range ms {
		if _, ok := r.Get(m.ID); ok {
			continue
		}
		if err := r.Register(m, nil, UnavailableReason(&m)); err != nil {
			errs = append(errs, err)
			continue
		}
		added++
	}
	return added, errors.Join(errs...)
}

// UnavailableReason says why a manifest with no executor cannot run here.
func UnavailableReason(m *Manifest) string {
	switch m.AuthType() {
	case "token":
		return "needs an API token and network access to its upstream service"
	case "api_key":
		if env, ok := m.Auth["env_var"].(string); ok && env != "" {
			return "needs network access and an API key in " + env
		}
		return "needs an API key and network access to its upstream service"
	}
	if up, ok := m.Meta["upstream_api"].(string); ok && strings.HasPrefix(up, "http") {
		return "needs network access to " + up
	}
	return "no executor for this tool on this machine yet"
}

// Get returns the tool with the given id.
func (r *Registry) Get(id string) (*Tool, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.byID[id]
	return t, ok
}

// Resolve finds a tool by id or, failing that, by name. A name that several
// tools share is an error that lists their ids.
func (r *Registry) Resolve(ref string) (*Tool, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if t, ok := r.byID[ref]; ok {
		return t, nil
	}
	switch ts := r.byName[ref]; len(ts) {
	case 0:
		return nil, fmt.Errorf("unknown tool %q", ref)
	case 1:
		return ts[0], nil
	default:
		ids := make([]string, len(ts))
		for i, t := range ts {
			ids[i] = t.Manifest.ID
		}
		sort.Strings(ids)
		return nil, fmt.Errorf("tool name %q is ambiguous: use one of the ids %s", ref, strings.Join(ids, ", "))
	}
}

// Tools returns every registered tool, sorted by id.
func (r *Registry) Tools() []*Tool {
	r.mu.RLock()
	out := make([]*Tool, 0, len(r.byID))
	for _, t := range r.byID {
		out = append(out, t)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Manifest.ID < out[j].Manifest.ID })
	return out
}

// Len returns the number of registered tools.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.byID)
}

// Call validates args against the tool's schema and runs it under the
// registry's deadline, recovering panics and capping the output. It never
// returns an error: failures are Results the model can read.
func (r *Registry) Call(ctx context.Context, t *Tool, args json.RawMessage) Result {
	start := time.Now()
	res := r.call(ctx, t, args)
	res.Duration = time.Since(start)
	return res
}

func (r *Registry) call(ctx context.Context, t *Tool, args json.RawMessage) Result {
	if err := t.ValidateArguments(args); err != nil {
		return Failed(ErrInvalidArguments, "invalid arguments for %s: %v", t.Manifest.Name, err)
	}
	mode := r.opts.Replay
	if r.opts.Store == nil || !replayable(t) {
		mode = ReplayOff
	}
	if mode == ReplayOnly || mode == ReplayThenLive {
		rec, ok, err := r.opts.Store.Lookup(t.Manifest.ID, args)
		switch {
		case err != nil:
			return Failed(ErrToolFailed, "%v", err)
		case ok:
			res := capOutput(rec.Output, r.opts.MaxResultBytes)
			res.Err, res.Replayed = rec.Error, true
			if rec.Error != nil {
				res.Output = ""
			}
			return res
		case mode == ReplayOnly:
			return Failed(ErrReplayMiss, "no recorded result for this %s call (the server replays recorded tool results only)", t.Manifest.Name)
		}
	}
	res := r.live(ctx, t, args)
	if (mode == ReplayRecord || mode == ReplayThenLive) && recordable(res) {
		if err := r.opts.Store.Save(t.Manifest.ID, args, res); err != nil {
			res.StoreError = err.Error()
		}
	}
	return res
}

// live runs the tool's executor.
func (r *Registry) live(ctx context.Context, t *Tool, args json.RawMessage) Result {
	if t.exec == nil {
		return Failed(ErrUnavailable, "tool %s cannot run here: %s", t.Manifest.Name, t.reason)
	}
	if len(bytes.TrimSpace(args)) == 0 {
		args = json.RawMessage("{}")
	}
	if t.Inline() {
		// Inline tools finish on their own (see Inline): a deadline would
		// cost a timer and a context per call and interrupt nothing.
		return r.runInline(ctx, t, args)
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.CallTimeout)
	defer cancel()

	type outcome struct {
		value any
		err   error
		panic any
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- outcome{panic: p}
			}
		}()
		v, err := t.exec.Execute(ctx, args)
		done <- outcome{value: v, err: err}
	}()
	select {
	case <-ctx.Done():
		return Failed(ErrTimeout, "%s did not finish before its deadline (%v)", t.Manifest.Name, ctx.Err())
	case o := <-done:
		switch {
		case o.panic != nil:
			return Failed(ErrPanic, "%s crashed: %v", t.Manifest.Name, o.panic)
		}
		return r.finish(t, o.value, o.err)
	}
}

// runInline runs an Inline executor on this goroutine, recovering a panic.
func (r *Registry) runInline(ctx context.Context, t *Tool, args json.RawMessage) (res Result) {
	defer func() {
		if p := recover(); p != nil {
			res = Failed(ErrPanic, "%s crashed: %v", t.Manifest.Name, p)
		}
	}()
	v, err := t.exec.Execute(ctx, args)
	return r.finish(t, v, err)
}

// finish turns an executor's outcome into a capped Result.
func (r *Registry) finish(t *Tool, v any, err error) Result {
	if err != nil {
		return Failed(ErrToolFailed, "%v", err)
	}
	text, err := renderOutput(v)
	if err != nil {
		return Failed(ErrToolFailed, "%s returned a result that cannot be encoded: %v", t.Manifest.Name, err)
	}
	return capOutput(text, r.opts.MaxResultBytes)
}

func renderOutput(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case json.RawMessage:
		return string(x), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// capOutput keeps the head and tail of text within max bytes and states the cut.
func capOutput(text string, max int) Result {
	if len(text) <= max {
		return Result{Output: text, OriginalBytes: len(text)}
	}
	headLen := max * 3 / 4
	tailLen := max - headLen
	for headLen > 0 && !utf8.RuneStart(text[headLen]) {
		headLen--
	}
	tailStart := len(text) - tailLen
	for tailStart < len(text) && !utf8.RuneStart(text[tailStart]) {
		tailStart++
	}
	cut := tailStart - headLen
	out := text[:headLen] + fmt.Sprintf("\n…[output truncated: %d of %d bytes omitted]…\n", cut, len(text)) + text[tailStart:]
	return Result{Output: out, Truncated: true, OriginalBytes: len(text)}
}
