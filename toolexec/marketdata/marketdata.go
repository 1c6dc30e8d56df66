// Package marketdata serves real historical market prices shipped by the npm
// package vega-datasets (BSD-3-Clause): the S&P 500 daily open, high, low,
// close and volume from 2000-01-03 to 2020-04-17 (sp500-2000.csv) and monthly
// prices of AAPL, AMZN, GOOG, IBM and MSFT from 2000 to 2010 (stocks.csv).
// scripts/setup-data installs the files.
package marketdata

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultDir is where scripts/setup-data unpacks vega-datasets' data folder.
const DefaultDir = "/usr/local/share/dive/vega-datasets/data"

const isoDate = "2006-01-02"

// Bar is one trading day of an index.
type Bar struct {
	Date     string  `json:"date"`
	Open     float64 `json:"open"`
	High     float64 `json:"high"`
	Low      float64 `json:"low"`
	Close    float64 `json:"close"`
	AdjClose float64 `json:"adj_close"`
	Volume   float64 `json:"volume"`
}

// MonthlyPrice is one month's price of a stock.
type MonthlyPrice struct {
	Month string  `json:"month"` // YYYY-MM
	Price float64 `json:"price"`
}

// Data holds the loaded series.
type Data struct {
	SP500  []Bar                     // ascending by date
	Stocks map[string][]MonthlyPrice // by symbol, ascending by month
}

// Open reads the series from dir.
func Open(dir string) (*Data, error) {
	d := &Data{Stocks: map[string][]MonthlyPrice{}}
	rows, err := readCSV(filepath.Join(dir, "sp500-2000.csv"), []string{"date", "open", "high", "low", "close", "adjclose", "volume"})
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		var v [6]float64
		for j := range v {
			if v[j], err = strconv.ParseFloat(r[j+1], 64); err != nil {
				return nil, fmt.Errorf("sp500-2000.csv row %d: %w", i+2, err)
			}
		}
		if _, err := time.Parse(isoDate, r[0]); err != nil {
			return nil, fmt.Errorf("sp500-2000.csv row %d: %w", i+2, err)
		}
		d.SP500 = append(d.SP500, Bar{Date: r[0], Open: v[0], High: v[1], Low: v[2], Close: v[3], AdjClose: v[4], Volume: v[5]})
	}
	sort.Slice(d.SP500, func(i, j int) bool { return d.SP500[i].Date < d.SP500[j].Date })
	rows, err = readCSV(filepath.Join(dir, "stocks.csv"), []string{"symbol", "date", "price"})
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		t, err := time.Parse("Jan 2 2006", r[1])
		if err != nil {
			return nil, fmt.Errorf("stocks.csv row %d: %w", i+2, err)
		}
		p, err := strconv.ParseFloat(r[2], 64)
		if err != nil {
			return nil, fmt.Errorf("stocks.csv row %d: %w", i+2, err)
		}
		d.Stocks[r[0]] = append(d.Stocks[r[0]], MonthlyPrice{Month: t.Format("2006-01"), Price: p})
	}
	for _, s := range d.Stocks {
		sort.Slice(s, func(i, j int) bool { return s[i].Month < s[j].Month })
	}
	if len(d.SP500) == 0 || len(d.Stocks) == 0 {
		return nil, errors.New("market data files are empty")
	}
	return d, nil
}

func readCSV(path string, header []string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open market data: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if strings.Join(head, ",") != strings.Join(header, ",") {
		return nil, fmt.Errorf("%s: header %v, want %v", filepath.Base(path), head, header)
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		rows = append(rows, rec)
	}
}

// Range returns the S&P 500 bars with start <= date <= end (ISO dates).
func (d *Data) Range(start, end string) []Bar {
	lo := sort.Search(len(d.SP500), func(i int) bool { return d.SP500[i].Date >= start })
	hi := sort.Search(len(d.SP500), func(i int) bool { return d.SP500[i].Date > end })
	if lo >= hi {
		return nil
	}
	return d.SP500[lo:hi]
}

// On returns the S&P 500 bar of date, or with nearest "previous" the last
// trading day on or before it.
func (d *Data) On(date string, previous bool) (Bar, error) {
	i := sort.Search(len(d.SP500), func(i int) bool { return d.SP500[i].Date > date })
	if i > 0 && (d.SP500[i-1].Date == date || previous) {
		return d.SP500[i-1], nil
	}
	first, last := d.SP500[0].Date, d.SP500[len(d.SP500)-1].Date
	if date < first || date > last {
		return Bar{}, fmt.Errorf("%s is outside the data (%s to %s)", date, first, last)
	}
	return Bar{}, fmt.Errorf("%s was not a trading day (set previous_trading_day to take the last one before it)", date)
}

// Summary is the performance of the S&P 500 between two dates.
func (d *Data) Summary(start, end string) (map[string]any, error) {
	bars := d.Range(start, end)
	if len(bars) < 2 {
		return nil, fmt.Errorf("fewer than two trading days between %s and %s (data: %s to %s)", start, end, d.SP500[0].Date, d.SP500[len(d.SP500)-1].Date)
	}
	first, last := bars[0], bars[len(bars)-1]
	hi, lo := bars[0], bars[0]
	var sum, sumSq float64
	peak, maxDD := bars[0].Close, 0.0
	for i, b := range bars {
		if b.High > hi.High {
			hi = b
		}
		if b.Low < lo.Low {
			lo = b
		}
		peak = math.Max(peak, b.Close)
		maxDD = math.Max(maxDD, (peak-b.Close)/peak)
		if i > 0 {
			r := b.Close/bars[i-1].Close - 1
			sum += r
			sumSq += r * r
		}
	}
	n := float64(len(bars) - 1)
	meanR := sum / n
	vol := 0.0
	if n > 1 {
		vol = math.Sqrt((sumSq - n*meanR*meanR) / (n - 1))
	}
	return map[string]any{"first_date": first.Date, "last_date": last.Date, "trading_days": len(bars),
		"first_close": first.Close, "last_close": last.Close, "total_return": last.Close/first.Close - 1,
		"highest_high": hi.High, "highest_high_date": hi.Date, "lowest_low": lo.Low, "lowest_low_date": lo.Date,
		"mean_daily_return": meanR, "daily_volatility": vol, "annualized_volatility": vol * math.Sqrt(252),
		"max_drawdown_close": maxDD}, nil
}
