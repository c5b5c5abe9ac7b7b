package samltest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/secureshare/secureshare/saml"
)

// DefaultEntityID is the IdP entity ID used when Config.EntityID is empty.
const DefaultEntityID = "https://idp.example.test/saml/metadata"

// XML namespaces written by this package.
const (
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
	nsXS        = "http://www.w3.org/2001/XMLSchema"
	nsXSI       = "http://www.w3.org/2001/XMLSchema-instance"
)

// Config configures an [IDP]. The zero value is usable: an RSA-2048 key and
// a self-signed certificate are generated, and the IdP is named
// [DefaultEntityID].
type Config struct {
	// EntityID is the IdP's entity ID, written as the Issuer of every
	// Response and Assertion; empty means [DefaultEntityID].
	EntityID string
	// Key signs Responses and Assertions. It must be an RSA or ECDSA key
	// (*rsa.PrivateKey, *ecdsa.PrivateKey or any crypto.Signer with such a
	// public key). Nil means a fresh RSA-2048 key, which takes a moment
	// to generate: tests that create many IDPs should share one key.
	Key crypto.Signer
	// Certificate is the certificate for Key, published in the metadata
	// and in each Signature's KeyInfo. Nil means a self-signed certificate
	// valid from one day before Now until ten years after it. A
	// Certificate without a Key is an error.
	Certificate *x509.Certificate
	// Now is the clock for IssueInstants and the generated certificate;
	// nil means time.Now.
	Now func() time.Time
	// Rand is the source of IDs, certificate serial numbers and
	// encryption keys; nil means crypto/rand.Reader.
	Rand io.Reader
	// SignatureAlgorithm is the XML-DSig SignatureMethod URI, such as
	// [saml.AlgRSASHA256]. Empty means rsa-sha256 for an RSA key and
	// ecdsa-sha256 for an ECDSA key. The digest uses the same hash.
	// SHA-1 (rsa-sha1) is accepted so that tests can check that an SP
	// refuses it.
	SignatureAlgorithm string
	// ECDSASignatureASN1 writes ECDSA signature values as ASN.1 DER, as
	// goxmldsig v1.6.1 does, instead of the r||s concatenation that
	// XML-DSig 1.1 (section 6.4.3) and RFC 4051 require and xmlsec1
	// produces. Use it to test that an SP accepts both encodings.
	ECDSASignatureASN1 bool
}

// IDP is a test identity provider. It is safe for concurrent use when its
// Config.Rand is (crypto/rand.Reader is).
type IDP struct {
	entityID  string
	key       crypto.Signer
	cert      *x509.Certificate
	now       func() time.Time
	sigMethod string
	asn1ECDSA bool

	randMu sync.Mutex // serialises reads from rand
	rand   io.Reader
}

// New returns an IDP for cfg. It fails when the key is neither RSA nor
// ECDSA, when the certificate does not match the key, or when the
// signature algorithm does not suit the key.
func New(cfg Config) (*IDP, error) {
	p := &IDP{
		entityID:  cfg.EntityID,
		key:       cfg.Key,
		cert:      cfg.Certificate,
		now:       cfg.Now,
		sigMethod: cfg.SignatureAlgorithm,
		asn1ECDSA: cfg.ECDSASignatureASN1,
		rand:      cfg.Rand,
	}
	if p.entityID == "" {
		p.entityID = DefaultEntityID
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.rand == nil {
		p.rand = rand.Reader
	}
	if err := p.setKey(); err != nil {
		return nil, err
	}

	// Check the signature algorithm against the key the way signing will.
	if _, err := p.signingContext(); err != nil {
		return nil, err
	}
	return p, nil
}

// EntityID returns the IdP's entity ID.
func (p *IDP) EntityID() string { return p.entityID }

// Certificate returns the IdP's signing certificate, which an SP under
// test should trust.
func (p *IDP) Certificate() *x509.Certificate { return p.cert }

// Metadata returns the IdP's SAML metadata (SAML 2.0 Metadata, section
// 2.4.3): an unsigned EntityDescriptor with an IDPSSODescriptor holding
// the signing certificate, the supported NameID formats, and
// SingleSignOnService endpoints for the HTTP-Redirect and HTTP-POST
// bindings at ssoURL. When sloURL is not empty, SingleLogoutService
// endpoints for both bindings are listed too.
func (p *IDP) Metadata(ssoURL, sloURL string) ([]byte, error) {
	if ssoURL == "" {
		return nil, errors.New("samltest: metadata needs an SSO URL")
	}
	ed := etree.NewElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", nsMetadata)
	ed.CreateAttr("entityID", p.entityID)
	d := ed.CreateElement("md:IDPSSODescriptor")
	d.CreateAttr("WantAuthnRequestsSigned", "false")
	d.CreateAttr("protocolSupportEnumeration", nsProtocol)

	kd := d.CreateElement("md:KeyDescriptor")
	kd.CreateAttr("use", "signing")
	ki := kd.CreateElement("ds:KeyInfo")
	ki.CreateAttr("xmlns:ds", nsDSig)
	x := ki.CreateElement("ds:X509Data").CreateElement("ds:X509Certificate")
	x.SetText(base64.StdEncoding.EncodeToString(p.cert.Raw))
	bindings := []saml.Binding{saml.BindingHTTPRedirect, saml.BindingHTTPPost}
	if sloURL != "" {
		for _, b := range bindings {
			endpoint(d, "md:SingleLogoutService", b, sloURL)
		}
	}
	for _, f := range []string{saml.NameIDFormatEmailAddress, saml.NameIDFormatPersistent,
		saml.NameIDFormatTransient, saml.NameIDFormatUnspecified} {
		d.CreateElement("md:NameIDFormat").SetText(f)
	}
	for _, b := range bindings {
		endpoint(d, "md:SingleSignOnService", b, ssoURL)
	}
	return serialize(ed)
}

// setKey fills in and checks the key and certificate.
func (p *IDP) setKey() error {
	if p.key == nil {
		if p.cert != nil {
			return errors.New("samltest: Config.Certificate given without Config.Key")
		}
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return fmt.Errorf("samltest: generating a key: %w", err)
		}
		p.key = k
	}
	switch p.key.Public().(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		return fmt.Errorf("samltest: key is %T, want RSA or ECDSA", p.key.Public())
	}

	if p.cert == nil {
		c, err := p.selfSigned()
		if err != nil {
			return err
		}
		p.cert = c
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pub, ok := p.key.Public().(equaler); !ok || !pub.Equal(p.cert.PublicKey) {
		return errors.New("samltest: Config.Certificate does not match Config.Key")
	}
	return nil
}

// selfSigned creates a certificate for p.key valid around p.now().
func (p *IDP) selfSigned() (*x509.Certificate, error) {
	serial := make([]byte, 16)
	if err := p.readRand(serial); err != nil {
		return nil, err
	}
	now := p.now().UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(serial),
		Subject: pkix.Name{
			CommonName:   "samltest IdP",
			Organization: []string{"Secure Share tests"},
		},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(p.rand, tmpl, tmpl, p.key.Public(), p.key)
	if err != nil {
		return nil, fmt.Errorf("samltest: creating a certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

// signingContext returns a goxmldsig signing context for p's key and
// algorithm: exclusive c14n, "ds" prefix, ID attribute "ID".
func (p *IDP) signingContext() (*dsig.SigningContext, error) {
	signer := p.key
	if _, ok := p.key.Public().(*ecdsa.PublicKey); ok && !p.asn1ECDSA {
		signer = rawECDSASigner{p.key}
	}
	ctx, err := dsig.NewSigningContext(signer, [][]byte{p.cert.Raw})
	if err != nil {
		return nil, fmt.Errorf("samltest: %w", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.Prefix = "ds"
	ctx.IdAttribute = "ID"

	method := p.sigMethod
	if method == "" {
		method = saml.AlgRSASHA256
		if _, ok := p.key.Public().(*ecdsa.PublicKey); ok {
			method = saml.AlgECDSASHA256
		}
	}
	if err := ctx.SetSignatureMethod(method); err != nil {
		return nil, fmt.Errorf("samltest: signature algorithm: %w", err)
	}
	return ctx, nil
}

// newID returns a fresh XML ID: an underscore and 40 hex digits (160
// random bits).
func (p *IDP) newID() (string, error) {
	b := make([]byte, 20)
	if err := p.readRand(b); err != nil {
		return "", err
	}
	return "_" + hex.EncodeToString(b), nil
}

// readRand fills b from p.rand.
func (p *IDP) readRand(b []byte) error {
	p.randMu.Lock()
	defer p.randMu.Unlock()
	if _, err := io.ReadFull(p.rand, b); err != nil {
		return fmt.Errorf("samltest: reading randomness: %w", err)
	}
	return nil
}

// newDocument returns an empty document that writes character references
// for carriage returns in text and for tabs and line breaks in attribute
// values, so that a parser reads back exactly the values that were signed.
func newDocument() *etree.Document {
	d := etree.NewDocument()
	d.WriteSettings.CanonicalText = true
	d.WriteSettings.CanonicalAttrVal = true
	return d
}

// endpoint appends an endpoint element with Binding and Location.
func endpoint(parent *etree.Element, tag string, b saml.Binding, location string) {
	e := parent.CreateElement(tag)
	e.CreateAttr("Binding", b.String())
	e.CreateAttr("Location", location)
}

// serialize writes el as a standalone document without an XML
// declaration.
func serialize(el *etree.Element) ([]byte, error) {
	doc := newDocument()
	doc.SetRoot(el)
	b, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("samltest: serialising: %w", err)
	}
	return b, nil
}
