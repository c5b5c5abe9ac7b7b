package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/saml/samltest"
	"github.com/secureshare/secureshare/share"
)

func TestDemoPartnerSignsInAndReads(t *testing.T) {
	d := startDemo(t, t.TempDir())
	partners, token := d.link("partners")
	c := browser(t)

	resp, page := signIn(t, d, c, partners, "alice@partner.example")
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Equal(t, "/s/"+token, resp.Request.URL.Path, "back on the link")
	assert.Contains(t, page, "<h1>"+demoHomeTitle+"</h1>")
	assert.Contains(t, page, "alice@partner.example")
	assert.Contains(t, page, `href="/s/`+token+`/p/`+demoGuideID+`"`, "in-scope link rewritten")
	assert.NotContains(t, page, "pricing negotiations", "a withheld page's link goes")
	assert.NotContains(t, page, demoRestrictTitle)

	resp, page = get(t, c, d.url("/s/"+token+"/p/"+demoGuideID))
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "<h1>"+demoGuideTitle+"</h1>")
	assert.Contains(t, page, "<table")
	assert.Contains(t, page, "https://sandbox.api.example.com")
	assert.Contains(t, page, "<pre")
	assert.Contains(t, page, "/v1/orders/42")

	resp, page = get(t, c, d.url("/s/"+token+"/p/"+demoDiagramID))
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	img := "/s/" + token + "/a/" + demoDiagramID + "/" + demoImageID
	assert.Contains(t, page, `src="`+img+`"`)
	resp, png := get(t, c, d.url(img))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(png, "\x89PNG\r\n\x1a\n"), "a real PNG")

	resp, page = get(t, c, d.url("/s/"+token+"/p/"+demoRestrictedID))
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.NotContains(t, page, demoRestrictTitle)
	assert.NotContains(t, page, "Discount")
}

func TestDemoOutsiderDenied(t *testing.T) {
	d := startDemo(t, t.TempDir())
	partners, _ := d.link("partners")

	resp, page := signIn(t, d, browser(t), partners, "bob@elsewhere.example")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, page, "partners", "the denial names the group")
	assert.Contains(t, page, "bob@elsewhere.example")
	assert.NotContains(t, page, demoGuideTitle)
	assert.NotContains(t, page, "Welcome to the partner programme")
}

func TestDemoOpenLinkNeedsNoSignIn(t *testing.T) {
	d := startDemo(t, t.TempDir())
	open, token := d.link("open")

	resp, page := get(t, browser(t), open)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Equal(t, "/s/"+token, resp.Request.URL.Path, "no detour to the IdP")
	assert.Contains(t, page, "<h1>"+demoOpsTitle+"</h1>")
	assert.Contains(t, page, "Acknowledge the alert.")
}

func TestDemoRestartKeepsLinksAndKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	d := startDemo(t, dir)
	first := d.s.links
	_, md1 := get(t, browser(t), d.url("/saml/metadata"))
	d.stop()

	d = startDemo(t, dir)
	assert.Equal(t, first, d.s.links, "the same links and tokens")
	_, md2 := get(t, browser(t), d.url("/saml/metadata"))
	assert.Equal(t, certificateOf(t, md1), certificateOf(t, md2), "the same SP certificate")
	all, _, err := d.s.svc.ListLinks(t.Context(), share.LinkQuery{})
	require.NoError(t, err)
	assert.Len(t, all, len(first), "no duplicates")

	partners, _ := d.link("partners")
	resp, page := signIn(t, d, browser(t), partners, "alice@partner.example")
	assert.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "<h1>"+demoHomeTitle+"</h1>")

	info, err := os.Stat(filepath.Join(dir, "sp-key.pem"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	info, err = os.Stat(filepath.Join(dir, demoLinksFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	info, err = os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())
}

func TestDemoRestartReplacesRevokedLink(t *testing.T) {
	dir := t.TempDir()
	d := startDemo(t, dir)
	_, oldToken := d.link("partners")
	var id string
	for _, l := range d.s.links {
		if l.Key == "partners" {
			id = l.ID
		}
	}
	_, err := d.s.svc.RevokeLink(t.Context(), id, "test")
	require.NoError(t, err)
	_, openToken := d.link("open")
	d.stop()

	d = startDemo(t, dir)
	_, newToken := d.link("partners")
	assert.NotEqual(t, oldToken, newToken, "a revoked demo link is replaced")
	_, sameOpen := d.link("open")
	assert.Equal(t, openToken, sameOpen, "the other link is kept")

	d.stop()
	d = startDemo(t, dir)
	_, again := d.link("partners")
	assert.Equal(t, newToken, again, "the replacement is recorded")
}

func TestHealthReadyAndMetrics(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)

	resp, text := get(t, c, d.url("/healthz"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, "ok\n", text)
	resp, text = get(t, c, d.url("/readyz"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ready\n", text)

	resp, text = get(t, c, d.url("/metrics"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, text, `secureshare_http_requests_total{code="200",route="readyz"} 1`)

	require.NoError(t, d.s.store.Close())
	resp, text = get(t, c, d.url("/readyz"))
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "store unavailable\n", text)
	resp, _ = get(t, c, d.url("/healthz"))
	assert.Equal(t, http.StatusOK, resp.StatusCode, "alive even when not ready")
}

func TestDemoIndexAndMetadata(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	partners, _ := d.link("partners")
	open, _ := d.link("open")

	resp, page := get(t, c, d.url("/"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, partners)
	assert.Contains(t, page, open)

	resp, md := get(t, c, d.url("/saml/metadata"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, md, d.s.handler().ACSURL())
	resp, md = get(t, c, d.url(demoIDPPath+"/metadata"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, md, "IDPSSODescriptor")
}

func TestDemoIDPRefusesOtherRequests(t *testing.T) {
	d := startDemo(t, t.TempDir())
	sso := d.url(demoIDPPath + "/sso")
	redirectFrom := func(entityID, acs string) string {
		b, err := saml.NewRequestBuilder(saml.RequestConfig{EntityID: entityID, ACSURL: acs})
		require.NoError(t, err)
		u, _, err := b.RedirectAuthnRequest(sso, "relay", saml.AuthnRequestOptions{})
		require.NoError(t, err)
		return u
	}
	h := d.s.handler()
	tests := []struct {
		name   string
		url    string
		status int
		text   string
	}{
		{"our SP", redirectFrom(h.EntityID(), h.ACSURL()), 200, "Sign in as"},
		{"another SP", redirectFrom("https://sp.evil.example/metadata",
			"https://sp.evil.example/acs"), 400, "answers only"},
		{"another ACS", redirectFrom(h.EntityID(), "https://sp.evil.example/acs"), 400,
			"posts only to"},
		{"no request", sso, 400, "no SAMLRequest"},
		{"not base64", sso + "?SAMLRequest=%25%25", 400, "not base64"},
		{"not deflate", sso + "?SAMLRequest=" + url.QueryEscape(
			base64.StdEncoding.EncodeToString([]byte("<x/>"))), 400, "not DEFLATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, page := get(t, browser(t), tt.url)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Contains(t, page, tt.text)
			assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "form-action 'self'")
		})
	}

	t.Run("POST binding", func(t *testing.T) {
		xml := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ` +
			`xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="id-post-1" Version="2.0" ` +
			`IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>` + h.EntityID() +
			`</saml:Issuer></samlp:AuthnRequest>`
		resp, err := browser(t).PostForm(sso, url.Values{
			"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(xml))}})
		require.NoError(t, err)
		page := body(t, resp)
		assert.Equal(t, http.StatusOK, resp.StatusCode, page)
		assert.Contains(t, page, "id-post-1")
	})
	t.Run("unknown user", func(t *testing.T) {
		resp, page := get(t, browser(t), redirectFrom(h.EntityID(), h.ACSURL()))
		require.Equal(t, http.StatusOK, resp.StatusCode)
		f := forms(page)[0]
		f.values.Set("user", "mallory@evil.example")
		resp, page = submit(t, browser(t), resp.Request.URL, f)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Contains(t, page, "Choose one of the demo users")
	})
}

func TestServeBadUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"--nope"}, nil, "-nope"},
		{"argument", []string{"extra"}, nil, `unexpected argument "extra"`},
		{"log format", []string{"--log-format", "xml"}, nil, "--log-format"},
		{"listen", []string{"--listen", "nowhere"}, nil, `--listen "nowhere" is not HOST:PORT`},
		{"listen port not a number", []string{"--listen", "127.0.0.1:bad"}, nil,
			`the port "bad" is not a number`},
		{"listen port too big", []string{"--listen", "127.0.0.1:65536"}, nil,
			`the port "65536" is not a number`},
		{"listen host not an address", []string{"--listen", "999.1.1.1:80"}, nil,
			`the host "999.1.1.1" is not an IP address`},
		{"listen host not a name", []string{"--listen", "exa mple:80"}, nil,
			`the host "exa mple" is not an IP address or a host name`},
		{"listen host with an empty label", []string{"--listen", "a..b:80"}, nil,
			`the host "a..b" is not an IP address or a host name`},
		{"listen twice", []string{"--listen", ":1", "--listen", ":2"}, nil,
			"--listen given more than once"},
		{"empty value", []string{"--base-url", ""}, nil, "--base-url needs a non-empty value"},
		{"base URL not http", []string{"--base-url", "ftp://share.example.com"}, nil,
			`--base-url "ftp://share.example.com" must start with https://`},
		{"base URL relative", []string{"--base-url", "share.example.com/x"}, nil,
			`--base-url "share.example.com/x" must start with https://`},
		{"base URL without host", []string{"--base-url", "https:///x"}, nil, "has no host"},
		{"base URL with a query", []string{"--base-url", "https://share.example.com/?a=b"}, nil,
			"must not have a query"},
		{"base URL with a password", []string{"--base-url", "https://u:p@share.example.com"},
			nil, "must not hold a user name"},
		{"credentials without URL", []string{"--confluence-email", "a@b.example"}, nil,
			"need --confluence-url"},
		{"URL without credentials", []string{"--confluence-url", "https://x.example"}, nil,
			"--confluence-url needs"},
		{"cloud and DC", []string{"--confluence-url", "https://x.example", "--confluence-pat",
			"p", "--confluence-email", "e@x.example", "--confluence-token", "t"}, nil,
			"exclude each other"},
		{"key without cert", []string{"--sp-key", "k.pem"}, nil, "--sp-key and --sp-cert"},
		{"bad duration", []string{"--shutdown-timeout", "soon"}, nil, "-shutdown-timeout"},
		{"negative connection cap", []string{"--max-connections", "-1"}, nil,
			"--max-connections -1 is negative"},
		{"bad environment", nil, map[string]string{"SECURESHARE_LOG_FORMAT": "xml"},
			"--log-format"},
		{"bad environment named", nil,
			map[string]string{"SECURESHARE_INSECURE_HTTP_LOOPBACK": "maybe"},
			"SECURESHARE_INSECURE_HTTP_LOOPBACK"},
		{"store DSN", []string{"--store", "mysql://x"}, nil, "--store"},
		{"store a directory", []string{"--store", "sqlite:" + os.TempDir()}, nil,
			"--store: store: opening sqlite:" + os.TempDir()},
		{"missing metadata", []string{"--idp-metadata", "no-such-file.xml"}, nil,
			"--idp-metadata no-such-file.xml"},
		{"base URL not loopback http", []string{"--base-url", "http://share.example.com",
			"--demo-idp"}, nil, "--base-url"},
		{"insecure cookies on https", []string{"--base-url", "https://share.example.com",
			"--insecure-http-loopback", "--demo-idp"}, nil, "--insecure-http-loopback"},
		{"demo IdP on a public base URL", []string{"--base-url", "https://share.example.com"},
			nil, "no --idp-metadata: the demo IdP"},
		{"demo IdP with a real Confluence", []string{"--confluence-url",
			"https://acme.atlassian.net", "--confluence-pat", "x"}, nil,
			"no --idp-metadata: the demo IdP"},
		{"wiki faults with a real Confluence", []string{"--confluence-url",
			"https://acme.atlassian.net", "--confluence-pat", "x", "--demo-wiki-faults-file",
			"faults"}, nil, "--demo-wiki-faults-file makes only the demo Confluence fail"},
		{"wiki faults with a real Confluence from the environment", nil,
			map[string]string{"SECURESHARE_CONFLUENCE_URL": "https://acme.atlassian.net",
				"SECURESHARE_CONFLUENCE_PAT": "x", "SECURESHARE_DEMO_WIKI_FAULTS_FILE": "f"},
			"--demo-wiki-faults-file makes only the demo Confluence fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			args := append([]string{"--listen", "127.0.0.1:0", "--data-dir", dataDir},
				tt.args...)
			if strings.HasPrefix(tt.name, "base URL") {
				// Refused with the flags: nothing is written first.
				defer func() {
					files, err := os.ReadDir(dataDir)
					require.NoError(t, err)
					assert.Empty(t, files, "the data directory was written to")
				}()
			}
			if strings.HasPrefix(tt.name, "listen") {
				args = append([]string{"--data-dir", t.TempDir()}, tt.args...)
			}
			var stdout, stderr bytes.Buffer
			code := serveMain(t.Context(), args, func(k string) string { return tt.env[k] },
				&stdout, &stderr)
			assert.Equal(t, exitBadUsage, code, "stderr: %s", stderr.String())
			assert.Contains(t, stderr.String(), tt.want)
			assert.Equal(t, 1, strings.Count(stderr.String(), tt.want),
				"the error is told once, without the usage: %s", stderr.String())
			assert.NotContains(t, stderr.String(), "Flags:")
			assert.Empty(t, stdout.String())
		})
	}
}

// TestServeListenHosts: every form of host that net.Listen takes is
// accepted; the refusals are in TestServeBadUsage.
func TestServeListenHosts(t *testing.T) {
	for _, listen := range []string{":8080", "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0",
		"localhost:8080", "share-1.example.com:443", "share.example.com.:443", "10.0.0.1:65535",
		"[::1%lo]:8080", "[fe80::1%eth0]:0", "secure_share:8080"} {
		f, err := parseServeFlags([]string{"--listen", listen}, func(string) string { return "" },
			&bytes.Buffer{})
		if assert.NoError(t, err, listen) {
			assert.Equal(t, listen, f.listen)
		}
	}
}

func TestServeFlagsFromEnvironment(t *testing.T) {
	env := map[string]string{"SECURESHARE_LISTEN": "nowhere", "SECURESHARE_DATA_DIR": "/srv/ss",
		"SECURESHARE_IDP_METADATA": "a=one.xml, two.xml", "SECURESHARE_LOG_FORMAT": "text"}
	f, err := parseServeFlags([]string{"--listen", "127.0.0.1:9000"},
		func(k string) string { return env[k] }, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9000", f.listen, "the flag wins")
	assert.Equal(t, "/srv/ss", f.dataDir)
	assert.Equal(t, "sqlite:/srv/ss/secureshare.db", f.storeDSN)
	assert.Equal(t, []string{"a=one.xml", "two.xml"}, f.idpMetadata)
	assert.Equal(t, "text", f.logFormat)
	assert.False(t, f.insecureSet)
}

func TestServeHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := serveMain(t.Context(), []string{"-h"}, noEnv, &stdout, &stderr)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stderr.String(), "Usage: secureshare serve")
	assert.Contains(t, stderr.String(), "-idp-metadata")

	stdout.Reset()
	stderr.Reset()
	assert.Equal(t, exitOK, run([]string{"serve", "--help"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "Usage: secureshare serve")
	stdout.Reset()
	assert.Equal(t, exitOK, run([]string{"help"}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "serve ")
	assert.Contains(t, stdout.String(), "With no command, secureshare runs serve")
}

func TestServeMainShutsDownGracefully(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &notifyWriter{ready: make(chan struct{})}
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- serveMain(ctx, []string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir()},
			noEnv, out, &stderr)
	}()
	<-out.ready
	cancel()
	assert.Equal(t, exitOK, <-code, stderr.String())
	assert.Contains(t, out.String(), "Demo links:")
	assert.Contains(t, stderr.String(), `"msg":"stopped"`, "JSON logs by default")
}

func TestRedactToken(t *testing.T) {
	tests := []struct{ path, prefix, want string }{
		{"/s/abc", "", "/s/<token>"},
		{"/s/abc/p/12", "", "/s/<token>/p/12"},
		{"/share/s/abc/a/1/att", "/share", "/share/s/<token>/a/1/att"},
		{"/s/", "", "/s/"},
		{"/saml/acs", "", "/saml/acs"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			assert.Equal(t, tt.want, redactToken(tt.path, tt.prefix))
		})
	}
}

// certificateOf returns the signing certificate in a metadata document.
func certificateOf(t *testing.T, md string) string {
	t.Helper()
	m := regexp.MustCompile(`<ds:X509Certificate>([^<]+)</ds:X509Certificate>`).
		FindStringSubmatch(md)
	require.NotNil(t, m, "no certificate in %s", md)
	return m[1]
}

func TestRealIDPFromMetadata(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	p, err := samltest.New(samltest.Config{EntityID: "https://idp.partner.example/metadata",
		Key: key})
	require.NoError(t, err)
	md, err := p.Metadata("https://idp.partner.example/sso", "")
	require.NoError(t, err)
	mdServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write(md)
	}))
	defer mdServer.Close()
	file := filepath.Join(t.TempDir(), "idp.xml")
	require.NoError(t, os.WriteFile(file, md, 0o600))

	sources := []struct{ name, flag string }{
		{"named file", "partner=" + file},
		{"URL", mdServer.URL + "/metadata"},
	}
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			d := startDemo(t, t.TempDir(), "--idp-metadata", src.flag)
			assert.Nil(t, d.s.demoIDP, "no demo IdP with a real one")
			resp, _ := get(t, browser(t), d.url(demoIDPPath+"/sso"))
			assert.Equal(t, http.StatusNotFound, resp.StatusCode)

			partners, token := d.link("partners")
			c := browser(t)
			c.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
				if r.URL.Hostname() != "127.0.0.1" {
					return http.ErrUseLastResponse
				}
				return nil
			}
			resp, _ = get(t, c, partners)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			loc, err := url.Parse(resp.Header.Get("Location"))
			require.NoError(t, err)
			assert.Equal(t, "idp.partner.example", loc.Host, "sent to the real IdP")
			relay := loc.Query().Get("RelayState")

			v, err := p.PostValue(samltest.ResponseOptions{Destination: d.s.handler().ACSURL(),
				Audience: d.s.handler().EntityID(), InResponseTo: relay,
				NameID: "pat@partner.example", SignAssertion: true,
				Attributes: []saml.Attribute{
					{Name: "email", Values: []string{"pat@partner.example"}},
					{Name: "groups", Values: []string{"partners"}}}})
			require.NoError(t, err)
			resp, err = c.PostForm(d.s.handler().ACSURL(),
				url.Values{"SAMLResponse": {v}, "RelayState": {relay}})
			require.NoError(t, err)
			page := body(t, resp)
			require.Equal(t, http.StatusOK, resp.StatusCode, page)
			assert.Equal(t, "/s/"+token, resp.Request.URL.Path)
			assert.Contains(t, page, "<h1>"+demoHomeTitle+"</h1>")
		})
	}
}

// TestFlagsWithoutCommandAreServes: "secureshare --listen ..." runs serve.
func TestFlagsWithoutCommandAreServes(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"--log-format", "xml"}, &stdout, &stderr)
	assert.Equal(t, exitBadUsage, code)
	assert.Contains(t, stderr.String(), "secureshare serve: --log-format")
	assert.NotContains(t, stderr.String(), "unknown command")
}

// TestClientIP: behind a proxy the last address of --client-ip-header is
// the client's; earlier ones are the client's own claims and are ignored.
func TestClientIP(t *testing.T) {
	for _, tt := range []struct {
		name, header string
		values       []string
		want         string
	}{
		{"no flag", "", []string{"203.0.113.9"}, "192.0.2.1"},
		{"last of one header", "X-Forwarded-For", []string{"198.51.100.7, 203.0.113.9"},
			"203.0.113.9"},
		{"last of several headers", "X-Forwarded-For", []string{"198.51.100.7", "203.0.113.9"},
			"203.0.113.9"},
		{"IPv6", "X-Real-IP", []string{" 2001:db8::1 "}, "2001:db8::1"},
		{"not an address", "X-Forwarded-For", []string{"203.0.113.9, unknown"}, "192.0.2.1"},
		{"header missing", "X-Forwarded-For", nil, "192.0.2.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &server{flags: &serveFlags{clientIPHeader: tt.header}}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = "192.0.2.1:54321"
			for _, v := range tt.values {
				r.Header.Add("X-Forwarded-For", v)
				r.Header.Add("X-Real-IP", v)
			}
			assert.Equal(t, tt.want, s.clientIP(r))
		})
	}
}

// TestWithDeadline: a handler waiting on something that never answers
// (a silent database connection) is released at the request deadline.
func TestWithDeadline(t *testing.T) {
	released := make(chan error, 1)
	h := withDeadline(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dl, ok := r.Context().Deadline()
		assert.True(t, ok, "the request has a deadline")
		assert.WithinDuration(t, time.Now().Add(50*time.Millisecond), dl, time.Second)
		<-r.Context().Done()
		released <- r.Context().Err()
	}), 50*time.Millisecond)

	done := make(chan struct{})
	go func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		close(done)
	}()
	select {
	case err := <-released:
		require.Error(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the handler was never released")
	}
	<-done
}
