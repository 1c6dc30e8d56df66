// Package httptool holds tools backed by remote web APIs, for users who are
// online: one shared keep-alive HTTP client, a host allowlist, a concurrency
// limit per host, the call's deadline, a cap on response bodies, and API
// keys from the environment. Offline (the default), the tools are listed
// with the reason they cannot run; their recorded results still replay.
//
// The first API group is NCBI's Entrez E-utilities, with the ids, names and
// parameters of the DIVE reference manifests.
package httptool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/dive-env/dive/toolexec"
)

// Options configure the client.
type Options struct {
	// Online enables the tools; without it they are listed as unavailable.
	Online bool
	// PerHost caps requests in flight to one host (default 3: NCBI's limit
	// without an API key is 3 requests a second).
	PerHost int
	// MaxBodyBytes caps a response body (default 2 MiB).
	MaxBodyBytes int64
	// BaseURLs replaces an upstream base URL (scheme and host) by another,
	// e.g. a loopback server in tests. The replacement hosts are allowed too.
	BaseURLs map[string]string
	// Getenv reads API keys (default os.Getenv).
	Getenv func(string) string
}

// Client performs the requests of every HTTP tool. It is safe for concurrent use.
type Client struct {
	opts    Options
	hc      *http.Client
	allowed map[string]bool
	mu      sync.Mutex
	hostSem map[string]chan struct{}
}

// NewClient returns a client allowed to reach the hosts of the given base URLs.
func NewClient(opts Options, upstreams ...string) *Client {
	if opts.PerHost <= 0 {
		opts.PerHost = 3
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 2 << 20
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: opts.PerHost,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	c := &Client{opts: opts, allowed: map[string]bool{}, hostSem: map[string]chan struct{}{}}
	c.hc = &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !c.allowed[req.URL.Host] {
			return fmt.Errorf("redirected to %s, which is not on the allowlist", req.URL.Host)
		}
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		return nil
	}}
	for _, u := range upstreams {
		if p, err := url.Parse(u); err == nil {
			c.allowed[p.Host] = true
		}
	}
	for _, repl := range opts.BaseURLs {
		if p, err := url.Parse(repl); err == nil {
			c.allowed[p.Host] = true
		}
	}
	return c
}

func (c *Client) sem(host string) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.hostSem[host]
	if !ok {
		s = make(chan struct{}, c.opts.PerHost)
		c.hostSem[host] = s
	}
	return s
}

// rewrite applies BaseURLs to an upstream URL.
func (c *Client) rewrite(raw string) string {
	for from, to := range c.opts.BaseURLs {
		if strings.HasPrefix(raw, from) {
			return to + strings.TrimPrefix(raw, from)
		}
	}
	return raw
}

// Get fetches endpoint?query and returns the body (capped) and its media type.
func (c *Client) Get(ctx context.Context, endpoint string, query url.Values) ([]byte, string, error) {
	target, err := url.Parse(c.rewrite(endpoint))
	if err != nil {
		return nil, "", fmt.Errorf("bad endpoint %q: %w", endpoint, err)
	}
	if !c.allowed[target.Host] {
		return nil, "", fmt.Errorf("host %s is not on the allowlist", target.Host)
	}
	target.RawQuery = query.Encode()
	sem := c.sem(target.Host)
	select {
	case sem <- struct{}{}:
		defer func() { <-sem }()
	case <-ctx.Done():
		return nil, "", fmt.Errorf("waiting for a connection to %s: %w", target.Host, ctx.Err())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("User-Agent", "dive (RL environment server; https://github.com/dive-env/dive)")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("request to %s failed: %w", target.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBodyBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("read response from %s: %w", target.Host, err)
	}
	truncated := int64(len(body)) > c.opts.MaxBodyBytes
	if truncated {
		body = body[:c.opts.MaxBodyBytes]
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%s answered %s: %s", target.Host, resp.Status, strings.TrimSpace(string(body[:min(len(body), 300)])))
	}
	mediaType := strings.TrimSpace(strings.SplitN(resp.Header.Get("Content-Type"), ";", 2)[0])
	if truncated {
		body = append(body, []byte(fmt.Sprintf("\n…[response truncated at %d bytes]", c.opts.MaxBodyBytes))...)
		mediaType = "text/plain"
	}
	return body, mediaType, nil
}

// result returns a JSON body as a value, anything else as text.
func result(body []byte, mediaType string) any {
	if strings.Contains(mediaType, "json") && json.Valid(body) {
		return json.RawMessage(body)
	}
	return string(body)
}

// Register adds the HTTP tools to a registry: with executors when online,
// otherwise listed with the reason they cannot run.
func Register(r *toolexec.Registry, opts Options) error {
	tools := ncbiTools()
	var upstreams []string
	for _, t := range tools {
		upstreams = append(upstreams, t.endpoint)
	}
	client := NewClient(opts, upstreams...)
	for _, t := range tools {
		m := t.manifest()
		if !opts.Online {
			host := ""
			if u, err := url.Parse(t.endpoint); err == nil {
				host = u.Host
			}
			if err := r.Register(m, nil, "needs network access to "+host+" (start the server with --online)"); err != nil {
				return err
			}
			continue
		}
		if err := r.Register(m, t.executor(client, opts.Getenv), ""); err != nil {
			return err
		}
	}
	return nil
}
