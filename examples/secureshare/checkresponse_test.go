package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/saml/samltest"
)

// Sample parameters, from ../../../shared/samples/README.md and the interop
// captures.
var (
	pingfedArgs = []string{
		"--idp-metadata", "testdata/pingfed-metadata.xml",
		"--sp-entity-id", "https://saml.test.nope/session/sso/saml/spentityid/hp24dqnpvq",
		"--acs-url", "https://saml.test.nope/session/sso/saml/acs/hp24dqnpvq",
	}
	pingfedRequest = "_27242a27-9aea-40d6-b603-c1d6daa198d4"
	pingfedNow     = "2017-09-02T00:12:30Z"

	googleArgs = []string{
		"--idp-metadata", "testdata/google-metadata.xml",
		"--sp-entity-id", "https://29ee6d2e.ngrok.io/saml/metadata",
		"--acs-url", "https://29ee6d2e.ngrok.io/saml/acs",
		"--request-id", "id-fd419a5ab0472645427f8e07d87a3a5dd0b2e9a6",
	}
	oneloginArgs = []string{
		"--idp-metadata", "testdata/onelogin-metadata.xml",
		"--sp-entity-id", "https://29ee6d2e.ngrok.io/saml/metadata",
		"--acs-url", "https://29ee6d2e.ngrok.io/saml/acs",
		"--request-id", "id-d40c15c104b52691eccf0a2a5c8a15595be75423",
		"--now", "2016-01-05T17:53:30Z",
	}
	simpleArgs = []string{
		"--idp-metadata", "testdata/simplesamlphp-metadata.xml",
		"--sp-entity-id", "http://127.0.0.1:8080/saml/metadata",
		"--acs-url", "http://127.0.0.1:8080/saml/acs",
		"--now", "2026-12-03T19:14:00Z",
	}
	simpleRequest = "id-d6cd8cf6d2754af89c118d0f07152075"
)

func join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// buildBinary compiles the command into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "secureshare")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// runBinary runs bin with args and returns stdout, stderr and exit status.
func runBinary(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return stdout.String(), stderr.String(), code
}

func TestCheckResponseCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	tampered := filepath.Join(dir, "tampered.xml")
	xml, err := os.ReadFile("testdata/simplesamlphp-response.xml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(tampered,
		bytes.Replace(xml, []byte(">engineering<"), []byte(">admins<"), 1), 0o600))
	wrapped := filepath.Join(dir, "wrapped.b64")
	b64, err := os.ReadFile("testdata/pingfed-response.b64")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(wrapped, wrapLines(bytes.TrimSpace(b64), 76), 0o600))

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
		oneLine    bool
	}{
		{name: "pingfederate accepted",
			args: join(pingfedArgs, []string{"--request-id", pingfedRequest, "--now", pingfedNow,
				"testdata/pingfed-response.b64"}),
			wantStdout: []string{"OK: sign-in would succeed",
				"email:        firstlast@saml.test.nope  [from NameID]",
				"groups:       red,green,blue  [from group]"}},
		{name: "base64 with line breaks accepted",
			args: join(pingfedArgs, []string{"--request-id", pingfedRequest, "--now", pingfedNow,
				wrapped}),
			wantStdout: []string{"OK: sign-in would succeed"}},
		{name: "flags after the response file",
			args: append([]string{"testdata/pingfed-response.b64", "--request-id", pingfedRequest,
				"--now", pingfedNow}, pingfedArgs...),
			wantStdout: []string{"OK"}},
		{name: "google without email mapping refused, listing what arrived",
			args: join(googleArgs, []string{"--now", "2016-01-05T16:56:00Z",
				"testdata/google-response.b64"}),
			wantCode: exitRefused, oneLine: true,
			wantStdout: []string{"refused: mapping: idp: email: no email address",
				`the IdP sent "phone", "address", "jobTitle", "firstName", "lastName"`}},
		{name: "simplesamlphp raw xml accepted",
			args: join(simpleArgs, []string{"--request-id", simpleRequest,
				"testdata/simplesamlphp-response.xml"}),
			wantStdout: []string{"groups:       partners, engineering  [from groups]"}},
		{name: "idp-initiated accepted when allowed",
			args: join(simpleArgs, []string{"--allow-idp-initiated",
				"testdata/simplesamlphp-response-idp-initiated.b64"}),
			wantStdout: []string{"OK"}},
		{name: "idp-initiated refused by default",
			args:     join(simpleArgs, []string{"testdata/simplesamlphp-response-idp-initiated.b64"}),
			wantCode: exitRefused, oneLine: true, wantStdout: []string{"refused: unsolicited: "}},
		{name: "wrong audience refused",
			args: join(pingfedArgs[:2], []string{"--sp-entity-id", "https://other.example.com",
				"--acs-url", pingfedArgs[5], "--request-id", pingfedRequest, "--now", pingfedNow,
				"testdata/pingfed-response.b64"}),
			wantCode: exitRefused, oneLine: true,
			wantStdout: []string{"refused: audience: ", `want "https://other.example.com"`}},
		{name: "wrong acs refused",
			args: join(pingfedArgs[:4], []string{"--acs-url", "https://sp.example.com/acs",
				"--request-id", pingfedRequest, "--now", pingfedNow, "testdata/pingfed-response.b64"}),
			wantCode: exitRefused, oneLine: true, wantStdout: []string{"refused: destination: "}},
		{name: "expired refused",
			args: join(pingfedArgs, []string{"--request-id", pingfedRequest,
				"--now", "2017-09-02T01:00:00Z", "testdata/pingfed-response.b64"}),
			wantCode: exitRefused, oneLine: true, wantStdout: []string{"refused: "}},
		{name: "unknown request id refused",
			args: join(pingfedArgs, []string{"--request-id", "id-other", "--now", pingfedNow,
				"testdata/pingfed-response.b64"}),
			wantCode: exitRefused, oneLine: true, wantStdout: []string{"refused: in_response_to: "}},
		{name: "tampered response refused",
			args:     join(simpleArgs, []string{"--request-id", simpleRequest, tampered}),
			wantCode: exitRefused, oneLine: true, wantStdout: []string{"refused: signature: "}},
		{name: "sha1 refused",
			args:     join(oneloginArgs, []string{"testdata/onelogin-response.b64"}),
			wantCode: exitRefused, oneLine: true, wantStdout: []string{"refused: algorithm: "}},
		// The Issuer is checked before the signature, so a response from
		// another IdP is named as such.
		{name: "signed by another idp refused",
			args: join(googleArgs[2:], []string{"--idp-metadata", "testdata/pingfed-metadata.xml",
				"--now", "2016-01-05T16:56:00Z", "testdata/google-response.b64"}),
			wantCode: exitRefused, oneLine: true, wantStdout: []string{"refused: issuer: ",
				"https://accounts.google.com/o/saml2?idpid=C02dfl1r1"}},
		{name: "garbage refused", args: join(pingfedArgs, []string{"--now", pingfedNow,
			"testdata/pingfed-metadata.xml"}),
			wantCode: exitRefused, oneLine: true, wantStdout: []string{"refused: "}},
		{name: "json refusal is one line", args: join(pingfedArgs, []string{"--json",
			"--now", pingfedNow, "testdata/pingfed-response.b64"}),
			wantCode: exitRefused, oneLine: true,
			wantStdout: []string{`{"accepted":false,"check":"in_response_to","error":`}},
		{name: "unknown command lists commands", args: []string{"frobnicate"},
			wantCode:   exitBadUsage,
			wantStderr: []string{"Usage: secureshare [<command>]", "serve", "check-response"}},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: exitBadUsage,
			wantStderr: []string{`unknown command "frobnicate"`}},
		{name: "help", args: []string{"help"}, wantStdout: []string{"check-response"}},
		{name: "check-response help", args: []string{"check-response", "-h"},
			wantStderr: []string{"--idp-metadata FILE", "-sp-entity-id"}},
		{name: "missing metadata flag", args: []string{"--sp-entity-id", "x", "--acs-url", "y",
			"testdata/pingfed-response.b64"}, wantCode: exitBadUsage,
			wantStderr: []string{"--idp-metadata is required"}},
		{name: "missing sp entity id", args: []string{"--idp-metadata", "m", "--acs-url", "y",
			"r"}, wantCode: exitBadUsage, wantStderr: []string{"--sp-entity-id is required"}},
		{name: "missing acs url", args: []string{"--idp-metadata", "m", "--sp-entity-id", "y",
			"r"}, wantCode: exitBadUsage, wantStderr: []string{"--acs-url is required"}},
		{name: "no response file", args: pingfedArgs, wantCode: exitBadUsage,
			wantStderr: []string{"exactly one RESPONSE_FILE, got 0"}},
		{name: "two response files", args: join(pingfedArgs, []string{"a", "b"}),
			wantCode: exitBadUsage, wantStderr: []string{"got 2"}},
		{name: "unknown flag", args: join(pingfedArgs, []string{"--bogus", "r"}),
			wantCode: exitBadUsage, wantStderr: []string{"bogus"}},
		{name: "bad now", args: join(pingfedArgs, []string{"--now", "yesterday",
			"testdata/pingfed-response.b64"}), wantCode: exitBadUsage,
			wantStderr: []string{`--now "yesterday" is not an RFC3339 time`}},
		{name: "missing response file", args: join(pingfedArgs, []string{"--now", pingfedNow,
			"testdata/nope.b64"}), wantCode: exitBadUsage, wantStderr: []string{"nope.b64"}},
		{name: "metadata is not metadata", args: []string{"--idp-metadata",
			"testdata/pingfed-response.b64", "--sp-entity-id", "x", "--acs-url", "https://y",
			"testdata/pingfed-response.b64"}, wantCode: exitBadUsage,
			wantStderr: []string{"importing metadata"}},
		{name: "expired metadata", args: join(googleArgs, []string{"--now",
			"2022-01-01T00:00:00Z", "testdata/google-response.b64"}), wantCode: exitBadUsage,
			wantStderr: []string{"expired at 2021-01-03T16:17:49Z"}},
		{name: "sp-cert without sp-key", args: join(pingfedArgs, []string{"--sp-cert",
			"x.pem", "testdata/pingfed-response.b64"}), wantCode: exitBadUsage,
			wantStderr: []string{"--sp-cert needs --sp-key"}},
		{name: "sp-key that is not a key", args: join(pingfedArgs, []string{"--sp-key",
			"testdata/pingfed-metadata.xml", "testdata/pingfed-response.b64"}),
			wantCode: exitBadUsage, wantStderr: []string{"no RSA PRIVATE KEY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if len(args) > 0 && args[0] != "help" && args[0] != "frobnicate" &&
				args[0] != "check-response" {
				args = append([]string{"check-response"}, args...)
			}
			stdout, stderr, code := runBinary(t, bin, args...)
			assert.Equal(t, tt.wantCode, code, "stdout: %s\nstderr: %s", stdout, stderr)
			for _, s := range tt.wantStdout {
				assert.Contains(t, stdout, s)
			}
			for _, s := range tt.wantStderr {
				assert.Contains(t, stderr, s)
			}
			if tt.oneLine {
				assert.Equal(t, 1, strings.Count(stdout, "\n"), "one line: %q", stdout)
				assert.Empty(t, stderr)
			}
			if tt.wantCode == exitBadUsage {
				assert.Empty(t, stdout)
			}
			if tt.wantCode == exitBadUsage && args[0] == "check-response" {
				for _, s := range tt.wantStderr {
					assert.Equal(t, 1, strings.Count(stderr, s),
						"the error is told once, without the usage: %s", stderr)
				}
				assert.NotContains(t, stderr, "Flags:")
			}
		})
	}
}

func TestCheckResponseJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(join([]string{"check-response", "--json"}, simpleArgs,
		[]string{"--request-id", simpleRequest, "testdata/simplesamlphp-response.b64"}),
		&stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())

	var got struct {
		Accepted   bool                `json:"accepted"`
		NameID     string              `json:"name_id"`
		Attributes map[string][]string `json:"attributes"`
		Profile    struct {
			Email     string   `json:"email"`
			FirstName string   `json:"first_name"`
			LastName  string   `json:"last_name"`
			Groups    []string `json:"groups"`
		} `json:"profile"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &got))
	assert.True(t, got.Accepted)
	assert.Equal(t, "alice@example.com", got.NameID)
	assert.Equal(t, map[string][]string{"uid": {"alice"}, "email": {"alice@example.com"},
		"firstName": {"Alice"}, "lastName": {"Example"}, "groups": {"partners", "engineering"}},
		got.Attributes)
	assert.Equal(t, "alice@example.com", got.Profile.Email)
	assert.Equal(t, "Alice", got.Profile.FirstName)
	assert.Equal(t, "Example", got.Profile.LastName)
	assert.Equal(t, []string{"partners", "engineering"}, got.Profile.Groups)
}

func TestCheckResponseSPKey(t *testing.T) {
	dir := t.TempDir()
	key, keyFile, certFile := writeSPKey(t, dir, "sp")
	_, _, otherCert := writeSPKey(t, dir, "other")
	require.NotNil(t, key)

	tests := []struct {
		name     string
		extra    []string
		wantCode int
		wantErr  string
	}{
		{name: "key alone", extra: []string{"--sp-key", keyFile}},
		{name: "key and matching cert", extra: []string{"--sp-key", keyFile, "--sp-cert", certFile}},
		{name: "key and other cert", extra: []string{"--sp-key", keyFile, "--sp-cert", otherCert},
			wantCode: exitBadUsage, wantErr: "does not match"},
		{name: "cert as key", extra: []string{"--sp-key", certFile}, wantCode: exitBadUsage,
			wantErr: "no RSA PRIVATE KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := join([]string{"check-response"}, pingfedArgs, tt.extra, []string{
				"--request-id", pingfedRequest, "--now", pingfedNow, "testdata/pingfed-response.b64"})
			code := run(args, &stdout, &stderr)
			assert.Equal(t, tt.wantCode, code, stderr.String())
			assert.Contains(t, stderr.String(), tt.wantErr)
		})
	}
}

func TestCheckResponseAnswersQuicklyForHugeInput(t *testing.T) {
	huge := filepath.Join(t.TempDir(), "huge.b64")
	require.NoError(t, os.WriteFile(huge, bytes.Repeat([]byte("QUFB"), 1<<20), 0o600))

	for _, name := range []string{huge, "/dev/zero"} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			start := time.Now()
			code := run(join([]string{"check-response"}, pingfedArgs,
				[]string{"--now", pingfedNow, name}), &stdout, &stderr)
			assert.Less(t, time.Since(start), time.Second)
			assert.NotEqual(t, exitOK, code)
		})
	}
}

// writeSPKey writes an RSA key (PKCS#8) and a self-signed certificate.
func writeSPKey(t *testing.T, dir, name string) (*rsa.PrivateKey, string, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	keyFile := filepath.Join(dir, name+".key")
	certFile := filepath.Join(dir, name+".crt")
	require.NoError(t, os.WriteFile(keyFile,
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600))
	require.NoError(t, os.WriteFile(certFile,
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return key, keyFile, certFile
}

// wrapLines breaks s into lines of n characters with CRLF.
func wrapLines(s []byte, n int) []byte {
	var b bytes.Buffer
	for len(s) > n {
		b.Write(s[:n])
		b.WriteString("\r\n")
		s = s[n:]
	}
	b.Write(s)
	b.WriteString("\r\n")
	return b.Bytes()
}

// TestCheckResponseSamltest runs the command on fresh responses from the
// test IdP: an encrypted assertion that needs --sp-key, and an IdP status
// failure.
func TestCheckResponseSamltest(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	_, keyFile, certFile := writeSPKey(t, dir, "sp")
	certPEM, err := os.ReadFile(certFile)
	require.NoError(t, err)
	block, _ := pem.Decode(certPEM)
	spCert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)

	test, err := samltest.New(samltest.Config{EntityID: "https://idp.example.com",
		Now: func() time.Time { return now }})
	require.NoError(t, err)
	md, err := test.Metadata("https://idp.example.com/sso", "")
	require.NoError(t, err)
	mdFile := filepath.Join(dir, "idp.xml")
	require.NoError(t, os.WriteFile(mdFile, md, 0o600))

	write := func(name string, opts samltest.ResponseOptions) string {
		opts.Destination = "https://sp.example.com/acs"
		opts.Audience = "https://sp.example.com"
		opts.InResponseTo = "id-1"
		opts.SignAssertion = true
		opts.Attributes = []saml.Attribute{{Name: "email", Values: []string{"bob@example.com"}},
			{Name: "groups", Values: []string{"partners"}}}
		form, err := test.PostValue(opts)
		require.NoError(t, err)
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(form), 0o600))
		return path
	}
	encrypted := write("encrypted.b64", samltest.ResponseOptions{EncryptFor: spCert})
	failed := write("failed.b64", samltest.ResponseOptions{SignResponse: true,
		Status: saml.StatusResponder, SubStatus: "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"})
	base := []string{"check-response", "--idp-metadata", mdFile, "--sp-entity-id",
		"https://sp.example.com", "--acs-url", "https://sp.example.com/acs", "--request-id",
		"id-1", "--now", now.Add(time.Minute).Format(time.RFC3339)}

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{name: "encrypted with key", wantOut: "email:        bob@example.com  [from email]",
			args: join(base, []string{"--sp-key", keyFile, "--sp-cert", certFile, encrypted})},
		{name: "encrypted without key", wantCode: exitRefused, wantOut: "refused: decryption: ",
			args: join(base, []string{encrypted})},
		{name: "idp status failure", wantCode: exitRefused, wantOut: "refused: status: IdP returned urn:oasis:names:tc:SAML:2.0:status:Responder / urn:oasis:names:tc:SAML:2.0:status:AuthnFailed",
			args: join(base, []string{failed})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			assert.Equal(t, tt.wantCode, code, "stdout: %s\nstderr: %s", stdout.String(),
				stderr.String())
			assert.Contains(t, stdout.String(), tt.wantOut)
		})
	}
}
