package marketdata

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dive-env/dive/toolexec"
)

func registry(t *testing.T) *toolexec.Registry {
	t.Helper()
	if _, err := os.Stat(filepath.Join(DefaultDir, "sp500-2000.csv")); err != nil {
		t.Skipf("vega-datasets market data is not installed (scripts/setup-data installs it): %v", err)
	}
	reg := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(reg, DefaultDir); err != nil {
		t.Fatal(err)
	}
	return reg
}

// The expected values were read from the same CSV files with Python's csv and
// statistics modules.
func TestMarketTools(t *testing.T) {
	reg := registry(t)
	tests := []struct {
		tool, args string
		want       map[string]any // top-level fields; nested fields by path "a.b"
		err        string
	}{
		{"sp500_daily", `{"date": "2008-10-10"}`, map[string]any{"bar.close": 899.219971, "bar.low": 839.799988, "bar.volume": 11456230000.0}, ""},
		{"sp500_daily", `{"date": "2008-10-11", "previous_trading_day": true}`, map[string]any{"bar.date": "2008-10-10"}, ""},
		{"sp500_daily", `{"date": "2008-10-11"}`, nil, "not a trading day"},
		{"sp500_daily", `{"date": "1999-12-31"}`, nil, "outside the data"},
		{"sp500_range", `{"start": "2008-01-01", "end": "2008-12-31", "frequency": "monthly"}`, map[string]any{"rows": 12.0}, ""},
		{"sp500_range", `{"start": "2000-01-01", "end": "2020-12-31"}`, nil, "at most 400"},
		{"sp500_range", `{"start": "2009-01-01", "end": "2008-01-01"}`, nil, "after end"},
		{"sp500_performance", `{"start": "2008-01-01", "end": "2008-12-31"}`, map[string]any{"trading_days": 253.0, "first_date": "2008-01-02",
			"last_date": "2008-12-31", "total_return": -0.37584650019432475, "highest_high_date": "2008-01-02", "lowest_low": 741.02002,
			"lowest_low_date": "2008-11-21", "mean_daily_return": -0.001535797896282506, "daily_volatility": 0.025849311774660044,
			"max_drawdown_close": 0.48005750274886316}, ""},
		{"stock_monthly_prices", `{"symbol": "AAPL"}`, map[string]any{"months": 123.0, "return": 223.02/25.94 - 1}, ""},
		{"stock_monthly_prices", `{"symbol": "GOOG", "end_month": "2003-12"}`, nil, "no GOOG prices"},
		{"stock_monthly_prices", `{"symbol": "TSLA"}`, nil, "invalid arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.tool, func(t *testing.T) {
			tool, err := reg.Resolve(tc.tool)
			if err != nil {
				t.Fatal(err)
			}
			res := reg.Call(context.Background(), tool, json.RawMessage(tc.args))
			if tc.err != "" {
				if res.Err == nil || !strings.Contains(res.Err.Message, tc.err) {
					t.Fatalf("%s(%s) = %+v, want error %q", tc.tool, tc.args, res, tc.err)
				}
				return
			}
			if res.Err != nil {
				t.Fatalf("%s(%s): %v", tc.tool, tc.args, res.Err)
			}
			var out map[string]any
			if err := json.Unmarshal([]byte(res.Output), &out); err != nil {
				t.Fatal(err)
			}
			for path, want := range tc.want {
				var got any = out
				for _, k := range strings.Split(path, ".") {
					got = got.(map[string]any)[k]
				}
				if f, ok := want.(float64); ok {
					if g, ok := got.(float64); !ok || math.Abs(g-f) > 1e-9*math.Max(1, math.Abs(f)) {
						t.Errorf("%s: %s = %v, want %v", tc.tool, path, got, want)
					}
				} else if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: %s = %v, want %v", tc.tool, path, got, want)
				}
			}
		})
	}
}

func TestMonthlySampling(t *testing.T) {
	bars := []Bar{{Date: "2008-01-30"}, {Date: "2008-01-31"}, {Date: "2008-02-01"}, {Date: "2008-02-04"}}
	if got := sample(bars, "monthly"); len(got) != 2 || got[0].Date != "2008-01-31" || got[1].Date != "2008-02-04" {
		t.Fatalf("monthly: %+v", got)
	}
	// 2008-02-01 is a Friday: the week of 2008-01-28 ends there.
	if got := sample(bars, "weekly"); len(got) != 2 || got[0].Date != "2008-02-01" {
		t.Fatalf("weekly: %+v", got)
	}
}

func TestMissingData(t *testing.T) {
	reg := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(reg, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	for _, tool := range reg.Tools() {
		if tool.Executable() || !strings.Contains(tool.Reason(), "setup-data") {
			t.Fatalf("%s without its data: %v %q", tool.Manifest.ID, tool.Executable(), tool.Reason())
		}
	}
}
