package saml

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// defaultMetadataMaxSize bounds metadata when MetadataOptions.MaxSize is
// zero. A single IdP's metadata is a few kilobytes; federation aggregates
// of thousands of entities need a larger, explicit limit.
const defaultMetadataMaxSize = 1 << 20

// maxListedEntities bounds how many entity IDs an error message lists.
const maxListedEntities = 10

// Endpoint is one protocol endpoint from metadata (SAML 2.0 Metadata,
// section 2.2.2).
type Endpoint struct {
	// Binding is how messages reach the endpoint.
	Binding Binding
	// Location is the endpoint URL.
	Location string
	// ResponseLocation, when non-empty, is where responses to this
	// endpoint go instead of Location (used by SingleLogoutService).
	ResponseLocation string
	// Index and IsDefault order indexed endpoints such as
	// AssertionConsumerService; they are zero for SSO and SLO endpoints.
	Index     int
	IsDefault bool
}

// IDPMetadata is what an SP needs from an IdP's metadata (SAML 2.0
// Metadata, sections 2.3.2 and 2.4.3). It holds no XML.
type IDPMetadata struct {
	// EntityID is the IdP's entity ID, the Issuer of its responses.
	EntityID string
	// SigningCertificates are every certificate of a KeyDescriptor with
	// use="signing" or no use, in document order. There is at least one;
	// several are normal during key rollover.
	SigningCertificates []*x509.Certificate
	// EncryptionCertificates are the certificates of KeyDescriptors with
	// use="encryption" or no use.
	EncryptionCertificates []*x509.Certificate
	// SSOServices are the SingleSignOnService endpoints with a supported
	// binding (HTTP-Redirect or HTTP-POST), in document order, without
	// exact duplicates. There is at least one.
	SSOServices []Endpoint
	// SLOServices are the SingleLogoutService endpoints with a supported
	// binding; possibly none.
	SLOServices []Endpoint
	// NameIDFormats are the NameIDFormat values, trimmed of white space.
	NameIDFormats []string
	// WantAuthnRequestsSigned is the IDPSSODescriptor attribute of that
	// name.
	WantAuthnRequestsSigned bool
	// ValidUntil is the earliest validUntil of the EntityDescriptor, its
	// IDPSSODescriptor and the enclosing EntitiesDescriptors; zero when
	// none is set.
	ValidUntil time.Time
	// CacheDuration is the shortest cacheDuration found at the same
	// places; zero when none is set.
	CacheDuration time.Duration
}

// MetadataOptions says which entity to take from metadata and how to check
// it.
type MetadataOptions struct {
	// EntityID selects the entity. Empty means the only entity with an
	// IDPSSODescriptor; several such entities are then an error listing
	// them.
	EntityID string
	// Now is the instant for the validUntil check and for the validity of
	// the metadata signing certificate. Zero skips both checks (use for
	// metadata the admin pasted knowingly).
	Now time.Time
	// TrustedCertificates, when non-empty, require the metadata to carry
	// an enveloped signature, on the root element or on the selected
	// EntityDescriptor, that verifies with one of them. Empty means the
	// metadata is trusted as delivered (by the admin, or fetched over
	// TLS) and any signature in it is ignored.
	TrustedCertificates []*x509.Certificate
	// MaxSize bounds the document in bytes. Zero means 1 MiB.
	MaxSize int
}

// ParseIDPMetadata reads IdP metadata: an EntityDescriptor, or an
// EntitiesDescriptor (nested ones too) from which opts.EntityID or else the
// only IdP is taken. Only the entity's IDPSSODescriptor supporting SAML 2.0
// is read; SP, attribute authority and WS-Federation roles are ignored, and
// so are endpoints with other bindings (Artifact, SOAP).
//
// It refuses, with a *[ValidationError]: oversized or unsafe XML
// ([CheckSize], [CheckXML]); a missing or invalid signature when
// opts.TrustedCertificates is set ([CheckSignature], [CheckAlgorithm],
// [CheckCertificate]); an entity that is missing or has no
// IDPSSODescriptor, no usable signing certificate or no SSO endpoint
// ([CheckMetadata]); a certificate that does not parse ([CheckCertificate]);
// a validUntil at or before opts.Now ([CheckMetadataExpired]); malformed
// dates and durations ([CheckSchema]). It does not check the IdP
// certificates' validity periods, and it does not fetch anything.
func ParseIDPMetadata(data []byte, opts MetadataOptions) (*IDPMetadata, error) {
	maxSize := opts.MaxSize
	if maxSize <= 0 {
		maxSize = defaultMetadataMaxSize
	}
	root, err := parseXML(data, maxSize)
	if err != nil {
		return nil, err
	}
	if root.NamespaceURI() != nsMetadata ||
		(root.Tag != "EntityDescriptor" && root.Tag != "EntitiesDescriptor") {
		return nil, mismatch(CheckSchema, "not SAML metadata",
			"EntityDescriptor or EntitiesDescriptor", root.Tag)
	}

	ent, err := selectEntity(root, opts)
	if err != nil {
		return nil, err
	}
	m, err := readIDPEntity(ent)
	if err != nil {
		return nil, err
	}

	if !opts.Now.IsZero() && !m.ValidUntil.IsZero() && !opts.Now.Before(m.ValidUntil) {
		return nil, mismatch(CheckMetadataExpired,
			"metadata expired at "+m.ValidUntil.UTC().Format(time.RFC3339),
			"before "+m.ValidUntil.UTC().Format(time.RFC3339), opts.Now.UTC().Format(time.RFC3339))
	}
	return m, nil
}

// SSOService returns the first SingleSignOnService with binding b.
func (m *IDPMetadata) SSOService(b Binding) (Endpoint, bool) {
	return firstEndpoint(m.SSOServices, b)
}

// SLOService returns the first SingleLogoutService with binding b.
func (m *IDPMetadata) SLOService(b Binding) (Endpoint, bool) {
	return firstEndpoint(m.SLOServices, b)
}

// entity is an EntityDescriptor with the validity limits inherited from
// the EntitiesDescriptors around it.
type entity struct {
	el            *etree.Element
	validUntil    time.Time
	cacheDuration time.Duration
}

// selectEntity verifies the signature when required and returns the
// entity to read, taken from the verified element only.
func selectEntity(root *etree.Element, opts MetadataOptions) (*entity, error) {
	signed := len(opts.TrustedCertificates) > 0
	p := sigPolicy{Now: opts.Now, IgnoreCertExpiry: opts.Now.IsZero()}
	if signed && hasSignature(root) {
		v, _, err := verifyEnveloped(root, opts.TrustedCertificates, p)
		if err != nil {
			return nil, err
		}
		root, signed = v, false
	}

	var all []*entity
	if err := collectEntities(root, &entity{}, &all); err != nil {
		return nil, err
	}
	e, err := chooseEntity(all, opts.EntityID)
	if err != nil {
		return nil, err
	}
	if !signed {
		return e, nil
	}

	// The root is unsigned: the entity must carry its own signature, and
	// limits inherited from unsigned ancestors are not trusted.
	v, _, err := verifyEnveloped(e.el, opts.TrustedCertificates, p)
	if errors.Is(err, errNoSignature) {
		return nil, fail(CheckSignature, "metadata is not signed")
	}
	if err != nil {
		return nil, err
	}
	return &entity{el: v}, nil
}

// collectEntities appends every EntityDescriptor at or below el.
func collectEntities(el *etree.Element, parent *entity, out *[]*entity) error {
	vu, cd, err := validity(el)
	if err != nil {
		return err
	}
	e := &entity{el: el, validUntil: earliest(parent.validUntil, vu),
		cacheDuration: shortest(parent.cacheDuration, cd)}
	if el.Tag == "EntityDescriptor" {
		*out = append(*out, e)
		return nil
	}
	for _, c := range el.ChildElements() {
		if c.NamespaceURI() != nsMetadata {
			continue
		}
		if c.Tag == "EntityDescriptor" || c.Tag == "EntitiesDescriptor" {
			if err := collectEntities(c, e, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// chooseEntity picks the entity with entityID id, or else the only one
// with an IDPSSODescriptor.
// countID counts id in ids.
func countID(ids []string, id string) int {
	n := 0
	for _, x := range ids {
		if x == id {
			n++
		}
	}
	return n
}

func chooseEntity(all []*entity, id string) (*entity, error) {
	ids := make([]string, 0, len(all))
	var idps []*entity
	var found *entity
	for _, e := range all {
		eid := attr(e.el, "entityID")
		if id != "" && eid == id {
			if found != nil {
				return nil, mismatch(CheckMetadata,
					"metadata lists the entity twice, so its keys are ambiguous", "one entity", id)
			}
			found = e
		}
		ids = append(ids, eid)
		if mdChild(e.el, "IDPSSODescriptor") != nil {
			idps = append(idps, e)
		}
	}

	switch {
	case found != nil:
		return found, nil
	case id != "":
		return nil, mismatch(CheckMetadata, "entity not found in metadata; it lists "+
			listIDs(ids), id, "")
	case len(idps) >= 1 && countID(ids, attr(idps[0].el, "entityID")) > 1:
		return nil, mismatch(CheckMetadata,
			"metadata lists the IdP's entity ID twice, so its keys are ambiguous",
			"one entity", attr(idps[0].el, "entityID"))
	case len(idps) == 1:
		return idps[0], nil
	case len(idps) == 0:
		return nil, mismatch(CheckMetadata, "no IDPSSODescriptor in metadata; entities: "+
			listIDs(ids), "an IdP entity", "")
	}
	var idpIDs []string
	for _, e := range idps {
		idpIDs = append(idpIDs, attr(e.el, "entityID"))
	}
	return nil, fail(CheckMetadata, fmt.Sprintf(
		"metadata holds %d IdPs, choose one by entity ID: %s", len(idps), listIDs(idpIDs)))
}

// readIDPEntity builds the IDPMetadata of one EntityDescriptor.
func readIDPEntity(e *entity) (*IDPMetadata, error) {
	m := &IDPMetadata{EntityID: attr(e.el, "entityID")}
	if m.EntityID == "" {
		return nil, fail(CheckSchema, "EntityDescriptor has no entityID")
	}
	vu, cd, err := validity(e.el)
	if err != nil {
		return nil, err
	}
	m.ValidUntil, m.CacheDuration = earliest(e.validUntil, vu), shortest(e.cacheDuration, cd)

	role, err := idpRole(e.el, m.EntityID)
	if err != nil {
		return nil, err
	}
	if vu, cd, err = validity(role); err != nil {
		return nil, err
	}
	m.ValidUntil, m.CacheDuration = earliest(m.ValidUntil, vu), shortest(m.CacheDuration, cd)
	m.WantAuthnRequestsSigned = xsBool(attr(role, "WantAuthnRequestsSigned"))

	if err := m.readRole(role); err != nil {
		return nil, err
	}
	if len(m.SigningCertificates) == 0 {
		return nil, mismatch(CheckMetadata, "IdP metadata has no usable signing key",
			"a KeyDescriptor with an X509Certificate", m.EntityID)
	}
	if len(m.SSOServices) == 0 {
		return nil, mismatch(CheckMetadata,
			"IdP metadata has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding",
			"", m.EntityID)
	}
	return m, nil
}

// readRole reads keys, endpoints and NameID formats of an IDPSSODescriptor.
func (m *IDPMetadata) readRole(role *etree.Element) error {
	for _, c := range role.ChildElements() {
		if c.NamespaceURI() != nsMetadata {
			continue
		}
		switch c.Tag {
		case "KeyDescriptor":
			if err := m.readKey(c); err != nil {
				return err
			}
		case "SingleSignOnService":
			m.SSOServices = addEndpoint(m.SSOServices, c)
		case "SingleLogoutService":
			m.SLOServices = addEndpoint(m.SLOServices, c)
		case "NameIDFormat":
			if f := strings.TrimSpace(textOf(c)); f != "" && !slices.Contains(m.NameIDFormats, f) {
				m.NameIDFormats = append(m.NameIDFormats, f)
			}
		}
	}
	return nil
}

// readKey adds the certificates of one KeyDescriptor.
func (m *IDPMetadata) readKey(kd *etree.Element) error {
	use := attr(kd, "use")
	if use != "" && use != "signing" && use != "encryption" {
		return mismatch(CheckSchema, "KeyDescriptor has an unknown use",
			"signing or encryption", use)
	}
	for _, ki := range dsChildren(kd, "KeyInfo") {
		for _, xd := range dsChildren(ki, "X509Data") {
			for _, xc := range dsChildren(xd, "X509Certificate") {
				cert, err := ParseCertificate(textOf(xc))
				if err != nil {
					return fmt.Errorf("saml: metadata of %s: KeyDescriptor: %w", m.EntityID, err)
				}
				if use != "encryption" {
					m.SigningCertificates = append(m.SigningCertificates, cert)
				}
				if use != "signing" {
					m.EncryptionCertificates = append(m.EncryptionCertificates, cert)
				}
			}
		}
	}
	return nil
}

// idpRole returns the first IDPSSODescriptor that supports SAML 2.0.
func idpRole(el *etree.Element, entityID string) (*etree.Element, error) {
	var found bool
	for _, c := range el.ChildElements() {
		if c.Tag != "IDPSSODescriptor" || c.NamespaceURI() != nsMetadata {
			continue
		}
		found = true
		for _, p := range strings.Fields(attr(c, "protocolSupportEnumeration")) {
			if p == nsProtocol {
				return c, nil
			}
		}
	}
	if found {
		return nil, mismatch(CheckMetadata, "IDPSSODescriptor does not support SAML 2.0",
			nsProtocol, entityID)
	}
	return nil, mismatch(CheckMetadata, "no IDPSSODescriptor: this entity is not an IdP",
		"IDPSSODescriptor", entityID)
}

// addEndpoint appends the endpoint el describes when its binding is
// supported and it is not an exact duplicate.
func addEndpoint(list []Endpoint, el *etree.Element) []Endpoint {
	b := Binding(attr(el, "Binding"))
	loc := strings.TrimSpace(attr(el, "Location"))
	if (b != BindingHTTPRedirect && b != BindingHTTPPost) || loc == "" {
		return list
	}
	ep := Endpoint{Binding: b, Location: loc,
		ResponseLocation: strings.TrimSpace(attr(el, "ResponseLocation"))}
	for _, e := range list {
		if e == ep {
			return list
		}
	}
	return append(list, ep)
}

// firstEndpoint returns the first endpoint with binding b.
func firstEndpoint(list []Endpoint, b Binding) (Endpoint, bool) {
	for _, e := range list {
		if e.Binding == b {
			return e, true
		}
	}
	return Endpoint{}, false
}

// validity reads the validUntil and cacheDuration attributes of el.
func validity(el *etree.Element) (time.Time, time.Duration, error) {
	var vu time.Time
	if s := attr(el, "validUntil"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
		if err != nil {
			return time.Time{}, 0, mismatch(CheckSchema, "validUntil is not an xs:dateTime",
				"2006-01-02T15:04:05Z", s)
		}
		vu = t
	}
	var cd time.Duration
	if s := attr(el, "cacheDuration"); s != "" {
		d, err := parseXSDuration(strings.TrimSpace(s))
		if err != nil {
			return time.Time{}, 0, mismatch(CheckSchema, "cacheDuration is not an xs:duration",
				"PT1H", s)
		}
		cd = d
	}
	return vu, cd, nil
}

// parseXSDuration parses a non-negative xs:duration such as P1DT2H or
// PT30M. Years count 365 days and months 30.
func parseXSDuration(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" || strings.HasSuffix(rest, "T") {
		return 0, errors.New("malformed duration")
	}
	const day = 24 * time.Hour
	units := map[bool]map[byte]time.Duration{
		false: {'Y': 365 * day, 'M': 30 * day, 'D': day},
		true:  {'H': time.Hour, 'M': time.Minute, 'S': time.Second},
	}
	var total time.Duration
	inTime := false
	for rest != "" {
		if rest[0] == 'T' && !inTime {
			inTime, rest = true, rest[1:]
			continue
		}
		i := strings.IndexFunc(rest, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i <= 0 {
			return 0, errors.New("malformed duration")
		}
		unit, ok := units[inTime][rest[i]]
		if !ok {
			return 0, errors.New("malformed duration")
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || (strings.Contains(rest[:i], ".") && rest[i] != 'S') || n > 1e6 {
			return 0, errors.New("malformed duration")
		}
		total += time.Duration(n * float64(unit))
		rest = rest[i+1:]
	}
	return total, nil
}

// earliest returns the earlier of two instants, ignoring zero ones.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// shortest returns the shorter of two durations, ignoring zero ones.
func shortest(a, b time.Duration) time.Duration {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// hasSignature reports whether el has a ds:Signature child.
func hasSignature(el *etree.Element) bool {
	return len(dsChildren(el, "Signature")) > 0
}

// mdChild returns the first metadata-namespace child of el named tag.
func mdChild(el *etree.Element, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == nsMetadata {
			return c
		}
	}
	return nil
}

// dsChildren returns the XML-DSig children of el named tag.
func dsChildren(el *etree.Element, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == nsDSig {
			out = append(out, c)
		}
	}
	return out
}

// xsBool parses an xs:boolean leniently: "true" and "1" are true.
func xsBool(s string) bool {
	s = strings.TrimSpace(s)
	return s == "true" || s == "1"
}

// listIDs joins entity IDs for an error message, at most
// maxListedEntities of them.
func listIDs(ids []string) string {
	if len(ids) == 0 {
		return "(none)"
	}
	if len(ids) <= maxListedEntities {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:maxListedEntities], ", "),
		len(ids)-maxListedEntities)
}
