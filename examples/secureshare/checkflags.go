package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/secureshare/secureshare/idp"
)

const checkResponseUsage = `Usage: secureshare check-response --idp-metadata FILE
        --sp-entity-id ID --acs-url URL [--request-id ID] [--now RFC3339] [--allow-idp-initiated]
        [--sp-key PEM_FILE] [--sp-cert PEM_FILE] [--json]
        [--idp-entity-id ID] [--preset NAME] [--email-attribute NAME] [--allow-sha1]
        RESPONSE_FILE

Checks a captured SAML Response offline, exactly as the ACS would, and shows
what the IdP sent. RESPONSE_FILE holds the base64 SAMLResponse form value
(line breaks allowed) or the raw XML; a UTF-8 byte-order mark is ignored.

When --idp-metadata holds several IdPs, the one the response's Issuer names
is used; --idp-entity-id chooses one explicitly. --preset names the IdP
product whose attribute names are tried (default generic), one of:
    %s

Exit status: 0 accepted (prints the Test Configuration report), 1 refused
(prints one line naming the failed check; a RESPONSE_FILE too large to be a
SAML response is refused with the check "size"), 2 bad usage or
configuration (including a flag given twice or with an empty value).

Flags:
`

// checkResponseFlags are the parsed flags of check-response.
type checkResponseFlags struct {
	metadata, spEntityID, acsURL, requestID, spKey, spCert string
	idpEntityID, emailAttribute                            string
	now                                                    time.Time // zero: the real clock
	preset                                                 idp.Preset
	allowIDPInitiated, allowSHA1, json                     bool
	responseFile                                           string
}

// parseCheckResponseFlags parses flags, which may come before or after
// RESPONSE_FILE. Every flag may be given once, and string flags need a
// non-empty value: a second --sp-entity-id pasted at the end of a command
// would otherwise silently win.
func parseCheckResponseFlags(args []string, stderr io.Writer) (*checkResponseFlags, error) {
	f := &checkResponseFlags{}
	fs := flag.NewFlagSet("check-response", flag.ContinueOnError)
	// As serve's: a bad flag's error is printed once, by the caller.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	str := func(p *string, name, usage string) {
		fs.Var(&onceString{name: name, p: p}, name, usage)
	}
	boolean := func(p *bool, name, usage string) {
		fs.Var(&onceBool{name: name, p: p}, name, usage)
	}
	var now, preset string
	str(&f.metadata, "idp-metadata", "IdP metadata XML `FILE` (required)")
	str(&f.spEntityID, "sp-entity-id", "our SP entity `ID`, the expected Audience (required)")
	str(&f.acsURL, "acs-url", "our ACS `URL`, the expected Destination and Recipient (required)")
	str(&f.requestID, "request-id", "the AuthnRequest `ID` the response answers")
	str(&now, "now", "check times as of this `RFC3339` instant (default: now)")
	boolean(&f.allowIDPInitiated, "allow-idp-initiated", "accept an unsolicited response")
	str(&f.spKey, "sp-key", "our RSA private key, `PEM_FILE`, to decrypt encrypted assertions")
	str(&f.spCert, "sp-cert", "our certificate, `PEM_FILE`, checked to match --sp-key")
	boolean(&f.json, "json", "print the result as JSON")
	str(&f.idpEntityID, "idp-entity-id",
		"the IdP's entity `ID`, when --idp-metadata holds several (default: the response's Issuer)")
	str(&preset, "preset", "the IdP product's attribute names, `NAME` (default: generic)")
	str(&f.emailAttribute, "email-attribute", "the attribute `NAME` holding the email address")
	boolean(&f.allowSHA1, "allow-sha1", "accept SHA-1 signatures and digests (insecure)")

	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(stderr, checkResponseUsage, presetNames())
				fs.SetOutput(stderr)
				fs.PrintDefaults()
			}
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
	if now != "" {
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			return nil, fmt.Errorf("--now %q is not an RFC3339 time such as 2024-05-01T12:00:00Z",
				now)
		}
		f.now = t
	}
	p, err := parsePreset(preset)
	if err != nil {
		return nil, err
	}
	f.preset = p
	return f, nil
}

// parsePreset maps --preset to an [idp.Preset].
func parsePreset(name string) (idp.Preset, error) {
	if name == "" || name == idp.PresetGeneric.String() {
		return idp.PresetGeneric, nil
	}
	for _, info := range idp.Presets() {
		if string(info.Preset) == name {
			return info.Preset, nil
		}
	}
	return "", fmt.Errorf("--preset %q is not one of %s", name, presetNames())
}

// presetNames lists the --preset values.
func presetNames() string {
	names := []string{idp.PresetGeneric.String()}
	for _, info := range idp.Presets() {
		names = append(names, info.Preset.String())
	}
	return strings.Join(names, ", ")
}

// onceString is a string flag that may be set once, to a non-empty value.
type onceString struct {
	name string
	p    *string
	set  bool
}

func (o *onceString) String() string {
	if o == nil || o.p == nil {
		return ""
	}
	return *o.p
}

func (o *onceString) Set(v string) error {
	if o.set {
		return fmt.Errorf("--%s given more than once", o.name)
	}
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("--%s needs a non-empty value", o.name)
	}
	o.set = true
	*o.p = v
	return nil
}

// onceBool is a boolean flag that may be set once.
type onceBool struct {
	name string
	p    *bool
	set  bool
}

func (o *onceBool) String() string {
	if o == nil || o.p == nil {
		return "false"
	}
	return strconv.FormatBool(*o.p)
}

func (o *onceBool) Set(v string) error {
	if o.set {
		return fmt.Errorf("--%s given more than once", o.name)
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("--%s takes true or false, not %q", o.name, v)
	}
	o.set = true
	*o.p = b
	return nil
}

// IsBoolFlag lets the flag be given without a value.
func (o *onceBool) IsBoolFlag() bool { return true }
