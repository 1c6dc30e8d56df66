package wordnet

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dive-env/dive/toolexec"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	if _, err := os.Stat(filepath.Join(DefaultDir, "data.noun")); err != nil {
		t.Skipf("WordNet 3.0 is not installed (apt-get install wordnet-base): %v", err)
	}
	db, err := Open(DefaultDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func lemmas(ss []*Synset) string {
	var out []string
	for _, s := range ss {
		out = append(out, strings.Join(s.Lemmas, ","))
	}
	return strings.Join(out, " | ")
}

func TestSensesAndMorphology(t *testing.T) {
	db := openTest(t)
	for _, tc := range []struct{ word, pos, want, gloss string }{
		{"dog", "n", "dog,domestic dog,Canis familiaris", "member of the genus Canis"},
		{"dogs", "n", "dog,domestic dog,Canis familiaris", ""},
		{"Domestic Dog", "", "dog,domestic dog,Canis familiaris", ""},
		{"ran", "v", "run", ""},
		{"geese", "n", "goose", ""},
		{"happier", "a", "happy", ""},
	} {
		ss, err := db.Senses(tc.word, tc.pos)
		if err != nil || len(ss) == 0 {
			t.Fatalf("%s: %v, %d senses", tc.word, err, len(ss))
		}
		if got := strings.Join(ss[0].Lemmas, ","); got != tc.want {
			t.Errorf("%s: first sense %s, want %s", tc.word, got, tc.want)
		}
		if tc.gloss != "" && !strings.Contains(ss[0].Gloss, tc.gloss) {
			t.Errorf("%s: gloss %q", tc.word, ss[0].Gloss)
		}
	}
	if ss, _ := db.Senses("qwertyzzz", ""); len(ss) != 0 {
		t.Fatal("a non-word has senses")
	}
}

func TestRelations(t *testing.T) {
	db := openTest(t)
	r, err := db.Related("dog", "n", "hypernym")
	if err != nil || len(r) == 0 {
		t.Fatal(err)
	}
	if got := lemmas(r[0]["related"].([]*Synset)); !strings.Contains(got, "canine,canid") || !strings.Contains(got, "domestic animal") {
		t.Errorf("hypernyms of dog: %s", got)
	}
	r, _ = db.Related("good", "a", "antonym")
	var all []string
	for _, x := range r {
		all = append(all, lemmas(x["related"].([]*Synset)))
	}
	if !strings.Contains(strings.Join(all, " "), "bad") {
		t.Errorf("antonyms of good: %v", all)
	}
	r, _ = db.Related("wheel", "n", "holonym")
	if len(r) == 0 {
		t.Error("wheel has no holonyms")
	}
	if _, err := db.Related("dog", "", "cousin"); err == nil {
		t.Error("unknown relation accepted")
	}
}

func TestSearchAndTools(t *testing.T) {
	openTest(t)
	reg := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(reg, DefaultDir); err != nil {
		t.Fatal(err)
	}
	call := func(name, args string) toolexec.Result {
		tool, err := reg.Resolve(name)
		if err != nil {
			t.Fatal(err)
		}
		return reg.Call(context.Background(), tool, json.RawMessage(args))
	}
	res := call("wordnet_search", `{"query": "large feline of Africa", "k": 5}`)
	if res.Err != nil || !strings.Contains(res.Output, "Panthera leo") {
		t.Fatalf("search: %+v", res)
	}
	if res := call("wordnet_define", `{"word": "ran", "pos": "v"}`); res.Err != nil || !strings.Contains(res.Output, `"lemmas":["run"]`) {
		t.Fatalf("define: %+v", res)
	}
	if res := call("wordnet_define", `{"word": "qwertyzzz"}`); res.Err == nil || !strings.Contains(res.Err.Message, "not in WordNet") {
		t.Fatalf("unknown word: %+v", res)
	}
	if res := call("wordnet_relations", `{"word": "dog", "relation": "hyponym", "pos": "n"}`); res.Err != nil || !strings.Contains(res.Output, "puppy") {
		t.Fatalf("relations: %.300s %v", res.Output, res.Err)
	}
}

func TestMissingDatabase(t *testing.T) {
	reg := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(reg, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	for _, tool := range reg.Tools() {
		if tool.Executable() || !strings.Contains(tool.Reason(), "wordnet-base") {
			t.Fatalf("%s without its data: %v %q", tool.Manifest.ID, tool.Executable(), tool.Reason())
		}
	}
}
