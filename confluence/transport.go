package confluence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	defaultTimeout      = 30 * time.Second
	defaultMaxBodyBytes = 16 << 20
	defaultMaxPages     = 50
	maxErrorBody        = 64 << 10
	maxErrorMessage     = 300
)

// transport sends authenticated GET requests to one Confluence root,
// retrying 429 and 503 answers as its retryPolicy allows. It is safe for
// concurrent use.
type transport struct {
	client    *http.Client
	root      *url.URL
	authorize func(h http.Header)
	secrets   []string // credentials to keep out of error messages
	retry     retryPolicy
	maxBody   int64
	timeout   time.Duration
}

// transportConfig is what the client configs have in common.
type transportConfig struct {
	base         string
	client       *http.Client
	insecureHTTP bool
	maxBody      int64
	timeout      time.Duration
	retry        RetryConfig
	now          func() time.Time
}

// newTransport checks c and returns a transport for it.
func newTransport(c transportConfig) (*transport, error) {
	if c.base == "" {
		return nil, errors.New("confluence: BaseURL is required")
	}
	u, err := url.Parse(c.base)
	if err != nil {
		return nil, fmt.Errorf("confluence: parsing BaseURL: %w", err)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("confluence: BaseURL %q must be a plain absolute URL", c.base)
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !c.insecureHTTP) {
		return nil, fmt.Errorf("confluence: BaseURL %q must use https", c.base)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""

	t := &transport{client: c.client, root: u, retry: newRetryPolicy(c.retry, c.now),
		maxBody: c.maxBody, timeout: c.timeout}
	if t.client == nil {
		t.client = &http.Client{Timeout: defaultTimeout}
	}
	t.client = stripAuthOnRedirect(t.client, u)
	if t.maxBody <= 0 {
		t.maxBody = defaultMaxBodyBytes
	}
	if t.timeout <= 0 {
		t.timeout = defaultTimeout
	}
	return t, nil
}

// getJSON fetches ref (a path below the root, with query) and decodes the
// JSON answer into v. Each attempt, answer included, is bounded by the
// transport's timeout. It returns the response headers.
func (t *transport) getJSON(ctx context.Context, ref string, v any) (http.Header, error) {
	return t.getJSONLimit(ctx, ref, v, t.maxBody)
}

// getJSONLimit is getJSON with an answer of at most limit bytes.
func (t *transport) getJSONLimit(ctx context.Context, ref string, v any,
	limit int64) (http.Header, error) {
	resp, err := t.get(ctx, ref, "application/json", t.timeout)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("confluence: reading %s: %w", pathOf(ref), cerr)
		}
		return nil, fmt.Errorf("confluence: reading %s: %w: %w", pathOf(ref), ErrUnavailable,
			withoutURL(err))
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("confluence: answer to %s is larger than %d bytes: %w",
			pathOf(ref), limit, ErrBadAnswer)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("confluence: decoding %s: %w: %w", pathOf(ref), ErrBadAnswer, err)
	}
	return resp.Header, nil
}

// get sends GET ref with retries and returns a 2xx response whose body the
// caller must close. A timeout above zero bounds each attempt until its
// body is closed.
func (t *transport) get(ctx context.Context, ref, accept string,
	timeout time.Duration) (*http.Response, error) {
	u, err := t.resolve(ref)
	if err != nil {
		return nil, err
	}

	for attempt := 1; ; attempt++ {
		resp, err := t.attempt(ctx, u, accept, timeout)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("confluence: GET %s: %w", pathOf(ref), ctx.Err())
			}
			if attempt >= t.retry.maxAttempts {
				return nil, fmt.Errorf("confluence: GET %s: %w: %w", pathOf(ref), ErrUnavailable,
					withoutURL(err))
			}
			if err := t.retry.wait(ctx, attempt, 0); err != nil {
				return nil, fmt.Errorf("confluence: GET %s: %w", pathOf(ref), err)
			}
			continue
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}

		final := responseError(resp, pathOf(ref), t.secrets)
		if !retryable(resp.StatusCode) {
			return nil, final
		}
		hint := t.retry.hint(resp.Header)
		if resp.StatusCode == http.StatusTooManyRequests {
			final = &RateLimitedError{RetryAfter: hint, Attempts: attempt}
		}
		if attempt >= t.retry.maxAttempts {
			return nil, final
		}
		if err := t.retry.wait(ctx, attempt, hint); err != nil {
			if errors.Is(err, errWaitTooLong) {
				return nil, final
			}
			return nil, fmt.Errorf("confluence: GET %s: %w", pathOf(ref), err)
		}
	}
}

// withoutURL drops the URL that net/http puts in front of a request's
// error: it can carry a query string, such as a pagination cursor.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// attempt sends one request.
func (t *transport) attempt(ctx context.Context, u, accept string,
	timeout time.Duration) (*http.Response, error) {
	cancel := context.CancelFunc(func() {})
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("confluence: building request: %w", err)
	}
	req.Header.Set("Accept", accept)
	t.authorize(req.Header)

	resp, err := t.client.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases an attempt's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

// Close closes the body, then releases the context.
func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// stripAuthOnRedirect returns a copy of hc that never sends our
// credentials to another origin when Confluence redirects (Cloud sends
// downloads to its media service). net/http keeps the header when only
// the port differs; we do not. hc's own CheckRedirect still applies.
func stripAuthOnRedirect(hc *http.Client, root *url.URL) *http.Client {
	c := *hc
	check := hc.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != root.Scheme || req.URL.Host != root.Host {
			req.Header.Del("Authorization")
		}
		if check != nil {
			return check(req, via)
		}
		if len(via) >= 10 {
			return errors.New("confluence: stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

// resolve turns ref into an absolute URL below the root. A ref may be a
// path starting with a single "/" (on the root's host; one absolute on
// the server, as v1 links are, must start with the root's path) or an
// absolute URL on the root's host, below its path. The result is built
// from the root's scheme and host, never from text of ref, so that no
// spelling of ref ("%2F@evil.example/...", "/../", a user name) can move
// the request, and the credential it carries, to another host or out of
// the root's path.
func (t *transport) resolve(ref string) (string, error) {
	leaves := func() (string, error) {
		return "", fmt.Errorf("confluence: link %q leaves %s: %w", ref, t.root.Redacted(),
			ErrBadAnswer)
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("confluence: parsing link %q: %w: %w", ref, ErrBadAnswer, err)
	}
	out := url.URL{Scheme: t.root.Scheme, Host: t.root.Host, RawQuery: r.RawQuery}
	switch {
	case r.IsAbs() || r.Host != "" || r.User != nil:
		if r.Scheme != t.root.Scheme || r.Host != t.root.Host || r.User != nil ||
			!strings.HasPrefix(r.Path, t.root.Path+"/") {
			return leaves()
		}
		out.Path, out.RawPath = r.Path, r.RawPath
	case !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//"):
		return "", fmt.Errorf("confluence: link %q is not server-relative: %w", ref, ErrBadAnswer)
	default:
		out.Path = t.root.Path + r.Path
		if r.RawPath != "" {
			out.RawPath = t.root.EscapedPath() + r.RawPath
		}
	}
	for _, seg := range strings.Split(out.Path, "/") {
		if seg == "." || seg == ".." {
			return leaves()
		}
	}
	return out.String(), nil
}

// responseError reads Confluence's error envelope from a failed response,
// closes its body and returns a *ResponseError. The code and message are
// truncated and cleared of anything that looks like a credential.
func responseError(resp *http.Response, path string, secrets []string) error {
	defer resp.Body.Close()
	e := &ResponseError{Method: http.MethodGet, Path: path, StatusCode: resp.StatusCode}

	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var env struct {
		// Cloud REST v2.
		Errors []struct {
			Code   string `json:"code"`
			Title  string `json:"title"`
			Detail string `json:"detail"`
		} `json:"errors"`
		// Data Center and Cloud REST v1.
		Message string `json:"message"`
		Reason  string `json:"reason"`
	}
	if json.Unmarshal(data, &env) != nil {
		return e
	}

	if len(env.Errors) > 0 {
		e.Code = env.Errors[0].Code
		e.Message = env.Errors[0].Title
		if d := env.Errors[0].Detail; d != "" {
			e.Message += ": " + d
		}
	} else {
		e.Code, e.Message = env.Reason, env.Message
	}
	e.Code = truncate(redact(e.Code, secrets), 100)
	e.Message = truncate(redact(e.Message, secrets), maxErrorMessage)
	return e
}

// credentialRe matches an Authorization value: a scheme and its token.
var credentialRe = regexp.MustCompile(
	`(?i)\b(basic|bearer|token|digest|negotiate)(\s+|=|:\s*)[^\s,;"'<>]+`)

// redact replaces the given secrets, and anything shaped like an
// Authorization value, with "[redacted]". A Confluence (or a proxy) that
// echoes the request's headers in its error text then leaks nothing into
// errors that callers log.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return credentialRe.ReplaceAllString(s, "$1 [redacted]")
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// retryable reports whether a status is worth trying again.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// pathOf strips the query and host from ref, for error messages.
func pathOf(ref string) string {
	if u, err := url.Parse(ref); err == nil {
		return u.Path
	}
	return "(unparseable)"
}
