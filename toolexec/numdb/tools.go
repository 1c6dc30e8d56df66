package numdb

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/dive-env/dive/internal/checkdigit"

	"github.com/dive-env/dive/toolexec"
)

// Databases holds the four registries, read on first use.
type Databases struct {
	ISBN, IBAN, CFI, IMSI *DB
}

// Open reads the databases from dir.
func Open(dir string) (*Databases, error) {
	var d Databases
	for _, x := range []struct {
		file string
		db   **DB
	}{{"isbn.dat", &d.ISBN}, {"iban.dat", &d.IBAN}, {"cfi.dat", &d.CFI}, {"imsi.dat", &d.IMSI}} {
		db, err := Read(filepath.Join(dir, x.file))
		if err != nil {
			return nil, err
		}
		*x.db = db
	}
	return &d, nil
}

func manifests() []toolexec.Manifest {
	m := func(id, desc, params string) toolexec.Manifest {
		domain, _, _ := strings.Cut(id, ".")
		return toolexec.Manifest{ID: id, Name: filepath.Ext(id)[1:], Domain: domain, Source: "python3-stdnum-1.18", Version: "1.0.0",
			Description: desc, Module: "numdb", Auth: map[string]any{"type": "none"}, Executor: "builtin", Parameters: json.RawMessage(params)}
	}
	one := func(name, desc string, max int) string {
		return fmt.Sprintf(`{"type": "object", "required": [%q], "additionalProperties": false, "properties": {%q: {"type": "string", "minLength": 1, "maxLength": %d, "description": %q}}}`,
			name, name, max, desc)
	}
	return []toolexec.Manifest{
		m("academic.identifiers.isbn_validate", "Validate an ISBN-10 or ISBN-13 (check digit), convert between the two forms and hyphenate it into prefix, registration group (with its language or country agency), registrant and publication using the International ISBN Agency's range table (as shipped by Debian's python3-stdnum, November 2022).",
			one("isbn", "The ISBN, with or without hyphens or spaces, e.g. 978-0-13-110362-7 or 0131103628.", 40)),
		m("financial.identifiers.iban_validate", "Validate an International Bank Account Number: ISO 7064 mod 97-10 check digits, the country's BBAN structure and length from the SWIFT IBAN registry (as shipped by Debian's python3-stdnum); national check digits inside the BBAN are not checked.",
			one("iban", "The IBAN, with or without spaces, e.g. GB82 WEST 1234 5698 7654 32.", 60)),
		m("financial.identifiers.cfi_decode", "Decode an ISO 10962 CFI code (Classification of Financial Instruments, six letters) into its category, group and four attributes, using the SIX CFI table (2021, as shipped by Debian's python3-stdnum).",
			one("cfi", "The six-letter CFI code, e.g. ESVUFR.", 10)),
		m("general.telecom.mobile_network_lookup", "Look up a mobile country code (MCC) with its networks, or the operator of an MCC+MNC or a full IMSI: country, operator, brand, frequency bands and status (Wikipedia's mobile country code tables, as shipped by Debian's python3-stdnum).",
			one("number", "Digits: an MCC (3), an MCC+MNC (5-6) or an IMSI (up to 15), e.g. 310410.", 20)),
	}
}

// Register adds the registry tools, reading the databases in dir on first
// use; without them the tools are listed with the reason.
func Register(r *toolexec.Registry, dir string) error {
	unavailable := ""
	if _, err := os.Stat(filepath.Join(dir, "isbn.dat")); err != nil {
		unavailable = "needs python-stdnum's number databases (apt-get install python3-stdnum; scripts/setup-data installs it)"
	}
	return toolexec.RegisterGroup(r, manifests(), unavailable, func() (*Databases, error) { return Open(dir) }, call)
}

func call(_ context.Context, d *Databases, tool string, raw json.RawMessage) (any, error) {
	var a map[string]string
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	switch tool {
	case "isbn_validate":
		return d.isbn(a["isbn"]), nil
	case "iban_validate":
		return d.iban(a["iban"]), nil
	case "cfi_decode":
		return d.cfi(a["cfi"])
	case "mobile_network_lookup":
		return d.imsi(a["number"])
	}
	return nil, fmt.Errorf("unknown numdb tool %q", tool)
}

// compact removes spaces, hyphens and dots and upper-cases the rest.
func compact(s string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "", ".", "", "\t", "").Replace(strings.TrimSpace(s)))
}

func invalid(input, reason string, extra map[string]any) map[string]any {
	out := map[string]any{"input": input, "valid": false, "reason": reason}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func (d *Databases) isbn(input string) map[string]any {
	n := compact(input)
	switch {
	case len(n) == 10 && checkdigit.AllDigits(n[:9]) && (checkdigit.AllDigits(n[9:]) || n[9] == 'X'):
		if want := checkdigit.ISBN10(n[:9]); want != n[9:] {
			return invalid(input, "wrong check digit", map[string]any{"format": "ISBN-10", "expected_check_digit": want})
		}
	case len(n) == 13 && checkdigit.AllDigits(n):
		if n[:3] != "978" && n[:3] != "979" {
			return invalid(input, "an ISBN-13 starts with 978 or 979", map[string]any{"format": "ISBN-13"})
		}
		if want := checkdigit.EAN13(n[:12]); want != n[12:] {
			return invalid(input, "wrong check digit", map[string]any{"format": "ISBN-13", "expected_check_digit": want})
		}
	default:
		return invalid(input, "an ISBN has 10 characters (9 digits and a digit or X) or 13 digits", nil)
	}
	out := map[string]any{"input": input, "valid": true}
	var isbn13 string
	if len(n) == 10 {
		out["format"] = "ISBN-10"
		isbn13 = "978" + n[:9] + checkdigit.EAN13("978"+n[:9])
	} else {
		out["format"] = "ISBN-13"
		isbn13 = n
	}
	out["isbn13"] = isbn13
	if isbn13[:3] == "978" {
		out["isbn10"] = isbn13[3:12] + checkdigit.ISBN10(isbn13[3:12])
	} else {
		out["isbn10"] = nil // 979 numbers have no ISBN-10
	}
	parts := d.ISBN.Info(isbn13[:12])
	if len(parts) < 4 {
		out["range"] = "the registration group or registrant range is not assigned in the ISBN range table"
		return out
	}
	prefix, group, registrant := parts[0].Digits, parts[1].Digits, parts[2].Digits
	item := strings.Join(func() []string {
		var s []string
		for _, p := range parts[3:] {
			s = append(s, p.Digits)
		}
		return s
	}(), "")
	out["prefix"], out["registration_group"], out["registrant"], out["publication"] = prefix, group, registrant, item
	out["agency"] = parts[1].Props["agency"]
	out["hyphenated13"] = strings.Join([]string{prefix, group, registrant, item, isbn13[12:]}, "-")
	if s, ok := out["isbn10"].(string); ok {
		out["hyphenated10"] = strings.Join([]string{group, registrant, item, s[9:]}, "-")
	}
	return out
}

var bbanPartRe = regexp.MustCompile(`([0-9]+)!?([nac])`)

// bbanPattern turns a registry structure such as "4!a14!c" into a regular
// expression and the length it describes.
func bbanPattern(structure string) (*regexp.Regexp, int) {
	var b strings.Builder
	total := 0
	for _, m := range bbanPartRe.FindAllStringSubmatch(structure, -1) {
		n, _ := strconv.Atoi(m[1])
		total += n
		b.WriteString(map[string]string{"n": "[0-9]", "a": "[A-Z]", "c": "[A-Za-z0-9]"}[m[2]] + "{" + m[1] + "}")
	}
	return regexp.MustCompile("^" + b.String() + "$"), total
}

// mod97 is the ISO 7064 mod 97-10 remainder of an IBAN rearranged with its
// first four characters at the end and letters as 10..35.
func mod97(iban string) (int, bool) {
	var digits strings.Builder
	for _, c := range iban[4:] + iban[:4] {
		switch {
		case c >= '0' && c <= '9':
			digits.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			digits.WriteString(strconv.Itoa(int(c-'A') + 10))
		default:
			return 0, false
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	if !ok {
		return 0, false
	}
	return int(new(big.Int).Mod(n, big.NewInt(97)).Int64()), true
}

func (d *Databases) iban(input string) map[string]any {
	n := compact(input)
	if len(n) < 5 || n[0] < 'A' || n[0] > 'Z' || n[1] < 'A' || n[1] > 'Z' || !checkdigit.AllDigits(n[2:4]) {
		return invalid(input, "an IBAN starts with a two-letter country code and two check digits", nil)
	}
	rem, ok := mod97(n)
	if !ok {
		return invalid(input, "an IBAN has only letters and digits", nil)
	}
	out := map[string]any{"input": input, "country_code": n[:2], "check_digits": n[2:4], "bban": n[4:], "length": len(n)}
	parts := d.IBAN.Info(n)
	if len(parts) == 0 || len(parts[0].Props) == 0 {
		return invalid(input, "country "+n[:2]+" is not in the SWIFT IBAN registry", out)
	}
	out["country"] = parts[0].Props["country"]
	re, bbanLen := bbanPattern(parts[0].Props["bban"])
	out["bban_structure"], out["expected_length"] = parts[0].Props["bban"], 4+bbanLen
	if rem != 1 {
		return invalid(input, fmt.Sprintf("wrong check digits (mod 97 remainder %d, want 1)", rem), out)
	}
	if !re.MatchString(n[4:]) {
		return invalid(input, "the BBAN does not have the country's structure "+parts[0].Props["bban"], out)
	}
	var groups []string
	for i := 0; i < len(n); i += 4 {
		groups = append(groups, n[i:min(i+4, len(n))])
	}
	out["valid"], out["formatted"] = true, strings.Join(groups, " ")
	return out
}

func (d *Databases) cfi(input string) (any, error) {
	n := compact(input)
	if len(n) != 6 || strings.Trim(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return nil, fmt.Errorf("a CFI code is six letters, not %q", input)
	}
	parts := d.CFI.Info(n)
	if len(parts) != 6 || parts[0].Props["category"] == "" || parts[1].Props["group"] == "" {
		return nil, fmt.Errorf("%s: category %q and group %q are not in the CFI table", n, n[:1], n[1:2])
	}
	var attrs []map[string]any
	for i, p := range parts[2:] {
		a := map[string]any{"position": i + 3, "letter": p.Digits, "attribute": p.Props["a"]}
		switch v, ok := p.Props["v"]; {
		case ok:
			a["value"] = v
		case p.Digits == "X":
			a["value"] = "not applicable / undefined"
		default:
			return nil, fmt.Errorf("%s: letter %s is not defined at position %d for %s / %s", n, p.Digits, i+3,
				parts[0].Props["category"], parts[1].Props["group"])
		}
		attrs = append(attrs, a)
	}
	return map[string]any{"cfi": n, "category": parts[0].Props["category"], "group": parts[1].Props["group"], "attributes": attrs}, nil
}

// imsi looks up a mobile country code, or the networks of an MCC+MNC. As in
// python-stdnum the shortest MNC that matches wins (374 13 before 374 130);
// where several entries of that length match, each is reported, where
// python-stdnum merges their properties. Entries without properties (the
// table's "00-99" catch-alls) only fix the length of unknown MNCs.
func (d *Databases) imsi(input string) (any, error) {
	n := compact(input)
	if !checkdigit.AllDigits(n) || len(n) < 3 || len(n) > 15 {
		return nil, fmt.Errorf("want 3 to 15 digits (MCC, MCC+MNC or IMSI), not %q", input)
	}
	var mncs []*entry
	for _, e := range d.IMSI.root {
		if len(e.low) == 3 && e.low <= n[:3] && n[:3] <= e.high {
			mncs = append(mncs, *e.children...)
		}
	}
	if mncs == nil {
		return nil, fmt.Errorf("mobile country code %s is not in the table", n[:3])
	}
	describe := func(e *entry) map[string]string {
		nw := map[string]string{"mnc": e.low}
		for k, v := range e.props {
			nw[k] = v
		}
		return nw
	}
	if len(n) == 3 {
		var networks []map[string]string
		countries := map[string]bool{}
		for _, e := range mncs {
			if len(e.props) == 0 {
				continue
			}
			networks = append(networks, describe(e))
			countries[e.props["country"]] = true
		}
		return map[string]any{"mcc": n, "countries": sortedKeys(countries), "networks": networks}, nil
	}
	rest := n[3:]
	var found []map[string]string
	length := 0
	for _, e := range mncs {
		l := len(e.low)
		if len(rest) < l || rest[:l] < e.low || rest[:l] > e.high || (length != 0 && l > length) {
			continue
		}
		if length == 0 || l < length {
			length, found = l, nil
		}
		if len(e.props) > 0 {
			found = append(found, describe(e))
		}
	}
	if found == nil {
		return nil, fmt.Errorf("no network with MCC %s and an MNC starting %s in the table", n[:3], rest[:min(len(rest), 3)])
	}
	out := map[string]any{"mcc": n[:3], "mnc": rest[:length], "networks": found}
	if len(rest) > length {
		out["msin"] = rest[length:]
	}
	return out, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
