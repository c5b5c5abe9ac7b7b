package idp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
)

func TestParseCertificates(t *testing.T) {
	now := time.Now()
	a := newKeyPair(t, "a", now.Add(-time.Hour), now.Add(time.Hour)).cert
	b := newKeyPair(t, "b", now.Add(-time.Hour), now.Add(time.Hour)).cert
	b64 := certBase64(a)
	wrapped := func(s string, n int, sep string) string {
		var parts []string
		for len(s) > n {
			parts = append(parts, s[:n])
			s = s[n:]
		}
		return strings.Join(append(parts, s), sep)
	}

	tests := []struct {
		name string
		text string
		want []*x509.Certificate
	}{
		{name: "pem", text: certPEM(a), want: []*x509.Certificate{a}},
		{name: "pem with crlf", text: strings.ReplaceAll(certPEM(a), "\n", "\r\n"),
			want: []*x509.Certificate{a}},
		{name: "pem indented", text: "\n\n  " + strings.ReplaceAll(certPEM(a), "\n", "\n    "),
			want: []*x509.Certificate{a}},
		{name: "bare base64", text: b64, want: []*x509.Certificate{a}},
		{name: "base64 wrapped at 64 with crlf", text: wrapped(b64, 64, "\r\n"),
			want: []*x509.Certificate{a}},
		{name: "base64 with spaces and tabs", text: "  " + wrapped(b64, 76, " \t") + "\n",
			want: []*x509.Certificate{a}},
		{name: "base64 with xml carriage returns", text: wrapped(b64, 64, "&#13;\n"),
			want: []*x509.Certificate{a}},
		{name: "two pem certificates during rollover", text: certPEM(a) + "\n" + certPEM(b),
			want: []*x509.Certificate{a, b}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCertificates(tt.text)
			require.NoError(t, err)
			require.Len(t, got, len(tt.want))
			for i := range got {
				assert.True(t, got[i].Equal(tt.want[i]), "certificate %d", i)
			}
		})
	}
}

func TestParseCertificatesRefused(t *testing.T) {
	now := time.Now()
	a := newKeyPair(t, "a", now.Add(-time.Hour), now.Add(time.Hour))
	pemA := certPEM(a.cert)
	tests := []struct {
		name     string
		text     string
		wantText string
	}{
		{name: "empty", text: "  \r\n ", wantText: "empty"},
		{name: "not base64", text: "hello world!", wantText: "base64"},
		{name: "base64 of garbage", text: "aGVsbG8gd29ybGQ=", wantText: "X.509"},
		{name: "truncated pem", text: pemA[:len(pemA)-40], wantText: "PEM"},
		{name: "pem then junk", text: pemA + "junk", wantText: "after certificate 1"},
		{name: "private key",
			text:     "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
			wantText: "certificate 1"},
		{name: "too large", text: strings.Repeat("A", maxCertificateText+1), wantText: "larger"},
		{name: "too many", text: strings.Repeat(pemA, maxPastedCertificates+1), wantText: "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCertificates(tt.text)
			require.Error(t, err)
			assert.Nil(t, got)
			assert.Contains(t, err.Error(), tt.wantText)
			assert.True(t, strings.HasPrefix(err.Error(), "idp: "), err.Error())
		})
	}
}

func TestParseCertificatesErrorIsValidationError(t *testing.T) {
	_, err := ParseCertificates("aGVsbG8=")
	var ve *saml.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, saml.CheckCertificate, ve.Check)
}

func TestConfigWarnings(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name      string
		from, to  time.Time
		edit      func(c *Config)
		wantField string
		wantText  []string
	}{
		{name: "valid for a year", from: now.Add(-day), to: now.Add(365 * day)},
		{name: "exactly 30 days left", from: now.Add(-day), to: now.Add(30 * day)},
		{name: "expires in 10 days", from: now.Add(-day), to: now.Add(10*day + time.Hour),
			wantField: "SigningCertificates",
			wantText:  []string{"expires on 2026-06-11", "in 10 days", `"cert"`}},
		{name: "expired", from: now.Add(-400 * day), to: now.Add(-day),
			wantField: "SigningCertificates", wantText: []string{"expired on 2026-05-31"}},
		{name: "not yet valid", from: now.Add(day), to: now.Add(365 * day),
			wantField: "SigningCertificates", wantText: []string{"not valid until"}},
		{name: "sha1 allowed", from: now.Add(-day), to: now.Add(365 * day),
			edit: func(c *Config) { c.InsecureAllowSHA1 = true }, wantField: "InsecureAllowSHA1",
			wantText: []string{"RSA-SHA256"}},
		{name: "rsa1_5 allowed", from: now.Add(-day), to: now.Add(365 * day),
			edit: func(c *Config) { c.InsecureAllowRSA15 = true }, wantField: "InsecureAllowRSA15",
			wantText: []string{"OAEP"}},
		{name: "expiry ignored", from: now.Add(-day), to: now.Add(365 * day),
			edit:      func(c *Config) { c.InsecureIgnoreCertificateExpiry = true },
			wantField: "InsecureIgnoreCertificateExpiry", wantText: []string{"expired"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{SigningCertificates: []*x509.Certificate{
				newKeyPair(t, "cert", tt.from, tt.to).cert}}
			if tt.edit != nil {
				tt.edit(c)
			}
			ws := c.Warnings(now)
			if tt.wantField == "" {
				assert.Empty(t, ws)
				return
			}
			require.Len(t, ws, 1, "%v", ws)
			assert.Equal(t, tt.wantField, ws[0].Field)
			for _, s := range tt.wantText {
				assert.Contains(t, ws[0].Msg, s)
			}
		})
	}
}

// testdataCert reads a certificate from testdata.
func testdataCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	c, err := ParseCertificates(string(readTestdata(t, name)))
	require.NoError(t, err)
	require.Len(t, c, 1)
	return c[0]
}

// TestConfigWarnsWeakRSA: a 1024-bit RSA key is accepted with a warning;
// a 512-bit one is refused by Validate (TestValidate), not warned about.
func TestConfigWarnsWeakRSA(t *testing.T) {
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC) // within the fixtures' validity
	legacy := testdataCert(t, "rsa1024-cert.pem")
	c := &Config{SigningCertificates: []*x509.Certificate{legacy}}
	ws := c.Warnings(now)
	require.Len(t, ws, 1, "%v", ws)
	assert.Contains(t, ws[0].Msg, `signing certificate "legacy-idp.example" has a 1024-bit RSA key`)

	strong := newKeyPair(t, "strong", now.Add(-time.Hour), now.Add(1000*time.Hour)).cert
	c.SigningCertificates = []*x509.Certificate{strong}
	assert.Empty(t, c.Warnings(now))
	c.SigningCertificates = []*x509.Certificate{testdataCert(t, "rsa512-cert.pem")}
	assert.Empty(t, c.Warnings(now), "refused by Validate instead")
}

func TestConfigWarningsNumbersCertificates(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ok := newKeyPair(t, "new", now.Add(-time.Hour), now.Add(1000*time.Hour)).cert
	old := newKeyPair(t, "old", now.Add(-1000*time.Hour), now.Add(-time.Hour)).cert
	c := &Config{SigningCertificates: []*x509.Certificate{ok, old, nil}}
	ws := c.Warnings(now)
	require.Len(t, ws, 1)
	assert.Contains(t, ws[0].Msg, `signing certificate 2 of 3 ("old") expired`)
	assert.Equal(t, "SigningCertificates: "+ws[0].Msg, ws[0].String())
}

func TestParseCertificatesOddPastes(t *testing.T) {
	now := time.Now()
	kp := newKeyPair(t, "review-idp", now.Add(-time.Hour), now.Add(time.Hour))
	kp2 := newKeyPair(t, "review-idp-next", now.Add(-time.Hour), now.Add(time.Hour))
	one := certPEM(kp.cert)
	two := certPEM(kp2.cert)
	bare := certBase64(kp.cert)

	tests := []struct {
		name string
		text string
		want []*x509.Certificate
	}{
		{name: "PEM with CRLF", text: strings.ReplaceAll(one, "\n", "\r\n"),
			want: []*x509.Certificate{kp.cert}},
		{name: "PEM indented by an email client", text: "    " +
			strings.ReplaceAll(one, "\n", "\n    "), want: []*x509.Certificate{kp.cert}},
		{name: "two PEM certificates during a rollover", text: one + "\n" + two,
			want: []*x509.Certificate{kp.cert, kp2.cert}},
		{name: "openssl x509 -text output before the PEM", text: "Certificate:\n" +
			"    Data:\n        Version: 3 (0x2)\n" + one, want: []*x509.Certificate{kp.cert}},
		{name: "bare base64 wrapped with CRLF and spaces", text: " " + bare[:64] + "\r\n " +
			bare[64:128] + "\r\n" + bare[128:] + "\r\n", want: []*x509.Certificate{kp.cert}},
		{name: "bare base64 with &#13; from an XML copy", text: bare[:64] + "&#13;\n" +
			bare[64:], want: []*x509.Certificate{kp.cert}},
		// A single-line text field, a chat tool or a PDF turns the PEM's line
		// breaks into spaces. "Any whitespace" should include that.
		{name: "PEM whose line breaks became spaces", text: strings.Join(
			strings.Fields(one), " "), want: []*x509.Certificate{kp.cert}},
		// Classic Mac OS and some web forms end lines with a bare CR.
		{name: "PEM with bare CR line ends", text: strings.ReplaceAll(one, "\n", "\r"),
			want: []*x509.Certificate{kp.cert}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCertificates(tt.text)
			require.NoError(t, err)
			require.Len(t, got, len(tt.want))
			for i := range tt.want {
				assert.True(t, tt.want[i].Equal(got[i]), "certificate %d", i+1)
			}
		})
	}
}

func TestParseCertificatesMistakes(t *testing.T) {
	now := time.Now()
	kp := newKeyPair(t, "review-idp", now.Add(-time.Hour), now.Add(time.Hour))
	one := certPEM(kp.cert)
	p8, err := x509.MarshalPKCS8PrivateKey(kp.key)
	require.NoError(t, err)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
	pkcs1PEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
		Bytes: x509.MarshalPKCS1PrivateKey(kp.key)}))
	csrDER, err := x509.CreateCertificateRequest(rand.Reader,
		&x509.CertificateRequest{Subject: pkix.Name{CommonName: "idp"}}, kp.key)
	require.NoError(t, err)
	csrPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER}))
	keyB64 := base64.StdEncoding.EncodeToString(p8)

	tests := []struct {
		name     string
		text     string
		wantText []string // all must appear in the error
	}{
		{name: "private key pasted by mistake", text: keyPEM,
			wantText: []string{"PRIVATE KEY"}},
		{name: "PKCS#1 key pasted by mistake", text: pkcs1PEM,
			wantText: []string{"RSA PRIVATE KEY"}},
		{name: "certificate followed by its key (a combined .pem)", text: one + keyPEM,
			wantText: []string{"certificate 2", "PRIVATE KEY"}},
		{name: "certificate signing request", text: csrPEM,
			wantText: []string{"CERTIFICATE REQUEST"}},
		{name: "truncated paste", text: one[:len(one)/2], wantText: []string{"cut short"}},
		{name: "empty", text: "  \r\n", wantText: []string{"empty"}},
		{name: "eleven certificates", text: strings.Repeat(one, 11),
			wantText: []string{"more than 10"}},
		// A bare base64 private key: the admin should hear that this is not
		// a certificate, not an ASN.1 detail.
		{name: "bare base64 private key", text: keyB64,
			wantText: []string{"not an X.509 certificate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCertificates(tt.text)
			require.Error(t, err)
			assert.Nil(t, got)
			for _, s := range tt.wantText {
				assert.Contains(t, err.Error(), s)
			}
			// Never echo key material into an error (STYLE.md).
			assert.NotContains(t, err.Error(), keyB64[40:80])
		})
	}
}

// TestParseCertificatesDuplicate: the same certificate pasted twice is
// accepted as two signing certificates; harmless for verification, but the
// Test Configuration then says "signing certificate 1 of 2" and "2 of 2" for
// one key. Documented, not judged a bug.
func TestParseCertificatesDuplicate(t *testing.T) {
	now := time.Now()
	kp := newKeyPair(t, "review-idp", now.Add(-time.Hour), now.Add(time.Hour))
	got, err := ParseCertificates(certPEM(kp.cert) + certPEM(kp.cert))
	require.NoError(t, err)
	assert.Len(t, got, 2)
}

// TestCertificateWarningsNotYetValidAndExpiring checks the 30-day
// warning, the expired warning and a certificate that is not yet valid.
func TestCertificateWarningsNotYetValidAndExpiring(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	mk := func(cn string, from, to time.Time) *x509.Certificate {
		return selfSign(t, cn, from, to, key, &key.PublicKey)
	}
	tests := []struct {
		name string
		cert *x509.Certificate
		want string
	}{
		{name: "expires in 10 days", cert: mk("soon", now.Add(-time.Hour),
			now.Add(10*24*time.Hour)), want: "in 10 days"},
		{name: "expired", cert: mk("old", now.Add(-48*time.Hour), now.Add(-24*time.Hour)),
			want: "expired on 2026-05-31"},
		{name: "not yet valid", cert: mk("future", now.Add(24*time.Hour),
			now.Add(365*24*time.Hour)), want: "not valid until 2026-06-02"},
		{name: "fine", cert: mk("fine", now.Add(-time.Hour), now.Add(365*24*time.Hour))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{SigningCertificates: []*x509.Certificate{tt.cert}}
			ws := c.Warnings(now)
			if tt.want == "" {
				assert.Empty(t, ws)
				return
			}
			require.Len(t, ws, 1)
			assert.Contains(t, ws[0].Msg, tt.want)
		})
	}
}
