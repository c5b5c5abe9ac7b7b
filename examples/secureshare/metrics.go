package main

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/share"
)

const (
	// labelOther is the label value of anything outside a label's known set,
	// so that no metric grows a series per email, token or path.
	labelOther = "other"

	// confluenceTimeout bounds a Confluence request when the client is ours,
	// as the confluence package's own default client does.
	confluenceTimeout = 30 * time.Second

	// loginErrorReason is the Reason of a failed login that no saml check
	// refused (see share.Service.RecordLoginFailure).
	loginErrorReason = "error"
)

// confluenceBuckets are the latency buckets of Confluence calls, in
// seconds, up to confluenceTimeout.
var confluenceBuckets = []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// metrics are the Prometheus metrics of the server, in a registry of its
// own so that several servers (in tests) do not collide. Every label takes
// its values from a fixed set: route classes, status codes, audit event
// kinds, share.Reason names, saml check names and Confluence operation
// classes; never emails, link IDs, tokens or paths.
type metrics struct {
	reg    *prometheus.Registry
	prefix string

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	events       *prometheus.CounterVec
	auditErrors  prometheus.Counter
	logins       prometheus.Counter
	loginsFailed *prometheus.CounterVec
	opens        prometheus.Counter
	denials      *prometheus.CounterVec
	logouts      prometheus.Counter

	confluenceCalls    *prometheus.CounterVec
	confluenceDuration *prometheus.HistogramVec
}

// newMetrics registers the request, audit and Confluence metrics and the
// Go and process collectors.
func newMetrics(prefix string) *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), prefix: prefix,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "secureshare_http_requests_total",
			Help: "HTTP requests answered, by route class and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "secureshare_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route class.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	m.newAuditMetrics()
	m.newConfluenceMetrics()
	m.reg.MustRegister(m.requests, m.duration, m.events, m.auditErrors, m.logins,
		m.loginsFailed, m.opens, m.denials, m.logouts, m.confluenceCalls,
		m.confluenceDuration, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// handler serves the metrics in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// bearerOnly serves next only to requests that carry token as a bearer
// token, compared in constant time, and answers 401 to the others; an
// empty token lets every request through.
func bearerOnly(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The scheme's name is case-insensitive (RFC 9110, section 11.1).
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") ||
			subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the bearer token given by --metrics-token",
				http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// wrap counts and times each request. The code label is bounded because
// net/http refuses status codes outside 100-999.
func (m *metrics) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		route := routeClass(r.URL.Path, m.prefix)
		m.requests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// countAudit returns st with AppendAudit counting each event it stored,
// for the share.Service to write through: every login, denial, link open
// and logout the SDK records is counted, and nothing else is.
func (m *metrics) countAudit(st share.Store) share.Store {
	return &auditCounter{Store: st, m: m}
}

// confluenceClient returns a copy of base whose transport counts and
// times each request. A nil base stands for a client with a
// confluenceTimeout timeout, and a nil Transport for
// http.DefaultTransport.
func (m *metrics) confluenceClient(base *http.Client) *http.Client {
	c := &http.Client{Timeout: confluenceTimeout}
	if base != nil {
		c = new(http.Client)
		*c = *base
	}
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = &confluenceTransport{next: next, m: m}
	return c
}

// newAuditMetrics creates the counters of audited decisions, with a zero
// series for every known denial reason and failed check.
func (m *metrics) newAuditMetrics() {
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "secureshare_audit_events_total",
		Help: "Audit events stored, by kind.",
	}, []string{"kind"})
	m.auditErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "secureshare_audit_append_errors_total",
		Help: "Audit events the store failed to keep.",
	})
	m.logins = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "secureshare_logins_succeeded_total",
		Help: "Viewer sessions started after a valid SAML login.",
	})
	m.loginsFailed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "secureshare_logins_failed_total",
		Help: "SAML logins refused, by the validation check that failed.",
	}, []string{"check"})
	m.opens = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "secureshare_link_opens_total",
		Help: "Shared pages a viewer was allowed to see.",
	})
	m.denials = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "secureshare_link_denials_total",
		Help: "Viewers refused a shared page, by policy reason.",
	}, []string{"reason"})
	m.logouts = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "secureshare_logouts_total",
		Help: "Logouts and Single Logout requests that ended sessions.",
	})
	for r := range denialReasons {
		m.denials.WithLabelValues(r)
	}
	for c := range loginChecks {
		m.loginsFailed.WithLabelValues(c)
	}
}

// newConfluenceMetrics creates the metrics of calls to Confluence.
func (m *metrics) newConfluenceMetrics() {
	m.confluenceCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "secureshare_confluence_requests_total",
		Help: "HTTP requests sent to Confluence, retries included, by operation, " +
			"method and status class (2xx, 3xx, 4xx, 429, 5xx, error).",
	}, []string{"operation", "method", "status"})
	m.confluenceDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "secureshare_confluence_request_duration_seconds",
		Help: "Time from sending a request to Confluence to its answer's " +
			"headers, by operation.",
		Buckets: confluenceBuckets,
	}, []string{"operation"})
}

// countEvent counts one stored audit event.
func (m *metrics) countEvent(e share.AuditEvent) {
	m.events.WithLabelValues(kindLabel(e.Kind)).Inc()
	switch e.Kind {
	case share.EventLoginSucceeded:
		m.logins.Inc()
	case share.EventLoginFailed:
		m.loginsFailed.WithLabelValues(known(loginChecks, e.Reason)).Inc()
	case share.EventLinkOpened:
		m.opens.Inc()
	case share.EventLinkDenied:
		m.denials.WithLabelValues(known(denialReasons, e.Reason)).Inc()
	case share.EventLogout:
		m.logouts.Inc()
	}
}

// auditCounter is a share.Store whose AppendAudit counts the events it
// stored. It is safe for concurrent use when the store it wraps is.
type auditCounter struct {
	share.Store
	m *metrics
}

// AppendAudit stores e and then counts it; an event the store refused is
// counted only as an append error.
func (s *auditCounter) AppendAudit(ctx context.Context, e share.AuditEvent) error {
	if err := s.Store.AppendAudit(ctx, e); err != nil {
		s.m.auditErrors.Inc()
		return err
	}
	s.m.countEvent(e)
	return nil
}

// confluenceTransport counts and times the requests to Confluence. The
// time is to the answer's headers: a body read later is not included.
type confluenceTransport struct {
	next http.RoundTripper
	m    *metrics
}

// RoundTrip sends r through the wrapped transport and records the answer.
func (t *confluenceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	op := operationClass(r.URL.Path)
	status := "error"
	if err == nil {
		status = statusClass(resp.StatusCode)
	}
	t.m.confluenceCalls.WithLabelValues(op, methodLabel(r.Method), status).Inc()
	t.m.confluenceDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	return resp, err
}

// CloseIdleConnections passes the call on to the wrapped transport.
func (t *confluenceTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// denialReasons are the names of share.Reason values, the Reason of a
// link.denied event.
var denialReasons = reasonNames()

// loginChecks are the Reason values of a login.failed event: a saml check
// or loginErrorReason.
var loginChecks = setOf(loginErrorReason, string(saml.CheckSize),
	string(saml.CheckEncoding), string(saml.CheckXML), string(saml.CheckSchema),
	string(saml.CheckVersion), string(saml.CheckStatus), string(saml.CheckDestination),
	string(saml.CheckIssuer), string(saml.CheckSignature), string(saml.CheckAlgorithm),
	string(saml.CheckCertificate), string(saml.CheckDecryption),
	string(saml.CheckInResponseTo), string(saml.CheckUnsolicited),
	string(saml.CheckAudience), string(saml.CheckNotBefore),
	string(saml.CheckNotOnOrAfter), string(saml.CheckIssueInstant),
	string(saml.CheckSubjectConfirm), string(saml.CheckRecipient),
	string(saml.CheckReplay), string(saml.CheckMetadata),
	string(saml.CheckMetadataExpired))

// eventKinds are the kinds of audit events there are, as a set.
var eventKinds = func() map[string]bool {
	s := make(map[string]bool, len(auditKinds))
	for _, k := range auditKinds {
		s[string(k)] = true
	}
	return s
}()

// reasonNames collects the String of every share.Reason but
// ReasonAllowed, up to the first that share calls "invalid".
func reasonNames() map[string]bool {
	names := map[string]bool{}
	for r := share.Reason(0); r < 255 && r.String() != "invalid"; r++ {
		if r != share.ReasonAllowed {
			names[r.String()] = true
		}
	}
	return names
}

// setOf is a set of the values.
func setOf(values ...string) map[string]bool {
	s := make(map[string]bool, len(values))
	for _, v := range values {
		s[v] = true
	}
	return s
}

// known is v when the set holds it and labelOther otherwise.
func known(set map[string]bool, v string) string {
	if set[v] {
		return v
	}
	return labelOther
}

// kindLabel is the label value of an audit event kind.
func kindLabel(k share.EventKind) string { return known(eventKinds, string(k)) }

// routeClass groups paths into few label values for metrics.
func routeClass(path, prefix string) string {
	p := strings.TrimPrefix(path, prefix)
	switch {
	case p == "/healthz" || p == "/readyz" || p == "/metrics":
		return strings.TrimPrefix(p, "/")
	case p == "/saml/acs":
		return "acs"
	case strings.HasPrefix(p, "/saml/"):
		return "saml"
	case strings.HasPrefix(p, "/s/"):
		return "link"
	case strings.HasPrefix(p, demoIDPPath+"/"):
		return "demo-idp"
	case strings.HasPrefix(p, "/admin/"):
		return "admin"
	}
	return labelOther
}

// operationClass names the Confluence operation of a REST path, Cloud
// (v2, with v1 restrictions) or Data Center (v1), without any ID in it.
func operationClass(path string) string {
	switch {
	case strings.Contains(path, "/download/"):
		return "download"
	case strings.Contains(path, "/restriction"):
		return "restrictions"
	case strings.HasSuffix(path, "/children"), strings.HasSuffix(path, "/child/page"):
		return "children"
	case strings.HasSuffix(path, "/attachments"), strings.HasSuffix(path, "/child/attachment"):
		return "attachments"
	case strings.HasSuffix(path, "/ancestors"):
		return "ancestors"
	case strings.HasSuffix(path, "/labels"):
		return "labels"
	case strings.Contains(path, "/user/"):
		return "user"
	case strings.Contains(path, "/spaces"), strings.Contains(path, "/space/"):
		return "space"
	case strings.Contains(path, "/pages/"), strings.Contains(path, "/content/"):
		return "page"
	}
	return labelOther
}

// statusClass is 2xx, 3xx, 4xx, 429 or 5xx, or labelOther.
func statusClass(code int) string {
	switch {
	case code == http.StatusTooManyRequests:
		return "429"
	case code >= 200 && code < 600:
		return strconv.Itoa(code/100) + "xx"
	}
	return labelOther
}

// methodLabel is the method when it is a common one, and labelOther
// otherwise.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete:
		return m
	}
	return labelOther
}
