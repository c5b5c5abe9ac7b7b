package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/share"
)

// adminPasswordFile keeps the demo's generated admin password in the data
// directory, mode 0600, so that it survives restarts.
const adminPasswordFile = "admin-password"

// demoAdminUser is the admin's user name when no --admin-user is given.
const demoAdminUser = "admin"

// adminSessionLifetime is how long an admin session lasts, from sign-in.
const adminSessionLifetime = 8 * time.Hour

// adminMaxSessions bounds the session map; past it, signing in ends the
// oldest sessions first.
const adminMaxSessions = 1000

// adminCSP is the Content-Security-Policy of every admin answer: styles
// and the one script come from /admin/static, nothing is inline.
const adminCSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Failed sign-ins are limited per client address: a burst of
// adminLoginBurst, then one every adminLoginEvery; and from all addresses
// together: a burst of adminAllFailuresBurst, then one every
// adminAllFailuresEvery, so that many addresses do not buy many guesses.
const (
	adminLoginBurst       = 5
	adminLoginEvery       = 20 * time.Second
	adminAllFailuresBurst = 50
	adminAllFailuresEvery = 2 * time.Second
)

//go:embed admin.html admin.css admin.js
var adminFiles embed.FS

// adminTemplates are the admin pages. html/template escapes every value.
var adminTemplates = template.Must(template.New("admin").Funcs(template.FuncMap{
	"date": formatTime, "join": func(s []string) string { return strings.Join(s, ", ") },
	"lifetime": formatLifetime,
}).ParseFS(adminFiles, "admin.html"))

// admin serves the admin pages under the base path + "/admin/": sign-in,
// links, spaces, SP information, IdPs and the audit log. Sessions live in
// a map in this process, so they end with it and are not shared between
// instances; each carries its own CSRF token (synchronizer token).
type admin struct {
	s        *server
	user     string
	password string
	file     string // where the generated demo password is kept, or ""
	base     string // the path prefix, such as "/admin"
	origin   string // scheme://host of the base URL
	cookie   string
	path     string // the cookie's Path
	secure   bool
	mux      *http.ServeMux

	mu       sync.Mutex
	sessions map[string]*adminSession
	failures map[string]*rate.Limiter
	// allFailures limits failed sign-ins from all addresses together, so
	// that rotating addresses does not buy more guesses. It holds back
	// only addresses that have failed recently: an address with a clean
	// record is always let to try, so that failures sent from elsewhere
	// cannot lock the admin out.
	allFailures *rate.Limiter
}

// adminSession is one signed-in admin.
type adminSession struct {
	csrf    string
	expires time.Time
}

// newAdmin returns the admin pages for s, or nil when they are off: no
// --admin-password outside the demo.
func newAdmin(s *server) (*admin, error) {
	user, password, file, err := adminCredentials(s.flags)
	if err != nil || password == "" {
		return nil, err
	}
	u, err := url.Parse(s.baseURL)
	if err != nil {
		return nil, err
	}
	insecure := s.flags.insecureHTTPLoopback
	if !s.flags.insecureSet {
		insecure = isHTTPLoopback(s.baseURL)
	}

	a := &admin{s: s, user: user, password: password, file: file, base: s.prefix + "/admin",
		origin: u.Scheme + "://" + u.Host, cookie: "__Host-secureshare-admin", path: "/",
		secure: !insecure, sessions: map[string]*adminSession{},
		failures: map[string]*rate.Limiter{},
		allFailures: rate.NewLimiter(rate.Every(adminAllFailuresEvery),
			adminAllFailuresBurst)}
	if insecure {
		a.cookie, a.path = "secureshare-admin", s.prefix+"/"
	}
	a.mux = a.routes()
	return a, nil
}

// adminCredentials are the admin's user name and password from the flags,
// or, in the demo, from the data directory (generated on first start).
// An empty password means the admin pages are off.
func adminCredentials(f *serveFlags) (user, password, file string, err error) {
	user = f.adminUser
	if user == "" {
		user = demoAdminUser
	}
	switch {
	case f.adminPassword != "":
		return user, f.adminPassword, "", nil
	case f.adminUser != "":
		return "", "", "", badUsage("--admin-user needs --admin-password")
	case !f.demoWiki() || !f.demoIDP():
		return "", "", "", nil
	}
	file = filepath.Join(f.dataDir, adminPasswordFile)
	password, err = loadOrCreatePassword(file)
	if err != nil {
		return "", "", "", fmt.Errorf("admin password in %s: %w", f.dataDir, err)
	}
	return user, password, file, nil
}

// loadOrCreatePassword reads the password in path, or writes a random one
// there, mode 0600, the first time.
func loadOrCreatePassword(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err == nil && len(bytes.TrimSpace(data)) > 0 {
		return string(bytes.TrimSpace(data)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	password, err := randomString(18)
	if err != nil {
		return "", err
	}
	if err := writeFileExcl(path, []byte(password+"\n"), 0o600); err != nil {
		return "", err
	}
	return password, nil
}

// ServeHTTP implements http.Handler, with the headers every admin answer
// carries.
func (a *admin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", adminCSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	a.mux.ServeHTTP(w, r)
}

// routes are the admin pages' routes.
func (a *admin) routes() *http.ServeMux {
	m := http.NewServeMux()
	b := a.base
	m.HandleFunc("GET "+b+"/static/{file}", a.serveStatic)
	m.HandleFunc("GET "+b+"/login", a.serveLoginForm)
	m.HandleFunc("POST "+b+"/login", a.serveLogin)
	m.Handle("POST "+b+"/logout", a.auth(a.serveLogout))
	m.Handle("GET "+b+"/{$}", a.auth(func(w http.ResponseWriter, r *http.Request, _ *adminView) {
		http.Redirect(w, r, a.base+"/links", http.StatusSeeOther)
	}))
	a.linkRoutes(m)
	a.spaceRoutes(m)
	a.infoRoutes(m)
	a.idpRoutes(m)
	return m
}

// adminView is what every admin page shows around its content.
type adminView struct {
	Title string
	Base  string
	CSRF  string
	User  string
	Nav   string
	Error string
	Data  any
}

// auth runs h for a signed-in admin. Without a session, a GET is sent to
// the sign-in page and anything else is refused. A POST must come from our
// origin (when the browser says) and carry the session's CSRF token.
func (a *admin) auth(h func(http.ResponseWriter, *http.Request, *adminView)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := a.session(r)
		if sess == nil && r.Method == http.MethodGet {
			http.Redirect(w, r, a.base+"/login", http.StatusSeeOther)
			return
		}
		if sess == nil {
			a.forbidden(w, r, "You are not signed in.")
			return
		}
		if r.Method != http.MethodGet {
			if !a.sameOrigin(r) {
				a.forbidden(w, r, "The form was sent from another site.")
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, adminMaxForm)
			if err := parseAdminForm(r); err != nil {
				var tooLarge *http.MaxBytesError
				if errors.As(err, &tooLarge) {
					a.render(w, r, http.StatusRequestEntityTooLarge, "message", &adminView{
						Title: "Too large", Base: a.base, Error: fmt.Sprintf(
							"The form is larger than %d MiB; metadata can be at most %d MiB.",
							adminMaxForm>>20, idp.DefaultMaxMetadataSize>>20)})
					return
				}
				a.forbidden(w, r, "The form could not be read; reload the page and try again.")
				return
			}
			got := r.PostFormValue("csrf")
			if subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) != 1 {
				a.forbidden(w, r, "The form has expired; reload the page and try again.")
				return
			}
		}
		h(w, r, &adminView{Base: a.base, CSRF: sess.csrf, User: a.user})
	})
}

// adminMaxForm bounds an admin form: room for the largest metadata the idp
// package reads (idp.DefaultMaxMetadataSize), pasted and URL-encoded.
const adminMaxForm = 3 * idp.DefaultMaxMetadataSize

// parseAdminForm reads a urlencoded or multipart form.
func parseAdminForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(adminMaxForm)
	}
	return r.ParseForm()
}

// authenticated reports whether r carries a live admin session.
func (a *admin) authenticated(r *http.Request) bool {
	return a != nil && a.session(r) != nil
}

// session is the live session r's cookie names, or nil.
func (a *admin) session(r *http.Request) *adminSession {
	c, err := r.Cookie(a.cookie)
	if err != nil || c.Value == "" {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	sess := a.sessions[c.Value]
	if sess == nil || time.Now().After(sess.expires) {
		delete(a.sessions, c.Value)
		return nil
	}
	return sess
}

// sameOrigin reports whether r's Origin header, if any, is our origin.
//
// Browsers send Sec-Fetch-Site, which pages cannot forge, and it decides.
// They also send "Origin: null" for forms of pages served with
// Referrer-Policy: no-referrer, as ours are, so Origin is the fallback
// only for clients that send no Sec-Fetch-Site; those (scripts, curl)
// carry no victim's cookies, and every form but sign-in also needs the
// session's CSRF token.
func (a *admin) sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" {
		return s == "same-origin"
	}
	o := r.Header.Get("Origin")
	return o == "" || o == a.origin
}

// serveLoginForm shows the sign-in form.
func (a *admin) serveLoginForm(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "login", &adminView{Title: "Sign in", Base: a.base})
}

// serveLogin checks the user name and password and starts a session.
// Failures are limited per client address, and for addresses that have
// failed recently also all together (see allFailures).
func (a *admin) serveLogin(w http.ResponseWriter, r *http.Request) {
	v := &adminView{Title: "Sign in", Base: a.base}
	if !a.sameOrigin(r) {
		a.forbidden(w, r, "The form was sent from another site.")
		return
	}
	lim := a.failureLimiter(r)
	clean := lim.Tokens() >= adminLoginBurst
	if lim.Tokens() < 1 || (!clean && a.allFailures.Tokens() < 1) {
		v.Error = "Too many failed sign-ins. Wait a minute and try again."
		a.render(w, r, http.StatusTooManyRequests, "login", v)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !a.checkPassword(r.PostFormValue("user"), r.PostFormValue("password")) {
		lim.Allow()
		a.allFailures.Allow()
		a.s.log.WarnContext(r.Context(), "admin sign-in failed",
			slog.String("client", a.s.clientIP(r)))
		a.audit(r, share.EventAdminSignInFailed, "from "+a.s.clientIP(r))
		v.Error = "Wrong user name or password."
		a.render(w, r, http.StatusUnauthorized, "login", v)
		return
	}

	id, err := a.newSession()
	if err != nil {
		a.fail(w, r, "starting an admin session", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: a.cookie, Value: id, Path: a.path,
		MaxAge: int(adminSessionLifetime / time.Second), HttpOnly: true, Secure: a.secure,
		SameSite: http.SameSiteStrictMode})
	a.s.log.InfoContext(r.Context(), "admin signed in", slog.String("user", a.user))
	a.audit(r, share.EventAdminSignedIn, "from "+a.s.clientIP(r))
	http.Redirect(w, r, a.base+"/links", http.StatusSeeOther)
}

// checkPassword compares user and password with the configured ones in
// constant time (of their hashes, so lengths do not show either).
func (a *admin) checkPassword(user, password string) bool {
	hu, wu := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(a.user))
	hp, wp := sha256.Sum256([]byte(password)), sha256.Sum256([]byte(a.password))
	return subtle.ConstantTimeCompare(hu[:], wu[:])&subtle.ConstantTimeCompare(hp[:], wp[:]) == 1
}

// audit records an admin event, logging rather than failing when the
// store cannot keep it.
func (a *admin) audit(r *http.Request, kind share.EventKind, detail string) {
	actor := a.user
	if kind == share.EventAdminSignInFailed {
		actor = "" // whoever tried is not known, and need not be the admin
	}
	err := a.s.svc.Record(r.Context(), share.AuditEvent{Kind: kind, Actor: actor,
		Detail: detail})
	if err != nil {
		a.s.log.ErrorContext(r.Context(), "recording an admin event", slog.Any("error", err))
	}
}

// failureLimiter is the failed sign-in limiter of r's client.
func (a *admin) failureLimiter(r *http.Request) *rate.Limiter {
	key := a.s.clientIP(r)
	a.mu.Lock()
	defer a.mu.Unlock()
	lim := a.failures[key]
	if lim == nil {
		if len(a.failures) > 10000 {
			// Forget the clients that have their whole allowance back;
			// those still limited stay limited.
			for k, l := range a.failures {
				if l.Tokens() >= adminLoginBurst {
					delete(a.failures, k)
				}
			}
		}
		lim = rate.NewLimiter(rate.Every(adminLoginEvery), adminLoginBurst)
		a.failures[key] = lim
	}
	return lim
}

// newSession starts a session with a random ID and CSRF token.
func (a *admin) newSession() (string, error) {
	id, err := randomString(32)
	if err != nil {
		return "", err
	}
	csrf, err := randomString(32)
	if err != nil {
		return "", err
	}
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, sess := range a.sessions {
		if now.After(sess.expires) || len(a.sessions) >= adminMaxSessions {
			delete(a.sessions, k)
		}
	}
	a.sessions[id] = &adminSession{csrf: csrf, expires: now.Add(adminSessionLifetime)}
	return id, nil
}

// serveLogout ends the session.
func (a *admin) serveLogout(w http.ResponseWriter, r *http.Request, _ *adminView) {
	if c, err := r.Cookie(a.cookie); err == nil {
		a.mu.Lock()
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: a.cookie, Value: "", Path: a.path, MaxAge: -1,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode})
	a.audit(r, share.EventAdminSignedOut, "")
	http.Redirect(w, r, a.base+"/login", http.StatusSeeOther)
}

// serveStatic serves the embedded style sheet and script.
func (a *admin) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	types := map[string]string{"admin.css": "text/css; charset=utf-8",
		"admin.js": "text/javascript; charset=utf-8"}
	ct, ok := types[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	data, err := adminFiles.ReadFile(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(data)
}

// render writes the page name with v.
func (a *admin) render(w http.ResponseWriter, r *http.Request, status int, name string,
	v *adminView) {
	var buf bytes.Buffer
	if err := adminTemplates.ExecuteTemplate(&buf, name, v); err != nil {
		a.fail(w, r, "rendering admin page "+name, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// forbidden answers 403 with a short page.
func (a *admin) forbidden(w http.ResponseWriter, r *http.Request, msg string) {
	a.render(w, r, http.StatusForbidden, "message", &adminView{Title: "Refused", Base: a.base,
		Error: msg})
}

// fail logs err and answers 500 without details.
func (a *admin) fail(w http.ResponseWriter, r *http.Request, doing string, err error) {
	a.s.log.ErrorContext(r.Context(), "admin: "+doing, slog.Any("error", err))
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// isAdmin reports whether r comes from a signed-in admin; it is
// sharehttp's AllowTestLogin.
func (s *server) isAdmin(r *http.Request) bool {
	return s.admin.authenticated(r)
}

// mountAdmin mounts the admin pages, or a 404 when they are off.
func (s *server) mountAdmin(m *http.ServeMux) {
	if s.admin == nil {
		m.Handle(s.prefix+"/admin/", http.NotFoundHandler())
		return
	}
	m.Handle(s.prefix+"/admin/", s.admin)
}

// printAdminBanner says where the admin pages are and, in the demo, how
// to sign in.
func (s *server) printAdminBanner(w io.Writer) {
	a := s.admin
	switch {
	case a == nil:
		fmt.Fprintf(w, "\nAdmin pages: off (set --admin-user and --admin-password)\n")
	case a.file != "":
		fmt.Fprintf(w, "\nAdmin pages: %s/admin/\n  user      %s\n  password  %s  (kept in %s)\n",
			s.baseURL, a.user, a.password, a.file)
	default:
		fmt.Fprintf(w, "\nAdmin pages: %s/admin/ (user %s)\n", s.baseURL, a.user)
	}
}

// clientIP is the IP address of r's client.
//
// With --client-ip-header it is the last address in that header, which
// the reverse proxy in front of us appended; addresses before it came from
// the client and prove nothing. Without the header, or when its last value
// is not an address, it is the connection's address.
func (s *server) clientIP(r *http.Request) string {
	if name := s.flags.clientIPHeader; name != "" {
		if vs := r.Header.Values(name); len(vs) > 0 {
			last := vs[len(vs)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip := net.ParseIP(strings.TrimSpace(last)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// randomString is n random bytes, base64url-encoded.
func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// formatTime writes t in UTC to the minute, or "never" for zero.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// formatLifetime writes d in days when it is whole days, or "none".
func formatLifetime(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// parseLifetime reads "30d", "12h" or "90m"; empty is zero. A lifetime
// typed as zero is refused: for a link it would read as "never expires".
func parseLifetime(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || strconv.Itoa(days) != n {
			return 0, fmt.Errorf("%q is not a number of days such as 30d", s)
		}
		if days > maxLifetimeDays {
			return 0, fmt.Errorf("%q is more than %d days (ten years)", s, maxLifetimeDays)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		d, err = time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%q is not a lifetime such as 30d or 12h", s)
		}
		if d > maxLifetimeDays*24*time.Hour {
			return 0, fmt.Errorf("%q is more than %d days (ten years)", s, maxLifetimeDays)
		}
	}
	if d == 0 {
		return 0, fmt.Errorf("%q is no time at all; leave the field empty for none", s)
	}
	return d, nil
}

// maxLifetimeDays bounds the lifetimes an admin types, far below where a
// time.Duration overflows.
const maxLifetimeDays = 3653
