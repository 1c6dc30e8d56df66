package env

import (
	"bytes"
	"errors"
	"net"
	"sync"
	"testing"
)

// recordingConn is a net.Conn that records each Write call.
type recordingConn struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
	err    error
}

func (r *recordingConn) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return 0, r.err
	}
	r.writes = append(r.writes, bytes.Clone(p))
	return len(p), nil
}

func TestCoalescingConn(t *testing.T) {
	tests := []struct {
		name  string
		run   func(c *coalescingConn) error
		want  []string // the underlying writes
		fails bool
	}{
		{"writes pass through when not held", func(c *coalescingConn) error {
			if _, err := c.Write([]byte("a")); err != nil {
				return err
			}
			_, err := c.Write([]byte("b"))
			return err
		}, []string{"a", "b"}, false},
		{"held writes go out in one write on release", func(c *coalescingConn) error {
			c.hold()
			for _, f := range []string{"one", "two", "three"} {
				if _, err := c.Write([]byte(f)); err != nil {
					return err
				}
			}
			if c.buffered() != len("onetwothree") {
				return errors.New("buffered bytes miscounted")
			}
			if err := c.release(); err != nil {
				return err
			}
			_, err := c.Write([]byte("after"))
			return err
		}, []string{"onetwothree", "after"}, false},
		{"a release with nothing held writes nothing", func(c *coalescingConn) error {
			c.hold()
			return c.release()
		}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingConn{}
			c := &coalescingConn{Conn: rec}
			err := tt.run(c)
			if (err != nil) != tt.fails {
				t.Fatalf("err = %v", err)
			}
			var got []string
			for _, w := range rec.writes {
				got = append(got, string(w))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("writes = %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("writes = %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestCoalescingConnErrorSticks(t *testing.T) {
	broken := errors.New("connection reset")
	rec := &recordingConn{err: broken}
	c := &coalescingConn{Conn: rec}
	c.hold()
	if _, err := c.Write([]byte("queued")); err != nil {
		t.Fatalf("a held write failed before release: %v", err)
	}
	if err := c.release(); !errors.Is(err, broken) {
		t.Fatalf("release = %v, want %v", err, broken)
	}
	rec.err = nil // the peer is gone for good even if a later write could succeed
	if _, err := c.Write([]byte("later")); !errors.Is(err, broken) {
		t.Fatalf("write after a failure = %v, want %v", err, broken)
	}
	if len(rec.writes) != 0 {
		t.Fatalf("wrote %q after the connection failed", rec.writes)
	}
}
