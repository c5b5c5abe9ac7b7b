package interop

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // the users table LemonLDAP::NG reads through DBI
)

// lemonLDAPPackages are the Debian packages the portal runs from. Without
// recommends, lemonldap-ng alone fails at start ("Initialization failed"):
// the SAML issuer needs Lasso's Perl binding, XML::Simple and IO::String,
// the captcha module is always loaded (GD::SecurityImage, Image::Magick),
// and the users table is read through DBI from SQLite.
var lemonLDAPPackages = []string{"lemonldap-ng", "liblasso-perl", "libxml-simple-perl",
	"libio-string-perl", "libgd-securityimage-perl", "libimage-magick-perl", "libdbi-perl",
	"libdbd-sqlite3-perl", "libplack-perl"}

// lemonLDAPDefaultConfig is the package's default configuration, which the
// test's configuration starts from.
const lemonLDAPDefaultConfig = "/var/lib/lemonldap-ng/conf/lmConf-1.json"

// lemonLDAPPSGI runs the portal as a PSGI application.
const lemonLDAPPSGI = `use Lemonldap::NG::Portal::Main;
Lemonldap::NG::Portal::Main->run({});
`

// TestLemonLDAPNG signs in through the LemonLDAP::NG 2.16 portal from
// Debian, run by plackup.
func TestLemonLDAPNG(t *testing.T) {
	requireInterop(t)
	logs := logDir(t)
	start := time.Now()
	aptInstall(t, filepath.Join(logs, "install.log"), lemonLDAPPackages...)
	s := startServer(t, logs)

	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	dir := t.TempDir()
	writeLemonLDAPConfig(t, dir, base, s)
	psgi := filepath.Join(dir, "portal.psgi")
	require.NoError(t, os.WriteFile(psgi, []byte(lemonLDAPPSGI), 0o644))
	cmd := exec.Command("plackup", "--host", "127.0.0.1", "--port", fmt.Sprint(port),
		"-E", "deployment", "-s", "HTTP::Server::PSGI", psgi)
	cmd.Env = append(os.Environ(), "LLNG_DEFAULTCONFFILE="+filepath.Join(dir, "lemonldap-ng.ini"))
	p := startProcess(t, "lemonldap-ng", filepath.Join(logs, "lemonldap-ng.log"), cmd)
	waitHTTP(t, p, base+"/saml/metadata", 60*time.Second)

	post := postOnlyMetadata(t, base+"/saml/metadata", logs)
	s.restart("llng="+base+"/saml/metadata", "llngpost="+post)
	t.Logf("install and start-up took %v", time.Since(start).Round(time.Millisecond))

	runScenarios(t, s, logs, idpUnderTest{
		redirectName: "llng", postName: "llngpost", ssoURL: base + "/saml/singleSignOn",
		member:        credentials{user: "alice", password: "alice-password"},
		memberEmail:   "alice@partner.example",
		outsider:      credentials{user: "bob", password: "bob-password"},
		outsiderEmail: "bob@elsewhere.example",
		wrongPassword: &credentials{user: "alice", password: "not-alices-password"},
		// No RelayState: the sign-in lands on our default relay state.
		idpInitiatedURL: base + "/saml/singleSignOn?IDPInitiated=1&spConfKey=sp",
		attributes: map[string]string{"email": "alice@partner.example", "firstName": "Alice",
			"lastName": "Partner", "groups": "partners", "uid": "alice"},
		metadataURL:  base + "/saml/metadata",
		singleLogout: true,
		// The portal's own logout (/?logout=1) ends its session without a
		// LogoutRequest to us (no iframe in its page), so only the logout
		// started here is covered.
	})
}

// writeLemonLDAPConfig writes the users table, the portal configuration
// (the package's default with our changes) and the ini file that points
// the portal at it.
func writeLemonLDAPConfig(t *testing.T, dir, base string, s *server) {
	t.Helper()
	for _, d := range []string{"conf", "sessions/lock", "psessions/lock", "cache"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	users := filepath.Join(dir, "users.db")
	writeLemonLDAPUsers(t, users)
	kp := newKeyPair(t, filepath.Join(dir, "cert"), "127.0.0.1 LemonLDAP::NG interop IdP")

	b, err := os.ReadFile(lemonLDAPDefaultConfig)
	require.NoError(t, err)
	conf := map[string]any{}
	require.NoError(t, json.Unmarshal(b, &conf))
	for k, v := range lemonLDAPSettings(dir, base, users, kp, string(s.metadata)) {
		conf[k] = v
	}
	for _, k := range []string{"macros", "groups"} {
		if conf[k] == nil {
			conf[k] = map[string]any{}
		}
	}
	b, err = json.MarshalIndent(conf, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "conf", "lmConf-1.json"), b, 0o644))

	ini := strings.NewReplacer("DIR", dir).Replace(`[all]
logLevel = notice
checkTime = 1
[configuration]
type = File
dirName = DIR/conf
localStorage = Cache::FileCache
localStorageOptions = { 'namespace' => 'lemonldap-ng-config', 'default_expires_in' => 600, 'cache_root' => 'DIR/cache', 'cache_depth' => 3, }
[portal]
staticPrefix = /static
templateDir = /usr/share/lemonldap-ng/portal/templates
languages = en
`)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lemonldap-ng.ini"), []byte(ini), 0o644))
}

// writeLemonLDAPUsers creates the users table: alice is in the link's
// group, bob is not. Several groups are one value split on "; ", the
// portal's multi-value separator.
func writeLemonLDAPUsers(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`CREATE TABLE users (user TEXT PRIMARY KEY, password TEXT, mail TEXT,
		givenName TEXT, sn TEXT, memberOf TEXT)`)
	require.NoError(t, err)
	for _, u := range [][]any{
		{"alice", "alice-password", "alice@partner.example", "Alice", "Partner",
			"partners; engineering"},
		{"bob", "bob-password", "bob@elsewhere.example", "Bob", "Elsewhere", "contractors"},
	} {
		_, err = db.Exec(`INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)`, u...)
		require.NoError(t, err)
	}
}

// lemonLDAPSettings are the portal settings the suite changes: storage in
// dir, DBI authentication on the users table, the SAML issuer with our SP
// imported from its metadata, the attributes sent, an emailAddress NameID
// from mail, and RSA-SHA256. The portal asks for signed AuthnRequests and
// checks their signatures with the certificate in our SP metadata.
func lemonLDAPSettings(dir, base, users string, kp keyPair, spMetadata string) map[string]any {
	basic := "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
	dbi := "dbi:SQLite:dbname=" + users
	return map[string]any{
		"cfgNum": 1, "cfgAuthor": "secureshare interop suite",
		"portal": base + "/", "domain": "127.0.0.1", "securedCookie": 0,
		"notification": 0, "loginHistoryEnabled": 0,
		"applicationList": map[string]any{}, "reloadUrls": map[string]any{},
		"locationRules": map[string]any{}, "exportedHeaders": map[string]any{},
		"vhostOptions": map[string]any{},
		"globalStorageOptions": map[string]any{"Directory": dir + "/sessions",
			"LockDirectory":  dir + "/sessions/lock",
			"generateModule": "Lemonldap::NG::Common::Apache::Session::Generate::SHA256"},
		"persistentStorageOptions": map[string]any{"Directory": dir + "/psessions",
			"LockDirectory": dir + "/psessions/lock"},
		"localSessionStorageOptions": map[string]any{"cache_depth": 3,
			"cache_root": dir + "/cache", "default_expires_in": 600, "directory_umask": "007",
			"namespace": "lemonldap-ng-sessions"},
		"authentication": "DBI", "userDB": "Same", "passwordDB": "Null", "registerDB": "Null",
		"portalDisplayRegister": 0, "portalDisplayResetPassword": 0,
		"captcha_mail_enabled": 0, "captcha_register_enabled": 0, "captcha_login_enabled": 0,
		"dbiAuthChain": dbi, "dbiAuthUser": "", "dbiAuthPassword": "",
		"dbiAuthTable": "users", "dbiAuthLoginCol": "user", "dbiAuthPasswordCol": "password",
		"dbiAuthPasswordHash": "",
		"dbiUserChain":        dbi, "dbiUserUser": "", "dbiUserPassword": "", "dbiUserTable": "users",
		"dbiExportedVars": map[string]any{"uid": "user", "mail": "mail",
			"givenName": "givenName", "sn": "sn", "memberOf": "memberOf"},
		"issuerDBSAMLActivation":                      1,
		"samlEntityID":                                "#PORTAL#/saml/metadata",
		"samlServicePrivateKeySig":                    string(kp.keyPEM),
		"samlServicePrivateKeySigPwd":                 "",
		"samlServicePublicKeySig":                     string(kp.certPEM),
		"samlServiceSignatureMethod":                  "RSA_SHA256",
		"samlIDPSSODescriptorWantAuthnRequestsSigned": 1,
		"samlSPMetaDataXML": map[string]any{"sp": map[string]any{
			"samlSPMetaDataXML": spMetadata}},
		// session key: "mandatory;Name;NameFormat;FriendlyName"
		"samlSPMetaDataExportedAttributes": map[string]any{"sp": map[string]any{
			"uid": "1;uid;" + basic + ";", "mail": "1;email;" + basic + ";",
			"givenName": "1;firstName;" + basic + ";", "sn": "1;lastName;" + basic + ";",
			"memberOf": "0;groups;" + basic + ";"}},
		"samlSPMetaDataOptions": map[string]any{"sp": map[string]any{
			"samlSPMetaDataOptionsNameIDFormat":               "email",
			"samlSPMetaDataOptionsNameIDSessionKey":           "mail",
			"samlSPMetaDataOptionsSignSSOMessage":             1,
			"samlSPMetaDataOptionsSignatureMethod":            "RSA_SHA256",
			"samlSPMetaDataOptionsCheckSSOMessageSignature":   1,
			"samlSPMetaDataOptionsEncryptionMode":             "none",
			"samlSPMetaDataOptionsEnableIDPInitiatedURL":      1,
			"samlSPMetaDataOptionsForceUTF8":                  1,
			"samlSPMetaDataOptionsNotOnOrAfterTimeout":        300,
			"samlSPMetaDataOptionsSessionNotOnOrAfterTimeout": 72000,
			"samlSPMetaDataOptionsOneTimeUse":                 0,
		}},
	}
}
