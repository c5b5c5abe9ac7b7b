package main

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/secureshare/secureshare/share"
)

// spaceForm is the space settings form as typed.
type spaceForm struct {
	Key                      string
	SSOEnforced              bool
	IDPs                     string
	DefaultLifetime, MaxLife string
	ExcludeLabel             string
	Space                    share.Space
}

// spacesData is what the spaces page shows.
type spacesData struct {
	Spaces []share.Space
}

// spaceData is what one space's page shows.
type spaceData struct {
	Form spaceForm
	IDPs []string
}

// spaceRoutes adds the spaces pages to m.
func (a *admin) spaceRoutes(m *http.ServeMux) {
	b := a.base
	m.Handle("GET "+b+"/spaces", a.auth(a.serveSpaces))
	m.Handle("GET "+b+"/spaces/{key}", a.auth(a.serveSpace))
	m.Handle("POST "+b+"/spaces/{key}", a.auth(a.serveUpdateSpace))
	m.Handle("GET "+b+"/spaces/{key}/suspend", a.auth(a.serveConfirmSuspend))
	m.Handle("POST "+b+"/spaces/{key}/suspend", a.auth(a.serveSuspend))
	m.Handle("POST "+b+"/spaces/{key}/resume", a.auth(a.serveResume))
}

// serveSpaces lists the spaces that have links, and opens another by key.
func (a *admin) serveSpaces(w http.ResponseWriter, r *http.Request, v *adminView) {
	if key := strings.TrimSpace(r.URL.Query().Get("key")); key != "" {
		http.Redirect(w, r, a.base+"/spaces/"+escapePath(key), http.StatusSeeOther)
		return
	}
	spaces, err := a.knownSpaces(r.Context())
	if err != nil {
		a.fail(w, r, "listing spaces", err)
		return
	}
	v.Title, v.Nav, v.Data = "Spaces", "spaces", spacesData{Spaces: spaces}
	a.render(w, r, http.StatusOK, "spaces", v)
}

// knownSpaces are the settings of every space some link belongs to.
func (a *admin) knownSpaces(ctx context.Context) ([]share.Space, error) {
	links, err := a.allLinks(ctx)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, l := range links {
		if !slices.Contains(keys, l.Space) {
			keys = append(keys, l.Space)
		}
	}
	slices.Sort(keys)
	out := make([]share.Space, 0, len(keys))
	for _, k := range keys {
		sp, err := a.s.svc.SpaceSettings(ctx, k)
		if err != nil {
			return nil, err
		}
		sp.Key = k
		out = append(out, sp)
	}
	return out, nil
}

// serveSpace shows one space's settings.
func (a *admin) serveSpace(w http.ResponseWriter, r *http.Request, v *adminView) {
	key := r.PathValue("key")
	sp, err := a.s.svc.SpaceSettings(r.Context(), key)
	if err != nil {
		a.fail(w, r, "reading a space", err)
		return
	}
	sp.Key = key
	a.showSpace(w, r, v, http.StatusOK, spaceForm{Key: key, SSOEnforced: sp.SSOEnforced,
		IDPs: strings.Join(sp.IDPs, ", "), DefaultLifetime: formatLifetime(sp.DefaultLifetime),
		MaxLife: formatLifetime(sp.MaxLifetime), ExcludeLabel: sp.ExcludeLabel, Space: sp})
}

// showSpace renders the space page with form f.
func (a *admin) showSpace(w http.ResponseWriter, r *http.Request, v *adminView, status int,
	f spaceForm) {
	v.Title, v.Nav = "Space "+f.Key, "spaces"
	v.Data = spaceData{Form: f, IDPs: a.s.idpNames()}
	a.render(w, r, status, "space", v)
}

// serveUpdateSpace stores a space's settings.
func (a *admin) serveUpdateSpace(w http.ResponseWriter, r *http.Request, v *adminView) {
	key := r.PathValue("key")
	old, err := a.s.svc.SpaceSettings(r.Context(), key)
	if err != nil {
		a.fail(w, r, "reading a space", err)
		return
	}
	old.Key = key
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := spaceForm{Key: key, SSOEnforced: g("sso") == "on", IDPs: g("idps"),
		DefaultLifetime: g("default"), MaxLife: g("max"), ExcludeLabel: g("exclude"), Space: old}

	sp := old
	sp.SSOEnforced, sp.IDPs, sp.ExcludeLabel = f.SSOEnforced, splitList(f.IDPs), f.ExcludeLabel
	if sp.DefaultLifetime, err = parseLifetime(f.DefaultLifetime); err != nil {
		err = &share.ValidationError{Field: "DefaultLifetime", Msg: err.Error()}
	} else if sp.MaxLifetime, err = parseLifetime(f.MaxLife); err != nil {
		err = &share.ValidationError{Field: "MaxLifetime", Msg: err.Error()}
	}
	if err == nil {
		err = a.checkIDPNames("IDPs", sp.IDPs)
	}
	if err == nil {
		_, err = a.s.svc.UpdateSpace(r.Context(), sp, a.user)
	}
	if msg, ok := formError(err); ok {
		v.Error = msg
		a.showSpace(w, r, v, http.StatusUnprocessableEntity, f)
		return
	}
	if err != nil {
		a.fail(w, r, "storing a space", err)
		return
	}
	http.Redirect(w, r, a.base+"/spaces/"+escapePath(key), http.StatusSeeOther)
}

// serveConfirmSuspend asks before throwing a space's kill switch.
func (a *admin) serveConfirmSuspend(w http.ResponseWriter, r *http.Request, v *adminView) {
	v.Title, v.Nav, v.Data = "Suspend space "+r.PathValue("key"), "spaces", r.PathValue("key")
	a.render(w, r, http.StatusOK, "confirmSuspend", v)
}

// serveSuspend throws a space's kill switch: all its links are denied.
func (a *admin) serveSuspend(w http.ResponseWriter, r *http.Request, v *adminView) {
	a.setSuspended(w, r, a.s.svc.SuspendSpace)
}

// serveResume lifts a space's kill switch.
func (a *admin) serveResume(w http.ResponseWriter, r *http.Request, v *adminView) {
	a.setSuspended(w, r, a.s.svc.ResumeSpace)
}

// setSuspended calls set for the space and goes back to its page.
func (a *admin) setSuspended(w http.ResponseWriter, r *http.Request,
	set func(context.Context, string, string) (share.Space, error)) {
	key := r.PathValue("key")
	if _, err := set(r.Context(), key, a.user); err != nil {
		a.fail(w, r, "suspending or resuming a space", err)
		return
	}
	http.Redirect(w, r, a.base+"/spaces/"+escapePath(key), http.StatusSeeOther)
}
