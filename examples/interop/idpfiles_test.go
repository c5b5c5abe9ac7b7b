package interop

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"encoding/xml"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Binding URIs as metadata writes them.
const (
	bindingPost     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	bindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
)

// keyPair is an IdP's signing key and self-signed certificate, in PEM
// files.
type keyPair struct {
	keyFile, certFile string
	keyPEM, certPEM   []byte
}

// newKeyPair writes a fresh RSA-2048 key and a self-signed SHA-256
// certificate for cn into dir as idp.key and idp.crt.
func newKeyPair(t *testing.T, dir, cn string) keyPair {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:   pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	kp := keyPair{keyFile: filepath.Join(dir, "idp.key"), certFile: filepath.Join(dir, "idp.crt"),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(kp.keyFile, kp.keyPEM, 0o644))
	require.NoError(t, os.WriteFile(kp.certFile, kp.certPEM, 0o644))
	return kp
}

// spInfo is what an IdP without a metadata import needs from ours.
type spInfo struct {
	entityID, acsURL string
}

// parseSPMetadata reads the entity ID and the HTTP-POST ACS URL of our
// SP metadata.
func parseSPMetadata(t *testing.T, md []byte) spInfo {
	t.Helper()
	var ed struct {
		EntityID string `xml:"entityID,attr"`
		SP       struct {
			ACS []struct {
				Binding  string `xml:"Binding,attr"`
				Location string `xml:"Location,attr"`
			} `xml:"AssertionConsumerService"`
		} `xml:"SPSSODescriptor"`
	}
	require.NoError(t, xml.Unmarshal(md, &ed))
	info := spInfo{entityID: ed.EntityID}
	for _, a := range ed.SP.ACS {
		if a.Binding == bindingPost && info.acsURL == "" {
			info.acsURL = a.Location
		}
	}
	require.NotEmpty(t, info.entityID, "SP metadata without entityID")
	require.NotEmpty(t, info.acsURL, "SP metadata without an HTTP-POST ACS")
	return info
}

// redirectSSO matches a SingleSignOnService element with the Redirect
// binding, self-closed or not.
var redirectSSO = regexp.MustCompile(`(?s)<(\w+:)?SingleSignOnService\b[^>]*` +
	regexp.QuoteMeta(bindingRedirect) + `[^>]*?(/>|>\s*</(\w+:)?SingleSignOnService>)`)

// postOnlyMetadata fetches the IdP's metadata and writes it to dir without
// its Redirect-binding SSO endpoints, so that a server given the file sends
// AuthnRequests with the POST binding, and keeps the original beside it.
// It returns the new file's path.
func postOnlyMetadata(t *testing.T, metadataURL, dir string) string {
	t.Helper()
	resp, err := http.Get(metadataURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s", metadataURL)
	md, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	post := redirectSSO.ReplaceAll(md, nil)
	require.NotEqual(t, md, post, "no Redirect-binding SSO endpoint in %s", metadataURL)
	require.Contains(t, string(post), bindingPost, "no POST-binding endpoint left")
	f := filepath.Join(dir, "idp-metadata-post-only.xml")
	require.NoError(t, os.WriteFile(f, post, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "idp-metadata.xml"), md, 0o644))
	return f
}
