package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/share"
)

// adminMaxPages bounds the pages of links or events one admin page reads.
const adminMaxPages = 20

// linkForm is the link form's fields as typed, so that a refused form
// comes back as it was.
type linkForm struct {
	ID, Space, Scope, PageID, Title string
	IDPs, Groups, Emails, Domains   string
	Anonymous                       bool
	Expires, Lifetime               string
}

// linkRow is one link in the list.
type linkRow struct {
	share.Link
	Status  string
	Opens   int
	Summary string
}

// linksData is what the links page shows.
type linksData struct {
	Rows []linkRow
	Form linkForm
	IDPs []string
}

// linkResult is the page that shows a new link URL, once.
type linkResult struct {
	Link share.Link
	URL  string
	Verb string
	// Warning is shown above the URL, such as that the page could not be
	// checked.
	Warning string
}

// linkRoutes adds the links pages to m.
func (a *admin) linkRoutes(m *http.ServeMux) {
	b := a.base
	m.Handle("GET "+b+"/links", a.auth(a.serveLinks))
	m.Handle("POST "+b+"/links", a.auth(a.serveCreateLink))
	m.Handle("GET "+b+"/links/{id}", a.auth(a.serveEditLink))
	m.Handle("POST "+b+"/links/{id}", a.auth(a.serveSetPolicy))
	m.Handle("POST "+b+"/links/{id}/revoke", a.auth(a.serveRevoke))
	m.Handle("POST "+b+"/links/{id}/reenable", a.auth(a.serveReenable))
}

// serveLinks lists the links, with the form to create one.
func (a *admin) serveLinks(w http.ResponseWriter, r *http.Request, v *adminView) {
	a.showLinks(w, r, v, http.StatusOK, linkForm{Scope: string(share.ScopePageTree)})
}

// showLinks renders the links page with form f.
func (a *admin) showLinks(w http.ResponseWriter, r *http.Request, v *adminView, status int,
	f linkForm) {
	rows, err := a.linkRows(r.Context())
	if err != nil {
		a.fail(w, r, "listing links", err)
		return
	}
	v.Title, v.Nav = "Links", "links"
	v.Data = linksData{Rows: rows, Form: f, IDPs: a.s.idpNames()}
	a.render(w, r, status, "links", v)
}

// linkRows are every link with its status and open count.
func (a *admin) linkRows(ctx context.Context) ([]linkRow, error) {
	links, err := a.allLinks(ctx)
	if err != nil {
		return nil, err
	}
	opens, err := a.openCounts(ctx)
	if err != nil {
		return nil, err
	}
	spaces := map[string]share.Space{}
	now := time.Now()
	rows := make([]linkRow, 0, len(links))
	for _, l := range links {
		sp, ok := spaces[l.Space]
		if !ok {
			if sp, err = a.s.svc.SpaceSettings(ctx, l.Space); err != nil {
				return nil, err
			}
			spaces[l.Space] = sp
		}
		rows = append(rows, linkRow{Link: l, Status: linkStatus(&l, &sp, now),
			Opens: opens[l.ID], Summary: policySummary(&l.Policy)})
	}
	return rows, nil
}

// allLinks reads up to adminMaxPages pages of links.
func (a *admin) allLinks(ctx context.Context) ([]share.Link, error) {
	var out []share.Link
	q := share.LinkQuery{Limit: share.MaxPageSize}
	for range adminMaxPages {
		links, next, err := a.s.svc.ListLinks(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, links...)
		if next == "" {
			break
		}
		q.Cursor = next
	}
	return out, nil
}

// openCounts counts the link.opened events per link ID.
func (a *admin) openCounts(ctx context.Context) (map[string]int, error) {
	counts := map[string]int{}
	f := share.AuditFilter{Kind: share.EventLinkOpened, Limit: share.MaxPageSize}
	for range adminMaxPages {
		events, next, err := a.s.svc.QueryAudit(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			counts[e.LinkID]++
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	return counts, nil
}

// serveCreateLink creates a link from the form and shows its URL once.
func (a *admin) serveCreateLink(w http.ResponseWriter, r *http.Request, v *adminView) {
	f := readLinkForm(r)
	spec := share.LinkSpec{Space: f.Space, Scope: share.Scope(f.Scope), PageID: f.PageID,
		Title: f.Title, CreatedBy: a.user, Policy: f.policy()}
	var dropped string
	if spec.Scope == share.ScopeSpace && spec.PageID != "" {
		// The form keeps a page typed before "whole space" was chosen.
		dropped = "The page given was not used: a link to the whole space starts at its home page."
		spec.PageID = ""
	}
	expires, err := f.expiry(time.Now())
	if err == nil {
		err = a.checkIDPNames("Policy.IDPs", spec.Policy.IDPs)
	}
	if err == nil {
		spec.Expires = expires
		err = a.s.svc.ValidateLink(r.Context(), spec)
	}
	var unchecked string
	if err == nil {
		// A link whose landing page no outsider could open is refused
		// here, where the admin can still choose another page; when
		// Confluence does not answer, the link is made and the admin told.
		check := a.s.handler().CheckLinkTarget(r.Context(), spec)
		if msg := targetProblem(spec, check); msg != "" {
			v.Error = msg
			a.showLinks(w, r, v, http.StatusUnprocessableEntity, f)
			return
		}
		if check != nil {
			unchecked = "The page could not be checked (" + check.Error() +
				"), so it is not known whether outsiders can open this link: open it once " +
				"Confluence answers."
		}
		warning := strings.TrimSpace(dropped + " " + a.trustWarning(r.Context(), spec) + " " +
			unchecked)
		var l share.Link
		var token string
		l, token, err = a.s.svc.CreateLink(r.Context(), spec)
		if err == nil {
			a.showURL(w, r, v, l, token, "created", warning)
			return
		}
	}
	if msg, ok := formError(err); ok {
		v.Error = msg
		a.showLinks(w, r, v, http.StatusUnprocessableEntity, f)
		return
	}
	a.fail(w, r, "creating a link", err)
}

// showURL shows a link's new URL, the only time it can be seen.
func (a *admin) showURL(w http.ResponseWriter, r *http.Request, v *adminView, l share.Link,
	token, verb, warning string) {
	v.Title, v.Nav = "Link "+verb, "links"
	v.Data = linkResult{Link: l, URL: a.s.handler().LinkURL(token), Verb: verb,
		Warning: warning}
	a.render(w, r, http.StatusOK, "linkURL", v)
}

// serveEditLink shows the form to change a link's title and policy.
func (a *admin) serveEditLink(w http.ResponseWriter, r *http.Request, v *adminView) {
	l, err := a.s.svc.Link(r.Context(), r.PathValue("id"))
	if errors.Is(err, share.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		a.fail(w, r, "reading a link", err)
		return
	}
	p := &l.Policy
	a.showEdit(w, r, v, http.StatusOK, linkForm{ID: l.ID, Space: l.Space, Scope: string(l.Scope),
		PageID: l.PageID, Title: l.Title, IDPs: strings.Join(p.IDPs, ", "),
		Groups: strings.Join(p.Groups, ", "), Emails: strings.Join(p.Emails, ", "),
		Domains: strings.Join(p.Domains, ", "), Anonymous: p.Anonymous})
}

// showEdit renders the edit form f.
func (a *admin) showEdit(w http.ResponseWriter, r *http.Request, v *adminView, status int,
	f linkForm) {
	v.Title, v.Nav = "Edit link", "links"
	v.Data = linksData{Form: f, IDPs: a.s.idpNames()}
	a.render(w, r, status, "linkEdit", v)
}

// serveSetPolicy changes a link's title and policy.
func (a *admin) serveSetPolicy(w http.ResponseWriter, r *http.Request, v *adminView) {
	f := readLinkForm(r)
	f.ID = r.PathValue("id")
	p := f.policy()
	err := a.checkIDPNames("Policy.IDPs", p.IDPs)
	if err == nil {
		_, err = a.s.svc.SetLinkPolicy(r.Context(), f.ID, a.user, f.Title, p)
	}
	if msg, ok := formError(err); ok {
		v.Error = msg
		a.showEdit(w, r, v, http.StatusUnprocessableEntity, f)
		return
	}
	if err != nil {
		a.fail(w, r, "changing a link", err)
		return
	}
	http.Redirect(w, r, a.base+"/links", http.StatusSeeOther)
}

// serveRevoke revokes a link.
func (a *admin) serveRevoke(w http.ResponseWriter, r *http.Request, v *adminView) {
	_, err := a.s.svc.RevokeLink(r.Context(), r.PathValue("id"), a.user)
	if errors.Is(err, share.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		a.fail(w, r, "revoking a link", err)
		return
	}
	http.Redirect(w, r, a.base+"/links", http.StatusSeeOther)
}

// serveReenable gives a link a new URL (the old one stays dead) and a new
// expiry, and shows the URL once.
func (a *admin) serveReenable(w http.ResponseWriter, r *http.Request, v *adminView) {
	f := readLinkForm(r)
	expires, err := f.expiry(time.Now())
	if err == nil {
		var l share.Link
		var token string
		l, token, err = a.s.svc.ReenableLink(r.Context(), r.PathValue("id"), a.user, expires)
		if err == nil {
			a.showURL(w, r, v, l, token, "re-enabled", "")
			return
		}
	}
	if errors.Is(err, share.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if msg, ok := formError(err); ok {
		v.Error = msg
		a.showLinks(w, r, v, http.StatusUnprocessableEntity, linkForm{Scope: "tree"})
		return
	}
	a.fail(w, r, "re-enabling a link", err)
}

// readLinkForm reads the posted link form.
func readLinkForm(r *http.Request) linkForm {
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return linkForm{Space: g("space"), Scope: g("scope"), PageID: g("page"), Title: g("title"),
		IDPs: g("idps"), Groups: g("groups"), Emails: g("emails"), Domains: g("domains"),
		Anonymous: g("anonymous") == "on", Expires: g("expires"), Lifetime: g("lifetime")}
}

// policy is the form's policy; lists are separated by commas or lines.
func (f *linkForm) policy() share.Policy {
	return share.Policy{IDPs: splitList(f.IDPs), Groups: splitList(f.Groups),
		Emails: splitList(f.Emails), Domains: splitList(f.Domains), Anonymous: f.Anonymous}
}

// expiry is the form's expiry: the end of the Expires day (UTC), or now
// plus Lifetime; zero leaves it to the space's default.
func (f *linkForm) expiry(now time.Time) (time.Time, error) {
	if f.Expires != "" && f.Lifetime != "" {
		return time.Time{}, &share.ValidationError{Field: "Expires",
			Msg: "give an expiry date or a lifetime, not both"}
	}
	if f.Expires != "" {
		day, err := time.Parse("2006-01-02", f.Expires)
		if err != nil {
			return time.Time{}, &share.ValidationError{Field: "Expires",
				Msg: "not a date such as 2030-12-31", Got: f.Expires}
		}
		return day.Add(24 * time.Hour), nil
	}
	d, err := parseLifetime(f.Lifetime)
	if err != nil {
		return time.Time{}, &share.ValidationError{Field: "Lifetime", Msg: err.Error()}
	}
	if d == 0 {
		return time.Time{}, nil
	}
	return now.Add(d), nil
}

// trustWarning says, for a link with group or email rules that names no
// IdP, which IdPs it trusts to assert those groups and addresses when more
// than one can sign its viewers in: any of them can sign in a member of
// the groups, which is not what an admin means when the IdPs belong to
// different organisations.
func (a *admin) trustWarning(ctx context.Context, spec share.LinkSpec) string {
	pol := &spec.Policy
	if len(pol.IDPs) > 0 || len(pol.Groups)+len(pol.Emails)+len(pol.Domains) == 0 {
		return ""
	}
	names := a.s.idpNames()
	if sp, err := a.s.svc.SpaceSettings(ctx, spec.Space); err == nil && len(sp.IDPs) > 0 {
		names = sp.IDPs
	}
	if len(names) < 2 {
		return ""
	}
	return "Any of the IdPs " + strings.Join(names, ", ") + " can sign viewers in to this " +
		"link, and each is trusted to say who is in its groups or has its email addresses. " +
		"If they belong to different organisations, edit the link and choose the IdP " +
		"that owns them."
}

// checkIDPNames refuses IdP names that no configured IdP has, so that a
// typing mistake does not make a link or space that nobody can open.
func (a *admin) checkIDPNames(field string, names []string) error {
	idps := a.s.idpMap()
	for _, n := range names {
		n = strings.TrimSpace(n)
		if _, ok := idps[n]; n != "" && !ok {
			known := make([]string, 0, len(idps))
			for k := range idps {
				known = append(known, k)
			}
			slices.Sort(known)
			return &share.ValidationError{Field: field, Msg: "no IdP has this name",
				Want: strings.Join(known, ", "), Got: n}
		}
	}
	return nil
}

// formLabels name the fields of share's validation errors as the link and
// space forms label them, where that is not the field's own name with any
// "Policy." taken off (Scope, Title, Expires, Emails, ...).
var formLabels = map[string]string{
	"Space": "Space key", "Key": "Space key", "PageID": "Page ID",
	"DefaultLifetime": "Default link lifetime", "MaxLifetime": "Maximum link lifetime",
	"Policy.Domains": "Email domains", "Policy.IDPs": "Identity providers",
	"IDPs": "Allowed identity providers",
}

// formError is the sentence for a validation error, which the form shows
// next to the fields; ok is false for other errors.
func formError(err error) (msg string, ok bool) {
	var ve *share.ValidationError
	if !errors.As(err, &ve) {
		return "", false
	}
	label, ok := formLabels[ve.Field]
	if !ok {
		label = strings.TrimPrefix(ve.Field, "Policy.")
	}
	return label + ": " + ve.Msg + ve.Compared(), true
}

// targetProblem is the form's sentence for a link whose landing page no
// outsider could open, from CheckLinkTarget's err; "" when err is nil or
// says nothing about the page (Confluence did not answer).
func targetProblem(spec share.LinkSpec, err error) string {
	field, what := "Page ID", "Page "+spec.PageID
	if spec.Scope == share.ScopeSpace {
		field, what = "Space key", "The home page of space "+spec.Space
	}
	const fix = ", so no outsider could open this link. Change that in Confluence, " +
		"or share another page."
	var we *confluence.WithheldError
	switch {
	case errors.As(err, &we):
		if spec.Scope == share.ScopeSpace {
			what += " (page " + we.PageID + ")"
		}
		inherited := we.Because != "" && we.Because != we.PageID
		switch we.Reason {
		case confluence.WithholdRestricted:
			if inherited {
				return fmt.Sprintf("%s: %s is under page %s, which carries Confluence view "+
					"restrictions%s", field, what, we.Because, fix)
			}
			return fmt.Sprintf("%s: %s carries Confluence view restrictions%s", field, what, fix)
		case confluence.WithholdExcludedLabel:
			if inherited {
				return fmt.Sprintf("%s: %s is under page %s, which has the space's exclusion "+
					"label%s", field, what, we.Because, fix)
			}
			return fmt.Sprintf("%s: %s has the space's exclusion label%s", field, what, fix)
		case confluence.WithholdNotCurrent:
			return fmt.Sprintf("%s: %s is a draft, archived or in the trash%s", field, what, fix)
		case confluence.WithholdOutOfScope:
			return fmt.Sprintf("%s: %s is not in space %s (or lies under a page of another "+
				"space); give the page's own space key", field, what, spec.Space)
		}
		return fmt.Sprintf("%s: %s is withheld from outsiders (%v)", field, what, err)
	case errors.Is(err, confluence.ErrNotFound):
		if spec.Scope == share.ScopeSpace {
			return fmt.Sprintf("Space key: Confluence has no space %s with a home page that "+
				"this server's Confluence account can read", spec.Space)
		}
		return fmt.Sprintf("Page ID: Confluence has no page %s that this server's Confluence "+
			"account can read", spec.PageID)
	}
	return ""
}

// linkStatus is active, revoked, expired or suspended.
func linkStatus(l *share.Link, sp *share.Space, now time.Time) string {
	switch {
	case !l.Revoked.IsZero():
		return "revoked"
	case !l.Expires.IsZero() && !now.Before(l.Expires):
		return "expired"
	case !sp.Suspended.IsZero():
		return "suspended"
	}
	return "active"
}

// policySummary says in a few words who may open a link.
func policySummary(p *share.Policy) string {
	if p.Anonymous {
		return "anyone with the link"
	}
	var parts []string
	add := func(what string, list []string) {
		if len(list) > 0 {
			parts = append(parts, what+" "+strings.Join(list, ", "))
		}
	}
	add("groups", p.Groups)
	add("emails", p.Emails)
	add("domains", p.Domains)
	add("via", p.IDPs)
	if len(parts) == 0 {
		return "anyone signed in"
	}
	return strings.Join(parts, "; ")
}

// splitList splits on commas and new lines, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '\n' || r == '\r'
	}) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
