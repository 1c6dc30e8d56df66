package reward

import (
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// The unit table compiled into the binary converts as GNU units does
// (where it is installed: scripts/setup-data installs it).
func TestUnitTableAgreesWithGNUUnits(t *testing.T) {
	if _, err := os.Stat("/usr/bin/units"); err != nil {
		t.Skipf("GNU units is not installed (scripts/setup-data installs it): %v", err)
	}
	// Our spelling, GNU units' spelling.
	pairs := [][2][2]string{
		{{"km", "km"}, {"m", "m"}}, {{"mi", "mile"}, {"km", "km"}}, {{"ft", "ft"}, {"cm", "cm"}},
		{{"lb", "lb"}, {"kg", "kg"}}, {{"oz", "oz"}, {"g", "g"}}, {{"t", "tonne"}, {"kg", "kg"}},
		{{"h", "hour"}, {"min", "min"}}, {{"week", "week"}, {"day", "day"}}, {{"ms", "ms"}, {"s", "s"}},
		{{"L", "L"}, {"mL", "mL"}}, {{"gal", "gal"}, {"L", "L"}}, {{"m³", "m^3"}, {"L", "L"}},
		{{"nM", "nmol/L"}, {"M", "mol/L"}}, {{"mM", "mmol/L"}, {"µM", "umol/L"}}, {{"mmol/L", "mmol/L"}, {"mM", "mmol/L"}},
		{{"atm", "atm"}, {"kPa", "kPa"}}, {{"psi", "psi"}, {"Pa", "Pa"}}, {{"mmHg", "mmHg"}, {"Pa", "Pa"}}, {{"bar", "bar"}, {"Pa", "Pa"}},
		{{"kcal", "kcal"}, {"kJ", "kJ"}}, {{"kWh", "kWh"}, {"MJ", "MJ"}}, {{"eV", "eV"}, {"J", "J"}},
		{{"km/h", "km/hour"}, {"m/s", "m/s"}}, {{"mph", "mph"}, {"km/h", "km/hour"}},
		{{"mg/dL", "mg/dL"}, {"mg/L", "mg/L"}}, {{"g/L", "g/L"}, {"mg/dL", "mg/dL"}},
		{{"ha", "hectare"}, {"m²", "m^2"}}, {{"km²", "km^2"}, {"ha", "hectare"}},
		{{"kDa", "kDa"}, {"Da", "Da"}}, {{"GHz", "GHz"}, {"kHz", "kHz"}}, {{"MB", "MB"}, {"kB", "kB"}},
	}
	for _, p := range pairs {
		from, to := tableUnit(t, p[0][0]), tableUnit(t, p[1][0])
		if from.dim != to.dim {
			t.Errorf("%s and %s: dimensions %s and %s", p[0][0], p[1][0], from.dim, to.dim)
			continue
		}
		got := to.fromBase(from.toBase(1.2345))
		out, err := exec.Command("/usr/bin/units", "--terse", "--", "1.2345 "+p[0][1], p[1][1]).CombinedOutput()
		if err != nil {
			t.Fatalf("units %s %s: %v %s", p[0][1], p[1][1], err, out)
		}
		want, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-6*math.Abs(want) {
			t.Errorf("1.2345 %s = %g %s; GNU units says %g", p[0][0], got, p[1][0], want)
		}
	}
	// Temperatures, with their offsets.
	for _, tc := range []struct{ from, to, gnu string }{{"°C", "K", "tempC(37)"}, {"°F", "°C", "tempF(98.6)"}} {
		v, _ := strconv.ParseFloat(tc.gnu[6:len(tc.gnu)-1], 64)
		got := tableUnit(t, tc.to).fromBase(tableUnit(t, tc.from).toBase(v))
		target := map[string]string{"K": "K", "°C": "tempC"}[tc.to]
		out, err := exec.Command("/usr/bin/units", "--terse", "--", tc.gnu, target).CombinedOutput()
		if err != nil {
			t.Fatalf("units %s: %v %s", tc.gnu, err, out)
		}
		want, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if math.Abs(got-want) > 1e-6*math.Abs(want) {
			t.Errorf("%s: %g %s, GNU units says %g", tc.gnu, got, tc.to, want)
		}
	}
}

func tableUnit(t *testing.T, s string) unit {
	t.Helper()
	u, n, ok := lookupUnit(s)
	if !ok || n != len(s) {
		t.Fatalf("the table does not know %q", s)
	}
	return u
}

// Answers in other units than the reference, decided by the table.
func TestMatchWithUnits(t *testing.T) {
	m := NewMatch(DefaultMatchOptions())
	tests := []struct {
		question, reference, answer string
		want                        Label
	}{
		{"", "3200 m", "3.2 km", Correct},
		{"", "3.2 km", "3200 m", Correct},
		{"", "3200 m", "3.3 km", Incorrect},
		{"", "1 mile", "1609.344 m", Correct},
		{"Round to the nearest whole number.", "1609 m", "1 mile", Partial}, // 1 mile is 1609 m at a precision of a mile
		{"", "500 mg", "0.5 g", Correct},
		{"", "2 h", "120 min", Correct},
		{"", "72 kg", "158.73 lb", Correct},
		{"", "5 mg", "5 g", Incorrect},
		{"", "3 km", "3 kg", Incorrect}, // incompatible dimensions
		{"", "$30", "30 euros", Incorrect},
		{"", "474 miles; 78 miles", "762.8 km; 125.5 km", Correct},
		{"", "135 °C", "408.15 K", Correct},
		{"", "37 °C", "98.6 °F", Correct},
		{"", "2.5e-9 M", "2.5 nM", Correct},
		{"", "247 bp", "0.247 kb", Correct},
		{"", "17.5 hours", "17 hours 30 minutes", Correct},
		{"", "17.5 hours", "17.5 minutes", Incorrect},
		{"How many days?", "182", "26 weeks", Correct},
		{"", "¥3,592", "3592 JPY", Correct},
		{"", "¥3,592", "$3,592", Incorrect},
	}
	for _, tc := range tests {
		if got, why := m.Decide(tc.question, tc.reference, tc.answer); got != tc.want {
			t.Errorf("Decide(%q, %q, %q) = %s (%s), want %s", tc.question, tc.reference, tc.answer, got, why, tc.want)
		}
	}
}
