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
	"sync"

	"github.com/dive-env/dive/synth"
	"github.com/dive-env/dive/tasks"
	"github.com/dive-env/dive/toolexec"
)

// llmSynthFlags configure `dive synth --generator llm`.
type llmSynthFlags struct {
	url, model, domain, seeds, exemplars string
	rounds, steps, workers               int
	rps                                  float64
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
	g, err := synth.NewLLMGenerator(synth.LLMConfig{BaseURL: f.url, Model: f.model, APIKey: key, Rounds: f.rounds, Steps: f.steps, RequestsPerSecond: f.rps}, reg)
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
	type job struct {
		id, domain, topic string
		toolset           []*toolexec.Tool
		exemplars         []string
	}
	// Every draw happens in order, done ids included, so a resumed run makes the same tasks.
	var jobs []job
	skipped := 0
	for i := 0; i < count; i++ {
		domain := domains[i%len(domains)]
		j := job{id: fmt.Sprintf("dive-llm-%s-%d", domain, i+1), domain: domain, topic: seeds[domain][rng.IntN(len(seeds[domain]))],
			toolset: synth.SampleToolset(reg, domain, minTools+rng.IntN(maxTools-minTools+1), rng)}
		if len(exemplars) > 0 {
			for k := 0; k < 3+rng.IntN(3); k++ {
				j.exemplars = append(j.exemplars, exemplars[rng.IntN(len(exemplars))])
			}
		}
		if done[j.id] {
			skipped++
			continue
		}
		jobs = append(jobs, j)
	}
	var mu sync.Mutex // guards file writes and the counters
	made, failed := 0, 0
	var writeErr error
	prog := newProgress(stderr, "synth", len(jobs))
	next := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < min(max(1, f.workers), max(1, len(jobs))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				res, err := g.Make(ctx, j.id, j.domain, j.topic, j.toolset, j.exemplars)
				mu.Lock()
				if err != nil {
					failed++
					fmt.Fprintf(stderr, "%s: %v\n", j.id, err)
				} else if line, err := json.Marshal(res.Task); err != nil {
					writeErr = err
				} else if _, err := file.Write(append(line, '\n')); err != nil { // one write per task: lines stay whole
					writeErr = fmt.Errorf("write %s: %w", out, err)
				} else {
					made++
				}
				mu.Unlock()
				prog.add()
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case next <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if writeErr != nil {
		return writeErr
	}
	fmt.Fprintf(stdout, "%s: made %d, failed %d, already done %d\n", out, made, failed, skipped)
	if made == 0 && failed > 0 {
		return fmt.Errorf("synth: every task failed")
	}
	return ctx.Err()
}
