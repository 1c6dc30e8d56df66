package checkdigit

import "testing"

// Published examples: ISBN 978-0-306-40615-7 / 0-306-40615-2, ISSN 0317-8471
// and 2434-561X, the Luhn example 7992739871-3.
func TestCheckDigits(t *testing.T) {
	for _, tc := range []struct{ name, got, want string }{
		{"EAN13", EAN13("978030640615"), "7"},
		{"ISBN10", ISBN10("030640615"), "2"},
		{"ISBN10 X", ISBN10("080442957"), "X"},
		{"ISSN", ISSN("0317847"), "1"},
		{"ISSN X", ISSN("2434561"), "X"},
		{"Luhn", Luhn("7992739871"), "3"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	if LuhnSum("79927398713")%10 != 0 || !AllDigits("0123") || AllDigits("") || AllDigits("12a") {
		t.Fatal("Luhn sum or AllDigits")
	}
}
