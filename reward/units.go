package reward

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// unit is a unit of measure in the table compiled into the binary: its
// dimension and how a value in it converts to the dimension's base unit
// (base = value×factor + offset; only temperatures have an offset).
// Currencies are a dimension each: they are never converted.
type unit struct {
	name   string
	dim    string
	factor float64
	offset float64
}

// toBase converts v in u to the dimension's base unit.
func (u unit) toBase(v float64) float64 { return v*u.factor + u.offset }

// fromBase converts v in the base unit to u.
func (u unit) fromBase(v float64) float64 { return (v - u.offset) / u.factor }

// siPrefixes are the prefixes a prefixable symbol takes ("k" + "m" = km).
var siPrefixes = map[string]float64{"p": 1e-12, "n": 1e-9, "µ": 1e-6, "μ": 1e-6, "u": 1e-6, "m": 1e-3, "c": 1e-2, "d": 1e-1,
	"da": 10, "h": 100, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}

// siPrefixWords are the spelled-out prefixes ("kilo" + "metre").
var siPrefixWords = map[string]float64{"pico": 1e-12, "nano": 1e-9, "micro": 1e-6, "milli": 1e-3, "centi": 1e-2, "deci": 1e-1,
	"kilo": 1e3, "mega": 1e6, "giga": 1e9, "tera": 1e12}

// unitTable maps spellings to units; symbols are case-sensitive (mg is not
// Mg), words are looked up in lower case.
var unitTable = map[string]unit{}

// unitWords holds the lower-case spellings that are words, not symbols.
var unitWords = map[string]unit{}

func addSymbol(sym, dim string, factor float64, prefixable bool) {
	unitTable[sym] = unit{name: sym, dim: dim, factor: factor}
	if prefixable {
		for p, f := range siPrefixes {
			if _, taken := unitTable[p+sym]; !taken {
				unitTable[p+sym] = unit{name: p + sym, dim: dim, factor: f * factor}
			}
		}
	}
}

func addWord(dim string, factor, offset float64, prefixable bool, names ...string) {
	for _, n := range names {
		u := unit{name: names[0], dim: dim, factor: factor, offset: offset}
		unitWords[n] = u
		if prefixable {
			for p, f := range siPrefixWords {
				unitWords[p+n] = unit{name: p + names[0], dim: dim, factor: f * factor}
			}
		}
	}
}

func init() {
	// Length (base metre), mass (gram), time (second), volume (litre),
	// amount (mole), concentration (mol/L), sequence length (base pair),
	// temperature (kelvin), pressure (pascal), energy (joule), speed (m/s),
	// frequency (hertz), area (m²), data (byte).
	addSymbol("m", "length", 1, true)
	addSymbol("g", "mass", 1, true)
	addSymbol("t", "mass", 1e6, false)
	addSymbol("s", "time", 1, true)
	addSymbol("L", "volume", 1, true)
	addSymbol("l", "volume", 1, false)
	addSymbol("ml", "volume", 1e-3, false)
	addSymbol("mol", "amount", 1, true)
	addSymbol("M", "concentration", 1, true)
	addSymbol("bp", "seqlen", 1, false)
	addSymbol("nt", "seqlen", 1, false)
	addSymbol("kb", "seqlen", 1e3, false)
	addSymbol("kbp", "seqlen", 1e3, false)
	addSymbol("Mb", "seqlen", 1e6, false)
	addSymbol("Mbp", "seqlen", 1e6, false)
	addSymbol("Gb", "seqlen", 1e9, false)
	addSymbol("aa", "residues", 1, false)
	addSymbol("Pa", "pressure", 1, true)
	addSymbol("bar", "pressure", 1e5, false)
	addSymbol("mbar", "pressure", 100, false)
	addSymbol("atm", "pressure", 101325, false)
	addSymbol("psi", "pressure", 6894.757293168, false)
	addSymbol("mmHg", "pressure", 133.322387415, false)
	addSymbol("J", "energy", 1, true)
	addSymbol("cal", "energy", 4.184, false)
	addSymbol("kcal", "energy", 4184, false)
	addSymbol("Cal", "energy", 4184, false)
	addSymbol("Wh", "energy", 3600, true)
	addSymbol("eV", "energy", 1.602176634e-19, true)
	addSymbol("W", "power", 1, true)
	addSymbol("Hz", "frequency", 1, true)
	addSymbol("Da", "mass_da", 1, true)
	addSymbol("B", "data", 1, true)
	addSymbol("K", "temperature", 1, false)
	addSymbol("min", "time", 60, false)
	addSymbol("h", "time", 3600, false)
	addSymbol("hr", "time", 3600, false)
	addSymbol("hrs", "time", 3600, false)
	addSymbol("d", "time", 86400, false)
	addSymbol("yr", "time", 365.25*86400, false)
	addSymbol("ft", "length", 0.3048, false)
	addSymbol("mi", "length", 1609.344, false)
	addSymbol("yd", "length", 0.9144, false)
	addSymbol("nmi", "length", 1852, false)
	addSymbol("lb", "mass", 453.59237, false)
	addSymbol("lbs", "mass", 453.59237, false)
	addSymbol("oz", "mass", 28.349523125, false)
	addSymbol("gal", "volume", 3.785411784, false)
	addSymbol("m³", "volume", 1000, false)
	addSymbol("m3", "volume", 1000, false)
	addSymbol("cm³", "volume", 1e-3, false)
	addSymbol("cc", "volume", 1e-3, false)
	addSymbol("m²", "area", 1, false)
	addSymbol("km²", "area", 1e6, false)
	addSymbol("cm²", "area", 1e-4, false)
	addSymbol("ha", "area", 1e4, false)
	addSymbol("km/h", "speed", 1/3.6, false)
	addSymbol("kph", "speed", 1/3.6, false)
	addSymbol("kmh", "speed", 1/3.6, false)
	addSymbol("m/s", "speed", 1, false)
	addSymbol("mph", "speed", 0.44704, false)
	addSymbol("kn", "speed", 1852.0/3600, false)
	addSymbol("°C", "temperature", 1, false)
	addSymbol("°F", "temperature", 5.0/9, false)
	addSymbol("℃", "temperature", 1, false)
	addSymbol("℉", "temperature", 5.0/9, false)
	addSymbol("kDa", "mass_da", 1e3, false)
	addSymbol("g/mol", "mass_da", 1, false)
	addSymbol("kg/mol", "mass_da", 1e3, false)
	addSymbol("mg/dL", "massconc", 10, false)
	addSymbol("mg/dl", "massconc", 10, false)
	addSymbol("g/dL", "massconc", 1e4, false)
	addSymbol("mg/L", "massconc", 1, false)
	addSymbol("g/L", "massconc", 1e3, false)
	addSymbol("µg/mL", "massconc", 1, false)
	addSymbol("ug/mL", "massconc", 1, false)
	addSymbol("ng/mL", "massconc", 1e-3, false)
	addSymbol("mmol/L", "concentration", 1e-3, false)
	addSymbol("µmol/L", "concentration", 1e-6, false)
	addSymbol("mol/L", "concentration", 1, false)
	addSymbol("kg/m²", "bmi", 1, false)
	addSymbol("kg/m^2", "bmi", 1, false)
	addSymbol("kg/m2", "bmi", 1, false)
	addSymbol("mL/min", "flow", 1, false)
	addSymbol("mL/min/1.73 m²", "gfr", 1, false)
	addSymbol("mL/min/1.73m²", "gfr", 1, false)
	addSymbol("mL/min/1.73 m2", "gfr", 1, false)
	// Offsets of the temperature scales (base kelvin).
	for _, s := range []string{"°C", "℃"} {
		u := unitTable[s]
		u.offset = 273.15
		unitTable[s] = u
	}
	for _, s := range []string{"°F", "℉"} {
		u := unitTable[s]
		u.offset = 273.15 - 32*5.0/9
		unitTable[s] = u
	}

	addWord("length", 1, 0, true, "metre", "metres", "meter", "meters")
	addWord("length", 1609.344, 0, false, "mile", "miles")
	addWord("length", 0.3048, 0, false, "foot", "feet")
	addWord("length", 0.0254, 0, false, "inch", "inches")
	addWord("length", 0.9144, 0, false, "yard", "yards")
	addWord("length", 1852, 0, false, "nautical mile", "nautical miles")
	addWord("mass", 1, 0, true, "gram", "grams", "gramme", "grammes")
	addWord("mass", 1e6, 0, false, "tonne", "tonnes", "metric ton", "metric tons")
	addWord("mass", 453.59237, 0, false, "pound", "pounds")
	addWord("mass", 28.349523125, 0, false, "ounce", "ounces")
	addWord("time", 1, 0, true, "second", "seconds", "sec", "secs")
	addWord("time", 60, 0, false, "minute", "minutes", "mins")
	addWord("time", 3600, 0, false, "hour", "hours")
	addWord("time", 86400, 0, false, "day", "days")
	addWord("time", 7*86400, 0, false, "week", "weeks")
	addWord("time", 365.25*86400, 0, false, "year", "years")
	addWord("volume", 1, 0, true, "litre", "litres", "liter", "liters")
	addWord("volume", 3.785411784, 0, false, "gallon", "gallons")
	addWord("volume", 1000, 0, false, "cubic metre", "cubic metres", "cubic meter", "cubic meters")
	addWord("amount", 1, 0, true, "mole", "moles")
	addWord("concentration", 1, 0, true, "molar")
	addWord("seqlen", 1, 0, false, "base pair", "base pairs", "bases", "nucleotides", "nucleotide")
	addWord("seqlen", 1e3, 0, false, "kilobase", "kilobases", "kilobase pairs")
	addWord("seqlen", 1e6, 0, false, "megabase", "megabases")
	addWord("residues", 1, 0, false, "amino acids", "residues", "amino acid", "residue")
	addWord("pressure", 1, 0, true, "pascal", "pascals")
	addWord("pressure", 101325, 0, false, "atmosphere", "atmospheres")
	addWord("energy", 1, 0, true, "joule", "joules")
	addWord("energy", 4.184, 0, true, "calorie", "calories")
	addWord("power", 1, 0, true, "watt", "watts")
	addWord("mass_da", 1, 0, true, "dalton", "daltons")
	addWord("temperature", 1, 0, false, "kelvin", "kelvins")
	addWord("temperature", 1, 273.15, false, "degrees celsius", "degree celsius", "celsius", "degrees c", "deg c")
	addWord("temperature", 5.0/9, 273.15-32*5.0/9, false, "degrees fahrenheit", "degree fahrenheit", "fahrenheit", "degrees f", "deg f")
	addWord("speed", 1/3.6, 0, false, "kilometres per hour", "kilometers per hour", "km per hour")
	addWord("speed", 0.44704, 0, false, "miles per hour")
	addWord("percentage_points", 1, 0, false, "percentage points", "percentage point", "pp")

	// Currencies: each its own dimension, so that $30 never equals €30.
	for code, names := range map[string][]string{
		"USD": {"$", "us$", "usd", "dollar", "dollars", "us dollars"},
		"EUR": {"€", "eur", "euro", "euros"},
		"GBP": {"£", "gbp", "pounds sterling", "sterling"},
		"JPY": {"¥", "jpy", "yen", "japanese yen"},
		"CNY": {"cny", "yuan", "rmb", "renminbi", "元"},
		"CHF": {"chf", "swiss francs"},
		"INR": {"₹", "inr", "rupees"},
		"KRW": {"₩", "krw", "won"},
	} {
		for _, n := range names {
			unitWords[n] = unit{name: code, dim: "currency:" + code, factor: 1}
		}
	}
}

// lookupUnit reads the unit at the start of s (after a number): the
// longest spelling in the table, ending at a word boundary. It returns
// the unit and how many bytes it used.
func lookupUnit(s string) (unit, int, bool) {
	// Candidate ends: word boundaries within the first three words.
	limit := len(s)
	if limit > 40 {
		limit = 40
	}
	best, bestN := unit{}, 0
	words := 0
	for i := 0; i <= limit; {
		atEnd := i == len(s)
		var r rune
		size := 1
		if !atEnd {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if atEnd || unicode.IsSpace(r) || strings.ContainsRune(",;:)(]!?\"'*", r) || (r == '.' && (i+1 >= len(s) || s[i+1] == ' ' || s[i+1] == '\n')) {
			if i > 0 {
				cand := strings.TrimSpace(s[:i])
				if u, ok := unitTable[cand]; ok && len(cand) >= bestN {
					best, bestN = u, i
				} else if u, ok := unitWords[strings.ToLower(cand)]; ok && len(cand) >= bestN {
					best, bestN = u, i
				}
			}
			if atEnd || !unicode.IsSpace(r) {
				break
			}
			words++
			if words >= 3 {
				break
			}
		}
		i += size
	}
	if bestN == 0 {
		return unit{}, 0, false
	}
	return best, bestN, true
}

// currencyBefore reads a currency sign or code written just before a number.
func currencyBefore(s string) (unit, bool) {
	s = strings.TrimSpace(s)
	for _, sym := range []string{"US$", "$", "€", "£", "¥", "₹", "₩"} {
		if strings.HasSuffix(s, sym) {
			u := unitWords[strings.ToLower(sym)]
			return u, true
		}
	}
	for _, code := range []string{"USD", "EUR", "GBP", "JPY", "CNY", "CHF", "INR", "KRW", "RMB"} {
		if strings.HasSuffix(s, code) && (len(s) == len(code) || !isLetter(s[len(s)-len(code)-1])) {
			return unitWords[strings.ToLower(code)], true
		}
	}
	return unit{}, false
}

func isLetter(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }
