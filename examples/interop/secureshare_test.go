package interop

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
	"github.com/secureshare/secureshare/store"
)

// Admin credentials of the server under test.
const (
	adminUser     = "admin"
	adminPassword = "interop-admin-password"
)

// buildOnce builds the reference server once per test binary run.
var buildOnce struct {
	sync.Once
	bin string
	err error
}

// serverBinary builds examples/secureshare into a temporary directory.
func serverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "secureshare-interop-bin-")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.bin = filepath.Join(dir, "secureshare")
		out, err := exec.Command("go", "build", "-o", buildOnce.bin,
			"github.com/secureshare/secureshare/examples/secureshare").CombinedOutput()
		if err != nil {
			buildOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildOnce.err)
	return buildOnce.bin
}

// server is the reference server, run as its own process.
type server struct {
	t        *testing.T
	bin      string
	dataDir  string
	logFile  string
	port     int
	base     string
	proc     *process
	metadata []byte // our SP metadata, as /saml/metadata served it
	// placeholder is the --idp-metadata value of the placeholder IdP, for a
	// restart that serves no real IdP from the flags.
	placeholder string
}

// startServer starts the reference server with a placeholder IdP (the
// server needs one to start) and reads its SP metadata, which the real
// IdP is then configured from. Call restart with the real IdP's metadata.
func startServer(t *testing.T, logs string) *server {
	t.Helper()
	s := &server{t: t, bin: serverBinary(t), dataDir: t.TempDir(),
		logFile: filepath.Join(logs, "secureshare.log"), port: freePort(t)}
	s.base = fmt.Sprintf("http://127.0.0.1:%d", s.port)
	placeholder := filepath.Join(s.dataDir, "placeholder-idp.xml")
	require.NoError(t, os.WriteFile(placeholder, placeholderMetadata(t), 0o600))
	s.placeholder = "placeholder=" + placeholder
	s.restart(s.placeholder)

	resp, err := http.Get(s.base + "/saml/metadata")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET /saml/metadata")
	s.metadata, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(logs, "sp-metadata.xml"), s.metadata, 0o644))
	return s
}

// restart stops the server if it runs and starts it again, on the same
// port and data directory, with these --idp-metadata values.
func (s *server) restart(idps ...string) {
	s.t.Helper()
	if s.proc != nil {
		s.proc.stop()
	}
	args := []string{"serve", "--listen", fmt.Sprintf("127.0.0.1:%d", s.port),
		"--base-url", s.base, "--data-dir", s.dataDir, "--log-format", "text",
		"--admin-user", adminUser, "--admin-password", adminPassword}
	for _, v := range idps {
		args = append(args, "--idp-metadata", v)
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Env = cleanEnv()
	s.proc = startProcess(s.t, "secureshare", s.logFile, cmd)
	waitHTTP(s.t, s.proc, s.base+"/readyz", 30*time.Second)
}

// url is the absolute URL of path on the server.
func (s *server) url(path string) string { return s.base + path }

// createLink creates a link in the server's SQLite store from this
// process, the way an embedding application would, and returns its URL.
func (s *server) createLink(spec share.LinkSpec) string {
	s.t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(s.dataDir, "secureshare.db"))
	require.NoError(s.t, err)
	defer st.Close()
	svc, err := share.NewService(share.Config{Store: st})
	require.NoError(s.t, err)
	if spec.CreatedBy == "" {
		spec.CreatedBy = "interop@example.com"
	}
	_, token, err := svc.CreateLink(ctx, spec)
	require.NoError(s.t, err)
	return s.base + "/s/" + url.PathEscape(token)
}

// cleanEnv is the environment without SECURESHARE_ settings, which the
// server would read as flags.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if len(kv) < 12 || kv[:12] != "SECURESHARE_" {
			env = append(env, kv)
		}
	}
	return env
}

// placeholderMetadata is the metadata of an IdP that never answers, for
// the first start of the server.
func placeholderMetadata(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1),
		Subject:   pkix.Name{CommonName: "placeholder IdP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return fmt.Appendf(nil, `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="urn:placeholder:idp">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="http://127.0.0.1:9/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`, base64.StdEncoding.EncodeToString(der))
}
