package confluencetest

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The credentials a [Server] accepts when its [Config] leaves them empty.
const (
	DefaultEmail       = "reader@example.com"
	DefaultAPIToken    = "cloud-api-token"
	DefaultAccessToken = "oauth-access-token"
	DefaultPAT         = "dc-personal-access-token"
	DefaultCloudID     = "a436116f-02ce-4520-8fbb-7301462a1674"
)

// Config sets up a [Server]. The zero value accepts the Default
// credentials, refuses anonymous access and pages lists by 25.
type Config struct {
	// Email and APIToken are the Basic credentials Cloud paths accept.
	Email, APIToken string

	// AccessToken is the Bearer token the Cloud gateway paths
	// (/ex/confluence/{CloudID}/wiki/...) accept.
	AccessToken string

	// CloudID is the cloud ID in gateway paths.
	CloudID string

	// PAT is the Bearer personal access token Data Center paths accept.
	PAT string

	// AnonymousAccess makes Data Center paths answer requests with a
	// missing or wrong token as the anonymous user, as a real Data Center
	// does when anonymous access is on, instead of refusing them with 401.
	AnonymousAccess bool

	// PageSize is the default and the largest number of results in one
	// list answer. Zero means 25.
	PageSize int

	// LinkHeaderOnly makes Cloud list answers carry the next cursor only
	// in the Link header, not in _links.next.
	LinkHeaderOnly bool

	// ContextPath serves Data Center below a context path, such as
	// "/confluence", as many installations do; "" serves it at the root.
	// Cloud paths are not affected.
	ContextPath string
}

// Space is a space in the fake's model.
type Space struct {
	// ID is the numeric space ID, as a string; Data Center answers it as
	// a number.
	ID string

	// Key and Name are the space key and display name.
	Key, Name string

	// HomePageID is the ID of the space's home page.
	HomePageID string
}

// Page is a page in the fake's model.
type Page struct {
	// ID is the numeric page ID, as a string.
	ID string

	// SpaceKey is the key of the page's space, and Title its title.
	SpaceKey, Title string

	// ParentID is the parent page, "" for a top-level page.
	ParentID string

	// Status is current, draft, archived or trashed; "" means current.
	Status string

	// Version is the version number; 0 means 1.
	Version int

	// Labels are label names.
	Labels []string

	// Restricted gives the page a read restriction of its own (for one
	// user), as Confluence's page restrictions do.
	Restricted bool

	// Body is the rendered (view) HTML.
	Body string
}

// Attachment is a file attached to a page in the fake's model.
type Attachment struct {
	// ID is the attachment ID, such as "att123".
	ID string

	// PageID is the page it is attached to.
	PageID string

	// Title is the file name; MediaType its content type.
	Title, MediaType string

	// Data is the file's content.
	Data []byte
}

// Fault makes the fake misbehave for matching requests.
type Fault struct {
	// PathContains limits the fault to request paths containing it; ""
	// matches every request.
	PathContains string

	// Times is how many matching requests get the fault; 0 means 1.
	Times int

	// Delay holds the answer back, until it passes or the client gives
	// up. Use it with a short client deadline to test timeouts.
	Delay time.Duration

	// Status, when not 0, is answered instead of the real answer, with
	// the flavour's error envelope.
	Status int

	// RetryAfter and RateLimitReset, when set, are sent as the
	// Retry-After and X-RateLimit-Reset headers.
	RetryAfter, RateLimitReset string

	// Disconnect drops the connection without answering, as a crashed
	// proxy would.
	Disconnect bool
}

// Request is one request the fake served.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the URL path as received, gateway prefix included.
	Path string
	// RawQuery is the query string, without "?".
	RawQuery string
	// Auth is the authentication scheme used: "Basic", "Bearer" or "".
	Auth string
	// Status is the status code answered.
	Status int
}

// Server is an in-memory Confluence serving Cloud REST v2 (and the v1
// calls the SDK makes on Cloud) under /wiki and Data Center REST v1 under
// /rest and /download, with the JSON field names and error envelopes that
// Atlassian documents. It is an http.Handler and is safe for concurrent
// use; the model may be changed while it serves.
type Server struct {
	cfg Config
	mux *http.ServeMux

	mu       sync.Mutex
	spaces   []Space
	pages    map[string]Page
	order    []string // page IDs in insertion order, for child order
	atts     []Attachment
	faults   []Fault
	requests []Request
}

// NewServer returns an empty fake Confluence.
func NewServer(cfg Config) *Server {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&cfg.Email, DefaultEmail)
	def(&cfg.APIToken, DefaultAPIToken)
	def(&cfg.AccessToken, DefaultAccessToken)
	def(&cfg.CloudID, DefaultCloudID)
	def(&cfg.PAT, DefaultPAT)
	if cfg.PageSize <= 0 {
		cfg.PageSize = 25
	}
	s := &Server{cfg: cfg, pages: map[string]Page{}, mux: http.NewServeMux()}
	s.routeCloud()
	s.routeDataCenter()
	return s
}

// Start serves s over TLS on a local port until the test ends. Use the
// returned server's URL and Client(). Outside a test (a demo, say), serve
// it with httptest.NewTLSServer(s) yourself: the confluence clients refuse
// a plain-http base URL.
func Start(tb testing.TB, s *Server) *httptest.Server {
	tb.Helper()
	ts := httptest.NewTLSServer(s)
	tb.Cleanup(ts.Close)
	return ts
}

// CloudGatewayPath is the path prefix, below the server URL, under which s
// serves Cloud as api.atlassian.com/ex/confluence/{cloudId} does.
func (s *Server) CloudGatewayPath() string { return "/ex/confluence/" + s.cfg.CloudID }

// AddSpace adds or replaces a space.
func (s *Server) AddSpace(sp Space) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spaces = slices.DeleteFunc(s.spaces, func(o Space) bool { return o.Key == sp.Key })
	s.spaces = append(s.spaces, sp)
}

// AddPage adds or replaces a page.
func (s *Server) AddPage(p Page) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Status == "" {
		p.Status = "current"
	}
	if p.Version == 0 {
		p.Version = 1
	}
	if _, ok := s.pages[p.ID]; !ok {
		s.order = append(s.order, p.ID)
	}
	s.pages[p.ID] = p
}

// AddAttachment adds an attachment.
func (s *Server) AddAttachment(a Attachment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.atts = append(s.atts, a)
}

// Inject queues a fault. Faults are tried in the order injected.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, f)
}

// Requests returns a copy of the requests served so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ResetRequests forgets the requests served so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

type ctxKey struct{}

// reqInfo is what ServeHTTP learnt about a request before routing it.
type reqInfo struct {
	prefix    string // gateway prefix or Data Center context path
	anonymous bool
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() { s.record(r, rec.status) }()

	// Tomcat (Data Center) refuses encoded slashes and backslashes in a
	// path with a bare 400 before Confluence sees the request; so do we,
	// rather than decode them into path segments.
	if escapedSeparator(r.URL.EscapedPath()) {
		http.Error(rec, "Bad Request", http.StatusBadRequest)
		return
	}

	info := reqInfo{}
	path := r.URL.Path
	cloud, gateway := strings.HasPrefix(path, "/wiki/"), false
	if gw := s.CloudGatewayPath(); strings.HasPrefix(path, gw+"/wiki/") {
		info.prefix, path, cloud, gateway = gw, strings.TrimPrefix(path, gw), true, true
	}
	if cp := s.cfg.ContextPath; !cloud && cp != "" {
		rest, ok := strings.CutPrefix(path, cp)
		if !ok || !strings.HasPrefix(rest, "/") {
			writeError(rec, path, http.StatusNotFound, "")
			return
		}
		info.prefix, path = cp, rest
	}

	if !s.authorized(r, cloud, gateway) {
		if cloud || !s.cfg.AnonymousAccess {
			writeError(rec, path, http.StatusUnauthorized, "")
			return
		}
		info.anonymous = true
	}
	if !s.fault(rec, r, path) {
		return
	}

	r2 := r.Clone(context.WithValue(r.Context(), ctxKey{}, info))
	r2.URL.Path, r2.URL.RawPath = path, ""
	s.mux.ServeHTTP(rec, r2)
}

// authorized checks the credentials the path's flavour expects.
func (s *Server) authorized(r *http.Request, cloud, gateway bool) bool {
	h := r.Header.Get("Authorization")
	switch {
	case gateway:
		return equal(h, "Bearer "+s.cfg.AccessToken)
	case cloud:
		cred := base64.StdEncoding.EncodeToString([]byte(s.cfg.Email + ":" + s.cfg.APIToken))
		return equal(h, "Basic "+cred)
	}
	return equal(h, "Bearer "+s.cfg.PAT)
}

// fault applies the first matching fault and reports whether the request
// should still be served normally.
func (s *Server) fault(w http.ResponseWriter, r *http.Request, path string) bool {
	s.mu.Lock()
	var f *Fault
	for i := range s.faults {
		if s.faults[i].Times > 0 && strings.Contains(r.URL.Path, s.faults[i].PathContains) {
			s.faults[i].Times--
			c := s.faults[i]
			f = &c
			break
		}
	}
	s.mu.Unlock()
	if f == nil {
		return true
	}

	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			// The client gave up: drop the connection rather than
			// finish an empty answer.
			disconnect(w)
			return false
		}
	}
	if f.Disconnect {
		disconnect(w)
		return false
	}
	if f.Status == 0 {
		return true
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.RateLimitReset != "" {
		w.Header().Set("X-RateLimit-Reset", f.RateLimitReset)
	}
	writeError(w, path, f.Status, "")
	return false
}

func (s *Server) record(r *http.Request, status int) {
	auth, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path,
		RawQuery: r.URL.RawQuery, Auth: auth, Status: status})
}

// page returns a page of the model.
func (s *Server) page(id string) (Page, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pages[id]
	return p, ok
}

// ancestors returns a page's ancestors, top first.
func (s *Server) ancestors(p Page) []Page {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Page
	for id, seen := p.ParentID, 0; id != "" && seen < 100; seen++ {
		a, ok := s.pages[id]
		if !ok {
			break
		}
		out = append(out, a)
		id = a.ParentID
	}
	slices.Reverse(out)
	return out
}

// children returns the pages under parentID that Confluence lists as
// children: current and archived ones, not drafts or trashed pages.
func (s *Server) children(parentID string) []Page {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Page
	for _, id := range s.order {
		p := s.pages[id]
		if p.ParentID == parentID && (p.Status == "current" || p.Status == "archived") {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) spaceBy(match func(Space) bool) (Space, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sp := range s.spaces {
		if match(sp) {
			return sp, true
		}
	}
	return Space{}, false
}

func (s *Server) attachments(pageID string) []Attachment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Attachment
	for _, a := range s.atts {
		if a.PageID == pageID {
			out = append(out, a)
		}
	}
	return out
}

// serveDownload streams an attachment by page ID and file name.
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request) {
	for _, a := range s.attachments(r.PathValue("page")) {
		if a.Title == r.PathValue("name") {
			w.Header().Set("Content-Type", a.MediaType)
			http.ServeContent(w, r, a.Title, time.Time{}, strings.NewReader(string(a.Data)))
			return
		}
	}
	writeError(w, r.URL.Path, http.StatusNotFound, "")
}

func info(r *http.Request) reqInfo {
	i, _ := r.Context().Value(ctxKey{}).(reqInfo)
	return i
}

// writeError answers with the error envelope of the path's API: Cloud v2
// {"errors":[...]}, or v1's {statusCode, data, message, reason}.
// escapedSeparator reports whether an escaped path holds %2F or %5C.
func escapedSeparator(p string) bool {
	p = strings.ToUpper(p)
	return strings.Contains(p, "%2F") || strings.Contains(p, "%5C")
}

func writeError(w http.ResponseWriter, path string, status int, message string) {
	if strings.HasPrefix(path, "/wiki/api/v2/") {
		writeJSON(w, status, map[string]any{"errors": []any{map[string]any{
			"status": status, "code": strings.ToUpper(strings.ReplaceAll(
				http.StatusText(status), " ", "_")),
			"title": http.StatusText(status), "detail": nil,
		}}})
		return
	}
	if message == "" {
		message = http.StatusText(status)
	}
	writeJSON(w, status, map[string]any{
		"statusCode": status,
		"data": map[string]any{"authorized": status != http.StatusUnauthorized,
			"valid": true, "allowedInReadOnlyMode": true, "errors": []any{},
			"successful": false},
		"message": message,
		"reason":  http.StatusText(status),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// disconnect closes the connection under w without an answer.
func disconnect(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
	}
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

type statusRecorder struct {
	http.ResponseWriter
	status int
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// WriteHeader records the status and passes it on.
func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
