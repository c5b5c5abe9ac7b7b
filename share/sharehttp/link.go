package sharehttp

import (
	"context"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/share"
)

// maxLinkChecks bounds the scope checks one rendered page may cause; links
// past it become plain text.
const maxLinkChecks = 200

// inlineTypes are the attachment types shown inline; every other type is
// downloaded, so that an HTML or SVG attachment never runs on our origin.
var inlineTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true,
	"image/webp": true}

// target is what a link route resolved: the link as read once for the
// request, its scope and the page (each nil when unknown), and the
// signed-in viewer (nil for nobody).
type target struct {
	res    share.Resolved
	scope  *confluence.Scope
	page   *confluence.Page
	viewer *idp.Profile
}

// serveHome says whether the viewer is signed in.
func (h *Handler) serveHome(w http.ResponseWriter, r *http.Request) {
	_, p, err := h.viewer(r)
	if err != nil {
		h.fail(w, r, "reading session", err)
		return
	}
	if p == nil {
		h.message(w, r, http.StatusOK, "Secure Share",
			"You are not signed in. Open the link you were given to see what was shared with you.")
		return
	}
	h.render(w, r, http.StatusOK, "message", pageData{Title: "Signed in",
		Message: "You are signed in as " + p.Email + ". Open the link you were given to see " +
			"what was shared with you.", Viewer: p.Email})
}

// serveLink shows a link's landing page (/s/{token}) or another page in
// its scope (/s/{token}/p/{page}).
func (h *Handler) serveLink(w http.ResponseWriter, r *http.Request) {
	if !h.linkLimit.allow(h.clientKey(r), h.now()) {
		h.tooMany(w, r)
		return
	}
	token := r.PathValue("token")
	t, pg, ok := h.open(w, r, token, r.PathValue("page"))
	if !ok {
		return
	}
	h.showPage(w, r, token, t, pg)
}

// open resolves the route and asks the Service for a decision. It answers
// the request itself (sign-in, denial, failure) and returns false unless
// the decision allows.
func (h *Handler) open(w http.ResponseWriter, r *http.Request, token,
	pageID string) (*target, share.Page, bool) {
	t, pg, err := h.resolve(r.Context(), token, pageID)
	if isUnavailable(err) {
		h.fail(w, r, "reading link", err)
		return nil, pg, false
	}
	if err != nil {
		h.errorf(r, "reading content", err)
		h.message(w, r, http.StatusServiceUnavailable, "Temporarily unavailable",
			"The shared content cannot be read right now. Try again in a few minutes.")
		return nil, pg, false
	}
	_, viewer, err := h.viewer(r)
	if err != nil {
		h.fail(w, r, "reading session", err)
		return nil, pg, false
	}
	t.viewer = viewer
	d, err := h.svc.OpenResolved(r.Context(), t.res, viewer, pg)
	if err != nil {
		h.fail(w, r, "opening link", err)
		return nil, pg, false
	}
	switch d.Outcome {
	case share.Allow:
		if t.page == nil {
			// The Service allowed a page the scope did not return; refuse.
			h.message(w, r, http.StatusNotFound, "Page not shared",
				"This page is not part of what this link shares.")
			return nil, pg, false
		}
		return t, pg, true
	case share.LoginRequired:
		l, _ := t.res.Link()
		h.requireLogin(w, r, token, &l, d, pageID)
	default:
		h.deny(w, r, d, viewer)
	}
	return nil, pg, false
}

// resolve finds the link, its scope and the page asked for ("" for the
// landing page), and describes the page for share.Evaluate. A page that
// the scope withholds or that does not exist is described by its ID only,
// which Evaluate places outside the scope once the viewer passes. The
// target is non-nil unless the error is.
func (h *Handler) resolve(ctx context.Context, token, pageID string) (*target, share.Page,
	error) {
	res, err := h.svc.Resolve(ctx, token)
	if err != nil {
		return nil, share.Page{}, err
	}
	t := &target{res: res}
	l, ok := res.Link()
	if !ok {
		return t, share.Page{}, nil
	}
	if !l.Revoked.IsZero() || (!l.Expires.IsZero() && !h.now().Before(l.Expires)) {
		return t, share.Page{ID: pageID}, nil // denied without asking Confluence
	}
	sp := res.Space()
	if t.scope, err = confluence.NewScope(h.content, scopeConfig(&l, &sp)); err != nil {
		return nil, share.Page{}, err
	}

	if pageID == "" {
		pageID, err = t.scope.Root(ctx)
		if isNotFound(err) {
			return t, share.Page{}, nil
		}
		if err != nil {
			return nil, share.Page{}, err
		}
	}
	if !isPageID(pageID) {
		return t, share.Page{ID: pageID}, nil
	}
	p, err := t.scope.Page(ctx, pageID)
	if isNotFound(err) {
		return t, share.Page{ID: pageID}, nil
	}
	if err != nil {
		return nil, share.Page{}, err
	}
	t.page = p
	return t, describe(p, &sp), nil
}

// requireLogin starts the sign-in a link needs, at the IdP the decision
// names, the one in ?idp=, or the only one configured; otherwise it lets
// the viewer choose.
func (h *Handler) requireLogin(w http.ResponseWriter, r *http.Request, token string,
	l *share.Link, d share.Decision, pageID string) {
	name := d.IDP
	if name == "" {
		name = r.URL.Query().Get("idp")
	}
	if name == "" && len(h.idps) == 1 {
		name = h.idpNames()[0]
	}
	if name == "" {
		h.chooseIDP(w, r)
		return
	}
	if _, ok := h.idps[name]; !ok {
		if d.IDP == "" {
			// A name from the query string is the visitor's, never shown
			// back: offer the configured IdPs instead.
			h.chooseIDP(w, r)
			return
		}
		h.message(w, r, http.StatusUnauthorized, "Sign-in not possible",
			"This link needs a sign-in at "+name+", which is not configured here. "+
				"Tell the person who shared the link.")
		return
	}
	ret := h.resumePath(l.ID)
	if isPageID(pageID) {
		// Anything else is the visitor's text, not to be stored with the
		// AuthnRequest.
		ret += "?p=" + url.QueryEscape(pageID)
	}
	h.setResume(w, l.ID, token)
	h.startLogin(w, r, name, ret)
}

// chooseIDP lists the IdPs for a viewer to pick from. The links point at
// the same link route with ?idp=, so the token stays on our own URLs.
func (h *Handler) chooseIDP(w http.ResponseWriter, r *http.Request) {
	var choices []choice
	for _, n := range h.idpNames() {
		choices = append(choices, choice{Name: n, URL: r.URL.Path + "?idp=" + url.QueryEscape(n)})
	}
	h.render(w, r, http.StatusUnauthorized, "choose", pageData{Title: "Sign in",
		Message: "Sign in to open this link. Choose your organisation's identity provider.",
		Choices: choices})
}

// deny shows a denial with the Service's sentence and the status that fits
// the reason.
func (h *Handler) deny(w http.ResponseWriter, r *http.Request, d share.Decision,
	viewer *idp.Profile) {
	status, title := denialStatus(d.Reason)
	data := pageData{Title: title, Message: d.Message()}
	if viewer != nil {
		data.Viewer = viewer.Email
	}
	h.render(w, r, status, "message", data)
}

// denialStatus maps a reason to an HTTP status and a page title.
func denialStatus(r share.Reason) (int, string) {
	switch r {
	case share.ReasonUnknownLink:
		return http.StatusNotFound, "Link not found"
	case share.ReasonRevoked:
		return http.StatusGone, "Link turned off"
	case share.ReasonExpired:
		return http.StatusGone, "Link expired"
	case share.ReasonOutsideScope, share.ReasonWithheld:
		return http.StatusNotFound, "Page not shared"
	case share.ReasonLoginRequired:
		return http.StatusUnauthorized, "Sign-in required"
	}
	return http.StatusForbidden, "Access denied"
}

// showPage renders an allowed page with its breadcrumbs and children.
func (h *Handler) showPage(w http.ResponseWriter, r *http.Request, token string, t *target,
	pg share.Page) {
	ctx := r.Context()
	links := h.pageLinks(ctx, token, t)
	body, err := h.renderer.Render(t.page.Body, links)
	if err != nil {
		h.fail(w, r, "rendering page", err)
		return
	}

	data := pageData{Title: t.page.Title, Body: template.HTML(body), Stale: t.page.Stale}
	if root, err := t.scope.Root(ctx); err == nil && root != t.page.ID {
		data.Home = h.pageURL(token, root)
	}
	crumbs, _ := t.scope.Breadcrumbs(ctx, t.page.ID)
	for _, c := range crumbs {
		data.Crumbs = append(data.Crumbs, choice{Name: titleOr(c), URL: h.pageURL(token, c.ID)})
	}
	children, _ := t.scope.Children(ctx, t.page.ID)
	for _, c := range children {
		data.Children = append(data.Children, choice{Name: titleOr(c), URL: h.pageURL(token, c.ID)})
	}
	if t.viewer != nil {
		data.Viewer = t.viewer.Email
	}
	h.render(w, r, http.StatusOK, "page", data)
}

// pageLinks maps the targets of the page's links and images to our URLs,
// for the pages and attachments the link's scope holds.
func (h *Handler) pageLinks(ctx context.Context, token string, t *target) confluence.Links {
	checks := 0
	links := confluence.Links{
		Page: func(id string) (string, confluence.PageLink) {
			if !isPageID(id) || checks >= maxLinkChecks {
				return "", confluence.PageWithheld
			}
			checks++
			return h.pageURL(token, id), t.scope.Link(ctx, id)
		},
	}
	if h.attach == nil {
		return links
	}
	links.Attachment = func(pageID, attID, name string) (string, bool) {
		ref := attID
		if ref == "" {
			ref = name
		}
		if ref == "" || (pageID != "" && pageID != t.page.ID) {
			return "", false
		}
		return h.prefix + "/s/" + token + "/a/" + t.page.ID + "/" + url.PathEscape(ref), true
	}
	return links
}

// serveAttachment streams an attachment or image of a page in the link's
// scope, after the same decision as the page itself.
func (h *Handler) serveAttachment(w http.ResponseWriter, r *http.Request) {
	if !h.linkLimit.allow(h.clientKey(r), h.now()) {
		h.tooMany(w, r)
		return
	}
	token, pageID, ref := r.PathValue("token"), r.PathValue("page"), r.PathValue("attachment")
	if h.attach == nil || !isPageID(pageID) {
		h.message(w, r, http.StatusNotFound, "Not found", "This attachment is not shared.")
		return
	}
	t, _, ok := h.open(w, r, token, pageID)
	if !ok {
		return
	}
	atts, err := h.attach.Attachments(r.Context(), t.page.ID)
	if err != nil && !isNotFound(err) {
		h.fail(w, r, "listing attachments", err)
		return
	}
	var found *confluence.Attachment
	for i := range atts {
		if atts[i].ID == ref || (found == nil && atts[i].Title == ref) {
			found = &atts[i]
		}
	}
	if found == nil {
		h.message(w, r, http.StatusNotFound, "Not found", "This attachment is not shared.")
		return
	}
	body, err := h.attach.OpenAttachment(r.Context(), t.page.ID, found.ID)
	if err != nil {
		h.fail(w, r, "opening attachment", err)
		return
	}
	defer body.Body.Close()
	writeAttachment(w, found, body)
}

// writeAttachment sends an attachment with headers that keep it inert:
// images inline, anything else as a download, sandboxed either way.
func writeAttachment(w http.ResponseWriter, a *confluence.Attachment,
	b *confluence.AttachmentBody) {
	ct, _, _ := mime.ParseMediaType(b.ContentType)
	if ct == "" {
		ct, _, _ = mime.ParseMediaType(a.MediaType)
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	disp := "attachment"
	if inlineTypes[ct] {
		disp = "inline"
		hd.Set("Content-Type", ct)
	} else {
		hd.Set("Content-Type", "application/octet-stream")
	}
	hd.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{
		"filename": a.Title}))
	if b.Size >= 0 {
		hd.Set("Content-Length", strconv.FormatInt(b.Size, 10))
	}
	hd.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, b.Body)
}

// pageURL is our URL of a page within a link.
func (h *Handler) pageURL(token, pageID string) string {
	return h.prefix + "/s/" + token + "/p/" + pageID
}

// CheckLinkTarget reports whether an outsider could open the page a link
// made from spec would land on (the named page, or the space's home page)
// with Confluence as it is now, before the link exists. Give it a spec that
// [share.Service.ValidateLink] accepts. It returns nil when the page opens;
// an error matching [confluence.ErrNotFound] when it cannot, which is a
// *[confluence.WithheldError] when the page exists but is withheld (view
// restrictions, the space's exclusion label, not current, or outside the
// link's space), with the reason; or another error when Confluence did not
// answer, which says nothing about the page.
func (h *Handler) CheckLinkTarget(ctx context.Context, spec share.LinkSpec) error {
	sp, err := h.svc.SpaceSettings(ctx, spec.Space)
	if err != nil {
		return err
	}
	l := share.Link{Space: spec.Space, Scope: spec.Scope, PageID: spec.PageID}
	scope, err := confluence.NewScope(h.content, scopeConfig(&l, &sp))
	if err != nil {
		return err
	}
	id, err := scope.Root(ctx)
	if err != nil {
		return err
	}
	_, err = scope.Page(ctx, id)
	return err
}

// scopeConfig is the confluence scope of a link in its space.
func scopeConfig(l *share.Link, sp *share.Space) confluence.ScopeConfig {
	c := confluence.ScopeConfig{SpaceKey: l.Space}
	if l.Scope != share.ScopeSpace {
		c.RootPageID = l.PageID
		c.Descendants = l.Scope == share.ScopePageTree
	}
	if sp.ExcludeLabel != "" {
		c.ExcludeLabels = []string{sp.ExcludeLabel}
	}
	return c
}

// describe turns a fetched page into what share.Evaluate reads.
func describe(p *confluence.Page, sp *share.Space) share.Page {
	pg := share.Page{ID: p.ID, Space: p.SpaceKey, Withheld: p.Restricted}
	for _, a := range p.Ancestors {
		pg.Ancestors = append(pg.Ancestors, a.ID)
	}
	for _, lb := range p.Labels {
		if sp.ExcludeLabel != "" && lb == sp.ExcludeLabel {
			pg.Withheld = true
		}
	}
	return pg
}

// isPageID reports whether s looks like a Confluence page ID: 1 to 20
// digits. Anything else is never sent to Confluence.
func isPageID(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// titleOr is a page's title, or its ID when the API gave none.
func titleOr(p confluence.PageRef) string {
	if strings.TrimSpace(p.Title) == "" {
		return "Page " + p.ID
	}
	return p.Title
}
