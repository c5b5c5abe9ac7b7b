package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/share"
	"github.com/secureshare/secureshare/share/sharehttp"
	"github.com/secureshare/secureshare/store"
)

// sweepInterval is how often expired sessions, requests and replay-cache
// entries are deleted.
const sweepInterval = 5 * time.Minute

// runServe implements "secureshare serve", and "secureshare" with no
// arguments. It serves until SIGINT or SIGTERM.
func runServe(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveMain(ctx, args, os.Getenv, stdout, stderr)
}

// serveMain parses the flags, starts the server and serves until ctx is
// done, then shuts down gracefully. It returns the exit status.
func serveMain(ctx context.Context, args []string, getenv func(string) string,
	stdout, stderr io.Writer) int {
	f, err := parseServeFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "secureshare serve: %v\n", err)
		fmt.Fprintf(stderr, "Run 'secureshare serve -h' for usage.\n")
		return exitBadUsage
	}
	log := newLogger(f.logFormat, stderr)

	s, err := newServer(ctx, f, log)
	if err != nil {
		fmt.Fprintf(stderr, "secureshare serve: %v\n", err)
		var ue *usageError
		if errors.As(err, &ue) {
			return exitBadUsage
		}
		return exitRefused
	}
	s.printBanner(stdout)

	served := make(chan error, 1)
	go func() { served <- s.serve() }()
	select {
	case err = <-served:
	case <-ctx.Done():
		log.Info("shutting down", slog.Duration("timeout", f.shutdownTimeout))
		sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
		defer cancel()
		err = s.shutdown(sctx)
	}
	s.close()
	if err != nil {
		log.Error("serving failed", slog.Any("error", err))
		return exitRefused
	}
	log.Info("stopped")
	return exitOK
}

// server is one Secure Share process: the store, the sharehttp handler,
// the demo parts when they stand in for real ones, and the HTTP server.
type server struct {
	flags   *serveFlags
	log     *slog.Logger
	ln      net.Listener
	conns   *connLimiter // ln, capped at --max-connections
	baseURL string
	prefix  string

	store   *store.Store
	svc     *share.Service
	demoIDP *demoIDP         // nil with real IdPs
	wiki    *httptest.Server // the demo Confluence; nil with a real one
	links   []demoLink
	metrics *metrics
	admin   *admin // nil when the admin pages are off

	// hcfg is every handler setting but the IdPs. Each generation of the
	// handler is built from it, so that they share the Service, the
	// replay cache (the store) and the content cache.
	hcfg sharehttp.Config
	live atomic.Pointer[generation]

	// idpMu serialises IdP changes and guards flagIDPs (replaced, not
	// modified, when a flag IdP's metadata changes), flagSources and
	// stored.
	idpMu       sync.Mutex
	flagIDPs    map[string]idp.Config  // from --idp-metadata, or the demo IdP
	flagSources map[string]*flagSource // the flag IdPs given by URL
	stored      map[string]*storedIDP  // configured on the admin pages
	refreshers  sync.WaitGroup
	stopSync    context.CancelFunc // ends goSyncStoredIDPs

	http      *http.Server
	stopSweep context.CancelFunc
}

// newServer sets everything up and listens, but does not serve yet. An
// error that bad flags or files cause is a *usageError.
func newServer(ctx context.Context, f *serveFlags, log *slog.Logger) (_ *server, err error) {
	s := &server{flags: f, log: log}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if err := s.makeDataDir(); err != nil {
		return nil, err
	}
	if err := s.listen(); err != nil {
		return nil, err
	}
	s.metrics = newMetrics(s.prefix)
	if err := s.openStore(ctx); err != nil {
		return nil, err
	}
	if err := s.newHandler(ctx); err != nil {
		return nil, err
	}
	if s.admin, err = newAdmin(s); err != nil {
		return nil, err
	}
	if f.demoWiki() {
		if s.links, err = ensureDemoLinks(ctx, s.svc, f.dataDir, time.Now()); err != nil {
			return nil, err
		}
	}

	s.http = &http.Server{
		Handler:           s.metrics.wrap(s.accessLog(withDeadline(s.routes(), requestTimeout))),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: requestTimeout, IdleTimeout: 2 * time.Minute,
		ConnState: s.conns.ConnState,
		ErrorLog:  slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	s.startSweep()
	return s, nil
}

// serve serves until shutdown; it returns nil after a shutdown.
func (s *server) serve() error {
	s.log.Info("serving", slog.String("url", s.baseURL), slog.String("listen",
		s.ln.Addr().String()), slog.String("store", s.store.Backend()))
	if err := s.http.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// shutdown stops accepting requests and waits for those running, until
// ctx is done.
func (s *server) shutdown(ctx context.Context) error {
	return s.http.Shutdown(ctx)
}

// close releases everything newServer acquired. It may be called more
// than once.
func (s *server) close() {
	if s.stopSweep != nil {
		s.stopSweep()
	}
	s.stopRefreshers()
	if s.ln != nil {
		_ = s.ln.Close()
	}
	if s.wiki != nil {
		s.wiki.Close()
	}
	if s.store != nil {
		_ = s.store.Close()
	}
}

// makeDataDir creates the data directory, mode 0700, and warns when an
// existing one is open to other users: it holds the SP key.
func (s *server) makeDataDir() error {
	dir := s.flags.dataDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return badUsage("--data-dir: %v", err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return badUsage("--data-dir: %v", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		s.log.Warn("the data directory is readable by other users; chmod 700 it",
			slog.String("dir", dir), slog.String("mode", info.Mode().Perm().String()))
	}
	return nil
}

// listen opens the listener and derives the base URL from it unless
// --base-url is given.
func (s *server) listen() error {
	ln, err := net.Listen("tcp", s.flags.listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	limit := s.flags.maxConnections
	files, known := fdLimit()
	switch {
	case limit == 0 && known:
		limit = defaultMaxConnections(files)
	case limit == 0:
		limit = 10000
	case known && uint64(limit) > files:
		s.log.Warn("--max-connections is above the open-file limit: a crowd of clients "+
			"can take the files the store and outbound fetches need",
			slog.Int("max_connections", limit), slog.Uint64("open_file_limit", files))
	}
	s.conns = limitConnections(ln, limit, s.log)
	s.ln = s.conns
	s.baseURL = strings.TrimSuffix(s.flags.baseURL, "/")
	if s.baseURL == "" {
		s.baseURL = defaultBaseURL(ln.Addr())
	}
	u, err := url.Parse(s.baseURL)
	if err != nil || u.Host == "" {
		return badUsage("--base-url %q is not an absolute URL", s.flags.baseURL)
	}
	s.prefix = strings.TrimSuffix(u.EscapedPath(), "/")
	if s.flags.demoIDP() && !s.flags.forceDemoIDP &&
		(!s.flags.demoWiki() || !isLoopbackHost(u.Hostname())) {
		return badUsage("no --idp-metadata: the demo IdP, which signs anyone in " +
			"without a password, serves only the demo Confluence on a loopback base URL. " +
			"Give --idp-metadata for your IdP (or --demo-idp to run the demo IdP anyway)")
	}
	return nil
}

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// openStore opens the store and the share.Service over it.
func (s *server) openStore(ctx context.Context) error {
	st, err := store.New(ctx, store.Config{DSN: s.flags.storeDSN, Logger: s.log})
	var de *store.DSNError
	if errors.As(err, &de) {
		return badUsage("--store: %v", err)
	}
	if err != nil && strings.HasPrefix(s.flags.storeDSN, "sqlite") {
		// A file SQLite cannot open: the path or its permissions, which
		// only the configuration can fix.
		return badUsage("--store: %v", err)
	}
	if err != nil {
		return fmt.Errorf("opening the store (--store): %w", err)
	}
	s.store = st
	s.svc, err = share.NewService(share.Config{Store: s.metrics.countAudit(st), Logger: s.log})
	return err
}

// newHandler builds the sharehttp handler with the IdPs of the flags (or
// the demo IdP) and those kept in the store, and starts refreshing the
// metadata of those that have a URL.
func (s *server) newHandler(ctx context.Context) error {
	sp, err := s.spKeyPair()
	if err != nil {
		return err
	}
	if s.flagIDPs, err = s.identityProviders(ctx); err != nil {
		return err
	}
	content, attach, sites, err := s.contentSource(ctx)
	if err != nil {
		return err
	}
	insecure := s.flags.insecureHTTPLoopback
	if !s.flags.insecureSet {
		insecure = isHTTPLoopback(s.baseURL)
	}
	s.hcfg = sharehttp.Config{Service: s.svc, BaseURL: s.baseURL,
		SigningKey: sp.key, SigningCertificate: sp.cert, ReplayCache: s.store,
		Content: confluence.NewCache(content, confluence.CacheConfig{}), Attachments: attach,
		Render: confluence.RenderConfig{SiteURLs: sites}, InsecureCookies: insecure,
		AllowTestLogin: s.isAdmin, Logger: s.log, ClientKey: s.clientIP}

	h, err := s.buildHandler(s.flagIDPs)
	var ce *sharehttp.ConfigError
	if errors.As(err, &ce) {
		return badUsage("%v%s", err, flagHint(ce.Field))
	}
	if err != nil {
		return err
	}
	s.live.Store(&generation{h: h, idps: s.flagIDPs})
	if s.demoIDP != nil {
		s.demoIDP.setSP(h.EntityID(), h.ACSURL())
	}
	if err := s.loadStoredIDPs(ctx); err != nil {
		return err
	}
	s.idpMu.Lock()
	defer s.idpMu.Unlock()
	s.startFlagRefreshers()
	s.stopSync = s.goSyncStoredIDPs(idpSyncInterval)
	return nil
}

// spKeyPair is the SP's key from --sp-key and --sp-cert, or the one kept
// in the data directory, generated on first start.
func (s *server) spKeyPair() (*keyPair, error) {
	if s.flags.spKey != "" {
		return loadKeyPair(s.flags.spKey, s.flags.spCert)
	}
	kp, created, err := loadOrCreateKeyPair(s.flags.dataDir, "sp", "Secure Share SP")
	if err != nil {
		return nil, fmt.Errorf("SP key in %s: %w", s.flags.dataDir, err)
	}
	if created {
		s.log.Info("generated the SP signing key", slog.String("dir", s.flags.dataDir))
	}
	return kp, nil
}

// identityProviders are the IdPs of --idp-metadata, or the demo IdP.
func (s *server) identityProviders(ctx context.Context) (map[string]idp.Config, error) {
	if !s.flags.demoIDP() {
		idps, sources, err := loadIDPs(ctx, s.flags.idpMetadata, s.log)
		s.flagSources = sources
		return idps, err
	}
	kp, _, err := loadOrCreateKeyPair(s.flags.dataDir, "demo-idp", "Secure Share demo IdP")
	if err != nil {
		return nil, fmt.Errorf("demo IdP key in %s: %w", s.flags.dataDir, err)
	}
	if s.demoIDP, err = newDemoIDP(s.baseURL, s.prefix, kp, s.log); err != nil {
		return nil, err
	}
	return map[string]idp.Config{demoIDPName: s.demoIDP.config()}, nil
}

// contentSource is the real Confluence of --confluence-url or the demo
// one, with the site URLs the renderer recognises.
func (s *server) contentSource(ctx context.Context) (confluence.Source,
	confluence.AttachmentSource, []string, error) {
	f := s.flags
	if !f.demoWiki() {
		return realConfluence(ctx, f, s.metrics.confluenceClient(nil))
	}
	wiki, err := newDemoWiki()
	if err != nil {
		return nil, nil, nil, err
	}
	var h http.Handler = wiki
	if f.demoWikiFaults != "" {
		h = newWikiFaults(f.demoWikiFaults, wiki, s.log)
	}
	s.wiki = httptest.NewTLSServer(h)
	c, err := confluence.NewCloud(confluence.CloudConfig{BaseURL: s.wiki.URL,
		HTTPClient: s.metrics.confluenceClient(s.wiki.Client()), Email: "reader@example.com",
		APIToken: "cloud-api-token"})
	if err != nil {
		return nil, nil, nil, err
	}
	return c, c, []string{s.wiki.URL + "/wiki"}, nil
}

// realConfluence is the Cloud or Data Center client the flags describe,
// sending its requests with hc.
func realConfluence(ctx context.Context, f *serveFlags, hc *http.Client) (confluence.Source,
	confluence.AttachmentSource, []string, error) {
	sites := []string{f.confluenceURL}
	if f.confluencePAT != "" {
		c, err := confluence.NewDataCenter(ctx, confluence.DataCenterConfig{
			BaseURL: f.confluenceURL, Token: f.confluencePAT, HTTPClient: hc})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--confluence-url: %w", err)
		}
		return c, c, sites, nil
	}
	c, err := confluence.NewCloud(confluence.CloudConfig{BaseURL: f.confluenceURL,
		Email: f.confluenceEmail, APIToken: f.confluenceToken, HTTPClient: hc})
	if err != nil {
		return nil, nil, nil, badUsage("--confluence-url: %v", err)
	}
	return c, c, sites, nil
}

// routes are the handler's routes plus health, metrics and the demo's.
func (s *server) routes() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /healthz", s.serveHealthz)
	m.HandleFunc("GET /readyz", s.serveReadyz)
	m.Handle("GET /metrics", bearerOnly(s.flags.metricsToken, s.metrics.handler()))
	if s.demoIDP != nil {
		m.Handle(s.prefix+demoIDPPath+"/", s.demoIDP)
	}
	if len(s.links) > 0 {
		m.HandleFunc("GET "+s.prefix+"/{$}", s.serveDemoIndex)
	}
	s.mountAdmin(m)
	m.Handle(s.prefix+"/", http.HandlerFunc(s.serveLive))
	return m
}

// startSweep deletes expired rows every sweepInterval until close.
func (s *server) startSweep() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopSweep = cancel
	t := time.NewTicker(sweepInterval)
	go func() {
		defer t.Stop()
		_ = s.store.SweepLoop(ctx, t.C)
	}()
}

// printBanner tells the operator where everything is.
func (s *server) printBanner(w io.Writer) {
	h := s.handler()
	fmt.Fprintf(w, "Secure Share is serving at %s\n\n", s.baseURL)
	fmt.Fprintf(w, "Service provider (enter these at your IdP):\n")
	fmt.Fprintf(w, "  metadata   %s\n  entity ID  %s\n  ACS URL    %s\n", h.MetadataURL(),
		h.EntityID(), h.ACSURL())
	if s.demoIDP != nil {
		fmt.Fprintf(w, "\nDemo identity provider (no password; pick alice or bob): %s%s/sso\n",
			s.baseURL, demoIDPPath)
	}
	if len(s.links) > 0 {
		fmt.Fprintf(w, "\nDemo links:\n")
		for _, l := range s.links {
			fmt.Fprintf(w, "  %s\n    %s\n", h.LinkURL(l.Token), l.About)
		}
	}
	s.printAdminBanner(w)
	fmt.Fprintln(w)
}

// newLogger logs to w in format json or text.
func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

// defaultBaseURL is http:// and the listen address, with an unspecified
// host (":8080", "0.0.0.0:8080") written as 127.0.0.1.
func defaultBaseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// isHTTPLoopback reports whether base is plain http on a loopback host,
// where sharehttp allows cookies without Secure.
func isHTTPLoopback(base string) bool {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return false
	}
	return isLoopbackHost(u.Hostname())
}

// flagHint names the flag behind a sharehttp Config field.
func flagHint(field string) string {
	switch {
	case field == "BaseURL":
		return " (set --base-url)"
	case field == "InsecureCookies":
		return " (--insecure-http-loopback)"
	case field == "SigningKey" || field == "SigningCertificate":
		return " (--sp-key, --sp-cert)"
	case strings.HasPrefix(field, "IDPs"):
		return " (--idp-metadata)"
	}
	return ""
}
