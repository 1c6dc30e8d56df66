package builtin

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/dive-env/dive/internal/checkdigit"

	"golang.org/x/text/language"
)

// Check-digit schemes of standard identifiers. Each validator returns the
// canonical form and the fields of the identifier, or an error saying what
// is wrong; a wrong check digit is reported with the expected one.

// compactID removes spaces and hyphens and upper-cases the rest.
func compactID(s string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(s)))
}

// checkError reports a wrong check digit.
type checkError struct{ kind, got, want string }

func (e checkError) Error() string {
	return fmt.Sprintf("invalid %s: check digit is %s, expected %s", e.kind, e.got, e.want)
}

// luhnValidate checks a number with a Luhn check digit (payment cards, IMEI, ...).
func luhnValidate(s string) (map[string]any, error) {
	n := compactID(s)
	if !checkdigit.AllDigits(n) || len(n) < 2 {
		return nil, fmt.Errorf("a Luhn number has two or more digits, not %q", s)
	}
	want := checkdigit.Luhn(n[:len(n)-1])
	return map[string]any{"number": n, "valid": want == n[len(n)-1:], "check_digit": n[len(n)-1:], "expected_check_digit": want,
		"luhn_sum_mod_10": checkdigit.LuhnSum(n) % 10}, nil
}

func issnValidate(s string) (map[string]any, error) {
	n := compactID(s)
	if len(n) != 8 || !checkdigit.AllDigits(n[:7]) || !(checkdigit.AllDigits(n[7:]) || n[7] == 'X') {
		return nil, fmt.Errorf("an ISSN is 7 digits and a check digit or X (e.g. 0028-0836), not %q", s)
	}
	if want := checkdigit.ISSN(n[:7]); want != n[7:] {
		return nil, checkError{"ISSN", n[7:], want}
	}
	ean := "977" + n[:7] + "00"
	return map[string]any{"issn": n[:4] + "-" + n[4:], "check_digit": n[7:], "ean13": ean + checkdigit.EAN13(ean)}, nil
}

// orcidCheck is the ISO 7064 MOD 11-2 check character of fifteen digits.
func orcidCheck(fifteen string) string {
	total := 0
	for _, c := range fifteen {
		total = (total + int(c-'0')) * 2
	}
	switch r := (12 - total%11) % 11; r {
	case 10:
		return "X"
	default:
		return strconv.Itoa(r)
	}
}

func orcidValidate(s string) (map[string]any, error) {
	t := strings.TrimSpace(s)
	for _, p := range []string{"https://orcid.org/", "http://orcid.org/", "orcid.org/"} {
		t = strings.TrimPrefix(t, p)
	}
	n := compactID(t)
	if len(n) != 16 || !checkdigit.AllDigits(n[:15]) || !(checkdigit.AllDigits(n[15:]) || n[15] == 'X') {
		return nil, fmt.Errorf("an ORCID iD is 16 characters (15 digits and a digit or X, e.g. 0000-0002-1825-0097), not %q", s)
	}
	if want := orcidCheck(n[:15]); want != n[15:] {
		return nil, checkError{"ORCID iD", n[15:], want}
	}
	id := n[:4] + "-" + n[4:8] + "-" + n[8:12] + "-" + n[12:]
	return map[string]any{"orcid": id, "uri": "https://orcid.org/" + id, "check_digit": n[15:]}, nil
}

// doiRe is the DOI syntax: "10." registrant code (digits, dot-separated
// subdivisions), "/", a suffix of printable characters.
var doiRe = regexp.MustCompile(`^10\.[0-9]{4,9}(\.[0-9]+)*/\S+$`)

func doiParse(s string) (map[string]any, error) {
	t := strings.TrimSpace(s)
	lower := strings.ToLower(t)
	for _, p := range []string{"https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi.org/", "doi:", "doi "} {
		if strings.HasPrefix(lower, p) {
			t, lower = strings.TrimSpace(t[len(p):]), strings.TrimSpace(lower[len(p):])
		}
	}
	if u, err := url.PathUnescape(t); err == nil {
		t = u
	}
	if !doiRe.MatchString(t) {
		return nil, fmt.Errorf("not a DOI (10.<registrant>/<suffix>, e.g. 10.1038/nature14539): %q", s)
	}
	prefix, suffix, _ := strings.Cut(t, "/")
	// DOI names are case-insensitive for ASCII; the lower-case form compares.
	return map[string]any{"doi": t, "normalized": strings.ToLower(t), "prefix": prefix, "registrant": strings.TrimPrefix(prefix, "10."),
		"suffix": suffix, "url": "https://doi.org/" + doiPathEscape(t)}, nil
}

// doiPathEscape percent-encodes what may not appear in a URL path, keeping "/".
func doiPathEscape(doi string) string {
	parts := strings.Split(doi, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

var (
	arxivNewRe = regexp.MustCompile(`^(\d{2})(\d{2})\.(\d{4,5})(v(\d+))?$`)
	arxivOldRe = regexp.MustCompile(`^([a-z]+(?:-[a-z]+)*)(\.[A-Z]{2})?/(\d{2})(\d{2})(\d{3})(v(\d+))?$`)
)

// arxivParse reads an arXiv identifier in the scheme of April 2007 on
// (YYMM.NNNN, five digits from 2015) or the older archive/YYMMNNN.
func arxivParse(s string) (map[string]any, error) {
	t := strings.TrimSpace(s)
	for _, p := range []string{"https://arxiv.org/abs/", "http://arxiv.org/abs/", "https://arxiv.org/pdf/", "http://arxiv.org/pdf/", "arxiv.org/abs/", "arXiv:", "arxiv:"} {
		t = strings.TrimPrefix(t, p)
	}
	t = strings.TrimSuffix(t, ".pdf")
	out := map[string]any{}
	var yy, mm int
	var base string
	if m := arxivNewRe.FindStringSubmatch(t); m != nil {
		yy, _ = strconv.Atoi(m[1])
		mm, _ = strconv.Atoi(m[2])
		digits := 4
		if yy >= 15 {
			digits = 5
		}
		if yy < 7 || (yy == 7 && mm < 4) {
			return nil, fmt.Errorf("%q: identifiers of the form YYMM.NNNN start in April 2007 (0704)", s)
		}
		if len(m[3]) != digits {
			return nil, fmt.Errorf("%q: identifiers from 20%02d have a %d-digit sequence number", s, yy, digits)
		}
		base = m[1] + m[2] + "." + m[3]
		out["scheme"], out["sequence_number"], out["year"] = "YYMM.NNNNN (2007 on)", m[3], 2000+yy
		if m[5] != "" {
			v, _ := strconv.Atoi(m[5])
			out["version"] = v
		}
	} else if m := arxivOldRe.FindStringSubmatch(t); m != nil {
		yy, _ = strconv.Atoi(m[3])
		mm, _ = strconv.Atoi(m[4])
		year := 2000 + yy
		if yy >= 91 {
			year = 1900 + yy
		}
		if year > 2007 {
			return nil, fmt.Errorf("%q: archive/YYMMNNN identifiers run from 1991 to March 2007", s)
		}
		base = m[1] + m[2] + "/" + m[3] + m[4] + m[5]
		out["scheme"], out["archive"], out["sequence_number"], out["year"] = "archive/YYMMNNN (1991-2007)", m[1], m[5], year
		if m[2] != "" {
			out["subject_class"] = m[2][1:]
		}
		if m[7] != "" {
			v, _ := strconv.Atoi(m[7])
			out["version"] = v
		}
	} else {
		return nil, fmt.Errorf("not an arXiv identifier (e.g. 1706.03762v5 or hep-th/9901001): %q", s)
	}
	if mm < 1 || mm > 12 {
		return nil, fmt.Errorf("%q: month %02d does not exist", s, mm)
	}
	id := base
	if v, ok := out["version"]; ok {
		id = fmt.Sprintf("%sv%d", base, v)
	}
	out["id"], out["month"] = id, mm
	out["abs_url"], out["pdf_url"] = "https://arxiv.org/abs/"+id, "https://arxiv.org/pdf/"+id
	return out, nil
}

// alnumValue is a character's value in ISIN and CUSIP check digits: digits
// as themselves, letters A=10 ... Z=35.
func alnumValue(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10, true
	}
	return 0, false
}

// cusipCheck is the check digit of the first eight characters of a CUSIP.
func cusipCheck(eight string) (string, bool) {
	sum := 0
	for i := 0; i < len(eight); i++ {
		v, ok := alnumValue(eight[i])
		switch eight[i] {
		case '*':
			v, ok = 36, true
		case '@':
			v, ok = 37, true
		case '#':
			v, ok = 38, true
		}
		if !ok {
			return "", false
		}
		if i%2 == 1 {
			v *= 2
		}
		sum += v/10 + v%10
	}
	return strconv.Itoa((10 - sum%10) % 10), true
}

func cusipValidate(s string) (map[string]any, error) {
	n := compactID(s)
	if len(n) != 9 {
		return nil, fmt.Errorf("a CUSIP has 9 characters, not %q", s)
	}
	want, ok := cusipCheck(n[:8])
	if !ok || !checkdigit.AllDigits(n[8:]) {
		return nil, fmt.Errorf("a CUSIP is letters, digits, *, @ or # and a check digit, not %q", s)
	}
	if want != n[8:] {
		return nil, checkError{"CUSIP", n[8:], want}
	}
	return map[string]any{"cusip": n, "issuer": n[:6], "issue": n[6:8], "check_digit": n[8:]}, nil
}

// isinCheck is the check digit of the first eleven characters of an ISIN:
// letters become two digits, then the Luhn algorithm.
func isinCheck(eleven string) (string, bool) {
	var digits strings.Builder
	for i := 0; i < len(eleven); i++ {
		v, ok := alnumValue(eleven[i])
		if !ok {
			return "", false
		}
		digits.WriteString(strconv.Itoa(v))
	}
	return checkdigit.Luhn(digits.String()), true
}

// isinPrefixes are the non-country prefixes ISINs use: EU (European Union),
// XS (international securities), XA-XD and XF (substitute numbering agencies),
// QS and QT (national internal use) and XK (Kosovo).
var isinPrefixes = map[string]bool{"EU": true, "XS": true, "XA": true, "XB": true, "XC": true, "XD": true, "XF": true, "QS": true, "QT": true, "XK": true}

// reservedRegions are codes CLDR knows as regions that ISO 3166-1 only
// reserves (exceptionally or transitionally) and does not assign.
var reservedRegions = map[string]bool{"AC": true, "CP": true, "CQ": true, "DG": true, "EA": true, "EZ": true, "FQ": true, "IC": true,
	"NT": true, "PC": true, "SU": true, "TA": true, "UN": true, "YU": true}

// isinCountry reports whether an ISIN may start with code: an ISO 3166-1
// country (CLDR's region data, golang.org/x/text) or one of isinPrefixes.
func isinCountry(code string) bool {
	if isinPrefixes[code] {
		return true
	}
	r, err := language.ParseRegion(code)
	return err == nil && r.IsCountry() && r.Canonicalize().String() == code && !reservedRegions[code]
}

func isinValidate(s string) (map[string]any, error) {
	n := compactID(s)
	if len(n) != 12 || n[0] < 'A' || n[0] > 'Z' || n[1] < 'A' || n[1] > 'Z' || !checkdigit.AllDigits(n[11:]) {
		return nil, fmt.Errorf("an ISIN is a two-letter country code, nine letters or digits and a check digit (e.g. US0378331005), not %q", s)
	}
	if !isinCountry(n[:2]) {
		return nil, fmt.Errorf("%s is not an ISO 3166 country code or an ISIN prefix such as XS (international) or EU", n[:2])
	}
	want, ok := isinCheck(n[:11])
	if !ok {
		return nil, fmt.Errorf("an ISIN has only letters and digits, not %q", s)
	}
	if want != n[11:] {
		return nil, checkError{"ISIN", n[11:], want}
	}
	out := map[string]any{"isin": n, "country_code": n[:2], "nsin": n[2:11], "check_digit": n[11:]}
	if n[:2] == "US" || n[:2] == "CA" {
		if c, ok := cusipCheck(n[2:10]); ok && c == n[10:11] {
			out["cusip"] = n[2:11] // the NSIN of US and Canadian securities is the CUSIP
		}
	}
	return out, nil
}

func npiValidate(s string) (map[string]any, error) {
	n := compactID(s)
	if len(n) != 10 || !checkdigit.AllDigits(n) || (n[0] != '1' && n[0] != '2') {
		return nil, fmt.Errorf("an NPI is 10 digits starting with 1 or 2, not %q", s)
	}
	// The check digit is the Luhn digit of the number prefixed by 80840
	// (the ISO 7812 card issuer prefix of US health applications).
	if want := checkdigit.Luhn("80840" + n[:9]); want != n[9:] {
		return nil, checkError{"NPI", n[9:], want}
	}
	return map[string]any{"npi": n, "check_digit": n[9:]}, nil
}

var casRe = regexp.MustCompile(`^(\d{2,7})-(\d{2})-(\d)$`)

func casValidate(s string) (map[string]any, error) {
	t := strings.TrimSpace(s)
	m := casRe.FindStringSubmatch(t)
	if m == nil {
		return nil, fmt.Errorf("a CAS Registry Number is 2-7 digits, 2 digits and a check digit joined by hyphens (e.g. 50-78-2), not %q", s)
	}
	body := m[1] + m[2]
	sum := 0
	for i := 0; i < len(body); i++ {
		sum += (i + 1) * int(body[len(body)-1-i]-'0')
	}
	if want := strconv.Itoa(sum % 10); want != m[3] {
		return nil, checkError{"CAS Registry Number", m[3], want}
	}
	return map[string]any{"cas_rn": t, "check_digit": m[3]}, nil
}
