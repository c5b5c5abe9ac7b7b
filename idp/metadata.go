package idp

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/secureshare/secureshare/saml"
)

const (
	// DefaultMaxMetadataSize bounds a metadata document when
	// [MetadataOptions.MaxSize] is zero. Federation aggregates are larger;
	// import them with a larger limit and an EntityID.
	DefaultMaxMetadataSize = 5 << 20
)

// Metadata is an IdP's metadata as imported: the parsed document plus where
// and when it came from. Build it with [ParseMetadata], [ReadMetadataFile]
// or a [Fetcher]. A Metadata is not modified after it is returned and is
// safe for concurrent reads.
type Metadata struct {
	// IDP is the parsed IDPSSODescriptor of the chosen entity.
	IDP *saml.IDPMetadata
	// Raw is the document as received.
	Raw []byte
	// Source is the URL or file name it came from; empty for bytes.
	Source string
	// ETag and LastModified are the HTTP validators the server sent, for
	// conditional re-fetches; empty otherwise.
	ETag         string
	LastModified string
	// FetchedAt is when the document was read or last confirmed unchanged
	// (HTTP 304).
	FetchedAt time.Time
}

// MetadataOptions control how metadata is parsed and checked.
type MetadataOptions struct {
	// EntityID selects the IdP from an EntitiesDescriptor; empty accepts
	// a document with exactly one IdP.
	EntityID string
	// TrustedCertificates, when not empty, require the metadata to carry an
	// XML signature by one of these certificates' keys (pinned out of
	// band). When empty the metadata's own signature is not checked, so its
	// integrity rests on how it was obtained (HTTPS, or an administrator
	// pasting it).
	TrustedCertificates []*x509.Certificate
	// MaxSize bounds the document in bytes; zero means
	// [DefaultMaxMetadataSize].
	MaxSize int
	// Now is the clock for the validUntil check; nil means time.Now.
	Now func() time.Time
}

// ParseMetadata parses IdP metadata XML (SAML 2.0 Metadata) with
// [saml.ParseIDPMetadata] and refuses metadata whose validUntil has passed
// with a *[MetadataExpiredError] that gives the date. Metadata without an
// IDPSSODescriptor, without a signing key or without an SSO endpoint is
// refused by the saml package with a *[saml.ValidationError]. An empty
// document, a PEM certificate or an HTML page pasted instead of metadata,
// and a service provider's metadata are refused with a
// *[saml.ValidationError] that says so in plain words. When
// TrustedCertificates are set, the metadata signing certificate must also be
// valid at Now.
func ParseMetadata(data []byte, opts MetadataOptions) (*Metadata, error) {
	max := opts.maxSize()
	if len(data) > max {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMetadataTooLarge, len(data), max)
	}

	if err := notMetadata(data); err != nil {
		return nil, fmt.Errorf("idp: importing metadata: %w", err)
	}

	now := opts.now()
	sopts := saml.MetadataOptions{EntityID: opts.EntityID,
		TrustedCertificates: opts.TrustedCertificates, MaxSize: max, Now: now}
	md, err := saml.ParseIDPMetadata(data, sopts)
	var ve *saml.ValidationError
	if errors.As(err, &ve) && ve.Check == saml.CheckMetadataExpired {
		// Parse again without the clock to report the date in our type.
		sopts.Now = time.Time{}
		if md, err2 := saml.ParseIDPMetadata(data, sopts); err2 == nil {
			return nil, &MetadataExpiredError{EntityID: md.EntityID,
				ValidUntil: md.ValidUntil, Now: now}
		}
	}
	if errors.As(err, &ve) && ve.Check == saml.CheckMetadata && isSPOnly(data) {
		err = &saml.ValidationError{Check: saml.CheckMetadata, Msg: "this is a service " +
			"provider's metadata (an SPSSODescriptor and no IDPSSODescriptor), not an " +
			"IdP's; import the metadata of the IdP"}
	}
	if err != nil {
		return nil, fmt.Errorf("idp: importing metadata: %w", err)
	}
	if err := checkExpiry(md, now); err != nil {
		return nil, err
	}
	return &Metadata{IDP: md, Raw: append([]byte(nil), data...), FetchedAt: now}, nil
}

// ReadMetadataFile reads and parses the metadata file at path, refusing
// files larger than the size limit before reading them whole.
func ReadMetadataFile(path string, opts MetadataOptions) (*Metadata, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("idp: reading metadata: %w", err)
	}
	defer f.Close()

	max := opts.maxSize()
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("idp: reading metadata %s: %w", path, err)
	}
	if len(data) > max {
		return nil, fmt.Errorf("%w: %s is over %d bytes", ErrMetadataTooLarge, path, max)
	}
	md, err := ParseMetadata(data, opts)
	if err != nil {
		return nil, err
	}
	md.Source = path
	return md, nil
}

// Expired reports whether the metadata's validUntil is at or before now.
// Metadata without validUntil never expires.
func (m *Metadata) Expired(now time.Time) bool {
	return m.IDP != nil && !m.IDP.ValidUntil.IsZero() && !now.Before(m.IDP.ValidUntil)
}

// ApplyMetadata copies the IdP-side settings from metadata into c: entity
// ID, SSO URL and binding (HTTP-Redirect preferred, then HTTP-POST), SLO
// URL, signing certificates, and SignAuthnRequests when the IdP wants
// signed requests. The administrator's settings (Name, Preset, Mapping,
// NameIDFormat, insecure options, clock skew) are kept. An IdP without an
// SSO endpoint in a supported binding leaves SSOURL empty, which
// [Config.Validate] reports.
func (c *Config) ApplyMetadata(md *saml.IDPMetadata) {
	c.EntityID = md.EntityID
	c.SSOURL, c.SSOBinding = "", ""
	if ep, ok := pickEndpoint(md.SSOServices); ok {
		c.SSOURL, c.SSOBinding = ep.Location, ep.Binding
	}
	c.SLOURL = ""
	if ep, ok := pickEndpoint(md.SLOServices); ok {
		c.SLOURL = ep.Location
	}
	c.SigningCertificates = append([]*x509.Certificate(nil), md.SigningCertificates...)
	c.MetadataValidUntil = md.ValidUntil
	if md.WantAuthnRequestsSigned {
		c.SignAuthnRequests = true
	}
}

// pickEndpoint prefers HTTP-Redirect, then HTTP-POST, first listed first.
func pickEndpoint(eps []saml.Endpoint) (saml.Endpoint, bool) {
	for _, b := range []saml.Binding{saml.BindingHTTPRedirect, saml.BindingHTTPPost} {
		for _, ep := range eps {
			if ep.Binding == b && ep.Location != "" {
				return ep, true
			}
		}
	}
	return saml.Endpoint{}, false
}

// notMetadata says in plain words what data is when it is plainly not
// SAML metadata: empty, a PEM block, or an HTML page.
func notMetadata(data []byte) error {
	head := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	switch {
	case len(head) == 0:
		return &saml.ValidationError{Check: saml.CheckXML, Msg: "the metadata document is empty"}
	case bytes.HasPrefix(head, []byte("-----BEGIN")):
		return &saml.ValidationError{Check: saml.CheckXML, Msg: "this is a PEM certificate " +
			"or key, not SAML metadata; import the IdP's metadata XML, or enter the " +
			"certificate with the entity ID and SSO URL by hand"}
	case looksLikeHTML(head):
		return &saml.ValidationError{Check: saml.CheckSchema,
			Msg: "this is an HTML page, not SAML metadata"}
	}
	return nil
}

// isSPOnly reports whether data describes service providers only.
func isSPOnly(data []byte) bool {
	return bytes.Contains(data, []byte("SPSSODescriptor")) &&
		!bytes.Contains(data, []byte("IDPSSODescriptor"))
}

// checkExpiry refuses metadata whose validUntil has passed.
func checkExpiry(md *saml.IDPMetadata, now time.Time) error {
	if !md.ValidUntil.IsZero() && !now.Before(md.ValidUntil) {
		return &MetadataExpiredError{EntityID: md.EntityID, ValidUntil: md.ValidUntil, Now: now}
	}
	return nil
}

func (o MetadataOptions) maxSize() int {
	if o.MaxSize <= 0 {
		return DefaultMaxMetadataSize
	}
	return o.MaxSize
}

func (o MetadataOptions) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}
