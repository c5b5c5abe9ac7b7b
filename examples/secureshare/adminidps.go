package main

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/share"
)

// How an IdP was added, as the form's mode field says.
const (
	idpModeURL    = "url"
	idpModeXML    = "xml"
	idpModeManual = "manual"
)

// idpFetchTimeout bounds the metadata fetch of one form submission.
const idpFetchTimeout = 20 * time.Second

// errIDPFromFlags refuses changes to an IdP that the flags configure.
var errIDPFromFlags = errors.New("this IdP comes from the flags; change it there and restart")

// idpForm is the IdP form's fields as typed, so that a refused form comes
// back as it was, with the problems per field.
type idpForm struct {
	Name, Mode, URL, XML                     string
	EntityID, SSOURL, Binding, SLOURL, Certs string
	Preset, NameIDFormat                     string
	Email, FirstName, LastName, DisplayName  string
	Groups, GroupsDelimiter                  string
	SignRequests, IDPInitiated, SHA1         bool
	EmailDomains, ClockSkew                  string
	Version                                  int64
	Editing                                  bool
	Errors                                   map[string][]string
	upload                                   []byte
}

// idpRow is one IdP on the IdPs page.
type idpRow struct {
	Name, Source, EntityID, SSOURL, Binding, Preset string
	Mapping                                         idp.AttributeMapping
	Certs                                           []certRow
	Warnings                                        []string
	Stored                                          bool
	MetadataURL                                     string
	FetchedAt, LastAttempt, Updated                 time.Time
	LastError, Problem, UpdatedBy                   string
	TestURL, EditURL                                string
}

// certRow is one signing certificate of an IdP.
type certRow struct {
	Subject  string
	NotAfter time.Time
}

// idpsData is what the IdPs page and the IdP form show.
type idpsData struct {
	Rows          []idpRow
	Form          idpForm
	Presets       []idp.PresetInfo
	NameIDFormats []string
	Saved         string
	Warnings      []string
}

// idpRoutes adds the IdPs pages to m.
func (a *admin) idpRoutes(m *http.ServeMux) {
	b := a.base
	m.Handle("GET "+b+"/idps", a.auth(a.serveIDPs))
	m.Handle("POST "+b+"/idps", a.auth(a.serveCreateIDP))
	m.Handle("GET "+b+"/idps/{name}", a.auth(a.serveEditIDP))
	m.Handle("POST "+b+"/idps/{name}", a.auth(a.serveUpdateIDP))
	m.Handle("GET "+b+"/idps/{name}/delete", a.auth(a.serveConfirmDeleteIDP))
	m.Handle("POST "+b+"/idps/{name}/delete", a.auth(a.serveDeleteIDP))
}

// serveIDPs lists the IdPs, with the form to add one.
func (a *admin) serveIDPs(w http.ResponseWriter, r *http.Request, v *adminView) {
	a.showIDPs(w, r, v, http.StatusOK, idpForm{Mode: idpModeURL}, nil)
}

// showIDPs renders the IdPs page with form f; saved, when not nil, is
// the IdP just saved, whose warnings are shown on top.
func (a *admin) showIDPs(w http.ResponseWriter, r *http.Request, v *adminView, status int,
	f idpForm, saved *idp.StoredConfig) {
	d := a.idpsData(f)
	d.Rows = a.s.idpRows(time.Now())
	if saved != nil {
		d.Saved = saved.Config.Name
		for _, w := range saved.Config.Warnings(time.Now()) {
			d.Warnings = append(d.Warnings, w.String())
		}
	}
	v.Title, v.Nav, v.Data = "Identity providers", "idps", d
	a.render(w, r, status, "idps", v)
}

// idpsData is the page data around form f.
func (a *admin) idpsData(f idpForm) idpsData {
	return idpsData{Form: f, Presets: idp.Presets(), NameIDFormats: []string{
		saml.NameIDFormatEmailAddress, saml.NameIDFormatPersistent,
		saml.NameIDFormatTransient, saml.NameIDFormatUnspecified}}
}

// serveCreateIDP adds an IdP from the form.
func (a *admin) serveCreateIDP(w http.ResponseWriter, r *http.Request, v *adminView) {
	f := readIDPForm(r)
	f.Version, f.Editing = 0, false
	a.saveIDP(w, r, v, f)
}

// serveEditIDP shows the form to change a stored IdP.
func (a *admin) serveEditIDP(w http.ResponseWriter, r *http.Request, v *adminView) {
	name := r.PathValue("name")
	sc, err := a.s.storedIDP(name)
	if errors.Is(err, errIDPFromFlags) {
		a.forbidden(w, r, "The IdP "+name+" comes from the flags; change it there and restart.")
		return
	}
	if err != nil {
		http.NotFound(w, r)
		return
	}
	a.showIDPForm(w, r, v, http.StatusOK, formFromStored(&sc))
}

// showIDPForm renders the edit form f.
func (a *admin) showIDPForm(w http.ResponseWriter, r *http.Request, v *adminView, status int,
	f idpForm) {
	v.Title, v.Nav, v.Data = "Edit identity provider "+f.Name, "idps", a.idpsData(f)
	a.render(w, r, status, "idpEdit", v)
}

// serveUpdateIDP changes a stored IdP from the form.
func (a *admin) serveUpdateIDP(w http.ResponseWriter, r *http.Request, v *adminView) {
	f := readIDPForm(r)
	f.Name, f.Editing = r.PathValue("name"), true
	if f.Version <= 0 {
		http.Error(w, "the form has no version; reload it", http.StatusBadRequest)
		return
	}
	a.saveIDP(w, r, v, f)
}

// saveIDP builds the configuration the form describes, validates it
// beside the other IdPs, stores and serves it. Problems come back on the
// form, field by field.
func (a *admin) saveIDP(w http.ResponseWriter, r *http.Request, v *adminView, f idpForm) {
	sc, problems := configFromForm(r.Context(), &f, time.Now())
	var saved idp.StoredConfig
	err := errors.New("invalid form")
	if len(problems) == 0 {
		saved, err = a.s.putIDP(r.Context(), sc, a.user)
	}
	var ce *idp.ConfigError
	switch {
	case err == nil:
		a.s.log.InfoContext(r.Context(), "admin saved an IdP", slog.String("idp", f.Name))
		a.showIDPs(w, r, v, http.StatusOK, idpForm{Mode: idpModeURL}, &saved)
		return
	case errors.As(err, &ce):
		for _, p := range ce.Problems {
			problems[p.Field] = append(problems[p.Field], p.Msg)
		}
	case errors.Is(err, errIDPFromFlags):
		problems["Name"] = append(problems["Name"], "the name of an IdP from the flags; "+
			"choose another")
	case errors.Is(err, idp.ErrConflict) && f.Editing:
		v.Error = "This IdP was changed by someone else since you opened the form. " +
			"Reload the page to see the current settings, then make your change again."
		a.showIDPForm(w, r, v, http.StatusConflict, f)
		return
	case errors.Is(err, idp.ErrConflict):
		problems["Name"] = append(problems["Name"], "another IdP has this name or "+
			"entity ID")
	case errors.Is(err, idp.ErrNotFound):
		v.Error = "This IdP was deleted by someone else since you opened the form."
		a.showIDPForm(w, r, v, http.StatusConflict, f)
		return
	case len(problems) == 0:
		var he *handlerError
		if !errors.As(err, &he) {
			a.fail(w, r, "saving an IdP", err)
			return
		}
		v.Error = "The IdP cannot be served: " + he.Err.Error()
	}

	f.Errors = problems
	if v.Error == "" {
		v.Error = "The IdP was not saved: " + problemSummary(problems)
	}
	if f.Editing {
		a.showIDPForm(w, r, v, http.StatusUnprocessableEntity, f)
		return
	}
	a.showIDPs(w, r, v, http.StatusUnprocessableEntity, f, nil)
}

// serveConfirmDeleteIDP asks before deleting a stored IdP.
func (a *admin) serveConfirmDeleteIDP(w http.ResponseWriter, r *http.Request, v *adminView) {
	name := r.PathValue("name")
	if _, err := a.s.storedIDP(name); err != nil {
		http.NotFound(w, r)
		return
	}
	v.Title, v.Nav, v.Data = "Delete identity provider "+name, "idps", name
	a.render(w, r, http.StatusOK, "confirmDeleteIDP", v)
}

// serveDeleteIDP deletes a stored IdP; its sign-ins stop at once.
func (a *admin) serveDeleteIDP(w http.ResponseWriter, r *http.Request, v *adminView) {
	name := r.PathValue("name")
	err := a.s.deleteIDP(r.Context(), name, a.user)
	switch {
	case errors.Is(err, errIDPFromFlags):
		a.forbidden(w, r, "The IdP "+name+" comes from the flags; change them and restart.")
		return
	case errors.Is(err, idp.ErrNotFound):
		http.NotFound(w, r)
		return
	case err != nil:
		a.fail(w, r, "deleting an IdP", err)
		return
	}
	a.s.log.InfoContext(r.Context(), "admin deleted an IdP", slog.String("idp", name))
	http.Redirect(w, r, a.base+"/idps", http.StatusSeeOther)
}

// handlerError is a configuration that passes idp's validation but that
// sharehttp refuses.
type handlerError struct{ Err error }

func (e *handlerError) Error() string { return e.Err.Error() }
func (e *handlerError) Unwrap() error { return e.Err }

// storedIDP returns the stored IdP named name, errIDPFromFlags for a
// flag one, or an error wrapping idp.ErrNotFound.
func (s *server) storedIDP(name string) (idp.StoredConfig, error) {
	s.idpMu.Lock()
	defer s.idpMu.Unlock()
	if _, ok := s.flagIDPs[name]; ok {
		return idp.StoredConfig{}, errIDPFromFlags
	}
	e := s.stored[name]
	if e == nil {
		return idp.StoredConfig{}, fmt.Errorf("IdP %q: %w", name, idp.ErrNotFound)
	}
	return e.sc, nil
}

// putIDP validates sc's configuration beside the served IdPs, stores it
// (creating it when sc.Version is zero), serves it, restarts its metadata
// refresher and records the change as done by actor.
func (s *server) putIDP(ctx context.Context, sc idp.StoredConfig,
	actor string) (idp.StoredConfig, error) {
	s.idpMu.Lock()
	defer s.idpMu.Unlock()
	name := sc.Config.Name
	if _, ok := s.flagIDPs[name]; ok {
		return idp.StoredConfig{}, errIDPFromFlags
	}
	old := s.stored[name]
	if sc.Version == 0 && old != nil {
		return idp.StoredConfig{}, fmt.Errorf("IdP %q exists: %w", name, idp.ErrConflict)
	}
	served := s.idpMap()
	if ce := validateBeside(served, sc.Config); ce != nil {
		return idp.StoredConfig{}, ce
	}
	trial := maps.Clone(served)
	trial[name] = sc.Config
	if _, err := s.buildHandler(trial); err != nil {
		return idp.StoredConfig{}, &handlerError{Err: err}
	}

	sc.Updated, sc.UpdatedBy = time.Now(), actor
	put, err := s.store.PutIDPConfig(ctx, sc)
	if err != nil {
		return idp.StoredConfig{}, err
	}
	detail := "created"
	if old != nil {
		detail = "updated " + orNone(configChanges(&old.sc.Config, &put.Config))
		old.stopRefresher()
	}
	s.recordIDPChange(ctx, actor, name, detail+sourceDetail(&put))

	e := newStoredIDP(put)
	s.stored[name] = e
	if err := s.rebuild(); err != nil {
		return put, err
	}
	s.startRefresher(e)
	return put, nil
}

// deleteIDP deletes the stored IdP named name, stops serving it and
// records the change as done by actor.
func (s *server) deleteIDP(ctx context.Context, name, actor string) error {
	s.idpMu.Lock()
	defer s.idpMu.Unlock()
	if _, ok := s.flagIDPs[name]; ok {
		return errIDPFromFlags
	}
	e := s.stored[name]
	if e == nil {
		return fmt.Errorf("IdP %q: %w", name, idp.ErrNotFound)
	}
	if err := s.store.DeleteIDPConfig(ctx, name); err != nil {
		return err
	}
	e.stopRefresher()
	delete(s.stored, name)
	s.recordIDPChange(ctx, actor, name, "deleted; entity ID "+e.sc.Config.EntityID)
	return s.rebuild()
}

// recordIDPChange writes an idp.changed audit event; a failure is logged,
// since the change itself is done.
func (s *server) recordIDPChange(ctx context.Context, actor, name, detail string) {
	err := s.svc.Record(ctx, share.AuditEvent{Kind: share.EventIDPChanged, Actor: actor,
		IDP: name, Detail: detail})
	if err != nil {
		s.log.ErrorContext(ctx, "recording an IdP change", slog.String("idp", name),
			slog.Any("error", err))
	}
}

// idpRows are the flag IdPs and the stored ones, by name.
func (s *server) idpRows(now time.Time) []idpRow {
	s.idpMu.Lock()
	defer s.idpMu.Unlock()
	var rows []idpRow
	for name, c := range s.flagIDPs {
		row := newIDPRow(&c, now)
		row.Source = "from flags"
		if s.demoIDP != nil && name == demoIDPName {
			row.Source = "demo IdP"
		}
		if fs := s.flagSources[name]; fs != nil {
			row.MetadataURL, row.FetchedAt = fs.url, fs.fetchedAt
			row.LastAttempt, row.LastError = fs.lastAttempt, fs.lastError
		}
		rows = append(rows, row)
	}
	for _, e := range s.stored {
		sc := &e.sc
		row := newIDPRow(&sc.Config, now)
		row.Stored, row.Source, row.Problem = true, sourceName(sc), e.problem
		row.MetadataURL = idp.RedactURL(sc.MetadataURL)
		row.FetchedAt, row.LastAttempt, row.LastError = sc.FetchedAt, sc.LastAttempt, sc.LastError
		row.Updated, row.UpdatedBy = sc.Updated, sc.UpdatedBy
		row.EditURL = url.PathEscape(sc.Config.Name)
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b idpRow) int { return strings.Compare(a.Name, b.Name) })
	return rows
}

// newIDPRow describes c on the IdPs page.
func newIDPRow(c *idp.Config, now time.Time) idpRow {
	row := idpRow{Name: c.Name, EntityID: c.EntityID, SSOURL: c.SSOURL,
		Binding: bindingName(c.Binding()), Preset: presetTitle(c.Preset), Mapping: c.Mapping,
		TestURL: "/saml/test/" + url.PathEscape(c.Name)}
	for _, cert := range c.SigningCertificates {
		row.Certs = append(row.Certs, certRow{Subject: cert.Subject.String(),
			NotAfter: cert.NotAfter})
	}
	for _, w := range c.Warnings(now) {
		row.Warnings = append(row.Warnings, w.String())
	}
	return row
}

// readIDPForm reads the posted IdP form, urlencoded or multipart (with
// the metadata file in "file").
func readIDPForm(r *http.Request) idpForm {
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	on := func(k string) bool { return r.PostFormValue(k) == "on" }
	f := idpForm{Name: g("name"), Mode: g("mode"), URL: g("url"), XML: g("xml"),
		EntityID: g("entity_id"), SSOURL: g("sso_url"), Binding: g("binding"),
		SLOURL: g("slo_url"), Certs: g("certs"), Preset: g("preset"),
		NameIDFormat: g("nameid"), Email: g("map_email"), FirstName: g("map_first"),
		LastName: g("map_last"), DisplayName: g("map_display"), Groups: g("map_groups"),
		GroupsDelimiter: r.PostFormValue("groups_delim"), SignRequests: on("sign_requests"),
		IDPInitiated: on("idp_initiated"), SHA1: on("sha1"),
		EmailDomains: g("email_domains"), ClockSkew: g("clock_skew")}
	f.Version, _ = strconv.ParseInt(g("version"), 10, 64)
	if file, _, err := r.FormFile("file"); err == nil {
		defer file.Close()
		f.upload, _ = io.ReadAll(io.LimitReader(file, idp.DefaultMaxMetadataSize+1))
	}
	return f
}

// configFromForm builds the stored configuration f describes, fetching
// or parsing the metadata in the URL and XML modes. Problems are keyed by
// the idp.Config field (or MetadataURL, Metadata, Mode).
func configFromForm(ctx context.Context, f *idpForm, now time.Time) (idp.StoredConfig,
	map[string][]string) {
	problems := map[string][]string{}
	add := func(field, msg string) { problems[field] = append(problems[field], msg) }
	c := idp.Config{Name: f.Name, Preset: idp.Preset(f.Preset), NameIDFormat: f.NameIDFormat,
		SignAuthnRequests: f.SignRequests, AllowIDPInitiated: f.IDPInitiated,
		InsecureAllowSHA1: f.SHA1, EmailDomains: splitList(f.EmailDomains),
		Mapping: idp.AttributeMapping{Email: f.Email, FirstName: f.FirstName,
			LastName: f.LastName, DisplayName: f.DisplayName, Groups: f.Groups,
			GroupsDelimiter: f.GroupsDelimiter}}
	if !idpNamePattern.MatchString(f.Name) {
		add("Name", "use 1 to 63 lowercase letters, digits, - and _, starting with a "+
			"letter or digit, such as acme-okta: the name goes into URLs")
	}
	if f.ClockSkew != "" {
		d, err := time.ParseDuration(f.ClockSkew)
		if err != nil {
			add("ClockSkew", fmt.Sprintf("%q is not a duration such as 30s or 2m", f.ClockSkew))
		}
		c.ClockSkew = d
	}

	sc := idp.StoredConfig{Version: f.Version}
	switch f.Mode {
	case idpModeURL:
		md, err := fetchMetadata(ctx, f.URL, f.EntityID)
		if err != nil {
			add("MetadataURL", err.Error())
			break
		}
		c.ApplyMetadata(md.IDP)
		sc.MetadataURL, sc.Metadata, sc.ETag = f.URL, md.Raw, md.ETag
		sc.LastModified, sc.FetchedAt, sc.LastAttempt = md.LastModified, md.FetchedAt, now
	case idpModeXML:
		data := []byte(f.XML)
		if len(f.upload) > 0 {
			data = f.upload
		}
		// An Entity ID typed beside metadata chooses one IdP of several.
		md, err := idp.ParseMetadata(data, idp.MetadataOptions{EntityID: f.EntityID})
		if err != nil {
			add("Metadata", err.Error())
			break
		}
		c.ApplyMetadata(md.IDP)
		sc.Metadata = md.Raw
	case idpModeManual:
		c.EntityID, c.SSOURL, c.SLOURL = f.EntityID, f.SSOURL, f.SLOURL
		if f.Binding == "post" {
			c.SSOBinding = saml.BindingHTTPPost
		}
		if f.Certs != "" {
			certs, err := idp.ParseCertificates(f.Certs)
			if err != nil {
				add("SigningCertificates", err.Error())
			}
			c.SigningCertificates = certs
		}
	default:
		add("Mode", "choose how to add the IdP: metadata URL, metadata XML or by hand")
	}
	if len(problems) == 0 || f.Mode == idpModeManual {
		if err := c.Validate(); err != nil {
			var ce *idp.ConfigError
			if errors.As(err, &ce) {
				for _, p := range ce.Problems {
					if p.Field != "SigningCertificates" || len(problems[p.Field]) == 0 {
						add(p.Field, p.Msg)
					}
				}
			}
		}
	}
	sc.Config = c
	return sc, problems
}

// fetchMetadata fetches metadata from raw: https, or plain http on a
// loopback host.
func fetchMetadata(ctx context.Context, raw, entityID string) (*idp.Metadata, error) {
	if raw == "" {
		return nil, errors.New("required: the IdP's metadata URL")
	}
	f, err := idp.NewFetcher(idp.FetcherConfig{URL: raw, InsecureAllowHTTP: true,
		Timeout: idpFetchTimeout, Metadata: idp.MetadataOptions{EntityID: entityID}})
	if err != nil {
		return nil, err
	}
	return f.Fetch(ctx, nil)
}

// formFromStored is the edit form of sc.
func formFromStored(sc *idp.StoredConfig) idpForm {
	c := &sc.Config
	m := c.Mapping
	f := idpForm{Name: c.Name, EntityID: c.EntityID, SSOURL: c.SSOURL, SLOURL: c.SLOURL,
		Preset: string(c.Preset), NameIDFormat: c.NameIDFormat, Email: m.Email,
		FirstName: m.FirstName, LastName: m.LastName, DisplayName: m.DisplayName,
		Groups: m.Groups, GroupsDelimiter: m.GroupsDelimiter,
		SignRequests: c.SignAuthnRequests, IDPInitiated: c.AllowIDPInitiated,
		SHA1: c.InsecureAllowSHA1, EmailDomains: strings.Join(c.EmailDomains, ", "),
		Version: sc.Version, Editing: true, Binding: "redirect"}
	if c.ClockSkew != 0 {
		f.ClockSkew = c.ClockSkew.String()
	}
	if c.Binding() == saml.BindingHTTPPost {
		f.Binding = "post"
	}
	var pems []string
	for _, cert := range c.SigningCertificates {
		pems = append(pems, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE",
			Bytes: cert.Raw})))
	}
	f.Certs = strings.Join(pems, "")
	switch {
	case sc.MetadataURL != "":
		f.Mode, f.URL = idpModeURL, sc.MetadataURL
	case len(sc.Metadata) > 0:
		f.Mode, f.XML = idpModeXML, string(sc.Metadata)
	default:
		f.Mode = idpModeManual
	}
	return f
}

// sourceName says where a stored IdP's settings came from.
func sourceName(sc *idp.StoredConfig) string {
	switch {
	case sc.MetadataURL != "":
		return "metadata URL"
	case len(sc.Metadata) > 0:
		return "metadata XML"
	}
	return "entered by hand"
}

// sourceDetail is the audit detail's end: the entity ID and source.
func sourceDetail(sc *idp.StoredConfig) string {
	d := "; entity ID " + sc.Config.EntityID + "; " + sourceName(sc)
	if sc.MetadataURL != "" {
		d += " " + idp.RedactURL(sc.MetadataURL)
	}
	return d
}

// orNone lists fields, or says that none changed.
func orNone(fields []string) string {
	if len(fields) == 0 {
		return "(no setting changed)"
	}
	return "(" + strings.Join(fields, ", ") + ")"
}

// problemSummary lists the fields with problems.
func problemSummary(problems map[string][]string) string {
	var parts []string
	for _, field := range slices.Sorted(maps.Keys(problems)) {
		parts = append(parts, field+": "+strings.Join(problems[field], "; "))
	}
	return strings.Join(parts, " · ")
}

// bindingName is a binding's short name.
func bindingName(b saml.Binding) string {
	if b == saml.BindingHTTPPost {
		return "HTTP-POST"
	}
	return "HTTP-Redirect"
}
