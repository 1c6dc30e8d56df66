// Package miscfiles serves reference tables shipped by Debian's miscfiles
// package (GNU miscfiles 1.5): ISO 3166 countries with capitals, ISO 4217
// currencies, international dialling codes, 497 airports and the
// cities.dat gazetteer (coordinates and populations, entered in 1996).
package miscfiles

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultDir is where Debian installs the tables.
const DefaultDir = "/usr/share/misc"

// Country is one row of countries.gz.
type Country struct {
	Numeric string `json:"numeric_code"`
	Alpha2  string `json:"alpha2"`
	Alpha3  string `json:"alpha3"`
	Name    string `json:"name"`
	Capital string `json:"capital"`
}

// Currency is one row of currency.gz.
type Currency struct {
	Code    string `json:"code"`
	Numeric string `json:"numeric_code"`
	Name    string `json:"name"`
}

// Airport is one row of airport.gz (IATA code).
type Airport struct {
	Code        string   `json:"code"`
	Name        string   `json:"name"`
	Country     string   `json:"country_code"`
	Subdivision string   `json:"subdivision,omitempty"`
	Cities      []string `json:"cities"`
}

// Place is one record of cities.dat.
type Place struct {
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	Country    string   `json:"country"`
	Region     string   `json:"region,omitempty"`
	Latitude   float64  `json:"latitude"`
	Longitude  float64  `json:"longitude"`
	Population *int     `json:"population,omitempty"`
	Elevation  *float64 `json:"elevation_m,omitempty"`
}

// DiallingCode is one country of inter.phone.gz.
type DiallingCode struct {
	Code    string `json:"code"`
	Country string `json:"country"`
}

// Tables holds every table.
type Tables struct {
	Countries  []Country
	Currencies []Currency
	Airports   []Airport
	Places     []Place
	Dialling   []DiallingCode
}

// Open reads the tables from dir.
func Open(dir string) (*Tables, error) {
	t := &Tables{}
	err := eachLine(filepath.Join(dir, "countries.gz"), func(f []string) error {
		if len(f) != 5 {
			return fmt.Errorf("%d fields, want 5", len(f))
		}
		t.Countries = append(t.Countries, Country{f[0], f[1], f[2], f[3], f[4]})
		return nil
	})
	if err == nil {
		err = eachLine(filepath.Join(dir, "currency.gz"), func(f []string) error {
			if len(f) != 3 {
				return fmt.Errorf("%d fields, want 3", len(f))
			}
			t.Currencies = append(t.Currencies, Currency{f[0], f[1], f[2]})
			return nil
		})
	}
	if err == nil {
		err = eachLine(filepath.Join(dir, "airport.gz"), func(f []string) error {
			if len(f) != 5 {
				return fmt.Errorf("%d fields, want 5", len(f))
			}
			t.Airports = append(t.Airports, Airport{f[0], f[1], f[2], f[3], strings.Split(f[4], "|")})
			return nil
		})
	}
	if err == nil {
		err = eachLine(filepath.Join(dir, "inter.phone.gz"), func(f []string) error {
			if len(f) != 2 {
				return fmt.Errorf("%d fields, want 2", len(f))
			}
			t.Dialling = append(t.Dialling, DiallingCode{f[0], f[1]})
			return nil
		})
	}
	if err == nil {
		t.Places, err = readPlaces(filepath.Join(dir, "cities.dat.gz"))
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

func gzLines(path string, fn func(line string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open miscfiles table: %w", err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	sc := bufio.NewScanner(z)
	n := 0
	for sc.Scan() {
		n++
		if err := fn(sc.Text()); err != nil {
			return fmt.Errorf("%s line %d: %w", filepath.Base(path), n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return nil
}

// eachLine calls fn with the colon-separated fields of every data line
// (comments and blank lines skipped).
func eachLine(path string, fn func([]string) error) error {
	return gzLines(path, func(line string) error {
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			return nil
		}
		return fn(strings.Split(line, ":"))
	})
}

// readPlaces parses cities.dat's "Key : value" records separated by "//".
func readPlaces(path string) ([]Place, error) {
	var out []Place
	cur := map[string]string{}
	flush := func() error {
		if cur["Name"] == "" {
			return nil
		}
		lat, err1 := strconv.ParseFloat(cur["Latitude"], 64)
		lon, err2 := strconv.ParseFloat(cur["Longitude"], 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%s: bad coordinates %q %q", cur["Name"], cur["Latitude"], cur["Longitude"])
		}
		p := Place{Name: cur["Name"], Type: cur["Type"], Country: cur["Country"], Region: cur["Region"], Latitude: lat, Longitude: lon}
		if n, err := strconv.Atoi(cur["Population"]); err == nil {
			p.Population = &n
		}
		if e, err := strconv.ParseFloat(cur["Elevation"], 64); err == nil {
			p.Elevation = &e
		}
		out = append(out, p)
		cur = map[string]string{}
		return nil
	}
	err := gzLines(path, func(line string) error {
		// Records end with "//" (one ends with "///"); a new ID also starts one.
		if l := strings.TrimSpace(line); l != "" && strings.Trim(l, "/") == "" {
			return flush()
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "ID" && cur["Name"] != "" {
			if err := flush(); err != nil {
				return err
			}
		}
		if ok {
			cur[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return out, err
}
