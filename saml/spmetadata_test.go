package saml

import (
	"bytes"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateMetadataGolden = flag.Bool("update-metadata", false,
	"rewrite testdata/metadata/*.golden.xml from the current output")

func TestSPMetadataGolden(t *testing.T) {
	rsaCert := loadTestCert(t, "testdata/metadata/sp-rsa-cert.pem")
	ecCert := loadTestCert(t, "testdata/metadata/sp-ec-cert.pem")
	tests := []struct {
		name   string
		golden string
		md     SPMetadata
	}{
		{"minimal", "sp-minimal.golden.xml", SPMetadata{
			EntityID:                  testSPEntityID,
			AssertionConsumerServices: []Endpoint{{Location: testACSURL}},
		}},
		{"full", "sp-full.golden.xml", SPMetadata{
			EntityID: testSPEntityID,
			AssertionConsumerServices: []Endpoint{
				{Binding: BindingHTTPPost, Location: testACSURL, IsDefault: true},
				{Location: "https://sp.example.com/saml/acs2"},
			},
			SingleLogoutServices: []Endpoint{
				{Binding: BindingHTTPRedirect, Location: "https://sp.example.com/saml/slo"},
				{Binding: BindingHTTPPost, Location: "https://sp.example.com/saml/slo",
					ResponseLocation: "https://sp.example.com/saml/slo/response"},
			},
			NameIDFormats:          []string{NameIDFormatEmailAddress, NameIDFormatPersistent},
			AuthnRequestsSigned:    true,
			WantAssertionsSigned:   true,
			SigningCertificates:    []*x509.Certificate{rsaCert, ecCert},
			EncryptionCertificates: []*x509.Certificate{rsaCert},
			ValidUntil:             time.Date(2031, 2, 3, 4, 5, 6, 7, time.FixedZone("X", 3600)),
			CacheDuration:          36 * time.Hour,
		}},
		{"explicit indexes", "sp-indexes.golden.xml", SPMetadata{
			EntityID: "urn:example:sp", ID: "_md1",
			AssertionConsumerServices: []Endpoint{
				{Location: "https://sp.example.com/acs/5", Index: 5},
				{Location: "https://sp.example.com/acs/0", Index: 0, IsDefault: true},
			},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.md.XML()
			require.NoError(t, err)
			again, err := tc.md.XML()
			require.NoError(t, err)
			assert.Equal(t, out, again, "deterministic")

			golden := filepath.Join("testdata/metadata", tc.golden)
			if *updateMetadataGolden {
				require.NoError(t, os.WriteFile(golden, out, 0o644))
			}
			assert.Equal(t, string(readTestFile(t, golden)), string(out))
			validateWithXMLLint(t, "saml-schema-metadata-2.0.xsd", out)
		})
	}
}

func TestSPMetadataContent(t *testing.T) {
	spCert := loadTestCert(t, "testdata/metadata/sp-rsa-cert.pem")
	md := SPMetadata{
		EntityID: testSPEntityID,
		AssertionConsumerServices: []Endpoint{{Location: testACSURL},
			{Location: "https://sp.example.com/acs2", IsDefault: true}},
		SingleLogoutServices: []Endpoint{{Binding: BindingHTTPRedirect,
			Location: "https://sp.example.com/slo"}},
		NameIDFormats:        []string{NameIDFormatEmailAddress},
		SigningCertificates:  []*x509.Certificate{spCert},
		WantAssertionsSigned: true,
		ValidUntil:           time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC),
		CacheDuration:        time.Hour,
	}
	out, err := md.XML()
	require.NoError(t, err)
	el, err := parseXML(out, 1<<20)
	require.NoError(t, err)

	assert.Equal(t, testSPEntityID, el.SelectAttrValue("entityID", ""))
	assert.Equal(t, "2031-01-01T00:00:00Z", el.SelectAttrValue("validUntil", ""))
	assert.Equal(t, "PT3600S", el.SelectAttrValue("cacheDuration", ""))
	sp := mdChild(el, "SPSSODescriptor")
	require.NotNil(t, sp)
	assert.Equal(t, "false", sp.SelectAttrValue("AuthnRequestsSigned", ""))
	assert.Equal(t, "true", sp.SelectAttrValue("WantAssertionsSigned", ""))
	acs := sp.SelectElements("AssertionConsumerService")
	require.Len(t, acs, 2)
	assert.Equal(t, "0", acs[0].SelectAttrValue("index", ""))
	assert.Equal(t, "1", acs[1].SelectAttrValue("index", ""))
	assert.Equal(t, "true", acs[1].SelectAttrValue("isDefault", ""))
	assert.Equal(t, string(BindingHTTPPost), acs[0].SelectAttrValue("Binding", ""))
	kd := sp.SelectElement("KeyDescriptor")
	require.NotNil(t, kd)
	assert.Equal(t, "signing", kd.SelectAttrValue("use", ""))
	xc := kd.FindElement("./KeyInfo/X509Data/X509Certificate")
	require.NotNil(t, xc)
	c, err := ParseCertificate(xc.Text())
	require.NoError(t, err)
	assert.Equal(t, md.SigningCertificates[0].Raw, c.Raw)
}

func TestSPMetadataSigned(t *testing.T) {
	rsaKey, rsaCert := spRSAKey(t)
	ecKey, ecCert := spECKey(t)
	md := SPMetadata{EntityID: testSPEntityID,
		AssertionConsumerServices: []Endpoint{{Location: testACSURL}},
		SigningCertificates:       []*x509.Certificate{rsaCert}}
	tests := []struct {
		name, alg, wantAlg, certFile string
		key                          interface{}
	}{
		{"RSA", "", AlgRSASHA256, "testdata/metadata/sp-rsa-cert.pem", rsaKey},
		{"RSA-SHA384", AlgRSASHA384, AlgRSASHA384, "testdata/metadata/sp-rsa-cert.pem", rsaKey},
		{"ECDSA", "", AlgECDSASHA256, "testdata/metadata/sp-ec-cert.pem", ecKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cert := rsaCert
			signer := rsaKey
			if tc.key == ecKey {
				cert, signer = ecCert, ecKey
			}
			out, err := md.SignedXML(signer, cert, tc.alg)
			require.NoError(t, err)
			validateWithXMLLint(t, "saml-schema-metadata-2.0.xsd", out)
			verifyWithXMLSec(t, out, "EntityDescriptor", tc.certFile)

			el, err := parseXML(out, 1<<20)
			require.NoError(t, err)
			assert.Equal(t, "Signature", el.ChildElements()[0].Tag, "Signature comes first")
			certs := []*x509.Certificate{cert}
			_, alg, err := verifyEnveloped(el, certs, sigPolicy{Now: requestClock})
			require.NoError(t, err)
			assert.Equal(t, tc.wantAlg, alg)

			if tc.key == rsaKey {
				again, err := md.SignedXML(signer, cert, tc.alg)
				require.NoError(t, err)
				assert.Equal(t, out, again, "RSA-signed metadata is deterministic")
			}
		})
	}
	t.Run("no key", func(t *testing.T) {
		_, err := md.SignedXML(nil, nil, "")
		assert.Error(t, err)
	})
	t.Run("certificate of another key", func(t *testing.T) {
		_, err := md.SignedXML(rsaKey, ecCert, "")
		assert.ErrorContains(t, err, "does not match")
	})
}

func TestSPMetadataRefuses(t *testing.T) {
	acs := []Endpoint{{Location: testACSURL}}
	tests := []struct {
		name string
		md   SPMetadata
		msg  string
	}{
		{"no entity ID", SPMetadata{AssertionConsumerServices: acs}, "EntityID"},
		{"no ACS", SPMetadata{EntityID: testSPEntityID}, "AssertionConsumerService is required"},
		{"redirect ACS", SPMetadata{EntityID: testSPEntityID, AssertionConsumerServices: []Endpoint{
			{Binding: BindingHTTPRedirect, Location: testACSURL}}}, "only HTTP-POST"},
		{"relative ACS", SPMetadata{EntityID: testSPEntityID, AssertionConsumerServices: []Endpoint{
			{Location: "/acs"}}}, "absolute"},
		{"repeated index", SPMetadata{EntityID: testSPEntityID, AssertionConsumerServices: []Endpoint{
			{Location: testACSURL, Index: 2}, {Location: testACSURL, Index: 2}}}, "repeated"},
		{"index 0 twice beside a set index", SPMetadata{EntityID: testSPEntityID,
			AssertionConsumerServices: []Endpoint{{Location: testACSURL},
				{Location: testACSURL}, {Location: testACSURL, Index: 1}}}, "repeated"},
		{"ID not an NCName", SPMetadata{EntityID: testSPEntityID, AssertionConsumerServices: acs,
			ID: "1bad"}, "not an XML NCName"},
		{"negative index", SPMetadata{EntityID: testSPEntityID, AssertionConsumerServices: []Endpoint{
			{Location: testACSURL, Index: -1}}}, "negative"},
		{"two defaults", SPMetadata{EntityID: testSPEntityID, AssertionConsumerServices: []Endpoint{
			{Location: testACSURL, IsDefault: true}, {Location: testACSURL, IsDefault: true}}},
			"more than one"},
		{"SLO without binding", SPMetadata{EntityID: testSPEntityID, AssertionConsumerServices: acs,
			SingleLogoutServices: []Endpoint{{Location: "https://sp.example.com/slo"}}}, "not supported"},
		{"SLO relative", SPMetadata{EntityID: testSPEntityID, AssertionConsumerServices: acs,
			SingleLogoutServices: []Endpoint{{Binding: BindingHTTPPost, Location: "slo"}}}, "absolute"},
		{"negative cache duration", SPMetadata{EntityID: testSPEntityID, AssertionConsumerServices: acs,
			CacheDuration: -time.Second}, "CacheDuration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.md.XML()
			assert.Nil(t, out)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
}

func TestXMLLintCatchesSchemaErrors(t *testing.T) {
	// The schema check itself must be able to fail: AssertionConsumerService
	// before NameIDFormat breaks the element order.
	bad := `<md:EntityDescriptor xmlns:md="` + nsMetadata + `" entityID="x"><md:SPSSODescriptor ` +
		`protocolSupportEnumeration="` + nsProtocol + `"><md:AssertionConsumerService Binding="` +
		string(BindingHTTPPost) + `" Location="https://x/acs" index="0"/><md:NameIDFormat>x` +
		`</md:NameIDFormat></md:SPSSODescriptor></md:EntityDescriptor>`
	out, err := runXMLLint(t, "saml-schema-metadata-2.0.xsd", []byte(bad))
	if err == errNoXMLLint {
		t.Skip("xmllint not installed")
	}
	assert.Error(t, err, "xmllint accepted an invalid document: %s", out)
}

func ExampleSPMetadata_XML() {
	md := SPMetadata{
		EntityID:                  "https://sp.example.com/saml/metadata",
		AssertionConsumerServices: []Endpoint{{Location: "https://sp.example.com/saml/acs"}},
		NameIDFormats:             []string{NameIDFormatEmailAddress},
	}
	out, err := md.XML()
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.Contains(string(out), `entityID="https://sp.example.com/saml/metadata"`))
	// Output: true
}

// errNoXMLLint reports that xmllint is not installed.
var errNoXMLLint = os.ErrNotExist

// validateWithXMLLint validates doc against an OASIS schema in
// testdata/metadata/schemas, offline. It skips when xmllint is missing,
// unless the CI environment variable is set.
func validateWithXMLLint(t *testing.T, schema string, doc []byte) {
	t.Helper()
	out, err := runXMLLint(t, schema, doc)
	if err == errNoXMLLint {
		if os.Getenv("CI") != "" {
			t.Fatal("xmllint is required in CI (apt-get install libxml2-utils)")
		}
		t.Skip("xmllint not installed; schema validation skipped")
	}
	require.NoError(t, err, "xmllint --schema %s:\n%s", schema, out)
}

// runXMLLint runs xmllint --schema with a catalog that maps the schemas'
// imports to local files, so that no network is needed.
func runXMLLint(t *testing.T, schema string, doc []byte) ([]byte, error) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		return nil, errNoXMLLint
	}
	dir, err := filepath.Abs("testdata/metadata/schemas")
	require.NoError(t, err)
	f := filepath.Join(t.TempDir(), "doc.xml")
	require.NoError(t, os.WriteFile(f, doc, 0o600))
	cmd := exec.Command(bin, "--nonet", "--noout", "--schema", filepath.Join(dir, schema), f)
	cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+filepath.Join(dir, "catalog.xml"))
	out, err := cmd.CombinedOutput()
	if err == nil && !bytes.Contains(out, []byte("validates")) {
		err = os.ErrInvalid
	}
	return out, err
}
