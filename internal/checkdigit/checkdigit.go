// Package checkdigit computes the check characters of standard identifiers,
// shared by the identifier tools and the generators that make valid ones.
package checkdigit

import "strconv"

// AllDigits reports whether s is one or more ASCII digits.
func AllDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// EAN13 is the EAN-13 (and ISBN-13) check digit of twelve digits:
// weights 1, 3, 1, …, mod 10.
func EAN13(twelve string) string {
	sum := 0
	for i, c := range twelve {
		w := 1
		if i%2 == 1 {
			w = 3
		}
		sum += w * int(c-'0')
	}
	return strconv.Itoa((10 - sum%10) % 10)
}

// ISBN10 is the ISBN-10 check character of nine digits: weights 1 to 9,
// mod 11, 10 written X.
func ISBN10(nine string) string {
	sum := 0
	for i, c := range nine {
		sum += (i + 1) * int(c-'0')
	}
	if sum%11 == 10 {
		return "X"
	}
	return strconv.Itoa(sum % 11)
}

// ISSN is the ISSN check character of seven digits: weights 8 to 2,
// 11 minus the sum mod 11, 10 written X.
func ISSN(seven string) string {
	sum := 0
	for i, c := range seven {
		sum += (8 - i) * int(c-'0')
	}
	if c := (11 - sum%11) % 11; c != 10 {
		return strconv.Itoa(c)
	}
	return "X"
}

// LuhnSum is the Luhn sum of digits whose last digit is a check digit.
func LuhnSum(digits string) int {
	sum := 0
	for i := 0; i < len(digits); i++ {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum
}

// Luhn is the digit that makes payload+digit pass the Luhn test.
func Luhn(payload string) string {
	return strconv.Itoa((10 - LuhnSum(payload+"0")%10) % 10)
}
