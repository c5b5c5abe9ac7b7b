package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/share"
	"github.com/secureshare/secureshare/store"
)

func TestMetricsCountTheDemoJourney(t *testing.T) {
	d := startDemo(t, t.TempDir())
	partners, token := d.link("partners")
	open, openToken := d.link("open")
	before := scrape(t, d)

	resp, page := signIn(t, d, browser(t), partners, "alice@partner.example")
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	after := scrape(t, d)
	assert.Equal(t, 1.0, delta(before, after, "secureshare_logins_succeeded_total", nil))
	assert.GreaterOrEqual(t, delta(before, after, "secureshare_link_opens_total", nil), 1.0)
	assert.Zero(t, delta(before, after, "secureshare_link_denials_total", nil))
	assert.Positive(t, delta(before, after, "secureshare_confluence_requests_total",
		map[string]string{"status": "2xx", "operation": "page", "method": "GET"}))
	assert.Positive(t, sampleCount(after, "secureshare_confluence_request_duration_seconds",
		map[string]string{"operation": "page"}))
	assert.Equal(t, 1.0, delta(before, after, "secureshare_http_requests_total",
		map[string]string{"route": "acs", "code": "303"}))

	before = after
	resp, _ = signIn(t, d, browser(t), partners, "bob@elsewhere.example")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	after = scrape(t, d)
	assert.Equal(t, 1.0, delta(before, after, "secureshare_logins_succeeded_total", nil))
	assert.Equal(t, 1.0, delta(before, after, "secureshare_link_denials_total",
		map[string]string{"reason": share.ReasonNotInGroups.String()}))
	assert.Equal(t, 1.0, delta(before, after, "secureshare_link_denials_total", nil))
	assert.Zero(t, delta(before, after, "secureshare_link_opens_total", nil))
	assert.Equal(t, 1.0, delta(before, after, "secureshare_audit_events_total",
		map[string]string{"kind": "link.denied"}))

	before = after
	c := browser(t)
	resp, page = get(t, c, open)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.GreaterOrEqual(t, delta(before, scrape(t, d), "secureshare_link_opens_total",
		nil), 1.0)

	assertNoSecretLabels(t, scrape(t, d), token, openToken, "@", "/s/", d.s.wiki.URL)
}

func TestMetricsCountLoginFailuresAndLogouts(t *testing.T) {
	d := startDemo(t, t.TempDir())
	partners, _ := d.link("partners")
	c := browser(t)
	resp, page := signIn(t, d, c, partners, "alice@partner.example")
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	before := scrape(t, d)

	req, err := http.NewRequest(http.MethodPost, d.url("/saml/logout"), nil)
	require.NoError(t, err)
	req.Header.Set("Origin", d.s.baseURL)
	resp, err = c.Do(req)
	require.NoError(t, err)
	_ = body(t, resp)
	resp, err = browser(t).PostForm(d.s.handler().ACSURL(),
		map[string][]string{"SAMLResponse": {"bm90IFhNTA=="}, "RelayState": {"nope"}})
	require.NoError(t, err)
	_ = body(t, resp)

	after := scrape(t, d)
	assert.Equal(t, 1.0, delta(before, after, "secureshare_logouts_total", nil))
	assert.Equal(t, 1.0, delta(before, after, "secureshare_logins_failed_total", nil))
	assert.Zero(t, delta(before, after, "secureshare_logins_failed_total",
		map[string]string{"check": labelOther}))
	assertNoSecretLabels(t, after, "@")
}

func TestAuditCounter(t *testing.T) {
	tests := []struct {
		name   string
		event  share.AuditEvent
		metric string
		labels map[string]string
	}{
		{"login", share.AuditEvent{Kind: share.EventLoginSucceeded, Actor: "a@x.example"},
			"secureshare_logins_succeeded_total", nil},
		{"known check", share.AuditEvent{Kind: share.EventLoginFailed,
			Reason: string(saml.CheckAudience)}, "secureshare_logins_failed_total",
			map[string]string{"check": "audience"}},
		{"error check", share.AuditEvent{Kind: share.EventLoginFailed, Reason: "error"},
			"secureshare_logins_failed_total", map[string]string{"check": "error"}},
		{"unknown check", share.AuditEvent{Kind: share.EventLoginFailed,
			Reason: "a@x.example"}, "secureshare_logins_failed_total",
			map[string]string{"check": labelOther}},
		{"known reason", share.AuditEvent{Kind: share.EventLinkDenied,
			Reason: share.ReasonExpired.String(), LinkID: "L1"},
			"secureshare_link_denials_total", map[string]string{"reason": "expired"}},
		{"unknown reason", share.AuditEvent{Kind: share.EventLinkDenied, Reason: "token-xyz"},
			"secureshare_link_denials_total", map[string]string{"reason": labelOther}},
		{"open", share.AuditEvent{Kind: share.EventLinkOpened, LinkID: "L1"},
			"secureshare_link_opens_total", nil},
		{"logout", share.AuditEvent{Kind: share.EventLogout}, "secureshare_logouts_total", nil},
		{"admin event", share.AuditEvent{Kind: share.EventLinkCreated},
			"secureshare_audit_events_total", map[string]string{"kind": "link.created"}},
		{"host's own kind", share.AuditEvent{Kind: "custom.thing"},
			"secureshare_audit_events_total", map[string]string{"kind": labelOther}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, st := newMetrics(""), openMemoryStore(t)
			before := gather(t, m)
			require.NoError(t, m.countAudit(st).AppendAudit(t.Context(), withID(tt.event)))
			after := gather(t, m)
			assert.Equal(t, 1.0, delta(before, after, tt.metric, tt.labels))
			assert.Equal(t, 1.0, delta(before, after, "secureshare_audit_events_total", nil))
			assertNoSecretLabels(t, after, "@", "token-xyz", "L1")
		})
	}

	t.Run("append fails", func(t *testing.T) {
		m, st := newMetrics(""), openMemoryStore(t)
		counted := m.countAudit(st)
		e := withID(share.AuditEvent{Kind: share.EventLoginSucceeded})
		require.NoError(t, counted.AppendAudit(t.Context(), e))
		before := gather(t, m)
		require.Error(t, counted.AppendAudit(t.Context(), e), "a duplicate ID")
		after := gather(t, m)
		assert.Zero(t, delta(before, after, "secureshare_logins_succeeded_total", nil))
		assert.Equal(t, 1.0, delta(before, after, "secureshare_audit_append_errors_total", nil))
	})
}

func TestConfluenceTransport(t *testing.T) {
	status := http.StatusOK
	wiki := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
	}))
	defer wiki.Close()
	tests := []struct {
		name, path string
		status     int
		want       map[string]string
	}{
		{"page", "/wiki/api/v2/pages/123", 200,
			map[string]string{"operation": "page", "status": "2xx"}},
		{"rate limited", "/rest/api/content/123/child/page", 429,
			map[string]string{"operation": "children", "status": "429"}},
		{"server error", "/wiki/download/attachments/1/a.png", 503,
			map[string]string{"operation": "download", "status": "5xx"}},
		{"not found", "/wiki/api/v2/spaces", 404,
			map[string]string{"operation": "space", "status": "4xx"}},
		{"redirect", "/elsewhere/alice@x.example", 304,
			map[string]string{"operation": labelOther, "status": "3xx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMetrics("")
			status = tt.status
			resp, err := m.confluenceClient(wiki.Client()).Get(wiki.URL + tt.path)
			require.NoError(t, err)
			_ = body(t, resp)
			after := gather(t, m)
			tt.want["method"] = "GET"
			assert.Equal(t, 1.0, value(after, "secureshare_confluence_requests_total", tt.want))
			assert.Equal(t, uint64(1), sampleCount(after,
				"secureshare_confluence_request_duration_seconds", nil))
			assertNoSecretLabels(t, after, "@", "123", "a.png")
		})
	}

	t.Run("transport error", func(t *testing.T) {
		m := newMetrics("")
		c := m.confluenceClient(&http.Client{Transport: failingTransport{}})
		_, err := c.Get("https://wiki.invalid/rest/api/user/current")
		require.Error(t, err)
		assert.Equal(t, 1.0, value(gather(t, m), "secureshare_confluence_requests_total",
			map[string]string{"operation": "user", "status": "error"}))
	})
	t.Run("nil client", func(t *testing.T) {
		c := newMetrics("").confluenceClient(nil)
		assert.Equal(t, confluenceTimeout, c.Timeout)
		require.IsType(t, &confluenceTransport{}, c.Transport)
		assert.Equal(t, http.DefaultTransport, c.Transport.(*confluenceTransport).next)
	})
	t.Run("base client kept", func(t *testing.T) {
		base := wiki.Client()
		orig := base.Transport
		c := newMetrics("").confluenceClient(base)
		assert.Same(t, orig, base.Transport, "the base client is not changed")
		assert.Same(t, orig, c.Transport.(*confluenceTransport).next)
	})
}

func TestLabelClasses(t *testing.T) {
	routes := []struct{ path, prefix, want string }{
		{"/s/secret-token", "", "link"},
		{"/share/s/secret-token/p/1", "/share", "link"},
		{"/saml/acs", "", "acs"},
		{"/saml/login/okta", "", "saml"},
		{"/metrics", "", "metrics"},
		{"/demo-idp/sso", "", "demo-idp"},
		{"/share/admin/links/L1", "/share", "admin"},
		{"/anything/alice@x.example", "", labelOther},
	}
	for _, tt := range routes {
		t.Run("route "+tt.path, func(t *testing.T) {
			assert.Equal(t, tt.want, routeClass(tt.path, tt.prefix))
		})
	}
	ops := []struct{ path, want string }{
		{"/wiki/api/v2/pages/9/labels", "labels"},
		{"/wiki/api/v2/pages/9/ancestors", "ancestors"},
		{"/wiki/api/v2/pages/9/attachments", "attachments"},
		{"/rest/api/content/9/child/attachment", "attachments"},
		{"/wiki/rest/api/content/9/restriction/byOperation/read", "restrictions"},
		{"/rest/api/space/OPS", "space"},
		{"/wiki/api/v2/spaces/77", "space"},
		{"/rest/api/content/9", "page"},
	}
	for _, tt := range ops {
		t.Run("operation "+tt.path, func(t *testing.T) {
			assert.Equal(t, tt.want, operationClass(tt.path))
		})
	}
	assert.Equal(t, "2xx", statusClass(204))
	assert.Equal(t, labelOther, statusClass(101))
	assert.Equal(t, labelOther, methodLabel("PROPFIND"))
	assert.True(t, denialReasons[share.ReasonNotInGroups.String()])
	assert.True(t, denialReasons[share.ReasonWithheld.String()])
	assert.False(t, denialReasons["invalid"])
	assert.False(t, denialReasons[share.ReasonAllowed.String()])
}

// failingTransport fails every request.
type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection refused")
}

// openMemoryStore is an in-memory store closed when the test ends.
func openMemoryStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.New(t.Context(), store.Config{DSN: "memory:"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// withID gives e the ID the share.Service would: the same each time, as
// each case has a store of its own.
func withID(e share.AuditEvent) share.AuditEvent {
	e.ID = "00000000000000000000000000000001"
	e.Time = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return e
}

// families are parsed metric families by name.
type families map[string]*dto.MetricFamily

// scrape fetches and parses the demo's /metrics.
func scrape(t *testing.T, d *demo) families {
	t.Helper()
	resp, err := http.Get(d.url("/metrics"))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return parseMetrics(t, resp.Body)
}

// gather renders m's registry as /metrics would and parses it.
func gather(t *testing.T, m *metrics) families {
	t.Helper()
	rec := httptest.NewRecorder()
	m.handler().ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(),
		http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	return parseMetrics(t, rec.Body)
}

// parseMetrics parses the Prometheus text format.
func parseMetrics(t *testing.T, r io.Reader) families {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	require.NoError(t, err)
	return fams
}

// value sums the counters of name whose labels include want.
func value(f families, name string, want map[string]string) float64 {
	var sum float64
	for _, m := range matching(f, name, want) {
		sum += m.GetCounter().GetValue()
	}
	return sum
}

// sampleCount sums the observations of the histograms of name whose labels
// include want.
func sampleCount(f families, name string, want map[string]string) uint64 {
	var n uint64
	for _, m := range matching(f, name, want) {
		n += m.GetHistogram().GetSampleCount()
	}
	return n
}

// delta is how much the counters value sums grew from before to after.
func delta(before, after families, name string, want map[string]string) float64 {
	return value(after, name, want) - value(before, name, want)
}

// matching are the series of name whose labels include want.
func matching(f families, name string, want map[string]string) []*dto.Metric {
	fam := f[name]
	if fam == nil {
		return nil
	}
	var out []*dto.Metric
	for _, m := range fam.GetMetric() {
		if hasLabels(m, want) {
			out = append(out, m)
		}
	}
	return out
}

// hasLabels reports whether m has every label of want.
func hasLabels(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// assertNoSecretLabels checks that no label value of any series contains
// one of the secrets.
func assertNoSecretLabels(t *testing.T, f families, secrets ...string) {
	t.Helper()
	for name, fam := range f {
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				for _, s := range secrets {
					assert.NotContains(t, l.GetValue(), s, "label %s of %s", l.GetName(), name)
				}
			}
		}
	}
}

// With --metrics-token, /metrics answers only requests with that bearer
// token; the other routes are unaffected.
func TestMetricsToken(t *testing.T) {
	d := startDemo(t, t.TempDir(), "--metrics-token", "s3cret-scraper")
	for _, tt := range []struct {
		name, auth string
		want       int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", http.StatusUnauthorized},
		{"token as basic auth", "Basic s3cret-scraper", http.StatusUnauthorized},
		{"token with a suffix", "Bearer s3cret-scraperX", http.StatusUnauthorized},
		{"token with a leading space", "Bearer  s3cret-scraper", http.StatusUnauthorized},
		{"right token", "Bearer s3cret-scraper", http.StatusOK},
		{"scheme in lower case", "bearer s3cret-scraper", http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, d.url("/metrics"), nil)
			require.NoError(t, err)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			b := body(t, resp)
			assert.Equal(t, tt.want, resp.StatusCode)
			if tt.want == http.StatusOK {
				assert.Contains(t, b, "secureshare_http_requests_total")
			} else {
				assert.Equal(t, `Bearer realm="metrics"`, resp.Header.Get("WWW-Authenticate"))
				assert.NotContains(t, b, "secureshare_")
			}
		})
	}
	resp, err := http.Get(d.url("/healthz"))
	require.NoError(t, err)
	_ = body(t, resp)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "health needs no token")
}
