package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/dive-env/dive/synth"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// llmSynthFlags configure `dive synth --generator llm`.
type llmSynthFlags struct {
	url, model, domain, seeds, exemplars string
	rounds, steps                        int
}

// readLines reads non-empty lines; JSONL lines with a "question" give it.
func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var v struct {
			Question string `json:"question"`
		}
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &v) == nil && v.Question != "" {
			line = v.Question
		}
		out = append(out, line)
	}
	return out, sc.Err()
}

// doneIDs reads the ids already in an output file, so a run resumes.
func doneIDs(path string) (map[string]bool, error) {
	done := map[string]bool{}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return done, nil
	}
	if err != nil {
		return nil, err
	}
	ts, _ := tasks.Parse(path, data) // a torn last line is skipped
	for _, t := range ts {
		done[t.ID] = true
	}
	return done, nil
}

func runLLMSynth(ctx context.Context, reg *toolexec.Registry, f llmSynthFlags, count int, seed uint64, minTools, maxTools int, out string, stdout, stderr io.Writer) error {
	key := os.Getenv("DIVE_SYNTH_API_KEY")
	if key == "" {
		key = os.Getenv("OPENAI_API_KEY")
	}
	g, err := synth.NewLLMGenerator(synth.LLMConfig{BaseURL: f.url, Model: f.model, APIKey: key, Rounds: f.rounds, Steps: f.steps}, reg)
	if err != nil {
		return usagef("%v (--llm-url, --llm-model)", err)
	}
	domains := []string{f.domain}
	if f.domain == "" {
		domains = []string{"academic", "biological", "financial", "general", "medical"}
	}
	seeds := map[string][]string{}
	for _, d := range domains {
		seeds[d] = synth.DefaultSeeds[d]
		if seeds[d] == nil {
			return usagef("unknown --domain %q", d)
		}
	}
	if f.seeds != "" {
		lines, err := readLines(f.seeds)
		if err != nil {
			return fmt.Errorf("--seeds: %w", err)
		}
		for _, d := range domains {
			seeds[d] = lines
		}
	}
	var exemplars []string
	if f.exemplars != "" {
		if exemplars, err = readLines(f.exemplars); err != nil {
			return fmt.Errorf("--exemplars: %w", err)
		}
	}
	done, err := doneIDs(out)
	if err != nil {
		return fmt.Errorf("read %s: %w", out, err)
	}
	file, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer file.Close()
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	made, failed, skipped := 0, 0, 0
	for i := 0; i < count; i++ {
		// Every draw happens even for done ids, so a resumed run makes the same tasks.
		domain := domains[i%len(domains)]
		topic := seeds[domain][rng.IntN(len(seeds[domain]))]
		toolset := synth.SampleToolset(reg, domain, minTools+rng.IntN(maxTools-minTools+1), rng)
		var ex []string
		if len(exemplars) > 0 {
			for k := 0; k < 3+rng.IntN(3); k++ {
				ex = append(ex, exemplars[rng.IntN(len(exemplars))])
			}
		}
		id := fmt.Sprintf("dive-llm-%s-%d", domain, i+1)
		if done[id] {
			skipped++
			continue
		}
		if err := ctx.Err(); err != nil {
			break
		}
		res, err := g.Make(ctx, id, domain, topic, toolset, ex)
		if err != nil {
			failed++
			fmt.Fprintf(stderr, "%s: %v\n", id, err)
			continue
		}
		line, err := json.Marshal(res.Task)
		if err != nil {
			return err
		}
		if _, err := file.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
		made++
	}
	fmt.Fprintf(stdout, "%s: made %d, failed %d, already done %d\n", out, made, failed, skipped)
	if made == 0 && failed > 0 {
		return fmt.Errorf("synth: every task failed")
	}
	return ctx.Err()
}
