package interop

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"text/template"
	"time"

	"github.com/stretchr/testify/require"
)

// simpleSAMLphpPackages are the Debian packages the IdP runs from. The
// package depends on apache2 and libapache2-mod-php, which stay unused:
// PHP's built-in server serves the IdP.
var simpleSAMLphpPackages = []string{"simplesamlphp", "php8.2-cli", "php8.2-xml",
	"php8.2-mbstring", "php8.2-curl"}

// simpleSAMLphpWWW is the document root of the Debian package.
const simpleSAMLphpWWW = "/usr/share/simplesamlphp/www"

// TestSimpleSAMLphp signs in through SimpleSAMLphp 1.19 from Debian.
func TestSimpleSAMLphp(t *testing.T) {
	requireInterop(t)
	logs := logDir(t)
	start := time.Now()
	aptInstall(t, filepath.Join(logs, "install.log"), simpleSAMLphpPackages...)
	s := startServer(t, logs)

	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	mdURL := base + "/saml2/idp/metadata.php"
	dir := t.TempDir()
	writeSimpleSAMLphpConfig(t, dir, logs, base, s)
	cmd := exec.Command("php", "-d", "variables_order=EGPCS", "-S",
		fmt.Sprintf("127.0.0.1:%d", port), "-t", simpleSAMLphpWWW)
	cmd.Env = append(os.Environ(), "SIMPLESAMLPHP_CONFIG_DIR="+filepath.Join(dir, "config"),
		"PHP_CLI_SERVER_WORKERS=2")
	p := startProcess(t, "simplesamlphp", filepath.Join(logs, "simplesamlphp-php.log"), cmd)
	waitHTTP(t, p, mdURL, 30*time.Second)

	post := postOnlyMetadata(t, mdURL, logs)
	s.restart("ssp="+mdURL, "ssppost="+post)
	t.Logf("install and start-up took %v", time.Since(start).Round(time.Millisecond))

	sso := base + "/saml2/idp/SSOService.php"
	runScenarios(t, s, logs, idpUnderTest{
		redirectName: "ssp", postName: "ssppost", ssoURL: sso,
		member:        credentials{user: "alice", password: "alice-password"},
		memberEmail:   "alice@partner.example",
		outsider:      credentials{user: "bob", password: "bob-password"},
		outsiderEmail: "bob@elsewhere.example",
		wrongPassword: &credentials{user: "alice", password: "not-alices-password"},
		// No RelayState: the sign-in lands on our default relay state.
		idpInitiatedURL: sso + "?spentityid=" + url.QueryEscape(s.url("/saml/metadata")),
		attributes: map[string]string{"email": "alice@partner.example", "firstName": "Alice",
			"lastName": "Partner", "groups": "partners", "uid": "alice"},
		metadataURL:  mdURL,
		singleLogout: true,
		idpLogoutURL: base + "/saml2/idp/SingleLogoutService.php?ReturnTo=" +
			url.QueryEscape(s.url("/s/")),
	})
}

// writeSimpleSAMLphpConfig writes a private configuration directory (the
// Debian one in /etc stays untouched): config.php, the users, the hosted
// IdP, and our SP metadata, which SimpleSAMLphp reads as XML.
func writeSimpleSAMLphpConfig(t *testing.T, dir, logs, base string, s *server) {
	t.Helper()
	for _, d := range []string{"config/metadata", "cert", "data", "tmp", "sessions"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	newKeyPair(t, filepath.Join(dir, "cert"), "127.0.0.1 SimpleSAMLphp interop IdP")
	spMD := filepath.Join(dir, "sp-metadata.xml")
	require.NoError(t, os.WriteFile(spMD, s.metadata, 0o644))
	u, err := url.Parse(s.base)
	require.NoError(t, err)
	data := map[string]string{"Dir": dir, "Logs": logs, "Base": base, "SPMetadata": spMD,
		"Secret": fmt.Sprintf("interop-%d", time.Now().UnixNano()), "SPHost": u.Host}
	for name, text := range map[string]string{
		"config/config.php":                     simpleSAMLphpConfig,
		"config/authsources.php":                simpleSAMLphpUsers,
		"config/metadata/saml20-idp-hosted.php": simpleSAMLphpHosted,
	} {
		f, err := os.Create(filepath.Join(dir, name))
		require.NoError(t, err)
		require.NoError(t, template.Must(template.New(name).Parse(text)).Execute(f, data))
		require.NoError(t, f.Close())
	}
	for _, name := range []string{"saml20-sp-remote", "saml20-idp-remote", "shib13-idp-hosted",
		"shib13-sp-remote", "adfs-sp-remote", "adfs-idp-hosted"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "config/metadata", name+".php"),
			[]byte("<?php\n"), 0o644))
	}
}

// simpleSAMLphpConfig is config.php. Over plain HTTP the session cookie
// must not be Secure, and baseurlpath must be absolute.
const simpleSAMLphpConfig = `<?php
$config = [
    'baseurlpath' => '{{.Base}}/',
    'certdir' => '{{.Dir}}/cert/',
    'loggingdir' => '{{.Logs}}/',
    'datadir' => '{{.Dir}}/data/',
    'tempdir' => '{{.Dir}}/tmp',
    'metadatadir' => '{{.Dir}}/config/metadata/',
    'metadata.sources' => [
        ['type' => 'flatfile', 'directory' => '{{.Dir}}/config/metadata/'],
        ['type' => 'xml', 'file' => '{{.SPMetadata}}'],
    ],
    'secretsalt' => '{{.Secret}}',
    'auth.adminpassword' => '{{.Secret}}',
    'admin.protectindexpage' => false,
    'admin.protectmetadata' => false,
    'admin.checkforupdates' => false,
    'technicalcontact_name' => 'Interop suite',
    'technicalcontact_email' => 'interop@example.org',
    'timezone' => 'UTC',
    'enable.saml20-idp' => true,
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'logging.level' => SimpleSAML\Logger::INFO,
    'statistics.out' => [],
    'showerrors' => true,
    'errorreporting' => false,
    'production' => false,
    'store.type' => 'phpsession',
    'session.phpsession.savepath' => '{{.Dir}}/sessions',
    'session.cookie.secure' => false,
    'session.cookie.samesite' => null,
    'language.cookie.secure' => false,
    'language.cookie.samesite' => null,
    'trusted.url.domains' => ['{{.SPHost}}'],
    'authproc.idp' => [],
];
`

// simpleSAMLphpUsers are the test users: alice is in the link's group,
// bob is not.
const simpleSAMLphpUsers = `<?php
$config = [
    'users' => [
        'exampleauth:UserPass',
        'alice:alice-password' => [
            'uid' => ['alice'],
            'email' => ['alice@partner.example'],
            'firstName' => ['Alice'],
            'lastName' => ['Partner'],
            'groups' => ['partners', 'engineering'],
        ],
        'bob:bob-password' => [
            'uid' => ['bob'],
            'email' => ['bob@elsewhere.example'],
            'firstName' => ['Bob'],
            'lastName' => ['Elsewhere'],
            'groups' => ['contractors'],
        ],
    ],
];
`

// simpleSAMLphpHosted is the hosted IdP. The emailAddress NameID is taken
// from the email attribute; both the Response and the Assertion are signed
// with RSA-SHA256, and so are logout messages. validate.authnrequest puts WantAuthnRequestsSigned in the
// IdP's metadata, so our server signs its AuthnRequests: SimpleSAMLphp
// refuses unsigned ones anyway, because our SP metadata says
// AuthnRequestsSigned="true".
const simpleSAMLphpHosted = `<?php
$metadata['{{.Base}}/saml2/idp/metadata.php'] = [
    'host' => '__DEFAULT__',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'auth' => 'users',
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'saml20.sign.response' => true,
    'saml20.sign.assertion' => true,
    'validate.authnrequest' => true,
    'sign.logout' => true,
    'validate.logout' => true,
    'simplesaml.nameidattribute' => 'email',
    'NameIDFormat' => [
        'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
    ],
    'SingleSignOnServiceBinding' => [
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
    ],
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
];
`
