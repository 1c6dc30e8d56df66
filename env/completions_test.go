package env

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Ids of the fake tokenizer: ChatML's markers are one token each, every
// other byte is its own token, and mergedSeventeen is "17" as one token —
// a tokenization the model may sample but the tokenizer never produces, so
// re-tokenizing the conversation would lose it.
const (
	idIMStart        = 151644
	idIMEnd          = 151645
	mergedSeventeen  = 70017
	fakeToolResponse = "<tool_response>"
)

func fakeTokenize(s string) []int {
	var ids []int
	for len(s) > 0 {
		switch {
		case strings.HasPrefix(s, imStart):
			ids, s = append(ids, idIMStart), s[len(imStart):]
		case strings.HasPrefix(s, imEnd):
			ids, s = append(ids, idIMEnd), s[len(imEnd):]
		default:
			ids, s = append(ids, int(s[0])), s[1:]
		}
	}
	return ids
}

func fakeDetokenize(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		switch id {
		case idIMStart:
			b.WriteString(imStart)
		case idIMEnd:
			b.WriteString(imEnd)
		case mergedSeventeen:
			b.WriteString("17")
		default:
			b.WriteByte(byte(id))
		}
	}
	return b.String()
}

// fakeCompletions is a loopback policy server speaking the completions
// wire format as vLLM and SGLang do with return_token_ids and logprobs
// (token ids and prompt ids on the choice, token_logprobs), and /tokenize.
// It calls the calculator on the first turn and answers once it sees a tool
// response. Each completion ends with the sampled <|im_end|>.
type fakeCompletions struct {
	answer     string
	noTokenize bool
	// xml: the model of chatml-qwen3-coder, calling in the XML layout; it
	// answers wrongly if its prompt does not describe that layout.
	xml bool

	mu      sync.Mutex
	prompts []any // each call's prompt as sent: a string or ids
}

func (f *fakeCompletions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/tokenize":
		if f.noTokenize {
			http.NotFound(w, r)
			return
		}
		if req["add_special_tokens"] != false {
			http.Error(w, "special tokens would be added", http.StatusBadRequest)
			return
		}
		ids := fakeTokenize(req["prompt"].(string))
		_ = json.NewEncoder(w).Encode(map[string]any{"tokens": ids, "count": len(ids), "max_model_len": 32768})
		return
	case "/v1/completions":
	default:
		http.NotFound(w, r)
		return
	}
	var promptIDs []int
	switch p := req["prompt"].(type) {
	case string:
		promptIDs = fakeTokenize(p)
	case []any:
		for _, v := range p {
			promptIDs = append(promptIDs, int(v.(float64)))
		}
	}
	f.mu.Lock()
	f.prompts = append(f.prompts, req["prompt"])
	f.mu.Unlock()
	text := "Let me compute.\n<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"17*23\"}}\n</tool_call>"
	if f.xml {
		text = "Let me compute.\n<tool_call>\n<function=calculator>\n<parameter=expression>\n17*23\n</parameter>\n</function>\n</tool_call>"
	}
	prompt := fakeDetokenize(promptIDs)
	switch {
	case f.xml && !strings.Contains(prompt, "<parameter>\n<name>expression</name>\n<type>string</type>"):
		text = "<answer>I was not told how to call the tools</answer>"
	case strings.Contains(prompt, fakeToolResponse):
		text = "<answer>" + f.answer + "</answer>"
	}
	ids := fakeTokenize(text)
	if i := strings.Index(text, "17"); i >= 0 { // the model sampled "17" as one token
		ids = append(append(fakeTokenize(text[:i]), mergedSeventeen), fakeTokenize(text[i+2:])...)
	}
	ids = append(ids, idIMEnd) // stopped on EOS: in the ids, not the text
	lps := make([]float64, len(ids))
	for i := range lps {
		lps[i] = -0.001 * float64(i+1)
	}
	choice := map[string]any{"index": 0, "text": text, "finish_reason": "stop", "token_ids": ids, "prompt_token_ids": promptIDs,
		"logprobs": map[string]any{"token_logprobs": lps, "tokens": make([]string, len(ids))}}
	if req["stream"] == true {
		w.Header().Set("Content-Type", "text/event-stream")
		half := len(text) / 2
		idHalf := len(ids) / 2
		chunks := []map[string]any{
			{"index": 0, "text": text[:half], "token_ids": ids[:idHalf], "prompt_token_ids": promptIDs, "logprobs": map[string]any{"token_logprobs": lps[:idHalf]}},
			{"index": 0, "text": text[half:], "token_ids": ids[idHalf:], "finish_reason": "stop", "logprobs": map[string]any{"token_logprobs": lps[idHalf:]}},
		}
		for _, c := range chunks {
			b, _ := json.Marshal(map[string]any{"id": "cmpl-1", "object": "text_completion", "created": 1, "model": req["model"], "choices": []any{c}})
			fmt.Fprintf(w, "data: %s\n\n", b)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"id": "cmpl-1", "object": "text_completion", "created": 1, "model": req["model"],
		"choices": []any{choice}, "usage": map[string]any{"prompt_tokens": len(promptIDs), "completion_tokens": len(ids)}})
}

func newCompletionsRollout(t *testing.T, f *fakeCompletions) (*testEnv, RolloutParams) {
	t.Helper()
	te := newTestEnv(t, nil, nil)
	task := calculatorTask(t, te)
	truth, _ := te.tasks.Get(task)
	f.answer = truth.GroundTruth
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	seed := uint64(7)
	return te, RolloutParams{TaskID: task, N: 2, Seed: &seed, Limits: RolloutLimits{CallTimeoutS: 5},
		Policy: PolicySpec{BaseURL: hs.URL + "/v1", Model: "policy", API: PolicyAPICompletions, Template: TemplateChatMLHermes, Tokens: true}}
}

// TestRolloutCompletionsTokenInTokenOut: with the completions API and
// tokens, dive renders the ChatML prompt, parses the <tool_call> block,
// and sends the second prompt as token ids: the first prompt, the
// completion exactly as sampled (the merged "17" and the sampled
// <|im_end|> included) and the tokenized tool results. The flat sequence
// is that prompt plus the answer, its mask the two completions; decoded,
// the ids prompt is the text prompt a re-render would give.
func TestRolloutCompletionsTokenInTokenOut(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			f := &fakeCompletions{}
			te, p := newCompletionsRollout(t, f)
			p.Policy.Stream = stream
			res, perr := te.engine.Rollout(context.Background(), "c", p, nil)
			if perr != nil {
				t.Fatal(perr)
			}
			if res.MeanReward != 1 || res.Failed != 0 {
				t.Fatalf("result %+v", res)
			}
			for _, ep := range res.Episodes {
				if ep.Reason != ReasonAnswer || ep.ToolCalls != 1 || ep.Turns != 2 {
					t.Fatalf("episode %+v", ep)
				}
				if call := ep.Messages[2].ToolCalls; len(call) != 1 || call[0].Function.Name != "calculator" || ep.Messages[3].Role != "tool" ||
					!strings.Contains(string(ep.Messages[3].Content), "391") {
					t.Fatalf("the parsed call and its result: %+v", ep.Messages[2:4])
				}
				tt := ep.Tokens
				if tt == nil || tt.Missing != "" || len(tt.Turns) != 2 {
					t.Fatalf("tokens %+v", tt)
				}
				first, second := tt.Turns[0], tt.Turns[1]
				if !slices.Equal(second.PromptIDs[:len(first.PromptIDs)+len(first.CompletionIDs)], append(slices.Clone(first.PromptIDs), first.CompletionIDs...)) ||
					!slices.Contains(second.PromptIDs, mergedSeventeen) {
					t.Fatal("the second prompt does not carry the first prompt and the sampled completion as they were")
				}
				if !slices.Equal(tt.IDs, append(slices.Clone(second.PromptIDs), second.CompletionIDs...)) || len(tt.Mask) != len(tt.IDs) || len(tt.Logprobs) != len(tt.IDs) {
					t.Fatalf("flat ids %v", tt.IDs)
				}
				sampled := 0
				for _, m := range tt.Mask {
					sampled += m
				}
				if sampled != len(first.CompletionIDs)+len(second.CompletionIDs) || tt.Logprobs[len(first.PromptIDs)] != -0.001 {
					t.Fatalf("mask covers %d tokens; logprob of the first sampled token %v", sampled, tt.Logprobs[len(first.PromptIDs)])
				}
				// Decoded, the ids prompt is the full ChatML rendering of the
				// conversation so far: nothing lost, nothing doubled.
				wantText := renderChatML(TemplateChatMLHermes, ep.Messages[:4], ep.Tools, []string{fakeDetokenize(first.CompletionIDs[:len(first.CompletionIDs)-1])})
				if got := fakeDetokenize(second.PromptIDs); got != wantText {
					t.Fatalf("decoded prompt\n%q\nwant\n%q", got, wantText)
				}
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			texts, idPrompts := 0, 0
			for _, pr := range f.prompts {
				switch pr.(type) {
				case string:
					texts++
				case []any:
					idPrompts++
				}
			}
			if texts != 2 || idPrompts != 2 {
				t.Fatalf("%d text and %d id prompts; want the first of each episode as text", texts, idPrompts)
			}
		})
	}
}

// TestRolloutCompletionsWithoutTokenizer: a server without /tokenize still
// plays the episode, with text prompts; the trace says why the sequence is
// not whole. Without tokens every prompt is text.
func TestRolloutCompletionsWithoutTokenizer(t *testing.T) {
	f := &fakeCompletions{noTokenize: true}
	te, p := newCompletionsRollout(t, f)
	res, perr := te.engine.Rollout(context.Background(), "c", p, nil)
	if perr != nil {
		t.Fatal(perr)
	}
	for _, ep := range res.Episodes {
		if ep.Reward.Label != "correct" || ep.Tokens == nil || !strings.Contains(ep.Tokens.Missing, "could not be tokenized") {
			t.Fatalf("episode %+v tokens %+v", ep, ep.Tokens)
		}
	}
	p.Policy.Tokens = false
	f.prompts = nil
	res, perr = te.engine.Rollout(context.Background(), "c", p, nil)
	if perr != nil || res.MeanReward != 1 || res.Episodes[0].Tokens != nil {
		t.Fatalf("%+v %+v", res, perr)
	}
	for _, pr := range f.prompts {
		s, ok := pr.(string)
		if !ok || !strings.HasPrefix(s, imStart+"system\n") || !strings.HasSuffix(s, imStart+"assistant\n") {
			t.Fatalf("prompt %v", pr)
		}
	}
}

// TestRolloutCompletionsQwen3Coder: with the chatml-qwen3-coder template
// the prompt describes the tools in XML, the model's XML call is parsed and
// run, and the episode is scored correct, token ids kept as sampled.
func TestRolloutCompletionsQwen3Coder(t *testing.T) {
	f := &fakeCompletions{xml: true}
	te, p := newCompletionsRollout(t, f)
	p.Policy.Template = TemplateChatMLQwen3Coder
	res, perr := te.engine.Rollout(context.Background(), "c", p, nil)
	if perr != nil {
		t.Fatal(perr)
	}
	if res.MeanReward != 1 || res.Failed != 0 {
		t.Fatalf("result %+v", res)
	}
	for _, ep := range res.Episodes {
		call := ep.Messages[2].ToolCalls
		if len(call) != 1 || call[0].Function.Name != "calculator" || string(call[0].Function.Arguments) != `{"expression":"17*23"}` ||
			!strings.Contains(string(ep.Messages[3].Content), "391") {
			t.Fatalf("the parsed call and its result: %+v", ep.Messages[2:4])
		}
		if ep.Tokens == nil || ep.Tokens.Missing != "" || len(ep.Tokens.Turns) != 2 {
			t.Fatalf("tokens %+v", ep.Tokens)
		}
	}
	// The same model under the hermes template is not told its layout.
	p.Policy.Template = TemplateChatMLHermes
	res, perr = te.engine.Rollout(context.Background(), "c", p, nil)
	if perr != nil || res.MeanReward != 0 {
		t.Fatalf("under chatml-hermes: %+v %v", res, perr)
	}
	p.Policy.Template = "llama3"
	if _, perr := te.engine.Rollout(context.Background(), "c", p, nil); perr == nil || perr.Code != CodeBadRequest {
		t.Fatalf("an unknown template: %v", perr)
	}
}

// TestRenderQwen3CoderTools: each function with its parameters in XML —
// name, type, description, the rest of the property's schema as JSON — the
// required list, and the call layout.
func TestRenderQwen3CoderTools(t *testing.T) {
	var params any
	if err := json.Unmarshal([]byte(`{"type": "object", "required": ["sequence"], "properties": {
		"table": {"type": "integer", "minimum": 1, "description": "Code table."},
		"sequence": {"type": "string", "description": "DNA."},
		"mode": {"type": ["string", "null"], "enum": ["a", "b", null]}}}`), &params); err != nil {
		t.Fatal(err)
	}
	tools := []ToolSchema{{Type: "function", Function: ToolFunction{Name: "translate", Description: "Translate DNA.", Parameters: params}}}
	got := renderChatML(TemplateChatMLQwen3Coder, []Message{{Role: "user", Content: "Go."}}, tools, nil)
	want := "<|im_start|>system\n# Tools\n\nThese functions are available:\n\n<tools>\n<function>\n<name>translate</name>\n<description>Translate DNA.</description>\n<parameters>" +
		"\n<parameter>\n<name>mode</name>\n<type>string|null</type>\n<schema>{\"enum\":[\"a\",\"b\",null]}</schema>\n</parameter>" +
		"\n<parameter>\n<name>sequence</name>\n<type>string</type>\n<description>DNA.</description>\n</parameter>" +
		"\n<parameter>\n<name>table</name>\n<type>integer</type>\n<description>Code table.</description>\n<schema>{\"minimum\":1}</schema>\n</parameter>" +
		"\n<required>[\"sequence\"]</required>\n</parameters>\n</function>\n</tools>\n\n"
	if !strings.HasPrefix(got, want) {
		t.Fatalf("rendering:\n%s\nwant a prefix:\n%s", got, want)
	}
	if !strings.Contains(got, "<tool_call>\n<function=FUNCTION_NAME>\n<parameter=PARAMETER_NAME>\nVALUE\n</parameter>\n</function>\n</tool_call><|im_end|>\n<|im_start|>user\nGo.<|im_end|>\n<|im_start|>assistant\n") {
		t.Fatalf("rendering:\n%s", got)
	}
}

// TestRenderChatML: the template's layout, tools in the system turn and
// consecutive tool results in one user turn.
func TestRenderChatML(t *testing.T) {
	tools := []ToolSchema{{Type: "function", Function: ToolFunction{Name: "calculator", Description: "Evaluate", Parameters: map[string]any{"type": "object"}}}}
	msgs := []Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "2+2?"},
		{Role: "assistant", Content: "parsed"}, {Role: "tool", Content: "4"}, {Role: "tool", Content: "5"}}
	got := renderChatML(TemplateChatMLHermes, msgs, tools, []string{"raw <tool_call>…</tool_call>"})
	for _, want := range []string{
		"<|im_start|>system\nBe brief.\n\n# Tools\n",
		`{"type":"function","function":{"name":"calculator","description":"Evaluate","parameters":{"type":"object"}}}`,
		"</tool_call><|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n",
		"<|im_start|>assistant\nraw <tool_call>…</tool_call><|im_end|>\n",
		"<|im_start|>user\n<tool_response>\n4\n</tool_response>\n<tool_response>\n5\n</tool_response><|im_end|>\n<|im_start|>assistant\n",
	} {
		if !strings.Contains(got, want) {
			t.Fatalf("rendering lacks %q:\n%s", want, got)
		}
	}
	if !strings.HasSuffix(got, "<|im_start|>assistant\n") || strings.Contains(got, "parsed") {
		t.Fatalf("rendering:\n%s", got)
	}
}

// TestAddFields: fields are appended to the body without decoding it
// unless one is already a key somewhere in it; then the body is re-encoded
// with the field replaced. Raw values are written as they are.
func TestAddFields(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		fields     map[string]any
		want       string
	}{
		{"append", `{"model":"m","messages":[{"role":"user","content":"say \"seed\": 1"}]}`, map[string]any{"seed": 3, "tools": json.RawMessage(`[{"a":1}]`)},
			`{"model":"m","messages":[{"role":"user","content":"say \"seed\": 1"}],"seed":3,"tools":[{"a":1}]}`},
		{"empty object", `{}`, map[string]any{"seed": 3}, `{"seed":3}`},
		{"collision", `{"prompt":"","model":"m"}`, map[string]any{"prompt": []int{1, 2}}, `{"model":"m","prompt":[1,2]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := addFields([]byte(tc.body), tc.fields)
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %s (%v), want %s", got, err, tc.want)
			}
		})
	}
	if _, err := addFields([]byte(`not json`), map[string]any{"not": 1}); err == nil {
		t.Fatal("a body that is not an object was accepted")
	}
}
