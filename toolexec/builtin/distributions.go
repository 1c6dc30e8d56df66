package builtin

import (
	"errors"
	"fmt"
	"math"
)

// regIncBeta is the regularized incomplete beta function I_x(a, b), by the
// continued fraction (modified Lentz), using the symmetry relation where the
// fraction converges slowly.
func regIncBeta(x, a, b float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	if x > (a+1)/(a+b+2) {
		return 1 - front*betaFraction(1-x, b, a)/b
	}
	return front * betaFraction(x, a, b) / a
}

func betaFraction(x, a, b float64) float64 {
	const tiny, eps = 1e-300, 1e-15
	c, d := 1.0, 1-(a+b)*x/(a+1)
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 10000; m++ {
		fm := float64(m)
		// even step
		num := fm * (b - fm) * x / ((a + 2*fm - 1) * (a + 2*fm))
		d = 1 + num*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + num/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		// odd step
		num = -(a + fm) * (a + b + fm) * x / ((a + 2*fm) * (a + 2*fm + 1))
		d = 1 + num*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + num/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		delta := d * c
		h *= delta
		if math.Abs(delta-1) < eps {
			break
		}
	}
	return h
}

// regIncGammaUpper is the regularized upper incomplete gamma Q(a, x), by the
// series for x < a+1 and the continued fraction otherwise.
func regIncGammaUpper(a, x float64) float64 {
	if x <= 0 {
		return 1
	}
	lg, _ := math.Lgamma(a)
	if x < a+1 {
		sum, term := 1/a, 1/a
		for n := 1; n <= 10000; n++ {
			term *= x / (a + float64(n))
			sum += term
			if math.Abs(term) < math.Abs(sum)*1e-16 {
				break
			}
		}
		return 1 - sum*math.Exp(-x+a*math.Log(x)-lg)
	}
	const tiny = 1e-300
	b := x + 1 - a
	c, d := 1/tiny, 1/b
	h := d
	for n := 1; n <= 10000; n++ {
		an := -float64(n) * (float64(n) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		delta := d * c
		h *= delta
		if math.Abs(delta-1) < 1e-16 {
			break
		}
	}
	return math.Exp(-x+a*math.Log(x)-lg) * h
}

// studentTSurvival is P(T > t) for Student's t with df degrees of freedom.
func studentTSurvival(t, df float64) float64 {
	tail := 0.5 * regIncBeta(df/(df+t*t), df/2, 0.5)
	if t < 0 {
		return 1 - tail
	}
	return tail
}

// studentTQuantile inverts the t distribution's CDF by bisection on the
// monotone survival function.
func studentTQuantile(p, df float64) float64 {
	lo, hi := -1e6, 1e6
	for range 200 {
		mid := (lo + hi) / 2
		if 1-studentTSurvival(mid, df) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// chiSquareSurvival is P(X > x) for the chi-square distribution with df degrees of freedom.
func chiSquareSurvival(x, df float64) float64 { return regIncGammaUpper(df/2, x/2) }

// normalCDF is the standard normal distribution function.
func normalCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// binomialPMF is P(X = k) for X ~ Binomial(n, p), in log space so large n stays finite.
func binomialPMF(k, n int, p float64) float64 {
	if k < 0 || k > n {
		return 0
	}
	switch p {
	case 0:
		if k == 0 {
			return 1
		}
		return 0
	case 1:
		if k == n {
			return 1
		}
		return 0
	}
	ln, _ := math.Lgamma(float64(n + 1))
	lk, _ := math.Lgamma(float64(k + 1))
	lnk, _ := math.Lgamma(float64(n - k + 1))
	return math.Exp(ln - lk - lnk + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
}

// tTestResult is a t statistic with its degrees of freedom and p-values.
func tTestResult(t, df float64, extra map[string]any) map[string]any {
	out := map[string]any{"t_statistic": t, "degrees_of_freedom": df,
		"p_value_two_sided": math.Min(1, 2*studentTSurvival(math.Abs(t), df)),
		"p_value_greater":   studentTSurvival(t, df),
		"p_value_less":      1 - studentTSurvival(t, df)}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func variance(xs []float64) float64 {
	s := sampleStdev(xs)
	return s * s
}

// tTest runs a one-sample, paired or two-sample (Welch or pooled) t-test.
func tTest(kind string, x, y []float64, mu float64) (map[string]any, error) {
	switch kind {
	case "one_sample", "paired":
		if kind == "paired" {
			if len(x) != len(y) {
				return nil, fmt.Errorf("paired test: x has %d values and y %d; they must pair up", len(x), len(y))
			}
			d := make([]float64, len(x))
			for i := range x {
				d[i] = x[i] - y[i]
			}
			x = d
		}
		if len(x) < 2 {
			return nil, errors.New("at least two observations are needed")
		}
		n := float64(len(x))
		se := sampleStdev(x) / math.Sqrt(n)
		if se == 0 {
			return nil, errors.New("the sample does not vary: the t statistic is undefined")
		}
		m := mean(x)
		return tTestResult((m-mu)/se, n-1, map[string]any{"test": kind, "mean": m, "standard_error": se, "n": len(x)}), nil
	case "welch", "pooled":
		if len(x) < 2 || len(y) < 2 {
			return nil, errors.New("each sample needs at least two observations")
		}
		nx, ny := float64(len(x)), float64(len(y))
		vx, vy := variance(x), variance(y)
		var se, df float64
		if kind == "welch" {
			se = math.Sqrt(vx/nx + vy/ny)
			df = (vx/nx + vy/ny) * (vx/nx + vy/ny) / ((vx/nx)*(vx/nx)/(nx-1) + (vy/ny)*(vy/ny)/(ny-1))
		} else {
			df = nx + ny - 2
			sp := ((nx-1)*vx + (ny-1)*vy) / df
			se = math.Sqrt(sp * (1/nx + 1/ny))
		}
		if se == 0 {
			return nil, errors.New("neither sample varies: the t statistic is undefined")
		}
		mx, my := mean(x), mean(y)
		return tTestResult((mx-my-mu)/se, df, map[string]any{"test": kind, "mean_x": mx, "mean_y": my, "mean_difference": mx - my, "standard_error": se}), nil
	}
	return nil, fmt.Errorf("unknown test %q (one_sample, paired, welch, pooled)", kind)
}

// chiSquareGoodnessOfFit compares observed counts with expected counts (or
// proportions, rescaled to the observed total; uniform when absent).
func chiSquareGoodnessOfFit(observed, expected []float64) (map[string]any, error) {
	if len(observed) < 2 {
		return nil, errors.New("at least two categories are needed")
	}
	total := 0.0
	for _, o := range observed {
		if o < 0 {
			return nil, errors.New("observed counts must not be negative")
		}
		total += o
	}
	if expected == nil {
		expected = make([]float64, len(observed))
		for i := range expected {
			expected[i] = 1
		}
	}
	if len(expected) != len(observed) {
		return nil, fmt.Errorf("observed has %d categories and expected %d", len(observed), len(expected))
	}
	esum := 0.0
	for _, e := range expected {
		if e <= 0 {
			return nil, errors.New("expected values must be positive")
		}
		esum += e
	}
	stat := 0.0
	scaled := make([]float64, len(expected))
	for i, e := range expected {
		scaled[i] = e * total / esum
		stat += (observed[i] - scaled[i]) * (observed[i] - scaled[i]) / scaled[i]
	}
	df := float64(len(observed) - 1)
	return map[string]any{"test": "goodness_of_fit", "chi_square": stat, "degrees_of_freedom": df,
		"p_value": chiSquareSurvival(stat, df), "expected": scaled}, nil
}

// chiSquareIndependence tests a contingency table for independence of rows and columns.
func chiSquareIndependence(table [][]float64, yates bool) (map[string]any, error) {
	r := len(table)
	if r < 2 {
		return nil, errors.New("the table needs at least two rows")
	}
	c := len(table[0])
	if c < 2 {
		return nil, errors.New("the table needs at least two columns")
	}
	rows, cols := make([]float64, r), make([]float64, c)
	total := 0.0
	for i, row := range table {
		if len(row) != c {
			return nil, fmt.Errorf("row %d has %d cells, row 0 has %d", i, len(row), c)
		}
		for j, v := range row {
			if v < 0 {
				return nil, errors.New("counts must not be negative")
			}
			rows[i] += v
			cols[j] += v
			total += v
		}
	}
	expected := make([][]float64, r)
	stat := 0.0
	correct := yates && r == 2 && c == 2
	for i := range table {
		expected[i] = make([]float64, c)
		for j := range table[i] {
			e := rows[i] * cols[j] / total
			if e == 0 {
				return nil, fmt.Errorf("row %d or column %d sums to zero: expected count is zero", i, j)
			}
			expected[i][j] = e
			diff := math.Abs(table[i][j] - e)
			if correct {
				diff = math.Max(0, diff-0.5)
			}
			stat += diff * diff / e
		}
	}
	df := float64((r - 1) * (c - 1))
	return map[string]any{"test": "independence", "chi_square": stat, "degrees_of_freedom": df,
		"p_value": chiSquareSurvival(stat, df), "expected": expected, "yates_correction": correct,
		"cramers_v": math.Sqrt(stat / (total * float64(min(r, c)-1)))}, nil
}

// fSurvival is P(F > f) for Fisher's F distribution with d1 and d2 degrees of freedom.
func fSurvival(f, d1, d2 float64) float64 {
	if f <= 0 {
		return 1
	}
	return regIncBeta(d2/(d2+d1*f), d2/2, d1/2)
}

// anovaOneWay is the one-way analysis of variance of k groups.
func anovaOneWay(groups [][]float64) (map[string]any, error) {
	if len(groups) < 2 {
		return nil, errors.New("at least two groups are needed")
	}
	var all []float64
	for i, g := range groups {
		if len(g) == 0 {
			return nil, fmt.Errorf("group %d is empty", i)
		}
		all = append(all, g...)
	}
	n, k := float64(len(all)), float64(len(groups))
	if n <= k {
		return nil, errors.New("there must be more observations than groups")
	}
	grand := mean(all)
	var ssb, ssw float64
	means := make([]float64, len(groups))
	for i, g := range groups {
		means[i] = mean(g)
		ssb += float64(len(g)) * (means[i] - grand) * (means[i] - grand)
		for _, x := range g {
			ssw += (x - means[i]) * (x - means[i])
		}
	}
	dfb, dfw := k-1, n-k
	if ssw == 0 {
		return nil, errors.New("no variation within groups: the F statistic is undefined")
	}
	f := (ssb / dfb) / (ssw / dfw)
	return map[string]any{"f_statistic": f, "df_between": dfb, "df_within": dfw, "p_value": fSurvival(f, dfb, dfw),
		"ss_between": ssb, "ss_within": ssw, "ms_between": ssb / dfb, "ms_within": ssw / dfw,
		"eta_squared": ssb / (ssb + ssw), "group_means": means, "grand_mean": grand}, nil
}

// poissonPMF is P(X = k) for X ~ Poisson(lambda).
func poissonPMF(k int, lambda float64) float64 {
	if lambda == 0 {
		if k == 0 {
			return 1
		}
		return 0
	}
	lk, _ := math.Lgamma(float64(k + 1))
	return math.Exp(float64(k)*math.Log(lambda) - lambda - lk)
}
