package idp

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/secureshare/secureshare/saml"
)

const (
	// CertificateExpiryWarning is how long before a signing certificate's
	// NotAfter [Config.Warnings] starts to warn.
	CertificateExpiryWarning = 30 * 24 * time.Hour

	// maxCertificateText bounds pasted certificate text.
	maxCertificateText = 256 << 10
	// maxPastedCertificates bounds how many PEM blocks one paste may hold.
	maxPastedCertificates = 10
)

// Warning is something an administrator should look at that does not stop
// sign-in, such as a signing certificate about to expire.
type Warning struct {
	// Field is the Config field or report section concerned.
	Field string
	// Msg says what is wrong and what to do.
	Msg string
}

// String returns "field: msg".
func (w Warning) String() string { return w.Field + ": " + w.Msg }

// ParseCertificates parses the signing certificates an administrator
// pasted: one certificate as PEM or as bare base64, or several PEM
// certificates one after another (during a key rollover). Line breaks
// (LF, CRLF or a bare CR), indentation, "&#13;", and line breaks that a
// single-line text field turned into spaces are ignored.
//
// Each certificate is parsed by [saml.ParseCertificate]; errors say which
// certificate (counting from 1) is wrong. Expiry is not checked here; see
// [Config.Warnings].
func ParseCertificates(text string) ([]*x509.Certificate, error) {
	if len(text) > maxCertificateText {
		return nil, fmt.Errorf("idp: certificate text is larger than %d bytes", maxCertificateText)
	}
	if !strings.Contains(text, "-----BEGIN") {
		c, err := saml.ParseCertificate(text)
		if err != nil {
			return nil, fmt.Errorf("idp: parsing certificate: %w", err)
		}
		return []*x509.Certificate{c}, nil
	}

	blocks, err := splitPEM(text)
	if err != nil {
		return nil, err
	}
	certs := make([]*x509.Certificate, 0, len(blocks))
	for i, b := range blocks {
		c, err := saml.ParseCertificate(b)
		if err != nil {
			return nil, fmt.Errorf("idp: parsing certificate %d: %w", i+1, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// Warnings returns what an administrator should look at in c at now:
// signing certificates that have expired, expire within
// [CertificateExpiryWarning] or are not yet valid, and insecure settings
// that are on. An expired certificate is not an error here, because an
// IdP may still list it next to its successor during a rollover; but
// signatures made with it are refused unless
// [Config.InsecureIgnoreCertificateExpiry] is set.
func (c *Config) Warnings(now time.Time) []Warning {
	var ws []Warning
	for i, cert := range c.SigningCertificates {
		if cert == nil {
			continue
		}
		if w, ok := certificateWarning(i+1, len(c.SigningCertificates), cert, now); ok {
			ws = append(ws, w)
		}
		if k, ok := cert.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() >= saml.MinRSAKeyBits &&
			k.N.BitLen() < 2048 {
			ws = append(ws, Warning{Field: "SigningCertificates", Msg: fmt.Sprintf(
				"%s has a %d-bit RSA key, which is weak: have the IdP roll over to a "+
					"2048-bit key", certName(i+1, len(c.SigningCertificates), cert),
				k.N.BitLen())})
		}
	}
	if c.InsecureAllowSHA1 {
		ws = append(ws, Warning{Field: "InsecureAllowSHA1", Msg: "SHA-1 signatures are " +
			"accepted from this IdP; switch the IdP to RSA-SHA256 and turn this off"})
	}
	if c.InsecureIgnoreCertificateExpiry {
		ws = append(ws, Warning{Field: "InsecureIgnoreCertificateExpiry", Msg: "signatures " +
			"by expired certificates are accepted from this IdP"})
	}
	if c.InsecureAllowRSA15 {
		ws = append(ws, Warning{Field: "InsecureAllowRSA15", Msg: "RSA1_5 key transport is " +
			"accepted from this IdP; switch the IdP to RSA-OAEP and turn this off"})
	}
	return ws
}

// certName names certificate n of total for a warning.
func certName(n, total int, c *x509.Certificate) string {
	if total > 1 {
		return fmt.Sprintf("signing certificate %d of %d (%q)", n, total, c.Subject.CommonName)
	}
	return fmt.Sprintf("signing certificate %q", c.Subject.CommonName)
}

// certificateWarning describes one certificate's validity at now.
func certificateWarning(n, total int, c *x509.Certificate, now time.Time) (Warning, bool) {
	name := certName(n, total, c)
	w := Warning{Field: "SigningCertificates"}
	switch {
	case now.After(c.NotAfter):
		w.Msg = fmt.Sprintf("%s expired on %s; responses signed with it are refused: "+
			"import the IdP's new certificate", name, c.NotAfter.UTC().Format(time.DateOnly))
	case c.NotAfter.Sub(now) < CertificateExpiryWarning:
		days := int(c.NotAfter.Sub(now).Hours() / 24)
		w.Msg = fmt.Sprintf("%s expires on %s (in %d days); import the new certificate "+
			"before the IdP switches to it", name, c.NotAfter.UTC().Format(time.DateOnly), days)
	case now.Before(c.NotBefore):
		w.Msg = fmt.Sprintf("%s is not valid until %s", name,
			c.NotBefore.UTC().Format(time.RFC3339))
	default:
		return Warning{}, false
	}
	return w, true
}

// splitPEM returns the text of each PEM block. Anything but whitespace
// between blocks is an error, so that a truncated paste is noticed.
func splitPEM(text string) ([]string, error) {
	data := []byte(normalizePEM(text))
	var out []string
	for {
		b, rest := pem.Decode(data)
		if b == nil {
			break
		}
		out = append(out, string(pem.EncodeToMemory(b)))
		data = rest
		if len(out) > maxPastedCertificates {
			return nil, fmt.Errorf("idp: more than %d certificates pasted", maxPastedCertificates)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("idp: parsing certificates: malformed PEM block " +
			"(was the paste cut short?)")
	}
	if len(bytes.TrimSpace(data)) != 0 {
		return nil, fmt.Errorf("idp: parsing certificates: text after certificate %d is "+
			"not a complete PEM block (was the paste cut short?)", len(out))
	}
	return out, nil
}

// pemBlockRE matches one PEM block whatever became of its line breaks:
// kept, CRLF, bare CR, or turned into spaces by a single-line text field.
var pemBlockRE = regexp.MustCompile(`-----BEGIN ([A-Z0-9 #]+)-----([^-]*)-----END ([A-Z0-9 #]+)-----`)

// normalizePEM rewrites every complete PEM block in text with its body on
// lines of its own and no whitespace inside it, and drops "&#13;" left by
// XML copies. Text outside the blocks is kept, trimmed line by line, so
// that pem.Decode still skips a preamble and splitPEM still notices a
// truncated block.
func normalizePEM(text string) string {
	text = strings.NewReplacer("&#13;", "", "&#xd;", "", "&#xD;", "", "\r\n", "\n",
		"\r", "\n").Replace(text)
	text = pemBlockRE.ReplaceAllStringFunc(text, func(block string) string {
		m := pemBlockRE.FindStringSubmatch(block)
		if m[1] != m[3] || strings.Contains(m[2], ":") {
			return block // mismatched armour or PEM headers: leave to pem.Decode
		}
		return "\n-----BEGIN " + m[1] + "-----\n" + strings.Join(strings.Fields(m[2]), "") +
			"\n-----END " + m[1] + "-----\n"
	})
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l) // indentation
	}
	return strings.Join(lines, "\n")
}
