package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
)

const (
	// maxResponseFile bounds what is read from RESPONSE_FILE: well above
	// the verifier's limit on the decoded response
	// ([saml.DefaultMaxResponseSize]) in base64 with line breaks. A larger
	// file is refused with the check "size" without reading it whole.
	maxResponseFile = 1 << 20
	// maxPEMFile bounds --sp-key and --sp-cert.
	maxPEMFile = 1 << 20
	// checkTimeout bounds the whole check. A check takes milliseconds;
	// the bound is there for a machine so busy that something is wrong,
	// and must not refuse a good response on a merely loaded one.
	checkTimeout = 30 * time.Second
	// maxPeekTokens bounds the XML tokens read to find the Issuer.
	maxPeekTokens = 200
	// nsAssertion is the SAML 2.0 assertion namespace, of Issuer.
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
)

// usageError is bad usage or configuration: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func badUsage(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// runCheckResponse implements "secureshare check-response".
func runCheckResponse(args []string, stdout, stderr io.Writer) int {
	f, err := parseCheckResponseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "secureshare check-response: %v\n", err)
		fmt.Fprintf(stderr, "Run 'secureshare check-response -h' for usage.\n")
		return exitBadUsage
	}

	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	report, err := checkResponse(ctx, f)
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "secureshare check-response: %s\n", oneLine(err.Error()))
		return exitBadUsage
	case err != nil:
		printRefusal(stdout, f, err)
		return exitRefused
	}

	if f.json {
		out, err := acceptedJSON(report)
		if err != nil {
			fmt.Fprintf(stderr, "secureshare check-response: %v\n", err)
			return exitBadUsage
		}
		fmt.Fprintf(stdout, "%s\n", out)
		return exitOK
	}
	fmt.Fprint(stdout, report.Text())
	return exitOK
}

// checkResponse loads the configuration, verifies the response and maps
// it. Configuration problems are *usageError; everything else is a
// refusal, including a mapping error when the report is not OK.
func checkResponse(ctx context.Context, f *checkResponseFlags) (*idp.Report, error) {
	now := f.now
	if now.IsZero() {
		now = time.Now()
	}
	clock := func() time.Time { return now }

	resp, tooLarge, err := readResponseFile(f.responseFile)
	if err != nil {
		return nil, badUsage("%v", err)
	}
	cfg, err := loadIDPConfig(f, clock, resp)
	if err != nil {
		return nil, err
	}
	sp := idp.ServiceProvider{EntityID: f.spEntityID, ACSURLs: []string{f.acsURL}, Now: clock,
		ReplayCache: &saml.MemoryReplayCache{Now: clock}}
	if sp.DecryptionKeys, err = loadSPKey(f.spKey, f.spCert); err != nil {
		return nil, err
	}
	v, err := cfg.NewVerifier(sp)
	if err != nil {
		return nil, badUsage("%v", err)
	}

	switch {
	case tooLarge:
		return nil, &refusedError{check: string(saml.CheckSize), msg: fmt.Sprintf(
			"%s is larger than %d bytes; a SAML response is at most %d KiB of XML",
			f.responseFile, maxResponseFile, saml.DefaultMaxResponseSize>>10)}
	case len(resp) == 0:
		return nil, &refusedError{check: string(saml.CheckSize), msg: fmt.Sprintf(
			"%s is empty; save the SAMLResponse form value or the response XML in it",
			f.responseFile)}
	}
	var requestIDs []string
	if f.requestID != "" {
		requestIDs = []string{f.requestID}
	}
	var a *saml.Assertion
	if bytes.HasPrefix(resp, []byte("<")) {
		a, err = v.VerifyXML(ctx, resp, requestIDs)
	} else {
		a, err = v.Verify(ctx, resp, requestIDs)
	}
	if err != nil {
		return nil, err
	}

	r := cfg.Report(a, idp.ReportOptions{Now: now})
	if !r.OK {
		if _, err := cfg.Map(a); err != nil {
			return nil, err
		}
		return nil, errors.New(strings.Join(r.Errors, "; "))
	}
	return r, nil
}

// readResponseFile reads RESPONSE_FILE without a UTF-8 byte-order mark
// (which Windows editors write) and surrounding whitespace. Reading stops
// after maxResponseFile bytes; tooLarge then says the file is larger.
func readResponseFile(path string) (data []byte, tooLarge bool, err error) {
	data, err = readLimited(path, maxResponseFile)
	var le *limitError
	if errors.As(err, &le) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	data = bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(data), []byte("\xef\xbb\xbf")))
	return data, false, nil
}

// loadIDPConfig builds the IdP configuration from the metadata file. When
// no --idp-entity-id was given and the metadata cannot be used as it is
// (several IdPs in it), the entity the response's Issuer names is tried.
func loadIDPConfig(f *checkResponseFlags, clock func() time.Time,
	resp []byte) (*idp.Config, error) {
	opts := idp.MetadataOptions{EntityID: f.idpEntityID, Now: clock}
	md, err := idp.ReadMetadataFile(f.metadata, opts)
	var ve *saml.ValidationError
	if err != nil && f.idpEntityID == "" && errors.As(err, &ve) &&
		ve.Check == saml.CheckMetadata {
		if issuer := peekIssuer(resp); issuer != "" {
			opts.EntityID = issuer
			md2, err2 := idp.ReadMetadataFile(f.metadata, opts)
			if err2 == nil {
				md, err = md2, nil
			} else {
				err = fmt.Errorf("%w; the response's Issuer is %q (--idp-entity-id ID "+
					"chooses an IdP in the file)", err, issuer)
			}
		}
	}
	if err != nil {
		return nil, badUsage("--idp-metadata %s: %v", f.metadata, err)
	}

	cfg := &idp.Config{Name: md.IDP.EntityID, AllowIDPInitiated: f.allowIDPInitiated,
		InsecureAllowSHA1: f.allowSHA1, Preset: f.preset,
		Mapping: idp.AttributeMapping{Email: f.emailAttribute}}
	cfg.ApplyMetadata(md.IDP)
	return cfg, nil
}

// peekIssuer returns the first SAML Issuer in the (unverified) response,
// or "". It only chooses which metadata entity to verify against; the
// verifier then checks the Issuer and the signature for real.
func peekIssuer(resp []byte) string {
	doc := resp
	if !bytes.HasPrefix(doc, []byte("<")) {
		compact := bytes.Join(bytes.Fields(resp), nil)
		var err error
		if doc, err = base64.StdEncoding.AppendDecode(nil, compact); err != nil {
			return ""
		}
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	for i := 0; i < maxPeekTokens; i++ {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Issuer" || se.Name.Space != nsAssertion {
			continue
		}
		var issuer string
		if err := d.DecodeElement(&issuer, &se); err != nil {
			return ""
		}
		return strings.TrimSpace(issuer)
	}
	return ""
}

// loadSPKey reads the SP's RSA key and checks it against the certificate.
func loadSPKey(keyFile, certFile string) ([]*rsa.PrivateKey, error) {
	if keyFile == "" {
		if certFile != "" {
			return nil, badUsage("--sp-cert needs --sp-key")
		}
		return nil, nil
	}
	key, err := readRSAKey(keyFile)
	if err != nil {
		return nil, err
	}
	if certFile != "" {
		data, err := readLimited(certFile, maxPEMFile)
		if err != nil {
			return nil, badUsage("%v", err)
		}
		cert, err := saml.ParseCertificate(string(data))
		if err != nil {
			return nil, badUsage("--sp-cert %s: %v", certFile, err)
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok || !pub.Equal(&key.PublicKey) {
			return nil, badUsage("--sp-cert %s does not match --sp-key %s", certFile, keyFile)
		}
	}
	return []*rsa.PrivateKey{key}, nil
}

// readRSAKey parses a PKCS#1 or PKCS#8 RSA private key in PEM.
func readRSAKey(path string) (*rsa.PrivateKey, error) {
	data, err := readLimited(path, maxPEMFile)
	if err != nil {
		return nil, badUsage("%v", err)
	}
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, badUsage("--sp-key %s: no RSA PRIVATE KEY or PRIVATE KEY PEM block", path)
		}
		if b.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(b.Headers["Proc-Type"],
			"ENCRYPTED") {
			return nil, badUsage("--sp-key %s: the key is encrypted with a passphrase; "+
				"write an unencrypted copy with 'openssl pkey -in %s -out sp-key.pem' "+
				"and pass that", path, path)
		}
		switch b.Type {
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
			if err != nil {
				return nil, badUsage("--sp-key %s: %v", path, err)
			}
			return k, nil
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, badUsage("--sp-key %s: %v", path, err)
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, badUsage("--sp-key %s: a %T, not an RSA key", path, k)
			}
			return rk, nil
		}
	}
}

// limitError says a file is larger than a limit.
type limitError struct {
	path  string
	limit int64
}

func (e *limitError) Error() string {
	return fmt.Sprintf("%s is larger than %d bytes", e.path, e.limit)
}

// readLimited reads at most limit bytes of path; a larger file is a
// *limitError.
func readLimited(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, &limitError{path: path, limit: limit}
	}
	return data, nil
}

// acceptedJSON renders the report with "accepted": true first, matching the
// refusal object's "accepted": false.
func acceptedJSON(r *idp.Report) ([]byte, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	merged := append([]byte(`{"accepted":true,`), body[1:]...)
	if err := json.Indent(&out, merged, "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
