package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"
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

// requestTimeout bounds each request's context, as WriteTimeout bounds
// its answer: a store or Confluence call that the other side never
// answers (a connection gone silent) then fails when the answer could no
// longer be sent anyway, instead of holding the request's goroutine and
// database connection until the operating system gives up on it.
const requestTimeout = 2 * time.Minute

// withDeadline gives each request's context a deadline d from now.
func withDeadline(next http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
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
