package reward

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dive-env/dive/internal/chatcall"

	openai "github.com/sashabaranov/go-openai"

	"github.com/dive-env/dive/tasks"
)

// JudgeName is the name of the LLM-judge scorer; HybridName is the
// deterministic matcher with the judge where it cannot decide.
const (
	JudgeName  = "judge"
	HybridName = "match+judge"
)

// judgePromptVersion changes when the prompt does, so that cached verdicts
// of an older prompt are not reused.
const judgePromptVersion = "dive-judge-v2"

// judgeSystemPrompt has the DIVE reference verifier's semantics: the
// factual content of the whole final answer against the reference, three
// labels, a "JUDGEMENT:" line then an "EXPLANATION:" line. Hedges and
// refusals are spelled out as incorrect.
const judgeSystemPrompt = `You check a model's answer to a question against a reference answer.
Compare what the answer states as facts, not how it is written: wording, formatting, markdown, the order of
presentation, reasoning shown before the answer, equivalent units and rounding the question allows do not matter.
Decide on the core facts:
- correct: every key fact of the reference is stated and none is contradicted;
- partial: the core of the answer is right but some details are wrong, missing or less precise than asked;
- incorrect: the main answer is wrong or missing, the answer declines to answer, or it hedges between
  alternatives (several candidate values, "yes or no") instead of committing to one.
Reply with exactly two lines:
JUDGEMENT: correct | partial | incorrect
EXPLANATION: <one sentence>`

// JudgeConfig configures the LLM judge: any OpenAI-compatible chat
// completions endpoint.
type JudgeConfig struct {
	// Rewards maps the judge's label to the reward (default 1, 0, 0).
	Rewards LabelRewards
	BaseURL string // e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1
	Model   string
	APIKey  string
	// Timeout bounds one request (default 60 s); Retries more attempts
	// after a timeout, a 429 or a 5xx (default 3), waiting Backoff, doubled
	// each time (default 500 ms).
	Timeout time.Duration
	Retries int
	Backoff time.Duration
	// MaxConcurrency bounds requests in flight (default 8).
	MaxConcurrency int
	// CacheDir keeps verdicts on disk by content hash; "" keeps none.
	CacheDir string
	// HTTPClient replaces the default client (tests).
	HTTPClient *http.Client
}

// Verdict is the judge's answer.
type Verdict struct {
	Label     Label  `json:"label"`
	Rationale string `json:"rationale"`
	Model     string `json:"model"`
	Cached    bool   `json:"-"`
}

// JudgeError is a judge that could not give a verdict.
type JudgeError struct {
	Kind     string // timeout, unreachable, http_status, unparseable, canceled
	Attempts int
	Err      error
}

func (e *JudgeError) Error() string {
	return fmt.Sprintf("LLM judge failed (%s after %d attempt(s)): %v", e.Kind, e.Attempts, e.Err)
}

func (e *JudgeError) Unwrap() error { return e.Err }

// Judge scores answers with an LLM. It is safe for concurrent use.
type Judge struct {
	cfg      JudgeConfig
	client   *openai.Client
	sem      chan struct{}
	requests atomic.Int64
}

// NewJudge returns a judge for cfg.
func NewJudge(cfg JudgeConfig) (*Judge, error) {
	if cfg.BaseURL == "" || cfg.Model == "" {
		return nil, errors.New("the LLM judge needs a base URL and a model")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	} else if cfg.Retries == 0 {
		cfg.Retries = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.MaxConcurrency <= 0 {
		cfg.MaxConcurrency = 8
	}
	if cfg.Rewards == (LabelRewards{}) {
		cfg.Rewards = DefaultLabelRewards()
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.HTTPClient != nil {
		oc.HTTPClient = cfg.HTTPClient
	}
	if cfg.CacheDir != "" {
		if err := os.MkdirAll(cfg.CacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("judge cache: %w", err)
		}
	}
	return &Judge{cfg: cfg, client: openai.NewClientWithConfig(oc), sem: make(chan struct{}, cfg.MaxConcurrency)}, nil
}

// Requests is how many requests the judge has sent.
func (j *Judge) Requests() int64 { return j.requests.Load() }

// Name implements Scorer.
func (j *Judge) Name() string { return JudgeName }

// Score implements Scorer: the judge reads the whole final message (as
// DIVE's verifier does, <think> blocks aside) and its label is mapped to
// the reward by the configured label rewards.
func (j *Judge) Score(ctx context.Context, task *tasks.Task, response string) (Result, error) {
	ans := Extract(response)
	res := Result{Extracted: ans.Text, Scorer: JudgeName, Components: map[string]float64{
		"answer_found": b2f(ans.Text != ""), "answer_tagged": b2f(ans.Method != MethodWhole),
	}}
	if ans.Text == "" {
		res.Label, res.Explanation, res.DecidedBy = Incorrect, "no answer found in the response", DecidedByRule
		res.Components["correctness"] = 0
		return res, nil
	}
	v, err := j.Verdict(ctx, task.Question, task.GroundTruth, judgedText(response))
	if err != nil {
		return Result{}, err
	}
	res.Label, res.Score = v.Label, j.cfg.Rewards.For(v.Label)
	res.Components["correctness"] = res.Score
	res.Components["judge_cached"] = b2f(v.Cached)
	res.DecidedBy = v.decidedBy()
	res.Explanation = fmt.Sprintf("LLM judge (%s): %s", v.Model, v.Rationale)
	return res, nil
}

// maxJudgeAnswer bounds the answer sent to the judge: its last 8 KB.
const maxJudgeAnswer = 8 << 10

// judgedText is the final message as the judge reads it.
func judgedText(response string) string {
	s := strings.TrimSpace(stripThink(response))
	if len(s) > maxJudgeAnswer {
		s = "…" + s[len(s)-maxJudgeAnswer:]
	}
	return s
}

func (v Verdict) decidedBy() string {
	if v.Cached {
		return DecidedByJudgeCache
	}
	return DecidedByJudge
}

// cacheKey hashes everything the verdict depends on.
func (j *Judge) cacheKey(question, reference, answer string) string {
	h := sha256.New()
	for _, s := range []string{judgePromptVersion, j.cfg.Model, question, reference, answer} {
		fmt.Fprintf(h, "%d:%s\n", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (j *Judge) cachePath(key string) string {
	return filepath.Join(j.cfg.CacheDir, key[:2], key+".json")
}

func (j *Judge) cached(key string) (Verdict, bool) {
	if j.cfg.CacheDir == "" {
		return Verdict{}, false
	}
	b, err := os.ReadFile(j.cachePath(key))
	if err != nil {
		return Verdict{}, false
	}
	var v Verdict
	if json.Unmarshal(b, &v) != nil || (v.Label != Correct && v.Label != Partial && v.Label != Incorrect) {
		return Verdict{}, false // a torn or foreign file: ask again
	}
	v.Cached = true
	return v, true
}

// store writes a verdict atomically (temporary file, then rename).
func (j *Judge) store(key string, v Verdict) error {
	if j.cfg.CacheDir == "" {
		return nil
	}
	path := j.cachePath(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, _ := json.Marshal(v)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".verdict-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Verdict asks the judge (or its cache) whether answer gives reference.
func (j *Judge) Verdict(ctx context.Context, question, reference, answer string) (Verdict, error) {
	key := j.cacheKey(question, reference, answer)
	if v, ok := j.cached(key); ok {
		return v, nil
	}
	select {
	case j.sem <- struct{}{}:
		defer func() { <-j.sem }()
	case <-ctx.Done():
		return Verdict{}, &JudgeError{Kind: "canceled", Err: ctx.Err()}
	}
	req := openai.ChatCompletionRequest{
		Model: j.cfg.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: judgeSystemPrompt},
			{Role: openai.ChatMessageRoleUser, Content: fmt.Sprintf("QUESTION:\n%s\n\nREFERENCE ANSWER:\n%s\n\nMODEL ANSWER:\n%s", question, reference, answer)},
		},
		Temperature: 0,
	}
	resp, out, err := chatcall.Complete(ctx, j.client, req, chatcall.Options{Timeout: j.cfg.Timeout, Retries: j.cfg.Retries,
		Backoff: j.cfg.Backoff, MaxBackoff: 8 * time.Second})
	j.requests.Add(int64(out.Attempts))
	if err != nil {
		return Verdict{}, classify(err, out.TimedOut, out.Attempts)
	}
	if len(resp.Choices) == 0 {
		return Verdict{}, &JudgeError{Kind: "unparseable", Attempts: out.Attempts, Err: errors.New("the reply has no choices")}
	}
	v, err := parseVerdict(resp.Choices[0].Message.Content)
	if err != nil {
		return Verdict{}, &JudgeError{Kind: "unparseable", Attempts: out.Attempts, Err: err}
	}
	v.Model = resp.Model
	if v.Model == "" {
		v.Model = j.cfg.Model
	}
	_ = j.store(key, v) // the verdict stands when only caching fails
	return v, nil
}

// classify names the kind of a failed judge request.
func classify(err error, timedOut bool, attempt int) *JudgeError {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case timedOut:
		return &JudgeError{Kind: "timeout", Attempts: attempt, Err: err}
	case errors.As(err, &apiErr):
		return &JudgeError{Kind: "http_status", Attempts: attempt, Err: fmt.Errorf("HTTP %d: %s", apiErr.HTTPStatusCode, apiErr.Message)}
	case errors.As(err, &reqErr):
		return &JudgeError{Kind: "http_status", Attempts: attempt, Err: fmt.Errorf("HTTP %d: %w", reqErr.HTTPStatusCode, reqErr.Err)}
	case errors.Is(err, context.Canceled):
		return &JudgeError{Kind: "canceled", Attempts: attempt, Err: err}
	}
	return &JudgeError{Kind: "unreachable", Attempts: attempt, Err: err}
}

var (
	labelLineRe     = regexp.MustCompile(`(?im)^\W*label\W*[:=]\W*(correct|partially correct|partial|incorrect)\b`)
	judgementLineRe = regexp.MustCompile(`(?i)\b(?:judg(?:e)?ment|correct)\s*\**\s*:\s*\**\s*\[?\s*(partially[ _]correct|\w+)`)
	explanationRe   = regexp.MustCompile(`(?is)\bexplanation\s*\**\s*:\s*\**\s*(.*)$`)
)

// parseVerdict reads the judge's reply: a "JUDGEMENT: label" line (yes
// reads as correct and no as incorrect, as DIVE's verifier reads them) with
// an "EXPLANATION:", else a JSON object with label and rationale (possibly
// in a code fence), else a "Label: …" line.
func parseVerdict(content string) (Verdict, error) {
	norm := func(s string) (Label, bool) {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "correct":
			return Correct, true
		case "partial", "partially correct", "partially_correct":
			return Partial, true
		case "incorrect", "wrong", "no":
			return Incorrect, true
		case "yes":
			return Correct, true
		}
		return "", false
	}
	if m := judgementLineRe.FindStringSubmatch(content); m != nil {
		if l, ok := norm(m[1]); ok {
			why := ""
			if e := explanationRe.FindStringSubmatch(content); e != nil {
				why = strings.TrimSpace(e[1])
			}
			return Verdict{Label: l, Rationale: why}, nil
		}
	}
	if i, k := strings.Index(content, "{"), strings.LastIndex(content, "}"); i >= 0 && k > i {
		var v struct {
			Label     string `json:"label"`
			Rationale string `json:"rationale"`
		}
		if json.Unmarshal([]byte(content[i:k+1]), &v) == nil {
			if l, ok := norm(v.Label); ok {
				return Verdict{Label: l, Rationale: strings.TrimSpace(v.Rationale)}, nil
			}
		}
	}
	if m := labelLineRe.FindStringSubmatch(content); m != nil {
		l, _ := norm(m[1])
		return Verdict{Label: l, Rationale: strings.TrimSpace(labelLineRe.ReplaceAllString(content, ""))}, nil
	}
	return Verdict{}, fmt.Errorf("no label in the judge's reply %.200q", content)
}

// Hybrid scores with the deterministic matcher and asks the judge only
// where the matcher is undecided, or always, by configuration.
type Hybrid struct {
	match  *Match
	judge  *Judge
	always bool
}

// NewHybrid returns the "match+judge" scorer.
func NewHybrid(m *Match, j *Judge, always bool) *Hybrid {
	return &Hybrid{match: m, judge: j, always: always}
}

// Name implements Scorer.
func (h *Hybrid) Name() string { return HybridName }

// Score implements Scorer. When the judge is asked and fails, the
// deterministic result stands, marked judge_failed (an undecided one stays
// undecided, score 0); with always set, the failure is returned.
func (h *Hybrid) Score(ctx context.Context, task *tasks.Task, response string) (Result, error) {
	det, err := h.match.Score(ctx, task, response)
	if err != nil {
		return Result{}, err
	}
	det.Scorer = HybridName
	det.Components["judge_used"] = 0
	if det.Extracted == "" || (!h.always && det.Label != Undecided) {
		return det, nil
	}
	v, err := h.judge.Verdict(ctx, task.Question, task.GroundTruth, judgedText(response))
	if err != nil {
		if h.always {
			return Result{}, err
		}
		det.Components["judge_failed"] = 1
		det.Explanation = fmt.Sprintf("%v; the deterministic result stands: %s", err, det.Explanation)
		return det, nil
	}
	res := det
	res.Components = map[string]float64{}
	for k, x := range det.Components {
		res.Components[k] = x
	}
	res.Components["deterministic"] = det.Score
	res.Components["judge_used"] = 1
	res.Components["judge_cached"] = b2f(v.Cached)
	res.Label, res.Score = v.Label, h.judge.cfg.Rewards.For(v.Label)
	res.DecidedBy = v.decidedBy()
	res.Components["correctness"] = res.Score
	res.Components["conclusive"] = 1
	res.Explanation = fmt.Sprintf("LLM judge (%s): %s [rules: %s: %s]", v.Model, v.Rationale, det.Label, det.Explanation)
	return res, nil
}
