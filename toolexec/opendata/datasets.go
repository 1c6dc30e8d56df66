package opendata

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Dataset is one vega-datasets file served as a query tool.
type Dataset struct {
	ID      string   // tool id: domain.group.name
	File    string   // file name in the data folder
	Desc    string   // the manifest's description: what, where from, coverage, units
	Columns []Column // in result order
	// Source maps a column to its field in the file; columns absent from it
	// are filled by Derive.
	Source map[string]string
	// Records turns the file into source records; nil reads a JSON array or a CSV.
	Records func(path string) ([]map[string]any, error)
	// Derive fills derived columns of r from the converted row.
	Derive func(r Row) error
}

func key(name, typ, desc string) Column { return Column{Name: name, Type: typ, Desc: desc, Key: true} }
func contains(name, desc string) Column {
	return Column{Name: name, Type: String, Desc: desc, Key: true, Contains: true}
}
func measure(name, unit, desc string) Column {
	return Column{Name: name, Type: Number, Unit: unit, Desc: desc}
}

// yearOf derives an integer year key from an ISO date column.
func yearOf(dateCol string) func(Row) error {
	return func(r Row) error {
		s, _ := r[dateCol].(string)
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return fmt.Errorf("%s %q: %w", dateCol, s, err)
		}
		r["year"] = float64(t.Year())
		return nil
	}
}

// datasets is the list of served datasets. Descriptions follow vega-datasets'
// datapackage.json, which cites each original source.
var datasets = []Dataset{
	{
		ID: "biological.penguins.palmer_penguins", File: "penguins.json",
		Desc: "Palmer Archipelago (Antarctica) penguin measurements, 344 birds of three species (Adelie, Chinstrap, Gentoo) on three islands, collected by Dr. Kristen Gorman and Palmer Station LTER (CC0). Filter by species, island and sex; summarise, group, sort.",
		Columns: []Column{key("species", String, "Adelie, Chinstrap or Gentoo"), key("island", String, "Biscoe, Dream or Torgersen"),
			key("sex", String, "MALE or FEMALE (missing for some birds)"),
			measure("beak_length_mm", "mm", "culmen (beak) length"), measure("beak_depth_mm", "mm", "culmen (beak) depth"),
			measure("flipper_length_mm", "mm", "flipper length"), measure("body_mass_g", "g", "body mass")},
		Source: map[string]string{"species": "Species", "island": "Island", "sex": "Sex", "beak_length_mm": "Beak Length (mm)",
			"beak_depth_mm": "Beak Depth (mm)", "flipper_length_mm": "Flipper Length (mm)", "body_mass_g": "Body Mass (g)"},
		Derive: func(r Row) error {
			if r["sex"] == "." || r["sex"] == "" {
				r["sex"] = nil // the source marks one bird's sex with "."
			}
			return nil
		},
	},
	{
		ID: "biological.habitat.species_habitat", File: "species.csv",
		Desc: "Share of each US county that is year-round habitat for four species (American Bullfrog, American Robin, Common Gartersnake, White-tailed Deer), from the USGS Gap Analysis Project species habitat maps (30 m resolution, contiguous US); counties by 5-digit FIPS code.",
		Columns: []Column{key("species", String, "common name, e.g. American Robin"), key("scientific_name", String, "e.g. Turdus migratorius"),
			key("county_fips", Integer, "county FIPS code (state code × 1000 + county code, e.g. 53033)"),
			measure("habitat_fraction", "", "fraction of the county's area that is year-round habitat (0-1)")},
		Source: map[string]string{"species": "common_name", "scientific_name": "scientific_name", "county_fips": "county_id", "habitat_fraction": "habitat_yearround_pct"},
	},
	{
		ID: "biological.crop_trials.barley_yields", File: "barley.json",
		Desc: "Barley variety trials of the Minnesota Agricultural Experiment Station, 1931 and 1932: yields of 10 varieties at 6 sites (USDA Technical Bulletin 735, 1940; the data R. A. Fisher and W. S. Cleveland analysed).",
		Columns: []Column{key("variety", String, "e.g. Manchuria, Peatland, Trebi"), key("site", String, "e.g. Waseca, Morris, Crookston"),
			key("year", Integer, "1931 or 1932"), measure("yield", "bushels/acre", "yield")},
		Source: map[string]string{"variety": "variety", "site": "site", "year": "year", "yield": "yield"},
	},
	{
		ID: "medical.antibiotics.burtin_antibiotics", File: "burtin.json",
		Desc: "Will Burtin's 1951 antibiotic data: minimum inhibitory concentration (MIC, µg/ml; lower is more effective) of penicillin, streptomycin and neomycin against 16 bacteria, with their Gram staining.",
		Columns: []Column{contains("bacteria", "part of the bacterium's name, e.g. aureus"), key("gram_staining", String, "positive or negative"),
			key("genus", String, "Salmonella, Staphylococcus, Streptococcus or other"),
			measure("penicillin", "µg/ml", "MIC of penicillin"), measure("streptomycin", "µg/ml", "MIC of streptomycin"), measure("neomycin", "µg/ml", "MIC of neomycin")},
		Source: map[string]string{"bacteria": "Bacteria", "gram_staining": "Gram_Staining", "genus": "Genus", "penicillin": "Penicillin",
			"streptomycin": "Streptomycin", "neomycin": "Neomycin"},
	},
	{
		ID: "medical.epidemiology.crimean_war_mortality", File: "crimea.json",
		Desc: "Florence Nightingale's Crimean War data (1859, Table II): monthly deaths in the British army's hospitals in the East, April 1854 to March 1856, by cause (zymotic disease, wounds and injuries, all other causes), with the army's average strength and the annual mortality rate per 1,000 (deaths × 12 × 1000 / strength, Nightingale's definition).",
		Columns: []Column{key("month", Date, "YYYY-MM"), key("year", Integer, "1854, 1855 or 1856"),
			measure("disease_deaths", "deaths", "zymotic (preventable) disease"), measure("wound_deaths", "deaths", "wounds and injuries"),
			measure("other_deaths", "deaths", "all other causes"), measure("total_deaths", "deaths", "all causes"),
			measure("army_strength", "soldiers", "average strength of the army that month"),
			measure("disease_rate", "per 1000 per year", "annual mortality rate from disease"), measure("wound_rate", "per 1000 per year", "annual mortality rate from wounds"),
			measure("other_rate", "per 1000 per year", "annual mortality rate from other causes"), measure("total_rate", "per 1000 per year", "annual mortality rate, all causes")},
		Source: map[string]string{"month": "date", "disease_deaths": "disease", "wound_deaths": "wounds", "other_deaths": "other", "army_strength": "army_size"},
		Derive: func(r Row) error {
			if err := yearOf("month")(r); err != nil {
				return err
			}
			r["month"] = r["month"].(string)[:7]
			d, w, o, n := r["disease_deaths"].(float64), r["wound_deaths"].(float64), r["other_deaths"].(float64), r["army_strength"].(float64)
			r["total_deaths"] = d + w + o
			rate := func(x float64) float64 { return x * 12 * 1000 / n }
			r["disease_rate"], r["wound_rate"], r["other_rate"], r["total_rate"] = rate(d), rate(w), rate(o), rate(d+w+o)
			return nil
		},
	},
	{
		ID: "medical.epidemiology.us_obesity_1995", File: "obesity.json",
		Desc:    "Adult obesity prevalence (BMI ≥ 30) in each US state in 1995, from the CDC Behavioral Risk Factor Surveillance System (BRFSS); states by two-letter code.",
		Columns: []Column{key("state", String, "two-letter code, e.g. MS"), measure("obesity_rate", "", "share of adults with BMI ≥ 30 (0-1)")},
		Source:  map[string]string{"state": "state", "obesity_rate": "rate"},
	},
	{
		ID: "medical.epidemiology.gapminder_life_expectancy", File: "gapminder.json",
		Desc: "Gapminder indicators for 63 countries every 5 years from 1955 to 2005: life expectancy at birth, fertility (babies per woman) and population.",
		Columns: []Column{key("country", String, "e.g. Japan"), key("year", Integer, "1955, 1960, ..., 2005"),
			measure("life_expectancy", "years", "life expectancy at birth"), measure("fertility", "babies per woman", "total fertility rate"),
			measure("population", "people", "population")},
		Source: map[string]string{"country": "country", "year": "year", "life_expectancy": "life_expect", "fertility": "fertility", "population": "pop"},
	},
	{
		ID: "medical.epidemiology.gapminder_health_income", File: "gapminder-health-income.csv",
		Desc: "Gapminder health and wealth of 187 countries (one recent year, unstated by the source): GDP per capita (PPP, inflation-adjusted dollars), life expectancy and population, with a world region.",
		Columns: []Column{key("country", String, "e.g. Norway"), key("region", String, "e.g. europe_central_asia, sub_saharan_africa, america, east_asia_pacific, south_asia, middle_east_north_africa"),
			measure("income_per_person", "international dollars", "GDP per capita"), measure("life_expectancy", "years", "life expectancy at birth"),
			measure("population", "people", "population")},
		Source: map[string]string{"country": "country", "region": "region", "income_per_person": "income", "life_expectancy": "health", "population": "population"},
	},
	{
		ID: "financial.market_history.vix_daily_2009", File: "ohlc.json",
		Desc: "Daily open, high, low and close of the CBOE Volatility Index (VIX) from June to August 2009 (Yahoo Finance).",
		Columns: []Column{key("date", Date, "YYYY-MM-DD, or a prefix such as 2009-07"), measure("open", "index points", "open"),
			measure("high", "index points", "high"), measure("low", "index points", "low"), measure("close", "index points", "close")},
		Source: map[string]string{"date": "date", "open": "open", "high": "high", "low": "low", "close": "close"},
	},
	{
		ID: "financial.labor.us_employment", File: "us-employment.csv",
		Desc: "US employment by industry (BLS Current Employment Statistics), monthly January 2006 to December 2015, seasonally adjusted, in thousands of jobs; categories include nonfarm, private, construction, manufacturing, retail_trade, financial_activities, government and 16 more.",
		Columns: []Column{key("month", Date, "YYYY-MM, or a year"), key("category", String, "e.g. nonfarm, manufacturing, government"),
			measure("employed_thousands", "thousand jobs", "employment")},
		Records: func(path string) ([]map[string]any, error) {
			wide, err := readDelimited(path, ',')
			if err != nil {
				return nil, err
			}
			var long []map[string]any
			for _, w := range wide {
				for k, v := range w {
					if k == "month" || k == "nonfarm_change" {
						continue
					}
					if k == "trade_transportation_utilties" { // sic in the source
						k = "trade_transportation_utilities"
					}
					long = append(long, map[string]any{"month": w["month"], "category": k, "value": v})
				}
			}
			return long, nil
		},
		Source: map[string]string{"month": "month", "category": "category", "employed_thousands": "value"},
		Derive: func(r Row) error { r["month"] = r["month"].(string)[:7]; return nil },
	},
	{
		ID: "financial.labor.industry_unemployment", File: "unemployment-across-industries.json",
		Desc: "US unemployment by industry (BLS Current Population Survey), monthly January 2000 to February 2010: unemployed persons (thousands) and unemployment rate (%) for 14 series such as Construction, Finance, Manufacturing, Government, Self-employed.",
		Columns: []Column{key("industry", String, "e.g. Construction, Finance, Leisure and hospitality"), key("month", Date, "YYYY-MM, or a year"),
			measure("unemployed_thousands", "thousand people", "unemployed persons"), measure("unemployment_rate", "%", "unemployment rate")},
		Source: map[string]string{"industry": "series", "month": "date", "unemployed_thousands": "count", "unemployment_rate": "rate"},
		Derive: func(r Row) error { r["month"] = r["month"].(string)[:7]; return nil },
	},
	{
		ID: "financial.household_income.state_income_brackets", File: "income.json",
		Desc: "Household income distribution of each US state (Census Bureau American Community Survey 3-year data, 2013): the share of households in each of 10 income brackets.",
		Columns: []Column{key("state", String, "full name, e.g. Texas"), key("region", String, "northeast, midwest, south or west"),
			key("bracket", String, "<10000, 10000 to 14999, ..., 150000 to 199999, 200000+ (US dollars a year)"),
			measure("share", "", "share of the state's households in the bracket (0-1)"), measure("households", "households", "the state's total households")},
		Source: map[string]string{"state": "name", "region": "region", "bracket": "group", "share": "pct", "households": "total"},
	},
	{
		ID: "financial.public_finance.us_budget_projections", File: "budgets.json",
		Desc: "US federal budget surplus (+) or deficit (-) projections of the Office of Management and Budget, 1980 to 2010 (as analysed by The New York Times in 2010): for each budget year, the projected balance of that and later years, in trillions of 2010 dollars.",
		Columns: []Column{key("budget_year", Integer, "the budget that made the projection"), key("forecast_year", Integer, "the year projected"),
			measure("balance_trillions", "trillion 2010 USD", "projected surplus (+) or deficit (-)")},
		Source: map[string]string{"budget_year": "budgetYear", "forecast_year": "forecastYear", "balance_trillions": "value"},
	},
	{
		ID: "general.energy.iowa_electricity", File: "iowa-electricity.csv",
		Desc: "Annual net electricity generation in Iowa by source (Fossil Fuels, Nuclear Energy, Renewables), 2001 to 2017, in thousand megawatt-hours (US Energy Information Administration).",
		Columns: []Column{key("year", Integer, "2001-2017"), key("source", String, "Fossil Fuels, Nuclear Energy or Renewables"),
			measure("net_generation", "thousand MWh", "net generation")},
		Source: map[string]string{"source": "source", "net_generation": "net_generation", "date": "year"},
		Derive: func(r Row) error {
			err := yearOf("date")(r)
			delete(r, "date")
			return err
		},
	},
	{
		ID: "general.climate.co2_mauna_loa", File: "co2-concentration.csv",
		Desc: "Monthly atmospheric CO2 concentration at Mauna Loa Observatory (Scripps CO2 Program), March 1958 to 2020, in ppm: measured and seasonally adjusted. Group by year for annual means.",
		Columns: []Column{key("month", Date, "YYYY-MM, or a year"), key("year", Integer, "1958-2020"),
			measure("co2_ppm", "ppm", "monthly mean concentration"), measure("co2_adjusted_ppm", "ppm", "seasonally adjusted")},
		Source: map[string]string{"month": "Date", "co2_ppm": "CO2", "co2_adjusted_ppm": "adjusted CO2"},
		Derive: func(r Row) error {
			if err := yearOf("month")(r); err != nil {
				return err
			}
			r["month"] = r["month"].(string)[:7]
			return nil
		},
	},
	{
		ID: "general.climate.global_temperature_anomaly", File: "global-temp.csv",
		Desc:    "NASA GISS Land-Ocean Temperature Index: global annual mean surface temperature anomaly, 1880 to 2023, in °C relative to the 1951-1980 mean.",
		Columns: []Column{key("year", Integer, "1880-2023"), measure("anomaly_c", "°C", "temperature anomaly")},
		Source:  map[string]string{"year": "year", "anomaly_c": "temp"},
	},
	{
		ID: "general.weather.daily_weather", File: "weather.csv",
		Desc: "Daily weather in Seattle and New York, 2012 to 2015 (NOAA): precipitation, maximum and minimum temperature, wind, and a weather category (drizzle, rain, snow, sun, fog). Filter by month prefix or range; group by month or weather for summaries.",
		Columns: []Column{key("location", String, "Seattle or New York"), key("date", Date, "YYYY-MM-DD, or a prefix such as 2014-07"),
			key("month", Date, "YYYY-MM"), key("weather", String, "drizzle, rain, snow, sun or fog"),
			measure("precipitation_mm", "mm", "precipitation"), measure("temp_max_c", "°C", "maximum temperature"),
			measure("temp_min_c", "°C", "minimum temperature"), measure("wind", "m/s", "mean wind speed")},
		Source: map[string]string{"location": "location", "date": "date", "weather": "weather", "precipitation_mm": "precipitation",
			"temp_max_c": "temp_max", "temp_min_c": "temp_min", "wind": "wind"},
		Derive: func(r Row) error { r["month"] = r["date"].(string)[:7]; return nil },
	},
	{
		ID: "general.geography.us_airports", File: "airports.csv",
		Desc: "Airports of the United States and its territories (Data.gov, 3,376 entries): FAA/IATA code, name, city, state and coordinates.",
		Columns: []Column{key("code", String, "FAA/IATA location identifier, e.g. SEA"), contains("name", "part of the airport name"),
			key("city", String, "e.g. Seattle"), key("state", String, "two-letter code"),
			measure("latitude", "degrees", "latitude"), measure("longitude", "degrees", "longitude")},
		Source: map[string]string{"code": "iata", "name": "name", "city": "city", "state": "state", "latitude": "latitude", "longitude": "longitude"},
	},
	{
		ID: "general.geography.us_state_capitals", File: "us-state-capitals.json",
		Desc: "The capitals of the 50 US states with the coordinates of their capitol buildings (USGS National Map).",
		Columns: []Column{key("state", String, "full name, e.g. Oregon"), key("capital", String, "e.g. Salem"),
			measure("latitude", "degrees", "latitude"), measure("longitude", "degrees", "longitude")},
		Source: map[string]string{"state": "state", "capital": "city", "latitude": "lat", "longitude": "lon"},
	},
	{
		ID: "general.geography.us_zip_codes", File: "zipcodes.csv",
		Desc: "US ZIP codes (about 42,000) with city, state, county and coordinates.",
		Columns: []Column{key("zip_code", String, "five digits, e.g. 98101"), key("city", String, "e.g. Seattle"),
			key("state", String, "two-letter code"), key("county", String, "e.g. King"),
			measure("latitude", "degrees", "latitude"), measure("longitude", "degrees", "longitude")},
		Source: map[string]string{"zip_code": "zip_code", "city": "city", "state": "state", "county": "county", "latitude": "latitude", "longitude": "longitude"},
	},
	{
		ID: "general.geoscience.usgs_earthquakes_2018", File: "earthquakes.json",
		Desc: "The USGS 'all earthquakes' feed for one week, 31 January to 7 February 2018 (UTC): 1,707 events with magnitude, depth, place and time. Filter by day, place text and event type; sort by magnitude.",
		Columns: []Column{key("date", Date, "UTC day, YYYY-MM-DD"), contains("place", "part of the place description, e.g. Alaska or CA"),
			key("event_type", String, "earthquake, explosion, quarry blast, ice quake, other event"), key("time", Date, "UTC time, RFC 3339"),
			measure("magnitude", "", "magnitude (scale in magnitude_type)"), key("magnitude_type", String, "e.g. ml, md, mb, mww"),
			measure("depth_km", "km", "depth"), measure("latitude", "degrees", "latitude"), measure("longitude", "degrees", "longitude")},
		Records: readGeoJSONFeatures,
		Source: map[string]string{"place": "place", "event_type": "type", "magnitude": "mag", "magnitude_type": "magType", "depth_km": "depth",
			"latitude": "latitude", "longitude": "longitude", "time": "time"},
		Derive: func(r Row) error { r["date"] = r["time"].(string)[:10]; return nil },
	},
	{
		ID: "general.history.disaster_deaths", File: "disasters.csv",
		Desc: "Annual deaths from natural disasters worldwide, 1900 to 2017, by type (EM-DAT, CRED / UCLouvain, processed by Our World in Data); years without a recorded death of a type are absent.",
		Columns: []Column{key("disaster_type", String, "All natural disasters, Drought, Earthquake, Epidemic, Extreme temperature, Extreme weather, Flood, Landslide, Mass movement (dry), Volcanic activity or Wildfire"),
			key("year", Integer, "1900-2017"), measure("deaths", "deaths", "deaths")},
		Source: map[string]string{"disaster_type": "Entity", "year": "Year", "deaths": "Deaths"},
	},
	{
		ID: "general.demographics.us_population_by_age", File: "population.json",
		Desc: "US population by 5-year age group and sex in each census year from 1850 to 2000 (IPUMS USA, person-weighted; 1890 is missing as in the source).",
		Columns: []Column{key("year", Integer, "census year, 1850-2000"), key("age_group", Integer, "lower bound of the 5-year group: 0, 5, ..., 90 (90 = 90 and over)"),
			key("sex", String, "male or female"), measure("people", "people", "population")},
		Source: map[string]string{"year": "year", "age_group": "age", "people": "people", "sexcode": "sex"},
		Derive: func(r Row) error {
			switch r["sexcode"] {
			case "1":
				r["sex"] = "male"
			case "2":
				r["sex"] = "female"
			default:
				return fmt.Errorf("sex code %v", r["sexcode"])
			}
			delete(r, "sexcode")
			return nil
		},
	},
	{
		ID: "general.demographics.us_occupations", File: "jobs.json",
		Desc: "US workforce by occupation (255 OCC1950 titles) and sex in each census from 1850 to 2000 (IPUMS USA): number of workers and share of that year's workforce of that sex.",
		Columns: []Column{contains("occupation", "part of the occupation title, e.g. Nurse"), key("sex", String, "men or women"),
			key("year", Integer, "census year, 1850-2000"), measure("workers", "people", "workers"),
			measure("share", "", "share of the year's workforce of that sex (0-1)")},
		Source: map[string]string{"occupation": "job", "sex": "sex", "year": "year", "workers": "count", "share": "perc"},
	},
	{
		ID: "general.automobiles.auto_mpg", File: "cars.json",
		Desc: "The StatLib Auto MPG data: 406 car models of model years 1970-1982 from the USA, Europe and Japan with fuel economy, cylinders, displacement, horsepower, weight and acceleration.",
		Columns: []Column{contains("model", "part of the model name, e.g. toyota corolla"), key("origin", String, "USA, Europe or Japan"),
			key("model_year", Integer, "1970-1982"), key("cylinders", Integer, "3, 4, 5, 6 or 8"),
			measure("mpg", "miles per US gallon", "fuel economy"), measure("displacement_cu_in", "cubic inches", "engine displacement"),
			measure("horsepower", "hp", "horsepower"), measure("weight_lb", "lb", "weight"), measure("acceleration_s", "s", "0-60 mph time")},
		Source: map[string]string{"model": "Name", "origin": "Origin", "cylinders": "Cylinders", "mpg": "Miles_per_Gallon",
			"displacement_cu_in": "Displacement", "horsepower": "Horsepower", "weight_lb": "Weight_in_lbs", "acceleration_s": "Acceleration", "date": "Year"},
		Derive: func(r Row) error {
			if err := yearOf("date")(r); err != nil {
				return err
			}
			r["model_year"] = r["year"]
			delete(r, "year")
			delete(r, "date")
			return nil
		},
	},
}

// Load reads the dataset's file from dir into a Table.
func (d Dataset) Load(dir string) (*Table, error) {
	path := filepath.Join(dir, d.File)
	var recs []map[string]any
	var err error
	switch {
	case d.Records != nil:
		recs, err = d.Records(path)
	case strings.HasSuffix(d.File, ".json"):
		recs, err = readJSONArray(path)
	case strings.HasSuffix(d.File, ".tsv"):
		recs, err = readDelimited(path, '\t')
	default:
		recs, err = readDelimited(path, ',')
	}
	if err != nil {
		return nil, err
	}
	types := map[string]string{}
	for _, c := range d.Columns {
		types[c.Name] = c.Type
	}
	t := &Table{Columns: d.Columns, Rows: make([]Row, 0, len(recs))}
	for i, rec := range recs {
		r := Row{}
		for name, field := range d.Source {
			v := rec[field]
			switch types[name] {
			case Integer, Number:
				if r[name], err = num(v); err != nil {
					return nil, fmt.Errorf("%s record %d, %s: %w", d.File, i+1, field, err)
				}
			default: // String, Date and helper fields
				r[name] = text(v)
			}
		}
		if d.Derive != nil {
			if err := d.Derive(r); err != nil {
				return nil, fmt.Errorf("%s record %d: %w", d.File, i+1, err)
			}
		}
		t.Rows = append(t.Rows, r)
	}
	return t, nil
}

// readGeoJSONFeatures flattens a GeoJSON FeatureCollection of points:
// properties, plus longitude, latitude and depth from the coordinates and
// the time (epoch milliseconds) as RFC 3339 UTC.
func readGeoJSONFeatures(path string) ([]map[string]any, error) {
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
			Geometry   struct {
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := readJSON(path, &fc); err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(fc.Features))
	for i, f := range fc.Features {
		c := f.Geometry.Coordinates
		ms, ok := f.Properties["time"].(float64)
		if len(c) != 3 || !ok {
			return nil, fmt.Errorf("%s feature %d: want 3 coordinates and a time", filepath.Base(path), i)
		}
		rec := f.Properties
		rec["longitude"], rec["latitude"], rec["depth"] = c[0], c[1], c[2]
		rec["time"] = time.UnixMilli(int64(ms)).UTC().Format(time.RFC3339Nano)
		out = append(out, rec)
	}
	return out, nil
}
