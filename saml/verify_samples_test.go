package saml

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleCase is one captured response from a real IdP, with the SP
// configuration it was issued for. See ../shared/samples/README.md for where
// each came from and why it is expected to pass or fail.
type sampleCase struct {
	name       string
	file       string // under testdata/samples; .b64 is a form value, .xml raw
	cert       string // PEM file, or metadata/XML file whose first X509Certificate is used
	idp        string
	sp         string
	acs        string
	requestID  string
	now        string
	configure  func(*VerifierConfig)
	wantCheck  Check  // empty: accepted
	wantNameID string // when accepted
	wantAttr   [2]string
}

func TestVerifyRealIDPSamples(t *testing.T) {
	const (
		ngrokSP  = "https://29ee6d2e.ngrok.io/saml/metadata"
		ngrokACS = "https://29ee6d2e.ngrok.io/saml/acs"
	)
	allowSHA1 := func(c *VerifierConfig) { c.InsecureAllowSHA1 = true }
	oktaSPKey := vSampleKey(t, "okta-encrypted-sp-key.pem")
	withOktaSPKey := func(c *VerifierConfig) { c.DecryptionKeys = []*rsa.PrivateKey{oktaSPKey} }
	cases := []sampleCase{
		{
			name: "google response-signed", file: "google-response.b64", cert: "google-idp-metadata.xml",
			idp: "https://accounts.google.com/o/saml2?idpid=C02dfl1r1", sp: ngrokSP, acs: ngrokACS,
			requestID: "id-fd419a5ab0472645427f8e07d87a3a5dd0b2e9a6", now: "2016-01-05T16:56:00Z",
			wantNameID: "ross@octolabs.io", wantAttr: [2]string{"firstName", "Ross"},
		},
		{
			name: "onelogin sha1 refused by default", file: "onelogin-response.b64",
			cert: "onelogin-idp-metadata.xml", idp: "https://app.onelogin.com/saml/metadata/503983",
			sp: ngrokSP, acs: ngrokACS, requestID: "id-d40c15c104b52691eccf0a2a5c8a15595be75423",
			now: "2016-01-05T17:53:30Z", wantCheck: CheckAlgorithm,
		},
		{
			name: "onelogin sha1 allowed", file: "onelogin-response.b64",
			cert: "onelogin-idp-metadata.xml", idp: "https://app.onelogin.com/saml/metadata/503983",
			sp: ngrokSP, acs: ngrokACS, requestID: "id-d40c15c104b52691eccf0a2a5c8a15595be75423",
			now: "2016-01-05T17:53:30Z", configure: allowSHA1,
			wantNameID: "ross@kndr.org", wantAttr: [2]string{"User.FirstName", "Ross"},
		},
		{
			name: "onelogin toolkit cert not yet valid", file: "onelogin-samltool-response.b64",
			cert: "onelogin-samltool-idp-metadata.xml", idp: "http://idp.example.com/metadata.php",
			sp: "http://sp.example.com/demo1/metadata.php", acs: "http://sp.example.com/demo1/index.php?acs",
			requestID: "ONELOGIN_4fee3b046395c4e751011e97f8900b5273d56685", now: "2014-07-17T01:02:00Z",
			configure: allowSHA1, wantCheck: CheckCertificate,
		},
		{
			name: "onelogin toolkit assertion-signed", file: "onelogin-samltool-response.b64",
			cert: "onelogin-samltool-idp-metadata.xml", idp: "http://idp.example.com/metadata.php",
			sp: "http://sp.example.com/demo1/metadata.php", acs: "http://sp.example.com/demo1/index.php?acs",
			requestID: "ONELOGIN_4fee3b046395c4e751011e97f8900b5273d56685", now: "2014-07-17T01:02:00Z",
			configure: func(c *VerifierConfig) {
				c.InsecureAllowSHA1, c.InsecureIgnoreCertificateExpiry = true, true
			},
			wantAttr: [2]string{"mail", "test@example.com"},
		},
		{
			name: "okta both signed", file: "okta-response.xml", cert: "okta-cert.pem",
			idp: "http://www.okta.com/exk659aytfMeNI49v0h7", sp: `"123"`,
			acs: "http://localhost:8080/v1/_saml_callback", requestID: "_15f66d2d-628b-4d9b-a99e-089d8da862e1",
			now: "2016-07-25T23:20:30Z", wantNameID: "russellhaering",
			wantAttr: [2]string{"username", "russell.haering@scaleft.com"},
		},
		{
			name: "okta encrypted without SP key", file: "okta-encrypted-response.b64",
			cert: "okta-encrypted-idp-metadata.xml", idp: "http://www.okta.com/exkppsa1qwuFV4D7z0h7",
			sp: "http://localhost:8000/saml/metadata", acs: "http://localhost:8000/saml/acs",
			requestID: "id-a7364d1e4432aa9085a7a8bd824ea2fa8fa8f684", now: "2020-03-03T19:24:30Z",
			wantCheck: CheckDecryption,
		},
		{
			name: "okta encrypted assertion, response signed", file: "okta-encrypted-response.b64",
			cert: "okta-encrypted-idp-metadata.xml", idp: "http://www.okta.com/exkppsa1qwuFV4D7z0h7",
			sp: "http://localhost:8000/saml/metadata", acs: "http://localhost:8000/saml/acs",
			requestID: "id-a7364d1e4432aa9085a7a8bd824ea2fa8fa8f684", now: "2020-03-03T19:24:30Z",
			configure: withOktaSPKey,
		},
		{
			name: "okta encrypted assertion, both signed", file: "okta-both-signed-encrypted-response.b64",
			cert: "okta-encrypted-idp-metadata.xml", idp: "http://www.okta.com/exkppsa1qwuFV4D7z0h7",
			sp: "http://localhost:8000/saml/metadata", acs: "http://localhost:8000/saml/acs",
			requestID: "id-953d4cab69ff475c5901d12e585b0bb15a7b85fe", now: "2020-03-03T19:40:55Z",
			configure: withOktaSPKey,
		},
		{
			name: "okta encrypted assertion, wrong SP key", file: "okta-both-signed-encrypted-response.b64",
			cert: "okta-encrypted-idp-metadata.xml", idp: "http://www.okta.com/exkppsa1qwuFV4D7z0h7",
			sp: "http://localhost:8000/saml/metadata", acs: "http://localhost:8000/saml/acs",
			requestID: "id-953d4cab69ff475c5901d12e585b0bb15a7b85fe", now: "2020-03-03T19:40:55Z",
			configure: func(c *VerifierConfig) { vKeys(t); c.DecryptionKeys = []*rsa.PrivateKey{vSPKey} },
			wantCheck: CheckDecryption,
		},
		{
			name: "adfs assertion-signed", file: "adfs-response.b64", cert: "adfs-cert.pem",
			idp:       "http://fs.spstest2.com/adfs/services/trust",
			sp:        "https://saml.test.nope/session/sso/saml/spentityid/dknhyszjl7",
			acs:       "https://saml.test.nope/session/sso/saml/acs/dknhyszjl7",
			requestID: "_5988bf45-1cc8-4228-b3e8-1aa8590e63d3", now: "2017-09-21T23:28:00Z",
			wantNameID: "paul@spstest2.com",
			wantAttr:   [2]string{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "paul"},
		},
		{
			name: "pingfederate response-signed without KeyInfo", file: "pingfed-response-01.b64",
			cert: "pingfed-cert.pem", idp: "https://saml.test.nope:9031/eid/sxpmrhbkzn",
			sp:        "https://saml.test.nope/session/sso/saml/spentityid/hp24dqnpvq",
			acs:       "https://saml.test.nope/session/sso/saml/acs/hp24dqnpvq",
			requestID: "_27242a27-9aea-40d6-b603-c1d6daa198d4", now: "2017-09-02T00:12:30Z",
			wantNameID: "firstlast@saml.test.nope", wantAttr: [2]string{"group", "red,green,blue"},
		},
		{
			name: "pingfederate without Destination", file: "pingfed-response-03.b64",
			cert: "pingfed-cert.pem", idp: "https://saml.test.nope:9031/eid/sxpmrhbkzn",
			sp:        "https://saml.test.nope/session/sso/saml/spentityid/hp24dqnpvq",
			acs:       "https://saml.test.nope/session/sso/saml/acs/hp24dqnpvq",
			requestID: "_5ff4ed23-bf22-4287-85a3-8b64948ad9f0", now: "2017-09-01T21:25:00Z",
			wantNameID: "firstlast@saml.test.nope",
		},
		{
			name: "mojeid pysaml2 rsa-sha512", file: "mojeid-response.xml", cert: "mojeid-response.xml",
			idp: "https://mojeid.regtest.nic.cz/saml/idp.xml", sp: "urn:microsoft:cgg2010:fpsts",
			acs:       "https://tnia.eidentita.cz/fpsts/processRequest.aspx",
			requestID: "ida5714d006fcc430c92aacf34ab30b166", now: "2019-04-08T10:31:00Z",
		},
		{
			name: "node-saml CRLF sample fails strict checks", cert: "response.root-signed.assertion-unsigned-13.xml",
			file: "response.root-signed.assertion-unsigned-13.xml", idp: "https://evil-corp.com",
			sp: "https://evil-corp.com", acs: "https://evil-corp.madness.com/sso/callback",
			requestID: "_e8df3fe5f04237d25670", now: "2020-09-25T16:59:00Z",
			configure: func(c *VerifierConfig) {
				c.InsecureAllowSHA1, c.InsecureIgnoreCertificateExpiry = true, true
			},
			wantCheck: CheckIssueInstant, // the Response was issued five years earlier
		},
		{
			name: "entra bare assertion is not a Response", file: "entra-assertion.xml",
			cert: "entra-assertion.xml", idp: "https://sts.windows.net/add29489-7269-41f4-8841-b63c95564420/",
			sp: "spn:fe78e0b4-6fe7-47e6-812c-fb75cee266a4", acs: "https://example.com/acs",
			now: "2017-03-20T15:53:00Z", wantCheck: CheckSchema,
		},
	}
	cases = append(cases, interopCases(t)...)

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := vMustTime(t, tc.now)
			cfg := VerifierConfig{
				SPEntityID:      tc.sp,
				ACSURLs:         []string{tc.acs},
				IDPEntityID:     tc.idp,
				IDPCertificates: []*x509.Certificate{vSampleCert(t, tc.cert)},
				Now:             func() time.Time { return now },
			}
			if tc.configure != nil {
				tc.configure(&cfg)
			}
			v, err := NewVerifier(cfg)
			require.NoError(t, err)

			var reqIDs []string
			if tc.requestID != "" {
				reqIDs = []string{tc.requestID}
			}
			a, err := verifySample(v, tc.file, reqIDs)
			if tc.wantCheck != "" {
				requireFailed(t, err, tc.wantCheck)
				return
			}
			require.NoError(t, err)
			if tc.wantNameID != "" {
				assert.Equal(t, tc.wantNameID, a.Subject.Value)
			}
			if tc.wantAttr[0] != "" {
				at, ok := a.Attribute(tc.wantAttr[0])
				require.True(t, ok, "attribute %s missing", tc.wantAttr[0])
				require.NotEmpty(t, at.Values)
				assert.Equal(t, tc.wantAttr[1], at.Values[0])
			}
			assert.True(t, a.ResponseSigned || a.AssertionSigned)
			assert.NotEmpty(t, a.ID)

			// The same response a second time is a replay.
			_, err = verifySample(v, tc.file, reqIDs)
			requireFailed(t, err, CheckReplay)
		})
	}
}

// interopCases are the responses captured from seven IdPs that nobody on
// the team wrote, SP-initiated and IdP-initiated (../shared/interop).
func interopCases(t *testing.T) []sampleCase {
	t.Helper()
	idps := map[string]string{
		"simplesamlphp":   "http://127.0.0.1:9101/saml2/idp/metadata.php",
		"pysaml2":         "http://127.0.0.1:9102/idp/metadata",
		"lasso":           "http://127.0.0.1:9103/idp/metadata",
		"saml-idp":        "http://127.0.0.1:9104/metadata",
		"samlify":         "http://127.0.0.1:9105/idp/metadata",
		"crewjam-samlidp": "http://127.0.0.1:9106/metadata",
		"lemonldap-ng":    "http://127.0.0.1:9107/saml/metadata",
	}
	var out []sampleCase
	for name, issuer := range idps {
		base := sampleCase{
			cert: "interop-" + name + "-idp.crt", idp: issuer,
			sp: "http://127.0.0.1:8080/saml/metadata", acs: "http://127.0.0.1:8080/saml/acs",
			wantNameID: "alice@example.com",
		}
		sp := base
		sp.name, sp.file = "interop "+name+" SP-initiated", "interop-"+name+"-response.b64"
		sp.requestID = interopRequestID(t, name)
		sp.now = issueInstant(t, sp.file).Add(10 * time.Second).Format(time.RFC3339Nano)

		idpInit := base
		idpInit.name = "interop " + name + " IdP-initiated"
		idpInit.file = "interop-" + name + "-response-idp-initiated.b64"
		idpInit.now = issueInstant(t, idpInit.file).Add(10 * time.Second).Format(time.RFC3339Nano)
		idpInit.configure = func(c *VerifierConfig) { c.AllowIDPInitiated = true }

		refused := idpInit
		refused.name = "interop " + name + " IdP-initiated refused by default"
		refused.configure, refused.wantCheck = nil, CheckUnsolicited

		out = append(out, sp, idpInit, refused)
	}
	return out
}

func verifySample(v *Verifier, file string, reqIDs []string) (*Assertion, error) {
	data, err := os.ReadFile(filepath.Join("testdata", "samples", file))
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(file, ".b64") {
		return v.Verify(context.Background(), data, reqIDs)
	}
	return v.VerifyXML(context.Background(), data, reqIDs)
}

var (
	x509Text    = regexp.MustCompile(`(?s)<(?:\w+:)?X509Certificate>(.*?)</`)
	issueInstRE = regexp.MustCompile(`IssueInstant="([^"]+)"`)
	requestIDRE = regexp.MustCompile(`"in_response_to":\s*"([^"]+)"`)
)

// vSampleCert loads a PEM certificate, or the first X509Certificate of an
// XML file (metadata, or a message whose KeyInfo the test trusts out of
// band).
func vSampleCert(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "samples", file))
	require.NoError(t, err)
	var der []byte
	if b, _ := pem.Decode(data); b != nil {
		der = b.Bytes
	} else {
		m := x509Text.FindSubmatch(data)
		require.NotNil(t, m, "no X509Certificate in %s", file)
		der, err = decodeBase64(strings.ReplaceAll(string(m[1]), "&#13;", ""))
		require.NoError(t, err)
	}
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}

// vSampleKey loads a PEM private key (PKCS#1 or PKCS#8) from the samples.
func vSampleKey(t *testing.T, file string) *rsa.PrivateKey {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "samples", file))
	require.NoError(t, err)
	b, _ := pem.Decode(data)
	require.NotNil(t, b)
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	require.NoError(t, err)
	return k.(*rsa.PrivateKey)
}

func issueInstant(t *testing.T, file string) time.Time {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "samples", file))
	require.NoError(t, err)
	doc, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	require.NoError(t, err)
	m := issueInstRE.FindSubmatch(doc)
	require.NotNil(t, m)
	return vMustTime(t, string(m[1]))
}

func interopRequestID(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "samples", "interop-"+name+"-login-meta.json"))
	require.NoError(t, err)
	m := requestIDRE.FindSubmatch(raw)
	require.NotNil(t, m)
	return string(m[1])
}

func vMustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return tm
}

// requireFailed asserts that err is a *ValidationError for check c.
func requireFailed(t *testing.T, err error, c Check) {
	t.Helper()
	require.Error(t, err)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve, "error %v is not a ValidationError", err)
	assert.Equal(t, c, ve.Check, "error: %v", err)
}
