package idp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
)

// testKeyPair is a self-signed certificate and its key.
type testKeyPair struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

// testKeys holds one RSA key per common name, generated once: key
// generation dominates test time otherwise. Different names get different
// keys.
var testKeys = struct {
	sync.Mutex
	m map[string]*rsa.PrivateKey
}{m: map[string]*rsa.PrivateKey{}}

// newKeyPair makes a self-signed certificate valid in [from, to) for the
// RSA-2048 key belonging to cn.
func newKeyPair(t *testing.T, cn string, from, to time.Time) testKeyPair {
	t.Helper()
	testKeys.Lock()
	key, ok := testKeys.m[cn]
	if !ok {
		var err error
		key, err = rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		testKeys.m[cn] = key
	}
	testKeys.Unlock()
	return testKeyPair{cert: selfSign(t, cn, from, to, key, &key.PublicKey), key: key}
}

// newECDSACert makes a P-256 self-signed certificate.
func newECDSACert(t *testing.T, cn string, from, to time.Time) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return selfSign(t, cn, from, to, key, &key.PublicKey)
}

func selfSign(t *testing.T, cn string, from, to time.Time, key any, pub any) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    from,
		NotAfter:     to,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}

func certPEM(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

func certBase64(c *x509.Certificate) string {
	return base64.StdEncoding.EncodeToString(c.Raw)
}

// readTestdata returns testdata/name.
func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

// Pieces of the metadata idpMetadataXML writes.
const (
	testMDOpen = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"` +
		` ID="_md1" entityID="%s"`
	testMDRole = `><md:IDPSSODescriptor` +
		` protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">`
	testMDKey = `<md:KeyDescriptor use="signing">` +
		`<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>` +
		`<ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
		`</md:KeyDescriptor>`
	testMDEndpoints = `<md:SingleLogoutService Binding="` + string(saml.BindingHTTPRedirect) +
		`" Location="https://idp.example.com/slo"/>` +
		`<md:SingleSignOnService Binding="` + string(saml.BindingHTTPPost) +
		`" Location="https://idp.example.com/sso/post"/>` +
		`<md:SingleSignOnService Binding="` + string(saml.BindingHTTPRedirect) +
		`" Location="https://idp.example.com/sso/redirect"/>` +
		`</md:IDPSSODescriptor></md:EntityDescriptor>`
)

// idpMetadataXML is minimal IdP metadata with one signing key per cert.
func idpMetadataXML(entityID string, validUntil time.Time, cacheDuration string,
	certs ...*x509.Certificate) string {
	var b strings.Builder
	fmt.Fprintf(&b, testMDOpen, entityID)
	if !validUntil.IsZero() {
		fmt.Fprintf(&b, ` validUntil="%s"`, validUntil.UTC().Format(time.RFC3339))
	}
	if cacheDuration != "" {
		fmt.Fprintf(&b, ` cacheDuration="%s"`, cacheDuration)
	}
	b.WriteString(testMDRole)
	for _, c := range certs {
		fmt.Fprintf(&b, testMDKey, certBase64(c))
	}
	b.WriteString(testMDEndpoints)
	return b.String()
}

// signXML signs the root element of doc (which has ID="...") with an
// enveloped RSA-SHA256 exclusive-c14n signature.
func signXML(t *testing.T, doc string, kp testKeyPair) []byte {
	t.Helper()
	d := etree.NewDocument()
	require.NoError(t, d.ReadFromString(doc))
	ks := dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{kp.cert.Raw},
		PrivateKey: kp.key})
	ctx := dsig.NewDefaultSigningContext(ks)
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	require.NoError(t, ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod))
	signed, err := ctx.SignEnveloped(d.Root())
	require.NoError(t, err)
	d.SetRoot(signed)
	out, err := d.WriteToBytes()
	require.NoError(t, err)
	return out
}

// fixedClock returns a clock stuck at t.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// validConfig returns a Config that passes Validate.
func validConfig(t *testing.T) *Config {
	t.Helper()
	now := time.Now()
	kp := newKeyPair(t, "idp.example.com", now.Add(-time.Hour), now.Add(365*24*time.Hour))
	return &Config{
		Name:                "acme",
		EntityID:            "https://idp.example.com/metadata",
		SSOURL:              "https://idp.example.com/sso",
		SigningCertificates: []*x509.Certificate{kp.cert},
	}
}

// attr builds a saml.Attribute.
func attr(name string, values ...string) saml.Attribute {
	return saml.Attribute{Name: name, Values: values}
}
