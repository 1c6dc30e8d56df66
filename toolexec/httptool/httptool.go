// Package httptool holds tools backed by remote web APIs, for users who are
// online: one shared keep-alive HTTP client, a host allowlist, a concurrency
// limit per host, the call's deadline, a cap on response bodies, and API
// keys from the environment. Offline (the default), the tools are listed
// with the reason they cannot run; their recorded results still replay.
//
// The API groups are those of the DIVE reference manifests, with their ids,
// names and parameters: NCBI's Entrez E-utilities, arXiv, Crossref,
// OpenAlex, Semantic Scholar, NLM's RxNav and Clinical Table Search Service.
package httptool

import (
	"bytes"
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
	// HostLimits overrides PerHost for upstream hosts (export.arxiv.org
	// asks for one request at a time; Semantic Scholar's shared pool too).
	HostLimits map[string]int
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

// sem is the concurrency limit of a host: HostLimits of its upstream host,
// else PerHost.
func (c *Client) sem(host, upstreamHost string) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.hostSem[host]
	if !ok {
		n := c.opts.PerHost
		if l, ok := c.opts.HostLimits[upstreamHost]; ok && l > 0 {
			n = l
		}
		s = make(chan struct{}, n)
		c.hostSem[host] = s
	}
	return s
}

// rewriteHost is the upstream host of an endpoint (before BaseURLs).
func (c *Client) rewriteHost(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil {
		return u.Host
	}
	return ""
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
	return c.Do(ctx, Request{Method: http.MethodGet, Endpoint: endpoint, Query: query})
}

// Request is one call to an upstream API.
type Request struct {
	Method   string // GET (default) or POST
	Endpoint string // absolute URL without the query
	Query    url.Values
	Header   http.Header
	JSONBody any // sent as the JSON body of a POST
}

// Do performs a request and returns the body (capped) and its media type;
// a status other than 200 is an error carrying the start of the body.
func (c *Client) Do(ctx context.Context, r Request) ([]byte, string, error) {
	endpoint, query := r.Endpoint, r.Query
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	target, err := url.Parse(c.rewrite(endpoint))
	if err != nil {
		return nil, "", fmt.Errorf("bad endpoint %q: %w", endpoint, err)
	}
	if !c.allowed[target.Host] {
		return nil, "", fmt.Errorf("host %s is not on the allowlist", target.Host)
	}
	target.RawQuery = query.Encode()
	sem := c.sem(target.Host, c.rewriteHost(endpoint))
	select {
	case sem <- struct{}{}:
		defer func() { <-sem }()
	case <-ctx.Done():
		return nil, "", fmt.Errorf("waiting for a connection to %s: %w", target.Host, ctx.Err())
	}
	var body io.Reader
	if r.JSONBody != nil {
		b, err := json.Marshal(r.JSONBody)
		if err != nil {
			return nil, "", fmt.Errorf("encode request body: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, target.String(), body)
	if err != nil {
		return nil, "", err
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "dive (RL environment server; https://github.com/dive-env/dive)")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("request to %s failed: %w", target.Host, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBodyBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("read response from %s: %w", target.Host, err)
	}
	truncated := int64(len(out)) > c.opts.MaxBodyBytes
	if truncated {
		out = out[:c.opts.MaxBodyBytes]
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%s answered %s: %s", target.Host, resp.Status, strings.TrimSpace(string(out[:min(len(out), 300)])))
	}
	mediaType := strings.TrimSpace(strings.SplitN(resp.Header.Get("Content-Type"), ";", 2)[0])
	if truncated {
		out = append(out, []byte(fmt.Sprintf("\n…[response truncated at %d bytes]", c.opts.MaxBodyBytes))...)
		mediaType = "text/plain"
	}
	return out, mediaType, nil
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
	tools := allTools()
	if opts.HostLimits == nil {
		// arXiv asks for one request at a time (and 3 s between them);
		// Semantic Scholar's unauthenticated pool is shared and small.
		opts.HostLimits = map[string]int{"export.arxiv.org": 1, "api.semanticscholar.org": 1}
	}
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

// allTools lists the tools of every API group.
func allTools() []httpTool {
	var out []httpTool
	for _, g := range [][]httpTool{ncbiTools(), arxivTools(), crossrefTools(), openalexTools(), semanticScholarTools(), rxnavTools(), clinicalTablesTools()} {
		out = append(out, g...)
	}
	return out
}
