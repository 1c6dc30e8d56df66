package toolexec

import (
	"context"
	"encoding/json"
	"sync"
)

// RegisterGroup registers tools that share one resource (a database, a
// dictionary) opened on the first call. When unavailable is not empty the
// tools are listed with that reason instead and nothing is opened. call runs
// one tool, named by its manifest's Name, on the opened resource.
func RegisterGroup[T any](r *Registry, ms []Manifest, unavailable string, open func() (T, error),
	call func(ctx context.Context, res T, tool string, args json.RawMessage) (any, error)) error {
	if unavailable != "" {
		for _, m := range ms {
			if err := r.Register(m, nil, unavailable); err != nil {
				return err
			}
		}
		return nil
	}
	var once sync.Once
	var res T
	var openErr error
	for _, m := range ms {
		name := m.Name
		exec := ExecutorFunc(func(ctx context.Context, args json.RawMessage) (any, error) {
			once.Do(func() { res, openErr = open() })
			if openErr != nil {
				return nil, openErr
			}
			return call(ctx, res, name, args)
		})
		if err := r.Register(m, exec, ""); err != nil {
			return err
		}
	}
	return nil
}
