package builtin

import (
	"math"
	"testing"
)

// TestDistributionsAgainstClosedForms checks the incomplete beta and gamma
// functions, through the t and chi-square tails, against the closed forms that
// exist for small degrees of freedom.
func TestDistributionsAgainstClosedForms(t *testing.T) {
	closeTo := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %.17g, want %.17g", name, got, want)
		}
	}
	for _, x := range []float64{-40, -3, -1.5, -0.2, 0, 0.2, 1, 2.5, 7, 100} {
		closeTo("t survival df=1", studentTSurvival(x, 1), 0.5-math.Atan(x)/math.Pi)
		closeTo("t survival df=2", studentTSurvival(x, 2), 0.5-x/(2*math.Sqrt(2+x*x)))
	}
	for _, x := range []float64{0.01, 0.5, 1, 3.841458820694124, 10, 60} {
		closeTo("chi2 survival df=1", chiSquareSurvival(x, 1), math.Erfc(math.Sqrt(x/2)))
		closeTo("chi2 survival df=2", chiSquareSurvival(x, 2), math.Exp(-x/2))
		closeTo("chi2 survival df=4", chiSquareSurvival(x, 4), math.Exp(-x/2)*(1+x/2))
	}
	// The t distribution approaches the normal as df grows.
	if got := studentTQuantile(0.975, 1e7); math.Abs(got-1.959963984540054) > 1e-5 {
		t.Errorf("t quantile 0.975 at df=1e7 = %v, want ≈ 1.95996", got)
	}
	// Binomial probabilities sum to one, even where n is large (log-gamma
	// rounding leaves about 1e-12 at n = 5000).
	for _, n := range []int{1, 17, 5000} {
		sum := 0.0
		for k := 0; k <= n; k++ {
			sum += binomialPMF(k, n, 0.3)
		}
		if math.Abs(sum-1) > 1e-10 {
			t.Errorf("binomial probabilities for n=%d sum to %.17g", n, sum)
		}
	}
}

// TestFDistribution checks the F tail against its closed forms: F(2, 2) has
// survival 1/(1+f), and F(1, d) is the square of t with d degrees of freedom.
func TestFDistribution(t *testing.T) {
	for _, f := range []float64{0.1, 1, 4.5, 30} {
		if got, want := fSurvival(f, 2, 2), 1/(1+f); math.Abs(got-want) > 1e-12 {
			t.Errorf("F(2,2) survival at %v = %v, want %v", f, got, want)
		}
		if got, want := fSurvival(f, 1, 7), 2*studentTSurvival(math.Sqrt(f), 7); math.Abs(got-want) > 1e-12 {
			t.Errorf("F(1,7) survival at %v = %v, want two-sided t %v", f, got, want)
		}
	}
}
