package builtin

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// evaluate computes an arithmetic expression: numbers (with exponents),
// + - * / // % and ^ or ** (right-associative), unary signs, parentheses,
// the constants pi, e and tau, and the functions listed in calcFuncs.
// Trigonometric functions work in radians.
func evaluate(expr string) (float64, error) {
	p := &calcParser{src: expr}
	p.next()
	v, err := p.parseSum()
	if p.err != nil {
		return 0, p.err
	}
	if err != nil {
		return 0, err
	}
	if p.tok.kind != tokEOF {
		return 0, fmt.Errorf("unexpected %q at position %d", p.tok.text, p.tok.pos+1)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("result is not a finite number")
	}
	return v, nil
}

type calcFunc struct {
	minArgs, maxArgs int
	fn               func(a []float64) (float64, error)
}

func unary(f func(float64) float64) calcFunc {
	return calcFunc{1, 1, func(a []float64) (float64, error) { return f(a[0]), nil }}
}

func domain(name string, ok func(float64) bool, f func(float64) float64) calcFunc {
	return calcFunc{1, 1, func(a []float64) (float64, error) {
		if !ok(a[0]) {
			return 0, fmt.Errorf("%s(%g) is undefined", name, a[0])
		}
		return f(a[0]), nil
	}}
}

func positive(x float64) bool { return x > 0 }

var calcFuncs = map[string]calcFunc{
	"sqrt":  domain("sqrt", func(x float64) bool { return x >= 0 }, math.Sqrt),
	"cbrt":  unary(math.Cbrt),
	"abs":   unary(math.Abs),
	"exp":   unary(math.Exp),
	"ln":    domain("ln", positive, math.Log),
	"log10": domain("log10", positive, math.Log10),
	"log2":  domain("log2", positive, math.Log2),
	"log": {1, 2, func(a []float64) (float64, error) {
		if a[0] <= 0 || (len(a) == 2 && (a[1] <= 0 || a[1] == 1)) {
			return 0, fmt.Errorf("log of %g is undefined", a[0])
		}
		if len(a) == 2 {
			return math.Log(a[0]) / math.Log(a[1]), nil
		}
		return math.Log(a[0]), nil
	}},
	"sin":   unary(math.Sin),
	"cos":   unary(math.Cos),
	"tan":   unary(math.Tan),
	"asin":  domain("asin", func(x float64) bool { return x >= -1 && x <= 1 }, math.Asin),
	"acos":  domain("acos", func(x float64) bool { return x >= -1 && x <= 1 }, math.Acos),
	"atan":  unary(math.Atan),
	"sinh":  unary(math.Sinh),
	"cosh":  unary(math.Cosh),
	"tanh":  unary(math.Tanh),
	"floor": unary(math.Floor),
	"ceil":  unary(math.Ceil),
	"degrees": unary(func(x float64) float64 {
		return x * 180 / math.Pi
	}),
	"radians": unary(func(x float64) float64 {
		return x * math.Pi / 180
	}),
	"round": {1, 2, func(a []float64) (float64, error) {
		if len(a) == 1 {
			return math.RoundToEven(a[0]), nil
		}
		scale := math.Pow(10, math.Trunc(a[1]))
		return math.RoundToEven(a[0]*scale) / scale, nil
	}},
	"pow":   {2, 2, func(a []float64) (float64, error) { return math.Pow(a[0], a[1]), nil }},
	"hypot": {2, 2, func(a []float64) (float64, error) { return math.Hypot(a[0], a[1]), nil }},
	"atan2": {2, 2, func(a []float64) (float64, error) { return math.Atan2(a[0], a[1]), nil }},
	"min":   {1, 64, func(a []float64) (float64, error) { return fold(a, math.Min), nil }},
	"max":   {1, 64, func(a []float64) (float64, error) { return fold(a, math.Max), nil }},
	"factorial": {1, 1, func(a []float64) (float64, error) {
		n := a[0]
		if n < 0 || n != math.Trunc(n) || n > 170 {
			return 0, fmt.Errorf("factorial(%g) is undefined (needs an integer 0..170)", n)
		}
		r := 1.0
		for i := 2.0; i <= n; i++ {
			r *= i
		}
		return r, nil
	}},
}

func fold(a []float64, f func(x, y float64) float64) float64 {
	r := a[0]
	for _, x := range a[1:] {
		r = f(r, x)
	}
	return r
}

var calcConstants = map[string]float64{"pi": math.Pi, "e": math.E, "tau": 2 * math.Pi}

type tokKind int

const (
	tokEOF tokKind = iota
	tokNum
	tokIdent
	tokOp
)

type token struct {
	kind tokKind
	text string
	num  float64
	pos  int
}

type calcParser struct {
	src   string
	pos   int
	tok   token
	err   error
	depth int
}

func (p *calcParser) next() {
	for p.pos < len(p.src) && unicode.IsSpace(rune(p.src[p.pos])) {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(p.src) {
		p.tok = token{kind: tokEOF, pos: start}
		return
	}
	c := p.src[p.pos]
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	switch {
	case c >= '0' && c <= '9' || c == '.':
		end := p.pos
		for end < len(p.src) && (isDigit(p.src[end]) || p.src[end] == '.' || p.src[end] == '_') {
			end++
		}
		if end < len(p.src) && (p.src[end] == 'e' || p.src[end] == 'E') {
			exp := end + 1
			if exp < len(p.src) && (p.src[exp] == '+' || p.src[exp] == '-') {
				exp++
			}
			if exp < len(p.src) && isDigit(p.src[exp]) {
				for exp < len(p.src) && isDigit(p.src[exp]) {
					exp++
				}
				end = exp
			}
		}
		text := p.src[p.pos:end]
		v, err := strconv.ParseFloat(strings.ReplaceAll(text, "_", ""), 64)
		if err != nil && p.err == nil {
			p.err = fmt.Errorf("bad number %q at position %d", text, start+1)
		}
		p.pos = end
		p.tok = token{kind: tokNum, text: text, num: v, pos: start}
	case c < utf8.RuneSelf && (unicode.IsLetter(r) || c == '_'):
		end := p.pos
		for end < len(p.src) && p.src[end] < utf8.RuneSelf && (unicode.IsLetter(rune(p.src[end])) || isDigit(p.src[end]) || p.src[end] == '_') {
			end++
		}
		p.tok = token{kind: tokIdent, text: p.src[p.pos:end], pos: start}
		p.pos = end
	default:
		for _, op := range []string{"**", "//", "+", "-", "*", "/", "%", "^", "(", ")", ",", "×", "÷", "−"} {
			if strings.HasPrefix(p.src[p.pos:], op) {
				p.pos += len(op)
				norm := map[string]string{"×": "*", "÷": "/", "−": "-", "**": "^"}[op]
				if norm == "" {
					norm = op
				}
				p.tok = token{kind: tokOp, text: norm, pos: start}
				return
			}
		}
		_, size := utf8.DecodeRuneInString(p.src[p.pos:])
		p.tok = token{kind: tokOp, text: p.src[p.pos : p.pos+size], pos: start}
		p.pos += size
		if p.err == nil {
			p.err = fmt.Errorf("unexpected character %q at position %d", r, start+1)
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *calcParser) isOp(s string) bool { return p.tok.kind == tokOp && p.tok.text == s }

func (p *calcParser) parseSum() (float64, error) {
	v, err := p.parseProduct()
	for err == nil && (p.isOp("+") || p.isOp("-")) {
		op := p.tok.text
		p.next()
		var r float64
		if r, err = p.parseProduct(); err == nil {
			if op == "+" {
				v += r
			} else {
				v -= r
			}
		}
	}
	return v, err
}

func (p *calcParser) parseProduct() (float64, error) {
	v, err := p.parseUnary()
	for err == nil && (p.isOp("*") || p.isOp("/") || p.isOp("%") || p.isOp("//")) {
		op := p.tok.text
		p.next()
		var r float64
		if r, err = p.parseUnary(); err != nil {
			break
		}
		switch op {
		case "*":
			v *= r
		case "/", "//", "%":
			if r == 0 {
				return 0, fmt.Errorf("division by zero")
			}
			switch op {
			case "/":
				v /= r
			case "//":
				v = math.Floor(v / r)
			default:
				v = v - r*math.Floor(v/r)
			}
		}
	}
	return v, err
}

func (p *calcParser) parseUnary() (float64, error) {
	if p.isOp("-") || p.isOp("+") {
		neg := p.isOp("-")
		p.next()
		v, err := p.parseUnary()
		if neg {
			v = -v
		}
		return v, err
	}
	return p.parsePower()
}

func (p *calcParser) parsePower() (float64, error) {
	base, err := p.parseAtom()
	if err != nil {
		return 0, err
	}
	if p.isOp("^") {
		p.next()
		exp, err := p.parseUnary() // right-associative, binds tighter than unary minus on the left
		if err != nil {
			return 0, err
		}
		return math.Pow(base, exp), nil
	}
	return base, nil
}

func (p *calcParser) parseAtom() (float64, error) {
	if p.err != nil {
		return 0, p.err
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 200 {
		return 0, fmt.Errorf("expression nests too deeply")
	}
	t := p.tok
	switch {
	case t.kind == tokNum:
		p.next()
		return t.num, nil
	case t.kind == tokIdent:
		p.next()
		name := strings.ToLower(t.text)
		if p.isOp("(") {
			f, ok := calcFuncs[name]
			if !ok {
				return 0, fmt.Errorf("unknown function %q at position %d", t.text, t.pos+1)
			}
			p.next()
			var args []float64
			if !p.isOp(")") {
				for {
					a, err := p.parseSum()
					if err != nil {
						return 0, err
					}
					args = append(args, a)
					if !p.isOp(",") {
						break
					}
					p.next()
				}
			}
			if !p.isOp(")") {
				return 0, fmt.Errorf("missing ')' after arguments of %s", t.text)
			}
			p.next()
			if len(args) < f.minArgs || len(args) > f.maxArgs {
				return 0, fmt.Errorf("%s takes %d to %d arguments, got %d", t.text, f.minArgs, f.maxArgs, len(args))
			}
			return f.fn(args)
		}
		if c, ok := calcConstants[name]; ok {
			return c, nil
		}
		return 0, fmt.Errorf("unknown name %q at position %d", t.text, t.pos+1)
	case p.isOp("("):
		p.next()
		v, err := p.parseSum()
		if err != nil {
			return 0, err
		}
		if !p.isOp(")") {
			return 0, fmt.Errorf("missing ')' at position %d", p.tok.pos+1)
		}
		p.next()
		return v, nil
	case t.kind == tokEOF:
		return 0, fmt.Errorf("expression ends too early")
	}
	return 0, fmt.Errorf("unexpected %q at position %d", t.text, t.pos+1)
}
