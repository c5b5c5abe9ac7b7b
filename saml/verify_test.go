package saml

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerifyChecks(t *testing.T) {
	vKeys(t)
	assertionOnly := vSignOpts{assertion: true}
	responseOnly := vSignOpts{response: true}
	both := vSignOpts{response: true, assertion: true}
	at := func(d time.Duration) string { return tNow.Add(d).Format(time.RFC3339) }

	cases := []struct {
		name   string
		doc    func(t *testing.T) []byte
		config func(*VerifierConfig)
		want   Check // empty: accepted
		check  func(t *testing.T, a *Assertion)
	}{
		{
			name: "assertion signed",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{}.xml(t), assertionOnly) },
			check: func(t *testing.T, a *Assertion) {
				assert.True(t, a.AssertionSigned)
				assert.False(t, a.ResponseSigned)
				assert.Equal(t, "alice@example.com", a.Subject.Value)
				assert.Equal(t, NameIDFormatEmailAddress, a.Subject.Format)
				assert.Equal(t, "_session-1", a.SessionIndex)
				assert.Equal(t, tRequestID, a.InResponseTo)
				assert.Equal(t, tIDP, a.Issuer)
				g, ok := a.Attribute("groups")
				require.True(t, ok)
				assert.Equal(t, []string{"partners", "staff"}, g.Values)
				assert.Equal(t, tNow.Add(5*time.Minute+maxClockSkew), a.Expires,
					"kept for the largest skew any verifier sharing the cache may allow")
			},
		},
		{
			name: "response signed",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{}.xml(t), responseOnly) },
			check: func(t *testing.T, a *Assertion) {
				assert.True(t, a.ResponseSigned)
				assert.False(t, a.AssertionSigned)
				assert.Equal(t, "alice@example.com", a.Subject.Value)
			},
		},
		{
			name: "both signed",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{}.xml(t), both) },
			check: func(t *testing.T, a *Assertion) {
				assert.True(t, a.ResponseSigned && a.AssertionSigned)
			},
		},
		{
			name: "ecdsa signature in DER form",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{}.xml(t), vSignOpts{assertion: true, key: vECKey})
			},
			config: func(c *VerifierConfig) { c.IDPCertificates = []*x509.Certificate{vECKey.cert} },
		},
		{
			name: "ecdsa signature as r||s",
			doc: func(t *testing.T) []byte {
				return derToRS(t, vSign(t, vResp{}.xml(t), vSignOpts{assertion: true, key: vECKey}))
			},
			config: func(c *VerifierConfig) { c.IDPCertificates = []*x509.Certificate{vECKey.cert} },
		},
		{
			name: "second of several configured certificates",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{}.xml(t), assertionOnly) },
			config: func(c *VerifierConfig) {
				c.IDPCertificates = []*x509.Certificate{vOtherKey.cert, vIDPKey.cert}
			},
		},
		{
			name: "rsa-sha512",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{}.xml(t), vSignOpts{assertion: true, method: AlgRSASHA512})
			},
		},
		{
			name: "comment inside NameID does not truncate it",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{NameID: "alice@example.com<!-- x -->.evil.test"}.xml(t), assertionOnly)
			},
			check: func(t *testing.T, a *Assertion) {
				assert.Equal(t, "alice@example.com.evil.test", a.Subject.Value)
			},
		},
		{
			name: "comment inside attribute value does not truncate it",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{Attributes: map[string][]string{"groups": {"admins<!---->-not"}},
					AttrOrder: []string{"groups"}}.xml(t), assertionOnly)
			},
			check: func(t *testing.T, a *Assertion) {
				g, _ := a.Attribute("groups")
				assert.Equal(t, []string{"admins-not"}, g.Values)
			},
		},
		{
			name: "unsigned",
			doc:  func(t *testing.T) []byte { return vResp{}.xml(t) },
			want: CheckSignature,
		},
		{
			name: "signed by a key not configured",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{}.xml(t), vSignOpts{assertion: true, key: vOtherKey})
			},
			want: CheckSignature,
		},
		{
			name: "KeyInfo certificate is never trusted",
			doc: func(t *testing.T) []byte {
				// Signed by vOtherKey, whose certificate rides in KeyInfo.
				return vSign(t, vResp{}.xml(t), vSignOpts{response: true, assertion: true, key: vOtherKey})
			},
			want: CheckSignature,
		},
		{
			name: "attribute changed after signing",
			doc: func(t *testing.T) []byte {
				return vReplaceOnce(t, vSign(t, vResp{}.xml(t), assertionOnly), ">staff<", ">admins<")
			},
			want: CheckSignature,
		},
		{
			name: "NameID changed after response signing",
			doc: func(t *testing.T) []byte {
				return vReplaceOnce(t, vSign(t, vResp{}.xml(t), responseOnly), "alice@example.com<", "mallory@example.com<")
			},
			want: CheckSignature,
		},
		{
			name: "signature value corrupted",
			doc: func(t *testing.T) []byte {
				return corruptSignatureValue(t, vSign(t, vResp{}.xml(t), assertionOnly))
			},
			want: CheckSignature,
		},
		{
			name:   "assertion signature only, but required by this IdP",
			doc:    func(t *testing.T) []byte { return vSign(t, vResp{}.xml(t), responseOnly) },
			config: func(c *VerifierConfig) { c.RequireSignedAssertions = true },
			want:   CheckSignature,
		},
		{
			name: "reference points at another element",
			doc: func(t *testing.T) []byte {
				return vReplaceOnce(t, vSign(t, vResp{}.xml(t), assertionOnly),
					`URI="#_assert-1b7e9c4d2f6a8e03"`, `URI="#_resp-8d3f2a61c0b94e7f"`)
			},
			want: CheckSignature,
		},
		{
			name: "wrapping: evil assertion first, signed one moved into Extensions",
			doc: func(t *testing.T) []byte {
				signed := vSign(t, vResp{}.xml(t), assertionOnly)
				m := regexp.MustCompile(`(?s)<saml:Assertion .*</saml:Assertion>`).Find(signed)
				evil := strings.Replace(string(m), "alice@", "mallory@", 1)
				evil = strings.Replace(evil, `ID="_assert-1b7e9c4d2f6a8e03"`, `ID="_evil"`, 1)
				return vReplaceOnce(t, signed, string(m),
					evil+`<samlp:Extensions>`+string(m)+`</samlp:Extensions>`)
			},
			want: CheckSchema,
		},
		{
			name: "wrapping: second assertion added to a signed response",
			doc: func(t *testing.T) []byte {
				signed := vSign(t, vResp{}.xml(t), responseOnly)
				return vReplaceOnce(t, signed, "</samlp:Response>",
					`<saml:Assertion ID="_x" Version="2.0"/></samlp:Response>`)
			},
			want: CheckSignature,
		},
		{
			name: "duplicate IDs",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{ExtraInResponse: `<samlp:Extensions><x ID="_assert-1b7e9c4d2f6a8e03"/></samlp:Extensions>`}.xml(t), assertionOnly)
			},
			want: CheckXML,
		},
		{
			name: "rsa-sha1 refused",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{}.xml(t), vSignOpts{assertion: true, method: AlgRSASHA1})
			},
			want: CheckAlgorithm,
		},
		{
			name: "rsa-sha1 allowed for this IdP",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{}.xml(t), vSignOpts{assertion: true, method: AlgRSASHA1})
			},
			config: func(c *VerifierConfig) { c.InsecureAllowSHA1 = true },
		},
		{
			name: "inclusive c14n transform refused",
			doc: func(t *testing.T) []byte {
				return vReplaceOnce(t, vSign(t, vResp{}.xml(t), assertionOnly),
					`<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>`,
					`<ds:Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>`)
			},
			want: CheckAlgorithm,
		},
		{
			name: "xpath transform refused",
			doc: func(t *testing.T) []byte {
				return vReplaceOnce(t, vSign(t, vResp{}.xml(t), assertionOnly), `</ds:Transforms>`,
					`<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"/></ds:Transforms>`)
			},
			want: CheckAlgorithm,
		},
		{
			name: "two references refused",
			doc: func(t *testing.T) []byte {
				s := vSign(t, vResp{}.xml(t), assertionOnly)
				ref := regexp.MustCompile(`(?s)<ds:Reference .*</ds:Reference>`).Find(s)
				return vReplaceOnce(t, s, string(ref), string(ref)+string(ref))
			},
			want: CheckSignature,
		},
		{
			name: "element inside SignatureMethod refused",
			doc: func(t *testing.T) []byte {
				return vReplaceOnce(t, vSign(t, vResp{}.xml(t), assertionOnly),
					`Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>`,
					`Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"><x/></ds:SignatureMethod>`)
			},
			want: CheckSignature,
		},
		{
			name: "element inside DigestValue refused",
			doc: func(t *testing.T) []byte {
				return vReplaceOnce(t, vSign(t, vResp{}.xml(t), assertionOnly),
					`</ds:DigestValue>`, `<x/></ds:DigestValue>`)
			},
			want: CheckSignature,
		},
		{
			name: "signed response's InResponseTo, none in the confirmation",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{NoSCDInRespTo: true}.xml(t), responseOnly)
			},
			check: func(t *testing.T, a *Assertion) { assert.Equal(t, tRequestID, a.InResponseTo) },
		},
		{
			name: "expired signing certificate",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{}.xml(t), vSignOpts{assertion: true, key: vExpiredKey})
			},
			config: func(c *VerifierConfig) { c.IDPCertificates = []*x509.Certificate{vExpiredKey.cert} },
			want:   CheckCertificate,
		},
		{
			name: "expired signing certificate, expiry ignored by admin",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{}.xml(t), vSignOpts{assertion: true, key: vExpiredKey})
			},
			config: func(c *VerifierConfig) {
				c.IDPCertificates = []*x509.Certificate{vExpiredKey.cert}
				c.InsecureIgnoreCertificateExpiry = true
			},
		},
		{
			name: "wrong version",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{Version: "1.1"}.xml(t), both) },
			want: CheckVersion,
		},
		{
			name: "wrong destination",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{Destination: "https://evil.example/acs"}.xml(t), responseOnly)
			},
			want: CheckDestination,
		},
		{
			name: "signed response without destination",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{NoDestination: true}.xml(t), responseOnly) },
			want: CheckDestination,
		},
		{
			name: "unsigned response without destination",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{NoDestination: true}.xml(t), assertionOnly) },
		},
		{
			name: "wrong response issuer",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{ResponseIssuer: "https://other-idp.example"}.xml(t), both)
			},
			want: CheckIssuer,
		},
		{
			name: "wrong assertion issuer",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{AssertionIssuer: "https://other-idp.example"}.xml(t), assertionOnly)
			},
			want: CheckIssuer,
		},
		{
			name: "another IdP's response is reported as such, not as a bad signature",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{ResponseIssuer: "https://other-idp.example",
					AssertionIssuer: "https://other-idp.example"}.xml(t),
					vSignOpts{response: true, assertion: true, key: vOtherKey})
			},
			want: CheckIssuer,
		},
		{
			name: "wrong audience",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{Audience: "https://other-sp"}.xml(t), both) },
			want: CheckAudience,
		},
		{
			name: "no audience restriction",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{NoAudience: true}.xml(t), both) },
			want: CheckAudience,
		},
		{
			name: "no conditions",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{NoConditions: true}.xml(t), both) },
			want: CheckAudience,
		},
		{
			name: "not yet valid",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{NotBefore: at(5 * time.Minute)}.xml(t), both) },
			want: CheckNotBefore,
		},
		{
			name: "not yet valid but within skew",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{NotBefore: at(60 * time.Second)}.xml(t), both) },
		},
		{
			name: "expired conditions",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{NotAfter: at(-2 * time.Minute)}.xml(t), both) },
			want: CheckNotOnOrAfter,
		},
		{
			name: "expired but within skew",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{NotAfter: at(-60 * time.Second)}.xml(t), both) },
		},
		{
			name: "expired confirmation",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{SCDNotAfter: at(-2 * time.Minute)}.xml(t), both) },
			want: CheckNotOnOrAfter,
		},
		{
			name: "issued in the future",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{IssueInstant: at(10 * time.Minute)}.xml(t), both)
			},
			want: CheckIssueInstant,
		},
		{
			name: "issued too long ago",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{IssueInstant: at(-time.Hour)}.xml(t), both) },
			want: CheckIssueInstant,
		},
		{
			name: "not a bearer confirmation",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{Method: "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"}.xml(t), both)
			},
			want: CheckSubjectConfirm,
		},
		{
			name: "wrong recipient",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{Recipient: "https://evil.example/acs"}.xml(t), both)
			},
			want: CheckRecipient,
		},
		{
			name: "unknown InResponseTo",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{InResponseTo: "_other"}.xml(t), both) },
			want: CheckInResponseTo,
		},
		{
			name: "confirmation InResponseTo differs",
			doc:  func(t *testing.T) []byte { return vSign(t, vResp{SCDInRespTo: "_other"}.xml(t), both) },
			want: CheckInResponseTo,
		},
		{
			name: "InResponseTo only in the unsigned response",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{NoSCDInRespTo: true}.xml(t), assertionOnly)
			},
			want: CheckInResponseTo,
		},
		{
			name: "unsolicited refused",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{NoInResponseTo: true, NoSCDInRespTo: true}.xml(t), both)
			},
			want: CheckUnsolicited,
		},
		{
			name: "unsolicited allowed",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{NoInResponseTo: true, NoSCDInRespTo: true}.xml(t), both)
			},
			config: func(c *VerifierConfig) { c.AllowIDPInitiated = true },
			check:  func(t *testing.T, a *Assertion) { assert.Empty(t, a.InResponseTo) },
		},
		{
			name: "processing instruction",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{ExtraInAssertion: `<?evil x?>`}.xml(t), both)
			},
			want: CheckXML,
		},
		{
			name: "advice refused",
			doc: func(t *testing.T) []byte {
				return vSign(t, vResp{ExtraInAssertion: `<saml:Advice/>`}.xml(t), both)
			},
			want: CheckSchema,
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVVerifier(t, tc.config)
			a, err := vVerifyDoc(v, tc.doc(t))
			if tc.want != "" {
				requireFailed(t, err, tc.want)
				assert.Nil(t, a)
				return
			}
			require.NoError(t, err)
			if tc.check != nil {
				tc.check(t, a)
			}
		})
	}
}

func TestVerifyStatus(t *testing.T) {
	v := newVVerifier(t, nil)
	doc := vResp{Status: StatusResponder, SubStatus: "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed",
		StatusMessage: "user is not assigned to this application"}.xml(t)

	_, err := vVerifyDoc(v, doc)

	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, StatusResponder, se.Code)
	assert.Equal(t, "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed", se.SubCode)
	assert.Equal(t, "user is not assigned to this application", se.Message)
	requireFailed(t, err, CheckStatus)
	assert.Contains(t, err.Error(), "AuthnFailed")
}

func TestVerifyReplay(t *testing.T) {
	v := newVVerifier(t, nil)
	doc := vSign(t, vResp{}.xml(t), vSignOpts{assertion: true})

	_, err := vVerifyDoc(v, doc)
	require.NoError(t, err)
	_, err = vVerifyDoc(v, doc)

	requireFailed(t, err, CheckReplay)
	assert.True(t, errors.Is(err, ErrReplayed))
}

// Keys from metadata are trusted until the metadata's validUntil: a
// response verified just before it is accepted, one at or after it is
// refused with the date, however well signed.
func TestVerifyMetadataValidUntil(t *testing.T) {
	doc := vSign(t, vResp{}.xml(t), vSignOpts{assertion: true})

	v := newVVerifier(t, func(c *VerifierConfig) {
		c.IDPCertificatesValidUntil = tNow.Add(time.Second)
	})
	_, err := vVerifyDoc(v, doc)
	require.NoError(t, err, "metadata still valid")

	for _, until := range []time.Time{tNow, tNow.Add(-time.Hour)} {
		v = newVVerifier(t, func(c *VerifierConfig) { c.IDPCertificatesValidUntil = until })
		_, err = vVerifyDoc(v, doc)
		requireFailed(t, err, CheckMetadataExpired)
		var ve *ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "before "+until.UTC().Format(time.RFC3339), ve.Want)
		assert.Contains(t, err.Error(), "metadata again")
	}
}

func TestVerifyFormValue(t *testing.T) {
	v := newVVerifier(t, nil)
	doc := vSign(t, vResp{}.xml(t), vSignOpts{assertion: true})
	wrapped := regexp.MustCompile(`.{76}`).ReplaceAllString(string(vB64(doc)), "$0\r\n")

	a, err := v.Verify(context.Background(), []byte(wrapped), []string{tRequestID})
	require.NoError(t, err, "base64 with line breaks is accepted")
	assert.Equal(t, "alice@example.com", a.Subject.Value)

	v = newVVerifier(t, nil)
	indented := regexp.MustCompile(`.{64}`).ReplaceAllString(string(vB64(doc)), "$0\n\t  ")
	a, err = v.Verify(context.Background(), []byte(" "+indented+"\t"), []string{tRequestID})
	require.NoError(t, err, "base64 with spaces and tabs is accepted")
	assert.Equal(t, "alice@example.com", a.Subject.Value)

	_, err = v.Verify(context.Background(), []byte("not*base64!"), []string{tRequestID})
	requireFailed(t, err, CheckEncoding)
}

func TestVerifySizeLimit(t *testing.T) {
	v := newVVerifier(t, nil)
	huge := make([]byte, 1<<20)
	for i := range huge {
		huge[i] = 'A'
	}

	_, err := v.Verify(context.Background(), huge, nil)
	requireFailed(t, err, CheckSize)
	_, err = v.VerifyXML(context.Background(), huge, nil)
	requireFailed(t, err, CheckSize)
}

func TestVerifyManyAttributeValues(t *testing.T) {
	groups := make([]string, 2000)
	for i := range groups {
		groups[i] = fmt.Sprintf("group-%04d", i)
	}
	doc := vSign(t, vResp{Attributes: map[string][]string{"groups": groups},
		AttrOrder: []string{"groups"}}.xml(t), vSignOpts{assertion: true})
	v := newVVerifier(t, nil)

	a, err := vVerifyDoc(v, doc)

	require.NoError(t, err)
	g, ok := a.Attribute("groups")
	require.True(t, ok)
	assert.Equal(t, groups, g.Values)
}

func TestNewVerifierValidatesConfig(t *testing.T) {
	vKeys(t)
	good := VerifierConfig{SPEntityID: tSP, ACSURLs: []string{tACS}, IDPEntityID: tIDP,
		IDPCertificates: []*x509.Certificate{vIDPKey.cert}}
	_, err := NewVerifier(good)
	require.NoError(t, err)

	for name, mod := range map[string]func(*VerifierConfig){
		"no SP entity ID":   func(c *VerifierConfig) { c.SPEntityID = "" },
		"no ACS":            func(c *VerifierConfig) { c.ACSURLs = nil },
		"no IdP entity ID":  func(c *VerifierConfig) { c.IDPEntityID = "" },
		"no certificates":   func(c *VerifierConfig) { c.IDPCertificates = nil },
		"nil certificate":   func(c *VerifierConfig) { c.IDPCertificates = []*x509.Certificate{nil} },
		"skew too large":    func(c *VerifierConfig) { c.ClockSkew = time.Hour },
		"negative max size": func(c *VerifierConfig) { c.MaxResponseSize = -1 },
		"empty ACS URL":     func(c *VerifierConfig) { c.ACSURLs = []string{tACS, ""} },
		"relative ACS URL":  func(c *VerifierConfig) { c.ACSURLs = []string{"/saml/acs"} },
		"512-bit RSA key": func(c *VerifierConfig) {
			c.IDPCertificates = []*x509.Certificate{vIDPKey.cert, weakCert(t)}
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := good
			mod(&c)
			_, err := NewVerifier(c)
			assert.Error(t, err)
		})
	}
}

// weakCert is a self-signed certificate with a 512-bit RSA key.
func weakCert(t *testing.T) *x509.Certificate {
	t.Helper()
	return loadTestCert(t, "testdata/rsa512-cert.pem")
}

func TestWeakKeyRefused(t *testing.T) {
	vKeys(t)
	assert.Empty(t, WeakKey(vIDPKey.cert), "2048-bit RSA")
	assert.Empty(t, WeakKey(vECKey.cert), "ECDSA")
	assert.Contains(t, WeakKey(weakCert(t)), "512-bit RSA key")

	_, err := NewVerifier(VerifierConfig{SPEntityID: tSP, ACSURLs: []string{tACS},
		IDPEntityID: tIDP, IDPCertificates: []*x509.Certificate{weakCert(t)}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "IDPCertificates[0] (weak-idp.example) has a 512-bit RSA key")

	_, err = NewLogoutVerifier(LogoutVerifierConfig{SLOURLs: []string{tACS}, IDPEntityID: tIDP,
		IDPCertificates: []*x509.Certificate{weakCert(t)}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "512-bit RSA key")
	_, err = NewLogoutVerifier(LogoutVerifierConfig{SLOURLs: []string{tACS}, IDPEntityID: tIDP,
		IDPCertificates: []*x509.Certificate{vIDPKey.cert}})
	require.NoError(t, err)
}

// derToRS rewrites each ECDSA SignatureValue from ASN.1 DER to the r||s
// form of RFC 4051. The signed SignedInfo is unchanged.
func derToRS(t *testing.T, doc []byte) []byte {
	t.Helper()
	re := regexp.MustCompile(`<ds:SignatureValue>([^<]+)</ds:SignatureValue>`)
	size := (vECKey.signer.(*ecdsa.PrivateKey).Curve.Params().BitSize + 7) / 8
	return re.ReplaceAllFunc(doc, func(m []byte) []byte {
		der, err := base64.StdEncoding.DecodeString(string(re.FindSubmatch(m)[1]))
		require.NoError(t, err)
		var sig struct{ R, S *big.Int }
		_, err = asn1.Unmarshal(der, &sig)
		require.NoError(t, err)
		raw := make([]byte, 2*size)
		sig.R.FillBytes(raw[:size])
		sig.S.FillBytes(raw[size:])
		return []byte("<ds:SignatureValue>" + base64.StdEncoding.EncodeToString(raw) + "</ds:SignatureValue>")
	})
}

// corruptSignatureValue flips bits in the first SignatureValue.
func corruptSignatureValue(t *testing.T, doc []byte) []byte {
	t.Helper()
	re := regexp.MustCompile(`<ds:SignatureValue>([^<]+)</ds:SignatureValue>`)
	m := re.FindSubmatch(doc)
	require.NotNil(t, m)
	raw, err := base64.StdEncoding.DecodeString(string(m[1]))
	require.NoError(t, err)
	raw[10] ^= 0xff
	return vReplaceOnce(t, doc, string(m[1]), base64.StdEncoding.EncodeToString(raw))
}

func TestVerifyStatusWithoutAssertion(t *testing.T) {
	v := newVVerifier(t, nil)
	doc := vResp{Status: StatusRequester, SubStatus: "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"}.xml(t)
	noAssertion := regexp.MustCompile(`(?s)<saml:Assertion .*</saml:Assertion>`).ReplaceAll(doc, nil)
	signed := vSign(t, noAssertion, vSignOpts{response: true})

	_, err := vVerifyDoc(v, signed)

	var se *StatusError
	require.ErrorAs(t, err, &se, "a failure Response carries no assertion: %v", err)
	assert.Equal(t, StatusRequester, se.Code)
	assert.Equal(t, "urn:oasis:names:tc:SAML:2.0:status:RequestDenied", se.SubCode)
}
