package reward

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// gnuUnits converts with the GNU units program directly (the server runs it
// in the sandbox, toolexec/unitstool).
type gnuUnits struct{}

func (gnuUnits) ConvertUnits(ctx context.Context, v float64, from, to string) (float64, error) {
	out, err := exec.CommandContext(ctx, "/usr/bin/units", "--terse", "--", fmt.Sprintf("%v %s", v, from), to).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("units: %s", strings.TrimSpace(string(out)))
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}

func TestMatchWithUnits(t *testing.T) {
	if _, err := os.Stat("/usr/bin/units"); err != nil {
		t.Skipf("GNU units is not installed (scripts/setup-data installs it): %v", err)
	}
	m := NewMatch(DefaultMatchOptions()).WithUnits(gnuUnits{})
	tests := []struct {
		question, reference, answer string
		want                        float64
	}{
		{"", "3200 m", "3.2 km", 1},
		{"", "3.2 km", "3200 m", 1},
		{"", "3200 m", "3.3 km", 0},
		{"", "1 mile", "1609.344 m", 1},
		{"Round to the nearest whole number.", "1609 m", "1 mile", 1},
		{"", "500 mg", "0.5 g", 1},
		{"", "2 h", "120 min", 1},
		{"", "72 kg", "158.73 lb", 1},
		{"", "5 mg", "5 g", 0},
		{"", "3 km", "3 kg", 0},    // incompatible dimensions
		{"", "$30", "30 euros", 0}, // currencies are not converted
		{"", "474 miles; 78 miles", "762.8 km; 125.5 km", 1},
	}
	for _, tc := range tests {
		got, why := m.Compare(tc.answer, tc.reference, tc.question)
		if got != tc.want {
			t.Errorf("Compare(%q, %q) = %v (%s), want %v", tc.answer, tc.reference, got, why, tc.want)
		}
	}
}
