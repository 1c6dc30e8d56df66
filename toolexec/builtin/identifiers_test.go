package builtin

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"reflect"
	"testing"

	"github.com/dive-env/dive/internal/checkdigit"

	"github.com/dive-env/dive/toolexec"
)

// Real identifiers: Nature's ISSN, ORCID's example researcher (Josiah
// Carberry), LeCun et al.'s "Deep learning" DOI, "Attention is all you need",
// Apple's ISIN and CUSIP, CMS's example NPI, aspirin and water.
func TestIdentifierTools(t *testing.T) {
	reg, err := NewRegistry(toolexec.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tool, args string
		want       map[string]any
	}{
		{"issn_validate", `{"issn": "0028-0836"}`, map[string]any{"valid": true, "issn": "0028-0836", "ean13": "9770028083002"}},
		{"issn_validate", `{"issn": "0028-0837"}`, map[string]any{"valid": false, "expected_check_digit": "6"}},
		{"issn_validate", `{"issn": "2434-561X"}`, map[string]any{"valid": true, "check_digit": "X"}},
		{"orcid_validate", `{"orcid": "https://orcid.org/0000-0002-1825-0097"}`, map[string]any{"valid": true, "orcid": "0000-0002-1825-0097"}},
		{"orcid_validate", `{"orcid": "0000-0002-1694-233X"}`, map[string]any{"valid": true, "check_digit": "X"}},
		{"orcid_validate", `{"orcid": "0000-0002-1825-0098"}`, map[string]any{"valid": false, "expected_check_digit": "7"}},
		{"doi_parse", `{"doi": "https://doi.org/10.1038/NATURE14539"}`, map[string]any{"valid": true, "prefix": "10.1038", "registrant": "1038",
			"suffix": "NATURE14539", "normalized": "10.1038/nature14539", "url": "https://doi.org/10.1038/NATURE14539"}},
		{"doi_parse", `{"doi": "doi:10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-O"}`, map[string]any{"valid": true,
			"suffix": "(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-O"}},
		{"doi_parse", `{"doi": "11.1038/nature14539"}`, map[string]any{"valid": false}},
		{"arxiv_id_parse", `{"arxiv_id": "arXiv:1706.03762v5"}`, map[string]any{"valid": true, "id": "1706.03762v5", "year": 2017.0, "month": 6.0,
			"version": 5.0, "pdf_url": "https://arxiv.org/pdf/1706.03762v5"}},
		{"arxiv_id_parse", `{"arxiv_id": "hep-th/9901001"}`, map[string]any{"valid": true, "archive": "hep-th", "year": 1999.0, "month": 1.0, "sequence_number": "001"}},
		{"arxiv_id_parse", `{"arxiv_id": "math.GT/0309136"}`, map[string]any{"valid": true, "archive": "math", "subject_class": "GT", "year": 2003.0}},
		{"arxiv_id_parse", `{"arxiv_id": "1706.0376"}`, map[string]any{"valid": false}},  // 2017 numbers have 5 digits
		{"arxiv_id_parse", `{"arxiv_id": "0703.1234"}`, map[string]any{"valid": false}},  // before April 2007
		{"arxiv_id_parse", `{"arxiv_id": "1713.01234"}`, map[string]any{"valid": false}}, // month 13
		{"isin_validate", `{"isin": "US0378331005"}`, map[string]any{"valid": true, "country_code": "US", "cusip": "037833100"}},
		{"isin_validate", `{"isin": "GB0002634946"}`, map[string]any{"valid": true, "nsin": "000263494"}},
		{"isin_validate", `{"isin": "XS2021832634"}`, map[string]any{"valid": true, "country_code": "XS"}},
		{"isin_validate", `{"isin": "ZZ0378331005"}`, map[string]any{"valid": false}},
		{"isin_validate", `{"isin": "US0378331006"}`, map[string]any{"valid": false, "expected_check_digit": "5"}},
		{"cusip_validate", `{"cusip": "037833100"}`, map[string]any{"valid": true, "issuer": "037833", "issue": "10"}},
		{"cusip_validate", `{"cusip": "38259P508"}`, map[string]any{"valid": true}},
		{"luhn_check", `{"number": "79927398710"}`, map[string]any{"valid": false, "expected_check_digit": "3"}},
		{"luhn_check", `{"number": "79927398713"}`, map[string]any{"valid": true}},
		{"npi_validate", `{"npi": "1234567893"}`, map[string]any{"valid": true}},
		{"npi_validate", `{"npi": "1234567890"}`, map[string]any{"valid": false, "expected_check_digit": "3"}},
		{"cas_number_validate", `{"cas_rn": "50-78-2"}`, map[string]any{"valid": true}},
		{"cas_number_validate", `{"cas_rn": "7732-18-5"}`, map[string]any{"valid": true}},
		{"cas_number_validate", `{"cas_rn": "7732-18-4"}`, map[string]any{"valid": false, "expected_check_digit": "5"}},
	}
	for _, tc := range tests {
		tool, err := reg.Resolve(tc.tool)
		if err != nil {
			t.Fatal(err)
		}
		res := reg.Call(context.Background(), tool, json.RawMessage(tc.args))
		if res.Err != nil {
			t.Errorf("%s(%s): %v", tc.tool, tc.args, res.Err)
			continue
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(res.Output), &out); err != nil {
			t.Fatal(err)
		}
		for k, want := range tc.want {
			if !reflect.DeepEqual(out[k], want) {
				t.Errorf("%s(%s): %s = %v, want %v (%v)", tc.tool, tc.args, k, out[k], want, out["reason"])
			}
		}
	}
}

// TestIdentifiersAgreeWithPythonStdnum checks generated identifiers (valid
// ones and copies with one character changed) against python-stdnum.
func TestIdentifiersAgreeWithPythonStdnum(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import stdnum").Run(); err != nil {
		t.Skipf("python3-stdnum is not importable by /usr/bin/python3 (scripts/setup-data installs it): %v", err)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	chars := func(alphabet string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	const digits, alnum = "0123456789", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	mutate := func(s string) string {
		b := []byte(s)
		i := rng.IntN(len(b))
		b[i] = digits[(int(b[i])+1+rng.IntN(8))%10]
		return string(b)
	}
	kinds := map[string]func() string{
		"isin": func() string {
			p := chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 2) + chars(alnum, 9)
			c, _ := isinCheck(p)
			return p + c
		},
		"cusip": func() string {
			p := chars(alnum, 8)
			c, _ := cusipCheck(p)
			return p + c
		},
		"issn":  func() string { p := chars(digits, 7); return p + checkdigit.ISSN(p) },
		"orcid": func() string { p := chars(digits, 15); return p + orcidCheck(p) },
		"luhn":  func() string { p := chars(digits, 5+rng.IntN(15)); return p + checkdigit.Luhn(p) },
		"casrn": func() string {
			body := chars("123456789", 1) + chars(digits, 1+rng.IntN(6)) + chars(digits, 2)
			sum := 0
			for i := 0; i < len(body); i++ {
				sum += (i + 1) * int(body[len(body)-1-i]-'0')
			}
			return body[:len(body)-2] + "-" + body[len(body)-2:] + "-" + string(rune('0'+sum%10))
		},
	}
	validators := map[string]func(string) bool{
		"isin":  func(s string) bool { _, err := isinValidate(s); return err == nil },
		"cusip": func(s string) bool { _, err := cusipValidate(s); return err == nil },
		"issn":  func(s string) bool { _, err := issnValidate(s); return err == nil },
		"orcid": func(s string) bool { _, err := orcidValidate(s); return err == nil },
		"luhn":  func(s string) bool { r, err := luhnValidate(s); return err == nil && r["valid"] == true },
		"casrn": func(s string) bool { _, err := casValidate(s); return err == nil },
	}
	in := map[string][]string{}
	for kind, gen := range kinds {
		for i := 0; i < 300; i++ {
			s := gen()
			in[kind] = append(in[kind], s)
			if i%3 == 0 {
				in[kind] = append(in[kind], mutate(s))
			}
		}
	}
	q, _ := json.Marshal(in)
	script := `
import json, sys
from stdnum import isin, cusip, issn, luhn, casrn
from stdnum.iso7064 import mod_11_2
check = {"isin": isin.is_valid, "cusip": cusip.is_valid, "issn": issn.is_valid, "orcid": mod_11_2.is_valid,
         "luhn": luhn.is_valid, "casrn": casrn.is_valid}
q = json.load(sys.stdin)
json.dump({k: [bool(check[k](n)) for n in v] for k, v in q.items()}, sys.stdout)
`
	cmd := exec.Command("/usr/bin/python3", "-c", script)
	cmd.Stdin = bytes.NewReader(q)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python-stdnum: %v", err)
	}
	var ref map[string][]bool
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatal(err)
	}
	for kind, nums := range in {
		invalid := 0
		for i, n := range nums {
			got := validators[kind](n)
			if got != ref[kind][i] {
				t.Errorf("%s %s: valid %v, python-stdnum %v", kind, n, got, ref[kind][i])
			}
			if !got {
				invalid++
			}
		}
		if invalid == 0 {
			t.Errorf("%s: no invalid case among %d", kind, len(nums))
		}
	}
}
