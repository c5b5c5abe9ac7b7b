package idp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
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
		return cfg.checkURL(req.URL.String())
	}
	return &Fetcher{cfg: cfg, client: client}, nil
}

// URL returns the metadata URL.
func (f *Fetcher) URL() string { return f.cfg.URL }

// Fetch downloads and parses the metadata. When prev is not nil its ETag and
// LastModified are sent as If-None-Match and If-Modified-Since; on HTTP
// 304 Fetch returns a copy of prev with FetchedAt updated, after checking
// that it has not expired.
//
// Errors are a *[FetchError] for transport failures and non-200 answers
// (wrapping [ErrInsecureURL] for a redirect to plain http), wrap
// [ErrMetadataTooLarge] for oversized bodies, and otherwise come from
// [ParseMetadata].
func (f *Fetcher) Fetch(ctx context.Context, prev *Metadata) (*Metadata, error) {
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.cfg.URL, nil)
	if err != nil {
		return nil, &FetchError{URL: f.cfg.URL, Err: err}
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
		return nil, &FetchError{URL: f.cfg.URL, Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()

	if resp.StatusCode == http.StatusNotModified && prev != nil {
		return f.notModified(prev)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &FetchError{URL: f.cfg.URL, StatusCode: resp.StatusCode}
	}
	data, err := f.readBody(resp)
	if err != nil {
		return nil, err
	}

	md, err := ParseMetadata(data, f.cfg.Metadata)
	if err != nil {
		return nil, err
	}
	md.Source = f.cfg.URL
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
			f.cfg.URL, resp.ContentLength, limit)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return nil, &FetchError{URL: f.cfg.URL, StatusCode: resp.StatusCode, Err: err}
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%w: %s sent more than %d bytes", ErrMetadataTooLarge,
			f.cfg.URL, limit)
	}
	return data, nil
}

// checkURL applies the https rule to raw.
func (cfg FetcherConfig) checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("idp: metadata URL %q is not an absolute URL", raw)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && cfg.InsecureAllowHTTP && isLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http" && cfg.InsecureAllowHTTP:
		return fmt.Errorf("%w: %q (plain http is allowed only for loopback addresses)",
			ErrInsecureURL, raw)
	default:
		return fmt.Errorf("%w: %q", ErrInsecureURL, raw)
	}
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
