package wordnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dive-env/dive/toolexec"
)

const posParam = `{"type": "string", "enum": ["n", "v", "a", "r"], "description": "Part of speech: n noun, v verb, a adjective, r adverb; omit for all."}`

func manifests() []toolexec.Manifest {
	m := func(id, desc, params string) toolexec.Manifest {
		return toolexec.Manifest{ID: id, Name: filepath.Ext(id)[1:], Domain: "general", Source: "wordnet-3.0", Version: "1.0.0",
			Description: desc, Module: "wordnet", Auth: map[string]any{"type": "none"}, Executor: "builtin", Parameters: json.RawMessage(params)}
	}
	return []toolexec.Manifest{
		m("general.wordnet.wordnet_define", "Definitions of an English word from WordNet 3.0: every sense (most frequent first) with its synonyms and gloss; inflected forms are reduced to their base form.",
			`{"type": "object", "required": ["word"], "additionalProperties": false, "properties": {"word": {"type": "string", "minLength": 1, "maxLength": 100}, "pos": `+posParam+`}}`),
		m("general.wordnet.wordnet_relations", "Words related to each sense of a word in WordNet 3.0: hypernyms (broader), hyponyms (narrower), antonyms, meronyms (parts), holonyms (wholes), similar adjectives, also-see, derivations, entailments, causes.",
			`{"type": "object", "required": ["word", "relation"], "additionalProperties": false, "properties": {"word": {"type": "string", "minLength": 1, "maxLength": 100},
				"relation": {"type": "string", "enum": ["hypernym", "hyponym", "antonym", "meronym", "holonym", "similar", "also", "derivation", "entailment", "cause"]}, "pos": `+posParam+`}}`),
		m("general.wordnet.wordnet_search", "Search WordNet 3.0's 117,659 senses by meaning: BM25 over their words and glosses, best first (e.g. \"large feline of Africa\" finds lion).",
			`{"type": "object", "required": ["query"], "additionalProperties": false, "properties": {"query": {"type": "string", "minLength": 1, "maxLength": 500},
				"k": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5}}}`),
	}
}

// Register adds the WordNet tools, reading the database in dir (opened on
// first use); without the database they are listed with the reason.
func Register(r *toolexec.Registry, dir string) error {
	unavailable := ""
	if _, err := os.Stat(filepath.Join(dir, "data.noun")); err != nil {
		unavailable = "needs WordNet 3.0 (apt-get install wordnet-base; scripts/setup-data installs it)"
	}
	return toolexec.RegisterGroup(r, manifests(), unavailable, func() (*DB, error) { return Open(dir) }, call)
}

func call(_ context.Context, d *DB, tool string, raw json.RawMessage) (any, error) {
	var a struct {
		Word     string `json:"word"`
		POS      string `json:"pos"`
		Relation string `json:"relation"`
		Query    string `json:"query"`
		K        *int   `json:"k"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	switch tool {
	case "wordnet_define":
		senses, err := d.Senses(a.Word, a.POS)
		if err != nil {
			return nil, err
		}
		if len(senses) == 0 {
			return nil, fmt.Errorf("%q is not in WordNet", a.Word)
		}
		return map[string]any{"word": a.Word, "senses": senses}, nil
	case "wordnet_relations":
		rel, err := d.Related(a.Word, a.POS, a.Relation)
		if err != nil {
			return nil, err
		}
		return map[string]any{"word": a.Word, "relation": a.Relation, "senses": rel}, nil
	case "wordnet_search":
		k := 5
		if a.K != nil {
			k = *a.K
		}
		hits, err := d.Search(a.Query, k)
		if err != nil {
			return nil, err
		}
		return map[string]any{"query": a.Query, "results": hits}, nil
	}
	return nil, errors.New("unknown tool " + tool)
}
