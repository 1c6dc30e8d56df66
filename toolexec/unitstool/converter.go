package unitstool

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Converter converts quantities with GNU units run in the sandbox; the
// reward matcher uses it to compare answers given in other units
// (reward.UnitConverter).
type Converter struct {
	Runner Runner
}

// unitText is what a unit may be written with: no quotes, no shell or
// units-program syntax beyond unit algebra.
var unitText = regexp.MustCompile(`^[A-Za-zµμ°%0-9 /^*.()-]{1,40}$`)

// ConvertUnits returns value in from expressed in to.
func (c Converter) ConvertUnits(ctx context.Context, value float64, from, to string) (float64, error) {
	if !unitText.MatchString(from) || !unitText.MatchString(to) {
		return 0, fmt.Errorf("not a unit expression: %q or %q", from, to)
	}
	res, err := c.Runner.RunCommand(ctx, []string{Program, "--terse", "--", strconv.FormatFloat(value, 'g', -1, 64) + " " + from, to})
	if err != nil {
		return 0, fmt.Errorf("run units: %w", err)
	}
	out := strings.TrimSpace(res.Stdout)
	if res.ExitCode != 0 {
		msg := strings.Join(strings.Fields(out+" "+res.Stderr), " ")
		if msg == "" {
			msg = fmt.Sprintf("units exited with status %d", res.ExitCode)
		}
		return 0, errors.New(msg)
	}
	v, err := strconv.ParseFloat(strings.SplitN(out, "\n", 2)[0], 64)
	if err != nil {
		return 0, fmt.Errorf("units answered %q: %w", out, err)
	}
	return v, nil
}
