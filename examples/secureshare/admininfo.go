package main

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/share"
)

// nameIDEmail is the NameID format the guides ask IdPs to send.
const nameIDEmail = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"

// auditKinds are the kinds of audit event the share package and the admin
// pages record: those the audit filter offers and the metrics label.
var auditKinds = []share.EventKind{share.EventLinkCreated, share.EventLinkRevoked,
	share.EventLinkReenabled, share.EventLinkChanged, share.EventLinkOpened,
	share.EventLinkDenied, share.EventLoginSucceeded, share.EventLoginFailed,
	share.EventLogout, share.EventSpaceChanged, share.EventSpaceSuspended,
	share.EventSpaceResumed, share.EventIDPChanged, share.EventAdminSignedIn,
	share.EventAdminSignInFailed, share.EventAdminSignedOut}

// spData is what the SP information page shows.
type spData struct {
	EntityID, ACSURL, RelayState, MetadataURL, NameIDFormat string
}

// auditData is what the audit page shows.
type auditData struct {
	Kinds                      []share.EventKind
	Events                     []share.AuditEvent
	CSVURL, NextURL            string
	LinkID, Actor, Space, Kind string
	Since, Until               string
}

// infoRoutes adds the SP and audit pages to m.
func (a *admin) infoRoutes(m *http.ServeMux) {
	b := a.base
	m.Handle("GET "+b+"/sp", a.auth(a.serveSP))
	m.Handle("GET "+b+"/audit", a.auth(a.serveAudit))
	m.Handle("GET "+b+"/audit.csv", a.auth(a.serveAuditCSV))
}

// serveSP shows what an IdP needs to know about us, with vendor guides.
func (a *admin) serveSP(w http.ResponseWriter, r *http.Request, v *adminView) {
	h := a.s.handler()
	v.Title, v.Nav = "Service provider", "sp"
	v.Data = spData{EntityID: h.EntityID(), ACSURL: h.ACSURL(),
		RelayState: h.DefaultRelayState(), MetadataURL: h.MetadataURL(),
		NameIDFormat: nameIDEmail}
	a.render(w, r, http.StatusOK, "sp", v)
}

// serveAudit shows the audit events the filter selects, newest page first
// as the store returns them.
func (a *admin) serveAudit(w http.ResponseWriter, r *http.Request, v *adminView) {
	q := r.URL.Query()
	f, err := auditFilter(q)
	if msg, ok := formError(err); ok {
		v.Error = msg
	}
	f.Limit, f.Cursor = 200, q.Get("cursor")
	events, next, err := a.s.svc.QueryAudit(r.Context(), f)
	if err != nil {
		a.fail(w, r, "reading the audit log", err)
		return
	}

	d := auditData{Kinds: auditKinds, Events: events, LinkID: q.Get("link"),
		Actor: q.Get("actor"), Space: q.Get("space"), Kind: q.Get("kind"),
		Since: q.Get("since"), Until: q.Get("until")}
	q.Del("cursor")
	d.CSVURL = a.base + "/audit.csv?" + q.Encode()
	if next != "" {
		q.Set("cursor", next)
		d.NextURL = a.base + "/audit?" + q.Encode()
	}
	v.Title, v.Nav, v.Data = "Audit log", "audit", d
	a.render(w, r, http.StatusOK, "audit", v)
}

// serveAuditCSV exports the events the filter selects as CSV.
func (a *admin) serveAuditCSV(w http.ResponseWriter, r *http.Request, v *adminView) {
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="secureshare-audit.csv"`)
	if err := a.s.svc.ExportAuditCSV(r.Context(), w, f); err != nil {
		a.s.log.ErrorContext(r.Context(), "admin: exporting the audit log", "error", err)
	}
}

// auditFilter reads the audit filter from the query; dates are days in
// UTC, and until includes its day.
func auditFilter(q url.Values) (share.AuditFilter, error) {
	f := share.AuditFilter{LinkID: q.Get("link"), Actor: strings.TrimSpace(q.Get("actor")),
		Space: q.Get("space"), Kind: share.EventKind(q.Get("kind"))}
	if f.Kind != "" && !slices.Contains(auditKinds, f.Kind) {
		return share.AuditFilter{}, &share.ValidationError{Field: "kind",
			Msg: "not a kind of audit event (see the Kind list)", Got: string(f.Kind)}
	}
	for _, b := range []struct {
		key  string
		t    *time.Time
		plus time.Duration
	}{{"since", &f.Since, 0}, {"until", &f.Until, 24 * time.Hour}} {
		s := q.Get(b.key)
		if s == "" {
			continue
		}
		day, err := time.Parse("2006-01-02", s)
		if err != nil {
			return share.AuditFilter{}, &share.ValidationError{Field: b.key,
				Msg: "not a date such as 2030-12-31", Got: s}
		}
		*b.t = day.Add(b.plus)
	}
	return f, nil
}

// idpNames are the configured IdPs' names, sorted.
func (s *server) idpNames() []string {
	return slices.Sorted(maps.Keys(s.idpMap()))
}

// presetTitle is a preset's product name.
func presetTitle(p idp.Preset) string {
	if info, ok := p.Info(); ok {
		return info.Title
	}
	return "generic"
}

// escapePath escapes s for one path segment.
func escapePath(s string) string { return url.PathEscape(s) }
