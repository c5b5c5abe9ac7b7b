package saml

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/stretchr/testify/require"
)

// Fixed values for crafted responses.
const (
	tIDP       = "https://idp.example.com/metadata"
	tSP        = "https://sp.example.com/saml/metadata"
	tACS       = "https://sp.example.com/saml/acs"
	tRequestID = "_req-4f1c9a0e7b2d"
)

var tNow = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// vTestKey is an IdP key pair with a certificate valid around tNow.
type vTestKey struct {
	signer crypto.Signer
	cert   *x509.Certificate
}

var (
	vKeyOnce                   sync.Once
	vIDPKey, vOtherKey, vECKey vTestKey
	vSPKey                     *rsa.PrivateKey
	vSPCert                    *x509.Certificate
	vExpiredKey                vTestKey
)

// keys returns the test keys, generated once per test binary.
func vKeys(t testing.TB) {
	t.Helper()
	vKeyOnce.Do(func() {
		vIDPKey = newVTestKey(t, false, tNow.Add(-time.Hour), tNow.Add(365*24*time.Hour))
		vOtherKey = newVTestKey(t, false, tNow.Add(-time.Hour), tNow.Add(365*24*time.Hour))
		vECKey = newVTestKey(t, true, tNow.Add(-time.Hour), tNow.Add(365*24*time.Hour))
		vExpiredKey = newVTestKey(t, false, tNow.Add(-48*time.Hour), tNow.Add(-24*time.Hour))
		sp := newVTestKey(t, false, tNow.Add(-time.Hour), tNow.Add(365*24*time.Hour))
		vSPKey, vSPCert = sp.signer.(*rsa.PrivateKey), sp.cert
	})
}

func newVTestKey(t testing.TB, ec bool, from, to time.Time) vTestKey {
	t.Helper()
	var signer crypto.Signer
	var err error
	if ec {
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		signer, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "test idp"},
		NotBefore:    from,
		NotAfter:     to,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return vTestKey{signer: signer, cert: cert}
}

// resp describes a crafted Response. The zero value of each field means
// the value a correct IdP would send.
type vResp struct {
	ResponseID, AssertionID           string
	Destination, InResponseTo         string
	ResponseIssuer, AssertionIssuer   string
	Audience, Recipient, SCDInRespTo  string
	NameID                            string
	Status, SubStatus, StatusMessage  string
	Version                           string
	IssueInstant, NotBefore, NotAfter string
	SCDNotAfter                       string
	Method                            string
	Attributes                        map[string][]string
	AttrOrder                         []string
	NoDestination, NoInResponseTo     bool
	NoAudience, NoConditions          bool
	NoSCDInRespTo                     bool
	ExtraInResponse                   string // raw XML appended inside Response after Status
	ExtraInAssertion                  string // raw XML appended inside Assertion
}

var respTemplate = template.Must(template.New("r").Parse(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{{.ResponseID}}" Version="{{.Version}}" IssueInstant="{{.IssueInstant}}"{{if not .NoDestination}} Destination="{{.Destination}}"{{end}}{{if not .NoInResponseTo}} InResponseTo="{{.InResponseTo}}"{{end}}><saml:Issuer>{{.ResponseIssuer}}</saml:Issuer><samlp:Status><samlp:StatusCode Value="{{.Status}}">{{if .SubStatus}}<samlp:StatusCode Value="{{.SubStatus}}"/>{{end}}</samlp:StatusCode>{{if .StatusMessage}}<samlp:StatusMessage>{{.StatusMessage}}</samlp:StatusMessage>{{end}}</samlp:Status>{{.ExtraInResponse}}<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{{.AssertionID}}" Version="{{.Version}}" IssueInstant="{{.IssueInstant}}"><saml:Issuer>{{.AssertionIssuer}}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{{.NameID}}</saml:NameID><saml:SubjectConfirmation Method="{{.Method}}"><saml:SubjectConfirmationData NotOnOrAfter="{{.SCDNotAfter}}" Recipient="{{.Recipient}}"{{if not .NoSCDInRespTo}} InResponseTo="{{.SCDInRespTo}}"{{end}}/></saml:SubjectConfirmation></saml:Subject>{{if not .NoConditions}}<saml:Conditions NotBefore="{{.NotBefore}}" NotOnOrAfter="{{.NotAfter}}">{{if not .NoAudience}}<saml:AudienceRestriction><saml:Audience>{{.Audience}}</saml:Audience></saml:AudienceRestriction>{{end}}</saml:Conditions>{{end}}<saml:AuthnStatement AuthnInstant="{{.IssueInstant}}" SessionIndex="_session-1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{{range $n := .AttrOrder}}<saml:Attribute Name="{{$n}}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">{{range index $.Attributes $n}}<saml:AttributeValue xsi:type="xs:string">{{.}}</saml:AttributeValue>{{end}}</saml:Attribute>{{end}}</saml:AttributeStatement>{{.ExtraInAssertion}}</saml:Assertion></samlp:Response>`))

// xml renders r with defaults filled in.
func (r vResp) xml(t testing.TB) []byte {
	t.Helper()
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&r.ResponseID, "_resp-8d3f2a61c0b94e7f")
	def(&r.AssertionID, "_assert-1b7e9c4d2f6a8e03")
	def(&r.Destination, tACS)
	def(&r.InResponseTo, tRequestID)
	def(&r.SCDInRespTo, r.InResponseTo)
	def(&r.ResponseIssuer, tIDP)
	def(&r.AssertionIssuer, tIDP)
	def(&r.Audience, tSP)
	def(&r.Recipient, tACS)
	def(&r.NameID, "alice@example.com")
	def(&r.Status, StatusSuccess)
	def(&r.Version, "2.0")
	def(&r.IssueInstant, tNow.Add(-10*time.Second).Format(time.RFC3339))
	def(&r.NotBefore, tNow.Add(-time.Minute).Format(time.RFC3339))
	def(&r.NotAfter, tNow.Add(5*time.Minute).Format(time.RFC3339))
	def(&r.SCDNotAfter, tNow.Add(5*time.Minute).Format(time.RFC3339))
	def(&r.Method, cmBearer)
	if r.Attributes == nil {
		r.Attributes = map[string][]string{"email": {"alice@example.com"}, "groups": {"partners", "staff"}}
		r.AttrOrder = []string{"email", "groups"}
	}
	var b bytes.Buffer
	require.NoError(t, respTemplate.Execute(&b, r))
	return b.Bytes()
}

// vSignOpts says what sign signs and how.
type vSignOpts struct {
	response, assertion bool
	key                 vTestKey
	method              string // default rsa-sha256 (ecdsa-sha256 for EC keys)
}

// sign signs the Assertion and/or the Response of doc, placing each
// Signature right after the element's Issuer, as IdPs do.
func vSign(t testing.TB, doc []byte, o vSignOpts) []byte {
	t.Helper()
	vKeys(t)
	if o.key.signer == nil {
		o.key = vIDPKey
	}
	d := etree.NewDocument()
	require.NoError(t, d.ReadFromBytes(doc))
	if o.assertion {
		a := d.Root().FindElement("./Assertion")
		require.NotNil(t, a, "no Assertion to sign")
		vSignElement(t, a, o)
	}
	if o.response {
		vSignElement(t, d.Root(), o)
	}
	out, err := d.WriteToBytes()
	require.NoError(t, err)
	return out
}

func vSignElement(t testing.TB, el *etree.Element, o vSignOpts) {
	t.Helper()
	ctx, err := dsig.NewSigningContext(o.key.signer, [][]byte{o.key.cert.Raw})
	require.NoError(t, err)
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	method := o.method
	if method == "" {
		method = AlgRSASHA256
		if _, ok := o.key.signer.(*ecdsa.PrivateKey); ok {
			method = AlgECDSASHA256
		}
	}
	require.NoError(t, ctx.SetSignatureMethod(method))
	// Sign a detached copy so that in-place canonicalisation leaves el as
	// it is, then insert the Signature after Issuer.
	sig, err := ctx.ConstructSignature(detach(el), true)
	require.NoError(t, err)
	el.InsertChildAt(1, sig)
}

// b64 encodes doc as an HTTP-POST form value.
func vB64(doc []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(doc))
}

// newVVerifier returns a verifier for the crafted responses.
func newVVerifier(t testing.TB, mod func(*VerifierConfig)) *Verifier {
	t.Helper()
	vKeys(t)
	cfg := VerifierConfig{
		SPEntityID:      tSP,
		ACSURLs:         []string{tACS},
		IDPEntityID:     tIDP,
		IDPCertificates: []*x509.Certificate{vIDPKey.cert},
		DecryptionKeys:  []*rsa.PrivateKey{vSPKey},
		Now:             func() time.Time { return tNow },
	}
	if mod != nil {
		mod(&cfg)
	}
	v, err := NewVerifier(cfg)
	require.NoError(t, err)
	return v
}

// vVerifyDoc runs VerifyXML for the outstanding test request.
func vVerifyDoc(v *Verifier, doc []byte) (*Assertion, error) {
	return v.VerifyXML(context.Background(), doc, []string{tRequestID})
}

// vReplaceOnce replaces the first old in doc with new and fails when there
// is none, so that a tampering test cannot silently tamper with nothing.
func vReplaceOnce(t testing.TB, doc []byte, old, new string) []byte {
	t.Helper()
	require.True(t, bytes.Contains(doc, []byte(old)), "%q not found", old)
	return []byte(strings.Replace(string(doc), old, new, 1))
}
