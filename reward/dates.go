package reward

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Date is a calendar date read from an answer; Day or Month is 0 when the
// text gives only a month or a year.
type Date struct {
	Year, Month, Day int
}

var monthNames = map[string]int{"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
	"may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
	"october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12}

var (
	isoDateRe     = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?:[T ].*)?$`)
	numericDateRe = regexp.MustCompile(`^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$`)
	monthFirstRe  = regexp.MustCompile(`^(?i)([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$`)
	dayFirstRe    = regexp.MustCompile(`^(?i)(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\.?,?\s+(\d{4})$`)
	monthYearRe   = regexp.MustCompile(`^(?i)([a-z]+)\.?,?\s+(\d{4})$`)
	weekdayRe     = regexp.MustCompile(`^(?i)(monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s+`)
)

func valid(y, m, d int) bool {
	if m < 1 || m > 12 || y < 1 || y > 9999 {
		return false
	}
	if d == 0 {
		return true
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return t.Day() == d
}

// ParseDates reads a date in a common format: 2023-01-05, January 5, 2023,
// 5 January 2023, Jan. 5 2023, January 2023, 05/01/2023 (both readings when
// day and month could be swapped). It returns every valid reading.
func ParseDates(s string) []Date {
	s = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(s), "."))
	s = weekdayRe.ReplaceAllString(s, "")
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	var out []Date
	add := func(y, m, d int) {
		if valid(y, m, d) {
			out = append(out, Date{y, m, d})
		}
	}
	if m := isoDateRe.FindStringSubmatch(s); m != nil && !(m[3] == "" && strings.Contains(s, ".")) {
		add(atoi(m[1]), atoi(m[2]), atoi(m[3]))
		return out
	}
	if m := numericDateRe.FindStringSubmatch(s); m != nil {
		a, b, y := atoi(m[1]), atoi(m[2]), atoi(m[3])
		add(y, a, b) // US: month/day
		if a != b {
			add(y, b, a) // day/month
		}
		return out
	}
	if m := monthFirstRe.FindStringSubmatch(s); m != nil {
		if mo, ok := monthNames[strings.ToLower(m[1])]; ok {
			add(atoi(m[3]), mo, atoi(m[2]))
		}
		return out
	}
	if m := dayFirstRe.FindStringSubmatch(s); m != nil {
		if mo, ok := monthNames[strings.ToLower(m[2])]; ok {
			add(atoi(m[3]), mo, atoi(m[1]))
		}
		return out
	}
	if m := monthYearRe.FindStringSubmatch(s); m != nil {
		if mo, ok := monthNames[strings.ToLower(m[1])]; ok {
			add(atoi(m[2]), mo, 0)
		}
	}
	return out
}

var dateInTextRe = regexp.MustCompile(`(?i)\b(?:\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|` +
	`[a-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?[a-z]{3,9}\.?,?\s+\d{4}|[a-z]{3,9}\.?,?\s+\d{4})\b`)

// dateInLowerRe is dateInTextRe for text already in lower case.
var dateInLowerRe = regexp.MustCompile(`\b(?:\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|` +
	`[a-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?[a-z]{3,9}\.?,?\s+\d{4}|[a-z]{3,9}\.?,?\s+\d{4})\b`)

// FindDates reads the answer as a date, or else the dates written inside it.
func FindDates(s string) []Date {
	if d := ParseDates(s); len(d) > 0 {
		return d
	}
	var out []Date
	for _, m := range dateInTextRe.FindAllString(s, 5) {
		out = append(out, ParseDates(m)...)
	}
	return out
}
