package miscfiles

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dive-env/dive/internal/geo"

	"github.com/dive-env/dive/toolexec"
)

func manifests() []toolexec.Manifest {
	m := func(id, domain, desc, params string) toolexec.Manifest {
		return toolexec.Manifest{ID: id, Name: filepath.Ext(id)[1:], Domain: domain, Source: "miscfiles-1.5", Version: "1.0.0",
			Description: desc, Module: "miscfiles", Auth: map[string]any{"type": "none"}, Executor: "builtin", Parameters: json.RawMessage(params)}
	}
	query := `{"type": "object", "required": ["query"], "additionalProperties": false, "properties": {"query": {"type": "string", "minLength": 1, "maxLength": 200, "description": %q}}}`
	return []toolexec.Manifest{
		m("general.geography.country_lookup", "general", "ISO 3166 countries (GNU miscfiles, 242 entries): numeric, two- and three-letter codes, name and capital; matched by code or by a part of the name.",
			fmt.Sprintf(query, "A code (FR, FRA, 250) or part of a country name (case-insensitive).")),
		m("general.geography.dialling_code", "general", "International telephone dialling codes (GNU miscfiles, 205 entries): the code of a country named in part, or the countries of a code.",
			fmt.Sprintf(query, "A dialling code (44) or part of a country name.")),
		m("general.geography.airport_lookup", "general", "Airports by IATA code (GNU miscfiles, 497 entries): name, country code, subdivision and the cities they serve; matched by code or by part of the airport or city name.",
			fmt.Sprintf(query, "An IATA code (LHR) or part of an airport or city name.")),
		m("general.geography.place_lookup", "general", "The GNU miscfiles gazetteer (cities.dat, 497 cities, islands and mountains, entered 1996): coordinates, country, region, population and elevation where recorded; matched by part of the name.",
			fmt.Sprintf(query, "Part of the place name (case-insensitive).")),
		m("general.geography.place_distance", "general", "Great-circle (haversine, mean Earth radius 6371.0088 km) distance and initial bearing between two places of the GNU miscfiles gazetteer, by exact name.",
			`{"type": "object", "required": ["from", "to"], "additionalProperties": false, "properties": {
				"from": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Place name as in place_lookup."},
				"to": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Place name as in place_lookup."}}}`),
		m("financial.currency.currency_lookup", "financial", "ISO 4217 currencies (GNU miscfiles, 169 entries): alphabetic code, numeric code and name; matched by code or part of the name.",
			fmt.Sprintf(query, "A currency code (EUR, 978) or part of its name.")),
	}
}

// Register adds the miscfiles tools, reading the tables in dir on first use;
// without them the tools are listed with the reason.
func Register(r *toolexec.Registry, dir string) error {
	unavailable := ""
	if _, err := os.Stat(filepath.Join(dir, "cities.dat.gz")); err != nil {
		unavailable = "needs GNU miscfiles (apt-get install miscfiles; scripts/setup-data installs it)"
	}
	return toolexec.RegisterGroup(r, manifests(), unavailable, func() (*Tables, error) { return Open(dir) }, call)
}

const maxMatches = 25

func contains(s, q string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(q)) }

// matches returns the rows whose code equals q exactly, or else whose name contains q.
func matches[T any](rows []T, q string, code func(T) []string, name func(T) []string) []T {
	var exact, partial []T
	for _, r := range rows {
		hit := false
		for _, c := range code(r) {
			if c != "" && strings.EqualFold(c, q) {
				exact, hit = append(exact, r), true
				break
			}
		}
		if hit {
			continue
		}
		for _, n := range name(r) {
			if contains(n, q) {
				partial = append(partial, r)
				break
			}
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return partial
}

func result[T any](q string, rows []T) (any, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("nothing matches %q", q)
	}
	out := map[string]any{"query": q, "count": len(rows)}
	if len(rows) > maxMatches {
		rows, out["truncated"] = rows[:maxMatches], true
	}
	out["matches"] = rows
	return out, nil
}

func (t *Tables) place(name string) (Place, error) {
	var found []Place
	for _, p := range t.Places {
		if strings.EqualFold(p.Name, name) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return Place{}, fmt.Errorf("no place named %q in the gazetteer (place_lookup searches by part of a name)", name)
	case 1:
		return found[0], nil
	}
	return Place{}, fmt.Errorf("%d places are named %q; the gazetteer cannot tell them apart", len(found), name)
}

func call(_ context.Context, t *Tables, tool string, raw json.RawMessage) (any, error) {
	var a struct {
		Query string `json:"query"`
		From  string `json:"from"`
		To    string `json:"to"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	q := strings.TrimSpace(a.Query)
	switch tool {
	case "country_lookup":
		return result(q, matches(t.Countries, q, func(c Country) []string { return []string{c.Alpha2, c.Alpha3, c.Numeric} },
			func(c Country) []string { return []string{c.Name} }))
	case "dialling_code":
		return result(q, matches(t.Dialling, q, func(d DiallingCode) []string { return []string{d.Code} },
			func(d DiallingCode) []string { return []string{d.Country} }))
	case "airport_lookup":
		return result(q, matches(t.Airports, q, func(a Airport) []string { return []string{a.Code} },
			func(a Airport) []string { return append([]string{a.Name}, a.Cities...) }))
	case "place_lookup":
		return result(q, matches(t.Places, q, func(Place) []string { return nil }, func(p Place) []string { return []string{p.Name} }))
	case "currency_lookup":
		return result(q, matches(t.Currencies, q, func(c Currency) []string { return []string{c.Code, c.Numeric} },
			func(c Currency) []string { return []string{c.Name} }))
	case "place_distance":
		from, err := t.place(a.From)
		if err != nil {
			return nil, err
		}
		to, err := t.place(a.To)
		if err != nil {
			return nil, err
		}
		km := geo.GreatCircleKm(from.Latitude, from.Longitude, to.Latitude, to.Longitude)
		return map[string]any{"from": from, "to": to, "distance_km": km, "distance_miles": km / 1.609344,
			"distance_nautical_miles": km / 1.852, "initial_bearing_degrees": geo.InitialBearing(from.Latitude, from.Longitude, to.Latitude, to.Longitude)}, nil
	}
	return nil, fmt.Errorf("unknown miscfiles tool %q", tool)
}
