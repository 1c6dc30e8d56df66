package env

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
)

// maxCoalesceBytes bounds what one coalesced write carries; a writer that
// has buffered this much writes it out before taking more frames.
const maxCoalesceBytes = 256 << 10

// coalescingConn is the net.Conn under a server-side websocket connection.
// Between hold and release, the bytes gorilla/websocket writes (whole frames,
// serialized by its own write lock) collect in a buffer and go out in one
// write on release, so replies that are ready together cost one syscall, not
// one each. Outside hold, writes pass straight through. The writer goroutine
// holds only while it drains frames already queued: nothing waits for more
// to arrive, so no reply is delayed.
type coalescingConn struct {
	net.Conn

	mu   sync.Mutex
	held bool
	buf  []byte
	err  error // the first failed write; later writes fail with it
}

// Write buffers p while held and writes it through otherwise.
func (c *coalescingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if c.held {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	n, err := c.Conn.Write(p)
	if err != nil {
		c.err = err
	}
	return n, err
}

// hold starts collecting writes.
func (c *coalescingConn) hold() {
	c.mu.Lock()
	c.held = true
	c.mu.Unlock()
}

// buffered reports how many bytes wait for release.
func (c *coalescingConn) buffered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.buf)
}

// release writes what was collected in one write and stops collecting. The
// write runs under the deadline last set on the connection (gorilla sets
// one before every frame).
func (c *coalescingConn) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held = false
	if c.err != nil || len(c.buf) == 0 {
		c.buf = c.buf[:0]
		return c.err
	}
	_, err := c.Conn.Write(c.buf)
	if err != nil {
		c.err = err
	}
	if cap(c.buf) > maxCoalesceBytes {
		c.buf = nil // one large reply should not pin its buffer for the connection's life
	} else {
		c.buf = c.buf[:0]
	}
	return err
}

// hijackCapture hands the websocket upgrader a coalescingConn in place of the
// hijacked connection, and keeps it for the writer.
type hijackCapture struct {
	http.ResponseWriter
	conn *coalescingConn
}

// Hijack hijacks the underlying connection and wraps it.
func (h *hijackCapture) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the response writer cannot be hijacked")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &coalescingConn{Conn: nc}
	return h.conn, brw, nil
}
