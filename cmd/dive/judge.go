package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dive-env/dive/reward"
)

// scoringFlags configure the scorers of `serve` and `score`: answer
// extraction and the optional LLM judge.
type scoringFlags struct {
	extraction              string
	rewards                 reward.LabelRewards
	url, model, mode, cache string
	timeout                 time.Duration
	concurrency, retries    int
}

func addScoringFlags(fs *flag.FlagSet) *scoringFlags {
	j := &scoringFlags{}
	j.rewards = reward.DefaultLabelRewards()
	fs.Func("label-rewards", "the reward of each verdict, e.g. correct=1,partial=0.5,incorrect=0 (default correct=1,partial=0,incorrect=0; undecided and scoring_failed are always 0)", func(s string) error {
		r, err := reward.ParseLabelRewards(s)
		if err != nil {
			return err
		}
		j.rewards = r
		return nil
	})
	fs.StringVar(&j.extraction, "answer-extraction", strings.Join(reward.DefaultExtraction, ","), "where the answer is taken from, tried in order: answer_tag (<answer>…</answer>), boxed, final_answer_line, whole_response")
	fs.StringVar(&j.url, "judge-url", os.Getenv("DIVE_JUDGE_URL"), "OpenAI-compatible base URL of an LLM judge, e.g. http://127.0.0.1:8000/v1 (default $DIVE_JUDGE_URL; key from $DIVE_JUDGE_API_KEY or $OPENAI_API_KEY)")
	fs.StringVar(&j.model, "judge-model", os.Getenv("DIVE_JUDGE_MODEL"), "model of the LLM judge (default $DIVE_JUDGE_MODEL)")
	fs.StringVar(&j.mode, "judge-mode", "fallback", "with a judge: fallback (match decides, the judge takes free text it cannot) or always (the judge scores every answer)")
	fs.StringVar(&j.cache, "judge-cache", defaultJudgeCache(), "directory of cached judge verdicts (\"\" for none)")
	fs.DurationVar(&j.timeout, "judge-timeout", 60*time.Second, "deadline of one judge request")
	fs.IntVar(&j.concurrency, "judge-concurrency", 8, "judge requests in flight at most")
	fs.IntVar(&j.retries, "judge-retries", 3, "more attempts after a judge timeout, 429 or 5xx")
	return j
}

// check reports a judge configured by halves or with a bad mode.
func (j *scoringFlags) check() error {
	if (j.url == "") != (j.model == "") {
		return usagef("an LLM judge needs both --judge-url and --judge-model")
	}
	if j.mode != "fallback" && j.mode != "always" {
		return usagef("bad --judge-mode %q (fallback, always)", j.mode)
	}
	return nil
}

func defaultJudgeCache() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "dive", "judge")
	}
	return ""
}

// registry returns the scorers: match and exact, and with a judge
// configured, judge and match+judge, the latter as the default.
func (j *scoringFlags) registry() (*reward.Registry, error) {
	if err := j.check(); err != nil {
		return nil, err
	}
	extraction, err := reward.ParseExtraction(j.extraction)
	if err != nil {
		return nil, usagef("--answer-extraction: %v", err)
	}
	reg := reward.NewRegistry()
	opts := reward.DefaultMatchOptions()
	opts.Extraction = extraction
	opts.Rewards = j.rewards
	match := reward.NewMatch(opts)
	reg.Register(match)
	if j.url == "" {
		return reg, nil
	}
	key := os.Getenv("DIVE_JUDGE_API_KEY")
	if key == "" {
		key = os.Getenv("OPENAI_API_KEY")
	}
	judge, err := reward.NewJudge(reward.JudgeConfig{Rewards: j.rewards, BaseURL: j.url, Model: j.model, APIKey: key, Timeout: j.timeout,
		Retries: j.retries, MaxConcurrency: j.concurrency, CacheDir: j.cache})
	if err != nil {
		return nil, err
	}
	reg.Register(judge)
	reg.Register(reward.NewHybrid(match, judge, j.mode == "always"))
	if err := reg.SetDefault(reward.HybridName); err != nil {
		return nil, err
	}
	return reg, nil
}
