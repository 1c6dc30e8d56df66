package builtin

import (
	"fmt"
	"time"
)

// calendarDefinitions are calendar tools beyond date arithmetic.
func calendarDefinitions() []definition {
	return []definition{
		{
			id:          "general.datetime.datetime_easter",
			description: "Date of Easter Sunday in a year: Western (Gregorian computus) or Orthodox (Julian computus, given as a Gregorian date).",
			params: `{"type": "object", "required": ["year"], "additionalProperties": false, "properties": {
				"year": {"type": "integer", "minimum": 1583, "maximum": 4099, "description": "Gregorian calendar year."},
				"tradition": {"type": "string", "enum": ["western", "orthodox"], "default": "western", "description": "Which computus."}}}`,
			run: typed(func(a struct {
				Year      int    `json:"year"`
				Tradition string `json:"tradition"`
			}) (any, error) {
				d := westernEaster(a.Year)
				tradition := "western"
				if a.Tradition == "orthodox" {
					d, tradition = orthodoxEaster(a.Year), "orthodox"
				}
				return map[string]any{"year": a.Year, "tradition": tradition, "date": d.Format(isoDate), "day_of_year": d.YearDay()}, nil
			}),
		},
		{
			id: "general.datetime.datetime_add_business_days",
			description: "Move a number of business days (Monday–Friday, skipping listed holidays) forward or backward from a date; " +
				"the start date itself is not counted.",
			params: `{"type": "object", "required": ["date", "business_days"], "additionalProperties": false, "properties": {
				"date": {"type": "string", "description": "Start date, YYYY-MM-DD."},
				"business_days": {"type": "integer", "minimum": -100000, "maximum": 100000, "description": "Working days to move; negative moves back."},
				"holidays": {"type": "array", "maxItems": 10000, "items": {"type": "string"}, "description": "Dates (YYYY-MM-DD) that are not working days."}}}`,
			run: typed(func(a struct {
				Date     string   `json:"date"`
				Days     int      `json:"business_days"`
				Holidays []string `json:"holidays"`
			}) (any, error) {
				start, err := parseDate(a.Date)
				if err != nil {
					return nil, err
				}
				hol := map[string]bool{}
				for _, h := range a.Holidays {
					t, err := parseDate(h)
					if err != nil {
						return nil, fmt.Errorf("holiday: %w", err)
					}
					hol[t.Format(isoDate)] = true
				}
				d, skipped := addBusinessDays(start, a.Days, hol)
				if skipped == nil {
					skipped = []string{}
				}
				return map[string]any{"date": d.Format(isoDate), "weekday": d.Weekday().String(),
					"calendar_days": int(d.Sub(start).Hours() / 24), "holidays_skipped": skipped}, nil
			}),
		},
		{
			id: "general.datetime.datetime_month_calendar",
			description: "Calendar of one month: number of days, first and last weekday, count of each weekday, Monday–Friday days, " +
				"and the weeks as rows of day numbers (0 outside the month).",
			params: `{"type": "object", "required": ["year", "month"], "additionalProperties": false, "properties": {
				"year": {"type": "integer", "minimum": 1, "maximum": 9999},
				"month": {"type": "integer", "minimum": 1, "maximum": 12},
				"week_starts_on": {"type": "string", "enum": ["monday", "sunday"], "default": "monday", "description": "First column of each week."}}}`,
			run: typed(func(a struct {
				Year  int    `json:"year"`
				Month int    `json:"month"`
				Start string `json:"week_starts_on"`
			}) (any, error) {
				first := time.Monday
				if a.Start == "sunday" {
					first = time.Sunday
				}
				return monthCalendar(a.Year, a.Month, first)
			}),
		},
	}
}
