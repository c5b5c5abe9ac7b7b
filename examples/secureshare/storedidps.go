package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/share/sharehttp"
)

// generation is one sharehttp handler with the IdPs it serves. Changing
// an IdP builds a new generation and swaps it in; requests already running
// finish on the old one.
type generation struct {
	h    *sharehttp.Handler
	idps map[string]idp.Config // not modified once stored
}

// storedIDP is an IdP configured on the admin pages and kept in the store.
type storedIDP struct {
	sc idp.StoredConfig
	// hold says why it is not served whatever the others are, such as
	// expired metadata; empty when nothing holds it back.
	hold string
	// problem says why it is not served now: hold, a clash with a flag
	// IdP, or an invalid configuration; empty when it is served.
	problem string
	// initial is the stored metadata, parsed, for the refresher; nil
	// without metadata or when it did not parse.
	initial *idp.Metadata
	// stop ends its refresher; nil without one.
	stop context.CancelFunc
}

// handler is the live sharehttp handler.
func (s *server) handler() *sharehttp.Handler { return s.live.Load().h }

// idpMap is the live handler's IdPs, by name. The map must not be
// modified.
func (s *server) idpMap() map[string]idp.Config { return s.live.Load().idps }

// serveLive serves r with the live handler.
func (s *server) serveLive(w http.ResponseWriter, r *http.Request) {
	s.handler().ServeHTTP(w, r)
}

// buildHandler is a new handler with the common settings and idps.
func (s *server) buildHandler(idps map[string]idp.Config) (*sharehttp.Handler, error) {
	cfg := s.hcfg
	cfg.IDPs = idps
	return sharehttp.New(cfg)
}

// loadStoredIDPs reads the IdPs kept in the store, serves them beside
// the flag ones, and starts refreshing the metadata of those with a URL.
// A stored IdP that cannot be served is logged and skipped, not fatal.
func (s *server) loadStoredIDPs(ctx context.Context) error {
	list, err := s.store.ListIDPConfigs(ctx)
	if err != nil {
		return fmt.Errorf("reading the stored IdPs: %w", err)
	}
	s.idpMu.Lock()
	defer s.idpMu.Unlock()
	s.stored = make(map[string]*storedIDP, len(list))
	for _, sc := range list {
		s.stored[sc.Config.Name] = newStoredIDP(sc)
	}
	if err := s.rebuild(); err != nil {
		s.log.Error("the stored IdPs cannot be served; serving the flag ones only",
			slog.Any("error", err))
	}
	for _, e := range s.stored {
		s.startRefresher(e)
	}
	return nil
}

// newStoredIDP is the IdP kept as sc, its stored metadata parsed.
func newStoredIDP(sc idp.StoredConfig) *storedIDP {
	e := &storedIDP{sc: sc}
	e.parseStored(time.Now())
	return e
}

// stopRefresher ends e's metadata refresher, if it has one.
func (e *storedIDP) stopRefresher() {
	if e.stop != nil {
		e.stop()
	}
}

// parseStored parses the stored metadata, for the refresher, and holds
// the IdP back when that metadata has expired: its keys may be retired.
func (e *storedIDP) parseStored(now time.Time) {
	e.initial, e.hold = nil, ""
	if len(e.sc.Metadata) == 0 {
		return
	}
	md, err := e.sc.ParsedMetadata(idp.MetadataOptions{Now: func() time.Time { return now }})
	if md != nil && e.sc.Config.MetadataValidUntil.IsZero() {
		// Stored before configurations kept the validUntil.
		e.sc.Config.MetadataValidUntil = md.IDP.ValidUntil
	}
	if errors.Is(err, idp.ErrMetadataExpired) {
		e.hold = "its metadata has expired (" + err.Error() + "); import it again"
		if e.sc.MetadataURL != "" {
			e.hold = "its metadata has expired; waiting for a successful refresh"
		}
		return
	}
	if err == nil {
		e.initial = md
	}
}

// refreshSpread spreads the metadata fetches of instances started
// together (see idp.RefresherConfig.Spread).
const refreshSpread = 0.1

// idpSyncInterval is how often a server reads the stored IdPs again, to
// serve what other instances on the same store changed.
const idpSyncInterval = 30 * time.Second

// syncStoredIDPs serves the stored IdPs as the store now holds them: those
// another instance added, changed (a newer Version) or deleted since this
// one last knew them. It is how an admin's change on one instance reaches
// the others. A metadata refresh another instance stored is taken as it
// is; the refresher here keeps its own schedule.
func (s *server) syncStoredIDPs(ctx context.Context) error {
	s.idpMu.Lock()
	defer s.idpMu.Unlock()
	if err := ctx.Err(); err != nil {
		return err // stopRefreshers has begun: start no refresher
	}
	// Read under the lock, so that a change made here meanwhile is not
	// undone by an older list.
	list, err := s.store.ListIDPConfigs(ctx)
	if err != nil {
		return fmt.Errorf("reading the stored IdPs: %w", err)
	}
	changed := false
	seen := make(map[string]bool, len(list))
	for _, sc := range list {
		name := sc.Config.Name
		seen[name] = true
		e := s.stored[name]
		switch {
		case e != nil && sameRecord(&sc, &e.sc):
			continue
		case e != nil && e.sc.MetadataURL == sc.MetadataURL:
			before, held := e.sc.Config, e.hold
			e.sc = sc
			e.parseStored(time.Now())
			if len(configChanges(&before, &sc.Config)) > 0 || held != e.hold {
				changed = true
			}
			continue
		case e != nil:
			e.stopRefresher()
		}
		ne := newStoredIDP(sc)
		s.stored[name] = ne
		s.startRefresher(ne)
		changed = true
	}
	for name, e := range s.stored {
		if seen[name] {
			continue
		}
		e.stopRefresher()
		delete(s.stored, name)
		changed = true
	}
	if !changed {
		return nil
	}
	s.log.Info("the stored IdPs changed on another instance; serving them")
	return s.rebuild()
}

// sameRecord reports whether a and b are one write of one stored IdP: the
// same Version and Updated (to the microsecond the store keeps). An IdP
// deleted and created again starts again at Version 1, but with a new
// Updated.
func sameRecord(a, b *idp.StoredConfig) bool {
	return a.Version == b.Version &&
		a.Updated.Truncate(time.Microsecond).Equal(b.Updated.Truncate(time.Microsecond))
}

// goSyncStoredIDPs runs syncStoredIDPs every interval until the returned
// function is called; it logs failures and tries again.
func (s *server) goSyncStoredIDPs(interval time.Duration) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	s.refreshers.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := s.syncStoredIDPs(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("reading the stored IdPs again", slog.Any("error", err))
			}
		}
	})
	return cancel
}

// servedIDPs are the flag IdPs and every stored one that can be served
// beside them; it sets each stored one's problem, and logs new ones. The
// caller holds idpMu.
func (s *server) servedIDPs() map[string]idp.Config {
	out := maps.Clone(s.flagIDPs)
	for _, name := range slices.Sorted(maps.Keys(s.stored)) {
		e := s.stored[name]
		problem := e.hold
		if _, dup := s.flagIDPs[name]; dup && problem == "" {
			problem = "an IdP from flags has the same name; the one from flags is used"
		}
		if problem == "" {
			if ce := validateBeside(out, e.sc.Config); ce != nil {
				problem = ce.Error()
			}
		}
		if problem != "" && problem != e.problem {
			s.log.Warn("a stored IdP is not served", slog.String("idp", name),
				slog.String("reason", problem))
		}
		e.problem = problem
		if problem == "" {
			out[name] = e.sc.Config
		}
	}
	return out
}

// rebuild builds a handler for the IdPs servedIDPs returns and swaps it
// in. The caller holds idpMu.
func (s *server) rebuild() error {
	idps := s.servedIDPs()
	h, err := s.buildHandler(idps)
	if err != nil {
		return err
	}
	s.live.Store(&generation{h: h, idps: idps})
	return nil
}

// startRefresher starts fetching e's metadata URL in the background, if
// it has one; each fetch updates the stored copy. The caller holds idpMu
// or is the only goroutine that knows e.
func (s *server) startRefresher(e *storedIDP) {
	if e.sc.MetadataURL == "" {
		return
	}
	name := e.sc.Config.Name
	f, err := idp.NewFetcher(idp.FetcherConfig{URL: e.sc.MetadataURL, InsecureAllowHTTP: true,
		Metadata: idp.MetadataOptions{EntityID: e.sc.Config.EntityID}})
	if err == nil {
		var r *idp.Refresher
		r, err = idp.NewRefresher(idp.RefresherConfig{Fetcher: f, Initial: e.initial,
			Spread: refreshSpread, Logger: s.log.With(slog.String("idp", name))})
		if err == nil {
			e.stop = s.goRefresher(r, func(ctx context.Context, st idp.RefreshStatus,
				err error) {
				s.refreshed(ctx, name, st, err)
			})
			return
		}
	}
	s.log.Error("cannot refresh an IdP's metadata", slog.String("idp", name),
		slog.Any("error", err))
}

// goRefresher runs r in the background (see runRefresher), passing each
// outcome to done, until the returned function is called.
func (s *server) goRefresher(r *idp.Refresher,
	done func(context.Context, idp.RefreshStatus, error)) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	s.refreshers.Go(func() { s.runRefresher(ctx, r, done) })
	return cancel
}

// runRefresher fetches at once if r has not fetched yet, then whenever r
// says, until ctx is done, and passes each outcome to done.
func (s *server) runRefresher(ctx context.Context, r *idp.Refresher,
	done func(context.Context, idp.RefreshStatus, error)) {
	for {
		if st := r.Status(); !st.LastAttempt.IsZero() {
			t := time.NewTimer(time.Until(st.NextRefresh))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		err := r.Refresh(ctx)
		if ctx.Err() != nil {
			return
		}
		done(ctx, r.Status(), err)
	}
}

// refreshed writes a fetch's outcome to the stored copy: the new metadata
// and what it changes in the configuration, or the failure. A change of
// keys or endpoints is served at once.
func (s *server) refreshed(ctx context.Context, name string, st idp.RefreshStatus,
	fetchErr error) {
	s.idpMu.Lock()
	defer s.idpMu.Unlock()
	e := s.stored[name]
	if e == nil || ctx.Err() != nil {
		return // deleted or replaced meanwhile
	}
	sc, err := s.store.IDPConfig(ctx, name)
	if err != nil {
		s.log.Error("reading a stored IdP after a refresh", slog.String("idp", name),
			slog.Any("error", err))
		return
	}

	if sc.MetadataURL != e.sc.MetadataURL {
		// Another instance gave it another source since this refresher
		// began: the next sync restarts the refresher for the new one.
		return
	}

	sc.LastAttempt, sc.LastError = st.LastAttempt, ""
	if fetchErr != nil {
		sc.LastError = fetchErr.Error()
	} else if md := st.Metadata; md != nil {
		sc.Config.ApplyMetadata(md.IDP)
		sc.Metadata, sc.ETag, sc.LastModified = md.Raw, md.ETag, md.LastModified
		sc.FetchedAt = md.FetchedAt
	}
	put, err := s.store.PutIDPConfig(ctx, sc)
	if err != nil {
		s.log.Error("storing a refreshed IdP", slog.String("idp", name), slog.Any("error", err))
		return
	}

	// Compared with what this instance serves, not with the stored copy:
	// another instance may have stored the same change already.
	served, held := e.sc.Config, e.hold != ""
	e.sc = put
	if fetchErr == nil {
		e.hold = ""
	}
	if len(configChanges(&served, &put.Config)) > 0 || (fetchErr == nil && held) {
		if err := s.rebuild(); err != nil {
			s.log.Error("serving a refreshed IdP", slog.String("idp", name),
				slog.Any("error", err))
		}
	}
}

// stopRefreshers stops every refresher, of stored and flag IdPs, and
// waits for them to end.
func (s *server) stopRefreshers() {
	if s.stopSync != nil {
		s.stopSync()
	}
	s.idpMu.Lock()
	for _, e := range s.stored {
		e.stopRefresher()
	}
	for _, fs := range s.flagSources {
		if fs.stop != nil {
			fs.stop()
		}
	}
	s.idpMu.Unlock()
	s.refreshers.Wait()
}

// validateBeside validates c as it would be served beside others (the
// one of others named like c is replaced by c), and returns c's problems
// or nil.
func validateBeside(others map[string]idp.Config, c idp.Config) *idp.ConfigError {
	list := make([]idp.Config, 0, len(others)+1)
	for _, name := range slices.Sorted(maps.Keys(others)) {
		if name != c.Name {
			list = append(list, others[name])
		}
	}
	list = append(list, c)
	err := idp.ValidateAll(list)
	if err == nil {
		return nil
	}
	var mine *idp.ConfigError
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var ce *idp.ConfigError
		if errors.As(e, &ce) && ce.Name == c.Name {
			mine = ce // the last one is c's: c is last in the list
		}
	}
	return mine
}

// configChanges names the fields that differ between a and b.
func configChanges(a, b *idp.Config) []string {
	var out []string
	add := func(field string, differ bool) {
		if differ {
			out = append(out, field)
		}
	}
	add("EntityID", a.EntityID != b.EntityID)
	add("SSOURL", a.SSOURL != b.SSOURL)
	add("SSOBinding", a.Binding() != b.Binding())
	add("SLOURL", a.SLOURL != b.SLOURL)
	add("SigningCertificates", !sameCerts(a, b))
	add("MetadataValidUntil", !a.MetadataValidUntil.Equal(b.MetadataValidUntil))
	add("SignAuthnRequests", a.SignAuthnRequests != b.SignAuthnRequests)
	add("NameIDFormat", a.NameIDFormat != b.NameIDFormat)
	add("AllowIDPInitiated", a.AllowIDPInitiated != b.AllowIDPInitiated)
	add("RequireSignedAssertions", a.RequireSignedAssertions != b.RequireSignedAssertions)
	add("InsecureAllowSHA1", a.InsecureAllowSHA1 != b.InsecureAllowSHA1)
	add("InsecureAllowRSA15", a.InsecureAllowRSA15 != b.InsecureAllowRSA15)
	add("InsecureIgnoreCertificateExpiry",
		a.InsecureIgnoreCertificateExpiry != b.InsecureIgnoreCertificateExpiry)
	add("ClockSkew", a.ClockSkew != b.ClockSkew)
	add("Preset", a.Preset != b.Preset)
	add("Mapping", a.Mapping != b.Mapping)
	add("EmailDomains", !slices.Equal(a.EmailDomains, b.EmailDomains))
	return out
}

// sameCerts reports whether a and b list the same signing certificates,
// in order.
func sameCerts(a, b *idp.Config) bool {
	return slices.EqualFunc(a.SigningCertificates, b.SigningCertificates,
		func(x, y *x509.Certificate) bool { return x.Equal(y) })
}
