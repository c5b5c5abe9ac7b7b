package idp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/secureshare/secureshare/saml"
)

const (
	// DefaultFetchTimeout bounds one metadata fetch when
	// [FetcherConfig.Timeout] is zero.
	DefaultFetchTimeout = 30 * time.Second
	// DefaultMaxRedirects is how many redirects a fetch follows when
	// [FetcherConfig.MaxRedirects] is zero.
	DefaultMaxRedirects = 5
)

// FetcherConfig configures a [Fetcher].
type FetcherConfig struct {
	// URL is the metadata URL. It must be https unless
	// InsecureAllowHTTP is set and the host is a loopback address.
	// Required.
	URL string
	// Metadata controls parsing: which entity, which pinned certificates
	// must have signed the document, the size limit and the clock.
	Metadata MetadataOptions
	// HTTPClient sends the requests; nil means a client of our own with
	// Timeout. The client's CheckRedirect is replaced (on a copy) by one
	// that bounds redirects and applies the https rule to each hop.
	HTTPClient *http.Client
	// Timeout bounds each fetch, on top of the caller's context; zero
	// means [DefaultFetchTimeout].
	Timeout time.Duration
	// MaxRedirects bounds the redirects followed; zero means
	// [DefaultMaxRedirects], negative follows none.
	MaxRedirects int
	// InsecureAllowHTTP permits plain http for loopback addresses
	// (127.0.0.0/8, ::1, localhost), for tests and an IdP on the same
	// machine. Other hosts always need https: metadata carries the keys
	// that every sign-in is checked against.
	InsecureAllowHTTP bool
}

// Fetcher downloads IdP metadata from a URL with conditional requests. It
// is safe for concurrent use.
type Fetcher struct {
	cfg    FetcherConfig
	client *http.Client
}

// NewFetcher checks cfg and returns a Fetcher. It does no I/O.
func NewFetcher(cfg FetcherConfig) (*Fetcher, error) {
	if err := cfg.checkURL(cfg.URL); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultFetchTimeout
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}

	client := &http.Client{Timeout: cfg.Timeout}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > cfg.MaxRedirects {
			return fmt.Errorf("idp: more than %d redirects", max(cfg.MaxRedirects, 0))
		}
		return cfg.checkRedirect(req.URL)
	}
	return &Fetcher{cfg: cfg, client: client}, nil
}

// URL returns the metadata URL with any password in it replaced by
// "xxxxx" (see [RedactURL]), so that it is safe to show and to log.
func (f *Fetcher) URL() string { return RedactURL(f.cfg.URL) }

// Fetch downloads and parses the metadata. When prev is not nil its ETag and
// LastModified are sent as If-None-Match and If-Modified-Since; on HTTP
// 304 Fetch returns a copy of prev with FetchedAt updated, after checking
// that it has not expired.
//
// Errors are a *[FetchError] for transport failures, non-200 answers and
// an HTML page where metadata was expected (wrapping [ErrInsecureURL] for a
// redirect to a non-HTTPS URL, and a *[saml.ValidationError] with
// [saml.CheckSchema] for an HTML page), wrap [ErrMetadataTooLarge] for oversized
// bodies, and otherwise come from [ParseMetadata]. URLs in errors and in
// Metadata.Source are redacted with [RedactURL].
func (f *Fetcher) Fetch(ctx context.Context, prev *Metadata) (*Metadata, error) {
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.cfg.URL, nil)
	if err != nil {
		return nil, &FetchError{URL: f.URL(), Err: unwrapURLError(err)}
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml;q=0.9, */*;q=0.5")
	if prev != nil && prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev != nil && prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}

	resp, err := f.client.Do(req)
	if err != nil {
		return nil, &FetchError{URL: f.URL(), Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()

	if resp.StatusCode == http.StatusNotModified && prev != nil {
		return f.notModified(prev)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &FetchError{URL: f.URL(), StatusCode: resp.StatusCode}
	}
	data, err := f.readBody(resp)
	if err != nil {
		return nil, err
	}
	if looksLikeHTML(data) {
		return nil, &FetchError{URL: f.URL(), StatusCode: resp.StatusCode,
			Err: &saml.ValidationError{Check: saml.CheckSchema,
				Msg: "this is an HTML page, not SAML metadata (check the URL)"}}
	}

	md, err := ParseMetadata(data, f.cfg.Metadata)
	if err != nil {
		return nil, err
	}
	md.Source = f.URL()
	md.ETag = resp.Header.Get("ETag")
	md.LastModified = resp.Header.Get("Last-Modified")
	return md, nil
}

// notModified returns prev, confirmed unchanged now.
func (f *Fetcher) notModified(prev *Metadata) (*Metadata, error) {
	now := f.cfg.Metadata.now()
	if prev.IDP != nil {
		if err := checkExpiry(prev.IDP, now); err != nil {
			return nil, err
		}
	}
	md := *prev
	md.FetchedAt = now
	return &md, nil
}

// readBody reads at most the size limit.
func (f *Fetcher) readBody(resp *http.Response) ([]byte, error) {
	limit := f.cfg.Metadata.maxSize()
	if resp.ContentLength > int64(limit) {
		return nil, fmt.Errorf("%w: %s announced %d bytes, limit %d", ErrMetadataTooLarge,
			f.URL(), resp.ContentLength, limit)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return nil, &FetchError{URL: f.URL(), StatusCode: resp.StatusCode, Err: err}
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%w: %s sent more than %d bytes", ErrMetadataTooLarge,
			f.URL(), limit)
	}
	return data, nil
}

// checkURL applies the https rule to raw.
func (cfg FetcherConfig) checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("idp: metadata URL %q is not an absolute URL", RedactURL(raw))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "":
		return fmt.Errorf("%w: %q is not an http(s) URL", ErrInsecureURL, RedactURL(raw))
	case u.Host == "":
		return fmt.Errorf("idp: metadata URL %q is not an absolute URL", RedactURL(raw))
	case u.Scheme == "https":
		return nil
	case cfg.InsecureAllowHTTP && isLoopback(u.Hostname()):
		return nil
	case cfg.InsecureAllowHTTP:
		return fmt.Errorf("%w: %q (plain http is allowed only for loopback addresses)",
			ErrInsecureURL, RedactURL(raw))
	default:
		return fmt.Errorf("%w: %q", ErrInsecureURL, RedactURL(raw))
	}
}

// checkRedirect applies the https rule to a redirect's target.
func (cfg FetcherConfig) checkRedirect(u *url.URL) error {
	err := cfg.checkURL(u.String())
	if errors.Is(err, ErrInsecureURL) {
		return fmt.Errorf("%w: redirect to a non-HTTPS URL %q", ErrInsecureURL,
			RedactURL(u.String()))
	}
	return err
}

// RedactURL returns raw with secrets replaced by "xxxxx": the password of
// its user information, and the values of query parameters whose names
// suggest a secret (password, secret, token, key, signature, sig, code,
// auth, credential, in any case). A string that does not parse as a URL
// is returned as "(unparsable URL)". URLs without such parts are returned
// unchanged.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	changed := false
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
		changed = true
	}
	if u.RawQuery != "" {
		q := u.Query()
		for name, vs := range q {
			if secretParam(name) {
				for i := range vs {
					vs[i] = "xxxxx"
				}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	if !changed {
		return raw
	}
	return u.String()
}

// secretParam reports whether a query parameter name suggests a secret.
func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"pass", "pwd", "secret", "token", "key", "sig", "code",
		"auth", "credential", "session"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// looksLikeHTML reports whether data starts like an HTML page (a login
// page served where metadata was expected) rather than XML.
func looksLikeHTML(data []byte) bool {
	data = bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if bytes.HasPrefix(data, []byte("<?xml")) { // XHTML
		if end := bytes.Index(data, []byte("?>")); end > 0 {
			data = bytes.TrimLeft(data[end+2:], " \t\r\n")
		}
	}
	if len(data) > 64 {
		data = data[:64]
	}
	head := strings.ToLower(string(data))
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html") ||
		strings.HasPrefix(head, "<head") || strings.HasPrefix(head, "<body")
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
