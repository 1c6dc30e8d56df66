package geo

import (
	"math"
	"testing"
)

func TestGreatCircle(t *testing.T) {
	tests := []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		km, bearing            float64
	}{
		{"quarter of the equator", 0, 0, 0, 90, math.Pi / 2 * EarthRadiusKm, 90},
		{"pole to pole", 90, 0, -90, 0, math.Pi * EarthRadiusKm, 180},
		{"due north", 0, 0, 10, 0, 10 * math.Pi / 180 * EarthRadiusKm, 0},
		{"due west", 0, 0, 0, -10, 10 * math.Pi / 180 * EarthRadiusKm, 270},
		// London to New York as in GNU miscfiles' gazetteer; reference values
		// from the same formulas evaluated in Python.
		{"London to New York", 51.5, -0.083, 40.75, -74.0, 5570.447341018047, 288.39738439439566},
	}
	for _, tc := range tests {
		if d := GreatCircleKm(tc.lat1, tc.lon1, tc.lat2, tc.lon2); math.Abs(d-tc.km) > 1e-6 {
			t.Errorf("%s: %v km, want %v", tc.name, d, tc.km)
		}
		if b := InitialBearing(tc.lat1, tc.lon1, tc.lat2, tc.lon2); math.Abs(b-tc.bearing) > 1e-6 {
			t.Errorf("%s: bearing %v, want %v", tc.name, b, tc.bearing)
		}
	}
}
