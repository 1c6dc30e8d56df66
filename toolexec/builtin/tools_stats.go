package builtin

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // the IANA time zone database, so conversions work on any machine
)

// quantile is the linear-interpolation quantile (numpy's default, Python's
// statistics.quantiles(method="inclusive")) of sorted values.
func quantile(sorted []float64, p float64) float64 {
	pos := p * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (pos-float64(lo))*(sorted[lo+1]-sorted[lo])
}

func describe(xs []float64) map[string]any {
	n := len(xs)
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := mean(xs)
	ss := 0.0
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	counts := map[float64]int{}
	most := 0
	for _, x := range xs {
		counts[x]++
		most = max(most, counts[x])
	}
	modes := []float64{}
	for _, x := range s {
		if counts[x] == most && (len(modes) == 0 || modes[len(modes)-1] != x) {
			modes = append(modes, x)
		}
	}
	out := map[string]any{"count": n, "sum": m * float64(n), "mean": m, "median": quantile(s, 0.5), "modes": modes,
		"min": s[0], "max": s[n-1], "range": s[n-1] - s[0], "q1": quantile(s, 0.25), "q3": quantile(s, 0.75),
		"iqr": quantile(s, 0.75) - quantile(s, 0.25), "population_variance": ss / float64(n), "population_stdev": math.Sqrt(ss / float64(n))}
	if n > 1 {
		out["variance"] = ss / float64(n-1)
		out["stdev"] = math.Sqrt(ss / float64(n-1))
	}
	return out
}

// correlate returns Pearson's r, Spearman's rho and the least-squares line y = a + b·x.
func correlate(x, y []float64) (map[string]float64, error) {
	if len(x) != len(y) {
		return nil, fmt.Errorf("x has %d values and y %d; they must pair up", len(x), len(y))
	}
	if len(x) < 2 {
		return nil, errors.New("at least two pairs are needed")
	}
	mx, my := mean(x), mean(y)
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	if sxx == 0 || syy == 0 {
		return nil, errors.New("x or y does not vary: correlation is undefined")
	}
	r := sxy / math.Sqrt(sxx*syy)
	rho := 1 - pearson(ranks(x), ranks(y), false)
	slope := sxy / sxx
	return map[string]float64{"pearson_r": r, "spearman_rho": rho, "slope": slope, "intercept": my - slope*mx, "r_squared": r * r}, nil
}

var isoDate = "2006-01-02"

func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{isoDate, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM:SS)", s)
}

// businessDays counts weekdays in [from, to) (or (to, from] negated).
func businessDays(from, to time.Time) int {
	sign := 1
	if to.Before(from) {
		from, to, sign = to, from, -1
	}
	n := 0
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return sign * n
}

// statsDefinitions are the statistics and calendar tools.
func statsDefinitions() []definition {
	return []definition{
		{
			id: "general.stats.stats_describe",
			description: "Descriptive statistics of numbers: count, sum, mean, median, modes, min, max, range, quartiles (linear interpolation), IQR, " +
				"sample and population variance and standard deviation.",
			params: `{"type": "object", "required": ["values"], "additionalProperties": false, "properties": {"values": ` + seriesParam("The numbers.", 1) + `}}`,
			run: typed(func(a struct {
				Values []float64 `json:"values"`
			}) (any, error) {
				return describe(a.Values), nil
			}),
		},
		{
			id:          "general.stats.stats_correlation",
			description: "Correlation of paired numbers (Pearson's r, Spearman's rho) and the least-squares line y = intercept + slope·x with its R².",
			params: `{"type": "object", "required": ["x", "y"], "additionalProperties": false, "properties": {
				"x": ` + seriesParam("First variable.", 2) + `, "y": ` + seriesParam("Second variable, paired with x.", 2) + `}}`,
			run: typed(func(a struct {
				X []float64 `json:"x"`
				Y []float64 `json:"y"`
			}) (any, error) {
				return correlate(a.X, a.Y)
			}),
		},
		{
			id:          "general.datetime.datetime_difference",
			description: "Time between two dates or date-times: days, weeks, hours, seconds, business days (Monday–Friday in [start, end)), and whole years, months and days.",
			params: `{"type": "object", "required": ["start", "end"], "additionalProperties": false, "properties": {
				"start": {"type": "string", "description": "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (RFC 3339 with a zone allowed)."},
				"end": {"type": "string", "description": "Same formats as start."}}}`,
			run: typed(func(a struct {
				Start string `json:"start"`
				End   string `json:"end"`
			}) (any, error) {
				s, err := parseDate(a.Start)
				if err != nil {
					return nil, err
				}
				e, err := parseDate(a.End)
				if err != nil {
					return nil, err
				}
				d := e.Sub(s)
				y, m, dd := ymdBetween(s, e)
				return map[string]any{"days": d.Hours() / 24, "weeks": d.Hours() / 24 / 7, "hours": d.Hours(), "seconds": d.Seconds(),
					"business_days": businessDays(truncateDay(s), truncateDay(e)), "years": y, "months": m, "remaining_days": dd}, nil
			}),
		},
		{
			id:          "general.datetime.datetime_add",
			description: "Add (or subtract, with negative numbers) years, months, weeks, days, hours and minutes to a date or date-time; month ends roll over as in Go's AddDate (Jan 31 + 1 month = Mar 3 or 2).",
			params: `{"type": "object", "required": ["date"], "additionalProperties": false, "properties": {
				"date": {"type": "string", "description": "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS."},
				"years": {"type": "integer", "default": 0}, "months": {"type": "integer", "default": 0}, "weeks": {"type": "integer", "default": 0},
				"days": {"type": "integer", "default": 0}, "hours": {"type": "integer", "default": 0}, "minutes": {"type": "integer", "default": 0}}}`,
			run: typed(func(a struct {
				Date    string `json:"date"`
				Years   int    `json:"years"`
				Months  int    `json:"months"`
				Weeks   int    `json:"weeks"`
				Days    int    `json:"days"`
				Hours   int    `json:"hours"`
				Minutes int    `json:"minutes"`
			}) (any, error) {
				t, err := parseDate(a.Date)
				if err != nil {
					return nil, err
				}
				r := t.AddDate(a.Years, a.Months, 7*a.Weeks+a.Days).Add(time.Duration(a.Hours)*time.Hour + time.Duration(a.Minutes)*time.Minute)
				return map[string]any{"result": r.Format(time.RFC3339), "date": r.Format(isoDate), "weekday": r.Weekday().String()}, nil
			}),
		},
		{
			id:          "general.datetime.datetime_info",
			description: "Calendar facts about a date: weekday, ISO year and week, day of the year, quarter, leap year, days in the month, Unix time.",
			params: `{"type": "object", "required": ["date"], "additionalProperties": false, "properties": {
				"date": {"type": "string", "description": "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS."}}}`,
			run: typed(func(a struct {
				Date string `json:"date"`
			}) (any, error) {
				t, err := parseDate(a.Date)
				if err != nil {
					return nil, err
				}
				y, w := t.ISOWeek()
				ty := t.Year()
				leap := ty%4 == 0 && (ty%100 != 0 || ty%400 == 0)
				return map[string]any{"weekday": t.Weekday().String(), "iso_year": y, "iso_week": w, "day_of_year": t.YearDay(),
					"quarter": (int(t.Month())-1)/3 + 1, "leap_year": leap, "days_in_month": time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day(),
					"unix_time": t.Unix()}, nil
			}),
		},
		{
			id:          "general.datetime.datetime_convert_timezone",
			description: "Convert a date-time between IANA time zones (e.g. America/New_York to Asia/Tokyo), daylight saving included (tz database built into the server).",
			params: `{"type": "object", "required": ["datetime", "from_zone", "to_zone"], "additionalProperties": false, "properties": {
				"datetime": {"type": "string", "description": "Local date-time in from_zone: YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD HH:MM."},
				"from_zone": {"type": "string", "description": "IANA zone, e.g. Europe/Paris, or UTC."},
				"to_zone": {"type": "string", "description": "IANA zone."}}}`,
			run: typed(func(a struct {
				Datetime string `json:"datetime"`
				From     string `json:"from_zone"`
				To       string `json:"to_zone"`
			}) (any, error) {
				from, err := time.LoadLocation(a.From)
				if err != nil {
					return nil, fmt.Errorf("unknown time zone %q", a.From)
				}
				to, err := time.LoadLocation(a.To)
				if err != nil {
					return nil, fmt.Errorf("unknown time zone %q", a.To)
				}
				var t time.Time
				for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", isoDate} {
					if t, err = time.ParseInLocation(layout, strings.TrimSpace(a.Datetime), from); err == nil {
						break
					}
				}
				if err != nil {
					return nil, fmt.Errorf("%q is not a local date-time (YYYY-MM-DDTHH:MM:SS)", a.Datetime)
				}
				r := t.In(to)
				_, offFrom := t.Zone()
				_, offTo := r.Zone()
				name, _ := r.Zone()
				return map[string]any{"result": r.Format("2006-01-02T15:04:05"), "zone_abbreviation": name, "rfc3339": r.Format(time.RFC3339),
					"offset_hours_difference": float64(offTo-offFrom) / 3600}, nil
			}),
		},
	}
}

func truncateDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// ymdBetween is the whole years, months and days from a to b (a ≤ b, else negated).
func ymdBetween(a, b time.Time) (int, int, int) {
	sign := 1
	if b.Before(a) {
		a, b, sign = b, a, -1
	}
	y := b.Year() - a.Year()
	m := int(b.Month()) - int(a.Month())
	d := b.Day() - a.Day()
	if d < 0 {
		m--
		d += time.Date(b.Year(), b.Month(), 0, 0, 0, 0, 0, time.UTC).Day()
	}
	if m < 0 {
		y--
		m += 12
	}
	return sign * y, sign * m, sign * d
}
