package main

// Tests of "secureshare check-response" against the contract in the
// README and the usage text (exit 0/1/2, one line naming the failed check
// on exit 1, JSON with "name_id" and "attributes", an answer within a
// second for any input), with real captures, hostile files, odd metadata,
// repeated or malformed flags, and the hints a refusal gives.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/saml/samltest"
)

// simpleMetadataAs returns the SimpleSAMLphp metadata without its XML
// declaration, with the entity ID replaced by entityID when that is not
// empty, so tests can build federations and mismatches from it.
func simpleMetadataAs(t *testing.T, entityID string) []byte {
	t.Helper()
	good, err := os.ReadFile("testdata/simplesamlphp-metadata.xml")
	require.NoError(t, err)
	body := regexp.MustCompile(`^<\?xml[^>]*\?>\s*`).ReplaceAll(good, nil)
	if entityID == "" {
		return body
	}
	return bytes.ReplaceAll(body, []byte("http://127.0.0.1:9101/saml2/idp/metadata.php"), []byte(entityID))
}

// runCmd runs check-response in process.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"check-response"}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

// assertRefusedOneLine checks the exit-1 contract: exactly one line on
// stdout, "refused: CHECK: ...", nothing on stderr.
func assertRefusedOneLine(t *testing.T, stdout, stderr string, code int, check string) {
	t.Helper()
	assert.Equal(t, exitRefused, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.Equal(t, 1, strings.Count(stdout, "\n"), "one line: %q", stdout)
	assert.True(t, strings.HasSuffix(stdout, "\n"))
	assert.Empty(t, stderr)
	if check != "" {
		assert.True(t, strings.HasPrefix(stdout, "refused: "+check+": "),
			"want check %q, got %q", check, stdout)
	}
}

var issueInstantRE = regexp.MustCompile(`IssueInstant="([^"]+)"`)

// TestInteropCaptures runs the README command on every capture under
// /work/shared/interop (SP-initiated with --request-id from login-meta.json,
// and IdP-initiated with --allow-idp-initiated), with --now five seconds
// after the IssueInstant, in text and JSON.
func TestInteropCaptures(t *testing.T) {
	dirs, _ := filepath.Glob("../../../shared/interop/*/samples")
	if len(dirs) == 0 {
		t.Skip("no interop captures on this machine")
	}
	for _, dir := range dirs {
		idpName := filepath.Base(filepath.Dir(dir))
		meta, err := os.ReadFile(filepath.Join(dir, "login-meta.json"))
		require.NoError(t, err)
		var lm struct {
			RequestID string `json:"request_id"`
		}
		require.NoError(t, json.Unmarshal(meta, &lm))

		for _, kind := range []string{"response", "response-idp-initiated"} {
			xml, err := os.ReadFile(filepath.Join(dir, kind+".xml"))
			require.NoError(t, err)
			m := issueInstantRE.FindSubmatch(xml)
			require.NotNil(t, m)
			issued, err := time.Parse(time.RFC3339, string(m[1]))
			require.NoError(t, err)
			args := []string{"--idp-metadata", filepath.Join(dir, "idp-metadata.xml"),
				"--sp-entity-id", "http://127.0.0.1:8080/saml/metadata",
				"--acs-url", "http://127.0.0.1:8080/saml/acs",
				"--now", issued.Add(5 * time.Second).Format(time.RFC3339)}
			if kind == "response" {
				args = append(args, "--request-id", lm.RequestID)
			} else {
				args = append(args, "--allow-idp-initiated")
			}

			t.Run(idpName+"/"+kind, func(t *testing.T) {
				stdout, stderr, code := runCmd(t, append(args, filepath.Join(dir, kind+".b64"))...)
				require.Equal(t, exitOK, code, "stdout: %s\nstderr: %s", stdout, stderr)
				assert.Contains(t, stdout, "OK: sign-in would succeed")

				stdout, stderr, code = runCmd(t, append(args, "--json",
					filepath.Join(dir, kind+".xml"))...)
				require.Equal(t, exitOK, code, stderr)
				var got struct {
					Accepted   *bool               `json:"accepted"`
					NameID     *string             `json:"name_id"`
					Attributes map[string][]string `json:"attributes"`
					Profile    struct {
						Email string `json:"email"`
					} `json:"profile"`
				}
				require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
				require.NotNil(t, got.Accepted)
				assert.True(t, *got.Accepted)
				require.NotNil(t, got.NameID)
				assert.NotEmpty(t, *got.NameID)
				assert.NotEmpty(t, got.Attributes)
				assert.Contains(t, got.Profile.Email, "@")
			})
		}
	}
}

// TestHostileResponseFiles feeds junk as RESPONSE_FILE. Every refusal
// must be exit 1 with one line naming the check, and come back within a
// second.
func TestHostileResponseFiles(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("testdata/simplesamlphp-response.xml")
	require.NoError(t, err)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o600))
		return p
	}
	dtd := append([]byte("<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "+
		"\"file:///etc/passwd\">]>\n"), good...)
	laughs := []byte(`<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">` +
		`<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>` +
		`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&c;</samlp:Response>`)
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = byte(i*7 + 3)
	}
	// 30 000 levels of nesting stays under the 512 KiB limit.
	deep := []byte(strings.Repeat("<a>", 30000) + strings.Repeat("</a>", 30000))
	require.Less(t, len(deep), saml.DefaultMaxResponseSize)
	manyAttrs := []byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"` +
		strings.Repeat(` a="1"`, 1) + `>` + strings.Repeat(`<x y="1"/>`, 25000) +
		`</samlp:Response>`)
	pi := append([]byte(`<?xml-stylesheet href="http://evil.example/x.xsl"?>`), good...)

	tests := []struct {
		name  string
		data  []byte
		check string // expected check name; "" means any
	}{
		{name: "empty file", data: nil},
		{name: "only whitespace", data: []byte(" \r\n\t\n")},
		{name: "binary junk", data: junk},
		{name: "DTD with external entity, raw XML", data: dtd, check: "xml"},
		{name: "DTD with external entity, base64",
			data: []byte(base64.StdEncoding.EncodeToString(dtd)), check: "xml"},
		{name: "billion laughs", data: laughs, check: "xml"},
		{name: "processing instruction", data: pi, check: "xml"},
		{name: "malformed XML", data: good[:len(good)/2], check: "xml"},
		{name: "truncated base64",
			data: []byte(base64.StdEncoding.EncodeToString(good)[:3001]), check: "encoding"},
		{name: "deep nesting under the size limit", data: deep},
		{name: "25 000 elements under the size limit", data: manyAttrs},
		// The limit is 512 KiB of decoded XML (about 683 KiB of base64).
		{name: "800 KiB of base64",
			data: []byte(strings.Repeat("QUFB", 800<<10/4)), check: "size"},
		{name: "600 KiB of base64 is decoded and parsed",
			data: []byte(strings.Repeat("QUFB", 600<<10/4)), check: "xml"},
		{name: "tampered signed value",
			data:  bytes.Replace(good, []byte(">Alice<"), []byte(">Mallory<"), 1),
			check: "signature"},
		{name: "URL-encoded form value (copied from a raw request body)",
			data:  []byte(url.QueryEscape(base64.StdEncoding.EncodeToString(good))),
			check: "encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(strings.ReplaceAll(tt.name, " ", "_"), tt.data)
			start := time.Now()
			stdout, stderr, code := runCmd(t, join(simpleArgs,
				[]string{"--request-id", simpleRequest, p})...)
			assert.Less(t, time.Since(start), time.Second)
			assertRefusedOneLine(t, stdout, stderr, code, tt.check)

			// The same refusal as JSON is one valid JSON object.
			stdout, _, code = runCmd(t, join(simpleArgs,
				[]string{"--request-id", simpleRequest, "--json", p})...)
			assert.Equal(t, exitRefused, code)
			var got map[string]any
			require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
			assert.Equal(t, false, got["accepted"])
			assert.NotEmpty(t, got["check"])
			assert.Equal(t, 1, strings.Count(stdout, "\n"))
		})
	}
}

// TestHugeResponseFile: a 100 MB RESPONSE_FILE must be answered within a
// second. An input too large to be a SAML response is a property of the
// input, so it is a refusal (exit 1, check "size") whichever limit it hits,
// the command's bounded read or the verifier's limit on the decoded XML.
func TestHugeResponseFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge.b64")
	f, err := os.Create(p)
	require.NoError(t, err)
	_, err = f.Write(bytes.Repeat([]byte("QUFBQUFB"), 1<<10))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(100<<20)) // sparse: fast to create
	require.NoError(t, f.Close())

	start := time.Now()
	stdout, stderr, code := runCmd(t, join(simpleArgs, []string{"--request-id",
		simpleRequest, p})...)
	assert.Less(t, time.Since(start), time.Second)
	assert.NotEqual(t, exitOK, code)
	assertRefusedOneLine(t, stdout, stderr, code, "size")
}

// TestHugeMetadataFile: 100 MB of metadata is configuration: exit 2,
// fast.
func TestHugeMetadataFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "md.xml")
	require.NoError(t, os.WriteFile(p, []byte("<x/>"), 0o600))
	require.NoError(t, os.Truncate(p, 100<<20))

	start := time.Now()
	stdout, stderr, code := runCmd(t, "--idp-metadata", p, "--sp-entity-id",
		"http://127.0.0.1:8080/saml/metadata", "--acs-url", "http://127.0.0.1:8080/saml/acs",
		"--now", "2026-12-03T19:14:00Z", "--request-id", simpleRequest,
		"testdata/simplesamlphp-response.b64")
	assert.Less(t, time.Since(start), time.Second)
	assert.Equal(t, exitBadUsage, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "too large")
}

// TestUTF8BOM: Windows Notepad (before 2019) saves UTF-8 with a byte order
// mark. The file's BOM is an artefact of saving, not of the IdP: the
// command ignores it (or, failing that, must say "byte-order mark" rather
// than "not valid base64 at input byte 0").
func TestUTF8BOM(t *testing.T) {
	good, err := os.ReadFile("testdata/simplesamlphp-response.xml")
	require.NoError(t, err)
	b64, err := os.ReadFile("testdata/simplesamlphp-response.b64")
	require.NoError(t, err)
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"bom.xml": append([]byte("\xef\xbb\xbf"), good...),
		"bom.b64": append([]byte("\xef\xbb\xbf"), b64...),
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(p, data, 0o600))
			stdout, stderr, code := runCmd(t, join(simpleArgs, []string{"--request-id",
				simpleRequest, p})...)
			if code != exitOK {
				assertRefusedOneLine(t, stdout, stderr, code, "")
				assert.Contains(t, stdout, "byte-order mark")
			}
		})
	}
}

// TestMetadataFiles: odd metadata files are exit 2 with a message on
// stderr and nothing on stdout.
func TestMetadataFiles(t *testing.T) {
	dir := t.TempDir()
	body := simpleMetadataAs(t, "")
	other := simpleMetadataAs(t, "https://other.example.com/idp")
	third := simpleMetadataAs(t, "https://third.example.com/idp")
	spOnly := []byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ` +
		`entityID="http://127.0.0.1:8080/saml/metadata"><md:SPSSODescriptor ` +
		`protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
		`<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" ` +
		`Location="http://127.0.0.1:8080/saml/acs" index="0"/></md:SPSSODescriptor>` +
		`</md:EntityDescriptor>`)

	tests := []struct {
		name       string
		data       []byte
		wantStderr string
	}{
		{name: "DTD in metadata", data: append([]byte(`<!DOCTYPE m [<!ENTITY x SYSTEM `+
			`"file:///etc/passwd">]>`), body...), wantStderr: "DTD"},
		{name: "SP-only entity", data: spOnly, wantStderr: "IDPSSODescriptor"},
		{name: "empty", data: nil, wantStderr: "metadata"},
		{name: "binary junk", data: []byte{0x00, 0xff, 0xfe, 0x01}, wantStderr: "metadata"},
		// Several IdPs, none of them the one the response's Issuer names.
		// (With the response's IdP among them, that one is used: see
		// TestSeveralIDPsInMetadata.)
		{name: "several IdPs", data: append(append(append([]byte(
			`<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">`),
			third...), other...), []byte(`</md:EntitiesDescriptor>`)...),
			wantStderr: "https://other.example.com/idp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".xml")
			require.NoError(t, os.WriteFile(p, tt.data, 0o600))
			args := join([]string{"--idp-metadata", p}, simpleArgs[2:],
				[]string{"--request-id", simpleRequest, "testdata/simplesamlphp-response.b64"})
			stdout, stderr, code := runCmd(t, args...)
			assert.Equal(t, exitBadUsage, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.wantStderr)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
		})
	}
}

// TestSeveralIDPsInMetadata: with federation metadata holding several
// IdPs, the command verifies against the entity the Response's Issuer names
// (--idp-entity-id chooses one explicitly).
func TestSeveralIDPsInMetadata(t *testing.T) {
	body := simpleMetadataAs(t, "")
	other := simpleMetadataAs(t, "https://other.example.com/idp")
	doc := append(append(append([]byte(
		`<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">`),
		other...), body...), []byte(`</md:EntitiesDescriptor>`)...)
	p := filepath.Join(t.TempDir(), "federation.xml")
	require.NoError(t, os.WriteFile(p, doc, 0o600))

	stdout, stderr, code := runCmd(t, join([]string{"--idp-metadata", p}, simpleArgs[2:],
		[]string{"--request-id", simpleRequest, "testdata/simplesamlphp-response.b64"})...)
	assert.Equal(t, exitOK, code, "stdout: %s\nstderr: %s", stdout, stderr)
}

// TestFlags covers repeated and malformed flags.
func TestFlags(t *testing.T) {
	resp := "testdata/simplesamlphp-response.b64"
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "--now with an offset is accepted",
			args: join(simpleArgs[:6], []string{"--now", "2026-12-03T20:14:00+01:00",
				"--request-id", simpleRequest, resp})},
		{name: "--now with fractional seconds is accepted",
			args: join(simpleArgs[:6], []string{"--now", "2026-12-03T19:14:00.5Z",
				"--request-id", simpleRequest, resp})},
		{name: "--now without a zone", wantCode: exitBadUsage, wantErr: "RFC3339",
			args: join(simpleArgs[:6], []string{"--now", "2026-12-03T19:14:00",
				"--request-id", simpleRequest, resp})},
		{name: "--now as a date", wantCode: exitBadUsage, wantErr: "RFC3339",
			args: join(simpleArgs[:6], []string{"--now", "2026-12-03",
				"--request-id", simpleRequest, resp})},
		{name: "--now as unix seconds", wantCode: exitBadUsage, wantErr: "RFC3339",
			args: join(simpleArgs[:6], []string{"--now", "1796325240",
				"--request-id", simpleRequest, resp})},
		// "--now=" silently means the real clock.
		{name: "--now empty", wantCode: exitBadUsage,
			args: join(simpleArgs[:6], []string{"--now=", "--request-id", simpleRequest,
				resp})},
		{name: "--now without a value", wantCode: exitBadUsage, wantErr: "now",
			args: join(simpleArgs[:6], []string{"--request-id", simpleRequest, resp, "--now"})},
		{name: "--json=true is accepted",
			args: join(simpleArgs, []string{"--json=true", "--request-id", simpleRequest, resp})},
		{name: "--sp-entity-id empty", wantCode: exitBadUsage, wantErr: "--sp-entity-id",
			args: join([]string{"--sp-entity-id="}, simpleArgs[:2], simpleArgs[4:],
				[]string{resp})},
		// A repeated flag silently keeps the last value. An admin who pastes
		// a second --sp-entity-id (or a script that appends one) gets a
		// check against a value they may not have meant. Bad usage is
		// exit 2.
		{name: "--sp-entity-id given twice", wantCode: exitBadUsage,
			wantErr: "--sp-entity-id",
			args: join([]string{"--sp-entity-id", "https://wrong.example.com"}, simpleArgs,
				[]string{"--request-id", simpleRequest, resp})},
		{name: "--idp-metadata given twice", wantCode: exitBadUsage,
			wantErr: "--idp-metadata",
			args: join([]string{"--idp-metadata", "/nonexistent.xml"}, simpleArgs,
				[]string{"--request-id", simpleRequest, resp})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCmd(t, tt.args...)
			assert.Equal(t, tt.wantCode, code, "stdout: %s\nstderr: %s", stdout, stderr)
			assert.Contains(t, stderr, tt.wantErr)
			if tt.wantCode == exitBadUsage {
				assert.Empty(t, stdout)
			}
		})
	}
}

// TestRefusalsSayWhatToChange: the issue asks that "every refusal
// says what to change, and on which side". These are the refusals a new
// admin meets first with the README's own command.
func TestRefusalsSayWhatToChange(t *testing.T) {
	resp := "testdata/simplesamlphp-response.b64"
	tests := []struct {
		name string
		args []string
		want string // a hint the admin can act on in this command
	}{
		// The README example has no --now. A capture from an hour ago is
		// then "too old"; the line should point to --now.
		{name: "old capture without --now",
			args: join(simpleArgs[:6], []string{"--request-id", simpleRequest, resp}),
			want: "--now"},
		// --request-id is optional in the usage line, but an SP-initiated
		// response is refused without it, with a message about browsers and
		// expired requests that does not apply offline.
		{name: "SP-initiated response without --request-id",
			args: join(simpleArgs, []string{resp}), want: "--request-id"},
		{name: "IdP-initiated response without the flag",
			args: join(simpleArgs, []string{"testdata/simplesamlphp-response-idp-initiated.b64"}),
			want: "--allow-idp-initiated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCmd(t, tt.args...)
			assertRefusedOneLine(t, stdout, stderr, code, "")
			assert.Contains(t, stdout, tt.want)
		})
	}
}

// TestSamltestRefusals: fresh responses from the test IdP for the
// classic failures, each exit 1 naming the right check.
func TestSamltestRefusals(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	good, err := samltest.New(samltest.Config{EntityID: "https://idp.example.com", Now: clock})
	require.NoError(t, err)
	other, err := samltest.New(samltest.Config{EntityID: "https://idp.example.com", Now: clock})
	require.NoError(t, err)
	md, err := good.Metadata("https://idp.example.com/sso", "")
	require.NoError(t, err)
	mdFile := filepath.Join(dir, "idp.xml")
	require.NoError(t, os.WriteFile(mdFile, md, 0o600))

	write := func(p *samltest.IDP, name string, edit func(*samltest.ResponseOptions)) string {
		opts := samltest.ResponseOptions{Destination: "https://sp.example.com/acs",
			Audience: "https://sp.example.com", InResponseTo: "id-1", SignAssertion: true,
			Attributes: []saml.Attribute{{Name: "email", Values: []string{"bob@example.com"}}}}
		if edit != nil {
			edit(&opts)
		}
		form, err := p.PostValue(opts)
		require.NoError(t, err)
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(form), 0o600))
		return path
	}
	base := []string{"--idp-metadata", mdFile, "--sp-entity-id", "https://sp.example.com",
		"--acs-url", "https://sp.example.com/acs", "--request-id", "id-1",
		"--now", now.Add(time.Minute).Format(time.RFC3339)}

	tests := []struct {
		name  string
		file  string
		check string
	}{
		{name: "signed by another key", check: "signature",
			file: write(other, "other.b64", nil)},
		{name: "expired assertion", check: "",
			file: write(good, "expired.b64", func(o *samltest.ResponseOptions) {
				o.Lifetime = -time.Hour
			})},
		{name: "wrong audience", check: "audience",
			file: write(good, "aud.b64", func(o *samltest.ResponseOptions) {
				o.Audience = "https://evil.example.com"
			})},
		{name: "wrong issuer", check: "issuer",
			file: write(good, "iss.b64", func(o *samltest.ResponseOptions) {
				o.Issuer = "https://evil.example.com"
			})},
		{name: "unsigned", check: "",
			file: write(good, "unsigned.b64", func(o *samltest.ResponseOptions) {
				o.SignAssertion = false
			})},
		{name: "sha1", check: "algorithm",
			file: func() string {
				p, err := samltest.New(samltest.Config{EntityID: "https://idp.example.com",
					Now: clock, SignatureAlgorithm: "http://www.w3.org/2000/09/xmldsig#rsa-sha1"})
				require.NoError(t, err)
				md, err := p.Metadata("https://idp.example.com/sso", "")
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, "sha1-md.xml"), md, 0o600))
				return write(p, "sha1.b64", nil)
			}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := base
			if tt.name == "sha1" {
				args = join([]string{"--idp-metadata", filepath.Join(dir, "sha1-md.xml")},
					base[2:])
			}
			stdout, stderr, code := runCmd(t, append(args, tt.file)...)
			assertRefusedOneLine(t, stdout, stderr, code, tt.check)
		})
	}
}

// TestAcceptedTextIsLineSafe: through the command, a first name with a
// line break forges a line in the Test Configuration report.
func TestAcceptedTextIsLineSafe(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	p, err := samltest.New(samltest.Config{EntityID: "https://idp.example.com",
		Now: func() time.Time { return now }})
	require.NoError(t, err)
	md, err := p.Metadata("https://idp.example.com/sso", "")
	require.NoError(t, err)
	mdFile := filepath.Join(dir, "idp.xml")
	require.NoError(t, os.WriteFile(mdFile, md, 0o600))
	form, err := p.PostValue(samltest.ResponseOptions{Destination: "https://sp.example.com/acs",
		Audience: "https://sp.example.com", InResponseTo: "id-1", SignAssertion: true,
		Attributes: []saml.Attribute{
			{Name: "email", Values: []string{"bob@example.com"}},
			{Name: "firstName", Values: []string{"Bob\n  email:        ceo@corp.example"}}}})
	require.NoError(t, err)
	respFile := filepath.Join(dir, "r.b64")
	require.NoError(t, os.WriteFile(respFile, []byte(form), 0o600))

	stdout, stderr, code := runCmd(t, "--idp-metadata", mdFile, "--sp-entity-id",
		"https://sp.example.com", "--acs-url", "https://sp.example.com/acs", "--request-id",
		"id-1", "--now", now.Add(time.Minute).Format(time.RFC3339), respFile)
	require.Equal(t, exitOK, code, stderr)
	var emailLines int
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "email:") {
			emailLines++
		}
	}
	assert.Equal(t, 1, emailLines, "forged line in:\n%s", stdout)
}

// raceEnabled reports whether the test binary was built with -race, which
// slows the quadratic cases below about tenfold; they then use fewer
// attributes so that they still fail clearly but do not take a minute.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, st := range bi.Settings {
		if st.Key == "-race" {
			return st.Value == "true"
		}
	}
	return false
}

// manyAttributes returns n attributes with distinct short names, as
// ` za="" zb="" ...`, so that they are about 7 bytes each.
func manyAttributes(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b strings.Builder
	for i := 0; i < n; i++ {
		name := []byte{'z'}
		for j := i; ; j /= len(letters) {
			name = append(name, letters[j%len(letters)])
			if j < len(letters) {
				break
			}
		}
		b.WriteString(" " + string(name) + `=""`)
	}
	return b.String()
}

// pick returns normal, or underRace when the race detector is on.
func pick(normal, underRace int) int {
	if raceEnabled() {
		return underRace
	}
	return normal
}

// TestManyAttributesAnswerWithinASecond: the duplicate-attribute check in
// the saml package must not compare every attribute of an element with
// every earlier one: one element with ~31 000 attributes fits in the
// 512 KiB limit, and a quadratic check would cost seconds of CPU before any
// signature is checked, breaking the one-second promise of check-response
// and, on every POST to the ACS, opening an unauthenticated CPU-exhaustion
// vector.
func TestManyAttributesAnswerWithinASecond(t *testing.T) {
	good, err := os.ReadFile("testdata/simplesamlphp-response.xml")
	require.NoError(t, err)
	doc := bytes.Replace(good, []byte("<samlp:Response "),
		[]byte("<samlp:Response"+manyAttributes(pick(31000, 10000))+" "), 1)
	require.Less(t, len(doc), saml.DefaultMaxResponseSize)
	p := filepath.Join(t.TempDir(), "attrs.xml")
	require.NoError(t, os.WriteFile(p, doc, 0o600))

	for _, form := range []string{"xml", "base64"} {
		t.Run(form, func(t *testing.T) {
			file := p
			if form == "base64" {
				file = p + ".b64"
				require.NoError(t, os.WriteFile(file,
					[]byte(base64.StdEncoding.EncodeToString(doc)), 0o600))
			}
			start := time.Now()
			stdout, stderr, code := runCmd(t, join(simpleArgs,
				[]string{"--request-id", simpleRequest, file})...)
			assert.Less(t, time.Since(start), time.Second)
			assertRefusedOneLine(t, stdout, stderr, code, "")
		})
	}
}

// TestManyAttributesInMetadata: the same check runs on metadata, whose
// limit in the idp package is 5 MiB.
func TestManyAttributesInMetadata(t *testing.T) {
	good, err := os.ReadFile("testdata/simplesamlphp-metadata.xml")
	require.NoError(t, err)
	doc := bytes.Replace(good, []byte("<md:IDPSSODescriptor "),
		[]byte("<md:IDPSSODescriptor"+manyAttributes(pick(40000, 12000))+" "), 1)
	p := filepath.Join(t.TempDir(), "md.xml")
	require.NoError(t, os.WriteFile(p, doc, 0o600))

	start := time.Now()
	_, _, _ = runCmd(t, join([]string{"--idp-metadata", p}, simpleArgs[2:],
		[]string{"--request-id", simpleRequest, "testdata/simplesamlphp-response.b64"})...)
	assert.Less(t, time.Since(start), time.Second)
}

// TestWrongMetadataSaysSo: the most common mix-up is checking a response
// against another IdP's metadata (a second tenant, staging versus
// production). The line names the Issuer mismatch (the Issuer is checked
// before the signature) with the two entity IDs, instead of only saying
// that the signature does not verify.
func TestWrongMetadataSaysSo(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	prod, err := samltest.New(samltest.Config{EntityID: "https://idp.example.com/prod",
		Now: clock})
	require.NoError(t, err)
	staging, err := samltest.New(samltest.Config{EntityID: "https://idp.example.com/staging",
		Now: clock})
	require.NoError(t, err)
	md, err := prod.Metadata("https://idp.example.com/sso", "")
	require.NoError(t, err)
	mdFile := filepath.Join(dir, "prod.xml")
	require.NoError(t, os.WriteFile(mdFile, md, 0o600))
	form, err := staging.PostValue(samltest.ResponseOptions{
		Destination: "https://sp.example.com/acs", Audience: "https://sp.example.com",
		InResponseTo: "id-1", SignResponse: true, SignAssertion: true,
		Attributes: []saml.Attribute{{Name: "email", Values: []string{"bob@example.com"}}}})
	require.NoError(t, err)
	respFile := filepath.Join(dir, "staging.b64")
	require.NoError(t, os.WriteFile(respFile, []byte(form), 0o600))

	stdout, stderr, code := runCmd(t, "--idp-metadata", mdFile, "--sp-entity-id",
		"https://sp.example.com", "--acs-url", "https://sp.example.com/acs", "--request-id",
		"id-1", "--now", now.Add(time.Minute).Format(time.RFC3339), respFile)
	assertRefusedOneLine(t, stdout, stderr, code, "")
	assert.Contains(t, stdout, "https://idp.example.com/staging")
}

// TestEncryptedSPKey: an SP key protected by a passphrase ("ENCRYPTED
// PRIVATE KEY", what openssl genpkey -aes256 writes) is reported as
// encrypted, with how to decrypt it, not as "no PRIVATE KEY PEM block".
func TestEncryptedSPKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "enc.key")
	require.NoError(t, os.WriteFile(p, pemBlock("ENCRYPTED PRIVATE KEY",
		bytes.Repeat([]byte{0x30}, 64)), 0o600))

	stdout, stderr, code := runCmd(t, join(simpleArgs, []string{"--sp-key", p,
		"--request-id", simpleRequest, "testdata/simplesamlphp-response.b64"})...)
	assert.Equal(t, exitBadUsage, code)
	assert.Empty(t, stdout)
	// The temporary path holds the test's name; look only at the rest.
	assert.Contains(t, strings.ToLower(strings.ReplaceAll(stderr, p, "")), "encrypted")
}

func pemBlock(typ string, der []byte) []byte {
	return []byte("-----BEGIN " + typ + "-----\n" +
		base64.StdEncoding.EncodeToString(der) + "\n-----END " + typ + "-----\n")
}

// TestGoogleWithGoogleMetadata: Google Workspace's default app sends no
// attributes and the primary email as an unspecified-format NameID, which
// only the Google preset accepts as the email address. check-response takes
// --preset NAME (default generic, like an IdP configured without one), and
// the generic refusal points to it.
func TestGoogleWithGoogleMetadata(t *testing.T) {
	stdout, stderr, code := runCmd(t, join(googleArgs, []string{"--now",
		"2016-01-05T16:56:00Z", "--preset", "google", "testdata/google-response.b64"})...)
	assert.Equal(t, exitOK, code, "stdout: %s\nstderr: %s", stdout, stderr)

	stdout, stderr, code = runCmd(t, join(googleArgs, []string{"--now",
		"2016-01-05T16:56:00Z", "testdata/google-response.b64"})...)
	assertRefusedOneLine(t, stdout, stderr, code, "mapping")
	assert.Contains(t, stdout, "--preset google")
}

// TestTooOldNamesTheRightCheck: an assertion valid for 24 hours, checked
// one hour after issue, is refused for the verifier's own limit on the
// IssueInstant's age, under a check of its own, not "not_on_or_after":
// NotOnOrAfter is 23 hours away, and the admin would look at the IdP's
// assertion lifetime, which is not the problem.
func TestTooOldNamesTheRightCheck(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	p, err := samltest.New(samltest.Config{EntityID: "https://idp.example.com",
		Now: func() time.Time { return now }})
	require.NoError(t, err)
	md, err := p.Metadata("https://idp.example.com/sso", "")
	require.NoError(t, err)
	mdFile := filepath.Join(dir, "idp.xml")
	require.NoError(t, os.WriteFile(mdFile, md, 0o600))
	form, err := p.PostValue(samltest.ResponseOptions{Destination: "https://sp.example.com/acs",
		Audience: "https://sp.example.com", InResponseTo: "id-1", SignAssertion: true,
		Lifetime:   24 * time.Hour,
		Attributes: []saml.Attribute{{Name: "email", Values: []string{"bob@example.com"}}}})
	require.NoError(t, err)
	respFile := filepath.Join(dir, "r.b64")
	require.NoError(t, os.WriteFile(respFile, []byte(form), 0o600))

	stdout, stderr, code := runCmd(t, "--idp-metadata", mdFile, "--sp-entity-id",
		"https://sp.example.com", "--acs-url", "https://sp.example.com/acs", "--request-id",
		"id-1", "--now", now.Add(time.Hour).Format(time.RFC3339), respFile)
	assertRefusedOneLine(t, stdout, stderr, code, "")
	assert.NotContains(t, stdout, "refused: not_on_or_after:")
}

// TestFlagsAddedForHints covers the flags that refusals point to:
// --idp-entity-id, --preset, --email-attribute and --allow-sha1, and the
// empty RESPONSE_FILE.
func TestFlagsAddedForHints(t *testing.T) {
	dir := t.TempDir()
	body := simpleMetadataAs(t, "")
	other := simpleMetadataAs(t, "https://other.example.com/idp")
	federation := filepath.Join(dir, "federation.xml")
	require.NoError(t, os.WriteFile(federation, append(append(append([]byte(
		`<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">`),
		other...), body...), []byte(`</md:EntitiesDescriptor>`)...), 0o600))
	empty := filepath.Join(dir, "empty.b64")
	require.NoError(t, os.WriteFile(empty, []byte("\xef\xbb\xbf\r\n"), 0o600))
	resp := "testdata/simplesamlphp-response.b64"
	fed := join([]string{"--idp-metadata", federation}, simpleArgs[2:],
		[]string{"--request-id", simpleRequest})

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantCheck  string // for exit 1
		wantStdout string
		wantStderr string
	}{
		{name: "--idp-entity-id picks the entity the response comes from",
			args: join(fed, []string{"--idp-entity-id",
				"http://127.0.0.1:9101/saml2/idp/metadata.php", resp}),
			wantCode: exitOK, wantStdout: "OK: sign-in would succeed"},
		{name: "--idp-entity-id naming another IdP refuses the Issuer",
			args:     join(fed, []string{"--idp-entity-id", "https://other.example.com/idp", resp}),
			wantCode: exitRefused, wantCheck: "issuer", wantStdout: "https://other.example.com/idp"},
		{name: "--idp-entity-id not in the metadata is bad usage",
			args:     join(fed, []string{"--idp-entity-id", "https://nobody.example.com", resp}),
			wantCode: exitBadUsage, wantStderr: "https://nobody.example.com"},
		{name: "unknown --preset lists the presets",
			args:     join(simpleArgs, []string{"--request-id", simpleRequest, "--preset", "okta2", resp}),
			wantCode: exitBadUsage, wantStderr: "generic, okta, entra"},
		{name: "--preset simplesamlphp maps the sample",
			args: join(simpleArgs, []string{"--request-id", simpleRequest, "--preset",
				"simplesamlphp", resp}),
			wantCode: exitOK, wantStdout: "preset simplesamlphp"},
		{name: "--email-attribute naming a missing attribute",
			args: join(googleArgs, []string{"--now", "2016-01-05T16:56:00Z",
				"--email-attribute", "workEmail", "testdata/google-response.b64"}),
			wantCode: exitRefused, wantCheck: "mapping",
			wantStdout: "check the name given to --email-attribute"},
		{name: "--email-attribute naming the email attribute",
			args: join(simpleArgs, []string{"--request-id", simpleRequest, "--email-attribute",
				"email", resp}),
			wantCode: exitOK, wantStdout: "[from email]"},
		{name: "a file with only a byte-order mark is empty",
			args:     join(simpleArgs, []string{"--request-id", simpleRequest, empty}),
			wantCode: exitRefused, wantCheck: "size", wantStdout: "is empty"},
		{name: "a bool flag given twice", wantCode: exitBadUsage,
			wantStderr: "--allow-idp-initiated given more than once",
			args: join(simpleArgs, []string{"--allow-idp-initiated", "--request-id",
				simpleRequest, resp, "--allow-idp-initiated=false"})},
		{name: "--preset given empty", wantCode: exitBadUsage,
			wantStderr: "--preset needs a non-empty value",
			args:       join(simpleArgs, []string{"--preset=", "--request-id", simpleRequest, resp})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCmd(t, tt.args...)
			require.Equal(t, tt.wantCode, code, "stdout: %s\nstderr: %s", stdout, stderr)
			switch code {
			case exitRefused:
				assertRefusedOneLine(t, stdout, stderr, code, tt.wantCheck)
			case exitBadUsage:
				assert.Empty(t, stdout)
			}
			assert.Contains(t, stdout, tt.wantStdout)
			assert.Contains(t, stderr, tt.wantStderr)
		})
	}
}

// TestSHA1Hint: a SHA-1 signature is refused with a pointer to
// --allow-sha1, and accepted with it.
func TestSHA1Hint(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	p, err := samltest.New(samltest.Config{EntityID: "https://idp.example.com",
		Now: func() time.Time { return now }, SignatureAlgorithm: saml.AlgRSASHA1})
	require.NoError(t, err)
	md, err := p.Metadata("https://idp.example.com/sso", "")
	require.NoError(t, err)
	mdFile := filepath.Join(dir, "idp.xml")
	require.NoError(t, os.WriteFile(mdFile, md, 0o600))
	form, err := p.PostValue(samltest.ResponseOptions{Destination: "https://sp.example.com/acs",
		Audience: "https://sp.example.com", InResponseTo: "id-1", SignAssertion: true,
		Attributes: []saml.Attribute{{Name: "email", Values: []string{"bob@example.com"}}}})
	require.NoError(t, err)
	respFile := filepath.Join(dir, "r.b64")
	require.NoError(t, os.WriteFile(respFile, []byte(form), 0o600))
	args := []string{"--idp-metadata", mdFile, "--sp-entity-id", "https://sp.example.com",
		"--acs-url", "https://sp.example.com/acs", "--request-id", "id-1",
		"--now", now.Add(time.Minute).Format(time.RFC3339)}

	stdout, stderr, code := runCmd(t, append(args, respFile)...)
	assertRefusedOneLine(t, stdout, stderr, code, "algorithm")
	assert.Contains(t, stdout, "pass --allow-sha1")

	stdout, stderr, code = runCmd(t, append(args, "--allow-sha1", respFile)...)
	assert.Equal(t, exitOK, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.Contains(t, stdout, "RSA-SHA1")
}

// TestLegacyEncryptedSPKey: an old-style encrypted PEM key (Proc-Type
// header) is reported as encrypted too.
func TestLegacyEncryptedSPKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "legacy.key")
	require.NoError(t, os.WriteFile(p, []byte("-----BEGIN RSA PRIVATE KEY-----\n"+
		"Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\n"+
		base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x30}, 64))+
		"\n-----END RSA PRIVATE KEY-----\n"), 0o600))

	stdout, stderr, code := runCmd(t, join(simpleArgs, []string{"--sp-key", p,
		"--request-id", simpleRequest, "testdata/simplesamlphp-response.b64"})...)
	assert.Equal(t, exitBadUsage, code)
	assert.Empty(t, stdout)
	assert.Contains(t, strings.ReplaceAll(stderr, p, ""), "encrypted with a passphrase")
}
