package saml

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math/big"
	"net/url"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// requestIDBytes is the number of random bytes in a request ID: 160 bits,
// above the 128 bits SAML Core section 1.3.4 asks for.
const requestIDBytes = 20

// instantFormat is how this package writes xs:dateTime values: UTC, whole
// seconds.
const instantFormat = "2006-01-02T15:04:05Z"

// RequestConfig configures a [RequestBuilder]: who we are and how we sign.
type RequestConfig struct {
	// EntityID is the SP entity ID, sent as the Issuer. Required.
	EntityID string
	// ACSURL is the AssertionConsumerServiceURL the IdP posts the Response
	// to. Required for AuthnRequests; unused for logout messages.
	ACSURL string
	// ProtocolBinding is the binding the IdP should use for the Response.
	// Zero means [BindingHTTPPost], the only one this package receives.
	ProtocolBinding Binding

	// SigningKey signs requests when non-nil: an *rsa.PrivateKey,
	// *ecdsa.PrivateKey or any crypto.Signer (an HSM key) with such a public
	// key. Nil means requests are sent unsigned.
	SigningKey crypto.Signer
	// SigningCertificate is the certificate for SigningKey, embedded in the
	// KeyInfo of POST-binding signatures. Optional; when set, its public key
	// must match SigningKey.
	SigningCertificate *x509.Certificate
	// SignatureAlgorithm is the signature algorithm URI. Empty means
	// [AlgRSASHA256] for RSA keys and [AlgECDSASHA256] for ECDSA keys.
	// [AlgRSASHA1] is refused.
	SignatureAlgorithm string

	// Now is the clock for IssueInstant; nil means time.Now.
	Now func() time.Time
	// Rand is the source of request IDs; nil means crypto/rand.Reader.
	// It is also handed to SigningKey, which may ignore it (the standard
	// library's keys do). Anything but crypto/rand is for tests only.
	Rand io.Reader
}

// RequestBuilder builds the SAML requests an SP sends to an IdP:
// AuthnRequests (SAML 2.0 Core, section 3.4) and logout messages (section
// 3.7), encoded for the HTTP-Redirect or HTTP-POST binding (SAML 2.0
// Bindings, sections 3.4 and 3.5). It is safe for concurrent use. It keeps
// no record of the requests it built: the caller stores the returned IDs
// to check InResponseTo later.
type RequestBuilder struct {
	cfg    RequestConfig
	signer *messageSigner // nil when unsigned
}

// AuthnRequestOptions are the per-request settings of an AuthnRequest. The
// zero value asks for a normal login with no NameIDPolicy.
type AuthnRequestOptions struct {
	// ID is the request's ID. Empty means a fresh one, as from
	// [RequestBuilder.NewID]. Set it when the ID must be known before the
	// request is built, for example to send it as the RelayState. It must
	// be an XML NCName of at least 16 characters, and unguessable.
	ID string
	// NameIDPolicy is sent when non-nil; nil omits the element, which lets
	// the IdP choose the NameID format.
	NameIDPolicy *NameIDPolicy
	// ForceAuthn asks the IdP to authenticate the user again even when it
	// has a session.
	ForceAuthn bool
	// IsPassive asks the IdP not to interact with the user; the IdP answers
	// with a NoPassive status when it cannot sign the user in silently.
	IsPassive bool
	// RequestedAuthnContext is sent when non-nil.
	RequestedAuthnContext *RequestedAuthnContext
}

// NameIDPolicy is the AuthnRequest's NameIDPolicy (SAML 2.0 Core, section
// 3.4.1.1).
type NameIDPolicy struct {
	// Format is the wanted NameID format, such as [NameIDFormatEmailAddress];
	// empty omits the Format attribute.
	Format string
	// AllowCreate lets the IdP create a new identifier for the user.
	AllowCreate bool
}

// RequestedAuthnContext asks for particular authentication context classes
// (SAML 2.0 Core, section 3.3.2.2.1).
type RequestedAuthnContext struct {
	// Comparison is "exact", "minimum", "maximum" or "better"; empty means
	// exact.
	Comparison string
	// ClassRefs are AuthnContextClassRef URIs, at least one.
	ClassRefs []string
}

// PostForm is a message ready for the HTTP-POST binding (SAML 2.0
// Bindings, section 3.5): a form the browser submits to the IdP.
type PostForm struct {
	// ID is the message's ID, to be remembered for InResponseTo checks.
	ID string
	// URL is the form action, the IdP endpoint.
	URL string
	// Field is the form field carrying the message: "SAMLRequest" or
	// "SAMLResponse".
	Field string
	// Value is the base64-encoded message.
	Value string
	// RelayState is sent when non-empty.
	RelayState string
}

// NewRequestBuilder checks cfg and returns a RequestBuilder.
func NewRequestBuilder(cfg RequestConfig) (*RequestBuilder, error) {
	if cfg.EntityID == "" {
		return nil, errors.New("saml: request config: EntityID is required")
	}
	if cfg.ProtocolBinding == "" {
		cfg.ProtocolBinding = BindingHTTPPost
	}
	if cfg.ProtocolBinding != BindingHTTPPost {
		return nil, fmt.Errorf("saml: request config: unsupported ProtocolBinding %q",
			cfg.ProtocolBinding)
	}
	if cfg.ACSURL != "" {
		if err := checkAbsoluteURL(cfg.ACSURL); err != nil {
			return nil, fmt.Errorf("saml: request config: ACSURL: %w", err)
		}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}

	b := &RequestBuilder{cfg: cfg}
	if cfg.SigningKey != nil {
		s, err := newMessageSigner(cfg.SigningKey, cfg.SigningCertificate,
			cfg.SignatureAlgorithm, cfg.Rand)
		if err != nil {
			return nil, fmt.Errorf("saml: request config: %w", err)
		}
		b.signer = s
	}
	return b, nil
}

// RedirectAuthnRequest builds an AuthnRequest for the IdP endpoint
// destination and returns the URL to redirect the browser to (HTTP-Redirect
// binding, SAML 2.0 Bindings section 3.4) and the request ID. When a signing
// key is configured, the query carries SigAlg and Signature computed over
// "SAMLRequest=…&RelayState=…&SigAlg=…" (section 3.4.4.1); the XML itself
// carries no signature. relayState is sent when non-empty; one over the
// binding's limit of 80 bytes is refused.
func (b *RequestBuilder) RedirectAuthnRequest(destination, relayState string,
	opts AuthnRequestOptions) (redirectURL, id string, err error) {
	if err := checkRelayState(relayState); err != nil {
		return "", "", err
	}
	el, id, err := b.authnRequest(destination, opts)
	if err != nil {
		return "", "", err
	}

	u, err := encodeRedirect(destination, "SAMLRequest", el, relayState, b.signer)
	if err != nil {
		return "", "", err
	}
	return u, id, nil
}

// PostAuthnRequest builds an AuthnRequest for the IdP endpoint destination
// as an HTTP-POST binding form (SAML 2.0 Bindings section 3.5). When a
// signing key is configured, the AuthnRequest carries an enveloped XML
// signature (exclusive c14n) placed after the Issuer. The form's ID is the
// request ID.
func (b *RequestBuilder) PostAuthnRequest(destination, relayState string,
	opts AuthnRequestOptions) (*PostForm, error) {
	if err := checkRelayState(relayState); err != nil {
		return nil, err
	}
	el, id, err := b.authnRequest(destination, opts)
	if err != nil {
		return nil, err
	}

	return b.postForm(destination, "SAMLRequest", el, id, relayState)
}

// WriteHTML writes an HTML page that posts the form to the IdP. A script
// submits it at once; nonce, when non-empty, is set on that script so that
// a Content-Security-Policy with 'nonce-…' allows it. With JavaScript off,
// the page shows a button that submits the same form. Every value is
// escaped by html/template.
func (f *PostForm) WriteHTML(w io.Writer, nonce string) error {
	var buf bytes.Buffer
	err := postFormTemplate.Execute(&buf, struct {
		*PostForm
		Nonce string
	}{f, nonce})
	if err != nil {
		return fmt.Errorf("saml: rendering post form: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

var postFormTemplate = template.Must(template.New("post").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Continue</title>
</head>
<body>
<form id="saml-post-form" method="post" action="{{.URL}}">
<input type="hidden" name="{{.Field}}" value="{{.Value}}">
{{- if .RelayState}}
<input type="hidden" name="RelayState" value="{{.RelayState}}">
{{- end}}
<p>Press Continue if you are not redirected.</p>
<button type="submit">Continue</button>
</form>
<script{{if .Nonce}} nonce="{{.Nonce}}"{{end}}>
document.getElementById("saml-post-form").submit();
</script>
</body>
</html>
`))

// authnRequest builds the AuthnRequest element, unsigned.
func (b *RequestBuilder) authnRequest(destination string,
	opts AuthnRequestOptions) (*etree.Element, string, error) {
	if b.cfg.ACSURL == "" {
		return nil, "", errors.New("saml: authn request: RequestConfig.ACSURL is not set")
	}
	if err := checkAbsoluteURL(destination); err != nil {
		return nil, "", fmt.Errorf("saml: authn request: destination: %w", err)
	}
	if rac := opts.RequestedAuthnContext; rac != nil {
		if err := rac.check(); err != nil {
			return nil, "", err
		}
	}

	el, id, err := b.newRequestElement("samlp:AuthnRequest", destination, opts.ID)
	if err != nil {
		return nil, "", err
	}
	if opts.ForceAuthn {
		el.CreateAttr("ForceAuthn", "true")
	}
	if opts.IsPassive {
		el.CreateAttr("IsPassive", "true")
	}
	el.CreateAttr("ProtocolBinding", b.cfg.ProtocolBinding.String())
	el.CreateAttr("AssertionConsumerServiceURL", b.cfg.ACSURL)
	b.addIssuer(el)
	if p := opts.NameIDPolicy; p != nil {
		np := el.CreateElement("samlp:NameIDPolicy")
		if p.Format != "" {
			np.CreateAttr("Format", p.Format)
		}
		np.CreateAttr("AllowCreate", fmt.Sprint(p.AllowCreate))
	}
	if rac := opts.RequestedAuthnContext; rac != nil {
		r := el.CreateElement("samlp:RequestedAuthnContext")
		if rac.Comparison != "" {
			r.CreateAttr("Comparison", rac.Comparison)
		}
		for _, ref := range rac.ClassRefs {
			r.CreateElement("saml:AuthnContextClassRef").SetText(ref)
		}
	}
	return el, id, nil
}

// check validates a RequestedAuthnContext.
func (r *RequestedAuthnContext) check() error {
	switch r.Comparison {
	case "", "exact", "minimum", "maximum", "better":
	default:
		return fmt.Errorf("saml: requested authn context: unknown Comparison %q", r.Comparison)
	}
	if len(r.ClassRefs) == 0 {
		return errors.New("saml: requested authn context: no ClassRefs")
	}
	return nil
}

// newRequestElement starts a protocol message with the attributes every
// request and response has: namespaces, ID, Version, IssueInstant and
// Destination.
func (b *RequestBuilder) newRequestElement(tag, destination, id string) (*etree.Element, string,
	error) {
	if id == "" {
		var err error
		if id, err = b.NewID(); err != nil {
			return nil, "", err
		}
	} else if !validMessageID(id) {
		return nil, "", fmt.Errorf("saml: message ID %q is not an XML NCName", id)
	} else if len(id) < minMessageID {
		return nil, "", fmt.Errorf("saml: message ID %q is shorter than %d characters: "+
			"it must be unguessable (use RequestBuilder.NewID)", id, minMessageID)
	}

	el := etree.NewElement(tag)
	el.CreateAttr("xmlns:samlp", nsProtocol)
	el.CreateAttr("xmlns:saml", nsAssertion)
	el.CreateAttr("ID", id)
	el.CreateAttr("Version", "2.0")
	el.CreateAttr("IssueInstant", b.now().UTC().Format(instantFormat))
	el.CreateAttr("Destination", destination)
	return el, id, nil
}

// addIssuer appends our Issuer.
func (b *RequestBuilder) addIssuer(el *etree.Element) {
	el.CreateElement("saml:Issuer").SetText(b.cfg.EntityID)
}

// postForm signs el when a key is configured and wraps it in a PostForm.
func (b *RequestBuilder) postForm(destination, field string, el *etree.Element, id,
	relayState string) (*PostForm, error) {
	if b.signer != nil {
		if err := b.signer.signEnveloped(el); err != nil {
			return nil, err
		}
	}

	doc := etree.NewDocumentWithRoot(el)
	raw, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("saml: serialising %s: %w", el.Tag, err)
	}
	return &PostForm{ID: id, URL: destination, Field: field,
		Value: base64.StdEncoding.EncodeToString(raw), RelayState: relayState}, nil
}

// now returns the configured time.
func (b *RequestBuilder) now() time.Time {
	if b.cfg.Now != nil {
		return b.cfg.Now()
	}
	return time.Now()
}

// NewID returns a fresh message ID: "_" followed by 160 bits from the
// configured random source, in hex.
func (b *RequestBuilder) NewID() (string, error) {
	return newMessageID(b.cfg.Rand)
}

// validMessageID reports whether id is an NCName made of ASCII letters,
// digits, '_', '-' and '.', starting with a letter or '_'.
func validMessageID(id string) bool {
	if id == "" {
		return false
	}
	for i, r := range id {
		switch {
		case r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z'):
		case i > 0 && (r == '-' || r == '.' || ('0' <= r && r <= '9')):
		default:
			return false
		}
	}
	return true
}

// newMessageID returns "_" followed by 160 random bits in hex: an NCName, as
// xs:ID requires.
func newMessageID(r io.Reader) (string, error) {
	var b [requestIDBytes]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("saml: generating message ID: %w", err)
	}
	return "_" + hex.EncodeToString(b[:]), nil
}

// checkAbsoluteURL accepts http and https URLs with a host.
func checkAbsoluteURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	if u.Fragment != "" || u.RawFragment != "" {
		// The Redirect binding appends its query after the URL: behind a
		// fragment, the browser would never send it.
		return fmt.Errorf("%q has a #fragment", s)
	}
	return nil
}

// maxRelayState is the SAML bindings' limit on RelayState (SAML 2.0
// Bindings, sections 3.4.3 and 3.5.3).
const maxRelayState = 80

// minMessageID is the shortest message ID a caller may choose: 16
// characters (an ID from NewID has 41).
const minMessageID = 16

// checkRelayState refuses a RelayState longer than the bindings allow,
// which an IdP may truncate or refuse.
func checkRelayState(relayState string) error {
	if len(relayState) > maxRelayState {
		return fmt.Errorf("saml: RelayState is %d bytes; the SAML bindings allow at most %d",
			len(relayState), maxRelayState)
	}
	return nil
}

// messageSigner signs outgoing messages: query strings for the Redirect
// binding and enveloped XML signatures for the POST binding and metadata.
type messageSigner struct {
	key  crypto.Signer
	cert *x509.Certificate // may be nil
	alg  string
	hash crypto.Hash
	rand io.Reader
}

// newMessageSigner checks that key, cert and alg fit together.
func newMessageSigner(key crypto.Signer, cert *x509.Certificate, alg string,
	r io.Reader) (*messageSigner, error) {
	var isECDSA bool
	switch key.Public().(type) {
	case *rsa.PublicKey:
	case *ecdsa.PublicKey:
		isECDSA = true
	default:
		return nil, fmt.Errorf("unsupported signing key type %T", key.Public())
	}
	if alg == "" {
		alg = AlgRSASHA256
		if isECDSA {
			alg = AlgECDSASHA256
		}
	}
	h, ok := signatureAlgs[alg]
	if !ok || h.sha1 {
		return nil, fmt.Errorf("unsupported signature algorithm %q", alg)
	}
	if h.ecdsa != isECDSA {
		return nil, fmt.Errorf("signature algorithm %q does not fit a %T key", alg, key.Public())
	}
	if cert != nil {
		pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !pub.Equal(key.Public()) {
			return nil, errors.New("signing certificate does not match the signing key")
		}
	}
	return &messageSigner{key: key, cert: cert, alg: alg, hash: h.hash, rand: r}, nil
}

// sign hashes data and signs it. ECDSA signatures are the concatenation of
// r and s, each padded to the curve size, as XML-DSig 1.1 section 6.4.3
// requires (not ASN.1).
func (s *messageSigner) sign(data []byte) ([]byte, error) {
	h := s.hash.New()
	h.Write(data)
	sig, err := s.key.Sign(s.rand, h.Sum(nil), s.hash)
	if err != nil {
		return nil, fmt.Errorf("saml: signing: %w", err)
	}
	if pub, ok := s.key.Public().(*ecdsa.PublicKey); ok {
		return ecdsaRawSignature(sig, pub)
	}
	return sig, nil
}

// signEnveloped adds an enveloped XML signature to el (exclusive c14n,
// Reference to #ID), placed right after the Issuer child when there is one,
// else first, where the SAML schemas want it.
func (s *messageSigner) signEnveloped(el *etree.Element) error {
	var certs [][]byte
	if s.cert != nil {
		certs = [][]byte{s.cert.Raw}
	}
	ctx, err := dsig.NewSigningContext(rawECDSASigner{s.key, s.rand}, certs)
	if err != nil {
		return fmt.Errorf("saml: signing: %w", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.IdAttribute = "ID"
	if err := ctx.SetSignatureMethod(s.alg); err != nil {
		return fmt.Errorf("saml: signing: %w", err)
	}

	sig, err := ctx.ConstructSignature(el, true)
	if err != nil {
		return fmt.Errorf("saml: signing %s: %w", el.Tag, err)
	}
	if s.cert == nil {
		// No certificate to show: drop the empty KeyInfo, which the
		// schema does not allow.
		for _, c := range sig.ChildElements() {
			if c.Tag == "KeyInfo" {
				sig.RemoveChild(c)
			}
		}
	}
	pos := 0
	for i, t := range el.Child {
		if c, ok := t.(*etree.Element); ok && c.Tag == "Issuer" {
			pos = i + 1
			break
		}
	}
	el.InsertChildAt(pos, sig)
	return nil
}

// rawECDSASigner wraps a crypto.Signer so that ECDSA signatures come out in
// the XML-DSig r||s form that goxmldsig does not produce itself, and so
// that the configured random source is used.
type rawECDSASigner struct {
	crypto.Signer
	rand io.Reader
}

// Sign implements crypto.Signer.
func (r rawECDSASigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	sig, err := r.Signer.Sign(r.rand, digest, opts)
	if err != nil {
		return nil, err
	}
	if pub, ok := r.Public().(*ecdsa.PublicKey); ok {
		return ecdsaRawSignature(sig, pub)
	}
	return sig, nil
}

// ecdsaRawSignature turns an ASN.1 ECDSA signature into r||s.
func ecdsaRawSignature(der []byte, pub *ecdsa.PublicKey) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &rs)
	if err != nil || len(rest) != 0 {
		return nil, errors.New("saml: signing: malformed ECDSA signature from signer")
	}
	size := (pub.Curve.Params().BitSize + 7) / 8
	if rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || (rs.R.BitLen()+7)/8 > size ||
		(rs.S.BitLen()+7)/8 > size {
		return nil, errors.New("saml: signing: ECDSA signature from signer does not fit its curve")
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}
