package numdb

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dive-env/dive/internal/checkdigit"

	"github.com/dive-env/dive/toolexec"
)

func databases(t *testing.T) *Databases {
	t.Helper()
	if _, err := os.Stat(filepath.Join(DefaultDir, "isbn.dat")); err != nil {
		t.Skipf("python3-stdnum's databases are not installed (scripts/setup-data installs them): %v", err)
	}
	d, err := Open(DefaultDir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestInfoOnASmallDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.dat")
	data := "# comment\n1-2 kind=\"low\"\n 0-4 sub=\"a\"\n 50-59 sub=\"b\"\n3 kind=\"three\"\nA-Z letter=\"any\"\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want []Part
	}{
		{"1312", []Part{{"1", map[string]string{"kind": "low"}}, {"3", map[string]string{"sub": "a"}}, {"12", map[string]string{}}}},
		{"2551", []Part{{"2", map[string]string{"kind": "low"}}, {"55", map[string]string{"sub": "b"}}, {"1", map[string]string{}}}},
		{"39", []Part{{"3", map[string]string{"kind": "three"}}, {"9", map[string]string{}}}},
		{"Q", []Part{{"Q", map[string]string{"letter": "any"}}}},
		{"9", []Part{{"9", map[string]string{}}}},
	}
	for _, tc := range tests {
		if got := db.Info(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Info(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.dat")
	os.WriteFile(bad, []byte("1-23 x=\"y\"\n"), 0o644)
	if _, err := Read(bad); err == nil || !strings.Contains(err.Error(), "different lengths") {
		t.Fatalf("a bad range: %v", err)
	}
}

func TestTools(t *testing.T) {
	databases(t)
	reg := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(reg, DefaultDir); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tool, args string
		want       map[string]any
		err        string
	}{
		// The C Programming Language, 2nd edition (Prentice Hall).
		{"isbn_validate", `{"isbn": "0-13-110362-8"}`, map[string]any{"valid": true, "isbn13": "9780131103627", "hyphenated13": "978-0-13-110362-7",
			"agency": "English language", "registrant": "13"}, ""},
		{"isbn_validate", `{"isbn": "978-0-13-110362-8"}`, map[string]any{"valid": false, "expected_check_digit": "7"}, ""},
		{"isbn_validate", `{"isbn": "979-10-90636-07-1"}`, map[string]any{"valid": true, "isbn10": nil, "agency": "France", "hyphenated13": "979-10-90636-07-1"}, ""},
		{"isbn_validate", `{"isbn": "12345"}`, map[string]any{"valid": false}, ""},
		// The example IBAN of the UK's IBAN documentation.
		{"iban_validate", `{"iban": "GB82 WEST 1234 5698 7654 32"}`, map[string]any{"valid": true, "country": "United Kingdom", "expected_length": 22.0,
			"formatted": "GB82 WEST 1234 5698 7654 32"}, ""},
		{"iban_validate", `{"iban": "GB83WEST12345698765432"}`, map[string]any{"valid": false, "reason": "wrong check digits (mod 97 remainder 2, want 1)"}, ""},
		{"iban_validate", `{"iban": "ZZ82WEST12345698765432"}`, map[string]any{"valid": false}, ""},
		{"cfi_decode", `{"cfi": "ESVUFR"}`, map[string]any{"category": "Equities", "group": "Common/ordinary shares"}, ""},
		{"cfi_decode", `{"cfi": "ES1UFR"}`, nil, "six letters"},
		{"mobile_network_lookup", `{"number": "310410123456789"}`, map[string]any{"mcc": "310", "mnc": "410", "msin": "123456789"}, ""},
		{"mobile_network_lookup", `{"number": "100"}`, nil, "not in the table"},
		{"mobile_network_lookup", `{"number": "52098"}`, nil, "no network with MCC 520"},
	}
	for _, tc := range tests {
		tool, err := reg.Resolve(tc.tool)
		if err != nil {
			t.Fatal(err)
		}
		res := reg.Call(context.Background(), tool, json.RawMessage(tc.args))
		if tc.err != "" {
			if res.Err == nil || !strings.Contains(res.Err.Message, tc.err) {
				t.Errorf("%s(%s) = %+v, want error %q", tc.tool, tc.args, res, tc.err)
			}
			continue
		}
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
				t.Errorf("%s(%s): %s = %v, want %v", tc.tool, tc.args, k, out[k], want)
			}
		}
	}
	// The shortest MNC wins: 374 13 (Digicel, not operational) before 374 130.
	res := reg.Call(context.Background(), mustResolve(t, reg, "mobile_network_lookup"), json.RawMessage(`{"number": "37413012345"}`))
	if res.Err != nil || !strings.Contains(res.Output, `"mnc":"13"`) || !strings.Contains(res.Output, "Not operational") || !strings.Contains(res.Output, `"msin":"012345"`) {
		t.Fatalf("374 13: %+v", res)
	}
	res = reg.Call(context.Background(), mustResolve(t, reg, "mobile_network_lookup"), json.RawMessage(`{"number": "234"}`))
	if res.Err != nil || !strings.Contains(res.Output, "United Kingdom") || strings.Contains(res.Output, `{"mnc":"00"}`) {
		t.Fatalf("MCC 234: %+v", res)
	}
}

func mustResolve(t *testing.T, reg *toolexec.Registry, name string) *toolexec.Tool {
	t.Helper()
	tool, err := reg.Resolve(name)
	if err != nil {
		t.Fatal(err)
	}
	return tool
}

// conformanceInputs makes valid numbers of every kind the databases cover
// (and corrupted copies) from a fixed seed.
func conformanceInputs(d *Databases) map[string][]string {
	rng := rand.New(rand.NewPCG(1, 2))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		return string(b)
	}
	in := map[string][]string{}
	for i := 0; i < 400; i++ {
		twelve := []string{"978", "979"}[i%2] + digits(9)
		n := twelve + checkdigit.EAN13(twelve)
		in["isbn"] = append(in["isbn"], n)
		if i%2 == 0 {
			in["isbn"] = append(in["isbn"], n[3:12]+checkdigit.ISBN10(n[3:12]))
		}
		if i%10 == 0 {
			in["isbn"] = append(in["isbn"], n[:12]+string('0'+(n[12]-'0'+1)%10))
		}
	}
	for _, e := range d.IBAN.root {
		re, l := bbanPattern(e.props["bban"])
		var bban []byte
		for len(bban) < l {
			// All digits, else all letters; mixed structures are covered by the fixed examples.
			bban = []byte(digits(l))
			if !re.Match(bban) {
				bban = []byte(strings.Repeat("A", l))
				for j := range bban {
					bban[j] = byte('A' + rng.IntN(26))
				}
				if !re.Match(bban) {
					bban = nil
					break
				}
			}
		}
		if bban == nil {
			continue // a mixed structure: covered by the fixed examples
		}
		rem, _ := mod97(e.low + "00" + string(bban))
		check := 98 - rem
		iban := e.low + string([]byte{byte('0' + check/10), byte('0' + check%10)}) + string(bban)
		in["iban"] = append(in["iban"], iban, iban[:4]+string(bban[1:])+string(bban[:1]))
	}
	in["iban"] = append(in["iban"], "GB82WEST12345698765432", "DE89370400440532013000", "FR1420041010050500013M02606", "NL91ABNA0417164300")
	in["cfi"] = []string{"ESVUFR", "DBFTFB", "ESNTFR", "CIOGEU", "RWSNCA", "OCASPS", "FFICSX", "XXXXXX", "ESZZZZ", "DBFTFX"}
	in["imsi"] = []string{"310410123456789", "234150123456789", "208011234567890", "460001234567890", "505021234567890", "440101234567890", "262011234567890"}
	return in
}

// TestConformanceWithPythonStdnum gives the same numbers to python-stdnum
// (Debian's python3-stdnum, whose databases these tools read) and compares.
func TestConformanceWithPythonStdnum(t *testing.T) {
	d := databases(t)
	if err := exec.Command("/usr/bin/python3", "-c", "import stdnum").Run(); err != nil {
		t.Skipf("python3-stdnum is not importable by /usr/bin/python3: %v", err)
	}
	in := conformanceInputs(d)
	q, _ := json.Marshal(in)
	cmd := exec.Command("/usr/bin/python3", "testdata/stdnum_answers.py")
	cmd.Stdin = bytes.NewReader(q)
	outB, err := cmd.Output()
	if err != nil {
		t.Fatalf("python-stdnum: %v", err)
	}
	var ref struct {
		ISBN []map[string]any `json:"isbn"`
		IBAN []bool           `json:"iban"`
		CFI  []struct {
			Valid bool              `json:"valid"`
			Info  map[string]string `json:"info"`
		} `json:"cfi"`
		IMSI []struct {
			Valid bool              `json:"valid"`
			Info  map[string]string `json:"info"`
		} `json:"imsi"`
	}
	if err := json.Unmarshal(outB, &ref); err != nil {
		t.Fatal(err)
	}
	hyphenated := 0
	for i, n := range in["isbn"] {
		got, want := d.isbn(n), ref.ISBN[i]
		if got["valid"] != want["valid"] {
			t.Errorf("isbn %s: valid %v, stdnum %v", n, got["valid"], want["valid"])
			continue
		}
		if want["valid"] != true {
			continue
		}
		for _, k := range []string{"isbn13", "isbn10"} {
			if !reflect.DeepEqual(got[k], want[k]) {
				t.Errorf("isbn %s: %s %v, stdnum %v", n, k, got[k], want[k])
			}
		}
		// stdnum joins what it could split; compare where the range table covers the number.
		for _, k := range []string{"hyphenated13", "hyphenated10"} {
			if g, ok := got[k]; ok {
				hyphenated++
				if g != want[k] {
					t.Errorf("isbn %s: %s %v, stdnum %v", n, k, g, want[k])
				}
			}
		}
	}
	if hyphenated < 100 {
		t.Errorf("only %d hyphenations compared", hyphenated)
	}
	for i, n := range in["iban"] {
		if got := d.iban(n)["valid"] == true; got != ref.IBAN[i] {
			t.Errorf("iban %s: valid %v, stdnum %v (%v)", n, got, ref.IBAN[i], d.iban(n)["reason"])
		}
	}
	if len(in["iban"]) < 100 {
		t.Errorf("only %d IBANs compared", len(in["iban"]))
	}
	for i, n := range in["cfi"] {
		got, err := d.cfi(n)
		if (err == nil) != ref.CFI[i].Valid {
			t.Errorf("cfi %s: error %v, stdnum valid %v", n, err, ref.CFI[i].Valid)
			continue
		}
		if err != nil {
			continue
		}
		m := got.(map[string]any)
		flat := map[string]string{"category": m["category"].(string), "group": m["group"].(string)}
		for _, a := range m["attributes"].([]map[string]any) {
			if a["letter"] != "X" {
				flat[a["attribute"].(string)] = a["value"].(string)
			}
		}
		if !reflect.DeepEqual(flat, ref.CFI[i].Info) {
			t.Errorf("cfi %s: %v, stdnum %v", n, flat, ref.CFI[i].Info)
		}
	}
	for i, n := range in["imsi"] {
		got, err := d.imsi(n)
		if err != nil || !ref.IMSI[i].Valid {
			t.Errorf("imsi %s: %v, stdnum %v", n, err, ref.IMSI[i])
			continue
		}
		m, want := got.(map[string]any), ref.IMSI[i].Info
		if m["mcc"] != want["mcc"] || m["mnc"] != want["mnc"] || m["msin"] != want["msin"] {
			t.Errorf("imsi %s: %v/%v/%v, stdnum %v/%v/%v", n, m["mcc"], m["mnc"], m["msin"], want["mcc"], want["mnc"], want["msin"])
		}
		// stdnum merges networks sharing a code; its operator is one of ours.
		ops := ""
		for _, nw := range m["networks"].([]map[string]string) {
			ops += "|" + nw["operator"]
		}
		if want["operator"] != "" && !strings.Contains(ops+"|", "|"+want["operator"]+"|") {
			t.Errorf("imsi %s: operators %s, stdnum %q", n, ops, want["operator"])
		}
	}
}

func TestMissingData(t *testing.T) {
	reg := toolexec.NewRegistry(toolexec.DefaultOptions())
	if err := Register(reg, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if len(reg.Tools()) != 4 {
		t.Fatalf("%d tools", len(reg.Tools()))
	}
	for _, tool := range reg.Tools() {
		if tool.Executable() || !strings.Contains(tool.Reason(), "setup-data") {
			t.Fatalf("%s without its data: %v %q", tool.Manifest.ID, tool.Executable(), tool.Reason())
		}
	}
}
