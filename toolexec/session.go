package toolexec

import "context"

type sessionKey struct{}

// WithSession marks ctx as belonging to a session (an episode): executors
// that keep state, such as code execution, key it by this id.
func WithSession(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, sessionKey{}, id)
}

// SessionFrom returns the session id of ctx, or "".
func SessionFrom(ctx context.Context) string {
	id, _ := ctx.Value(sessionKey{}).(string)
	return id
}

// SessionCloser is implemented by executors that keep state per session.
// CloseSession releases that state; it must be safe to call for a session
// the executor never saw, and concurrently with calls of other sessions.
type SessionCloser interface {
	CloseSession(id string)
}

// CloseSession releases the state every executor keeps for a session.
func (r *Registry) CloseSession(id string) {
	r.mu.RLock()
	closers := r.closers // appended to, never changed in place
	r.mu.RUnlock()
	for _, c := range closers {
		c.CloseSession(id)
	}
}

type clientKey struct{}

// WithClient marks ctx as coming from a client (a host: the remote address
// of its connection): executors with a shared, bounded resource, such as
// the sandbox's slots, share it fairly among clients.
func WithClient(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, clientKey{}, id)
}

// ClientFrom returns the client of ctx, or "".
func ClientFrom(ctx context.Context) string {
	id, _ := ctx.Value(clientKey{}).(string)
	return id
}
