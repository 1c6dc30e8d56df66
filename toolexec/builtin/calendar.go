package builtin

import (
	"fmt"
	"time"
)

// westernEaster is Easter Sunday in the Gregorian calendar, by the anonymous
// Gregorian computus (Meeus/Jones/Butcher).
func westernEaster(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

// orthodoxEaster is Easter Sunday by the Julian computus (Meeus), expressed
// as a Gregorian calendar date.
func orthodoxEaster(year int) time.Time {
	a, b, c := year%4, year%7, year%19
	d := (19*c + 15) % 30
	e := (2*a + 4*b - d + 34) % 7
	month := (d + e + 114) / 31
	day := (d+e+114)%31 + 1
	// Julian-to-Gregorian offset: 13 days for 1900–2099.
	offset := year/100 - year/400 - 2
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC).AddDate(0, 0, offset)
}

func isWeekend(t time.Time) bool { return t.Weekday() == time.Saturday || t.Weekday() == time.Sunday }

// addBusinessDays moves n working days (Monday–Friday, not in holidays) from
// start; negative n moves backwards. The start day itself never counts.
func addBusinessDays(start time.Time, n int, holidays map[string]bool) (time.Time, []string) {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	var skipped []string
	d := start
	for n > 0 {
		d = d.AddDate(0, 0, step)
		if isWeekend(d) {
			continue
		}
		if holidays[d.Format(isoDate)] {
			skipped = append(skipped, d.Format(isoDate))
			continue
		}
		n--
	}
	return d, skipped
}

// monthCalendar describes one month: its length, first weekday, how many of
// each weekday it has and its weeks as rows of day numbers (0 = outside the month).
func monthCalendar(year, month int, firstWeekday time.Weekday) (map[string]any, error) {
	if month < 1 || month > 12 {
		return nil, fmt.Errorf("month %d is not 1–12", month)
	}
	first := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
	days := first.AddDate(0, 1, -1).Day()
	counts := map[string]int{}
	for d := range days {
		counts[first.AddDate(0, 0, d).Weekday().String()]++
	}
	var weeks [][]int
	week := make([]int, 7)
	col := (int(first.Weekday()) - int(firstWeekday) + 7) % 7
	for d := 1; d <= days; d++ {
		week[col] = d
		col++
		if col == 7 {
			weeks, week, col = append(weeks, week), make([]int, 7), 0
		}
	}
	if col > 0 {
		weeks = append(weeks, week)
	}
	header := make([]string, 7)
	for i := range header {
		header[i] = time.Weekday((int(firstWeekday) + i) % 7).String()[:2]
	}
	workdays := 0
	for _, wd := range []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"} {
		workdays += counts[wd]
	}
	return map[string]any{"year": year, "month": month, "month_name": first.Month().String(), "days": days,
		"first_weekday": first.Weekday().String(), "last_weekday": first.AddDate(0, 0, days-1).Weekday().String(),
		"weekday_counts": counts, "weekdays_monday_to_friday": workdays, "header": header, "weeks": weeks}, nil
}
