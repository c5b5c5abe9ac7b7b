package sharehttp

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"sort"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/share"
)

// retryAfter is the Retry-After, in seconds, of an answer given while the
// store is unavailable.
const retryAfter = "5"

// pageData is what every page template reads.
type pageData struct {
	Nonce    string
	Prefix   string
	Title    string
	Message  string
	Viewer   string
	Body     template.HTML
	Stale    bool
	Home     string
	Crumbs   []choice
	Children []choice
	Choices  []choice
	Report   template.HTML
}

// choice is a named link.
type choice struct {
	Name string
	URL  string
}

//go:embed pages.html
var pageFiles embed.FS

// pages holds every page. Values are escaped by html/template; the page
// body is the sanitiser's output. No template has inline script.
var pages = template.Must(template.New("pages").ParseFS(pageFiles, "pages.html"))

// render writes a page with its status. Rendering happens into a buffer,
// so a template error never leaves half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string,
	data pageData) {
	data.Nonce, data.Prefix = nonceOf(r), h.prefix
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		h.errorf(r, "rendering "+name, err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// message writes a page with a title and a sentence.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, title,
	msg string) {
	h.render(w, r, status, "message", pageData{Title: title, Message: msg})
}

// fail logs an unexpected error and shows a generic page: 503 with
// Retry-After when the store is unavailable for the moment, 500 otherwise.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, doing string, err error) {
	h.errorf(r, doing, err)
	if isUnavailable(err) {
		h.unavailable(w, r, "This site cannot reach its storage right now. "+
			"This is temporary: try again in a moment.")
		return
	}
	h.message(w, r, http.StatusInternalServerError, "Something went wrong",
		"This request could not be completed. Try again in a moment.")
}

// unavailable answers 503 with Retry-After and msg, which should say that
// the problem is temporary and what to do. The caller logs the cause.
func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, msg string) {
	w.Header().Set("Retry-After", retryAfter)
	h.message(w, r, http.StatusServiceUnavailable, "Temporarily unavailable", msg)
}

// tooMany answers a client over its rate limit.
func (h *Handler) tooMany(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "10")
	h.message(w, r, http.StatusTooManyRequests, "Too many requests",
		"Too many requests came from your address. Wait a few seconds and try again.")
}

// report shows the Test Configuration result for an IdP instead of
// starting a session.
func (h *Handler) report(w http.ResponseWriter, r *http.Request, e *idpEntry, a *saml.Assertion) {
	rep := e.cfg.Report(a, idp.ReportOptions{Now: h.now(), GroupRulesInUse: true})
	frag, err := rep.HTML()
	if err != nil {
		h.fail(w, r, "rendering report", err)
		return
	}
	msg := "The sign-in worked and a profile could be mapped. No session was started."
	if !rep.OK {
		msg = "The sign-in was verified, but no profile could be mapped; see the errors below."
	}
	h.render(w, r, http.StatusOK, "report", pageData{Title: "Test of " + e.cfg.Name,
		Message: msg, Report: frag})
}

// idpNames returns the configured IdP names in order.
func (h *Handler) idpNames() []string {
	names := make([]string, 0, len(h.idps))
	for n := range h.idps {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// isUnavailable reports whether err means the store is out of reach for
// the moment.
func isUnavailable(err error) bool { return errors.Is(err, share.ErrUnavailable) }
