package builtin

import (
	"errors"
	"fmt"
	"math"
)

// hypothesisDefinitions are the statistical test and distribution tools.
func hypothesisDefinitions() []definition {
	return []definition{
		{
			id: "general.stats.stats_t_test",
			description: "Student's t-test: one-sample (mean of x against mu), paired (mean of x−y against mu), two-sample Welch (unequal variances) " +
				"or pooled (equal variances) on x − y against mu. Returns t, degrees of freedom, two-sided and one-sided p-values.",
			params: `{"type": "object", "required": ["test", "x"], "additionalProperties": false, "properties": {
				"test": {"type": "string", "enum": ["one_sample", "paired", "welch", "pooled"], "description": "Which t-test."},
				"x": ` + seriesParam("First sample.", 2) + `,
				"y": ` + seriesParam("Second sample (paired, welch, pooled).", 2) + `,
				"mu": {"type": "number", "description": "Hypothesized mean (one_sample) or mean difference (others); default 0."}}}`,
			run: typed(func(a struct {
				Test string    `json:"test"`
				X    []float64 `json:"x"`
				Y    []float64 `json:"y"`
				Mu   float64   `json:"mu"`
			}) (any, error) {
				if a.Test != "one_sample" && a.Y == nil {
					return nil, fmt.Errorf("the %s test needs y", a.Test)
				}
				return tTest(a.Test, a.X, a.Y, a.Mu)
			}),
		},
		{
			id: "general.stats.stats_chi_square_test",
			description: "Pearson's chi-square test: goodness of fit of observed counts to expected counts or proportions (uniform by default), " +
				"or independence of a contingency table (Yates' continuity correction for 2×2 tables by default, as scipy's chi2_contingency). " +
				"Returns the statistic, degrees of freedom, p-value and expected counts; Cramér's V for tables.",
			params: `{"type": "object", "additionalProperties": false, "properties": {
				"observed": ` + seriesParam("Observed counts per category (goodness of fit).", 2) + `,
				"expected": ` + seriesParam("Expected counts or proportions per category; rescaled to the observed total.", 2) + `,
				"table": {"type": "array", "minItems": 2, "maxItems": 1000, "items": {"type": "array", "minItems": 2, "maxItems": 1000, "items": {"type": "number", "minimum": 0}},
					"description": "Contingency table of counts, one array per row (independence test)."},
				"yates_correction": {"type": "boolean", "description": "Apply Yates' correction to 2×2 tables; default true."}}}`,
			run: typed(func(a struct {
				Observed []float64   `json:"observed"`
				Expected []float64   `json:"expected"`
				Table    [][]float64 `json:"table"`
				Yates    *bool       `json:"yates_correction"`
			}) (any, error) {
				switch {
				case a.Table != nil && a.Observed == nil:
					return chiSquareIndependence(a.Table, a.Yates == nil || *a.Yates)
				case a.Observed != nil && a.Table == nil:
					return chiSquareGoodnessOfFit(a.Observed, a.Expected)
				}
				return nil, errors.New("give either observed (goodness of fit) or table (independence), not both or neither")
			}),
		},
		{
			id:          "general.stats.stats_normal_distribution",
			description: "Normal distribution N(mean, sd): density and cumulative probability at x, the z-score of x, and the quantile (inverse CDF) for a probability.",
			params: `{"type": "object", "additionalProperties": false, "properties": {
				"mean": {"type": "number", "description": "Mean; default 0."},
				"sd": {"type": "number", "exclusiveMinimum": 0, "description": "Standard deviation; default 1."},
				"x": {"type": "number", "description": "Value at which to evaluate pdf, cdf, z."},
				"probability": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "description": "Probability whose quantile is wanted."}}}`,
			run: typed(func(a struct {
				Mean float64  `json:"mean"`
				SD   *float64 `json:"sd"`
				X    *float64 `json:"x"`
				P    *float64 `json:"probability"`
			}) (any, error) {
				sd := 1.0
				if a.SD != nil {
					sd = *a.SD
				}
				if a.X == nil && a.P == nil {
					return nil, errors.New("give x, probability or both")
				}
				out := map[string]any{"mean": a.Mean, "sd": sd}
				if a.X != nil {
					z := (*a.X - a.Mean) / sd
					out["z"] = z
					out["pdf"] = math.Exp(-z*z/2) / (sd * math.Sqrt(2*math.Pi))
					out["cdf"] = normalCDF(z)
					out["survival"] = normalCDF(-z)
				}
				if a.P != nil {
					out["quantile"] = a.Mean + sd*math.Sqrt2*math.Erfinv(2**a.P-1)
				}
				return out, nil
			}),
		},
		{
			id:          "general.stats.stats_binomial_distribution",
			description: "Binomial distribution of successes in n independent trials with success probability p: P(X = k), P(X ≤ k), P(X ≥ k), mean and variance.",
			params: `{"type": "object", "required": ["n", "p", "k"], "additionalProperties": false, "properties": {
				"n": {"type": "integer", "minimum": 0, "maximum": 10000000, "description": "Number of trials."},
				"p": {"type": "number", "minimum": 0, "maximum": 1, "description": "Success probability per trial."},
				"k": {"type": "integer", "minimum": 0, "description": "Number of successes."}}}`,
			run: typed(func(a struct {
				N int     `json:"n"`
				P float64 `json:"p"`
				K int     `json:"k"`
			}) (any, error) {
				if a.K > a.N {
					return nil, fmt.Errorf("k = %d exceeds n = %d", a.K, a.N)
				}
				cdf := 0.0
				for i := 0; i <= a.K; i++ {
					cdf += binomialPMF(i, a.N, a.P)
				}
				pmf := binomialPMF(a.K, a.N, a.P)
				n := float64(a.N)
				return map[string]any{"pmf": pmf, "cdf": math.Min(1, cdf), "survival_at_least_k": math.Min(1, math.Max(0, 1-cdf+pmf)),
					"mean": n * a.P, "variance": n * a.P * (1 - a.P)}, nil
			}),
		},
		{
			id:          "general.stats.stats_confidence_interval",
			description: "Confidence interval for the mean of a sample from Student's t distribution (two-sided), with the mean, standard error, critical t and margin of error.",
			params: `{"type": "object", "required": ["values"], "additionalProperties": false, "properties": {
				"values": ` + seriesParam("The sample.", 2) + `,
				"confidence": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "description": "Confidence level; default 0.95."}}}`,
			run: typed(func(a struct {
				Values     []float64 `json:"values"`
				Confidence *float64  `json:"confidence"`
			}) (any, error) {
				level := 0.95
				if a.Confidence != nil {
					level = *a.Confidence
				}
				n := float64(len(a.Values))
				df := n - 1
				m := mean(a.Values)
				se := sampleStdev(a.Values) / math.Sqrt(n)
				crit := studentTQuantile(1-(1-level)/2, df)
				return map[string]any{"mean": m, "standard_error": se, "degrees_of_freedom": df, "critical_t": crit,
					"margin_of_error": crit * se, "lower": m - crit*se, "upper": m + crit*se, "confidence": level}, nil
			}),
		},
		{
			id:          "general.stats.stats_anova_oneway",
			description: "One-way analysis of variance across two or more groups: F statistic, degrees of freedom, p-value, sums and mean squares, eta squared and group means.",
			params: `{"type": "object", "required": ["groups"], "additionalProperties": false, "properties": {
				"groups": {"type": "array", "minItems": 2, "maxItems": 1000, "items": ` + seriesParam("One group's observations.", 1) + `, "description": "The groups, one array of numbers each."}}}`,
			run: typed(func(a struct {
				Groups [][]float64 `json:"groups"`
			}) (any, error) {
				return anovaOneWay(a.Groups)
			}),
		},
		{
			id:          "general.stats.stats_poisson_distribution",
			description: "Poisson distribution with mean lambda: P(X = k), P(X ≤ k) and P(X ≥ k).",
			params: `{"type": "object", "required": ["lambda", "k"], "additionalProperties": false, "properties": {
				"lambda": {"type": "number", "minimum": 0, "maximum": 1e9, "description": "Mean number of events."},
				"k": {"type": "integer", "minimum": 0, "maximum": 1000000000, "description": "Number of events."}}}`,
			run: typed(func(a struct {
				Lambda float64 `json:"lambda"`
				K      int     `json:"k"`
			}) (any, error) {
				pmf := poissonPMF(a.K, a.Lambda)
				cdf := 1.0
				if a.Lambda > 0 {
					cdf = regIncGammaUpper(float64(a.K+1), a.Lambda)
				}
				return map[string]any{"pmf": pmf, "cdf": cdf, "survival_at_least_k": math.Min(1, 1-cdf+pmf), "mean": a.Lambda, "variance": a.Lambda}, nil
			}),
		},
	}
}
