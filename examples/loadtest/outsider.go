package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// requestTimeout bounds every request, so that a hung server shows up as
// an error rather than a stalled worker.
const requestTimeout = 10 * time.Second

// maxBody bounds what is read of an answer.
const maxBody = 4 << 20

// sourceIPs hands out loopback source addresses, so that each simulated
// outsider comes from its own address the way real ones do, and the
// server's per-address rate limits apply to each one separately. Linux
// routes all of 127.0.0.0/8 to the loopback interface. Zero addresses
// means the system's choice (127.0.0.1 for everyone).
type sourceIPs struct {
	n int
}

// ip returns the i-th source address, cycling through n of them:
// 127.1.0.1, 127.1.0.2, ... 127.1.0.250, 127.1.1.1, ...
func (s sourceIPs) ip(i int) net.IP {
	if s.n <= 0 {
		return nil
	}
	i %= s.n
	return net.IPv4(127, byte(1+i/(250*250)), byte(i/250%250), byte(i%250+1))
}

// outsider is one simulated browser: its own cookie jar, its own source
// address and its own connections.
type outsider struct {
	client  *http.Client // follows redirects
	noRedir *http.Client // the same jar and connections, stops at redirects
	tr      *http.Transport
	jar     http.CookieJar
}

// newOutsider returns a browser sending from ip (nil: any).
func newOutsider(ip net.IP) *outsider {
	d := &net.Dialer{Timeout: requestTimeout, KeepAlive: 30 * time.Second}
	if ip != nil {
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4,
		IdleConnTimeout: 90 * time.Second, DisableCompression: true}
	jar, _ := cookiejar.New(nil) // never fails with nil options
	o := &outsider{tr: tr, jar: jar}
	o.client = &http.Client{Transport: tr, Jar: jar, Timeout: requestTimeout}
	o.noRedir = &http.Client{Transport: tr, Jar: jar, Timeout: requestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	return o
}

// sameBrowserFrom returns a browser with o's cookies (the same jar)
// that sends from ip, as when an outsider's address changes.
func (o *outsider) sameBrowserFrom(ip net.IP) *outsider {
	n := newOutsider(ip)
	n.jar, n.client.Jar, n.noRedir.Jar = o.jar, o.jar, o.jar
	return n
}

// close drops the outsider's idle connections.
func (o *outsider) close() { o.tr.CloseIdleConnections() }

// page is an answer that has been read.
type page struct {
	status int
	url    *url.URL // after redirects
	body   string
	header http.Header
}

// do sends req with c and reads the answer.
func do(c *http.Client, req *http.Request) (*page, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	return &page{status: resp.StatusCode, url: resp.Request.URL, body: string(b),
		header: resp.Header}, nil
}

// get fetches u with c.
func get(ctx context.Context, c *http.Client, u string) (*page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return do(c, req)
}

// post posts form values to u with c.
func post(ctx context.Context, c *http.Client, u string, v url.Values) (*page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u,
		strings.NewReader(v.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(c, req)
}

// htmlForm is a form on a page: where it posts and its hidden fields.
type htmlForm struct {
	action string
	values url.Values
}

var (
	formRE  = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	attrRE  = regexp.MustCompile(`\baction="([^"]*)"`)
	inputRE = regexp.MustCompile(`<input\b[^>]*>`)
	nameRE  = regexp.MustCompile(`\bname="([^"]*)"`)
	valueRE = regexp.MustCompile(`\bvalue="([^"]*)"`)
	hrefRE  = regexp.MustCompile(`<a href="([^"]*)"`)
)

// parseForms returns the forms of a page, in order, with the names and
// values of their input elements, HTML entities decoded. It reads pages
// written by html/template, not HTML at large.
func parseForms(doc string) []htmlForm {
	var out []htmlForm
	for _, m := range formRE.FindAllStringSubmatch(doc, -1) {
		f := htmlForm{values: url.Values{}}
		if a := attrRE.FindStringSubmatch(m[1]); a != nil {
			f.action = html.UnescapeString(a[1])
		}
		for _, in := range inputRE.FindAllString(m[2], -1) {
			n := nameRE.FindStringSubmatch(in)
			if n == nil {
				continue
			}
			v := ""
			if val := valueRE.FindStringSubmatch(in); val != nil {
				v = html.UnescapeString(val[1])
			}
			f.values.Add(html.UnescapeString(n[1]), v)
		}
		out = append(out, f)
	}
	return out
}

// formFor returns the form on a page whose field name has value.
func formFor(forms []htmlForm, name, value string) (htmlForm, bool) {
	for _, f := range forms {
		if f.values.Get(name) == value {
			return f, true
		}
	}
	return htmlForm{}, false
}

// stepError is a sign-in step that did not answer as a browser expects.
type stepError struct {
	step    string
	outcome string // the status code, or "err:..." for a transport error
	detail  string
}

func (e *stepError) Error() string {
	return fmt.Sprintf("%s: %s %s", e.step, e.outcome, e.detail)
}

// signInResult times one sign-in.
type signInResult struct {
	acs     time.Duration // the POST to the ACS alone
	acsCode int           // its status (a redirect on success)
	landing string        // the link page the sign-in ended on
}

// prepared is a signed response from the demo IdP, ready to be posted to
// the ACS by the outsider it was made for.
type prepared struct {
	acsURL string
	form   url.Values
}

// prepare opens linkURL, which sends the outsider to the demo IdP, picks
// email there, and returns the auto-submit form the IdP answers with,
// without posting it.
func (o *outsider) prepare(ctx context.Context, linkURL, email string) (*prepared, error) {
	p, err := get(ctx, o.client, linkURL)
	if err != nil {
		return nil, &stepError{step: "link", outcome: classify(err)}
	}
	if p.status != http.StatusOK || !strings.HasSuffix(p.url.Path, "/demo-idp/sso") {
		return nil, &stepError{step: "link", outcome: fmt.Sprint(p.status),
			detail: "not at the demo IdP: " + p.url.Path}
	}
	f, ok := formFor(parseForms(p.body), "user", email)
	if !ok {
		return nil, &stepError{step: "idp", outcome: "no-form", detail: "no button for " + email}
	}
	target, err := p.url.Parse(f.action)
	if err != nil {
		return nil, &stepError{step: "idp", outcome: "bad-action", detail: err.Error()}
	}

	p, err = post(ctx, o.client, target.String(), f.values)
	if err != nil {
		return nil, &stepError{step: "idp-login", outcome: classify(err)}
	}
	forms := parseForms(p.body)
	if p.status != http.StatusOK || len(forms) != 1 || forms[0].values.Get("SAMLResponse") == "" {
		return nil, &stepError{step: "idp-login", outcome: fmt.Sprint(p.status),
			detail: "no auto-submit form"}
	}
	acs, err := p.url.Parse(forms[0].action)
	if err != nil {
		return nil, &stepError{step: "idp-login", outcome: "bad-action", detail: err.Error()}
	}
	return &prepared{acsURL: acs.String(), form: forms[0].values}, nil
}

// postACS posts a prepared response to the ACS without following the
// redirect, and times it.
func (o *outsider) postACS(ctx context.Context, pr *prepared) (time.Duration, *page, error) {
	start := time.Now()
	p, err := post(ctx, o.noRedir, pr.acsURL, pr.form)
	d := time.Since(start)
	if err != nil {
		return d, nil, &stepError{step: "acs", outcome: classify(err)}
	}
	if p.status != http.StatusSeeOther && p.status != http.StatusFound {
		return d, p, &stepError{step: "acs", outcome: fmt.Sprint(p.status)}
	}
	return d, p, nil
}

// signIn does the whole sign-in: the link, the demo IdP, the ACS, and
// the landing page, which must answer 200 with title in it.
func (o *outsider) signIn(ctx context.Context, linkURL, email, title string) (signInResult,
	error) {
	var r signInResult
	pr, err := o.prepare(ctx, linkURL, email)
	if err != nil {
		return r, err
	}
	d, p, err := o.postACS(ctx, pr)
	r.acs = d
	if err != nil {
		return r, err
	}
	r.acsCode = p.status

	loc, err := p.url.Parse(p.header.Get("Location"))
	if err != nil {
		return r, &stepError{step: "acs", outcome: "bad-location", detail: err.Error()}
	}
	p, err = get(ctx, o.client, loc.String())
	if err != nil {
		return r, &stepError{step: "landing", outcome: classify(err)}
	}
	if p.status != http.StatusOK || !strings.Contains(p.body, title) {
		return r, &stepError{step: "landing", outcome: fmt.Sprint(p.status)}
	}
	r.landing = p.url.String()
	return r, nil
}

// outcomeOf is how a failed step is counted.
func outcomeOf(err error) string {
	var se *stepError
	if errors.As(err, &se) {
		return se.step + ":" + se.outcome
	}
	return classify(err)
}

// classify names a transport error briefly: timeout, refused, reset, eof
// or other.
func classify(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()):
		return "err:timeout"
	case strings.Contains(err.Error(), "connection refused"):
		return "err:refused"
	case strings.Contains(err.Error(), "connection reset"):
		return "err:reset"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "err:eof"
	case strings.Contains(err.Error(), "cannot assign requested address"):
		return "err:no-port"
	}
	return "err:other"
}

// linksOn returns the share links (paths containing /s/) a page links to,
// in order, made absolute against base.
func linksOn(base *url.URL, doc string) []string {
	var out []string
	for _, m := range hrefRE.FindAllStringSubmatch(doc, -1) {
		u, err := base.Parse(html.UnescapeString(m[1]))
		if err == nil && strings.Contains(u.Path, "/s/") {
			out = append(out, u.String())
		}
	}
	return out
}
