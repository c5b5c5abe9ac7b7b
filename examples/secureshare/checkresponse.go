package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
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
	// maxResponseFile bounds what is read from RESPONSE_FILE; the verifier
	// applies its own, smaller limit to the decoded response.
	maxResponseFile = 8 << 20
	// maxPEMFile bounds --sp-key and --sp-cert.
	maxPEMFile = 1 << 20
	// checkTimeout bounds the whole check.
	checkTimeout = time.Second
)

const checkResponseUsage = `Usage: secureshare check-response --idp-metadata FILE
        --sp-entity-id ID --acs-url URL [--request-id ID] [--now RFC3339] [--allow-idp-initiated]
        [--sp-key PEM_FILE] [--sp-cert PEM_FILE] [--json] RESPONSE_FILE

Checks a captured SAML Response offline, exactly as the ACS would, and shows
what the IdP sent. RESPONSE_FILE holds the base64 SAMLResponse form value
(line breaks allowed) or the raw XML.

Exit status: 0 accepted (prints the Test Configuration report), 1 refused
(prints one line naming the failed check), 2 bad usage or configuration.

Flags:
`

// checkResponseFlags are the parsed flags of check-response.
type checkResponseFlags struct {
	metadata, spEntityID, acsURL, requestID, now, spKey, spCert string
	allowIDPInitiated, json                                     bool
	responseFile                                                string
}

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
		fmt.Fprintf(stderr, "secureshare check-response: %v\n", err)
		return exitBadUsage
	case err != nil:
		printRefusal(stdout, f.json, err)
		return exitRefused
	case !report.OK:
		printRefusal(stdout, f.json, errors.New(strings.Join(report.Errors, "; ")))
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

// parseCheckResponseFlags parses flags, which may come before or after
// RESPONSE_FILE.
func parseCheckResponseFlags(args []string, stderr io.Writer) (*checkResponseFlags, error) {
	f := &checkResponseFlags{}
	fs := flag.NewFlagSet("check-response", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, checkResponseUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.metadata, "idp-metadata", "", "IdP metadata XML `FILE` (required)")
	fs.StringVar(&f.spEntityID, "sp-entity-id", "",
		"our SP entity `ID`, the expected Audience (required)")
	fs.StringVar(&f.acsURL, "acs-url", "",
		"our ACS `URL`, the expected Destination and Recipient (required)")
	fs.StringVar(&f.requestID, "request-id", "", "the AuthnRequest `ID` the response answers")
	fs.StringVar(&f.now, "now", "", "check times as of this `RFC3339` instant (default: now)")
	fs.BoolVar(&f.allowIDPInitiated, "allow-idp-initiated", false, "accept an unsolicited response")
	fs.StringVar(&f.spKey, "sp-key", "",
		"our RSA private key, `PEM_FILE`, to decrypt encrypted assertions")
	fs.StringVar(&f.spCert, "sp-cert", "", "our certificate, `PEM_FILE`, checked to match --sp-key")
	fs.BoolVar(&f.json, "json", false, "print the result as JSON")

	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}

	switch {
	case len(positional) != 1:
		return nil, fmt.Errorf("want exactly one RESPONSE_FILE, got %d arguments", len(positional))
	case f.metadata == "":
		return nil, errors.New("--idp-metadata is required")
	case f.spEntityID == "":
		return nil, errors.New("--sp-entity-id is required")
	case f.acsURL == "":
		return nil, errors.New("--acs-url is required")
	}
	f.responseFile = positional[0]
	return f, nil
}

// checkResponse loads the configuration, verifies the response and maps
// it. Configuration problems are *usageError; everything else is a refusal.
func checkResponse(ctx context.Context, f *checkResponseFlags) (*idp.Report, error) {
	now := time.Now()
	if f.now != "" {
		t, err := time.Parse(time.RFC3339, f.now)
		if err != nil {
			return nil, badUsage("--now %q is not an RFC3339 time such as 2024-05-01T12:00:00Z", f.now)
		}
		now = t
	}
	clock := func() time.Time { return now }

	cfg, err := loadIDPConfig(f, clock)
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
	resp, err := readLimited(f.responseFile, maxResponseFile)
	if err != nil {
		return nil, badUsage("%v", err)
	}

	var requestIDs []string
	if f.requestID != "" {
		requestIDs = []string{f.requestID}
	}
	var a *saml.Assertion
	if trimmed := bytes.TrimSpace(resp); bytes.HasPrefix(trimmed, []byte("<")) {
		a, err = v.VerifyXML(ctx, trimmed, requestIDs)
	} else {
		a, err = v.Verify(ctx, trimmed, requestIDs)
	}
	if err != nil {
		return nil, err
	}
	return cfg.Report(a, idp.ReportOptions{Now: now}), nil
}

// loadIDPConfig builds the IdP configuration from the metadata file.
func loadIDPConfig(f *checkResponseFlags, clock func() time.Time) (*idp.Config, error) {
	md, err := idp.ReadMetadataFile(f.metadata, idp.MetadataOptions{Now: clock})
	if err != nil {
		return nil, badUsage("%v", err)
	}
	cfg := &idp.Config{Name: md.IDP.EntityID, AllowIDPInitiated: f.allowIDPInitiated}
	cfg.ApplyMetadata(md.IDP)
	return cfg, nil
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

// readLimited reads at most limit bytes of path.
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
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
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

// printRefusal prints the one line that names the failed check.
func printRefusal(w io.Writer, asJSON bool, err error) {
	check := "mapping"
	var ve *saml.ValidationError
	var me *idp.MappingError
	switch {
	case errors.As(err, &ve):
		check = string(ve.Check)
	case errors.As(err, &me):
		check = "mapping"
	case errors.Is(err, context.DeadlineExceeded):
		check = "timeout"
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	msg = strings.TrimPrefix(msg, "saml: "+check+": ")
	if asJSON {
		out, _ := json.Marshal(map[string]any{"accepted": false, "check": check, "error": msg})
		fmt.Fprintf(w, "%s\n", out)
		return
	}
	fmt.Fprintf(w, "refused: %s: %s\n", check, msg)
}
