package sharehttp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/share"
)

// Handler is the http.Handler a host application mounts to share
// Confluence content behind SAML sign-in. It serves the routes listed in
// the package documentation under the path of Config.BaseURL.
//
// A Handler keeps no state of its own beyond its configuration and the
// per-client rate-limit buckets, so several instances over one store serve
// the same users. It is safe for concurrent use.
type Handler struct {
	svc  *share.Service
	idps map[string]*idpEntry
	// replay is the replay cache responses' assertion IDs and logout
	// requests' IDs are claimed in.
	replay   saml.ReplayCache
	content  confluence.Source
	attach   confluence.AttachmentSource
	renderer *confluence.Renderer

	prefix   string
	origin   string
	entityID string
	acsURL   string
	sloURL   string
	metadata []byte
	reqCfg   saml.RequestConfig
	signed   *saml.RequestBuilder // nil without a signing key
	unsigned *saml.RequestBuilder

	secure         bool
	sessionCookie  string
	frameAncestors string
	formAction     string
	defaultReturn  string
	allowTest      func(*http.Request) bool

	acsLimit  *limiter
	linkLimit *limiter
	clientKey func(*http.Request) string

	now  func() time.Time
	rand io.Reader
	log  *slog.Logger
	mux  *http.ServeMux
}

// idpEntry is one configured IdP with its verifiers.
type idpEntry struct {
	cfg    idp.Config
	verify *saml.Verifier
	logout *saml.LogoutVerifier // nil without an SLO URL
}

// New checks cfg and returns a Handler. It does no I/O.
func New(cfg Config) (*Handler, error) {
	h := &Handler{svc: cfg.Service, content: cfg.Content,
		attach: cfg.Attachments, allowTest: cfg.AllowTestLogin, now: cfg.Now,
		rand: cfg.Rand, log: cfg.Logger, clientKey: cfg.ClientKey}
	if err := h.checkRequired(&cfg); err != nil {
		return nil, err
	}
	if err := h.setURLs(&cfg); err != nil {
		return nil, err
	}
	h.setDefaults(&cfg)
	if err := h.setBuilders(); err != nil {
		return nil, err
	}

	var err error
	if h.renderer, err = confluence.NewRenderer(cfg.Render); err != nil {
		return nil, &ConfigError{Field: "Render", Msg: err.Error()}
	}
	if err := h.setIDPs(&cfg); err != nil {
		return nil, err
	}
	if err := h.setMetadata(&cfg); err != nil {
		return nil, err
	}
	h.routes()
	return h, nil
}

// ServeHTTP implements http.Handler. Every answer carries the security
// headers described in the package documentation.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	nonce, err := h.nonce()
	if err != nil {
		h.log.ErrorContext(r.Context(), "sharehttp: reading random bytes", slog.Any("error", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.csp(nonce))
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	if h.frameAncestors == "'none'" {
		hd.Set("X-Frame-Options", "DENY")
	}
	if h.secure {
		hd.Set("Strict-Transport-Security", "max-age=31536000")
	}
	h.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), nonceKey{}, nonce)))
}

// MetadataURL returns the URL of the SP metadata (by convention, the
// entity ID too).
func (h *Handler) MetadataURL() string { return h.origin + h.prefix + "/saml/metadata" }

// EntityID returns the SP entity ID that IdPs must use as the audience.
func (h *Handler) EntityID() string { return h.entityID }

// ACSURL returns the Assertion Consumer Service URL, where IdPs post
// responses.
func (h *Handler) ACSURL() string { return h.acsURL }

// SLOURL returns the Single Logout URL.
func (h *Handler) SLOURL() string { return h.sloURL }

// DefaultRelayState returns the path IdP-initiated sign-ins land on, to be
// entered as the IdP application's default RelayState.
func (h *Handler) DefaultRelayState() string { return h.defaultReturn }

// LinkURL returns the URL that opens a link with the given token, for an
// admin to copy.
func (h *Handler) LinkURL(token string) string {
	return h.origin + h.prefix + "/s/" + url.PathEscape(token)
}

// routes registers every route on a new mux.
func (h *Handler) routes() {
	m := http.NewServeMux()
	p := h.prefix
	m.HandleFunc("GET "+p+"/saml/metadata", h.serveMetadata)
	m.HandleFunc("GET "+p+"/saml/login/{idp}", h.serveLogin)
	m.HandleFunc("POST "+p+"/saml/acs", h.serveACS)
	m.HandleFunc("GET "+p+"/saml/slo", h.serveSLO)
	m.HandleFunc("POST "+p+"/saml/slo", h.serveSLO)
	m.HandleFunc("POST "+p+"/saml/logout", h.serveLogout)
	m.HandleFunc("GET "+p+"/saml/test/{idp}", h.serveTestLogin)
	m.HandleFunc("GET "+p+"/saml/resume/{link}", h.serveResume)
	m.HandleFunc("GET "+p+"/s/{$}", h.serveHome)
	m.HandleFunc("GET "+p+"/s/{token}", h.serveLink)
	m.HandleFunc("GET "+p+"/s/{token}/p/{page}", h.serveLink)
	m.HandleFunc("GET "+p+"/s/{token}/a/{page}/{attachment}", h.serveAttachment)
	m.HandleFunc("GET "+p+"/", func(w http.ResponseWriter, r *http.Request) {
		h.message(w, r, http.StatusNotFound, "Not found",
			"There is nothing at this address. Check that the link was copied whole.")
	})
	h.mux = m
}

// checkRequired checks the fields without defaults.
func (h *Handler) checkRequired(cfg *Config) error {
	switch {
	case cfg.Service == nil:
		return &ConfigError{Field: "Service", Msg: "a share.Service is required"}
	case cfg.Content == nil:
		return &ConfigError{Field: "Content", Msg: "a content source is required"}
	case len(cfg.IDPs) == 0:
		return &ConfigError{Field: "IDPs", Msg: "at least one IdP is required"}
	case cfg.SigningKey != nil && cfg.SigningCertificate == nil:
		return &ConfigError{Field: "SigningCertificate", Msg: "required with SigningKey"}
	case (cfg.EncryptionKey == nil) != (cfg.EncryptionCertificate == nil):
		return &ConfigError{Field: "EncryptionCertificate",
			Msg: "EncryptionKey and EncryptionCertificate go together"}
	}
	for _, fa := range cfg.FrameAncestors {
		if fa == "" || strings.ContainsAny(fa, "; ,\t\r\n\"") {
			return &ConfigError{Field: "FrameAncestors",
				Msg: "each entry must be one CSP source expression"}
		}
	}
	return nil
}

// setURLs derives our URLs from BaseURL and decides on cookie security.
func (h *Handler) setURLs(cfg *Config) error {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return &ConfigError{Field: "BaseURL", Msg: "must be an absolute URL without query"}
	}
	loopback := isLoopback(u.Hostname())
	switch {
	case u.Scheme == "http" && !loopback:
		return &ConfigError{Field: "BaseURL", Msg: "must be https unless the host is loopback"}
	case u.Scheme != "https" && u.Scheme != "http":
		return &ConfigError{Field: "BaseURL", Msg: "must be https"}
	case cfg.InsecureCookies && (u.Scheme != "http" || !loopback):
		return &ConfigError{Field: "InsecureCookies",
			Msg: "allowed only with a plain http BaseURL on a loopback host"}
	}
	h.prefix = strings.TrimSuffix(u.EscapedPath(), "/")
	if h.prefix != "" && !SafeReturnPath(h.prefix+"/", "") {
		return &ConfigError{Field: "BaseURL", Msg: "its path is not a plain path"}
	}
	h.origin = u.Scheme + "://" + u.Host
	h.entityID = cfg.EntityID
	if h.entityID == "" {
		h.entityID = h.origin + h.prefix + "/saml/metadata"
	}
	h.acsURL = h.origin + h.prefix + "/saml/acs"
	h.sloURL = h.origin + h.prefix + "/saml/slo"
	h.secure = !cfg.InsecureCookies
	h.sessionCookie = "ss_session"
	if h.secure {
		h.sessionCookie = "__Host-ss_session"
	}
	h.defaultReturn = h.prefix + "/s/"
	if cfg.DefaultReturnPath != "" {
		if !SafeReturnPath(cfg.DefaultReturnPath, h.prefix) {
			return &ConfigError{Field: "DefaultReturnPath", Msg: "not a safe path under BaseURL"}
		}
		h.defaultReturn = cfg.DefaultReturnPath
	}
	return nil
}

// setDefaults fills the optional fields.
func (h *Handler) setDefaults(cfg *Config) {
	if h.now == nil {
		h.now = time.Now
	}
	if h.rand == nil {
		h.rand = rand.Reader
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.clientKey == nil {
		h.clientKey = remoteIP
	}
	h.acsLimit = newLimiter(cfg.ACSRateLimit.orDefault(DefaultACSRate, DefaultACSBurst),
		DefaultMaxClients)
	h.linkLimit = newLimiter(cfg.LinkRateLimit.orDefault(DefaultLinkRate, DefaultLinkBurst),
		DefaultMaxClients)
	h.frameAncestors = "'none'"
	if len(cfg.FrameAncestors) > 0 {
		h.frameAncestors = strings.Join(cfg.FrameAncestors, " ")
	}
	h.reqCfg = saml.RequestConfig{EntityID: h.entityID, ACSURL: h.acsURL,
		SigningKey: cfg.SigningKey, SigningCertificate: cfg.SigningCertificate, Now: h.now,
		Rand: h.rand}
}

// setBuilders makes the request builders, one that signs when a key is
// configured and one that never does.
func (h *Handler) setBuilders() error {
	plain := h.reqCfg
	plain.SigningKey, plain.SigningCertificate = nil, nil
	var err error
	if h.unsigned, err = saml.NewRequestBuilder(plain); err != nil {
		return &ConfigError{Field: "BaseURL", Msg: err.Error()}
	}
	h.signed = h.unsigned
	if h.reqCfg.SigningKey != nil {
		if h.signed, err = saml.NewRequestBuilder(h.reqCfg); err != nil {
			return &ConfigError{Field: "SigningKey", Msg: err.Error()}
		}
	}
	return nil
}

// setIDPs validates the IdP configurations and builds their verifiers.
func (h *Handler) setIDPs(cfg *Config) error {
	sp := idp.ServiceProvider{EntityID: h.entityID, ACSURLs: []string{h.acsURL}, Now: h.now,
		ReplayCache: cfg.ReplayCache}
	if cfg.EncryptionKey != nil {
		sp.DecryptionKeys = []*rsa.PrivateKey{cfg.EncryptionKey}
	}
	if sp.ReplayCache == nil {
		sp.ReplayCache = &saml.MemoryReplayCache{Now: h.now}
	}
	h.replay = sp.ReplayCache
	h.idps = make(map[string]*idpEntry, len(cfg.IDPs))
	origins := map[string]bool{}
	for name, ic := range cfg.IDPs {
		field := "IDPs[" + name + "]"
		if ic.Name != name {
			return &ConfigError{Field: field, Msg: "its Name must equal its key"}
		}
		if err := ic.Validate(); err != nil {
			return &ConfigError{Field: field, Msg: err.Error()}
		}
		if ic.SignAuthnRequests && cfg.SigningKey == nil {
			return &ConfigError{Field: field, Msg: "the IdP wants signed requests; set SigningKey"}
		}
		e, err := h.newIDPEntry(ic, sp)
		if err != nil {
			return &ConfigError{Field: field, Msg: err.Error()}
		}
		if ic.SLOURL != "" {
			origins[originOf(ic.SLOURL)] = true
		}
		origins[originOf(ic.SSOURL)] = true
		h.idps[name] = e
	}
	list := []string{"'self'"}
	for o := range origins {
		if o != "" {
			list = append(list, o)
		}
	}
	sort.Strings(list[1:])
	h.formAction = strings.Join(list, " ")
	return nil
}

// newIDPEntry builds the verifiers of one IdP.
func (h *Handler) newIDPEntry(ic idp.Config, sp idp.ServiceProvider) (*idpEntry, error) {
	v, err := ic.NewVerifier(sp)
	if err != nil {
		return nil, err
	}
	e := &idpEntry{cfg: ic, verify: v}
	if ic.SLOURL == "" {
		return e, nil
	}
	e.logout, err = saml.NewLogoutVerifier(saml.LogoutVerifierConfig{
		SLOURLs: []string{h.sloURL}, IDPEntityID: ic.EntityID,
		IDPCertificates: ic.SigningCertificates, InsecureAllowSHA1: ic.InsecureAllowSHA1,
		IDPCertificatesValidUntil:       ic.MetadataValidUntil,
		InsecureIgnoreCertificateExpiry: ic.InsecureIgnoreCertificateExpiry,
		ClockSkew:                       ic.ClockSkew, Now: h.now})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// setMetadata renders the SP metadata once.
func (h *Handler) setMetadata(cfg *Config) error {
	md := saml.SPMetadata{EntityID: h.entityID,
		AssertionConsumerServices: []saml.Endpoint{{Binding: saml.BindingHTTPPost,
			Location: h.acsURL, IsDefault: true}},
		SingleLogoutServices: []saml.Endpoint{
			{Binding: saml.BindingHTTPRedirect, Location: h.sloURL},
			{Binding: saml.BindingHTTPPost, Location: h.sloURL}},
		NameIDFormats:        []string{saml.NameIDFormatEmailAddress},
		AuthnRequestsSigned:  cfg.SigningKey != nil,
		WantAssertionsSigned: true,
	}
	if cfg.SigningCertificate != nil {
		md.SigningCertificates = []*x509.Certificate{cfg.SigningCertificate}
	}
	if cfg.EncryptionCertificate != nil {
		md.EncryptionCertificates = []*x509.Certificate{cfg.EncryptionCertificate}
	}
	b, err := md.XML()
	if err != nil {
		return &ConfigError{Field: "EntityID", Msg: err.Error()}
	}
	h.metadata = b
	return nil
}

// serveMetadata answers the SP metadata document.
func (h *Handler) serveMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(h.metadata)
}

// nonceKey is the context key of the request's CSP nonce.
type nonceKey struct{}

// nonce returns 128 random bits for a CSP nonce.
func (h *Handler) nonce() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(h.rand, b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// nonceOf returns the nonce ServeHTTP put in r's context.
func nonceOf(r *http.Request) string {
	s, _ := r.Context().Value(nonceKey{}).(string)
	return s
}

// csp is the Content-Security-Policy of every answer: nothing inline but
// what carries the nonce, images from us only, forms to us and the IdPs.
func (h *Handler) csp(nonce string) string {
	return "default-src 'none'; img-src 'self'; style-src 'nonce-" + nonce +
		"'; script-src 'nonce-" + nonce + "'; form-action " + h.formAction +
		"; base-uri 'none'; frame-ancestors " + h.frameAncestors
}

// errorf logs an unexpected failure; the caller shows a generic page.
func (h *Handler) errorf(r *http.Request, msg string, err error) {
	level := slog.LevelError
	if cerr := r.Context().Err(); cerr != nil && errors.Is(err, cerr) {
		// The client went away before the answer was ready: nobody reads
		// it, and nothing is wrong on this side.
		level, msg = slog.LevelInfo, msg+": the client went away"
	}
	h.log.Log(r.Context(), level, "sharehttp: "+msg, slog.String("path", redactPath(r)),
		slog.Any("error", err))
}

// redactPath is the request path with any link token replaced, for logs.
func redactPath(r *http.Request) string {
	if t := r.PathValue("token"); t != "" {
		return strings.Replace(r.URL.Path, t, "<token>", 1)
	}
	return r.URL.Path
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// originOf returns scheme://host of an absolute URL, or "".
func originOf(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// isNotFound reports whether err means the thing does not exist.
func isNotFound(err error) bool {
	return errors.Is(err, share.ErrNotFound) || errors.Is(err, confluence.ErrNotFound)
}
