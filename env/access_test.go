package env

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestBearerToken: with a token configured, a handshake without it or with a
// wrong one is refused with 401; the right one gets through.
func TestBearerToken(t *testing.T) {
	te := newTestEnv(t, nil, func(_ *EngineConfig, sc *ServerConfig) { sc.Token = "s3cret-token" })
	for name, header := range map[string]string{"none": "", "wrong": "Bearer s3cret-tokeN", "prefix": "Bearer s3cret", "basic": "Basic s3cret-token"} {
		h := http.Header{}
		if header != "" {
			h.Set("Authorization", header)
		}
		_, resp, err := websocket.DefaultDialer.Dial(te.url, h)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("%s: err %v, response %v", name, err, resp)
		}
	}
	h := http.Header{"Authorization": {"Bearer s3cret-token"}}
	ws, _, err := websocket.DefaultDialer.Dial(te.url, h)
	if err != nil {
		t.Fatalf("right token refused: %v", err)
	}
	ws.Close()
	base := "http" + te.url[2:len(te.url)-len(EndpointPath)]
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz needs no token: %v %v", err, resp)
	}
	resp.Body.Close()
	// The status page tells what the server runs: it needs the token too.
	resp, err = http.Get(base + "/")
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the status page without the token: %v %v", err, resp)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("GET", base+"/", nil)
	req.Header.Set("Authorization", "Bearer s3cret-token")
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the status page with the token: %v %v", err, resp)
	}
	resp.Body.Close()
}

// TestOriginCheck: browsers from other origins are refused unless allowed;
// clients without an Origin header (trainers) are not affected.
func TestOriginCheck(t *testing.T) {
	te := newTestEnv(t, nil, func(_ *EngineConfig, sc *ServerConfig) { sc.AllowedOrigins = []string{"https://ui.example.org/"} })
	cases := []struct {
		origin string
		ok     bool
	}{{"", true}, {"https://evil.example.com", false}, {"https://ui.example.org", true}, {"http://ui.example.org", false}, {"::not a url", false}}
	for _, c := range cases {
		h := http.Header{}
		if c.origin != "" {
			h.Set("Origin", c.origin)
		}
		ws, resp, err := websocket.DefaultDialer.Dial(te.url, h)
		if c.ok != (err == nil) {
			t.Fatalf("origin %q: err %v, response %v", c.origin, err, resp)
		}
		if err == nil {
			ws.Close()
		} else if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %q refused with %d", c.origin, resp.StatusCode)
		}
	}
	// The server's own origin is allowed.
	host := te.url[len("ws://") : len(te.url)-len(EndpointPath)]
	ws, _, err := websocket.DefaultDialer.Dial(te.url, http.Header{"Origin": {"http://" + host}})
	if err != nil {
		t.Fatalf("same origin refused: %v", err)
	}
	ws.Close()
}

// TestTLS serves wss:// with a certificate and a token, end to end.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	addr := serveTest(t, ServerConfig{TLSCertFile: certFile, TLSKeyFile: keyFile, Token: "tok"})
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool}, Subprotocols: []string{SubprotocolJSON}, HandshakeTimeout: 5 * time.Second}
	ws, _, err := d.Dial("wss://"+addr+EndpointPath, http.Header{"Authorization": {"Bearer tok"}})
	if err != nil {
		t.Fatalf("wss dial: %v", err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"id": 1, "op": "hello"}); err != nil {
		t.Fatal(err)
	}
	var reply map[string]any
	if err := ws.ReadJSON(&reply); err != nil || reply["result"] == nil {
		t.Fatalf("hello over TLS: %v %v", err, reply)
	}
	if _, _, err := websocket.DefaultDialer.Dial("ws://"+addr+EndpointPath, nil); err == nil {
		t.Fatal("plain ws accepted by a TLS server")
	}
}

func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dive test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// An idle keep-alive connection is closed after IdleTimeout, and a request
// without the token gets its 401 and a closed connection (the red team's
// 8d: 1,600 idle connections from a client without the token exhausted the
// server's file descriptors).
func TestIdleAndUnauthorizedConnectionsClosed(t *testing.T) {
	addr := serveTest(t, ServerConfig{Token: "tok", IdleTimeout: 200 * time.Millisecond})
	for _, tc := range []struct {
		name, request string
		status        int
	}{
		{"idle keep-alive", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", http.StatusOK},
		{"no token", "GET " + EndpointPath + " HTTP/1.1\r\nHost: x\r\n\r\n", http.StatusUnauthorized},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, tc.request)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != tc.status {
			t.Fatalf("%s: %v %v", tc.name, resp, err)
		}
		io.Copy(io.Discard, resp.Body)
		start := time.Now()
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("%s: the connection is still open after %v: %v", tc.name, time.Since(start), err)
		}
		conn.Close()
	}
}

// One address holds at most MaxTCPPerClient connections of any kind: a
// new one past it is closed at once, and a place comes back when one closes.
func TestTCPConnectionsPerClient(t *testing.T) {
	addr := serveTest(t, ServerConfig{MaxTCPPerClient: 3})
	healthz := func(c net.Conn) error {
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	var held []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	for _, c := range held {
		if err := healthz(c); err != nil {
			t.Fatalf("a connection within the cap: %v", err)
		}
	}
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := healthz(extra); err == nil {
		t.Fatal("a fourth connection from one address was served")
	}
	extra.Close()
	held[0].Close()
	time.Sleep(100 * time.Millisecond)
	again, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if err := healthz(again); err != nil {
		t.Fatalf("after one closed: %v", err)
	}
}

// serveTest runs Serve (its listener wrappers and timeouts included, which
// Handler alone lacks) on loopback with cfg until the test ends, and
// returns its address.
func serveTest(t *testing.T, cfg ServerConfig) string {
	t.Helper()
	srv := NewServer(newTestEnv(t, nil, nil).engine, cfg, quietLogger())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}
