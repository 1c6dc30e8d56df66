package builtin

import (
	"errors"
	"fmt"
	"math"
)

// Time-value-of-money functions with the conventions of numpy-financial:
// cash paid out is negative, received positive; when is 0 for payments at
// the end of each period and 1 for the beginning.

func fvTVM(rate, nper, pmt, pv float64, when int) float64 {
	if rate == 0 {
		return -(pv + pmt*nper)
	}
	g := math.Pow(1+rate, nper)
	return -(pv*g + pmt*(1+rate*float64(when))/rate*(g-1))
}

func pvTVM(rate, nper, pmt, fv float64, when int) float64 {
	if rate == 0 {
		return -(fv + pmt*nper)
	}
	g := math.Pow(1+rate, nper)
	return -(fv + pmt*(1+rate*float64(when))/rate*(g-1)) / g
}

func pmtTVM(rate, nper, pv, fv float64, when int) float64 {
	if rate == 0 {
		return -(fv + pv) / nper
	}
	g := math.Pow(1+rate, nper)
	return -(fv + pv*g) * rate / ((1 + rate*float64(when)) * (g - 1))
}

// npv discounts cash flows, the first at t = 0 (numpy-financial's npv).
func npv(rate float64, flows []float64) float64 {
	total := 0.0
	for t, c := range flows {
		total += c / math.Pow(1+rate, float64(t))
	}
	return total
}

// irr finds the rate at which the net present value is zero, by bisection on
// a bracket found by scanning (-0.99, 10]; it reports when there is none.
func irr(flows []float64) (float64, error) {
	hasPos, hasNeg := false, false
	for _, c := range flows {
		hasPos = hasPos || c > 0
		hasNeg = hasNeg || c < 0
	}
	if !hasPos || !hasNeg {
		return 0, errors.New("cash flows need both a negative and a positive amount to have an internal rate of return")
	}
	f := func(r float64) float64 { return npv(r, flows) }
	// Scan for the sign change closest to zero.
	var lo, hi float64
	found := false
	prev, prevV := -0.99, f(-0.99)
	for r := -0.98; r <= 10; r += 0.01 {
		v := f(r)
		if math.Signbit(v) != math.Signbit(prevV) || v == 0 {
			if !found || math.Abs(r) < math.Abs(hi) {
				lo, hi, found = prev, r, true
			}
		}
		prev, prevV = r, v
	}
	if !found {
		return 0, errors.New("no internal rate of return between -99% and 1000%")
	}
	for i := 0; i < 200; i++ {
		mid := (lo + hi) / 2
		if math.Signbit(f(mid)) == math.Signbit(f(lo)) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2, nil
}

// normCDF is the standard normal distribution function.
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func normPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }

// blackScholes prices a European option with continuous dividend yield q,
// and returns its greeks (vega and rho per unit, theta per year).
func blackScholes(call bool, s, k, t, r, sigma, q float64) (map[string]float64, error) {
	if s <= 0 || k <= 0 || t <= 0 || sigma <= 0 {
		return nil, errors.New("spot, strike, time and volatility must be positive")
	}
	sq := sigma * math.Sqrt(t)
	d1 := (math.Log(s/k) + (r-q+sigma*sigma/2)*t) / sq
	d2 := d1 - sq
	dq, dr := math.Exp(-q*t), math.Exp(-r*t)
	out := map[string]float64{"d1": d1, "d2": d2, "gamma": dq * normPDF(d1) / (s * sq), "vega": s * dq * normPDF(d1) * math.Sqrt(t)}
	if call {
		out["price"] = s*dq*normCDF(d1) - k*dr*normCDF(d2)
		out["delta"] = dq * normCDF(d1)
		out["theta"] = -s*dq*normPDF(d1)*sigma/(2*math.Sqrt(t)) - r*k*dr*normCDF(d2) + q*s*dq*normCDF(d1)
		out["rho"] = k * t * dr * normCDF(d2)
	} else {
		out["price"] = k*dr*normCDF(-d2) - s*dq*normCDF(-d1)
		out["delta"] = -dq * normCDF(-d1)
		out["theta"] = -s*dq*normPDF(d1)*sigma/(2*math.Sqrt(t)) + r*k*dr*normCDF(-d2) - q*s*dq*normCDF(-d1)
		out["rho"] = -k * t * dr * normCDF(-d2)
	}
	return out, nil
}

// bond prices a fixed-coupon bond from its yield, with Macaulay and modified
// duration and convexity (in years).
func bond(face, couponRate, ytm, years float64, freq int) (map[string]float64, error) {
	if face <= 0 || years <= 0 || freq <= 0 {
		return nil, errors.New("face value, years and frequency must be positive")
	}
	n := int(math.Round(years * float64(freq)))
	if n < 1 || math.Abs(float64(n)-years*float64(freq)) > 1e-9 {
		return nil, fmt.Errorf("years × frequency must be a whole number of periods, got %g", years*float64(freq))
	}
	c := face * couponRate / float64(freq)
	y := ytm / float64(freq)
	price, weighted, convex := 0.0, 0.0, 0.0
	for i := 1; i <= n; i++ {
		cf := c
		if i == n {
			cf += face
		}
		df := math.Pow(1+y, -float64(i))
		price += cf * df
		weighted += float64(i) * cf * df
		convex += float64(i) * float64(i+1) * cf * df
	}
	mac := weighted / price / float64(freq)
	return map[string]float64{
		"price": price, "coupon_payment": c, "periods": float64(n),
		"macaulay_duration": mac, "modified_duration": mac / (1 + y),
		"convexity": convex / (price * math.Pow(1+y, 2) * float64(freq*freq)),
	}, nil
}

// simpleReturns are p[i]/p[i-1] - 1; logReturns ln(p[i]/p[i-1]).
func periodReturns(prices []float64, logReturns bool) ([]float64, error) {
	if len(prices) < 2 {
		return nil, errors.New("at least two prices are needed")
	}
	out := make([]float64, len(prices)-1)
	for i := 1; i < len(prices); i++ {
		if prices[i-1] <= 0 || prices[i] <= 0 {
			return nil, fmt.Errorf("prices must be positive (price %d is %g)", i, prices[i-1])
		}
		if logReturns {
			out[i-1] = math.Log(prices[i] / prices[i-1])
		} else {
			out[i-1] = prices[i]/prices[i-1] - 1
		}
	}
	return out, nil
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// sampleStdev is the standard deviation with n-1 in the denominator.
func sampleStdev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m := mean(xs)
	ss := 0.0
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return math.Sqrt(ss / float64(len(xs)-1))
}

// maxDrawdown is the largest fall from a running peak, as a fraction.
func maxDrawdown(prices []float64) (dd float64, peak, trough int) {
	best := 0
	for i, p := range prices {
		if p > prices[best] {
			best = i
		}
		if d := (prices[best] - p) / prices[best]; d > dd {
			dd, peak, trough = d, best, i
		}
	}
	return dd, peak, trough
}

// movingAverage is the simple moving average over full windows, or the
// exponential one (alpha = 2/(window+1), seeded with the first value).
func movingAverage(values []float64, window int, exponential bool) ([]float64, error) {
	if window < 1 || window > len(values) {
		return nil, fmt.Errorf("window %d must be between 1 and the number of values (%d)", window, len(values))
	}
	if exponential {
		alpha := 2 / (float64(window) + 1)
		out := make([]float64, len(values))
		out[0] = values[0]
		for i := 1; i < len(values); i++ {
			out[i] = alpha*values[i] + (1-alpha)*out[i-1]
		}
		return out, nil
	}
	out := make([]float64, 0, len(values)-window+1)
	sum := 0.0
	for i, v := range values {
		sum += v
		if i >= window {
			sum -= values[i-window]
		}
		if i >= window-1 {
			out = append(out, sum/float64(window))
		}
	}
	return out, nil
}
