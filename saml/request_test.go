package saml

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requestClock is the fixed clock of request tests; the test certificates
// are valid then.
var requestClock = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	testSPEntityID = "https://sp.example.com/saml/metadata"
	testACSURL     = "https://sp.example.com/saml/acs"
	testIDPSSOURL  = "https://idp.example.org/sso"
)

func TestNewRequestBuilderRefuses(t *testing.T) {
	rsaKey, rsaCert := spRSAKey(t)
	ecKey, ecCert := spECKey(t)
	tests := []struct {
		name string
		cfg  RequestConfig
		msg  string
	}{
		{"no entity ID", RequestConfig{ACSURL: testACSURL}, "EntityID is required"},
		{"redirect protocol binding", RequestConfig{EntityID: testSPEntityID, ACSURL: testACSURL,
			ProtocolBinding: BindingHTTPRedirect}, "unsupported ProtocolBinding"},
		{"relative ACS URL", RequestConfig{EntityID: testSPEntityID, ACSURL: "/acs"}, "absolute"},
		{"certificate of another key", RequestConfig{EntityID: testSPEntityID, SigningKey: rsaKey,
			SigningCertificate: ecCert}, "does not match"},
		{"SHA-1", RequestConfig{EntityID: testSPEntityID, SigningKey: rsaKey,
			SignatureAlgorithm: AlgRSASHA1}, "unsupported signature algorithm"},
		{"ECDSA algorithm with RSA key", RequestConfig{EntityID: testSPEntityID, SigningKey: rsaKey,
			SignatureAlgorithm: AlgECDSASHA256}, "does not fit"},
		{"RSA algorithm with ECDSA key", RequestConfig{EntityID: testSPEntityID, SigningKey: ecKey,
			SigningCertificate: ecCert, SignatureAlgorithm: AlgRSASHA512}, "does not fit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewRequestBuilder(tc.cfg)
			assert.Nil(t, b)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	_, err := NewRequestBuilder(RequestConfig{EntityID: testSPEntityID, SigningKey: rsaKey,
		SigningCertificate: rsaCert, SignatureAlgorithm: AlgRSASHA512})
	assert.NoError(t, err, "a fitting configuration is accepted")
}

func TestRedirectAuthnRequest(t *testing.T) {
	b := newTestBuilder(t, nil, nil, "")
	u, id, err := b.RedirectAuthnRequest(testIDPSSOURL, "relay/é &x=1", AuthnRequestOptions{})
	require.NoError(t, err)

	parsed, err := url.Parse(u)
	require.NoError(t, err)
	assert.Equal(t, "idp.example.org", parsed.Host)
	assert.Equal(t, "/sso", parsed.Path)
	names := queryNames(parsed.RawQuery)
	assert.Equal(t, []string{"SAMLRequest", "RelayState"}, names, "spec order, unsigned")
	assert.Equal(t, "relay/é &x=1", parsed.Query().Get("RelayState"))

	el := inflateTestRequest(t, parsed.RawQuery, "SAMLRequest")
	assert.Equal(t, "AuthnRequest", el.Tag)
	assert.Equal(t, nsProtocol, el.NamespaceURI())
	assert.Equal(t, id, el.SelectAttrValue("ID", ""))
	assert.Equal(t, "2.0", el.SelectAttrValue("Version", ""))
	assert.Equal(t, "2030-01-02T03:04:05Z", el.SelectAttrValue("IssueInstant", ""))
	assert.Equal(t, testIDPSSOURL, el.SelectAttrValue("Destination", ""))
	assert.Equal(t, testACSURL, el.SelectAttrValue("AssertionConsumerServiceURL", ""))
	assert.Equal(t, string(BindingHTTPPost), el.SelectAttrValue("ProtocolBinding", ""))
	assert.Nil(t, el.SelectAttr("ForceAuthn"))
	assert.Nil(t, el.SelectAttr("IsPassive"))
	iss := el.SelectElement("Issuer")
	require.NotNil(t, iss)
	assert.Equal(t, nsAssertion, iss.NamespaceURI())
	assert.Equal(t, testSPEntityID, iss.Text())
	assert.Nil(t, el.SelectElement("NameIDPolicy"), "omitted by default")
	assert.Nil(t, el.SelectElement("RequestedAuthnContext"))
	assert.Nil(t, el.SelectElement("Signature"), "Redirect binding signs the query, not the XML")
}

func TestRedirectAuthnRequestOptions(t *testing.T) {
	b := newTestBuilder(t, nil, nil, "")
	tests := []struct {
		name  string
		opts  AuthnRequestOptions
		check func(t *testing.T, el *etree.Element)
	}{
		{"NameIDPolicy with format", AuthnRequestOptions{NameIDPolicy: &NameIDPolicy{
			Format: NameIDFormatEmailAddress, AllowCreate: true}},
			func(t *testing.T, el *etree.Element) {
				p := el.SelectElement("NameIDPolicy")
				require.NotNil(t, p)
				assert.Equal(t, NameIDFormatEmailAddress, p.SelectAttrValue("Format", ""))
				assert.Equal(t, "true", p.SelectAttrValue("AllowCreate", ""))
			}},
		{"NameIDPolicy without format", AuthnRequestOptions{NameIDPolicy: &NameIDPolicy{}},
			func(t *testing.T, el *etree.Element) {
				p := el.SelectElement("NameIDPolicy")
				require.NotNil(t, p)
				assert.Nil(t, p.SelectAttr("Format"))
				assert.Equal(t, "false", p.SelectAttrValue("AllowCreate", ""))
			}},
		{"ForceAuthn and IsPassive", AuthnRequestOptions{ForceAuthn: true, IsPassive: true},
			func(t *testing.T, el *etree.Element) {
				assert.Equal(t, "true", el.SelectAttrValue("ForceAuthn", ""))
				assert.Equal(t, "true", el.SelectAttrValue("IsPassive", ""))
			}},
		{"RequestedAuthnContext", AuthnRequestOptions{RequestedAuthnContext: &RequestedAuthnContext{
			Comparison: "minimum", ClassRefs: []string{"urn:a", "urn:b"}}},
			func(t *testing.T, el *etree.Element) {
				r := el.SelectElement("RequestedAuthnContext")
				require.NotNil(t, r)
				assert.Equal(t, "minimum", r.SelectAttrValue("Comparison", ""))
				refs := r.SelectElements("AuthnContextClassRef")
				require.Len(t, refs, 2)
				assert.Equal(t, "urn:b", refs[1].Text())
				assert.Equal(t, nsAssertion, refs[0].NamespaceURI())
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, _, err := b.RedirectAuthnRequest(testIDPSSOURL, "", tc.opts)
			require.NoError(t, err)
			parsed, err := url.Parse(u)
			require.NoError(t, err)
			assert.Equal(t, []string{"SAMLRequest"}, queryNames(parsed.RawQuery))
			tc.check(t, inflateTestRequest(t, parsed.RawQuery, "SAMLRequest"))
		})
	}

	bad := []struct {
		name string
		opts AuthnRequestOptions
	}{
		{"unknown comparison", AuthnRequestOptions{RequestedAuthnContext: &RequestedAuthnContext{
			Comparison: "most", ClassRefs: []string{"urn:a"}}}},
		{"no class refs", AuthnRequestOptions{RequestedAuthnContext: &RequestedAuthnContext{}}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := b.RedirectAuthnRequest(testIDPSSOURL, "", tc.opts)
			assert.Error(t, err)
		})
	}
	_, _, err := b.RedirectAuthnRequest("not a url", "", AuthnRequestOptions{})
	assert.Error(t, err, "relative destination")
	noACS, err := NewRequestBuilder(RequestConfig{EntityID: testSPEntityID})
	require.NoError(t, err)
	_, _, err = noACS.RedirectAuthnRequest(testIDPSSOURL, "", AuthnRequestOptions{})
	assert.ErrorContains(t, err, "ACSURL")
}

func TestRedirectEncoding(t *testing.T) {
	b := newTestBuilder(t, nil, nil, "")
	u, _, err := b.RedirectAuthnRequest("https://idp.example.org/sso?idpid=C02", "",
		AuthnRequestOptions{})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(u, "https://idp.example.org/sso?idpid=C02&SAMLRequest="), u)

	parsed, err := url.Parse(u)
	require.NoError(t, err)
	raw := rawParam(t, parsed.RawQuery, "SAMLRequest")
	once, err := url.QueryUnescape(raw)
	require.NoError(t, err)
	assert.NotContains(t, once, "%", "URL-encoded exactly once")
	compressed, err := base64.StdEncoding.DecodeString(once)
	require.NoError(t, err, "standard base64")

	_, err = zlib.NewReader(bytes.NewReader(compressed))
	assert.Error(t, err, "raw DEFLATE has no zlib header")
	xml, err := io.ReadAll(flate.NewReader(bytes.NewReader(compressed)))
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(xml, []byte("<samlp:AuthnRequest ")), string(xml))
}

func TestRequestIDs(t *testing.T) {
	b := newTestBuilder(t, nil, nil, "")
	seen := map[string]bool{}
	idPattern := regexp.MustCompile(`^_[0-9a-f]{40}$`)
	for i := 0; i < 50; i++ {
		_, id, err := b.RedirectAuthnRequest(testIDPSSOURL, "", AuthnRequestOptions{})
		require.NoError(t, err)
		assert.Regexp(t, idPattern, id, "starts with an underscore, 160 bits")
		assert.False(t, seen[id], "IDs repeat")
		seen[id] = true
	}

	fixed, err := NewRequestBuilder(RequestConfig{EntityID: testSPEntityID, ACSURL: testACSURL,
		Rand: bytes.NewReader(bytes.Repeat([]byte{0xab}, 20))})
	require.NoError(t, err)
	_, id, err := fixed.RedirectAuthnRequest(testIDPSSOURL, "", AuthnRequestOptions{})
	require.NoError(t, err)
	assert.Equal(t, "_"+strings.Repeat("ab", 20), id, "IDs come from the configured Rand")
	_, _, err = fixed.RedirectAuthnRequest(testIDPSSOURL, "", AuthnRequestOptions{})
	assert.ErrorContains(t, err, "generating message ID", "an exhausted Rand is an error")
}

func TestRedirectAuthnRequestSigned(t *testing.T) {
	rsaKey, rsaCert := spRSAKey(t)
	ecKey, ecCert := spECKey(t)
	tests := []struct {
		name    string
		key     crypto.Signer
		cert    *x509.Certificate
		alg     string
		wantAlg string
		hash    crypto.Hash
	}{
		{"RSA default", rsaKey, rsaCert, "", AlgRSASHA256, crypto.SHA256},
		{"RSA-SHA512", rsaKey, rsaCert, AlgRSASHA512, AlgRSASHA512, crypto.SHA512},
		{"ECDSA default", ecKey, ecCert, "", AlgECDSASHA256, crypto.SHA256},
		{"ECDSA without certificate", ecKey, nil, AlgECDSASHA384, AlgECDSASHA384, crypto.SHA384},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBuilder(t, tc.key, tc.cert, tc.alg)
			u, _, err := b.RedirectAuthnRequest(testIDPSSOURL, "state-1", AuthnRequestOptions{})
			require.NoError(t, err)
			parsed, err := url.Parse(u)
			require.NoError(t, err)
			q := parsed.RawQuery
			assert.Equal(t, []string{"SAMLRequest", "RelayState", "SigAlg", "Signature"},
				queryNames(q))
			assert.Equal(t, tc.wantAlg, parsed.Query().Get("SigAlg"))

			// Independent check: the signature covers the query up to
			// "&Signature=".
			signed, sigParam, ok := strings.Cut(q, "&Signature=")
			require.True(t, ok)
			sig, err := base64.StdEncoding.DecodeString(mustUnescape(t, sigParam))
			require.NoError(t, err)
			h := tc.hash.New()
			h.Write([]byte(signed))
			assert.True(t, independentVerify(t, tc.key.Public(), tc.hash, h.Sum(nil), sig))

			// Tampering with the RelayState breaks it.
			tampered := strings.Replace(signed, "state-1", "state-2", 1)
			h = tc.hash.New()
			h.Write([]byte(tampered))
			assert.False(t, independentVerify(t, tc.key.Public(), tc.hash, h.Sum(nil), sig))

			// Our own decoder accepts it with the right certificate.
			if tc.cert != nil {
				m, err := decodeRedirect(q, "SAMLRequest", 0)
				require.NoError(t, err)
				certs := []*x509.Certificate{tc.cert}
				alg, err := m.verifySignature(certs, sigPolicy{Now: requestClock})
				require.NoError(t, err)
				assert.Equal(t, tc.wantAlg, alg)
			}
		})
	}
}

func TestPostAuthnRequest(t *testing.T) {
	rsaKey, rsaCert := spRSAKey(t)
	ecKey, ecCert := spECKey(t)

	t.Run("unsigned", func(t *testing.T) {
		b := newTestBuilder(t, nil, nil, "")
		f, err := b.PostAuthnRequest(testIDPSSOURL, "rs", AuthnRequestOptions{ForceAuthn: true})
		require.NoError(t, err)
		assert.Equal(t, "SAMLRequest", f.Field)
		assert.Equal(t, testIDPSSOURL, f.URL)
		assert.Equal(t, "rs", f.RelayState)
		el := decodeTestPost(t, f.Value)
		assert.Equal(t, f.ID, el.SelectAttrValue("ID", ""))
		assert.Equal(t, "true", el.SelectAttrValue("ForceAuthn", ""))
		assert.Nil(t, el.SelectElement("Signature"))
		validateWithXMLLint(t, "saml-schema-protocol-2.0.xsd", decodeB64(t, f.Value))
	})

	t.Run("signed without certificate", func(t *testing.T) {
		b := newTestBuilder(t, ecKey, nil, "")
		f, err := b.PostAuthnRequest(testIDPSSOURL, "", AuthnRequestOptions{})
		require.NoError(t, err)
		el := decodeTestPost(t, f.Value)
		sig := el.SelectElement("Signature")
		require.NotNil(t, sig)
		assert.Nil(t, sig.SelectElement("KeyInfo"), "no empty KeyInfo")
		_, _, err = verifyEnveloped(el, []*x509.Certificate{ecCert}, sigPolicy{Now: requestClock})
		require.NoError(t, err)
		validateWithXMLLint(t, "saml-schema-protocol-2.0.xsd", decodeB64(t, f.Value))
	})

	for _, tc := range []struct {
		name string
		key  crypto.Signer
		cert *x509.Certificate
		alg  string
	}{
		{"RSA-SHA256", rsaKey, rsaCert, AlgRSASHA256},
		{"ECDSA-SHA256", ecKey, ecCert, AlgECDSASHA256},
	} {
		t.Run("signed "+tc.name, func(t *testing.T) {
			b := newTestBuilder(t, tc.key, tc.cert, "")
			f, err := b.PostAuthnRequest(testIDPSSOURL, "", AuthnRequestOptions{
				NameIDPolicy: &NameIDPolicy{Format: NameIDFormatPersistent, AllowCreate: true}})
			require.NoError(t, err)
			raw := decodeB64(t, f.Value)
			el := decodeTestPost(t, f.Value)
			kids := el.ChildElements()
			require.GreaterOrEqual(t, len(kids), 3)
			assert.Equal(t, "Issuer", kids[0].Tag)
			assert.Equal(t, "Signature", kids[1].Tag, "Signature follows Issuer")
			assert.Equal(t, "NameIDPolicy", kids[2].Tag)

			verified, alg, err := verifyEnveloped(el, []*x509.Certificate{tc.cert},
				sigPolicy{Now: requestClock})
			require.NoError(t, err)
			assert.Equal(t, tc.alg, alg)
			assert.Equal(t, f.ID, verified.SelectAttrValue("ID", ""))

			if tc.key == rsaKey {
				// goxmldsig, independently of our verifier.
				ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{
					Roots: []*x509.Certificate{tc.cert}})
				ctx.Clock = dsig.NewFakeClockAt(requestClock)
				_, err := ctx.Validate(el)
				assert.NoError(t, err)
			}
			verifyWithXMLSec(t, raw, "AuthnRequest", "testdata/metadata/sp-"+
				map[bool]string{true: "rsa", false: "ec"}[tc.key == rsaKey]+"-cert.pem")
			validateWithXMLLint(t, "saml-schema-protocol-2.0.xsd", raw)

			tampered := bytes.Replace(raw, []byte(testACSURL), []byte("https://evil.example/a"), 1)
			tel, err := parseXML(tampered, 1<<20)
			require.NoError(t, err)
			_, _, err = verifyEnveloped(tel, []*x509.Certificate{tc.cert},
				sigPolicy{Now: requestClock})
			requireCheck(t, err, CheckSignature)
		})
	}
}

func TestPostFormHTML(t *testing.T) {
	f := &PostForm{ID: "_1", URL: "https://idp.example.org/sso?a=1&b=2", Field: "SAMLRequest",
		Value: "PHNhbWw+", RelayState: `"><script>alert(1)</script>`}
	tests := []struct {
		name     string
		nonce    string
		contains []string
		excludes []string
	}{
		{"with nonce", "r4nd0m", []string{
			`<script nonce="r4nd0m">`,
			`action="https://idp.example.org/sso?a=1&amp;b=2"`,
			`<input type="hidden" name="SAMLRequest" value="PHNhbWw&#43;">`,
			`name="RelayState" value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`,
			`<button type="submit">Continue</button>`,
			`method="post"`,
		}, []string{"<script>alert"}},
		{"without nonce", "", []string{"<script>\ndocument.getElementById"},
			[]string{"nonce="}},
		{"nonce is escaped", `x" onload="evil`, []string{`nonce="x&#34; onload=&#34;evil"`},
			[]string{`onload="evil"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, f.WriteHTML(&buf, tc.nonce))
			for _, s := range tc.contains {
				assert.Contains(t, buf.String(), s)
			}
			for _, s := range tc.excludes {
				assert.NotContains(t, buf.String(), s)
			}
		})
	}
	t.Run("no relay state", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, (&PostForm{URL: "https://idp.example.org/", Field: "SAMLRequest",
			Value: "x"}).WriteHTML(&buf, ""))
		assert.NotContains(t, buf.String(), "RelayState")
	})
}

func ExampleRequestBuilder_RedirectAuthnRequest() {
	b, err := NewRequestBuilder(RequestConfig{
		EntityID: "https://sp.example.com/saml/metadata",
		ACSURL:   "https://sp.example.com/saml/acs",
	})
	if err != nil {
		panic(err)
	}
	redirectURL, id, err := b.RedirectAuthnRequest("https://idp.example.org/sso", "/shared/page-1",
		AuthnRequestOptions{NameIDPolicy: &NameIDPolicy{Format: NameIDFormatEmailAddress,
			AllowCreate: true}})
	if err != nil {
		panic(err)
	}
	// Remember id for this browser, then redirect it to redirectURL.
	u, _ := url.Parse(redirectURL)
	fmt.Println(u.Host, len(id), u.Query().Get("RelayState"))
	// Output: idp.example.org 41 /shared/page-1
}

// newTestBuilder returns a RequestBuilder on requestClock, signing when key
// is non-nil.
func newTestBuilder(t *testing.T, key crypto.Signer, cert *x509.Certificate,
	alg string) *RequestBuilder {
	t.Helper()
	b, err := NewRequestBuilder(RequestConfig{EntityID: testSPEntityID, ACSURL: testACSURL,
		SigningKey: key, SigningCertificate: cert, SignatureAlgorithm: alg,
		Now: func() time.Time { return requestClock }})
	require.NoError(t, err)
	return b
}

// loadTestKey reads a PKCS#8 private key and its certificate.
func loadTestKey(t testing.TB, keyFile, certFile string) (crypto.Signer, *x509.Certificate) {
	t.Helper()
	block, _ := pem.Decode(readTestFile(t, keyFile))
	require.NotNil(t, block)
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	require.NoError(t, err)
	return k.(crypto.Signer), loadTestCert(t, certFile)
}

// spRSAKey is the SP's RSA signing key and certificate.
func spRSAKey(t testing.TB) (crypto.Signer, *x509.Certificate) {
	t.Helper()
	return loadTestKey(t, "testdata/metadata/sp-rsa-key.pem", "testdata/metadata/sp-rsa-cert.pem")
}

// spECKey is the SP's ECDSA P-256 signing key and certificate.
func spECKey(t testing.TB) (crypto.Signer, *x509.Certificate) {
	t.Helper()
	return loadTestKey(t, "testdata/metadata/sp-ec-key.pem", "testdata/metadata/sp-ec-cert.pem")
}

// idpRSAKey is the test IdP's RSA signing key and certificate.
func idpRSAKey(t testing.TB) (crypto.Signer, *x509.Certificate) {
	t.Helper()
	return loadTestKey(t, "testdata/logout/idp-rsa-key.pem", "testdata/logout/idp-rsa-cert.pem")
}

// loadTestCert reads a PEM certificate.
func loadTestCert(t testing.TB, file string) *x509.Certificate {
	t.Helper()
	c, err := ParseCertificate(string(readTestFile(t, file)))
	require.NoError(t, err)
	return c
}

// queryNames lists the parameter names of a raw query in order.
func queryNames(rawQuery string) []string {
	var names []string
	for _, p := range strings.Split(rawQuery, "&") {
		k, _, _ := strings.Cut(p, "=")
		names = append(names, k)
	}
	return names
}

// rawParam returns a parameter's value as it appears in the raw query.
func rawParam(t *testing.T, rawQuery, name string) string {
	t.Helper()
	for _, p := range strings.Split(rawQuery, "&") {
		if k, v, _ := strings.Cut(p, "="); k == name {
			return v
		}
	}
	t.Fatalf("no %s in query", name)
	return ""
}

// inflateTestRequest decodes a Redirect-binding parameter with the standard
// library alone and parses the XML.
func inflateTestRequest(t *testing.T, rawQuery, name string) *etree.Element {
	t.Helper()
	compressed, err := base64.StdEncoding.DecodeString(mustUnescape(t, rawParam(t, rawQuery, name)))
	require.NoError(t, err)
	xml, err := io.ReadAll(flate.NewReader(bytes.NewReader(compressed)))
	require.NoError(t, err)
	doc := etree.NewDocument()
	require.NoError(t, doc.ReadFromBytes(xml))
	return doc.Root()
}

// decodeTestPost decodes a POST-binding value and parses it.
func decodeTestPost(t *testing.T, value string) *etree.Element {
	t.Helper()
	el, err := parseXML(decodeB64(t, value), 1<<20)
	require.NoError(t, err)
	return el
}

// decodeB64 decodes standard base64.
func decodeB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

// mustUnescape URL-decodes once.
func mustUnescape(t *testing.T, s string) string {
	t.Helper()
	v, err := url.QueryUnescape(s)
	require.NoError(t, err)
	return v
}

// independentVerify checks a signature with the standard library only;
// ECDSA signatures must be r||s.
func independentVerify(t *testing.T, pub crypto.PublicKey, h crypto.Hash, digest, sig []byte) bool {
	t.Helper()
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, h, digest, sig) == nil
	case *ecdsa.PublicKey:
		n := (k.Curve.Params().BitSize + 7) / 8
		require.Len(t, sig, 2*n, "ECDSA signature must be r||s")
		r, s := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
		return ecdsa.Verify(k, digest, r, s)
	}
	t.Fatalf("unexpected key %T", pub)
	return false
}

// verifyWithXMLSec checks an enveloped signature with xmlsec1 when it is
// installed: an implementation independent of ours and of goxmldsig.
func verifyWithXMLSec(t *testing.T, doc []byte, tag, certFile string) {
	t.Helper()
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Log("xmlsec1 not installed; independent signature check skipped")
		return
	}
	f := filepath.Join(t.TempDir(), "doc.xml")
	require.NoError(t, os.WriteFile(f, doc, 0o600))
	cert, err := filepath.Abs(certFile)
	require.NoError(t, err)
	out, err := exec.Command(bin, "--verify", "--id-attr:ID", nsProtocol+":"+tag,
		"--id-attr:ID", nsMetadata+":"+tag, "--pubkey-cert-pem", cert, f).CombinedOutput()
	assert.NoError(t, err, "xmlsec1: %s", out)
}

func TestRequestChosenID(t *testing.T) {
	b := newTestBuilder(t, nil, nil, "")
	id, err := b.NewID()
	require.NoError(t, err)
	assert.Regexp(t, `^_[0-9a-f]{40}$`, id)

	_, got, err := b.RedirectAuthnRequest(testIDPSSOURL, id, AuthnRequestOptions{ID: id})
	require.NoError(t, err)
	assert.Equal(t, id, got, "the chosen ID is used")
	form, err := b.PostAuthnRequest(testIDPSSOURL, id, AuthnRequestOptions{ID: id})
	require.NoError(t, err)
	assert.Equal(t, id, form.ID)
	_, got, err = b.RedirectLogoutRequest(testIDPSSOURL, id, LogoutRequestOptions{ID: id,
		NameID: NameID{Value: "alice@example.com"}})
	require.NoError(t, err)
	assert.Equal(t, id, got)

	for _, bad := range []string{"1abc", "a b", "a:b", "<x>", "é"} {
		_, _, err := b.RedirectAuthnRequest(testIDPSSOURL, "", AuthnRequestOptions{ID: bad})
		assert.Error(t, err, "ID %q is not an NCName", bad)
	}
	_, _, err = b.RedirectAuthnRequest(testIDPSSOURL, "", AuthnRequestOptions{ID: "a"})
	assert.ErrorContains(t, err, "shorter than 16", "a short ID is guessable")
	_, _, err = b.RedirectAuthnRequest(testIDPSSOURL, "",
		AuthnRequestOptions{ID: "_0123456789abcde"})
	assert.NoError(t, err, "16 characters")
}

// TestRequestRefusesRelayStateAndFragment: a RelayState over the bindings'
// 80 bytes, and a destination with a #fragment (behind which the Redirect
// binding's query would never reach the IdP), are refused.
func TestRequestRefusesRelayStateAndFragment(t *testing.T) {
	b := newTestBuilder(t, nil, nil, "")
	long, max := strings.Repeat("r", 81), strings.Repeat("r", 80)
	logout := LogoutRequestOptions{NameID: NameID{Value: "alice@example.com"}}

	_, _, err := b.RedirectAuthnRequest(testIDPSSOURL, long, AuthnRequestOptions{})
	assert.ErrorContains(t, err, "RelayState is 81 bytes")
	_, err = b.PostAuthnRequest(testIDPSSOURL, long, AuthnRequestOptions{})
	assert.ErrorContains(t, err, "RelayState is 81 bytes")
	_, _, err = b.RedirectLogoutRequest(testIDPSSOURL, long, logout)
	assert.ErrorContains(t, err, "RelayState is 81 bytes")

	_, _, err = b.RedirectAuthnRequest(testIDPSSOURL, max, AuthnRequestOptions{})
	assert.NoError(t, err, "80 bytes")
	_, err = b.PostAuthnRequest(testIDPSSOURL, max, AuthnRequestOptions{})
	assert.NoError(t, err, "80 bytes")

	_, _, err = b.RedirectAuthnRequest(testIDPSSOURL+"#frag", "", AuthnRequestOptions{})
	assert.ErrorContains(t, err, "#fragment")
	_, _, err = b.RedirectLogoutRequest(testIDPSSOURL+"#frag", "", logout)
	assert.ErrorContains(t, err, "#fragment")
}

// TestECDSARawSignatureRefusesOversizedValues: a signer (an HSM, say)
// whose R or S does not fit the curve gets an error, not a panic.
func TestECDSARawSignatureRefusesOversizedValues(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	big1 := new(big.Int).Lsh(big.NewInt(1), 300) // wider than P-256's 32 bytes
	for name, rs := range map[string]struct{ R, S *big.Int }{
		"R too wide": {big1, big.NewInt(1)},
		"S too wide": {big.NewInt(1), big1},
		"R zero":     {big.NewInt(0), big.NewInt(1)},
	} {
		der, err := asn1.Marshal(rs)
		require.NoError(t, err)
		_, err = ecdsaRawSignature(der, &key.PublicKey)
		assert.ErrorContains(t, err, "does not fit its curve", name)
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{big.NewInt(7), big.NewInt(9)})
	require.NoError(t, err)
	raw, err := ecdsaRawSignature(der, &key.PublicKey)
	require.NoError(t, err)
	assert.Len(t, raw, 64)
}
