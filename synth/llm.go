package synth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/dive-env/dive/internal/chatcall"

	"golang.org/x/time/rate"

	openai "github.com/sashabaranov/go-openai"

	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// LLMConfig configures the model-driven generator: the DIVE loop of
// evidence collection (the model calls real tools) and task derivation
// (the model writes a question and answer entailed by the evidence),
// repeated for a few rounds, each evolving the previous question.
type LLMConfig struct {
	BaseURL, Model, APIKey string
	Rounds                 int           // default 3
	Steps                  int           // tool-calling turns per round, default 5
	Timeout                time.Duration // per request, default 120 s
	Retries                int           // more attempts after a timeout, 429 or 5xx (default 4)
	Backoff                time.Duration // first wait between attempts, doubled each time (default 1 s)
	RequestsPerSecond      float64       // client-side rate limit over all workers; 0 for none
	HTTPClient             *http.Client
}

// LLMTask is what one seed produced.
type LLMTask struct {
	Task       tasks.Task
	Rounds     int
	TokensUsed int
}

const collectPrompt = `You are collecting evidence to write a hard, verifiable question. Use the tools to look up and compute real facts
about the seed topic: retrieve first, then process what you retrieved. Call tools; when you have gathered enough (or
the tools cannot help further), reply with a short summary of what you found and no tool call.`

const derivePrompt = `Write one question and its answer, strictly entailed by the evidence (the tool results below): every fact
the answer needs must appear in the evidence; do not use outside knowledge. The question must be self-contained,
unambiguous, and need several of the evidence's facts. If a previous question is given, make a harder question that
builds on it with the new evidence. Follow the structure, not the content, of the exemplar questions.
Reply with one JSON object and nothing else: {"question": "...", "answer": "<short answer>", "reasoning": "<how the evidence entails it>"}`

// LLMGenerator runs the loop against an OpenAI-compatible endpoint.
type LLMGenerator struct {
	cfg    LLMConfig
	client *openai.Client
	reg    *toolexec.Registry
	limit  *rate.Limiter
}

// NewLLMGenerator returns a generator over the tools of reg.
func NewLLMGenerator(cfg LLMConfig, reg *toolexec.Registry) (*LLMGenerator, error) {
	if cfg.BaseURL == "" || cfg.Model == "" {
		return nil, errors.New("the LLM generator needs a base URL and a model")
	}
	if cfg.Rounds <= 0 {
		cfg.Rounds = 3
	}
	if cfg.Steps <= 0 {
		cfg.Steps = 5
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 120 * time.Second
	}
	if cfg.Retries == 0 {
		cfg.Retries = 4
	} else if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.HTTPClient != nil {
		oc.HTTPClient = cfg.HTTPClient
	}
	g := &LLMGenerator{cfg: cfg, client: openai.NewClientWithConfig(oc), reg: reg}
	if cfg.RequestsPerSecond > 0 {
		g.limit = rate.NewLimiter(rate.Limit(cfg.RequestsPerSecond), 1)
	}
	return g, nil
}

func (g *LLMGenerator) chat(ctx context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
	req.Model = g.cfg.Model
	resp, _, err := chatcall.Complete(ctx, g.client, req, chatcall.Options{Timeout: g.cfg.Timeout, Retries: g.cfg.Retries, Backoff: g.cfg.Backoff, Limit: g.limit})
	if err != nil {
		return resp, fmt.Errorf("chat completion: %w", err)
	}
	if len(resp.Choices) == 0 {
		return resp, errors.New("chat completion: no choices")
	}
	return resp, nil
}

// Make runs the rounds for one seed with a toolset and exemplar questions.
func (g *LLMGenerator) Make(ctx context.Context, id, domain, seed string, toolset []*toolexec.Tool, exemplars []string) (LLMTask, error) {
	byName := map[string]*toolexec.Tool{}
	var tools []openai.Tool
	var ids []string
	for _, t := range toolset {
		byName[t.Manifest.Name] = t
		ids = append(ids, t.Manifest.ID)
		tools = append(tools, openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
			Name: t.Manifest.Name, Description: t.Manifest.Description, Parameters: json.RawMessage(t.Manifest.Parameters)}})
	}
	began := time.Now()
	var evidence []Evidence
	var history []map[string]string
	question, answer := "", ""
	used := 0
	for round := 1; round <= g.cfg.Rounds; round++ {
		// Evidence collection.
		user := "Seed topic: " + seed
		if question != "" {
			user += "\nThe current question is: " + question + "\nCollect new evidence that could make it harder."
		}
		msgs := []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleSystem, Content: collectPrompt}, {Role: openai.ChatMessageRoleUser, Content: user}}
		for step := 0; step < g.cfg.Steps; step++ {
			resp, err := g.chat(ctx, openai.ChatCompletionRequest{Messages: msgs, Tools: tools})
			if err != nil {
				return LLMTask{}, fmt.Errorf("round %d evidence: %w", round, err)
			}
			used += resp.Usage.TotalTokens
			msg := resp.Choices[0].Message
			msgs = append(msgs, msg)
			if len(msg.ToolCalls) == 0 {
				break
			}
			for _, tc := range msg.ToolCalls {
				content := ""
				if t, ok := byName[tc.Function.Name]; !ok {
					content = fmt.Sprintf("error: unknown tool %q", tc.Function.Name)
				} else {
					res := g.reg.Call(ctx, t, json.RawMessage(tc.Function.Arguments))
					content = res.Content()
					if res.Err == nil {
						evidence = append(evidence, Evidence{Tool: t.Manifest.ID, Arguments: json.RawMessage(tc.Function.Arguments), Output: json.RawMessage(res.Output)})
					}
				}
				msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, ToolCallID: tc.ID, Name: tc.Function.Name, Content: content})
			}
		}
		if len(evidence) == 0 {
			return LLMTask{}, fmt.Errorf("round %d: the model gathered no evidence", round)
		}
		// Task derivation.
		ev, _ := json.MarshalIndent(evidence, "", " ")
		var b strings.Builder
		if len(exemplars) > 0 {
			b.WriteString("Exemplar questions (structure only):\n")
			for _, e := range exemplars {
				b.WriteString("- " + e + "\n")
			}
		}
		if question != "" {
			b.WriteString("\nPrevious question: " + question + "\nPrevious answer: " + answer + "\n")
		}
		b.WriteString("\nEvidence:\n" + string(ev))
		resp, err := g.chat(ctx, openai.ChatCompletionRequest{Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: derivePrompt}, {Role: openai.ChatMessageRoleUser, Content: b.String()}}})
		if err != nil {
			return LLMTask{}, fmt.Errorf("round %d derivation: %w", round, err)
		}
		used += resp.Usage.TotalTokens
		q, a, reasoning, err := parseDerivation(resp.Choices[0].Message.Content)
		if err != nil {
			return LLMTask{}, fmt.Errorf("round %d derivation: %w", round, err)
		}
		question, answer = q, a
		history = append(history, map[string]string{"question": q, "answer": a, "reasoning": reasoning})
	}
	evJSON, err := json.Marshal(evidence)
	if err != nil {
		return LLMTask{}, err
	}
	seedJSON, _ := json.Marshal(seed)
	return LLMTask{Task: tasks.Task{ID: id, Question: question, GroundTruth: answer, Tools: ids, Domain: domain, Seed: seedJSON, Evidence: evJSON,
		Metadata: map[string]any{"generator": "synth/llm", "model": g.cfg.Model, "rounds": g.cfg.Rounds, "derivations": history, "tokens": used,
			"seconds": time.Since(began).Seconds(), "tool_calls": len(evidence)}},
		Rounds: g.cfg.Rounds, TokensUsed: used}, nil
}

// parseDerivation reads {"question", "answer", "reasoning"} from the model's reply.
func parseDerivation(content string) (q, a, reasoning string, err error) {
	i, k := strings.Index(content, "{"), strings.LastIndex(content, "}")
	if i < 0 || k <= i {
		return "", "", "", fmt.Errorf("no JSON object in %.200q", content)
	}
	var v struct {
		Question  string `json:"question"`
		Answer    any    `json:"answer"`
		Reasoning string `json:"reasoning"`
	}
	if err := json.Unmarshal([]byte(content[i:k+1]), &v); err != nil {
		return "", "", "", fmt.Errorf("derivation JSON: %w", err)
	}
	a = strings.TrimSpace(fmt.Sprint(v.Answer))
	if v.Answer == nil || strings.TrimSpace(v.Question) == "" || a == "" {
		return "", "", "", fmt.Errorf("derivation lacks a question or an answer: %.200q", content)
	}
	return strings.TrimSpace(v.Question), a, v.Reasoning, nil
}

// SampleToolset draws n tools of the domain and general tools (unique names).
func SampleToolset(reg *toolexec.Registry, domain string, n int, rng *rand.Rand) []*toolexec.Tool {
	pools := toolPools(reg)
	cands := append(append([]*toolexec.Tool(nil), pools[domain]...), pools["general"]...)
	rng.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	names := map[string]bool{}
	var out []*toolexec.Tool
	for _, t := range cands {
		if len(out) == n {
			break
		}
		if !names[t.Manifest.Name] {
			names[t.Manifest.Name] = true
			out = append(out, t)
		}
	}
	return out
}

// DefaultSeeds are seed topics per domain, those of the offline recipes:
// subjects the offline tool pool has real data or computation for.
var DefaultSeeds = map[string][]string{
	"biological": {"GC content", "genetic code", "protein synthesis", "isoelectric point", "Palmer penguins", "barley trials"},
	"general":    {"Mauna Loa CO2", "weather in Seattle and New York", "global temperature", "US ZIP codes", "calendars and Easter", "countries and capitals", "US airports"},
	"financial":  {"loan payments", "S&P 500 history", "US employment by industry", "unemployment by industry", "compound interest", "mortgages"},
	"medical":    {"body mass index", "kidney function (eGFR)", "life expectancy", "Crimean War mortality", "antibiotic effectiveness"},
	"academic":   {"h-index", "ISBN ranges", "ISSN barcodes", "journals and their ISSNs", "citation styles"},
}
