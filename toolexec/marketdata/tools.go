package marketdata

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dive-env/dive/toolexec"
)

func manifests() []toolexec.Manifest {
	m := func(id, desc, params string) toolexec.Manifest {
		return toolexec.Manifest{ID: id, Name: filepath.Ext(id)[1:], Domain: "financial", Source: "vega-datasets-3.2.1", Version: "1.0.0",
			Description: desc, Module: "marketdata", Auth: map[string]any{"type": "none"}, Executor: "builtin", Parameters: json.RawMessage(params)}
	}
	date := `{"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$", "description": "YYYY-MM-DD."}`
	return []toolexec.Manifest{
		m("financial.market_history.sp500_daily", "S&P 500 index daily open, high, low, close, adjusted close and volume for a trading day (2000-01-03 to 2020-04-17).",
			`{"type": "object", "required": ["date"], "additionalProperties": false, "properties": {"date": `+date+`,
				"previous_trading_day": {"type": "boolean", "default": false, "description": "On a non-trading day, return the last trading day before it."}}}`),
		m("financial.market_history.sp500_range", "S&P 500 daily bars between two dates inclusive (2000-01-03 to 2020-04-17), at most 400 rows; longer ranges are sampled to the last trading day of each week or month.",
			`{"type": "object", "required": ["start", "end"], "additionalProperties": false, "properties": {"start": `+date+`, "end": `+date+`,
				"frequency": {"type": "string", "enum": ["daily", "weekly", "monthly"], "default": "daily", "description": "Daily bars, or the last trading day of each ISO week or month."}}}`),
		m("financial.market_history.sp500_performance", "S&P 500 performance between two dates: first and last close, total return, highest high and lowest low with dates, mean daily return, daily and annualized volatility, maximum drawdown of closes.",
			`{"type": "object", "required": ["start", "end"], "additionalProperties": false, "properties": {"start": `+date+`, "end": `+date+`}}`),
		m("financial.market_history.stock_monthly_prices", "Monthly prices of AAPL, AMZN, GOOG (from 2004-08), IBM and MSFT, January 2000 to March 2010, with the return over the months asked.",
			`{"type": "object", "required": ["symbol"], "additionalProperties": false, "properties": {
				"symbol": {"type": "string", "enum": ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]},
				"start_month": {"type": "string", "pattern": "^\\d{4}-\\d{2}$", "description": "YYYY-MM; default the first month."},
				"end_month": {"type": "string", "pattern": "^\\d{4}-\\d{2}$", "description": "YYYY-MM; default the last month."}}}`),
	}
}

// Register adds the market history tools, reading the data in dir on first
// use; without the data they are listed with the reason.
func Register(r *toolexec.Registry, dir string) error {
	unavailable := ""
	if _, err := os.Stat(filepath.Join(dir, "sp500-2000.csv")); err != nil {
		unavailable = "needs vega-datasets' market data (scripts/setup-data installs it from npm)"
	}
	return toolexec.RegisterGroup(r, manifests(), unavailable, func() (*Data, error) { return Open(dir) }, call)
}

func call(_ context.Context, d *Data, tool string, raw json.RawMessage) (any, error) {
	var a struct {
		Date       string `json:"date"`
		Previous   bool   `json:"previous_trading_day"`
		Start      string `json:"start"`
		End        string `json:"end"`
		Frequency  string `json:"frequency"`
		Symbol     string `json:"symbol"`
		StartMonth string `json:"start_month"`
		EndMonth   string `json:"end_month"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	switch tool {
	case "sp500_daily":
		b, err := d.On(a.Date, a.Previous)
		if err != nil {
			return nil, err
		}
		return map[string]any{"index": "S&P 500", "requested_date": a.Date, "bar": b}, nil
	case "sp500_range":
		if a.Start > a.End {
			return nil, fmt.Errorf("start %s is after end %s", a.Start, a.End)
		}
		bars := sample(d.Range(a.Start, a.End), a.Frequency)
		if len(bars) == 0 {
			return nil, fmt.Errorf("no trading days between %s and %s (data: %s to %s)", a.Start, a.End, d.SP500[0].Date, d.SP500[len(d.SP500)-1].Date)
		}
		if len(bars) > 400 {
			return nil, fmt.Errorf("%d rows: narrow the range or use a weekly or monthly frequency (at most 400)", len(bars))
		}
		return map[string]any{"index": "S&P 500", "rows": len(bars), "bars": bars}, nil
	case "sp500_performance":
		if a.Start > a.End {
			return nil, fmt.Errorf("start %s is after end %s", a.Start, a.End)
		}
		return d.Summary(a.Start, a.End)
	case "stock_monthly_prices":
		series := d.Stocks[a.Symbol]
		var out []MonthlyPrice
		for _, p := range series {
			if (a.StartMonth == "" || p.Month >= a.StartMonth) && (a.EndMonth == "" || p.Month <= a.EndMonth) {
				out = append(out, p)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("no %s prices between %q and %q (data: %s to %s)", a.Symbol, a.StartMonth, a.EndMonth, series[0].Month, series[len(series)-1].Month)
		}
		return map[string]any{"symbol": a.Symbol, "months": len(out), "prices": out,
			"return": out[len(out)-1].Price/out[0].Price - 1}, nil
	}
	return nil, fmt.Errorf("unknown market data tool %q", tool)
}

// sample keeps the last trading day of each ISO week or calendar month.
func sample(bars []Bar, freq string) []Bar {
	key := func(b Bar) string {
		t, _ := time.Parse(isoDate, b.Date)
		switch freq {
		case "weekly":
			y, w := t.ISOWeek()
			return fmt.Sprintf("%d-W%02d", y, w)
		case "monthly":
			return b.Date[:7]
		}
		return b.Date
	}
	var out []Bar
	for i, b := range bars {
		if i == len(bars)-1 || key(bars[i+1]) != key(b) {
			out = append(out, b)
		}
	}
	return out
}
