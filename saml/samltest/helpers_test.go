package samltest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/jonboulle/clockwork"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
	"github.com/stretchr/testify/require"
)

// testNow is the fixed clock of these tests.
var testNow = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// loadSigner reads testdata/NAME.key (PKCS#8 PEM).
func loadSigner(t testing.TB, name string) crypto.Signer {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".key"))
	require.NoError(t, err)
	blk, _ := pem.Decode(b)
	require.NotNil(t, blk)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	require.NoError(t, err)
	s, ok := k.(crypto.Signer)
	require.True(t, ok)
	return s
}

// loadCert reads testdata/NAME.crt (PEM).
func loadCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".crt"))
	require.NoError(t, err)
	blk, _ := pem.Decode(b)
	require.NotNil(t, blk)
	c, err := x509.ParseCertificate(blk.Bytes)
	require.NoError(t, err)
	return c
}

// counter is a deterministic io.Reader.
type counter struct{ n byte }

func (c *counter) Read(p []byte) (int, error) {
	for i := range p {
		c.n++
		p[i] = c.n
	}
	return len(p), nil
}

// newTestIDP returns an IDP with the testdata key KEY, the fixed clock and a
// deterministic Rand.
func newTestIDP(t testing.TB, key string, mutate func(*Config)) *IDP {
	t.Helper()
	cfg := Config{
		EntityID: "https://idp.example.com/metadata",
		Key:      loadSigner(t, key),
		Now:      func() time.Time { return testNow },
		Rand:     &counter{},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New(cfg)
	require.NoError(t, err)
	return p
}

// parseDoc parses b and returns its root.
func parseDoc(t testing.TB, b []byte) *etree.Element {
	t.Helper()
	d := etree.NewDocument()
	require.NoError(t, d.ReadFromBytes(b))
	require.NotNil(t, d.Root())
	return d.Root()
}

// childNS returns the child elements {ns}local of el.
func childNS(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if isElem(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// validate checks el's enveloped signature with goxmldsig, trusting only
// cert, at testNow, and returns the element goxmldsig vouches for. el is
// detached with its in-scope namespaces first, as an SP must. ECDSA r||s
// values are converted to the ASN.1 form goxmldsig expects.
func validate(t testing.TB, el *etree.Element, cert *x509.Certificate) (*etree.Element, error) {
	t.Helper()
	nsCtx, err := etreeutils.NSBuildParentContext(el)
	require.NoError(t, err)
	detached, err := etreeutils.NSDetatch(nsCtx, el)
	require.NoError(t, err)
	if pub, ok := cert.PublicKey.(*ecdsa.PublicKey); ok {
		rawToASN1(t, detached, pub)
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	vc.Clock = dsig.NewFakeClock(clockwork.NewFakeClockAt(testNow))
	return vc.Validate(detached)
}

// rawToASN1 rewrites an r||s SignatureValue of el's Signature as ASN.1.
func rawToASN1(t testing.TB, el *etree.Element, pub *ecdsa.PublicKey) {
	t.Helper()
	sig := childNS(el, nsDSig, "Signature")
	if len(sig) != 1 {
		return // nothing to convert; goxmldsig reports the problem
	}
	sv := childNS(sig[0], nsDSig, "SignatureValue")
	require.Len(t, sv, 1)
	raw, err := base64.StdEncoding.DecodeString(sv[0].Text())
	require.NoError(t, err)
	n := (pub.Curve.Params().BitSize + 7) / 8
	if len(raw) != 2*n {
		return // already ASN.1
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{
		new(big.Int).SetBytes(raw[:n]), new(big.Int).SetBytes(raw[n:]),
	})
	require.NoError(t, err)
	sv[0].SetText(base64.StdEncoding.EncodeToString(der))
}

// xmlsec1Verify verifies the signature at xpath in doc with xmlsec1,
// trusting cert. It skips the test when xmlsec1 is not installed.
func xmlsec1Verify(t *testing.T, doc []byte, cert *x509.Certificate, xpath string) error {
	t.Helper()
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Skip("xmlsec1 not installed (Debian package xmlsec1); skipping the independent check")
	}
	// Not t.TempDir: xmlsec1 reads a comma in a file name as a separator.
	dir, err := os.MkdirTemp("", "samltest")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	file, pemFile := filepath.Join(dir, "doc.xml"), filepath.Join(dir, "cert.pem")
	require.NoError(t, os.WriteFile(file, doc, 0o600))
	require.NoError(t, os.WriteFile(pemFile,
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600))
	out, err := exec.Command(bin, "--verify",
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
		"--pubkey-cert-pem", pemFile, "--node-xpath", xpath, file).CombinedOutput()
	if err != nil {
		return &xmlsecError{out: strings.TrimSpace(string(out))}
	}
	return nil
}

// xmlsecError carries xmlsec1's output.
type xmlsecError struct{ out string }

func (e *xmlsecError) Error() string { return "xmlsec1: " + e.out }

// XPaths of the signatures xmlsec1Verify checks.
const (
	xpathResponseSig  = "/*[local-name()='Response']/*[local-name()='Signature']"
	xpathAssertionSig = "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']"
)
