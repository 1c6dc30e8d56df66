package synth

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dive-env/dive/internal/checkdigit"
)

// recipe is a random walk over real tools that ends in a question whose
// answer the trace entails.
type recipe struct {
	name, domain string
	tools        []string // every tool it may call; it is skipped when one cannot run
	make         func(w *walker, d *draft) error
}

const (
	tGC          = "biological.bio_sequtils.bio_sequtils_gc_content"
	tTranslate   = "biological.bio_seq.bio_seq_translate"
	tRevComp     = "biological.bio_seq.bio_seq_reverse_complement"
	tMW          = "biological.protparam.protparam_molecular_weight"
	tPI          = "biological.protparam.protparam_isoelectric_point"
	tPenguins    = "biological.penguins.palmer_penguins"
	tBarley      = "biological.crop_trials.barley_yields"
	tCalc        = "general.math.calculator"
	tCO2         = "general.climate.co2_mauna_loa"
	tTemp        = "general.climate.global_temperature_anomaly"
	tWeather     = "general.weather.daily_weather"
	tZips        = "general.geography.us_zip_codes"
	tZipDist     = "general.geography.us_zip_distance"
	tEaster      = "general.datetime.datetime_easter"
	tDateDiff    = "general.datetime.datetime_difference"
	tCountry     = "general.geography.country_lookup"
	tPayment     = "financial.finmath.finmath_payment"
	tSP500       = "financial.market_history.sp500_performance"
	tEmployment  = "financial.labor.us_employment"
	tIndustry    = "financial.labor.industry_unemployment"
	tBMI         = "medical.clinical_calc.clinical_bmi"
	tEGFR        = "medical.clinical_calc.clinical_egfr"
	tGapminder   = "medical.epidemiology.gapminder_life_expectancy"
	tCrimea      = "medical.epidemiology.crimean_war_mortality"
	tBurtin      = "medical.antibiotics.burtin_antibiotics"
	tHIndex      = "academic.bibliometrics.bibliometrics_h_index"
	tISBN        = "academic.identifiers.isbn_validate"
	tISSN        = "academic.identifiers.issn_validate"
	tJournalFind = "academic.journals.journal_search"
	tJournal     = "academic.journals.journal_lookup"
	tAirports    = "general.geography.us_airports"
	tAirportDist = "general.geography.us_airport_distance"
)

// calc runs the calculator on expr and returns the result.
func (w *walker) calc(d *draft, expr string) (float64, error) {
	out, err := w.call(d, tCalc, map[string]any{"expression": expr})
	if err != nil {
		return 0, err
	}
	return num(out, "result")
}

// pair runs one tool twice, with argsA and argsB, and reads the number at
// path from both outputs.
func (w *walker) pair(d *draft, tool string, argsA, argsB map[string]any, path string) (a, b float64, err error) {
	ra, err := w.call(d, tool, argsA)
	if err != nil {
		return 0, 0, err
	}
	rb, err := w.call(d, tool, argsB)
	if err != nil {
		return 0, 0, err
	}
	if a, err = num(ra, path); err != nil {
		return 0, 0, err
	}
	b, err = num(rb, path)
	return a, b, err
}

func fixed(v float64, decimals int) string { return strconv.FormatFloat(v, 'f', decimals, 64) }

func (w *walker) dna(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteByte("ACGT"[w.rng.IntN(4)])
	}
	return b.String()
}

// orf is ATG, codons that are not stops, a stop codon and a short tail.
func (w *walker) orf(codons int) string {
	var b strings.Builder
	b.WriteString("ATG")
	for i := 0; i < codons; {
		if c := w.dna(3); c != "TAA" && c != "TAG" && c != "TGA" {
			b.WriteString(c)
			i++
		}
	}
	b.WriteString(pick(w.rng, []string{"TAA", "TAG", "TGA"}))
	b.WriteString(w.dna(w.rng.IntN(7)))
	return b.String()
}

// rows returns the rows of a dataset tool's answer.
func rows(out map[string]any) []map[string]any {
	var rs []map[string]any
	list, _ := out["rows"].([]any)
	for _, r := range list {
		if m, ok := r.(map[string]any); ok {
			rs = append(rs, m)
		}
	}
	return rs
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

func monthName(ym string) string {
	m, _ := strconv.Atoi(ym[5:7])
	return monthNames[m-1] + " " + ym[:4]
}

var recipes = []recipe{
	// Biological.
	{"translate", "biological", []string{tTranslate}, func(w *walker, d *draft) error {
		seq := w.orf(6 + w.rng.IntN(10))
		out, err := w.call(d, tTranslate, map[string]any{"sequence": seq, "to_stop": true})
		if err != nil {
			return err
		}
		p, err := str(out, "protein")
		d.question = fmt.Sprintf("Translate the DNA sequence %s with the standard genetic code, stopping at the first stop codon. What is the resulting protein sequence in one-letter codes?", seq)
		d.answer, d.seed = p, "genetic code"
		return err
	}},
	{"gc_content", "biological", []string{tGC}, func(w *walker, d *draft) error {
		seq := w.dna(24 + w.rng.IntN(60))
		out, err := w.call(d, tGC, map[string]any{"sequence": seq})
		if err != nil {
			return err
		}
		gc, err := num(out, "gc_percent")
		d.question = fmt.Sprintf("What is the GC content of the DNA sequence %s? Give it as a percentage rounded to two decimal places.", seq)
		d.answer, d.seed = fixed(gc, 2), "GC content"
		return err
	}},
	{"translate_then_weight", "biological", []string{tTranslate, tMW}, func(w *walker, d *draft) error {
		seq := w.orf(5 + w.rng.IntN(12))
		tr, err := w.call(d, tTranslate, map[string]any{"sequence": seq, "to_stop": true})
		if err != nil {
			return err
		}
		p, err := str(tr, "protein")
		if err != nil {
			return err
		}
		mw, err := w.call(d, tMW, map[string]any{"sequence": p})
		if err != nil {
			return err
		}
		v, err := num(mw, "molecular_weight")
		d.question = fmt.Sprintf("A gene fragment reads %s. Translate it with the standard genetic code up to the first stop codon; what is the average molecular weight of the protein in daltons, rounded to one decimal place?", seq)
		d.answer, d.seed = fixed(v, 1), "protein synthesis"
		return err
	}},
	{"minus_strand_protein", "biological", []string{tRevComp, tTranslate}, func(w *walker, d *draft) error {
		minus := reverseComplement(w.orf(4 + w.rng.IntN(10)))
		rc, err := w.call(d, tRevComp, map[string]any{"sequence": minus})
		if err != nil {
			return err
		}
		coding, err := str(rc, "result")
		if err != nil {
			return err
		}
		tr, err := w.call(d, tTranslate, map[string]any{"sequence": coding, "to_stop": true})
		if err != nil {
			return err
		}
		p, err := str(tr, "protein")
		d.question = fmt.Sprintf("The template (minus) strand of a short gene reads %s, 5' to 3'. Take its reverse complement to get the coding strand and translate it with the standard genetic code up to the first stop codon. What protein sequence results?", minus)
		d.answer, d.seed = p, "gene expression"
		return err
	}},
	{"translated_pi", "biological", []string{tTranslate, tPI}, func(w *walker, d *draft) error {
		seq := w.orf(6 + w.rng.IntN(14))
		tr, err := w.call(d, tTranslate, map[string]any{"sequence": seq, "to_stop": true})
		if err != nil {
			return err
		}
		p, err := str(tr, "protein")
		if err != nil {
			return err
		}
		pi, err := w.call(d, tPI, map[string]any{"sequence": p})
		if err != nil {
			return err
		}
		v, err := num(pi, "isoelectric_point")
		d.question = fmt.Sprintf("Translate the open reading frame %s (standard code, up to the first stop) and estimate the isoelectric point of the peptide with the Bjellqvist method. Round to two decimal places.", seq)
		d.answer, d.seed = fixed(v, 2), "protein structure"
		return err
	}},
	{"penguin_measure", "biological", []string{tPenguins}, func(w *walker, d *draft) error {
		species := pick(w.rng, []string{"Adelie", "Chinstrap", "Gentoo"})
		islands := map[string][]string{"Adelie": {"Biscoe", "Dream", "Torgersen"}, "Chinstrap": {"Dream"}, "Gentoo": {"Biscoe"}}
		island := pick(w.rng, islands[species])
		sex := pick(w.rng, []string{"MALE", "FEMALE"})
		m := pick(w.rng, []struct{ field, words, unit string }{{"body_mass_g", "body mass", "grams"}, {"flipper_length_mm", "flipper length", "mm"},
			{"beak_length_mm", "beak (culmen) length", "mm"}, {"beak_depth_mm", "beak (culmen) depth", "mm"}})
		out, err := w.call(d, tPenguins, map[string]any{"species": species, "island": island, "sex": sex})
		if err != nil {
			return err
		}
		v, err := num(out, "summary."+m.field+".mean")
		d.question = fmt.Sprintf("In the Palmer Archipelago penguin data (Gorman et al., Palmer Station LTER), what is the mean %s of %s %s penguins on %s Island, in %s, rounded to one decimal place?",
			m.words, strings.ToLower(sex), species, island, m.unit)
		d.answer, d.seed = fixed(v, 1), "Palmer penguins"
		return err
	}},
	{"barley_yield", "biological", []string{tBarley}, func(w *walker, d *draft) error {
		variety := pick(w.rng, []string{"Manchuria", "Glabron", "Svansota", "Velvet", "Trebi", "No. 457", "No. 462", "Peatland", "No. 475", "Wisconsin No. 38"})
		site := pick(w.rng, []string{"University Farm", "Waseca", "Morris", "Crookston", "Grand Rapids", "Duluth"})
		out, err := w.call(d, tBarley, map[string]any{"variety": variety, "site": site})
		if err != nil {
			return err
		}
		v, err := num(out, "summary.yield.mean")
		d.question = fmt.Sprintf("In the Minnesota barley trials of 1931 and 1932, what was the mean yield of the %s variety at %s over the two years, in bushels per acre, rounded to two decimal places?", variety, site)
		d.answer, d.seed = fixed(v, 2), "barley trials"
		return err
	}},

	// General.
	{"co2_annual_mean", "general", []string{tCO2}, func(w *walker, d *draft) error {
		year := 1959 + w.rng.IntN(61)
		out, err := w.call(d, tCO2, map[string]any{"year": year})
		if err != nil {
			return err
		}
		v, err := num(out, "summary.co2_ppm.mean")
		d.question = fmt.Sprintf("What was the mean of the monthly atmospheric CO2 concentrations measured at Mauna Loa in %d, in ppm, rounded to two decimal places?", year)
		d.answer, d.seed = fixed(v, 2), "Mauna Loa CO2"
		return err
	}},
	{"monthly_precipitation", "general", []string{tWeather}, func(w *walker, d *draft) error {
		loc := pick(w.rng, []string{"Seattle", "New York"})
		month := fmt.Sprintf("%d-%02d", 2012+w.rng.IntN(4), 1+w.rng.IntN(12))
		out, err := w.call(d, tWeather, map[string]any{"location": loc, "month": month})
		if err != nil {
			return err
		}
		v, err := num(out, "summary.precipitation_mm.sum")
		d.question = fmt.Sprintf("How much precipitation fell in %s in %s according to NOAA's daily records, in millimetres, rounded to one decimal place?", loc, monthName(month))
		d.answer, d.seed = fixed(v, 1), "weather"
		return err
	}},
	{"temperature_anomaly_change", "general", []string{tTemp, tCalc}, func(w *walker, d *draft) error {
		a := 1880 + w.rng.IntN(100)
		b := a + 10 + w.rng.IntN(2023-a-9)
		va, vb, err := w.pair(d, tTemp, map[string]any{"year": a}, map[string]any{"year": b}, "summary.anomaly_c.mean")
		if err != nil {
			return err
		}
		v, err := w.calc(d, fmt.Sprintf("%v - (%v)", vb, va))
		d.question = fmt.Sprintf("By how many degrees Celsius did NASA GISS's global land-ocean temperature anomaly change from %d to %d? Give the change (later minus earlier) rounded to two decimal places.", a, b)
		d.answer, d.seed = fixed(v, 2), "global warming"
		return err
	}},
	{"zip_distance", "general", []string{tZips, tZipDist}, func(w *walker, d *draft) error {
		state := pick(w.rng, []string{"WA", "OR", "CA", "NY", "TX", "FL", "IL", "CO", "MA", "GA", "AZ", "MN"})
		out, err := w.call(d, tZips, map[string]any{"state": state, "limit": 100})
		if err != nil {
			return err
		}
		rs := rows(out)
		if len(rs) < 2 {
			return fmt.Errorf("few ZIP codes in %s", state)
		}
		a, b := rs[w.rng.IntN(len(rs))], rs[w.rng.IntN(len(rs))]
		if a["zip_code"] == b["zip_code"] {
			return fmt.Errorf("same ZIP twice")
		}
		dist, err := w.call(d, tZipDist, map[string]any{"from": a["zip_code"], "to": b["zip_code"]})
		if err != nil {
			return err
		}
		v, err := num(dist, "distance_km")
		d.question = fmt.Sprintf("What is the great-circle distance between the centres of ZIP codes %s (%s, %s) and %s (%s, %s), in kilometres, rounded to one decimal place?",
			a["zip_code"], a["city"], state, b["zip_code"], b["city"], state)
		d.answer, d.seed = fixed(v, 1), "US geography"
		return err
	}},
	{"days_after_easter", "general", []string{tEaster, tDateDiff}, func(w *walker, d *draft) error {
		year := 1990 + w.rng.IntN(60)
		e, err := w.call(d, tEaster, map[string]any{"year": year})
		if err != nil {
			return err
		}
		easter, err := str(e, "date")
		if err != nil {
			return err
		}
		target := fmt.Sprintf("%d-%02d-%02d", year, 6+w.rng.IntN(7), 1+w.rng.IntN(28))
		diff, err := w.call(d, tDateDiff, map[string]any{"start": easter, "end": target})
		if err != nil {
			return err
		}
		v, err := num(diff, "days")
		d.question = fmt.Sprintf("How many days are there from Western Easter Sunday %d to %s?", year, target)
		d.answer, d.seed = fixed(v, 0), "calendar"
		return err
	}},
	{"capital_of", "general", []string{tCountry}, func(w *walker, d *draft) error {
		code := string(rune('A'+w.rng.IntN(26))) + string(rune('A'+w.rng.IntN(26)))
		out, err := w.call(d, tCountry, map[string]any{"query": code})
		if err != nil {
			return err
		}
		list, _ := out["matches"].([]any)
		if len(list) != 1 {
			return fmt.Errorf("%s is not one country", code)
		}
		m := list[0].(map[string]any)
		capital, _ := m["capital"].(string)
		if capital == "" || m["alpha2"] != code {
			return fmt.Errorf("no capital for %s", code)
		}
		d.question = fmt.Sprintf("Which city is the capital of the country whose ISO 3166 two-letter code is %s?", code)
		d.answer, d.seed = capital, "countries"
		return nil
	}},

	// Financial.
	{"compound_interest", "financial", []string{tCalc}, func(w *walker, d *draft) error {
		principal := 1000 * (1 + w.rng.IntN(50))
		rate := strconv.FormatFloat(1+float64(w.rng.IntN(80))/10, 'f', -1, 64)
		years := 2 + w.rng.IntN(20)
		v, err := w.calc(d, fmt.Sprintf("%d * (1 + %s/100) ^ %d", principal, rate, years))
		d.question = fmt.Sprintf("An investment of $%d earns %s%% interest per year, compounded annually. What is it worth after %d years? Give the amount in dollars rounded to the cent.", principal, rate, years)
		d.answer, d.seed = fixed(v, 2), "compound interest"
		return err
	}},
	{"loan_payment", "financial", []string{tPayment}, func(w *walker, d *draft) error {
		principal := 10000 * (1 + w.rng.IntN(60))
		rate := float64(200+w.rng.IntN(700)) / 100
		years := pick(w.rng, []int{5, 10, 15, 20, 25, 30})
		out, err := w.call(d, tPayment, map[string]any{"rate": rate / 100 / 12, "nper": years * 12, "pv": principal})
		if err != nil {
			return err
		}
		v, err := num(out, "payment")
		d.question = fmt.Sprintf("What is the monthly payment on a $%d loan at %s%% annual interest, compounded monthly and repaid over %d years? Give the amount in dollars rounded to the cent.",
			principal, strconv.FormatFloat(rate, 'f', -1, 64), years)
		d.answer, d.seed = fixed(math.Abs(v), 2), "loans"
		return err
	}},
	{"sp500_year_return", "financial", []string{tSP500}, func(w *walker, d *draft) error {
		year := 2000 + w.rng.IntN(20)
		out, err := w.call(d, tSP500, map[string]any{"start": fmt.Sprintf("%d-01-01", year), "end": fmt.Sprintf("%d-12-31", year)})
		if err != nil {
			return err
		}
		v, err := num(out, "total_return")
		d.question = fmt.Sprintf("What was the S&P 500's price return from its first to its last close of %d? Give it as a percentage rounded to two decimal places.", year)
		d.answer, d.seed = fixed(v*100, 2), "stock market"
		return err
	}},
	{"employment_change", "financial", []string{tEmployment, tCalc}, func(w *walker, d *draft) error {
		cat := pick(w.rng, []string{"nonfarm", "private", "construction", "manufacturing", "retail_trade", "financial_activities", "government", "information", "leisure_and_hospitality", "education_and_health_services"})
		a := fmt.Sprintf("%d-%02d", 2006+w.rng.IntN(9), 1+w.rng.IntN(12))
		b := fmt.Sprintf("%d-%02d", 2007+w.rng.IntN(9), 1+w.rng.IntN(12))
		if a >= b {
			a, b = b, a
		}
		if a == b {
			return fmt.Errorf("same month")
		}
		va, vb, err := w.pair(d, tEmployment, map[string]any{"category": cat, "month": a}, map[string]any{"category": cat, "month": b}, "summary.employed_thousands.mean")
		if err != nil {
			return err
		}
		v, err := w.calc(d, fmt.Sprintf("(%v - %v) / %v * 100", vb, va, va))
		d.question = fmt.Sprintf("By what percentage did US %s employment (BLS, seasonally adjusted) change from %s to %s? Round to two decimal places.",
			strings.ReplaceAll(cat, "_", " "), monthName(a), monthName(b))
		d.answer, d.seed = fixed(v, 2), "labour market"
		return err
	}},
	{"industry_unemployment_peak", "financial", []string{tIndustry}, func(w *walker, d *draft) error {
		ind := pick(w.rng, []string{"Construction", "Manufacturing", "Finance", "Information", "Leisure and hospitality", "Business services", "Government", "Agriculture"})
		year := 2000 + w.rng.IntN(10)
		out, err := w.call(d, tIndustry, map[string]any{"industry": ind, "month": strconv.Itoa(year), "sort_by": "unemployment_rate", "order": "desc", "limit": 1})
		if err != nil {
			return err
		}
		rs := rows(out)
		if len(rs) == 0 {
			return fmt.Errorf("no rows")
		}
		v, _ := rs[0]["unemployment_rate"].(float64)
		d.question = fmt.Sprintf("What was the highest monthly unemployment rate among US %s workers in %d (BLS Current Population Survey), in percent?", strings.ToLower(ind), year)
		d.answer, d.seed = strconv.FormatFloat(v, 'f', -1, 64), "unemployment"
		return nil
	}},

	// Medical.
	{"bmi", "medical", []string{tBMI}, func(w *walker, d *draft) error {
		kg := 45 + w.rng.IntN(80)
		cm := 150 + w.rng.IntN(45)
		out, err := w.call(d, tBMI, map[string]any{"weight_kg": kg, "height_cm": cm})
		if err != nil {
			return err
		}
		v, err := num(out, "bmi")
		d.question = fmt.Sprintf("What is the body mass index of an adult weighing %d kg who is %d cm tall? Round to one decimal place.", kg, cm)
		d.answer, d.seed = fixed(v, 1), "body mass index"
		return err
	}},
	{"egfr", "medical", []string{tEGFR}, func(w *walker, d *draft) error {
		cr := float64(50+w.rng.IntN(250)) / 100
		age := 25 + w.rng.IntN(60)
		sex := pick(w.rng, []string{"female", "male"})
		out, err := w.call(d, tEGFR, map[string]any{"creatinine_mg_dl": cr, "age": age, "sex": sex})
		if err != nil {
			return err
		}
		v, err := num(out, "egfr")
		d.question = fmt.Sprintf("Using the 2021 CKD-EPI creatinine equation, what is the eGFR of a %d-year-old %s with a serum creatinine of %s mg/dL, in mL/min/1.73 m², rounded to the nearest whole number?",
			age, sex, strconv.FormatFloat(cr, 'f', -1, 64))
		d.answer, d.seed = fixed(v, 0), "kidney function"
		return err
	}},
	{"life_expectancy_gain", "medical", []string{tGapminder, tCalc}, func(w *walker, d *draft) error {
		country := pick(w.rng, []string{"Japan", "India", "China", "Brazil", "Nigeria", "Egypt", "Mexico", "Chile", "Turkey", "Kenya", "Iran", "Peru",
			"Bangladesh", "Pakistan", "Indonesia", "Haiti", "Cuba", "Iceland", "Norway", "Spain", "Italy", "Greece", "Poland", "Afghanistan", "Argentina"})
		a := 1955 + 5*w.rng.IntN(8)
		b := a + 5*(1+w.rng.IntN((2005-a)/5))
		va, vb, err := w.pair(d, tGapminder, map[string]any{"country": country, "year": a}, map[string]any{"country": country, "year": b}, "summary.life_expectancy.mean")
		if err != nil {
			return err
		}
		v, err := w.calc(d, fmt.Sprintf("%v - %v", vb, va))
		d.question = fmt.Sprintf("According to Gapminder, by how many years did life expectancy at birth in %s change from %d to %d? Round to two decimal places.", country, a, b)
		d.answer, d.seed = fixed(v, 2), "life expectancy"
		return err
	}},
	{"crimean_peak", "medical", []string{tCrimea}, func(w *walker, d *draft) error {
		cause := pick(w.rng, []struct{ field, words string }{{"disease_rate", "zymotic disease"}, {"wound_rate", "wounds and injuries"}, {"other_rate", "all other causes"}, {"total_rate", "all causes"}})
		year := pick(w.rng, []int{1854, 1855})
		out, err := w.call(d, tCrimea, map[string]any{"year": year, "sort_by": cause.field, "order": "desc", "limit": 1})
		if err != nil {
			return err
		}
		rs := rows(out)
		if len(rs) == 0 {
			return fmt.Errorf("no rows")
		}
		month, _ := rs[0]["month"].(string)
		d.question = fmt.Sprintf("In Florence Nightingale's Crimean War data, in which month of %d was the British army's annual mortality rate from %s highest?", year, cause.words)
		d.answer, d.seed = monthName(month), "Crimean War"
		return nil
	}},
	{"best_antibiotic", "medical", []string{tBurtin}, func(w *walker, d *draft) error {
		bug := pick(w.rng, []string{"Aerobacter aerogenes", "Bacillus anthracis", "Brucella abortus", "Diplococcus pneumoniae", "Escherichia coli",
			"Klebsiella pneumoniae", "Mycobacterium tuberculosis", "Proteus vulgaris", "Pseudomonas aeruginosa", "Salmonella schottmuelleri",
			"Staphylococcus albus", "Staphylococcus aureus", "Streptococcus fecalis", "Streptococcus hemolyticus", "Streptococcus viridans"})
		out, err := w.call(d, tBurtin, map[string]any{"bacteria": bug})
		if err != nil {
			return err
		}
		rs := rows(out)
		if len(rs) != 1 {
			return fmt.Errorf("%d rows for %s", len(rs), bug)
		}
		best, bestV := "", math.Inf(1)
		for _, ab := range []string{"penicillin", "streptomycin", "neomycin"} {
			if v, ok := rs[0][ab].(float64); ok && v < bestV {
				best, bestV = ab, v
			} else if ok && v == bestV {
				return fmt.Errorf("tie")
			}
		}
		d.question = fmt.Sprintf("In Will Burtin's 1951 antibiotic data, which of penicillin, streptomycin and neomycin has the lowest minimum inhibitory concentration against %s?", bug)
		d.answer, d.seed = best, "antibiotics"
		return nil
	}},

	// Academic.
	{"h_index", "academic", []string{tHIndex}, func(w *walker, d *draft) error {
		n := 6 + w.rng.IntN(15)
		cites := make([]int, n)
		var parts []string
		for i := range cites {
			cites[i] = int(math.Floor(math.Exp(w.rng.Float64() * 5)))
			parts = append(parts, strconv.Itoa(cites[i]))
		}
		out, err := w.call(d, tHIndex, map[string]any{"citations": cites})
		if err != nil {
			return err
		}
		v, err := num(out, "h_index")
		d.question = fmt.Sprintf("A researcher's %d papers have been cited %s times. What is the researcher's h-index?", n, strings.Join(parts, ", "))
		d.answer, d.seed = fixed(v, 0), "bibliometrics"
		return err
	}},
	{"isbn_hyphenation", "academic", []string{tISBN}, func(w *walker, d *draft) error {
		body := "978" + pick(w.rng, []string{"0", "1", "2", "3", "4", "88", "84", "90"})
		for len(body) < 12 {
			body += strconv.Itoa(w.rng.IntN(10))
		}
		isbn := body + checkdigit.EAN13(body)
		out, err := w.call(d, tISBN, map[string]any{"isbn": isbn})
		if err != nil {
			return err
		}
		h, err := str(out, "hyphenated13")
		if err != nil {
			return err
		}
		d.question = fmt.Sprintf("How is the ISBN %s hyphenated into prefix, registration group, registrant, publication and check digit, according to the International ISBN Agency's ranges?", isbn)
		d.answer, d.seed = h, "ISBN"
		return nil
	}},
	{"issn_barcode", "academic", []string{tISSN}, func(w *walker, d *draft) error {
		seven := ""
		for i := 0; i < 7; i++ {
			seven += strconv.Itoa(w.rng.IntN(10))
		}
		issn := seven[:4] + "-" + seven[4:] + checkdigit.ISSN(seven)
		out, err := w.call(d, tISSN, map[string]any{"issn": issn})
		if err != nil {
			return err
		}
		ean, err := str(out, "ean13")
		d.question = fmt.Sprintf("What is the 13-digit EAN barcode number (977 prefix) of the serial with ISSN %s?", issn)
		d.answer, d.seed = ean, "ISSN"
		return err
	}},
	{"journal_eissn", "academic", []string{tJournalFind, tJournal}, func(w *walker, d *draft) error {
		field := pick(w.rng, []string{"medicine", "biology", "chemistry", "physics", "engineering", "psychology", "social_science", "history", "law", "geology"})
		out, err := w.call(d, tJournalFind, map[string]any{"field": field, "title_contains": pick(w.rng, []string{"journal", "review", "research", "international", "science", "studies"}), "limit": 100})
		if err != nil {
			return err
		}
		list, _ := out["journals"].([]any)
		if len(list) == 0 {
			return fmt.Errorf("no journals")
		}
		j := list[w.rng.IntN(len(list))].(map[string]any)
		title, _ := j["title"].(string)
		look, err := w.call(d, tJournal, map[string]any{"query": title})
		if err != nil {
			return err
		}
		if c, _ := look["count"].(float64); c != 1 {
			return fmt.Errorf("title %q is not unique", title)
		}
		match := look["journals"].([]any)[0].(map[string]any)
		eissn, _ := match["eissn"].(string)
		if eissn == "" {
			return fmt.Errorf("%s has no eISSN", title)
		}
		d.question = fmt.Sprintf("What is the electronic ISSN of the journal %s?", title)
		d.answer, d.seed = eissn, "journals"
		return nil
	}},
	// Longer chains: retrieve twice, then compute.
	{"penguin_difference", "biological", []string{tPenguins, tCalc}, func(w *walker, d *draft) error {
		island := pick(w.rng, []string{"Biscoe", "Dream", "Torgersen"})
		m := pick(w.rng, []struct{ field, words, unit string }{{"body_mass_g", "body mass", "grams"}, {"flipper_length_mm", "flipper length", "mm"}, {"beak_depth_mm", "beak depth", "mm"}})
		species := "Adelie"
		va, vb, err := w.pair(d, tPenguins, map[string]any{"species": species, "island": island, "sex": "MALE"}, map[string]any{"species": species, "island": island, "sex": "FEMALE"}, "summary."+m.field+".mean")
		if err != nil {
			return err
		}
		v, err := w.calc(d, fmt.Sprintf("%v - %v", va, vb))
		d.question = fmt.Sprintf("In the Palmer penguin data, how much larger is the mean %s of male than of female Adelie penguins on %s Island, in %s, rounded to two decimal places?", m.words, island, m.unit)
		d.answer, d.seed = fixed(v, 2), "sexual dimorphism"
		return err
	}},
	{"co2_growth", "general", []string{tCO2, tCalc}, func(w *walker, d *draft) error {
		a := 1959 + w.rng.IntN(50)
		b := a + 5 + w.rng.IntN(2019-a-4)
		va, vb, err := w.pair(d, tCO2, map[string]any{"year": a}, map[string]any{"year": b}, "summary.co2_ppm.mean")
		if err != nil {
			return err
		}
		v, err := w.calc(d, fmt.Sprintf("(%v - %v) / %v * 100", vb, va, va))
		d.question = fmt.Sprintf("By what percentage did the annual mean of Mauna Loa's monthly CO2 readings rise from %d to %d? Round to two decimal places.", a, b)
		d.answer, d.seed = fixed(v, 2), "Mauna Loa CO2"
		return err
	}},
	{"rainier_city", "general", []string{tWeather, tCalc}, func(w *walker, d *draft) error {
		month := fmt.Sprintf("%d-%02d", 2012+w.rng.IntN(4), 1+w.rng.IntN(12))
		va, vb, err := w.pair(d, tWeather, map[string]any{"location": "Seattle", "month": month}, map[string]any{"location": "New York", "month": month}, "summary.precipitation_mm.sum")
		if err != nil {
			return err
		}
		v, err := w.calc(d, fmt.Sprintf("%v - %v", va, vb))
		d.question = fmt.Sprintf("In %s, how much more precipitation fell in Seattle than in New York according to NOAA's daily records (negative if less), in millimetres, rounded to one decimal place?", monthName(month))
		d.answer, d.seed = fixed(v, 1), "weather"
		return err
	}},
	{"flight_time", "general", []string{tAirports, tAirportDist, tCalc}, func(w *walker, d *draft) error {
		codes := []string{"SEA", "JFK", "LAX", "ORD", "ATL", "DFW", "DEN", "SFO", "BOS", "MIA", "PHX", "IAH", "MSP", "DTW", "PHL", "LAS", "SLC", "CLT", "SAN", "PDX"}
		a, b := pick(w.rng, codes), pick(w.rng, codes)
		if a == b {
			return fmt.Errorf("same airport")
		}
		ra, err := w.call(d, tAirports, map[string]any{"code": a})
		if err != nil {
			return err
		}
		rb, err := w.call(d, tAirports, map[string]any{"code": b})
		if err != nil {
			return err
		}
		na, nb := rows(ra), rows(rb)
		if len(na) != 1 || len(nb) != 1 {
			return fmt.Errorf("airport not unique")
		}
		dist, err := w.call(d, tAirportDist, map[string]any{"from": a, "to": b})
		if err != nil {
			return err
		}
		km, err := num(dist, "distance_km")
		if err != nil {
			return err
		}
		speed := 700 + 10*w.rng.IntN(21)
		v, err := w.calc(d, fmt.Sprintf("%v / %d", km, speed))
		d.question = fmt.Sprintf("A plane flies the great circle from %s (%s) to %s (%s) at an average ground speed of %d km/h. How long does the flight take, in hours, rounded to two decimal places?",
			na[0]["name"], a, nb[0]["name"], b, speed)
		d.answer, d.seed = fixed(v, 2), "air travel"
		return err
	}},
	{"loan_total_interest", "financial", []string{tPayment, tCalc}, func(w *walker, d *draft) error {
		principal := 50000 * (1 + w.rng.IntN(16))
		rate := float64(250+w.rng.IntN(550)) / 100
		years := pick(w.rng, []int{10, 15, 20, 25, 30})
		out, err := w.call(d, tPayment, map[string]any{"rate": rate / 100 / 12, "nper": years * 12, "pv": principal})
		if err != nil {
			return err
		}
		p, err := num(out, "payment")
		if err != nil {
			return err
		}
		v, err := w.calc(d, fmt.Sprintf("%v * %d - %d", math.Abs(p), years*12, principal))
		d.question = fmt.Sprintf("A $%d mortgage at %s%% a year, compounded monthly, is repaid in equal monthly payments over %d years. How much interest is paid in all, in dollars, rounded to the nearest dollar?",
			principal, strconv.FormatFloat(rate, 'f', -1, 64), years)
		d.answer, d.seed = fixed(v, 0), "mortgages"
		return err
	}},
	{"sp500_return_gap", "financial", []string{tSP500, tCalc}, func(w *walker, d *draft) error {
		a := 2000 + w.rng.IntN(19)
		b := a + 1 + w.rng.IntN(2019-a)
		va, vb, err := w.pair(d, tSP500, map[string]any{"start": fmt.Sprintf("%d-01-01", a), "end": fmt.Sprintf("%d-12-31", a)}, map[string]any{"start": fmt.Sprintf("%d-01-01", b), "end": fmt.Sprintf("%d-12-31", b)}, "total_return")
		if err != nil {
			return err
		}
		v, err := w.calc(d, fmt.Sprintf("(%v - %v) * 100", vb, va))
		d.question = fmt.Sprintf("How many percentage points higher was the S&P 500's calendar-year price return (first to last close) in %d than in %d? Negative if lower; round to two decimal places.", b, a)
		d.answer, d.seed = fixed(v, 2), "stock market"
		return err
	}},
	{"bmi_change", "medical", []string{tBMI, tCalc}, func(w *walker, d *draft) error {
		cm := 150 + w.rng.IntN(45)
		kg := 60 + w.rng.IntN(60)
		loss := 3 + w.rng.IntN(20)
		va, vb, err := w.pair(d, tBMI, map[string]any{"weight_kg": kg, "height_cm": cm}, map[string]any{"weight_kg": kg - loss, "height_cm": cm}, "bmi")
		if err != nil {
			return err
		}
		v, err := w.calc(d, fmt.Sprintf("%v - %v", va, vb))
		d.question = fmt.Sprintf("A patient %d cm tall loses %d kg from %d kg. By how much does the body mass index fall? Round to two decimal places.", cm, loss, kg)
		d.answer, d.seed = fixed(v, 2), "body mass index"
		return err
	}},
	{"journal_field_share", "academic", []string{tJournalFind, tCalc}, func(w *walker, d *draft) error {
		field := pick(w.rng, []string{"medicine", "biology", "chemistry", "physics", "engineering", "psychology", "social_science", "science", "humanities", "geology"})
		all, err := w.call(d, tJournalFind, map[string]any{"field": field, "limit": 1})
		if err != nil {
			return err
		}
		format := pick(w.rng, []string{"numeric", "author-date"})
		part, err := w.call(d, tJournalFind, map[string]any{"field": field, "citation_format": format, "limit": 1})
		if err != nil {
			return err
		}
		n, err1 := num(all, "count")
		k, err2 := num(part, "count")
		if err1 != nil || err2 != nil || n == 0 {
			return fmt.Errorf("no counts")
		}
		v, err := w.calc(d, fmt.Sprintf("%v / %v * 100", k, n))
		d.question = fmt.Sprintf("Among the Citation Style Language styles filed under the field %s, what percentage use %s citations? Round to two decimal places.", strings.ReplaceAll(field, "_", " "), format)
		d.answer, d.seed = fixed(v, 2), "citation styles"
		return err
	}},
}

func reverseComplement(s string) string {
	comp := map[byte]byte{'A': 'T', 'T': 'A', 'C': 'G', 'G': 'C'}
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		b[len(s)-1-i] = comp[s[i]]
	}
	return string(b)
}
