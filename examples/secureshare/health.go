package main

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readyTimeout bounds the store check of /readyz.
const readyTimeout = 2 * time.Second

// serveHealthz answers 200 while the process serves at all.
func (s *server) serveHealthz(w http.ResponseWriter, r *http.Request) {
	plain(w, http.StatusOK, "ok")
}

// serveReadyz answers 200 when the store answers a read, 503 otherwise.
func (s *server) serveReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if _, err := s.svc.SpaceSettings(ctx, "READYZ"); err != nil {
		s.log.WarnContext(ctx, "readiness check failed", slog.Any("error", err))
		plain(w, http.StatusServiceUnavailable, "store unavailable")
		return
	}
	plain(w, http.StatusOK, "ready")
}

// plain writes a one-line text answer.
func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

// accessLog logs each request with its status and duration. Link tokens
// in the path are replaced, and query strings (which carry SAML messages)
// are left out.
func (s *server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		switch routeClass(r.URL.Path, s.prefix) {
		case "healthz", "readyz", "metrics":
			level = slog.LevelDebug
		}
		s.log.Log(r.Context(), level, "request", slog.String("method", r.Method),
			slog.String("path", redactToken(r.URL.Path, s.prefix)),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
	})
}

// redactToken replaces the token in a link path (prefix/s/{token}/...).
func redactToken(path, prefix string) string {
	rest, ok := strings.CutPrefix(path, prefix+"/s/")
	if !ok || rest == "" {
		return path
	}
	_, tail, _ := strings.Cut(rest, "/")
	if tail != "" {
		tail = "/" + tail
	}
	return prefix + "/s/<token>" + tail
}

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
	}
	return "other"
}

// metrics are the Prometheus metrics of the server, in a registry of its
// own so that several servers (in tests) do not collide.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	prefix   string
}

// newMetrics registers the request metrics and the Go and process
// collectors.
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
	m.reg.MustRegister(m.requests, m.duration, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// handler serves the metrics in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// wrap counts and times each request.
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

// statusWriter records the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the status and passes it on.
func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
