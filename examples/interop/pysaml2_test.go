package interop

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pysaml2Packages are the Debian packages our pysaml2 IdP runs on:
// pysaml2 signs with xmlsec1.
var pysaml2Packages = []string{"python3-pysaml2", "xmlsec1"}

// debianPython is the interpreter that Debian's python3-* packages are
// installed for; a python3 earlier on PATH (pyenv, a virtualenv) would not
// find them.
const debianPython = "/usr/bin/python3"

// pysaml2Users are the users of our pysaml2 IdP, under the local
// attribute names of pysaml2's saml_uri map, which sends them as urn:oid
// names with these FriendlyNames.
var pysaml2Users = map[string]any{
	"alice": map[string]any{"password": "alice-password", "attributes": map[string][]string{
		"uid": {"alice"}, "mail": {"alice@partner.example"}, "givenName": {"Alice"},
		"sn": {"Partner"}, "isMemberOf": {"partners", "engineering"}}},
	"bob": map[string]any{"password": "bob-password", "attributes": map[string][]string{
		"uid": {"bob"}, "mail": {"bob@elsewhere.example"}, "givenName": {"Bob"},
		"sn": {"Elsewhere"}, "isMemberOf": {"contractors"}}},
}

// TestPySAML2 signs in through pysaml2 7 from Debian, which is a library:
// testdata/pysaml2_idp.py is the web server around it.
func TestPySAML2(t *testing.T) {
	requireInterop(t)
	logs := logDir(t)
	start := time.Now()
	aptInstall(t, filepath.Join(logs, "install.log"), pysaml2Packages...)
	s := startServer(t, logs)

	dir := t.TempDir()
	kp := newKeyPair(t, dir, "127.0.0.1 pysaml2 interop IdP")
	spMD, users := writeWrapperInputs(t, dir, s, pysaml2Users)
	script, err := filepath.Abs("testdata/pysaml2_idp.py")
	require.NoError(t, err)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(debianPython, script, "--port", fmt.Sprint(port), "--users", users,
		"--sp-metadata", spMD, "--key", kp.keyFile, "--cert", kp.certFile)
	cmd.Dir = dir
	p := startProcess(t, "pysaml2", filepath.Join(logs, "pysaml2.log"), cmd)
	waitHTTP(t, p, base+"/metadata", 30*time.Second)

	post := postOnlyMetadata(t, base+"/metadata", logs)
	s.restart("pysaml2="+base+"/metadata", "pysaml2post="+post)
	t.Logf("install and start-up took %v", time.Since(start).Round(time.Millisecond))

	runScenarios(t, s, logs, idpUnderTest{
		redirectName: "pysaml2", postName: "pysaml2post", ssoURL: base + "/sso",
		member:          credentials{user: "alice", password: "alice-password"},
		memberEmail:     "alice@partner.example",
		outsider:        credentials{user: "bob", password: "bob-password"},
		outsiderEmail:   "bob@elsewhere.example",
		wrongPassword:   &credentials{user: "alice", password: "not-alices-password"},
		idpInitiatedURL: base + "/initiate?sp=" + url.QueryEscape(s.url("/saml/metadata")),
		attributes: map[string]string{
			"urn:oid:0.9.2342.19200300.100.1.3": "alice@partner.example",
			"urn:oid:2.5.4.42":                  "Alice",
			"urn:oid:2.5.4.4":                   "Partner",
			"urn:oid:1.3.6.1.4.1.5923.1.5.1.1":  "partners",
			"urn:oid:0.9.2342.19200300.100.1.1": "alice"},
		metadataURL:  base + "/metadata",
		singleLogout: true,
		idpLogoutURL: base + "/logout",
	})
}

// writeWrapperInputs writes what our IdP wrappers read: our SP metadata
// and the users as JSON. It returns the two files' paths.
func writeWrapperInputs(t *testing.T, dir string, s *server, users any) (string, string) {
	t.Helper()
	spMD := filepath.Join(dir, "sp-metadata.xml")
	require.NoError(t, os.WriteFile(spMD, s.metadata, 0o644))
	b, err := json.MarshalIndent(users, "", "  ")
	require.NoError(t, err)
	f := filepath.Join(dir, "users.json")
	require.NoError(t, os.WriteFile(f, b, 0o644))
	return spMD, f
}
