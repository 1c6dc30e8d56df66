package env

import (
	"net"
	"sync"
)

// capListener closes, as soon as it is accepted, a TCP connection from an
// address that already holds max of them: one client's idle or slow
// connections cannot take every file descriptor of the server (the red
// team held 1,600 without the token and shut out /healthz and a trainer
// holding it). Websocket connections have their own, lower cap
// (MaxConnectionsPerClient, 429 at the handshake).
type capListener struct {
	net.Listener
	max int

	mu    sync.Mutex
	perIP map[string]int
}

func newCapListener(ln net.Listener, max int) *capListener {
	return &capListener{Listener: ln, max: max, perIP: map[string]int{}}
}

// Accept returns the next connection whose address is under its cap.
func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := hostOnly(c.RemoteAddr().String())
		l.mu.Lock()
		over := l.perIP[ip] >= l.max
		if !over {
			l.perIP[ip]++
		}
		l.mu.Unlock()
		if over {
			c.Close()
			continue
		}
		return &cappedConn{Conn: c, release: func() { l.release(ip) }}, nil
	}
}

func (l *capListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
}

// cappedConn gives its address's place back when closed (once).
type cappedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *cappedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
