package saml

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/beevik/etree"
)

// SPMetadata describes this service provider for its metadata document
// (SAML 2.0 Metadata, sections 2.3.2 and 2.4.4), which IdP administrators
// import. The zero value is not valid: EntityID and at least one assertion
// consumer service are required.
type SPMetadata struct {
	// EntityID is the SP entity ID, the audience IdPs put in assertions.
	EntityID string
	// ID is the EntityDescriptor's ID attribute, which a signature refers
	// to. Empty means an ID derived from EntityID, so output stays
	// deterministic.
	ID string

	// AssertionConsumerServices are the ACS endpoints. Binding must be
	// [BindingHTTPPost] or empty (meaning HTTP-POST). When every Index is
	// zero, the endpoints are numbered 0, 1, … in order; otherwise indexes
	// must be distinct. At most one may be IsDefault.
	AssertionConsumerServices []Endpoint
	// SingleLogoutServices are the SLO endpoints, with the HTTP-Redirect or
	// HTTP-POST binding. Index and IsDefault are ignored.
	SingleLogoutServices []Endpoint
	// NameIDFormats are the NameID formats the SP accepts, most preferred
	// first. Empty lists none.
	NameIDFormats []string

	// AuthnRequestsSigned tells IdPs that our AuthnRequests are signed.
	AuthnRequestsSigned bool
	// WantAssertionsSigned asks IdPs to sign assertions.
	WantAssertionsSigned bool

	// SigningCertificates become KeyDescriptors with use="signing": the
	// keys IdPs use to check our signed requests. Several are allowed
	// during rollover.
	SigningCertificates []*x509.Certificate
	// EncryptionCertificates become KeyDescriptors with use="encryption":
	// the keys IdPs encrypt assertions to.
	EncryptionCertificates []*x509.Certificate

	// ValidUntil, when non-zero, is written as the validUntil attribute.
	ValidUntil time.Time
	// CacheDuration, when non-zero, is written as the cacheDuration
	// attribute, in whole seconds.
	CacheDuration time.Duration
}

// XML returns the metadata document, unsigned. The output depends only on
// m: the same SPMetadata always gives the same bytes.
func (m *SPMetadata) XML() ([]byte, error) {
	el, err := m.element()
	if err != nil {
		return nil, err
	}
	return writeElement(indented(el))
}

// SignedXML returns the metadata document with an enveloped signature
// (exclusive c14n, SHA-256 digest) on the EntityDescriptor, made with key
// and carrying cert in its KeyInfo. alg is the signature algorithm URI;
// empty means [AlgRSASHA256] or [AlgECDSASHA256] according to the key.
// RSA signatures are deterministic, so the output is too; ECDSA ones are
// not.
func (m *SPMetadata) SignedXML(key crypto.Signer, cert *x509.Certificate,
	alg string) ([]byte, error) {
	if key == nil {
		return nil, errors.New("saml: sp metadata: no signing key")
	}
	s, err := newMessageSigner(key, cert, alg, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("saml: sp metadata: %w", err)
	}
	el, err := m.element()
	if err != nil {
		return nil, err
	}

	doc := indented(el)
	if err := s.signEnveloped(el); err != nil {
		return nil, err
	}
	return writeElement(doc)
}

// element builds the EntityDescriptor.
func (m *SPMetadata) element() (*etree.Element, error) {
	if err := m.check(); err != nil {
		return nil, err
	}

	ed := etree.NewElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", nsMetadata)
	ed.CreateAttr("xmlns:ds", nsDSig)
	ed.CreateAttr("ID", m.id())
	ed.CreateAttr("entityID", m.EntityID)
	if !m.ValidUntil.IsZero() {
		ed.CreateAttr("validUntil", m.ValidUntil.UTC().Format(instantFormat))
	}
	if m.CacheDuration > 0 {
		secs := int64(m.CacheDuration / time.Second)
		ed.CreateAttr("cacheDuration", "PT"+strconv.FormatInt(secs, 10)+"S")
	}

	sp := ed.CreateElement("md:SPSSODescriptor")
	sp.CreateAttr("protocolSupportEnumeration", nsProtocol)
	sp.CreateAttr("AuthnRequestsSigned", strconv.FormatBool(m.AuthnRequestsSigned))
	sp.CreateAttr("WantAssertionsSigned", strconv.FormatBool(m.WantAssertionsSigned))
	addKeyDescriptors(sp, "signing", m.SigningCertificates)
	addKeyDescriptors(sp, "encryption", m.EncryptionCertificates)
	for _, e := range m.SingleLogoutServices {
		s := sp.CreateElement("md:SingleLogoutService")
		s.CreateAttr("Binding", e.Binding.String())
		s.CreateAttr("Location", e.Location)
		if e.ResponseLocation != "" {
			s.CreateAttr("ResponseLocation", e.ResponseLocation)
		}
	}
	for _, f := range m.NameIDFormats {
		sp.CreateElement("md:NameIDFormat").SetText(f)
	}
	m.addACS(sp)
	return ed, nil
}

// explicitIndexes reports whether any ACS sets its Index. If none does,
// the services are numbered in order; once one does, all are taken as
// given, 0 included, and must differ.
func (m *SPMetadata) explicitIndexes() bool {
	for _, e := range m.AssertionConsumerServices {
		if e.Index != 0 {
			return true
		}
	}
	return false
}

// addACS writes the AssertionConsumerService elements.
func (m *SPMetadata) addACS(sp *etree.Element) {
	number := !m.explicitIndexes()
	for i, e := range m.AssertionConsumerServices {
		idx := e.Index
		if number {
			idx = i
		}
		a := sp.CreateElement("md:AssertionConsumerService")
		a.CreateAttr("Binding", BindingHTTPPost.String())
		a.CreateAttr("Location", e.Location)
		a.CreateAttr("index", strconv.Itoa(idx))
		if e.IsDefault {
			a.CreateAttr("isDefault", "true")
		}
	}
}

// check validates m.
func (m *SPMetadata) check() error {
	if m.EntityID == "" {
		return errors.New("saml: sp metadata: EntityID is required")
	}
	if len(m.AssertionConsumerServices) == 0 {
		return errors.New("saml: sp metadata: at least one AssertionConsumerService is required")
	}
	if err := m.checkID(); err != nil {
		return err
	}
	explicit := m.explicitIndexes()
	seen := make(map[int]bool)
	defaults := 0
	for i, e := range m.AssertionConsumerServices {
		if e.Binding != "" && e.Binding != BindingHTTPPost {
			return fmt.Errorf("saml: sp metadata: AssertionConsumerService %d: binding %q "+
				"is not supported (only HTTP-POST)", i, e.Binding)
		}
		if err := checkAbsoluteURL(e.Location); err != nil {
			return fmt.Errorf("saml: sp metadata: AssertionConsumerService %d: %w", i, err)
		}
		if e.Index < 0 || (explicit && seen[e.Index]) {
			return fmt.Errorf("saml: sp metadata: AssertionConsumerService index %d "+
				"is negative or repeated", e.Index)
		}
		seen[e.Index] = true
		if e.IsDefault {
			defaults++
		}
	}
	if defaults > 1 {
		return errors.New("saml: sp metadata: more than one AssertionConsumerService is default")
	}
	for i, e := range m.SingleLogoutServices {
		if e.Binding != BindingHTTPRedirect && e.Binding != BindingHTTPPost {
			return fmt.Errorf("saml: sp metadata: SingleLogoutService %d: binding %q "+
				"is not supported", i, e.Binding)
		}
		if err := checkAbsoluteURL(e.Location); err != nil {
			return fmt.Errorf("saml: sp metadata: SingleLogoutService %d: %w", i, err)
		}
	}
	if m.CacheDuration < 0 {
		return errors.New("saml: sp metadata: CacheDuration is negative")
	}
	return nil
}

// checkID refuses a configured ID that is not an xs:ID (an NCName): the
// metadata would not be schema-valid, and its signature would refer to it.
func (m *SPMetadata) checkID() error {
	if m.ID != "" && !validMessageID(m.ID) {
		return fmt.Errorf("saml: sp metadata: ID %q is not an XML NCName (start with a "+
			"letter or underscore; letters, digits, '.', '-', '_')", m.ID)
	}
	return nil
}

// id returns the configured ID, or one derived from the entity ID.
func (m *SPMetadata) id() string {
	if m.ID != "" {
		return m.ID
	}
	sum := sha256.Sum256([]byte(m.EntityID))
	return "_" + hex.EncodeToString(sum[:20])
}

// addKeyDescriptors writes one KeyDescriptor per certificate.
func addKeyDescriptors(sp *etree.Element, use string, certs []*x509.Certificate) {
	for _, c := range certs {
		kd := sp.CreateElement("md:KeyDescriptor")
		kd.CreateAttr("use", use)
		kd.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").
			CreateElement("ds:X509Certificate").SetText(base64.StdEncoding.EncodeToString(c.Raw))
	}
}

// indented puts el in a document with an XML declaration, indented by
// two spaces for people who read metadata. Indent before signing: the
// white space is part of the signed content.
func indented(el *etree.Element) *etree.Document {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(el)
	doc.Indent(2)
	return doc
}

// writeElement serialises a metadata document.
func writeElement(doc *etree.Document) ([]byte, error) {
	b, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("saml: serialising metadata: %w", err)
	}
	return b, nil
}
