package env

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// Policy APIs a rollout can call.
const (
	// PolicyAPIChat calls chat completions with tools: the policy server
	// applies the model's chat template and parses tool calls.
	PolicyAPIChat = "chat"
	// PolicyAPICompletions calls raw completions: dive renders the
	// conversation with a chat template and parses the tool calls itself,
	// and with tokens sends each prompt as token ids, so no token the model
	// sampled is ever re-tokenized.
	PolicyAPICompletions = "completions"
)

// TemplateChatMLHermes is ChatML (<|im_start|>role … <|im_end|>) with
// Hermes-style tools: signatures in <tools></tools> in the system turn,
// calls as <tool_call>{"name", "arguments"}</tool_call>, results as
// <tool_response> blocks in a user turn. Qwen2.5, Qwen3 and Hermes models
// are trained on this layout.
const TemplateChatMLHermes = "chatml-hermes"

// TemplateChatMLQwen3Coder is ChatML with the tools and calls of
// Qwen3-Coder and Qwen3.5: each function's parameters listed in XML, calls
// as <tool_call><function=NAME><parameter=KEY>VALUE</parameter></function>
// </tool_call>, results as with TemplateChatMLHermes.
const TemplateChatMLQwen3Coder = "chatml-qwen3-coder"

// Templates are the chat templates of the completions API; the first is
// the default.
var Templates = []string{TemplateChatMLHermes, TemplateChatMLQwen3Coder}

const (
	imStart = "<|im_start|>"
	imEnd   = "<|im_end|>"
)

// renderChatML renders a conversation (system, user, assistant and tool
// messages) as a ChatML prompt ending with the assistant's generation
// prompt, the tools described as template says. Assistant turns are their
// raw completion text (the parsed tool calls are not re-serialized): what
// the model wrote is what it sees.
func renderChatML(template string, msgs []Message, tools []ToolSchema, rawAssistant []string) string {
	var b strings.Builder
	system, rest := "", msgs
	if len(msgs) > 0 && msgs[0].Role == "system" {
		system, rest = string(msgs[0].Content), msgs[1:]
	}
	if system != "" || len(tools) > 0 {
		b.WriteString(imStart + "system\n" + system)
		if len(tools) > 0 {
			if system != "" {
				b.WriteString("\n\n")
			}
			if template == TemplateChatMLQwen3Coder {
				b.WriteString(xmlToolsPreamble(tools))
			} else {
				b.WriteString(toolsPreamble(tools))
			}
		}
		b.WriteString(imEnd + "\n")
	}
	turn := 0
	for i := 0; i < len(rest); i++ {
		m := rest[i]
		switch m.Role {
		case "assistant":
			text := string(m.Content)
			if turn < len(rawAssistant) {
				text = rawAssistant[turn]
			}
			turn++
			b.WriteString(imStart + "assistant\n" + text + imEnd + "\n")
		case "tool":
			j := i
			for j < len(rest) && rest[j].Role == "tool" {
				j++
			}
			b.WriteString(toolResponses(rest[i:j]))
			i = j - 1
		default:
			b.WriteString(imStart + m.Role + "\n" + string(m.Content) + imEnd + "\n")
		}
	}
	b.WriteString(imStart + "assistant\n")
	return b.String()
}

// toolsPreamble lists the tools' signatures and says how to call them.
func toolsPreamble(tools []ToolSchema) string {
	var b strings.Builder
	b.WriteString("# Tools\n\nThese functions are available. Their signatures are JSON objects inside <tools></tools>:\n<tools>")
	for _, t := range tools {
		line, _ := json.Marshal(t)
		b.WriteString("\n")
		b.Write(line)
	}
	b.WriteString("\n</tools>\n\nTo call functions, write one JSON object per call, with the function's name and its arguments, each inside <tool_call></tool_call> tags:\n" +
		"<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>")
	return b.String()
}

// xmlToolsPreamble lists the tools with their parameters in XML and says
// how to call them in the XML layout (xmlcall.go).
func xmlToolsPreamble(tools []ToolSchema) string {
	var b strings.Builder
	b.WriteString("# Tools\n\nThese functions are available:\n\n<tools>")
	for _, t := range tools {
		b.WriteString("\n<function>\n<name>" + t.Function.Name + "</name>")
		if t.Function.Description != "" {
			b.WriteString("\n<description>" + t.Function.Description + "</description>")
		}
		b.WriteString("\n<parameters>")
		params, _ := t.Function.Parameters.(map[string]any)
		props, _ := params["properties"].(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(props)) {
			prop, _ := props[name].(map[string]any)
			b.WriteString("\n<parameter>\n<name>" + name + "</name>")
			if typ, ok := prop["type"]; ok {
				b.WriteString("\n<type>" + schemaTypeText(typ) + "</type>")
			}
			if d, ok := prop["description"].(string); ok && d != "" {
				b.WriteString("\n<description>" + d + "</description>")
			}
			rest := map[string]any{}
			for k, v := range prop {
				if k != "type" && k != "description" {
					rest[k] = v
				}
			}
			if len(rest) > 0 { // enum, bounds, defaults, items: as JSON Schema
				j, _ := json.Marshal(rest)
				b.WriteString("\n<schema>" + string(j) + "</schema>")
			}
			b.WriteString("\n</parameter>")
		}
		if req, ok := params["required"]; ok {
			j, _ := json.Marshal(req)
			b.WriteString("\n<required>" + string(j) + "</required>")
		}
		b.WriteString("\n</parameters>\n</function>")
	}
	b.WriteString("\n</tools>\n\nTo call a function, write the call alone in this layout, one <tool_call> block per call; " +
		"give object and array values as JSON:\n" +
		"<tool_call>\n<function=FUNCTION_NAME>\n<parameter=PARAMETER_NAME>\nVALUE\n</parameter>\n</function>\n</tool_call>")
	return b.String()
}

// schemaTypeText writes a schema's "type": a name, or names joined by |.
func schemaTypeText(typ any) string {
	switch t := typ.(type) {
	case string:
		return t
	case []any:
		names := make([]string, 0, len(t))
		for _, v := range t {
			names = append(names, fmt.Sprint(v))
		}
		return strings.Join(names, "|")
	}
	j, _ := json.Marshal(typ)
	return string(j)
}

// toolResponses renders consecutive tool messages as one user turn of
// <tool_response> blocks.
func toolResponses(msgs []Message) string {
	var b strings.Builder
	b.WriteString(imStart + "user")
	for _, m := range msgs {
		b.WriteString("\n<tool_response>\n" + string(m.Content) + "\n</tool_response>")
	}
	b.WriteString(imEnd + "\n")
	return b.String()
}

// envSegment is what follows an assistant completion until the next
// generation prompt: the end of the assistant's turn (unless the model
// sampled it), the tool results, and the next assistant header.
func envSegment(toolMsgs []Message, closeTurn bool) string {
	s := "\n"
	if closeTurn {
		s = imEnd + "\n"
	}
	if len(toolMsgs) > 0 {
		s += toolResponses(toolMsgs)
	}
	return s + imStart + "assistant\n"
}

// completionTokens are the token fields vLLM and SGLang add to each choice
// of a completion (or a chunk of its stream) when asked with
// return_token_ids and logprobs.
type completionTokens struct {
	Choices []struct {
		Text           string `json:"text"`
		TokenIDs       []int  `json:"token_ids"`
		PromptTokenIDs []int  `json:"prompt_token_ids"`
		Logprobs       *struct {
			TokenLogprobs []*float64 `json:"token_logprobs"`
		} `json:"logprobs"`
	} `json:"choices"`
}

// completionsCall asks the policy for the next assistant turn through raw
// completions; prompt is the rendered text, or with ids the token ids.
func (pc *policyClients) completionsCall(ctx context.Context, spec PolicySpec, prompt string, ids []int, seed int64) (*policyTurn, error) {
	client, release, err := pc.slot(ctx, spec)
	if err != nil {
		return nil, err
	}
	defer release()
	cc := &callCapture{extra: samplingFields(spec, seed)}
	if spec.Tokens {
		cc.extra["logprobs"] = 1 // the sampled token's logprob (and one alternative)
		cc.extra["return_token_ids"] = true
	}
	if ids != nil {
		cc.extra["prompt"] = ids // go-openai's type takes text only; the body carries the ids
	}
	for k, v := range spec.Extra {
		cc.extra[k] = v
	}
	ctx = context.WithValue(ctx, captureKey{}, cc)
	req := openai.CompletionRequest{Model: spec.Model, Prompt: prompt, Stream: spec.Stream}
	var text, finish string
	if spec.Stream {
		stream, err := client.CreateCompletionStream(ctx, req)
		if err != nil {
			return nil, err
		}
		defer stream.Close()
		var sb strings.Builder
		for {
			chunk, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("stream: %w", err)
			}
			for _, ch := range chunk.Choices {
				sb.WriteString(ch.Text)
				if ch.FinishReason != "" {
					finish = ch.FinishReason
				}
			}
		}
		text = sb.String()
	} else {
		resp, err := client.CreateCompletion(ctx, req)
		if err != nil {
			return nil, err
		}
		if len(resp.Choices) == 0 {
			return nil, errors.New("the policy answered without choices")
		}
		text, finish = resp.Choices[0].Text, resp.Choices[0].FinishReason
	}
	turn := &policyTurn{message: Message{Role: "assistant", Content: Content(text)}, raw: text}
	if spec.Tokens {
		turn.tokens, turn.missing = completionTokensOf(cc.raw.Bytes(), spec.Stream, finish)
	}
	return turn, nil
}

// completionTokensOf reads a completion's (or a stream's) token fields.
func completionTokensOf(raw []byte, stream bool, finish string) (*TurnTokens, string) {
	t := &TurnTokens{FinishReason: finish}
	add := func(v completionTokens) {
		for _, ch := range v.Choices {
			if len(ch.PromptTokenIDs) > 0 {
				t.PromptIDs = ch.PromptTokenIDs
			}
			t.CompletionIDs = append(t.CompletionIDs, ch.TokenIDs...)
			if ch.Logprobs != nil {
				for _, lp := range ch.Logprobs.TokenLogprobs {
					if lp != nil {
						t.Logprobs = append(t.Logprobs, *lp)
					} else {
						t.Logprobs = append(t.Logprobs, 0)
					}
				}
			}
		}
	}
	if stream {
		forEachEvent(raw, func(data []byte) {
			var v completionTokens
			if json.Unmarshal(data, &v) == nil {
				add(v)
			}
		})
	} else {
		var v completionTokens
		if json.Unmarshal(raw, &v) != nil || len(v.Choices) == 0 {
			return nil, tokensMissing
		}
		add(v)
	}
	return checkTokens(t)
}

// tokenizeURL is the policy server's tokenizer: vLLM and SGLang serve
// POST /tokenize beside the /v1 API root.
func tokenizeURL(baseURL string) string {
	return strings.TrimSuffix(strings.TrimRight(baseURL, "/"), "/v1") + "/tokenize"
}

// tokenize asks the policy server for the token ids of text, without the
// special tokens (BOS) a prompt would get.
func (pc *policyClients) tokenize(ctx context.Context, spec PolicySpec, text string) ([]int, error) {
	body, _ := json.Marshal(map[string]any{"model": spec.Model, "prompt": text, "add_special_tokens": false})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenizeURL(spec.BaseURL), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if spec.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+spec.APIKey)
	}
	resp, err := pc.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("tokenize: HTTP %d: %s", resp.StatusCode, firstLine(data))
	}
	var out struct {
		Tokens []int `json:"tokens"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	return out.Tokens, nil
}

// endOfTurnID is the id of <|im_end|> on an endpoint (asked once), or -1
// when it is not one token there.
func (pc *policyClients) endOfTurnID(ctx context.Context, spec PolicySpec) (int, error) {
	pc.mu.Lock()
	id, ok := pc.imEnd[spec.BaseURL+"\x00"+spec.Model]
	pc.mu.Unlock()
	if ok {
		return id, nil
	}
	ids, err := pc.tokenize(ctx, spec, imEnd)
	if err != nil {
		return -1, err
	}
	id = -1
	if len(ids) == 1 {
		id = ids[0]
	}
	pc.mu.Lock()
	pc.imEnd[spec.BaseURL+"\x00"+spec.Model] = id
	pc.mu.Unlock()
	return id, nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// completionsPrompt is a completions-mode episode's next prompt: always
// as text, and as token ids while the server gives them.
type completionsPrompt struct {
	text      string
	ids       []int // nil: send text
	tokenMode bool  // prompts go as ids once the server has given some
}

// advance extends the prompt past a turn: the completion the model wrote
// and the environment's segment (its tool results and the next assistant
// header). With token ids the completion's ids are kept as sampled and only
// the environment's text is tokenized; a failure there falls back to text
// and says why.
func (pc *policyClients) advance(ctx context.Context, spec PolicySpec, p *completionsPrompt, turn *policyTurn, toolMsgs []Message) string {
	p.text += turn.raw + envSegment(toolMsgs, true) // the text prompt is kept whole for a fallback
	if !p.tokenMode || turn.tokens == nil {
		p.ids, p.tokenMode = nil, false
		return ""
	}
	endID, err := pc.endOfTurnID(ctx, spec)
	sampled := turn.tokens.CompletionIDs
	closeTurn := err != nil || endID < 0 || len(sampled) == 0 || sampled[len(sampled)-1] != endID
	seg := envSegment(toolMsgs, closeTurn)
	var segIDs []int
	if err == nil {
		segIDs, err = pc.tokenize(ctx, spec, seg)
	}
	if err != nil {
		p.ids, p.tokenMode = nil, false
		return fmt.Sprintf("the environment's tokens could not be tokenized by the policy server (%v); later prompts were sent as text", err)
	}
	ids := make([]int, 0, len(turn.tokens.PromptIDs)+len(turn.tokens.CompletionIDs)+len(segIDs))
	p.ids = append(append(append(ids, turn.tokens.PromptIDs...), turn.tokens.CompletionIDs...), segIDs...)
	return ""
}
