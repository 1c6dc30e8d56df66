package opendata

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

const source = "vega-datasets-3.2.1"

// Parameters is the JSON Schema of a dataset tool's arguments: one
// filter per key column (ranges for years and dates), and group_by, sort_by,
// order and limit.
func (d Dataset) Parameters() json.RawMessage {
	props := map[string]any{}
	var keys, sortable []string
	for _, c := range d.Columns {
		sortable = append(sortable, c.Name)
		if !c.Key {
			continue
		}
		keys = append(keys, c.Name)
		switch c.Type {
		case String:
			how := "exact match, case-insensitive"
			if c.Contains {
				how = "substring match, case-insensitive"
			}
			props[c.Name] = map[string]any{"type": "string", "minLength": 1, "maxLength": 200, "description": c.Desc + " (" + how + ")"}
		case Integer:
			props[c.Name] = map[string]any{"type": "integer", "description": c.Desc}
			props[c.Name+"_from"] = map[string]any{"type": "integer", "description": "lowest " + c.Name + " (inclusive)"}
			props[c.Name+"_to"] = map[string]any{"type": "integer", "description": "highest " + c.Name + " (inclusive)"}
		case Date:
			pat := `^\d{4}(-\d{2}(-\d{2}([T ][0-9:.]+Z?)?)?)?$`
			props[c.Name] = map[string]any{"type": "string", "pattern": pat, "description": c.Desc + " (matches every value it is a prefix of)"}
			props[c.Name+"_from"] = map[string]any{"type": "string", "pattern": pat, "description": "earliest " + c.Name + " (inclusive)"}
			props[c.Name+"_to"] = map[string]any{"type": "string", "pattern": pat, "description": "latest " + c.Name + " (inclusive; a prefix covers its whole period)"}
		}
	}
	props["group_by"] = map[string]any{"type": "string", "enum": keys, "description": "summarise the matching rows per value of this key instead of listing them"}
	props["sort_by"] = map[string]any{"type": "string", "enum": append(sortable, "count"),
		"description": "order rows by this field (groups: by the mean of this measure, or by count)"}
	props["order"] = map[string]any{"type": "string", "enum": []string{"asc", "desc"}, "default": "asc"}
	props["limit"] = map[string]any{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": defaultLimit,
		"description": "most rows or groups returned; the summary always covers every matching row"}
	b, err := json.Marshal(map[string]any{"type": "object", "additionalProperties": false, "properties": props})
	if err != nil {
		panic(err) // a static schema
	}
	return b
}

// Manifest describes the dataset's tool.
func (d Dataset) Manifest() toolexec.Manifest {
	domain, _, _ := strings.Cut(d.ID, ".")
	var units []string
	for _, c := range d.Columns {
		if c.Type == Number {
			u := c.Name
			if c.Unit != "" {
				u += " (" + c.Unit + ")"
			}
			units = append(units, u)
		}
	}
	desc := d.Desc + " Returns the matching rows or groups and, for every match, count, sum, mean, sample SD, median, min and max (with the row holding it) of: " +
		strings.Join(units, ", ") + "."
	return toolexec.Manifest{ID: d.ID, Name: filepath.Ext(d.ID)[1:], Domain: domain, Source: source, Version: "1.0.0",
		Description: desc, Module: "opendata", Auth: map[string]any{"type": "none"}, Executor: "builtin", Parameters: d.Parameters()}
}

func (d Dataset) units() map[string]string {
	out := map[string]string{}
	for _, c := range d.Columns {
		if c.Type == Number && c.Unit != "" {
			out[c.Name] = c.Unit
		}
	}
	return out
}

func missing(dir, file string) string {
	if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
		return "needs vega-datasets " + file + " (scripts/setup-data installs it)"
	}
	return ""
}

// Register adds a tool per dataset and the distance tools, each reading its
// file from dir on first use; tools whose file is absent are listed with the reason.
func Register(r *toolexec.Registry, dir string) error {
	for _, d := range datasets {
		d := d
		err := toolexec.RegisterGroup(r, []toolexec.Manifest{d.Manifest()}, missing(dir, d.File),
			func() (*Table, error) { return d.Load(dir) },
			func(_ context.Context, t *Table, _ string, args json.RawMessage) (any, error) {
				out, err := t.Run(args)
				if err != nil {
					return nil, err
				}
				out["units"] = d.units()
				return out, nil
			})
		if err != nil {
			return err
		}
	}
	for _, dt := range distanceTools {
		dt := dt
		ds := datasetByID(dt.dataset)
		err := toolexec.RegisterGroup(r, []toolexec.Manifest{dt.manifest()}, missing(dir, ds.File),
			func() (*Table, error) { return ds.Load(dir) },
			func(_ context.Context, t *Table, _ string, args json.RawMessage) (any, error) { return dt.run(t, args) })
		if err != nil {
			return err
		}
	}
	return nil
}

func datasetByID(id string) Dataset {
	for _, d := range datasets {
		if d.ID == id {
			return d
		}
	}
	panic("opendata: no dataset " + id)
}

// distanceTool measures the great-circle distance between two rows of a
// dataset named by a key.
type distanceTool struct {
	id, desc, dataset, key, keyDesc string
}

var distanceTools = []distanceTool{
	{"general.geography.us_zip_distance", "Great-circle (haversine, mean Earth radius 6371.0088 km) distance and initial bearing between the centres of two US ZIP codes (vega-datasets zipcodes).",
		"general.geography.us_zip_codes", "zip_code", "five-digit ZIP code"},
	{"general.geography.us_airport_distance", "Great-circle (haversine, mean Earth radius 6371.0088 km) distance and initial bearing between two US airports by FAA/IATA code (vega-datasets airports, Data.gov).",
		"general.geography.us_airports", "code", "FAA/IATA code, e.g. SEA"},
}

func (dt distanceTool) manifest() toolexec.Manifest {
	domain, _, _ := strings.Cut(dt.id, ".")
	params := fmt.Sprintf(`{"type": "object", "required": ["from", "to"], "additionalProperties": false, "properties": {
		"from": {"type": "string", "minLength": 1, "maxLength": 20, "description": %q},
		"to": {"type": "string", "minLength": 1, "maxLength": 20, "description": %q}}}`, dt.keyDesc, dt.keyDesc)
	return toolexec.Manifest{ID: dt.id, Name: filepath.Ext(dt.id)[1:], Domain: domain, Source: source, Version: "1.0.0",
		Description: dt.desc, Module: "opendata", Auth: map[string]any{"type": "none"}, Executor: "builtin", Parameters: json.RawMessage(params)}
}

func (dt distanceTool) find(t *Table, v string) (Row, error) {
	v = strings.TrimSpace(v)
	for _, r := range t.Rows {
		if s, _ := r[dt.key].(string); strings.EqualFold(s, v) {
			return r, nil
		}
	}
	return nil, fmt.Errorf("no %s %q in the data", dt.key, v)
}

func (dt distanceTool) run(t *Table, raw json.RawMessage) (any, error) {
	var a struct{ From, To string }
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	from, err := dt.find(t, a.From)
	if err != nil {
		return nil, err
	}
	to, err := dt.find(t, a.To)
	if err != nil {
		return nil, err
	}
	lat1, lon1, ok1 := coords(from)
	lat2, lon2, ok2 := coords(to)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("coordinates missing for %s or %s", a.From, a.To)
	}
	km := geo.GreatCircleKm(lat1, lon1, lat2, lon2)
	return map[string]any{"from": from, "to": to, "distance_km": km, "distance_miles": km / 1.609344,
		"distance_nautical_miles": km / 1.852, "initial_bearing_degrees": geo.InitialBearing(lat1, lon1, lat2, lon2)}, nil
}

func coords(r Row) (lat, lon float64, ok bool) {
	lat, ok1 := r["latitude"].(float64)
	lon, ok2 := r["longitude"].(float64)
	return lat, lon, ok1 && ok2
}
