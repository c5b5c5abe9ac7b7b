package interop

import (
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// lassoPackages are the Debian packages our Lasso IdP runs on.
var lassoPackages = []string{"python3-lasso"}

// lassoUsers are the users of our Lasso IdP; their attributes go out
// under these names, with the basic NameFormat.
var lassoUsers = map[string]any{
	"alice": map[string]any{"password": "alice-password", "attributes": map[string][]string{
		"uid": {"alice"}, "email": {"alice@partner.example"}, "firstName": {"Alice"},
		"lastName": {"Partner"}, "groups": {"partners", "engineering"}}},
	"bob": map[string]any{"password": "bob-password", "attributes": map[string][]string{
		"uid": {"bob"}, "email": {"bob@elsewhere.example"}, "firstName": {"Bob"},
		"lastName": {"Elsewhere"}, "groups": {"contractors"}}},
}

// TestLasso signs in through Lasso 2.8 from Debian, which is a library:
// testdata/lasso_idp.py is the web server around it.
func TestLasso(t *testing.T) {
	requireInterop(t)
	logs := logDir(t)
	start := time.Now()
	aptInstall(t, filepath.Join(logs, "install.log"), lassoPackages...)
	s := startServer(t, logs)

	dir := t.TempDir()
	kp := newKeyPair(t, dir, "127.0.0.1 Lasso interop IdP")
	spMD, users := writeWrapperInputs(t, dir, s, lassoUsers)
	script, err := filepath.Abs("testdata/lasso_idp.py")
	require.NoError(t, err)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(debianPython, script, "--port", fmt.Sprint(port), "--users", users,
		"--sp-metadata", spMD, "--key", kp.keyFile, "--cert", kp.certFile,
		"--metadata-out", filepath.Join(dir, "idp-metadata.xml"))
	cmd.Dir = dir
	p := startProcess(t, "lasso", filepath.Join(logs, "lasso.log"), cmd)
	waitHTTP(t, p, base+"/metadata", 30*time.Second)

	post := postOnlyMetadata(t, base+"/metadata", logs)
	s.restart("lasso="+base+"/metadata", "lassopost="+post)
	t.Logf("install and start-up took %v", time.Since(start).Round(time.Millisecond))

	runScenarios(t, s, logs, idpUnderTest{
		redirectName: "lasso", postName: "lassopost", ssoURL: base + "/sso",
		member:          credentials{user: "alice", password: "alice-password"},
		memberEmail:     "alice@partner.example",
		outsider:        credentials{user: "bob", password: "bob-password"},
		outsiderEmail:   "bob@elsewhere.example",
		wrongPassword:   &credentials{user: "alice", password: "not-alices-password"},
		idpInitiatedURL: base + "/initiate?sp=" + url.QueryEscape(s.url("/saml/metadata")),
		attributes: map[string]string{"email": "alice@partner.example", "firstName": "Alice",
			"lastName": "Partner", "groups": "partners", "uid": "alice"},
		metadataURL:  base + "/metadata",
		singleLogout: true,
		idpLogoutURL: base + "/logout",
	})
}
