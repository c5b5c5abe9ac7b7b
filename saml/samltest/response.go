package samltest

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/beevik/etree"

	"github.com/secureshare/secureshare/internal/xmlenc"
	"github.com/secureshare/secureshare/saml"
)

// Defaults of [ResponseOptions].
const (
	DefaultNameID               = "alice@example.com"
	DefaultLifetime             = 5 * time.Minute
	DefaultAuthnContextClassRef = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
)

// timeFormat is the xs:dateTime form most IdPs write: UTC, milliseconds.
const timeFormat = "2006-01-02T15:04:05.000Z"

// bearer is the bearer SubjectConfirmation method (SAML 2.0 Profiles,
// section 3.3).
const bearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

// entityFormat is the NameID format of an Issuer naming an entity.
const entityFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"

// ResponseOptions describes one Response. Empty fields take the defaults
// given per field; a few of them (Destination, Audience, the signing
// flags) default to leaving something out, so that tests of an SP's
// checks can omit it.
type ResponseOptions struct {
	// Destination is Response/@Destination, the SP's Assertion Consumer
	// Service URL; empty omits the attribute.
	Destination string
	// Recipient is SubjectConfirmationData/@Recipient; empty means
	// Destination (and omits it when Destination is empty too).
	Recipient string
	// Audience is the SP entity ID written in the AudienceRestriction;
	// empty omits the AudienceRestriction.
	Audience string
	// InResponseTo is the ID of the AuthnRequest answered, written on the
	// Response and on the SubjectConfirmationData; empty makes an
	// unsolicited (IdP-initiated) Response.
	InResponseTo string
	// Issuer overrides the Issuer of the Response and Assertion; empty
	// means the IDP's entity ID.
	Issuer string

	// NameID is the subject's name identifier; empty means
	// [DefaultNameID].
	NameID string
	// NameIDFormat is the NameID's Format; empty means
	// [saml.NameIDFormatEmailAddress].
	NameIDFormat string
	// SessionIndex is the AuthnStatement's SessionIndex; empty means a
	// random ID.
	SessionIndex string
	// AuthnContextClassRef names how the user authenticated; empty means
	// [DefaultAuthnContextClassRef].
	AuthnContextClassRef string
	// Attributes go, in order, into one AttributeStatement, each value as
	// an xs:string AttributeValue. An empty NameFormat or FriendlyName is
	// left out. No AttributeStatement is written when Attributes is empty.
	Attributes []saml.Attribute

	// IssueInstant is the IssueInstant of the Response and Assertion and
	// the AuthnInstant; zero means the IDP's clock. Times are written in
	// UTC with millisecond precision.
	IssueInstant time.Time
	// Lifetime is how long after IssueInstant the assertion is valid
	// (Conditions/@NotOnOrAfter and SubjectConfirmationData/@NotOnOrAfter);
	// zero means [DefaultLifetime]. Conditions/@NotBefore is IssueInstant.
	// A negative Lifetime makes an already expired assertion.
	Lifetime time.Duration
	// SessionNotOnOrAfter is the AuthnStatement's SessionNotOnOrAfter;
	// zero omits it.
	SessionNotOnOrAfter time.Time
	// ResponseID and AssertionID override the random IDs, for example to
	// replay an assertion ID.
	ResponseID  string
	AssertionID string

	// SignResponse and SignAssertion choose the signatures. Both false
	// produce an unsigned Response, which an SP must refuse.
	SignResponse  bool
	SignAssertion bool

	// EncryptFor, when not nil, encrypts the (signed) Assertion for this SP
	// certificate into a saml2:EncryptedAssertion (SAML 2.0 Core, section
	// 2.3.4). Its key must be RSA.
	EncryptFor *x509.Certificate
	// EncryptionAlgorithm is the content encryption URI, such as
	// http://www.w3.org/2001/04/xmlenc#aes128-cbc; empty means
	// http://www.w3.org/2009/xmlenc11#aes256-gcm.
	EncryptionAlgorithm string
	// KeyTransportAlgorithm is the key transport URI:
	// http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p (the default when
	// empty), http://www.w3.org/2009/xmlenc11#rsa-oaep (with a SHA-256
	// digest) or http://www.w3.org/2001/04/xmlenc#rsa-1_5 (to test that
	// an SP refuses it).
	KeyTransportAlgorithm string
	// EncryptNameID encrypts the NameID for EncryptFor into a
	// saml2:EncryptedID (SAML 2.0 Core, section 2.2.4). It needs
	// EncryptFor.
	EncryptNameID bool

	// Status is the top-level StatusCode; empty means
	// [saml.StatusSuccess]. Any other status produces a Response without
	// an Assertion, as IdPs send on failure.
	Status string
	// SubStatus is an optional second-level StatusCode, such as
	// urn:oasis:names:tc:SAML:2.0:status:AuthnFailed.
	SubStatus string
	// StatusMessage is an optional StatusMessage.
	StatusMessage string
}

// Response returns the XML of a SAML 2.0 Response (SAML 2.0 Core, section
// 3.3.3) as described by opts. The Assertion is signed first (when
// opts.SignAssertion), then encrypted (when opts.EncryptFor is set), then
// the Response is signed (when opts.SignResponse).
//
// The document has no XML declaration and no insignificant whitespace;
// carriage returns in values are written as character references, so a
// parser reads back exactly the signed values.
// Response checks nothing about opts beyond what it needs to build the
// document: tests can produce expired, misaddressed or unsigned messages.
func (p *IDP) Response(opts ResponseOptions) ([]byte, error) {
	if opts.EncryptNameID && opts.EncryptFor == nil {
		return nil, errors.New("samltest: EncryptNameID needs EncryptFor")
	}
	o, err := p.withDefaults(opts)
	if err != nil {
		return nil, err
	}

	resp := p.response(o)
	hasAssertion := o.Status == saml.StatusSuccess
	if hasAssertion {
		a, err := p.assertion(o)
		if err != nil {
			return nil, err
		}
		resp.AddChild(a)
	}
	doc, err := serialize(resp)
	if err != nil {
		return nil, err
	}

	// Sign the assertion, then encrypt it, then sign the Response.
	if o.SignAssertion && hasAssertion {
		if doc, err = p.Sign(doc, false, true); err != nil {
			return nil, err
		}
	}
	if o.EncryptFor != nil && hasAssertion {
		if doc, err = p.encryptAssertion(doc, o); err != nil {
			return nil, err
		}
	}
	if o.SignResponse {
		return p.Sign(doc, true, false)
	}
	return doc, nil
}

// PostValue returns the Response of opts as the base64 SAMLResponse form
// value that the HTTP-POST binding carries (SAML 2.0 Bindings, section
// 3.5.4).
func (p *IDP) PostValue(opts ResponseOptions) (string, error) {
	doc, err := p.Response(opts)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(doc), nil
}

// withDefaults fills in the empty fields of o.
func (p *IDP) withDefaults(o ResponseOptions) (ResponseOptions, error) {
	set := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	set(&o.Recipient, o.Destination)
	set(&o.Issuer, p.entityID)
	set(&o.NameID, DefaultNameID)
	set(&o.NameIDFormat, saml.NameIDFormatEmailAddress)
	set(&o.AuthnContextClassRef, DefaultAuthnContextClassRef)
	set(&o.Status, saml.StatusSuccess)
	if o.IssueInstant.IsZero() {
		o.IssueInstant = p.now()
	}
	if o.Lifetime == 0 {
		o.Lifetime = DefaultLifetime
	}

	for _, id := range []*string{&o.ResponseID, &o.AssertionID, &o.SessionIndex} {
		if *id != "" {
			continue
		}
		v, err := p.newID()
		if err != nil {
			return o, err
		}
		*id = v
	}
	return o, nil
}

// response builds the Response element without its Assertion.
func (p *IDP) response(o ResponseOptions) *etree.Element {
	r := etree.NewElement("saml2p:Response")
	r.CreateAttr("xmlns:saml2p", nsProtocol)
	if o.Destination != "" {
		r.CreateAttr("Destination", o.Destination)
	}
	r.CreateAttr("ID", o.ResponseID)
	if o.InResponseTo != "" {
		r.CreateAttr("InResponseTo", o.InResponseTo)
	}
	r.CreateAttr("IssueInstant", formatTime(o.IssueInstant))
	r.CreateAttr("Version", "2.0")
	issuer(r, o.Issuer, true)

	st := r.CreateElement("saml2p:Status")
	code := st.CreateElement("saml2p:StatusCode")
	code.CreateAttr("Value", o.Status)
	if o.SubStatus != "" {
		code.CreateElement("saml2p:StatusCode").CreateAttr("Value", o.SubStatus)
	}
	if o.StatusMessage != "" {
		st.CreateElement("saml2p:StatusMessage").SetText(o.StatusMessage)
	}
	return r
}

// assertion builds the unsigned Assertion. It declares every namespace it
// uses, so that it stays well-formed when encrypted on its own.
func (p *IDP) assertion(o ResponseOptions) (*etree.Element, error) {
	a := etree.NewElement("saml2:Assertion")
	a.CreateAttr("xmlns:saml2", nsAssertion)
	a.CreateAttr("xmlns:xs", nsXS)
	a.CreateAttr("xmlns:xsi", nsXSI)
	a.CreateAttr("ID", o.AssertionID)
	a.CreateAttr("IssueInstant", formatTime(o.IssueInstant))
	a.CreateAttr("Version", "2.0")
	issuer(a, o.Issuer, false)

	if err := p.subject(a, o); err != nil {
		return nil, err
	}
	notOnOrAfter := formatTime(o.IssueInstant.Add(o.Lifetime))
	c := a.CreateElement("saml2:Conditions")
	c.CreateAttr("NotBefore", formatTime(o.IssueInstant))
	c.CreateAttr("NotOnOrAfter", notOnOrAfter)
	if o.Audience != "" {
		c.CreateElement("saml2:AudienceRestriction").CreateElement("saml2:Audience").SetText(o.Audience)
	}

	as := a.CreateElement("saml2:AuthnStatement")
	as.CreateAttr("AuthnInstant", formatTime(o.IssueInstant))
	as.CreateAttr("SessionIndex", o.SessionIndex)
	if !o.SessionNotOnOrAfter.IsZero() {
		as.CreateAttr("SessionNotOnOrAfter", formatTime(o.SessionNotOnOrAfter))
	}
	ac := as.CreateElement("saml2:AuthnContext")
	ac.CreateElement("saml2:AuthnContextClassRef").SetText(o.AuthnContextClassRef)

	if len(o.Attributes) > 0 {
		attributes(a.CreateElement("saml2:AttributeStatement"), o.Attributes)
	}
	return a, nil
}

// subject appends the Subject, with its NameID (or EncryptedID) and a
// bearer SubjectConfirmation.
func (p *IDP) subject(a *etree.Element, o ResponseOptions) error {
	s := a.CreateElement("saml2:Subject")
	n := etree.NewElement("saml2:NameID")
	n.CreateAttr("Format", o.NameIDFormat)
	n.SetText(o.NameID)
	if o.EncryptNameID {
		n.CreateAttr("xmlns:saml2", nsAssertion)
		plain, err := serialize(n)
		if err != nil {
			return err
		}
		ed, err := p.encrypt(plain, o)
		if err != nil {
			return err
		}
		s.CreateElement("saml2:EncryptedID").AddChild(ed)
	} else {
		s.AddChild(n)
	}

	sc := s.CreateElement("saml2:SubjectConfirmation")
	sc.CreateAttr("Method", bearer)
	scd := sc.CreateElement("saml2:SubjectConfirmationData")
	if o.InResponseTo != "" {
		scd.CreateAttr("InResponseTo", o.InResponseTo)
	}
	scd.CreateAttr("NotOnOrAfter", formatTime(o.IssueInstant.Add(o.Lifetime)))
	if o.Recipient != "" {
		scd.CreateAttr("Recipient", o.Recipient)
	}
	return nil
}

// encryptAssertion replaces the Assertion of the serialised Response doc
// with a saml2:EncryptedAssertion.
func (p *IDP) encryptAssertion(doc []byte, o ResponseOptions) ([]byte, error) {
	d := newDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, fmt.Errorf("samltest: reparsing: %w", err)
	}
	resp := d.Root()
	var a *etree.Element
	for _, c := range resp.ChildElements() {
		if isElem(c, nsAssertion, "Assertion") {
			a = c
		}
	}
	if a == nil {
		return nil, errors.New("samltest: no Assertion to encrypt")
	}
	plain, err := serialize(a.Copy())
	if err != nil {
		return nil, err
	}
	ed, err := p.encrypt(plain, o)
	if err != nil {
		return nil, err
	}

	ea := etree.NewElement("saml2:EncryptedAssertion")
	ea.CreateAttr("xmlns:saml2", nsAssertion)
	ea.AddChild(ed)
	resp.InsertChildAt(a.Index(), ea)
	resp.RemoveChild(a)
	return d.WriteToBytes()
}

// encrypt encrypts plain for o.EncryptFor.
func (p *IDP) encrypt(plain []byte, o ResponseOptions) (*etree.Element, error) {
	p.randMu.Lock()
	defer p.randMu.Unlock()
	ed, err := xmlenc.Encrypt(plain, o.EncryptFor, xmlenc.EncryptOptions{
		Algorithm:    xmlenc.Algorithm(o.EncryptionAlgorithm),
		KeyTransport: xmlenc.Algorithm(o.KeyTransportAlgorithm),
		Rand:         p.rand,
	})
	if err != nil {
		return nil, fmt.Errorf("samltest: encrypting: %w", err)
	}
	return ed, nil
}

// issuer appends a saml2:Issuer naming entityID to parent, declaring the
// saml2 prefix when declare is set.
func issuer(parent *etree.Element, entityID string, declare bool) {
	i := parent.CreateElement("saml2:Issuer")
	if declare {
		i.CreateAttr("xmlns:saml2", nsAssertion)
	}
	i.CreateAttr("Format", entityFormat)
	i.SetText(entityID)
}

// attributes appends one saml2:Attribute per attribute to st.
func attributes(st *etree.Element, attrs []saml.Attribute) {
	for _, at := range attrs {
		e := st.CreateElement("saml2:Attribute")
		e.CreateAttr("Name", at.Name)
		if at.NameFormat != "" {
			e.CreateAttr("NameFormat", at.NameFormat)
		}
		if at.FriendlyName != "" {
			e.CreateAttr("FriendlyName", at.FriendlyName)
		}
		for _, v := range at.Values {
			av := e.CreateElement("saml2:AttributeValue")
			av.CreateAttr("xsi:type", "xs:string")
			av.SetText(v)
		}
	}
}

// formatTime writes t as an xs:dateTime in UTC with milliseconds.
func formatTime(t time.Time) string {
	return t.UTC().Format(timeFormat)
}
