package samltest

import (
	"crypto/rsa"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/internal/xmlenc"
	"github.com/secureshare/secureshare/saml"
)

// schemaDir is where Debian's python3-pysaml2 installs the OASIS SAML 2.0,
// XML-DSig and XML-Enc schemas.
const schemaDir = "/usr/lib/python3/dist-packages/saml2/data/schemas"

// TestSchemaValid checks output against the OASIS schemas with xmllint. It
// skips unless xmllint (libxml2-utils) and python3-pysaml2 are installed.
func TestSchemaValid(t *testing.T) {
	xsd := schemaWrapper(t)
	p := newTestIDP(t, "idp-rsa", nil)
	ec := newTestIDP(t, "idp-ecdsa", nil)
	spKey := loadSigner(t, "sp").(*rsa.PrivateKey)
	full := baseOptions()
	full.SignAssertion, full.SignResponse = true, true
	full.SessionNotOnOrAfter = testNow.Add(3600e9)
	encrypted := full
	encrypted.EncryptFor = loadCert(t, "sp")
	encrypted.EncryptNameID = true

	docs := map[string]func() ([]byte, error){
		"rsa response":     func() ([]byte, error) { return p.Response(full) },
		"ecdsa response":   func() ([]byte, error) { return ec.Response(full) },
		"unsigned minimal": func() ([]byte, error) { return p.Response(ResponseOptions{}) },
		"failed status": func() ([]byte, error) {
			return p.Response(ResponseOptions{Status: saml.StatusRequester,
				SubStatus: saml.StatusResponder, StatusMessage: "x"})
		},
		"encrypted response": func() ([]byte, error) { return p.Response(encrypted) },
		"decrypted assertion": func() ([]byte, error) {
			doc, err := p.Response(encrypted)
			require.NoError(t, err)
			ed := parseDoc(t, doc).FindElement("./EncryptedAssertion/EncryptedData")
			return xmlenc.Decrypt(ed, spKey, xmlenc.DecryptOptions{})
		},
		"metadata": func() ([]byte, error) { return p.Metadata("https://idp/sso", "https://idp/slo") },
	}
	for name, build := range docs {
		t.Run(name, func(t *testing.T) {
			doc, err := build()
			require.NoError(t, err)
			file := filepath.Join(t.TempDir(), "doc.xml")
			require.NoError(t, os.WriteFile(file, doc, 0o600))
			out, err := exec.Command("xmllint", "--noout", "--nonet", "--schema", xsd, file).CombinedOutput()
			require.NoError(t, err, "%s", out)
		})
	}
}

// schemaWrapper writes a schema importing the local OASIS schemas, so that
// xmllint resolves no imports over the network.
func schemaWrapper(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint not installed (Debian package libxml2-utils)")
	}
	if _, err := os.Stat(filepath.Join(schemaDir, "saml-schema-protocol-2.0.xsd")); err != nil {
		t.Skip("OASIS schemas not installed (Debian package python3-pysaml2)")
	}
	imports := [][2]string{
		{"http://www.w3.org/XML/1998/namespace", "xml.xsd"},
		{nsDSig, "xmldsig-core-schema.xsd"},
		{"http://www.w3.org/2001/04/xmlenc#", "xenc-schema.xsd"},
		{nsAssertion, "saml-schema-assertion-2.0.xsd"},
		{nsProtocol, "saml-schema-protocol-2.0.xsd"},
		{nsMetadata, "saml-schema-metadata-2.0.xsd"},
	}
	s := `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:samltest:wrapper">`
	for _, im := range imports {
		s += `<xs:import namespace="` + im[0] + `" schemaLocation="` + filepath.Join(schemaDir, im[1]) + `"/>`
	}
	s += `</xs:schema>`
	file := filepath.Join(t.TempDir(), "wrapper.xsd")
	require.NoError(t, os.WriteFile(file, []byte(s), 0o600))
	return file
}
