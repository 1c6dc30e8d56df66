package builtin

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

const (
	rateParam  = `{"type": "number", "minimum": -0.99, "maximum": 10, "description": "Interest rate per period as a fraction (0.05 for 5%)."}`
	nperParam  = `{"type": "number", "exclusiveMinimum": 0, "maximum": 100000, "description": "Number of periods."}`
	whenParam  = `{"type": "string", "enum": ["end", "begin"], "default": "end", "description": "Payments at the end (ordinary annuity) or the beginning (annuity due) of each period."}`
	pricesDesc = "Prices in time order (positive numbers)."
)

func seriesParam(desc string, minItems int) string {
	return fmt.Sprintf(`{"type": "array", "items": {"type": "number"}, "minItems": %d, "maxItems": 100000, "description": %q}`, minItems, desc)
}

func whenValue(s string) int {
	if s == "begin" {
		return 1
	}
	return 0
}

// financeDefinitions are financial mathematics tools (numpy-financial conventions).
func financeDefinitions() []definition {
	type tvm struct {
		Rate float64  `json:"rate"`
		Nper float64  `json:"nper"`
		Pmt  float64  `json:"pmt"`
		PV   float64  `json:"pv"`
		FV   float64  `json:"fv"`
		When string   `json:"when"`
		Per  *float64 `json:"periods_per_year"`
	}
	return []definition{
		{
			id:          "financial.finmath.finmath_future_value",
			description: "Future value of a present amount and a series of equal payments (numpy-financial fv; money paid out is negative).",
			params: `{"type": "object", "required": ["rate", "nper"], "additionalProperties": false, "properties": {
				"rate": ` + rateParam + `, "nper": ` + nperParam + `,
				"pmt": {"type": "number", "default": 0, "description": "Payment each period."},
				"pv": {"type": "number", "default": 0, "description": "Present value."}, "when": ` + whenParam + `}}`,
			run: typed(func(a tvm) (any, error) {
				return map[string]any{"future_value": fvTVM(a.Rate, a.Nper, a.Pmt, a.PV, whenValue(a.When))}, nil
			}),
		},
		{
			id:          "financial.finmath.finmath_present_value",
			description: "Present value of a future amount and a series of equal payments (numpy-financial pv; money paid out is negative).",
			params: `{"type": "object", "required": ["rate", "nper"], "additionalProperties": false, "properties": {
				"rate": ` + rateParam + `, "nper": ` + nperParam + `,
				"pmt": {"type": "number", "default": 0, "description": "Payment each period."},
				"fv": {"type": "number", "default": 0, "description": "Future value."}, "when": ` + whenParam + `}}`,
			run: typed(func(a tvm) (any, error) {
				return map[string]any{"present_value": pvTVM(a.Rate, a.Nper, a.Pmt, a.FV, whenValue(a.When))}, nil
			}),
		},
		{
			id:          "financial.finmath.finmath_payment",
			description: "Equal payment per period that pays off a loan or reaches a future value (numpy-financial pmt), with the total paid and the interest.",
			params: `{"type": "object", "required": ["rate", "nper", "pv"], "additionalProperties": false, "properties": {
				"rate": ` + rateParam + `, "nper": ` + nperParam + `,
				"pv": {"type": "number", "description": "Present value, e.g. the loan amount."},
				"fv": {"type": "number", "default": 0, "description": "Future value left at the end."}, "when": ` + whenParam + `}}`,
			run: typed(func(a tvm) (any, error) {
				p := pmtTVM(a.Rate, a.Nper, a.PV, a.FV, whenValue(a.When))
				total := p * a.Nper
				return map[string]any{"payment": p, "total_paid": total, "total_interest": -total - a.PV - a.FV}, nil
			}),
		},
		{
			id:          "financial.finmath.finmath_npv",
			description: "Net present value of cash flows at a discount rate, the first flow at time 0 (numpy-financial npv).",
			params: `{"type": "object", "required": ["rate", "cash_flows"], "additionalProperties": false, "properties": {
				"rate": ` + rateParam + `, "cash_flows": ` + seriesParam("Cash flows per period, starting now; outflows negative.", 1) + `}}`,
			run: typed(func(a struct {
				Rate      float64   `json:"rate"`
				CashFlows []float64 `json:"cash_flows"`
			}) (any, error) {
				return map[string]any{"npv": npv(a.Rate, a.CashFlows)}, nil
			}),
		},
		{
			id:          "financial.finmath.finmath_irr",
			description: "Internal rate of return of cash flows per period (the rate closest to zero at which their net present value is 0).",
			params: `{"type": "object", "required": ["cash_flows"], "additionalProperties": false, "properties": {
				"cash_flows": ` + seriesParam("Cash flows per period, starting now; outflows negative.", 2) + `}}`,
			run: typed(func(a struct {
				CashFlows []float64 `json:"cash_flows"`
			}) (any, error) {
				r, err := irr(a.CashFlows)
				if err != nil {
					return nil, err
				}
				return map[string]any{"irr": r, "irr_percent": r * 100}, nil
			}),
		},
		{
			id:          "financial.finmath.finmath_compound_interest",
			description: "Value of a principal after compound interest, compounded n times a year or continuously.",
			params: `{"type": "object", "required": ["principal", "annual_rate", "years"], "additionalProperties": false, "properties": {
				"principal": {"type": "number", "description": "Starting amount."},
				"annual_rate": {"type": "number", "minimum": -0.99, "maximum": 10, "description": "Nominal annual rate as a fraction."},
				"years": {"type": "number", "minimum": 0, "maximum": 1000, "description": "Time in years."},
				"compounds_per_year": {"type": "integer", "minimum": 0, "maximum": 100000, "default": 1, "description": "Compounding periods per year; 0 for continuous compounding."}}}`,
			run: typed(func(a struct {
				Principal        float64 `json:"principal"`
				AnnualRate       float64 `json:"annual_rate"`
				Years            float64 `json:"years"`
				CompoundsPerYear *int    `json:"compounds_per_year"`
			}) (any, error) {
				n := 1
				if a.CompoundsPerYear != nil {
					n = *a.CompoundsPerYear
				}
				var v float64
				if n == 0 {
					v = a.Principal * math.Exp(a.AnnualRate*a.Years)
				} else {
					v = a.Principal * math.Pow(1+a.AnnualRate/float64(n), float64(n)*a.Years)
				}
				return map[string]any{"amount": v, "interest": v - a.Principal}, nil
			}),
		},
		{
			id:          "financial.finmath.finmath_cagr",
			description: "Compound annual growth rate between a beginning and an ending value over a number of years.",
			params: `{"type": "object", "required": ["begin_value", "end_value", "years"], "additionalProperties": false, "properties": {
				"begin_value": {"type": "number", "exclusiveMinimum": 0}, "end_value": {"type": "number", "minimum": 0},
				"years": {"type": "number", "exclusiveMinimum": 0}}}`,
			run: typed(func(a struct {
				Begin float64 `json:"begin_value"`
				End   float64 `json:"end_value"`
				Years float64 `json:"years"`
			}) (any, error) {
				c := math.Pow(a.End/a.Begin, 1/a.Years) - 1
				return map[string]any{"cagr": c, "cagr_percent": c * 100}, nil
			}),
		},
		{
			id:          "financial.finmath.finmath_amortization_schedule",
			description: "Amortization schedule of a fixed-rate loan: the payment, and for each period the interest, principal and remaining balance.",
			params: `{"type": "object", "required": ["principal", "annual_rate", "years"], "additionalProperties": false, "properties": {
				"principal": {"type": "number", "exclusiveMinimum": 0, "description": "Loan amount."},
				"annual_rate": {"type": "number", "minimum": 0, "maximum": 10, "description": "Nominal annual rate as a fraction."},
				"years": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
				"periods_per_year": {"type": "integer", "minimum": 1, "maximum": 365, "default": 12}}}`,
			run: typed(func(a struct {
				Principal      float64 `json:"principal"`
				AnnualRate     float64 `json:"annual_rate"`
				Years          float64 `json:"years"`
				PeriodsPerYear *int    `json:"periods_per_year"`
			}) (any, error) {
				per := 12
				if a.PeriodsPerYear != nil {
					per = *a.PeriodsPerYear
				}
				n := int(math.Round(a.Years * float64(per)))
				if n < 1 || n > 3000 {
					return nil, fmt.Errorf("the schedule would have %d periods; 1 to 3000 are supported", n)
				}
				r := a.AnnualRate / float64(per)
				pay := -pmtTVM(r, float64(n), a.Principal, 0, 0)
				balance := a.Principal
				rows := make([]map[string]float64, 0, n)
				totalInterest := 0.0
				for i := 1; i <= n; i++ {
					interest := balance * r
					principal := pay - interest
					balance -= principal
					if i == n {
						balance = 0
					}
					totalInterest += interest
					rows = append(rows, map[string]float64{"period": float64(i), "payment": pay, "interest": interest, "principal": principal, "balance": balance})
				}
				return map[string]any{"payment": pay, "periods": n, "total_interest": totalInterest, "schedule": rows}, nil
			}),
		},
		{
			id:          "financial.finmath.finmath_returns",
			description: "Period returns of a price series (simple p[t]/p[t-1]-1 or log), with the cumulative return and the mean.",
			params: `{"type": "object", "required": ["prices"], "additionalProperties": false, "properties": {
				"prices": ` + seriesParam(pricesDesc, 2) + `,
				"kind": {"type": "string", "enum": ["simple", "log"], "default": "simple"}}}`,
			run: typed(func(a struct {
				Prices []float64 `json:"prices"`
				Kind   string    `json:"kind"`
			}) (any, error) {
				rets, err := periodReturns(a.Prices, a.Kind == "log")
				if err != nil {
					return nil, err
				}
				return map[string]any{"returns": rets, "mean_return": mean(rets),
					"cumulative_return": a.Prices[len(a.Prices)-1]/a.Prices[0] - 1}, nil
			}),
		},
		{
			id:          "financial.finmath.finmath_volatility",
			description: "Volatility of a price series: the sample standard deviation of its simple (or log) returns, per period and annualized by √(periods per year).",
			params: `{"type": "object", "required": ["prices"], "additionalProperties": false, "properties": {
				"prices": ` + seriesParam(pricesDesc, 3) + `,
				"periods_per_year": {"type": "number", "exclusiveMinimum": 0, "default": 252, "description": "252 for daily trading data, 52 weekly, 12 monthly."},
				"kind": {"type": "string", "enum": ["simple", "log"], "default": "simple"}}}`,
			run: typed(func(a struct {
				Prices []float64 `json:"prices"`
				Per    *float64  `json:"periods_per_year"`
				Kind   string    `json:"kind"`
			}) (any, error) {
				rets, err := periodReturns(a.Prices, a.Kind == "log")
				if err != nil {
					return nil, err
				}
				per := 252.0
				if a.Per != nil {
					per = *a.Per
				}
				sd := sampleStdev(rets)
				return map[string]any{"volatility": sd, "annualized_volatility": sd * math.Sqrt(per)}, nil
			}),
		},
		{
			id:          "financial.finmath.finmath_sharpe_ratio",
			description: "Sharpe ratio of period returns: mean excess return over the risk-free rate divided by the sample standard deviation, per period and annualized.",
			params: `{"type": "object", "required": ["returns"], "additionalProperties": false, "properties": {
				"returns": ` + seriesParam("Period returns as fractions.", 2) + `,
				"risk_free_rate": {"type": "number", "default": 0, "description": "Risk-free return per period, as a fraction."},
				"periods_per_year": {"type": "number", "exclusiveMinimum": 0, "default": 252}}}`,
			run: typed(func(a struct {
				Returns []float64 `json:"returns"`
				RF      float64   `json:"risk_free_rate"`
				Per     *float64  `json:"periods_per_year"`
			}) (any, error) {
				excess := make([]float64, len(a.Returns))
				for i, r := range a.Returns {
					excess[i] = r - a.RF
				}
				sd := sampleStdev(excess)
				if sd == 0 {
					return nil, errors.New("the returns do not vary: the Sharpe ratio is undefined")
				}
				per := 252.0
				if a.Per != nil {
					per = *a.Per
				}
				s := mean(excess) / sd
				return map[string]any{"sharpe_ratio": s, "annualized_sharpe_ratio": s * math.Sqrt(per)}, nil
			}),
		},
		{
			id:          "financial.finmath.finmath_moving_average",
			description: "Moving average of a series: simple (one value per full window) or exponential (alpha = 2/(window+1), starting from the first value).",
			params: `{"type": "object", "required": ["values", "window"], "additionalProperties": false, "properties": {
				"values": ` + seriesParam("Values in time order.", 1) + `,
				"window": {"type": "integer", "minimum": 1},
				"kind": {"type": "string", "enum": ["simple", "exponential"], "default": "simple"}}}`,
			run: typed(func(a struct {
				Values []float64 `json:"values"`
				Window int       `json:"window"`
				Kind   string    `json:"kind"`
			}) (any, error) {
				ma, err := movingAverage(a.Values, a.Window, a.Kind == "exponential")
				if err != nil {
					return nil, err
				}
				return map[string]any{"moving_average": ma, "last": ma[len(ma)-1]}, nil
			}),
		},
		{
			id:          "financial.finmath.finmath_max_drawdown",
			description: "Maximum drawdown of a price series: the largest fall from a running peak, as a fraction, with the peak and trough positions (0-based).",
			params: `{"type": "object", "required": ["prices"], "additionalProperties": false, "properties": {
				"prices": ` + seriesParam(pricesDesc, 1) + `}}`,
			run: typed(func(a struct {
				Prices []float64 `json:"prices"`
			}) (any, error) {
				for i, p := range a.Prices {
					if p <= 0 {
						return nil, fmt.Errorf("prices must be positive (price %d is %g)", i, p)
					}
				}
				dd, peak, trough := maxDrawdown(a.Prices)
				return map[string]any{"max_drawdown": dd, "max_drawdown_percent": dd * 100, "peak_index": peak, "trough_index": trough}, nil
			}),
		},
		{
			id:          "financial.finmath.finmath_black_scholes",
			description: "Black–Scholes–Merton price of a European call or put with a continuous dividend yield, and its greeks (delta, gamma, vega and rho per unit change, theta per year).",
			params: `{"type": "object", "required": ["spot", "strike", "years", "rate", "volatility"], "additionalProperties": false, "properties": {
				"spot": {"type": "number", "exclusiveMinimum": 0}, "strike": {"type": "number", "exclusiveMinimum": 0},
				"years": {"type": "number", "exclusiveMinimum": 0, "description": "Time to expiry in years."},
				"rate": {"type": "number", "description": "Continuously compounded risk-free rate, as a fraction."},
				"volatility": {"type": "number", "exclusiveMinimum": 0, "description": "Annual volatility, as a fraction."},
				"dividend_yield": {"type": "number", "default": 0},
				"option_type": {"type": "string", "enum": ["call", "put"], "default": "call"}}}`,
			run: typed(func(a struct {
				Spot          float64 `json:"spot"`
				Strike        float64 `json:"strike"`
				Years         float64 `json:"years"`
				Rate          float64 `json:"rate"`
				Volatility    float64 `json:"volatility"`
				DividendYield float64 `json:"dividend_yield"`
				OptionType    string  `json:"option_type"`
			}) (any, error) {
				return blackScholes(!strings.EqualFold(a.OptionType, "put"), a.Spot, a.Strike, a.Years, a.Rate, a.Volatility, a.DividendYield)
			}),
		},
		{
			id:          "financial.finmath.finmath_bond",
			description: "Price of a fixed-coupon bond from its yield to maturity, with Macaulay and modified duration and convexity (in years).",
			params: `{"type": "object", "required": ["coupon_rate", "yield_to_maturity", "years"], "additionalProperties": false, "properties": {
				"face_value": {"type": "number", "exclusiveMinimum": 0, "default": 100},
				"coupon_rate": {"type": "number", "minimum": 0, "description": "Annual coupon rate as a fraction."},
				"yield_to_maturity": {"type": "number", "exclusiveMinimum": -1, "description": "Annual yield as a fraction."},
				"years": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
				"frequency": {"type": "integer", "enum": [1, 2, 4, 12], "default": 2, "description": "Coupons per year."}}}`,
			run: typed(func(a struct {
				Face  *float64 `json:"face_value"`
				CR    float64  `json:"coupon_rate"`
				YTM   float64  `json:"yield_to_maturity"`
				Years float64  `json:"years"`
				Freq  *int     `json:"frequency"`
			}) (any, error) {
				face, freq := 100.0, 2
				if a.Face != nil {
					face = *a.Face
				}
				if a.Freq != nil {
					freq = *a.Freq
				}
				return bond(face, a.CR, a.YTM, a.Years, freq)
			}),
		},
	}
}
