package opendata

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
	if _, err := os.Stat(filepath.Join(DefaultDir, "penguins.json")); err != nil {
		t.Skipf("vega-datasets is not installed (scripts/setup-data installs it): %v", err)
	}
	reg := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(reg, DefaultDir); err != nil {
		t.Fatal(err)
	}
	return reg
}

// lookup follows a path such as "rows.0.month" or "summary.yield.mean".
func lookup(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// The expected values were computed from the same files with Python's json,
// csv and statistics modules (and the haversine formula for distances).
func TestDatasetTools(t *testing.T) {
	reg := registry(t)
	tests := []struct {
		tool, args string
		want       map[string]any
		err        string
	}{
		{"palmer_penguins", `{"species": "gentoo"}`, map[string]any{"matched": 124.0, "summary.body_mass_g.count": 123.0,
			"summary.body_mass_g.mean": 5076.016260162602, "summary.body_mass_g.sd": 504.11623665709163, "summary.body_mass_g.median": 5000.0}, ""},
		{"palmer_penguins", `{"species": "Emperor"}`, nil, "known: Adelie, Chinstrap, Gentoo"},
		{"palmer_penguins", `{"colour": "black"}`, nil, "invalid arguments"},
		{"species_habitat", `{"species": "American Robin", "sort_by": "habitat_fraction", "order": "desc", "limit": 1}`,
			map[string]any{"matched": 3090.0, "rows.0.county_fips": 51021.0, "rows.0.habitat_fraction": 0.9996, "truncated": true}, ""},
		{"barley_yields", `{"group_by": "site", "sort_by": "yield", "order": "desc", "limit": 2}`,
			map[string]any{"group_count": 6.0, "groups.0.value": "Waseca", "groups.0.summary.yield.mean": 48.1083315, "groups.1.value": "Crookston"}, ""},
		{"burtin_antibiotics", `{"bacteria": "aureus"}`, map[string]any{"rows.0.bacteria": "Staphylococcus aureus", "rows.0.penicillin": 0.03}, ""},
		{"crimean_war_mortality", `{"sort_by": "total_rate", "order": "desc", "limit": 1}`,
			map[string]any{"rows.0.month": "1855-01", "rows.0.total_rate": 1173.5868860556293, "summary.total_rate.max_at.month": "1855-01"}, ""},
		{"us_obesity_1995", `{}`, map[string]any{"summary.obesity_rate.max_at.state": "IN", "summary.obesity_rate.max": 0.201, "summary.obesity_rate.min_at.state": "CO"}, ""},
		{"gapminder_life_expectancy", `{"country": "Japan", "year": 2005}`, map[string]any{"rows.0.life_expectancy": 82.5}, ""},
		{"gapminder_health_income", `{"country": "Norway"}`, map[string]any{"rows.0.income_per_person": 64304.0, "rows.0.life_expectancy": 81.6}, ""},
		{"vix_daily_2009", `{}`, map[string]any{"matched": 44.0, "summary.close.max": 32.68, "summary.close.max_at.date": "2009-06-16"}, ""},
		{"us_employment", `{"category": "nonfarm", "month": "2008-01"}`, map[string]any{"rows.0.employed_thousands": 138419.0}, ""},
		{"industry_unemployment", `{"industry": "construction", "month": "2010-02"}`, map[string]any{"rows.0.unemployment_rate": 27.1, "rows.0.unemployed_thousands": 2440.0}, ""},
		{"state_income_brackets", `{"state": "Texas", "bracket": "200000+"}`, map[string]any{"rows.0.share": 0.048}, ""},
		{"us_budget_projections", `{"budget_year": 2009, "forecast_year": 2009}`, map[string]any{"rows.0.balance_trillions": -1.781}, ""},
		{"iowa_electricity", `{"year": 2017, "source": "Renewables"}`, map[string]any{"rows.0.net_generation": 21933.0}, ""},
		{"co2_mauna_loa", `{"year": 1959}`, map[string]any{"summary.co2_ppm.count": 12.0, "summary.co2_ppm.mean": 315.9816666666667}, ""},
		{"global_temperature_anomaly", `{"sort_by": "anomaly_c", "order": "desc", "limit": 1}`, map[string]any{"rows.0.year": 2023.0, "rows.0.anomaly_c": 1.17}, ""},
		{"daily_weather", `{"location": "Seattle", "month": "2014-07"}`, map[string]any{"matched": 31.0, "summary.precipitation_mm.sum": 19.6}, ""},
		{"daily_weather", `{"location": "New York", "date_from": "2013-01-01", "date_to": "2013-03"}`,
			map[string]any{"matched": 90.0, "summary.temp_max_c.max": 14.4}, ""},
		{"daily_weather", `{"date": "2012-13"}`, nil, "no rows match"},
		{"us_airports", `{"code": "sea"}`, map[string]any{"rows.0.name": "Seattle-Tacoma Intl", "rows.0.latitude": 47.44898194}, ""},
		{"us_airports", `{"state": "WA"}`, map[string]any{"matched": 65.0}, ""},
		{"us_state_capitals", `{"state": "Oregon"}`, map[string]any{"rows.0.capital": "Salem"}, ""},
		{"us_zip_codes", `{"zip_code": "98101"}`, map[string]any{"rows.0.city": "Seattle", "rows.0.county": "King"}, ""},
		{"us_zip_distance", `{"from": "98101", "to": "10001"}`, map[string]any{"distance_km": 3827.1722024774926}, ""},
		{"us_zip_distance", `{"from": "00000", "to": "10001"}`, nil, `no zip_code "00000"`},
		{"us_airport_distance", `{"from": "SEA", "to": "JFK"}`, map[string]any{"distance_km": 3886.667741903653, "to.city": "New York"}, ""},
		{"usgs_earthquakes_2018", `{"sort_by": "magnitude", "order": "desc", "limit": 1}`,
			map[string]any{"matched": 1707.0, "rows.0.magnitude": 6.4, "rows.0.place": "22km NNE of Hualian, Taiwan", "rows.0.date": "2018-02-06"}, ""},
		{"usgs_earthquakes_2018", `{"place": "alaska"}`, map[string]any{"matched": 313.0}, ""},
		{"disaster_deaths", `{"disaster_type": "Earthquake", "sort_by": "deaths", "order": "desc", "limit": 1}`, map[string]any{"rows.0.year": 1976.0, "rows.0.deaths": 276994.0}, ""},
		{"us_population_by_age", `{"year": 2000}`, map[string]any{"summary.people.sum": 281420717.0}, ""},
		{"us_population_by_age", `{"year": 2000, "age_group": 90, "sex": "female"}`, map[string]any{"rows.0.people": 1064581.0}, ""},
		{"us_occupations", `{"occupation": "Nurse", "sex": "women", "year": 2000}`, map[string]any{"rows.0.occupation": "Nurse", "rows.0.workers": 3505260.0}, ""},
		{"auto_mpg", `{"origin": "Japan"}`, map[string]any{"summary.mpg.count": 79.0, "summary.mpg.mean": 30.450632911392404}, ""},
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
			var out any
			if err := json.Unmarshal([]byte(res.Output), &out); err != nil {
				t.Fatal(err)
			}
			for path, want := range tc.want {
				got := lookup(out, path)
				if f, ok := want.(float64); ok {
					if g, ok := got.(float64); !ok || math.Abs(g-f) > 1e-9*math.Max(1, math.Abs(f)) {
						t.Errorf("%s(%s): %s = %v, want %v", tc.tool, tc.args, path, got, want)
					}
				} else if !reflect.DeepEqual(got, want) {
					t.Errorf("%s(%s): %s = %v, want %v", tc.tool, tc.args, path, got, want)
				}
			}
		})
	}
}

// Every dataset loads completely: the row counts are those of the files.
func TestDatasetSizes(t *testing.T) {
	registry(t)
	want := map[string]int{"penguins.json": 344, "species.csv": 12360, "burtin.json": 16, "crimea.json": 24, "obesity.json": 50,
		"gapminder.json": 682, "gapminder-health-income.csv": 187, "ohlc.json": 44, "us-employment.csv": 120 * 22,
		"airports.csv": 3376, "us-state-capitals.json": 50, "zipcodes.csv": 42049, "earthquakes.json": 1707}
	for _, d := range datasets {
		tab, err := d.Load(DefaultDir)
		if err != nil {
			t.Fatalf("%s: %v", d.ID, err)
		}
		if n, ok := want[d.File]; ok && len(tab.Rows) != n {
			t.Errorf("%s: %d rows, want %d", d.File, len(tab.Rows), n)
		}
		for _, c := range d.Columns {
			seen := false
			for _, r := range tab.Rows {
				if r[c.Name] != nil {
					seen = true
					break
				}
			}
			if !seen {
				t.Errorf("%s: column %s is empty in every row", d.ID, c.Name)
			}
		}
	}
}

// The query engine on a small table, independent of the installed data.
func TestTableQueries(t *testing.T) {
	tab := &Table{
		Columns: []Column{key("city", String, ""), key("date", Date, ""), key("year", Integer, ""), contains("note", ""), measure("rain", "mm", "")},
		Rows: []Row{
			{"city": "Oslo", "date": "2020-01-31", "year": 2020.0, "note": "Storm front", "rain": 10.0},
			{"city": "Oslo", "date": "2020-02-01", "year": 2020.0, "note": "dry", "rain": 0.0},
			{"city": "Bergen", "date": "2020-02-15", "year": 2020.0, "note": "storm", "rain": 30.0},
			{"city": "Bergen", "date": "2021-03-01", "year": 2021.0, "note": nil, "rain": nil},
		},
	}
	tests := []struct {
		args string
		want map[string]any
		err  string
	}{
		{`{"city": "oslo"}`, map[string]any{"matched": 2, "summary.rain.sum": 10.0, "summary.rain.min_at.date": "2020-02-01"}, ""},
		{`{"date": "2020-02"}`, map[string]any{"matched": 2, "summary.rain.mean": 15.0}, ""},
		{`{"date_from": "2020-02-01", "date_to": "2020-02"}`, map[string]any{"matched": 2}, ""},
		{`{"year_from": 2021}`, map[string]any{"matched": 1, "summary.rain.count": nil}, ""},
		{`{"note": "STORM"}`, map[string]any{"matched": 2}, ""},
		{`{"sort_by": "rain", "order": "desc", "limit": 2}`, map[string]any{"rows.0.rain": 30.0, "rows.1.rain": 10.0, "truncated": true}, ""},
		{`{"sort_by": "rain"}`, map[string]any{"rows.0.rain": 0.0, "rows.3.rain": nil}, ""},
		{`{"group_by": "city"}`, map[string]any{"group_count": 2, "groups.0.value": "Bergen", "groups.0.count": 2, "groups.1.summary.rain.mean": 5.0}, ""},
		{`{"group_by": "city", "sort_by": "rain", "order": "desc", "limit": 1}`, map[string]any{"groups.0.value": "Bergen", "truncated": true}, ""},
		{`{"city": "Paris"}`, nil, `city "Paris" is not in the data (known: Bergen, Oslo)`},
		{`{"town": "Oslo"}`, nil, `unknown argument "town"`},
	}
	for _, tc := range tests {
		out, err := tab.Run(json.RawMessage(tc.args))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.args, err)
			continue
		}
		b, _ := json.Marshal(out)
		var generic any
		if err := json.Unmarshal(b, &generic); err != nil {
			t.Fatal(err)
		}
		for path, want := range tc.want {
			got := lookup(generic, path)
			if n, ok := want.(int); ok {
				want = float64(n)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s = %v, want %v", tc.args, path, got, want)
			}
		}
	}
}

func TestManifestsAndMissingData(t *testing.T) {
	reg := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(reg, t.TempDir()); err != nil {
		t.Fatal(err) // Register compiles every schema
	}
	if n := len(reg.Tools()); n != len(datasets)+len(distanceTools) {
		t.Fatalf("%d tools, want %d", n, len(datasets)+len(distanceTools))
	}
	for _, tool := range reg.Tools() {
		if tool.Executable() || !strings.Contains(tool.Reason(), "setup-data") {
			t.Fatalf("%s without its data: %v %q", tool.Manifest.ID, tool.Executable(), tool.Reason())
		}
		if !strings.Contains(tool.Manifest.Description, "vega-datasets") && !strings.Contains(tool.Manifest.Description, "Returns the matching rows") {
			t.Errorf("%s: description %q", tool.Manifest.ID, tool.Manifest.Description)
		}
	}
}
