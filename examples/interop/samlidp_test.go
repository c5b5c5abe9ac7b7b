package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// samlIDPPackage is the npm project saml-idp runs from. saml-idp 1.x
// depends on github:mcguinness/node-samlp, which is fetched from GitHub;
// the override takes auth0's samlp from the npm registry instead.
const samlIDPPackage = `{
  "name": "secureshare-interop-saml-idp",
  "private": true,
  "dependencies": {"saml-idp": "1.2.1"},
  "overrides": {"samlp": "7.1.1"}
}
`

// samlIDPConfig is saml-idp's user and attribute list. saml-idp checks no
// password: its "login" is a profile form pre-filled from this user, whose
// fields the test overrides to sign in as someone else.
const samlIDPConfig = `module.exports = {
  user: {
    userName: 'alice@partner.example',
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    uid: 'alice',
    firstName: 'Alice',
    lastName: 'Partner',
    email: 'alice@partner.example',
    groups: 'partners,engineering'
  },
  metadata: [
    {id: 'uid', optional: false, displayName: 'User ID', description: 'login name', multiValue: false},
    {id: 'email', optional: false, displayName: 'E-Mail Address', description: 'e-mail', multiValue: false},
    {id: 'firstName', optional: false, displayName: 'First Name', description: 'given name', multiValue: false},
    {id: 'lastName', optional: false, displayName: 'Last Name', description: 'surname', multiValue: false},
    {id: 'groups', optional: true, displayName: 'Groups', description: 'group memberships', multiValue: true}
  ]
};
`

// TestSAMLIDP signs in through the npm package saml-idp 1.2.1.
func TestSAMLIDP(t *testing.T) {
	requireInterop(t)
	logs := logDir(t)
	start := time.Now()
	app := npmInstall(t, filepath.Join(logs, "install.log"), "saml-idp", samlIDPPackage)
	s := startServer(t, logs)
	sp := parseSPMetadata(t, s.metadata)

	dir := t.TempDir()
	kp := newKeyPair(t, dir, "127.0.0.1 saml-idp interop IdP")
	config := filepath.Join(dir, "config.js")
	if err := os.WriteFile(config, []byte(samlIDPConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command("node", filepath.Join(app, "node_modules/saml-idp/bin/run.js"),
		"--host", "127.0.0.1", "--port", fmt.Sprint(port),
		"--cert", kp.certFile, "--key", kp.keyFile, "--issuer", base+"/metadata",
		"--acsUrl", sp.acsURL, "--audience", sp.entityID, "--serviceProviderId", sp.entityID,
		"--configFile", config)
	cmd.Dir = dir
	p := startProcess(t, "saml-idp", filepath.Join(logs, "saml-idp.log"), cmd)
	waitHTTP(t, p, base+"/metadata", 30*time.Second)

	post := postOnlyMetadata(t, base+"/metadata", logs)
	s.restart("samlidp="+base+"/metadata", "samlidppost="+post)
	t.Logf("install and start-up took %v", time.Since(start).Round(time.Millisecond))

	runScenarios(t, s, logs, idpUnderTest{
		redirectName: "samlidp", postName: "samlidppost", ssoURL: base + "/saml/sso",
		// saml-idp keeps the profile form's values as its one user for
		// every later sign-in, so each sign-in sets all of them.
		member: credentials{fields: map[string]string{"userName": "alice@partner.example",
			"email": "alice@partner.example", "uid": "alice", "firstName": "Alice",
			"lastName": "Partner", "groups": "partners,engineering"}},
		memberEmail: "alice@partner.example",
		outsider: credentials{fields: map[string]string{"userName": "bob@elsewhere.example",
			"email": "bob@elsewhere.example", "uid": "bob", "firstName": "Bob",
			"lastName": "Elsewhere", "groups": "contractors"}},
		outsiderEmail:   "bob@elsewhere.example",
		idpInitiatedURL: base + "/",
		attributes: map[string]string{"email": "alice@partner.example", "firstName": "Alice",
			"lastName": "Partner", "groups": "partners", "uid": "alice"},
		metadataURL: base + "/metadata",
	})
}
