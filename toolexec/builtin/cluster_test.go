package builtin

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dive-env/dive/toolexec"
)

// Clustering calls are bounded in work, and run off the caller's goroutine
// (sixteen unbounded treecluster calls in one step pinned the server's two
// cores for 36 s and cut connections whose reader ran them).
func TestClusterCostIsBounded(t *testing.T) {
	r, err := NewRegistry(toolexec.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	matrix := func(n, d int) [][]float64 {
		m := make([][]float64, n)
		for i := range m {
			m[i] = make([]float64, d)
			for j := range m[i] {
				m[i][j] = float64((i*7 + j*13) % 17)
			}
		}
		return m
	}
	for _, tc := range []struct {
		tool   string
		n, d   int
		method string
		ok     bool
	}{
		{"cluster_treecluster", 200, 20, "m", true},
		{"cluster_treecluster", 400, 2, "m", false}, // 64 million merge scans
		{"cluster_treecluster", 1000, 5, "s", true}, // single linkage is quadratic
		{"cluster_treecluster", 1000, 25, "s", false},
		{"cluster_distancematrix", 1000, 30, "", false}, // the schema allows 2000 x 2000: 8·10⁹
		{"cluster_distancematrix", 500, 40, "", true},
	} {
		tool, err := r.Resolve(tc.tool)
		if err != nil {
			t.Fatal(err)
		}
		if tool.Inline() {
			t.Errorf("%s runs inline, on the caller's goroutine", tc.tool)
		}
		args := map[string]any{"data": matrix(tc.n, tc.d)}
		if tc.method != "" {
			args["method"] = tc.method
		}
		raw, _ := json.Marshal(args)
		res := r.Call(context.Background(), tool, raw)
		if ok := res.Err == nil; ok != tc.ok || (!ok && !strings.Contains(res.Err.Message, "too large")) {
			t.Errorf("%s %dx%d %s: %+v", tc.tool, tc.n, tc.d, tc.method, res.Err)
		}
	}
}
