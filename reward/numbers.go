package reward

import (
	"math"
	"strconv"
	"strings"
)

var multipliers = map[string]float64{"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12}

// parseDecimal reads digits with optional thousands separators, sign,
// decimals and exponent ("e-9", "x 10^-9"); decimals is -1 with an
// exponent.
func parseDecimal(s string) (float64, int, bool) {
	s = strings.TrimSpace(s)
	var buf [64]byte
	b := buf[:0]
	exp, hasExp := 0, false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c == '.', c == '+':
			b = append(b, c)
			i++
		case c == ',':
			i++
		case c == '-':
			b = append(b, '-')
			i++
		case c == 'e' || c == 'E':
			b = append(b, 'e')
			hasExp = true
			i++
		case strings.HasPrefix(s[i:], "−"), strings.HasPrefix(s[i:], "–"):
			b = append(b, '-')
			i += len("−")
		case c == 'x' || c == ' ' || strings.HasPrefix(s[i:], "×"):
			// "6.02 x 10^23": the power of ten follows.
			j := strings.Index(s[i:], "10")
			if j < 0 {
				return 0, 0, false
			}
			rest := strings.TrimPrefix(s[i+j+2:], "^")
			e, err := strconv.Atoi(signReplacer.Replace(rest))
			if err != nil {
				return 0, 0, false
			}
			exp, hasExp = e, true
			i = len(s)
		default:
			return 0, 0, false
		}
		if len(b) >= len(buf) {
			return 0, 0, false
		}
	}
	if len(b) == 0 || strings.Trim(string(b), "+-.") == "" {
		return 0, 0, false
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, 0, false
	}
	dec := 0
	if hasExp {
		dec = -1
	} else if i := strings.IndexByte(string(b), '.'); i >= 0 {
		dec = len(b) - i - 1
	}
	if exp != 0 {
		v *= math.Pow(10, float64(exp))
	}
	return v, dec, true
}

var (
	smallNumbers = map[string]float64{"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
		"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
		"seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
		"seventy": 70, "eighty": 80, "ninety": 90, "a": 1, "dozen": 12}
	scaleWords = map[string]float64{"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
)

var wordSepReplacer = strings.NewReplacer("-", " ", ",", " ")

// parseWordNumber reads a number written in English words, up to the
// trillions: "forty-two", "one hundred and five", "two million three
// hundred thousand", "minus seven".
func parseWordNumber(s string) (float64, bool) {
	if whole, frac, ok := strings.Cut(strings.ToLower(s), " point "); ok {
		w, okW := parseWordNumber(whole)
		digits := ""
		for _, d := range strings.Fields(frac) {
			v, isDigit := smallNumbers[d]
			if !isDigit || v > 9 || d == "a" || d == "dozen" {
				return 0, false
			}
			digits += strconv.Itoa(int(v))
		}
		f, err := strconv.ParseFloat("0."+digits, 64)
		if !okW || err != nil || digits == "" {
			return 0, false
		}
		return w + math.Copysign(f, w+0.5), true
	}
	words := strings.Fields(wordSepReplacer.Replace(strings.ToLower(s)))
	if len(words) == 0 || len(words) > 20 {
		return 0, false
	}
	sign := 1.0
	if words[0] == "minus" || words[0] == "negative" {
		sign, words = -1, words[1:]
	}
	total, group := 0.0, 0.0
	seen := false
	for i, w := range words {
		if w == "and" && i > 0 {
			continue
		}
		if v, ok := smallNumbers[w]; ok {
			if w == "a" && (i+1 >= len(words) || (scaleWords[words[i+1]] == 0 && words[i+1] != "dozen")) {
				return 0, false
			}
			if w == "dozen" {
				if group == 0 {
					group = 1
				}
				group *= 12
			} else {
				group += v
			}
			seen = true
			continue
		}
		sc, ok := scaleWords[w]
		if !ok {
			return 0, false
		}
		if group == 0 {
			group = 1
		}
		if sc == 100 {
			group *= 100
		} else {
			total += group * sc
			group = 0
		}
		seen = true
	}
	if !seen {
		return 0, false
	}
	return sign * (total + group), true
}
