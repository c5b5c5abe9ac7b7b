package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/secureshare/secureshare/idp"
)

// idpNamePattern is what an IdP name in --idp-metadata may look like: it
// goes into URLs (/saml/login/{name}) and link policies.
var idpNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// flagSource is the metadata URL of an IdP of --idp-metadata, refreshed
// while serving. url and r are fixed; the server's idpMu guards the rest.
type flagSource struct {
	url string // redacted, for the IdPs page
	r   *idp.Refresher
	// fetchedAt, lastAttempt and lastError are the last good copy's fetch
	// time and the last fetch's time and error, for the IdPs page.
	fetchedAt, lastAttempt time.Time
	lastError              string
	// stop ends its refresher; nil until started.
	stop context.CancelFunc
}

// loadIDPs reads each --idp-metadata value, [NAME=]FILE_OR_URL, into an
// IdP configuration with the generic attribute names. Metadata by URL
// (https, or http on loopback) is fetched at start-up, where a failure is
// fatal, and then refreshed while serving by the returned sources, pinned
// to the entity ID first fetched; see startFlagRefreshers. A file is read
// once.
func loadIDPs(ctx context.Context, specs []string,
	log *slog.Logger) (map[string]idp.Config, map[string]*flagSource, error) {
	out := make(map[string]idp.Config, len(specs))
	sources := make(map[string]*flagSource)
	for i, spec := range specs {
		name, src := defaultIDPName(i), spec
		if n, rest, ok := strings.Cut(spec, "="); ok && idpNamePattern.MatchString(n) {
			name, src = n, rest
		}
		if _, dup := out[name]; dup {
			return nil, nil, badUsage("--idp-metadata: the name %q is used twice", name)
		}
		md, fs, err := readIDPMetadata(ctx, src, log.With(slog.String("idp", name)))
		if err != nil {
			return nil, nil, err
		}

		c := idp.Config{Name: name}
		c.ApplyMetadata(md.IDP)
		if err := c.Validate(); err != nil {
			return nil, nil, badUsage("--idp-metadata %s: %v", idp.RedactURL(src), err)
		}
		out[name] = c
		if fs != nil {
			sources[name] = fs
		}
	}
	return out, sources, nil
}

// readIDPMetadata reads metadata from a file, or fetches it from a URL
// with a refresher that keeps it current, returned as well.
func readIDPMetadata(ctx context.Context, src string,
	log *slog.Logger) (*idp.Metadata, *flagSource, error) {
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		md, err := idp.ReadMetadataFile(src, idp.MetadataOptions{})
		if err != nil {
			return nil, nil, badUsage("--idp-metadata %s: %v", src, err)
		}
		return md, nil, nil
	}
	f, err := idp.NewFetcher(idp.FetcherConfig{URL: src, InsecureAllowHTTP: u.Scheme == "http"})
	if err != nil {
		return nil, nil, badUsage("--idp-metadata %s: %v", idp.RedactURL(src), err)
	}
	r, err := idp.NewRefresher(idp.RefresherConfig{Fetcher: f, Spread: refreshSpread,
		Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("--idp-metadata %s: %w", idp.RedactURL(src), err)
	}

	// The start-up fetch is the refresher's first: it pins the entity ID
	// and schedules the next one.
	if err := r.Refresh(ctx); err != nil {
		return nil, nil, fmt.Errorf("--idp-metadata %s: %w", idp.RedactURL(src), err)
	}
	st := r.Status()
	fs := &flagSource{url: f.URL(), r: r, fetchedAt: st.Metadata.FetchedAt,
		lastAttempt: st.LastAttempt}
	return st.Metadata, fs, nil
}

// startFlagRefreshers starts refreshing the metadata of the flag IdPs
// given by URL. The first fetch waits for the schedule of the copy
// fetched at start-up. The caller holds idpMu.
func (s *server) startFlagRefreshers() {
	for name, fs := range s.flagSources {
		fs.stop = s.goRefresher(fs.r, func(ctx context.Context, st idp.RefreshStatus,
			err error) {
			s.flagRefreshed(ctx, name, st, err)
		})
	}
}

// flagRefreshed records a fetch of a flag IdP's metadata and, when the new
// copy changes its configuration (such as a new signing certificate),
// serves the change at once. On failure, or when the new configuration is
// invalid, the last good one stays in use; the refresher has logged the
// failure.
func (s *server) flagRefreshed(ctx context.Context, name string, st idp.RefreshStatus,
	fetchErr error) {
	s.idpMu.Lock()
	defer s.idpMu.Unlock()
	fs := s.flagSources[name]
	if fs == nil || ctx.Err() != nil {
		return
	}
	fs.lastAttempt, fs.lastError = st.LastAttempt, ""
	if fetchErr != nil {
		fs.lastError = fetchErr.Error()
		return
	}
	md := st.Metadata
	if md == nil {
		return
	}
	fs.fetchedAt = md.FetchedAt

	before := s.flagIDPs[name]
	c := before
	c.ApplyMetadata(md.IDP)
	changes := configChanges(&before, &c)
	if len(changes) == 0 {
		return
	}
	if err := c.Validate(); err != nil {
		fs.lastError = err.Error()
		s.log.Warn("an IdP's refreshed metadata is invalid; keeping the last good copy",
			slog.String("idp", name), slog.Any("error", err))
		return
	}

	prev := s.flagIDPs
	s.flagIDPs = maps.Clone(prev) // generations keep the old map
	s.flagIDPs[name] = c
	if err := s.rebuild(); err != nil {
		s.flagIDPs = prev
		fs.lastError = err.Error()
		s.log.Error("serving an IdP's refreshed metadata", slog.String("idp", name),
			slog.Any("error", err))
		return
	}
	s.log.Info("an IdP's metadata changed; serving the new copy", slog.String("idp", name),
		slog.String("changed", strings.Join(changes, ", ")))
}

// defaultIDPName names the i-th IdP without a NAME=: idp, idp2, idp3...
func defaultIDPName(i int) string {
	if i == 0 {
		return "idp"
	}
	return "idp" + strconv.Itoa(i+1)
}
