package sharehttp

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/share"
)

// Defaults for [Config] and [RateLimit].
const (
	// DefaultACSRate and DefaultACSBurst limit posts to the ACS per client.
	DefaultACSRate  = rate.Limit(1)
	DefaultACSBurst = 10
	// DefaultLinkRate and DefaultLinkBurst limit link requests per client.
	// A page with many images costs one request per image.
	DefaultLinkRate  = rate.Limit(10)
	DefaultLinkBurst = 60
	// DefaultMaxClients bounds the clients whose rate-limit state is
	// kept; past it, the least recently seen are forgotten.
	DefaultMaxClients = 10000
)

// RateLimit is a token bucket per client: Rate requests per second on
// average, and bursts of up to Burst. The zero value means the default of
// the route it applies to.
type RateLimit struct {
	// Rate is the sustained number of requests per second; zero means
	// the route's default.
	Rate rate.Limit
	// Burst is the largest burst; zero means the route's default.
	Burst int
}

// Config configures a [Handler]. The zero value of each optional field is
// the safe choice.
type Config struct {
	// Service decides, records and keeps sessions. Required.
	Service *share.Service
	// IDPs are the trusted IdP configurations, keyed by the name used in
	// URLs (/saml/login/{name}), in link policies and on profiles. Each
	// Config's Name must equal its key. At least one is required.
	IDPs map[string]idp.Config

	// BaseURL is the public URL the handler is reached at, such as
	// https://share.example.com or https://example.com/share. Its path, if
	// any, is the prefix under which every route is served: mount the
	// handler at that path without stripping it. It must be https, or
	// http on a loopback host. Required.
	BaseURL string
	// EntityID is the SP entity ID; empty means BaseURL + "/saml/metadata",
	// the usual convention, so the metadata URL is the entity ID.
	EntityID string
	// SigningKey signs every AuthnRequest and logout message, and the SP
	// metadata then says AuthnRequestsSigned="true". Nil sends them
	// unsigned; an IdP that wants signed requests
	// (idp.Config.SignAuthnRequests) is then refused by New.
	SigningKey crypto.Signer
	// SigningCertificate is SigningKey's certificate, published in the SP
	// metadata. Required when SigningKey is set.
	SigningCertificate *x509.Certificate
	// EncryptionKey decrypts EncryptedAssertion and EncryptedID (SAML 2.0
	// Core, section 2.3.4), and EncryptionCertificate, its certificate, is
	// published in the SP metadata for IdPs to encrypt to. Both or neither
	// must be set; nil refuses encrypted assertions.
	EncryptionKey         *rsa.PrivateKey
	EncryptionCertificate *x509.Certificate
	// ReplayCache remembers accepted assertion IDs. Nil means a private
	// in-memory cache, which protects one process only: when several
	// instances serve one SP, pass the shared store (the store package's
	// stores implement saml.ReplayCache).
	ReplayCache saml.ReplayCache

	// Content serves pages; put a confluence.Cache in front of a client.
	// Required.
	Content confluence.Source
	// Attachments streams attachments and images of shared pages; nil
	// means attachments are not served (their links become text).
	Attachments confluence.AttachmentSource
	// Render configures the renderer that rewrites and sanitises page
	// HTML; set SiteURLs to the Confluence site so that absolute links to
	// it are recognised.
	Render confluence.RenderConfig

	// InsecureCookies drops the Secure attribute and the __Host- prefix
	// from cookies. New allows it only when BaseURL is plain http on a
	// loopback host, for a demo on one machine.
	InsecureCookies bool
	// FrameAncestors are the sources allowed to frame the pages, as in
	// the CSP frame-ancestors directive (for example
	// "https://intranet.example.com"); empty means no framing at all.
	FrameAncestors []string
	// ACSRateLimit limits posts to the ACS per client; zero fields mean
	// DefaultACSRate and DefaultACSBurst.
	ACSRateLimit RateLimit
	// LinkRateLimit limits requests to link routes per client; zero fields
	// mean DefaultLinkRate and DefaultLinkBurst.
	LinkRateLimit RateLimit
	// ClientKey names the client a request comes from, for rate limits.
	// Nil means the IP address of r.RemoteAddr; behind a reverse proxy,
	// return the address the proxy vouches for instead.
	ClientKey func(r *http.Request) string

	// DefaultReturnPath is where an IdP-initiated sign-in lands when its
	// RelayState is not a safe local path; empty means the handler's
	// signed-in page (prefix + "/s/").
	DefaultReturnPath string
	// AllowTestLogin reports whether the request may start a Test
	// Configuration sign-in (/saml/test/{idp}), typically by checking the
	// host's admin session. Nil turns the route off. The sign-in shows the
	// idp report (with a missing group attribute as a warning) to whoever
	// completes it, and starts no session.
	AllowTestLogin func(r *http.Request) bool

	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of request IDs and CSP nonces; nil means
	// crypto/rand.Reader.
	Rand io.Reader
	// Logger receives errors the handler cannot show, such as a storage
	// failure; nil means discard. Nothing secret is logged.
	Logger *slog.Logger
}

// ConfigError reports a Config that New refuses.
type ConfigError struct {
	// Field is the Config field at fault, such as "BaseURL".
	Field string
	// Msg says what is wrong.
	Msg string
}

// Error implements error.
func (e *ConfigError) Error() string {
	return "sharehttp: invalid " + e.Field + ": " + e.Msg
}

// orDefault fills a RateLimit's zero fields with r and b.
func (l RateLimit) orDefault(r rate.Limit, b int) RateLimit {
	if l.Rate == 0 {
		l.Rate = r
	}
	if l.Burst == 0 {
		l.Burst = b
	}
	return l
}
