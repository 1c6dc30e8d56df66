package miscfiles

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dive-env/dive/toolexec"
)

func registry(t *testing.T) *toolexec.Registry {
	t.Helper()
	if _, err := os.Stat(filepath.Join(DefaultDir, "cities.dat.gz")); err != nil {
		t.Skipf("GNU miscfiles is not installed (scripts/setup-data installs it): %v", err)
	}
	reg := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(reg, DefaultDir); err != nil {
		t.Fatal(err)
	}
	return reg
}

func run(t *testing.T, reg *toolexec.Registry, name, args string) (map[string]any, *toolexec.CallError) {
	t.Helper()
	tool, err := reg.Resolve(name)
	if err != nil {
		t.Fatal(err)
	}
	res := reg.Call(context.Background(), tool, json.RawMessage(args))
	if res.Err != nil {
		return nil, res.Err
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(res.Output), &out); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

// The tables' sizes are those of Debian's miscfiles 1.5 (counted with zcat | grep);
// cities.dat has one record closed by "///", which must not merge two places.
func TestTableSizes(t *testing.T) {
	if _, err := os.Stat(filepath.Join(DefaultDir, "cities.dat.gz")); err != nil {
		t.Skipf("GNU miscfiles is not installed: %v", err)
	}
	tab, err := Open(DefaultDir)
	if err != nil {
		t.Fatal(err)
	}
	got := []int{len(tab.Countries), len(tab.Currencies), len(tab.Airports), len(tab.Places), len(tab.Dialling)}
	want := []int{242, 169, 497, 497, 205}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("table sizes %v, want %v", got, want)
		}
	}
}

func TestLookups(t *testing.T) {
	reg := registry(t)
	tests := []struct {
		tool, args string
		field      string // field of the first match
		want       string
	}{
		{"country_lookup", `{"query": "FR"}`, "name", "France"},
		{"country_lookup", `{"query": "fra"}`, "capital", "Paris"},
		{"country_lookup", `{"query": "250"}`, "alpha3", "FRA"},
		{"currency_lookup", `{"query": "EUR"}`, "numeric_code", "978"},
		{"currency_lookup", `{"query": "978"}`, "code", "EUR"},
		{"airport_lookup", `{"query": "LHR"}`, "country_code", "GB"},
		{"dialling_code", `{"query": "44"}`, "country", "United Kingdom"},
		{"place_lookup", `{"query": "Reykjavik"}`, "country", "IS"},
	}
	for _, tc := range tests {
		t.Run(tc.tool+tc.args, func(t *testing.T) {
			out, terr := run(t, reg, tc.tool, tc.args)
			if terr != nil {
				t.Fatal(terr)
			}
			first := out["matches"].([]any)[0].(map[string]any)
			if got, _ := first[tc.field].(string); !strings.HasPrefix(got, tc.want) {
				t.Fatalf("%s(%s).%s = %q, want %q (%v)", tc.tool, tc.args, tc.field, got, tc.want, first)
			}
		})
	}
	out, _ := run(t, reg, "airport_lookup", `{"query": "LHR"}`)
	if name := out["matches"].([]any)[0].(map[string]any)["name"]; !strings.Contains(name.(string), "Heathrow") {
		t.Fatalf("LHR is %v", name)
	}
	out, _ = run(t, reg, "country_lookup", `{"query": "a"}`)
	if out["truncated"] != true || len(out["matches"].([]any)) != maxMatches || out["count"].(float64) <= maxMatches {
		t.Fatalf("a broad query is not capped: count %v, truncated %v", out["count"], out["truncated"])
	}
	if _, terr := run(t, reg, "country_lookup", `{"query": "Atlantis"}`); terr == nil || !strings.Contains(terr.Message, "nothing matches") {
		t.Fatalf("Atlantis: %v", terr)
	}
}

// The reference values come from the haversine and bearing formulas evaluated
// in Python on the gazetteer's coordinates (London 51.5 N 0.083 W, New York
// 40.75 N 74.0 W).
func TestPlaceDistance(t *testing.T) {
	reg := registry(t)
	out, terr := run(t, reg, "place_distance", `{"from": "London", "to": "New York"}`)
	if terr != nil {
		t.Fatal(terr)
	}
	for field, want := range map[string]float64{"distance_km": 5570.447341018047, "initial_bearing_degrees": 288.39738439439566,
		"distance_miles": 5570.447341018047 / 1.609344} {
		if got := out[field].(float64); math.Abs(got-want) > 1e-6 {
			t.Errorf("%s = %v, want %v", field, got, want)
		}
	}
	if _, terr := run(t, reg, "place_distance", `{"from": "Cambridge", "to": "London"}`); terr == nil || !strings.Contains(terr.Message, "2 places are named") {
		t.Fatalf("an ambiguous name: %v", terr)
	}
	if _, terr := run(t, reg, "place_distance", `{"from": "Gotham", "to": "London"}`); terr == nil || !strings.Contains(terr.Message, "no place named") {
		t.Fatalf("an unknown name: %v", terr)
	}
}

func TestMissingData(t *testing.T) {
	reg := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(reg, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if n := len(reg.Tools()); n != 6 {
		t.Fatalf("%d tools, want 6", n)
	}
	for _, tool := range reg.Tools() {
		if tool.Executable() || !strings.Contains(tool.Reason(), "setup-data") {
			t.Fatalf("%s without its data: %v %q", tool.Manifest.ID, tool.Executable(), tool.Reason())
		}
	}
}
