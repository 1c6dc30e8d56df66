package env

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"golang.org/x/time/rate"

	"github.com/dive-env/dive/internal/chatcall"
)

// PolicySpec names the trainer's policy endpoint (an OpenAI-compatible
// server such as vLLM or SGLang serving the weights being trained) and how
// to sample from it.
type PolicySpec struct {
	// BaseURL is the endpoint's API root, e.g. http://10.0.0.5:8000/v1.
	BaseURL string `json:"base_url"`
	Model   string `json:"model"`
	APIKey  string `json:"api_key,omitempty"`
	// Temperature and TopP are sent as given, zero included.
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	MaxTokens   int      `json:"max_tokens,omitempty"`
	// API is "chat" (default: chat completions with tools; the policy
	// server applies the model's template and parses tool calls) or
	// "completions" (raw completions: dive renders the conversation with
	// Template and parses the calls; with Tokens every prompt after the
	// first is sent as token ids).
	API string `json:"api,omitempty"`
	// Template is the chat template of the completions API:
	// "chatml-hermes" (the default: Qwen2.5, Qwen3, Hermes) or
	// "chatml-qwen3-coder" (Qwen3-Coder, Qwen3.5: tools and calls in XML).
	Template string `json:"template,omitempty"`
	// Stream asks for server-sent events, assembled here.
	Stream bool `json:"stream,omitempty"`
	// Tokens asks for the sampled token ids and their log-probabilities
	// (vLLM: logprobs and return_token_ids), kept per turn exactly as sampled.
	Tokens bool `json:"tokens,omitempty"`
	// Extra are more request-body fields, sent as given (top_k,
	// chat_template_kwargs, …); they override the fields above.
	Extra map[string]any `json:"extra,omitempty"`
	// Retries are more attempts after a call that timed out, failed to
	// connect or was answered 429 or 5xx, with doubling backoff from one
	// second (default 0: a trainer's own policy server either answers or
	// the episode fails; a remote teacher API wants a few).
	Retries int `json:"retries,omitempty"`
	// Limit, for Go callers, paces every attempt (nil: no limit).
	Limit *rate.Limiter `json:"-"`
}

// TurnTokens are one assistant turn's tokens as the policy server sampled
// them.
type TurnTokens struct {
	Turn int `json:"turn"`
	// PromptIDs is the whole prompt of the turn, as the server tokenized it.
	PromptIDs []int `json:"prompt_ids"`
	// CompletionIDs and Logprobs are the sampled tokens and their
	// log-probabilities (Logprobs is absent when the server gave none).
	CompletionIDs []int     `json:"completion_ids"`
	Logprobs      []float64 `json:"logprobs,omitempty"`
	FinishReason  string    `json:"finish_reason,omitempty"`
}

// TokenTrace is an episode's token bookkeeping.
type TokenTrace struct {
	// Turns are the assistant turns' tokens.
	Turns []TurnTokens `json:"turns,omitempty"`
	// IDs is the whole episode as one sequence: the first prompt, then each
	// completion and the environment's tokens (tool results, the next
	// turn's template) between them. Mask is 1 for tokens the policy sampled
	// (train on these) and 0 for the prompt's and the environment's;
	// Logprobs align with IDs (0 where Mask is 0). Absent when a turn's
	// prompt does not extend the earlier turns' tokens: see Missing.
	IDs      []int     `json:"ids,omitempty"`
	Mask     []int     `json:"mask,omitempty"`
	Logprobs []float64 `json:"logprobs,omitempty"`
	// Missing says what is absent and why, instead of guessing.
	Missing string `json:"missing,omitempty"`
}

// policyTurn is one policy call's outcome.
type policyTurn struct {
	message Message
	raw     string      // the completion's text, in completions mode
	tokens  *TurnTokens // nil when the server returned no token ids
	missing string      // why tokens is nil, when they were asked for
}

// policyClients holds one go-openai client per endpoint and key, and the
// calls in flight to each endpoint.
type policyClients struct {
	mu        sync.Mutex
	clients   map[string]*openai.Client
	inFlight  map[string]chan struct{}
	perURL    int
	transport *http.Transport
	http      *http.Client   // plain calls: /tokenize
	imEnd     map[string]int // <|im_end|>'s id per endpoint and model
}

func newPolicyClients(perEndpoint int) *policyClients {
	// Keep-alive connections for every call a policy endpoint may have in
	// flight (the default transport keeps two per host and redials the rest).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost, tr.MaxIdleConns = perEndpoint, 0
	return &policyClients{clients: map[string]*openai.Client{}, inFlight: map[string]chan struct{}{}, perURL: perEndpoint,
		transport: tr, http: &http.Client{Transport: tr}, imEnd: map[string]int{}}
}

func (pc *policyClients) client(spec PolicySpec) (*openai.Client, chan struct{}) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	key := spec.BaseURL + "\x00" + spec.APIKey
	c, ok := pc.clients[key]
	if !ok {
		cfg := openai.DefaultConfig(spec.APIKey)
		cfg.BaseURL = strings.TrimRight(spec.BaseURL, "/")
		cfg.HTTPClient = &http.Client{Transport: capturingTransport{base: pc.transport}}
		c = openai.NewClientWithConfig(cfg)
		pc.clients[key] = c
	}
	sem, ok := pc.inFlight[spec.BaseURL]
	if !ok {
		sem = make(chan struct{}, pc.perURL)
		pc.inFlight[spec.BaseURL] = sem
	}
	return c, sem
}

// slot waits for one of the endpoint's call slots and returns its client
// and the slot's release.
func (pc *policyClients) slot(ctx context.Context, spec PolicySpec) (*openai.Client, func(), error) {
	client, sem := pc.client(spec)
	select {
	case sem <- struct{}{}:
		return client, func() { <-sem }, nil
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("waiting for a call slot to %s: %w", spec.BaseURL, ctx.Err())
	}
}

// callCapture rides in a request's context: fields to add to the body, and
// the raw response body, which carries what go-openai's types do not
// (vLLM's prompt_token_ids and token_ids).
type callCapture struct {
	extra map[string]any
	raw   bytes.Buffer
}

type captureKey struct{}

// capturingTransport adds a call's extra fields to the JSON body and keeps
// a copy of the response body as it is read.
type capturingTransport struct{ base http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t capturingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	cc, _ := req.Context().Value(captureKey{}).(*callCapture)
	if cc == nil {
		return t.base.RoundTrip(req)
	}
	if len(cc.extra) > 0 && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		if body, err = addFields(body, cc.extra); err != nil {
			return nil, fmt.Errorf("request body: %w", err)
		}
		req = req.Clone(req.Context())
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(resp.Body, &cc.raw), resp.Body}
	return resp, nil
}

// addFields sets top-level fields of a JSON object body. When none of them
// is a key anywhere in the body (a quote inside a string is escaped, so
// `"key":` there is a key) they are appended without decoding the body —
// the common case, and most of a turn's cost otherwise; else the body is
// decoded and re-encoded with the fields set. json.RawMessage values are
// written as they are.
func addFields(body []byte, fields map[string]any) ([]byte, error) {
	keys := make([]string, 0, len(fields))
	collide := false
	for k := range fields {
		keys = append(keys, k)
		collide = collide || bytes.Contains(body, []byte(`"`+k+`":`))
	}
	if collide {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		for k, v := range fields {
			m[k] = v
		}
		return json.Marshal(m)
	}
	slices.Sort(keys)
	end := bytes.LastIndexByte(body, '}')
	if end < 0 {
		return nil, errors.New("not a JSON object")
	}
	out := make([]byte, 0, len(body)+64*len(fields))
	out = append(out, body[:end]...)
	empty := len(bytes.TrimSpace(body[:end])) == 1 // "{"
	for _, k := range keys {
		if !empty {
			out = append(out, ',')
		}
		empty = false
		key, _ := json.Marshal(k)
		out = append(append(out, key...), ':')
		if raw, ok := fields[k].(json.RawMessage); ok {
			out = append(out, raw...)
			continue
		}
		v, err := json.Marshal(fields[k])
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", k, err)
		}
		out = append(out, v...)
	}
	return append(out, body[end:]...), nil
}

// callPolicy asks the policy for the next assistant turn of a conversation.
func (pc *policyClients) callPolicy(ctx context.Context, spec PolicySpec, msgs []openai.ChatCompletionMessage, tools json.RawMessage, seed int64) (*policyTurn, error) {
	client, release, err := pc.slot(ctx, spec)
	if err != nil {
		return nil, err
	}
	defer release()
	cc := &callCapture{extra: samplingFields(spec, seed)}
	if spec.Tokens {
		cc.extra["logprobs"] = true
		cc.extra["return_token_ids"] = true
	}
	for k, v := range spec.Extra {
		cc.extra[k] = v
	}
	ctx = context.WithValue(ctx, captureKey{}, cc)
	if len(tools) > 0 {
		cc.extra["tools"] = tools // encoded once per episode, not by go-openai every turn
	}
	req := openai.ChatCompletionRequest{Model: spec.Model, Messages: msgs, Stream: spec.Stream}
	if spec.Stream {
		return streamTurn(ctx, client, req, cc, spec.Tokens)
	}
	resp, err := client.CreateChatCompletion(ctx, req)
	if err != nil {
		return nil, err
	}
	if len(resp.Choices) == 0 {
		return nil, errors.New("the policy answered without choices")
	}
	ch := resp.Choices[0]
	turn := &policyTurn{message: AssistantFromOpenAI(ch.Message.Content, ch.Message.ToolCalls)}
	if spec.Tokens {
		turn.tokens, turn.missing = tokensOf(cc.raw.Bytes(), string(ch.FinishReason))
	}
	return turn, nil
}

// samplingFields are the body fields every policy call carries.
func samplingFields(spec PolicySpec, seed int64) map[string]any {
	f := map[string]any{"seed": seed}
	if spec.Temperature != nil {
		f["temperature"] = *spec.Temperature
	}
	if spec.TopP != nil {
		f["top_p"] = *spec.TopP
	}
	if spec.MaxTokens > 0 {
		f["max_tokens"] = spec.MaxTokens // what vLLM and SGLang read; go-openai deprecates the field
	}
	return f
}

// streamTurn assembles a streamed turn: content and tool-call deltas by index.
func streamTurn(ctx context.Context, client *openai.Client, req openai.ChatCompletionRequest, cc *callCapture, tokens bool) (*policyTurn, error) {
	stream, err := client.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return nil, err
	}
	defer stream.Close()
	var content strings.Builder
	var calls []openai.ToolCall
	finish := ""
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("stream: %w", err)
		}
		if len(chunk.Choices) == 0 {
			continue
		}
		d := chunk.Choices[0]
		if d.FinishReason != "" {
			finish = string(d.FinishReason)
		}
		content.WriteString(d.Delta.Content)
		for _, tc := range d.Delta.ToolCalls {
			i := len(calls)
			if tc.Index != nil {
				i = *tc.Index
			}
			for len(calls) <= i {
				calls = append(calls, openai.ToolCall{Type: openai.ToolTypeFunction})
			}
			if tc.ID != "" {
				calls[i].ID = tc.ID
			}
			calls[i].Function.Name += tc.Function.Name
			calls[i].Function.Arguments += tc.Function.Arguments
		}
	}
	turn := &policyTurn{message: AssistantFromOpenAI(content.String(), calls)}
	if tokens {
		turn.tokens, turn.missing = streamTokensOf(cc.raw.Bytes(), finish)
	}
	return turn, nil
}

// AssistantFromOpenAI turns a chat completion's message (its content and
// tool calls) into the assistant turn a step takes.
func AssistantFromOpenAI(content string, calls []openai.ToolCall) Message {
	m := Message{Role: "assistant", Content: Content(content)}
	for _, tc := range calls {
		m.ToolCalls = append(m.ToolCalls, ToolCall{ID: tc.ID, Type: "function",
			Function: FunctionCall{Name: tc.Function.Name, Arguments: Arguments(tc.Function.Arguments)}})
	}
	return m
}

// ToOpenAI converts a transcript message to go-openai's type.
func ToOpenAI(m Message) openai.ChatCompletionMessage {
	out := openai.ChatCompletionMessage{Role: m.Role, Content: string(m.Content), ToolCallID: m.ToolCallID, Name: m.Name}
	for _, tc := range m.ToolCalls {
		out.ToolCalls = append(out.ToolCalls, openai.ToolCall{ID: tc.ID, Type: openai.ToolTypeFunction,
			Function: openai.FunctionCall{Name: tc.Function.Name, Arguments: string(tc.Function.Arguments)}})
	}
	return out
}

// vllmTokens are the token fields vLLM adds to a chat completion (or to
// each chunk of a stream) when asked with return_token_ids and logprobs.
type vllmTokens struct {
	PromptTokenIDs []int `json:"prompt_token_ids"`
	Choices        []struct {
		TokenIDs       []int `json:"token_ids"`
		PromptTokenIDs []int `json:"prompt_token_ids"` // where SGLang puts them
		Logprobs       *struct {
			Content []struct {
				Logprob float64 `json:"logprob"`
			} `json:"content"`
		} `json:"logprobs"`
	} `json:"choices"`
}

const tokensMissing = "the policy server returned no token ids (vLLM returns them with return_token_ids, sent when tokens is set; other servers may not)"

func tokensOf(raw []byte, finish string) (*TurnTokens, string) {
	var v vllmTokens
	if err := json.Unmarshal(raw, &v); err != nil || len(v.Choices) == 0 {
		return nil, tokensMissing
	}
	t := &TurnTokens{PromptIDs: v.PromptTokenIDs, CompletionIDs: v.Choices[0].TokenIDs, FinishReason: finish}
	if len(t.PromptIDs) == 0 {
		t.PromptIDs = v.Choices[0].PromptTokenIDs
	}
	if lp := v.Choices[0].Logprobs; lp != nil {
		for _, c := range lp.Content {
			t.Logprobs = append(t.Logprobs, c.Logprob)
		}
	}
	return checkTokens(t)
}

func streamTokensOf(raw []byte, finish string) (*TurnTokens, string) {
	t := &TurnTokens{FinishReason: finish}
	forEachEvent(raw, func(data []byte) {
		var v vllmTokens
		if json.Unmarshal(data, &v) != nil {
			return
		}
		if len(v.PromptTokenIDs) > 0 {
			t.PromptIDs = v.PromptTokenIDs
		}
		for _, ch := range v.Choices {
			if len(ch.PromptTokenIDs) > 0 {
				t.PromptIDs = ch.PromptTokenIDs
			}
			t.CompletionIDs = append(t.CompletionIDs, ch.TokenIDs...)
			if ch.Logprobs != nil {
				for _, c := range ch.Logprobs.Content {
					t.Logprobs = append(t.Logprobs, c.Logprob)
				}
			}
		}
	})
	return checkTokens(t)
}

// forEachEvent calls fn with the data of each server-sent event of a
// stream, up to [DONE].
func forEachEvent(raw []byte, fn func(data []byte)) {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data:")
		if !ok {
			continue
		}
		if data = strings.TrimSpace(data); data == "[DONE]" {
			return
		}
		fn([]byte(data))
	}
}

func checkTokens(t *TurnTokens) (*TurnTokens, string) {
	switch {
	case len(t.PromptIDs) == 0 || len(t.CompletionIDs) == 0:
		return nil, tokensMissing
	case len(t.Logprobs) != 0 && len(t.Logprobs) != len(t.CompletionIDs):
		return nil, fmt.Sprintf("the policy server returned %d token ids but %d logprobs", len(t.CompletionIDs), len(t.Logprobs))
	}
	return t, ""
}

// miss records why the tokens are not whole, the first reason only.
func (tt *TokenTrace) miss(turn int, why string) {
	if tt.Missing == "" {
		tt.Missing = fmt.Sprintf("turn %d: %s", turn, why)
	}
}

// flatten joins the turns into one sequence with its mask, when each
// turn's prompt extends the tokens before it.
func (tt *TokenTrace) flatten() {
	if len(tt.Turns) == 0 || tt.Missing != "" {
		return
	}
	ids := append([]int(nil), tt.Turns[0].PromptIDs...)
	mask := make([]int, len(ids))
	lps := make([]float64, len(ids))
	for k, t := range tt.Turns {
		if k > 0 {
			if len(t.PromptIDs) < len(ids) || !slices.Equal(t.PromptIDs[:len(ids)], ids) {
				tt.Missing = fmt.Sprintf("turn %d's prompt does not extend the earlier turns' tokens (the chat template re-renders the history): use turns", t.Turn)
				return
			}
			env := t.PromptIDs[len(ids):]
			ids = append(ids, env...)
			mask = append(mask, make([]int, len(env))...)
			lps = append(lps, make([]float64, len(env))...)
		}
		ids = append(ids, t.CompletionIDs...)
		for i := range t.CompletionIDs {
			mask = append(mask, 1)
			lp := 0.0
			if i < len(t.Logprobs) {
				lp = t.Logprobs[i]
			}
			lps = append(lps, lp)
		}
	}
	tt.IDs, tt.Mask, tt.Logprobs = ids, mask, lps
}

// retryAfter is the hint a capacity error carries.
const retryAfter = 2 * time.Second

// callWithRetries makes one turn's policy call: attempts of at most
// callTimeout each, retried as spec.Retries allows. It reports whether the
// last attempt timed out and the time spent.
func (pc *policyClients) callWithRetries(ctx context.Context, spec PolicySpec, callTimeout time.Duration,
	call func(context.Context) (*policyTurn, error)) (turn *policyTurn, timedOut bool, spent time.Duration, err error) {
	start := time.Now()
	wait := time.Second
	for attempt := 0; attempt <= max(spec.Retries, 0); attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, false, time.Since(start), ctx.Err()
			}
			wait = min(2*wait, 30*time.Second)
		}
		if spec.Limit != nil {
			if err := spec.Limit.Wait(ctx); err != nil {
				return nil, false, time.Since(start), err
			}
		}
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		turn, err = call(cctx)
		timedOut = cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil
		cancel()
		if err == nil || ctx.Err() != nil || !chatcall.Retryable(err, timedOut) {
			break
		}
	}
	return turn, timedOut, time.Since(start), err
}
