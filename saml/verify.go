package saml

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Defaults for [VerifierConfig].
const (
	// DefaultClockSkew is the clock difference tolerated between the IdP
	// and us when no ClockSkew is configured.
	DefaultClockSkew = 90 * time.Second
	// DefaultMaxResponseSize is the largest decoded Response accepted when
	// no MaxResponseSize is configured: room for 2,000 group values in
	// Okta's verbose shape (about 185 bytes each), and far below what
	// would let a client make us work hard. The posted form value is
	// refused on its length alone, before decoding, when it cannot decode
	// to at most this many bytes.
	DefaultMaxResponseSize = 512 << 10
	// DefaultMaxIssueDelay is how long after its IssueInstant a Response is
	// accepted when no MaxIssueDelay is configured.
	DefaultMaxIssueDelay = 5 * time.Minute

	// maxClockSkew is the largest ClockSkew a configuration may set.
	maxClockSkew = 10 * time.Minute
)

// Confirmation method and attribute URIs (SAML 2.0 Profiles, section 3.3).
const cmBearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

// VerifierConfig configures a [Verifier]. The zero value of every optional
// field is the safe choice.
type VerifierConfig struct {
	// SPEntityID is our entity ID, which must appear in the assertion's
	// AudienceRestriction. Required.
	SPEntityID string
	// ACSURLs are our Assertion Consumer Service URLs. A Response's
	// Destination and the bearer confirmation's Recipient must equal one of
	// them. At least one is required.
	ACSURLs []string

	// IDPEntityID is the IdP's entity ID, which every Issuer must equal.
	// Required.
	IDPEntityID string
	// IDPCertificates are the IdP's signing certificates (several during a
	// key rollover). Signatures are checked only with these, never with a
	// key carried in the message. At least one is required.
	IDPCertificates []*x509.Certificate
	// IDPCertificatesValidUntil, when not zero, is when IDPCertificates stop
	// being trusted: the validUntil of the metadata they came from. From
	// then on every response is refused with [CheckMetadataExpired], since
	// the IdP may have retired those keys; fresh metadata lifts it.
	IDPCertificatesValidUntil time.Time

	// DecryptionKeys are our private keys for EncryptedAssertion and
	// EncryptedID. Nil means encrypted assertions are refused.
	DecryptionKeys []*rsa.PrivateKey

	// RequireSignedAssertions refuses assertions that are not signed
	// themselves, even when the enclosing Response is signed.
	RequireSignedAssertions bool
	// AllowIDPInitiated accepts unsolicited responses (no InResponseTo).
	// Turn it on only for IdPs whose users start at the IdP's portal; such
	// responses are protected by the replay cache alone.
	AllowIDPInitiated bool

	// InsecureAllowSHA1 accepts RSA-SHA1 signatures and SHA-1 digests.
	// Acceptable only for an IdP that cannot sign with SHA-256 and only
	// until it can: SHA-1 collisions are practical.
	InsecureAllowSHA1 bool
	// InsecureAllowRSA15 accepts RSA PKCS#1 v1.5 key transport in
	// EncryptedKey, which is open to padding-oracle attacks. Acceptable only
	// for an IdP that cannot use RSA-OAEP.
	InsecureAllowRSA15 bool
	// InsecureIgnoreCertificateExpiry accepts signatures by IdP
	// certificates outside their validity period. Acceptable when the IdP's
	// metadata pins a long-expired self-signed certificate and cannot be
	// changed; the key is still checked.
	InsecureIgnoreCertificateExpiry bool

	// ClockSkew is the clock difference tolerated in every time check.
	// Zero means DefaultClockSkew; it may not exceed 10 minutes.
	ClockSkew time.Duration
	// MaxIssueDelay is how old a Response's IssueInstant may be. Zero means
	// DefaultMaxIssueDelay.
	MaxIssueDelay time.Duration
	// MaxResponseSize bounds the decoded Response in bytes. Zero means
	// DefaultMaxResponseSize.
	MaxResponseSize int

	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ReplayCache records accepted assertion IDs. Nil means a private
	// [MemoryReplayCache], which protects one process only: give every
	// instance of a multi-instance deployment the same shared cache.
	ReplayCache ReplayCache
}

// Verifier validates SAML Responses posted to an ACS by one IdP, following
// the Web Browser SSO Profile (SAML 2.0 Profiles, section 4.1). It is safe
// for concurrent use.
//
// Verifier does not support the Artifact binding, EncryptedAttribute, or
// Advice; an assertion carrying Advice is refused.
type Verifier struct {
	cfg     VerifierConfig
	skew    time.Duration
	maxSize int
	replay  ReplayCache
}

// NewVerifier validates cfg and returns a Verifier.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	var problems []string
	if cfg.SPEntityID == "" {
		problems = append(problems, "SPEntityID is required")
	}
	if len(cfg.ACSURLs) == 0 {
		problems = append(problems, "at least one ACS URL is required")
	}
	for i, u := range cfg.ACSURLs {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			problems = append(problems, fmt.Sprintf("ACSURLs[%d] %q is not an absolute http(s) URL", i, u))
		}
	}
	if cfg.IDPEntityID == "" {
		problems = append(problems, "IDPEntityID is required")
	}
	if len(cfg.IDPCertificates) == 0 {
		problems = append(problems, "at least one IdP signing certificate is required")
	}
	for i, c := range cfg.IDPCertificates {
		if c == nil {
			problems = append(problems, fmt.Sprintf("IDPCertificates[%d] is nil", i))
		}
	}
	problems = append(problems, weakKeyProblems(cfg.IDPCertificates)...)
	if cfg.ClockSkew < 0 || cfg.ClockSkew > maxClockSkew {
		problems = append(problems, "ClockSkew must be between 0 and 10 minutes")
	}
	if cfg.MaxResponseSize < 0 || cfg.MaxIssueDelay < 0 {
		problems = append(problems, "MaxResponseSize and MaxIssueDelay may not be negative")
	}
	if len(problems) > 0 {
		return nil, errors.New("saml: invalid verifier configuration: " + strings.Join(problems, "; "))
	}

	v := &Verifier{cfg: cfg, skew: cfg.ClockSkew, maxSize: cfg.MaxResponseSize, replay: cfg.ReplayCache}
	if v.skew == 0 {
		v.skew = DefaultClockSkew
	}
	if v.maxSize == 0 {
		v.maxSize = DefaultMaxResponseSize
	}
	if v.cfg.MaxIssueDelay == 0 {
		v.cfg.MaxIssueDelay = DefaultMaxIssueDelay
	}
	if v.replay == nil {
		v.replay = &MemoryReplayCache{Now: cfg.Now}
	}
	return v, nil
}

// Verify validates samlResponse, the base64 SAMLResponse form value of an
// HTTP-POST binding message (SAML 2.0 Bindings, section 3.5), and returns the
// verified assertion. requestIDs are the IDs of AuthnRequests still
// outstanding for this browser; InResponseTo must be one of them.
//
// The size limit is applied before anything is decoded. A refusal is a
// *[ValidationError] (or a *[StatusError]) naming the failed check.
func (v *Verifier) Verify(ctx context.Context, samlResponse []byte, requestIDs []string) (*Assertion, error) {
	if max := v.maxSize/3*4 + v.maxSize/64*2 + 8; len(samlResponse) > max {
		return nil, mismatch(CheckSize, "SAMLResponse too large",
			fmt.Sprintf("at most %d bytes", max), fmt.Sprintf("%d bytes", len(samlResponse)))
	}
	doc, err := decodeBase64Bytes(samlResponse)
	if err != nil {
		return nil, wrapFail(CheckEncoding, "SAMLResponse is not valid base64", err)
	}
	return v.VerifyXML(ctx, doc, requestIDs)
}

// VerifyXML is [Verifier.Verify] for a Response that is already decoded.
func (v *Verifier) VerifyXML(ctx context.Context, doc []byte, requestIDs []string) (*Assertion, error) {
	now := time.Now()
	if v.cfg.Now != nil {
		now = v.cfg.Now()
	}
	if err := checkKeysValid(v.cfg.IDPCertificatesValidUntil, now); err != nil {
		return nil, err
	}
	root, err := parseXML(doc, v.maxSize)
	if err != nil {
		return nil, err
	}

	r := &check{v: v, now: now, requestIDs: requestIDs}
	a, err := r.response(root)
	if err != nil {
		return nil, err
	}

	// The assertion ID must not have been used before.
	// The key is "issuer ID": an XML ID holds no space, so keys of different
	// IdPs never collide.
	fresh, err := v.replay.ClaimAssertion(ctx, a.Issuer+" "+a.ID, a.Expires)
	if err != nil {
		return nil, fmt.Errorf("saml: recording assertion ID: %w", err)
	}
	if !fresh {
		return nil, &ValidationError{Check: CheckReplay, Msg: "assertion was already used",
			Got: a.ID, Err: ErrReplayed}
	}
	return a, nil
}

// checkKeysValid refuses, with CheckMetadataExpired, to use IdP keys past
// until, the validUntil of the metadata they came from; zero is no limit.
func checkKeysValid(until, now time.Time) error {
	if until.IsZero() || now.Before(until) {
		return nil
	}
	return &ValidationError{Check: CheckMetadataExpired,
		Msg: "the IdP's signing certificates come from metadata that has expired; " +
			"fetch or import the IdP's metadata again",
		Want: "before " + until.UTC().Format(time.RFC3339), Got: now.UTC().Format(time.RFC3339)}
}

// check is the state of one verification.
type check struct {
	v          *Verifier
	now        time.Time
	requestIDs []string
	policy     sigPolicy
}

// response checks the Response element and its one assertion.
func (c *check) response(root *etree.Element) (*Assertion, error) {
	c.policy = sigPolicy{AllowSHA1: c.v.cfg.InsecureAllowSHA1, Now: c.now,
		IgnoreCertExpiry: c.v.cfg.InsecureIgnoreCertificateExpiry}
	if root.Tag != "Response" || root.NamespaceURI() != nsProtocol {
		return nil, mismatch(CheckSchema, "document is not a SAML Response",
			"samlp:Response", qname(root.Space, root.Tag))
	}
	// The issuers are compared first, unsigned, so that a response from
	// another IdP is reported as such rather than as a bad signature. They
	// are compared again, signed, below.
	if err := c.issuers(root); err != nil {
		return nil, err
	}

	// A signed Response is replaced by its verified copy.
	resp, alg, err := verifyEnveloped(root, c.v.cfg.IDPCertificates, c.policy)
	signed := err == nil
	switch {
	case errors.Is(err, errNoSignature):
		resp = root
	case err != nil:
		return nil, withContext(err, "Response")
	}

	a := &Assertion{ResponseSigned: signed, SignatureAlgorithm: alg}
	if err := c.responseFields(resp, a); err != nil {
		return nil, err
	}
	if n := countAssertions(root); n != 1 {
		return nil, mismatch(CheckSchema, "a Response must carry exactly one assertion",
			"1", fmt.Sprint(n))
	}

	// The assertion is looked up twice: in the original tree, where its own
	// signature (if any) is checked, and in the verified Response, which is
	// what covers it when it has no signature of its own.
	orig, err := c.assertionElement(root, a)
	if err != nil {
		return nil, err
	}
	covered := orig
	if signed && !a.Encrypted {
		if covered, err = c.assertionElement(resp, a); err != nil {
			return nil, err
		}
	}
	if err := c.assertion(orig, covered, a); err != nil {
		return nil, err
	}
	return a, nil
}

// responseFields checks the Response's own attributes and children.
func (c *check) responseFields(resp *etree.Element, a *Assertion) error {
	if v := attr(resp, "Version"); v != "2.0" {
		return mismatch(CheckVersion, "unsupported Response Version", "2.0", v)
	}
	a.ResponseID = attr(resp, "ID")
	if a.ResponseID == "" {
		return fail(CheckSchema, "Response has no ID")
	}

	// Status first, so that an IdP's error is reported even when unsigned.
	if err := c.status(resp); err != nil {
		return err
	}
	if iss := child(resp, "Issuer"); iss != nil {
		if got := strings.TrimSpace(textOf(iss)); got != c.v.cfg.IDPEntityID {
			return mismatch(CheckIssuer, "Response Issuer is not the configured IdP",
				c.v.cfg.IDPEntityID, got)
		}
	}

	dest := attr(resp, "Destination")
	switch {
	case dest == "" && a.ResponseSigned:
		return mismatch(CheckDestination, "signed Response has no Destination",
			strings.Join(c.v.cfg.ACSURLs, " or "), "")
	case dest != "" && !contains(c.v.cfg.ACSURLs, dest):
		return mismatch(CheckDestination, "Response Destination is not our ACS URL",
			strings.Join(c.v.cfg.ACSURLs, " or "), dest)
	}

	issued, err := timeAttr(resp, "IssueInstant", true)
	if err != nil {
		return err
	}
	if err := c.issueInstant("Response", issued); err != nil {
		return err
	}

	a.InResponseTo = attr(resp, "InResponseTo")
	return c.inResponseTo(a.InResponseTo)
}

// issuers compares the Issuer of the Response and of a plain Assertion,
// where present, with the configured IdP.
func (c *check) issuers(root *etree.Element) error {
	want := c.v.cfg.IDPEntityID
	if iss := child(root, "Issuer"); iss != nil {
		if got := strings.TrimSpace(textOf(iss)); got != want {
			return mismatch(CheckIssuer, "the Response comes from another IdP than the one "+
				"configured (or the IdP's entity ID is configured wrongly)", want, got)
		}
	}
	if a := child(root, "Assertion"); a != nil {
		if iss := child(a, "Issuer"); iss != nil {
			if got := strings.TrimSpace(textOf(iss)); got != want {
				return mismatch(CheckIssuer, "the Assertion comes from another IdP than the one "+
					"configured (or the IdP's entity ID is configured wrongly)", want, got)
			}
		}
	}
	return nil
}

// issueInstant checks that a message was issued neither in the future nor
// longer ago than MaxIssueDelay, allowing for skew.
func (c *check) issueInstant(what string, issued time.Time) error {
	if latest := c.now.Add(c.v.skew); issued.After(latest) {
		return mismatch(CheckIssueInstant, what+" was issued in the future (are the IdP's and "+
			"our clocks set right?)", "at or before "+stamp(latest), stamp(issued))
	}
	if oldest := c.now.Add(-c.v.cfg.MaxIssueDelay - c.v.skew); issued.Before(oldest) {
		return mismatch(CheckIssueInstant, fmt.Sprintf("%s was issued more than %s ago: "+
			"a captured or replayed message, or clocks that differ", what, c.v.cfg.MaxIssueDelay),
			"at or after "+stamp(oldest), stamp(issued))
	}
	return nil
}

// status returns a *StatusError unless the Response's status is Success.
func (c *check) status(resp *etree.Element) error {
	st := child(resp, "Status")
	if st == nil {
		return fail(CheckSchema, "Response has no Status")
	}
	code := child(st, "StatusCode")
	if code == nil {
		return fail(CheckSchema, "Status has no StatusCode")
	}
	top := attr(code, "Value")
	if top == StatusSuccess {
		return nil
	}
	e := &StatusError{Code: top}
	if sub := child(code, "StatusCode"); sub != nil {
		e.SubCode = attr(sub, "Value")
	}
	if msg := child(st, "StatusMessage"); msg != nil {
		e.Message = strings.TrimSpace(textOf(msg))
	}
	return e
}

// inResponseTo checks a Response's InResponseTo against the outstanding
// requests, or that unsolicited responses are allowed.
func (c *check) inResponseTo(id string) error {
	if id == "" {
		if !c.v.cfg.AllowIDPInitiated {
			return fail(CheckUnsolicited,
				"IdP-initiated (unsolicited) responses are not allowed for this IdP")
		}
		return nil
	}
	if !contains(c.requestIDs, id) {
		want := strings.Join(c.requestIDs, " or ")
		if want == "" {
			want = "no outstanding request"
		}
		return mismatch(CheckInResponseTo,
			"InResponseTo does not match a request we sent (expired, or sent to another browser)",
			want, id)
	}
	return nil
}

// assertionElement returns the Response's one Assertion child, decrypting
// an EncryptedAssertion in place of it.
func (c *check) assertionElement(resp *etree.Element, a *Assertion) (*etree.Element, error) {
	for _, el := range resp.ChildElements() {
		switch {
		case el.Tag == "Assertion" && el.NamespaceURI() == nsAssertion:
			return el, nil
		case el.Tag == "EncryptedAssertion" && el.NamespaceURI() == nsAssertion:
			a.Encrypted = true
			return c.decryptAssertion(el)
		}
	}
	return nil, fail(CheckSchema, "the assertion is not a direct child of the Response")
}

// assertion checks one Assertion and fills a from it. orig is the element
// as parsed, whose own signature is checked; covered is the same assertion
// inside the verified Response, read when the assertion is not signed.
func (c *check) assertion(orig, covered *etree.Element, a *Assertion) error {
	el, alg, err := verifyEnveloped(orig, c.v.cfg.IDPCertificates, c.policy)
	switch {
	case err == nil:
		a.AssertionSigned, a.SignatureAlgorithm = true, alg
	case !errors.Is(err, errNoSignature):
		return withContext(err, "Assertion")
	case !a.ResponseSigned:
		return fail(CheckSignature, "neither the Response nor the Assertion is signed")
	case c.v.cfg.RequireSignedAssertions:
		return fail(CheckSignature, "the Assertion is not signed, and this IdP requires it")
	default:
		el = covered
	}

	if v := attr(el, "Version"); v != "2.0" {
		return mismatch(CheckVersion, "unsupported Assertion Version", "2.0", v)
	}
	if a.ID = attr(el, "ID"); a.ID == "" {
		return fail(CheckSchema, "Assertion has no ID")
	}
	issued, err := timeAttr(el, "IssueInstant", true)
	if err != nil {
		return err
	}
	if err := c.issueInstant("Assertion", issued); err != nil {
		return err
	}
	a.IssueInstant = issued
	iss := child(el, "Issuer")
	if iss == nil {
		return fail(CheckSchema, "Assertion has no Issuer")
	}
	if a.Issuer = strings.TrimSpace(textOf(iss)); a.Issuer != c.v.cfg.IDPEntityID {
		return mismatch(CheckIssuer, "Assertion Issuer is not the configured IdP",
			c.v.cfg.IDPEntityID, a.Issuer)
	}
	if child(el, "Advice") != nil {
		return fail(CheckSchema, "assertions with Advice are not supported")
	}

	if err := c.conditions(el, a); err != nil {
		return err
	}
	if err := c.subject(el, a); err != nil {
		return err
	}
	if err := c.authnStatement(el, a); err != nil {
		return err
	}
	return c.attributes(el, a)
}

// conditions checks the validity window and the audience (SAML 2.0 Core,
// section 2.5).
func (c *check) conditions(el *etree.Element, a *Assertion) error {
	cond := child(el, "Conditions")
	if cond == nil {
		return mismatch(CheckAudience, "Assertion has no Conditions, so no AudienceRestriction",
			c.v.cfg.SPEntityID, "")
	}
	var err error
	if a.NotBefore, err = timeAttr(cond, "NotBefore", false); err != nil {
		return err
	}
	if a.NotOnOrAfter, err = timeAttr(cond, "NotOnOrAfter", false); err != nil {
		return err
	}
	if !a.NotBefore.IsZero() && c.now.Add(c.v.skew).Before(a.NotBefore) {
		return mismatch(CheckNotBefore, "assertion is not yet valid (check clocks)",
			"from "+stamp(a.NotBefore), stamp(c.now))
	}
	if !a.NotOnOrAfter.IsZero() && !c.now.Add(-c.v.skew).Before(a.NotOnOrAfter) {
		return mismatch(CheckNotOnOrAfter, "assertion has expired",
			"before "+stamp(a.NotOnOrAfter), stamp(c.now))
	}

	restrictions := 0
	for _, ar := range cond.ChildElements() {
		if ar.Tag != "AudienceRestriction" {
			continue
		}
		restrictions++
		var got []string
		ok := false
		for _, au := range ar.ChildElements() {
			if au.Tag == "Audience" {
				v := strings.TrimSpace(textOf(au))
				got = append(got, v)
				ok = ok || v == c.v.cfg.SPEntityID
			}
		}
		if !ok {
			return mismatch(CheckAudience, "AudienceRestriction does not name our entity ID",
				c.v.cfg.SPEntityID, strings.Join(got, " "))
		}
	}
	if restrictions == 0 {
		return mismatch(CheckAudience, "Assertion has no AudienceRestriction",
			c.v.cfg.SPEntityID, "")
	}
	return nil
}

// subject reads the NameID and checks that one bearer SubjectConfirmation
// is valid for us now (SAML 2.0 Profiles, section 4.1.4.2).
func (c *check) subject(el *etree.Element, a *Assertion) error {
	sub := child(el, "Subject")
	if sub == nil {
		return fail(CheckSchema, "Assertion has no Subject")
	}
	if err := c.nameID(sub, a); err != nil {
		return err
	}

	var first error
	for _, sc := range sub.ChildElements() {
		if sc.Tag != "SubjectConfirmation" || attr(sc, "Method") != cmBearer {
			continue
		}
		exp, err := c.bearer(sc, a)
		if err == nil {
			a.Expires = exp
			if !a.NotOnOrAfter.IsZero() && a.NotOnOrAfter.Before(exp) {
				a.Expires = a.NotOnOrAfter
			}
			// Kept with the largest skew any verifier may allow, so that a
			// verifier sharing the cache with a laxer one is not fooled.
			a.Expires = a.Expires.Add(maxClockSkew)
			return nil
		}
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return first
	}
	return mismatch(CheckSubjectConfirm, "Subject has no bearer SubjectConfirmation",
		cmBearer, "")
}

// bearer checks one bearer SubjectConfirmation and returns its expiry.
func (c *check) bearer(sc *etree.Element, a *Assertion) (time.Time, error) {
	d := child(sc, "SubjectConfirmationData")
	if d == nil {
		return time.Time{}, fail(CheckSubjectConfirm,
			"bearer SubjectConfirmation has no SubjectConfirmationData")
	}
	if r := attr(d, "Recipient"); !contains(c.v.cfg.ACSURLs, r) {
		return time.Time{}, mismatch(CheckRecipient,
			"SubjectConfirmationData Recipient is not our ACS URL",
			strings.Join(c.v.cfg.ACSURLs, " or "), r)
	}
	exp, err := timeAttr(d, "NotOnOrAfter", false)
	if err != nil {
		return time.Time{}, err
	}
	if exp.IsZero() {
		return time.Time{}, fail(CheckSubjectConfirm,
			"SubjectConfirmationData has no NotOnOrAfter")
	}
	if !c.now.Add(-c.v.skew).Before(exp) {
		return time.Time{}, mismatch(CheckNotOnOrAfter, "SubjectConfirmationData has expired",
			"before "+stamp(exp), stamp(c.now))
	}
	nb, err := timeAttr(d, "NotBefore", false)
	if err != nil {
		return time.Time{}, err
	}
	if !nb.IsZero() && c.now.Add(c.v.skew).Before(nb) {
		return time.Time{}, mismatch(CheckNotBefore, "SubjectConfirmationData is not yet valid",
			"from "+stamp(nb), stamp(c.now))
	}

	irt := attr(d, "InResponseTo")
	switch {
	case irt == "" && a.InResponseTo != "" && !a.ResponseSigned:
		// The unsigned Response's InResponseTo must be confirmed by the
		// signed assertion, or anyone could attach it to an unsolicited one.
		return time.Time{}, mismatch(CheckInResponseTo,
			"InResponseTo is in the unsigned Response only, not in the signed assertion",
			a.InResponseTo, "")
	case irt == a.InResponseTo:
	case irt == "":
		// The signed Response carries InResponseTo; the confirmation may
		// leave it out.
	case a.InResponseTo == "":
		// The Response carried none; the confirmation's must be ours.
		if !contains(c.requestIDs, irt) {
			return time.Time{}, mismatch(CheckInResponseTo,
				"SubjectConfirmationData InResponseTo does not match a request we sent",
				strings.Join(c.requestIDs, " or "), irt)
		}
		a.InResponseTo = irt
	default:
		return time.Time{}, mismatch(CheckInResponseTo,
			"SubjectConfirmationData InResponseTo differs from the Response's",
			a.InResponseTo, irt)
	}
	return exp, nil
}

// nameID reads the Subject's NameID, decrypting an EncryptedID.
func (c *check) nameID(sub *etree.Element, a *Assertion) error {
	n := child(sub, "NameID")
	if n == nil {
		enc := child(sub, "EncryptedID")
		if enc == nil {
			return nil // A Subject may identify by confirmation alone.
		}
		var err error
		if n, err = c.decryptNameID(enc); err != nil {
			return err
		}
	}
	a.Subject = NameID{
		Value:           strings.TrimSpace(textOf(n)),
		Format:          attr(n, "Format"),
		NameQualifier:   attr(n, "NameQualifier"),
		SPNameQualifier: attr(n, "SPNameQualifier"),
	}
	return nil
}

// authnStatement reads the AuthnStatement, which the Web Browser SSO
// profile requires.
func (c *check) authnStatement(el *etree.Element, a *Assertion) error {
	st := child(el, "AuthnStatement")
	if st == nil {
		return fail(CheckSchema, "Assertion has no AuthnStatement")
	}
	var err error
	if a.AuthnInstant, err = timeAttr(st, "AuthnInstant", true); err != nil {
		return err
	}
	if a.SessionNotOnOrAfter, err = timeAttr(st, "SessionNotOnOrAfter", false); err != nil {
		return err
	}
	if !a.SessionNotOnOrAfter.IsZero() && !c.now.Before(a.SessionNotOnOrAfter) {
		return mismatch(CheckNotOnOrAfter, "the IdP session has already ended",
			"before "+stamp(a.SessionNotOnOrAfter), stamp(c.now))
	}
	a.SessionIndex = attr(st, "SessionIndex")
	if ctx := child(st, "AuthnContext"); ctx != nil {
		if ref := child(ctx, "AuthnContextClassRef"); ref != nil {
			a.AuthnContextClassRef = strings.TrimSpace(textOf(ref))
		}
	}
	return nil
}

// attributes reads every Attribute of every AttributeStatement.
func (c *check) attributes(el *etree.Element, a *Assertion) error {
	for _, st := range el.ChildElements() {
		if st.Tag != "AttributeStatement" {
			continue
		}
		for _, at := range st.ChildElements() {
			if at.Tag != "Attribute" {
				continue
			}
			attr := Attribute{
				Name:         attr(at, "Name"),
				NameFormat:   attr(at, "NameFormat"),
				FriendlyName: attr(at, "FriendlyName"),
			}
			if attr.Name == "" {
				return fail(CheckSchema, "Attribute has no Name")
			}
			for _, v := range at.ChildElements() {
				if v.Tag == "AttributeValue" {
					attr.Values = append(attr.Values, textOf(v))
				}
			}
			a.Attributes = append(a.Attributes, attr)
		}
	}
	return nil
}

// countAssertions counts Assertion and EncryptedAssertion elements anywhere
// in the document. Only one, directly inside the Response, is allowed, so a
// second one hidden elsewhere (signature wrapping) is refused outright.
func countAssertions(el *etree.Element) int {
	n := 0
	for _, c := range el.ChildElements() {
		if c.Tag == "Assertion" || c.Tag == "EncryptedAssertion" {
			n++
		}
		n += countAssertions(c)
	}
	return n
}

// child returns el's first child element with the given local name, in the
// SAML assertion or protocol namespace.
func child(el *etree.Element, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			if ns := c.NamespaceURI(); ns == nsAssertion || ns == nsProtocol {
				return c
			}
		}
	}
	return nil
}

// timeAttr parses an xs:dateTime attribute. A missing optional attribute is
// the zero time.
func timeAttr(el *etree.Element, name string, required bool) (time.Time, error) {
	s := attr(el, name)
	if s == "" {
		if required {
			return time.Time{}, fail(CheckSchema, fmt.Sprintf("<%s> has no %s", el.Tag, name))
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		// SAML times are UTC (Core, section 1.3.3); a few IdPs leave out
		// the Z.
		t, err = time.Parse("2006-01-02T15:04:05.999999999", strings.TrimSpace(s))
	}
	if err != nil {
		return time.Time{}, mismatch(CheckSchema,
			fmt.Sprintf("<%s> %s is not an xs:dateTime", el.Tag, name), "2006-01-02T15:04:05Z", s)
	}
	return t, nil
}

// withContext adds which element a signature error was about.
func withContext(err error, what string) error {
	var ve *ValidationError
	if errors.As(err, &ve) {
		cp := *ve
		cp.Msg = what + ": " + cp.Msg
		return &cp
	}
	return err
}

// stamp formats an instant for error messages.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// decodeBase64Bytes decodes a form value that may contain line breaks.
func decodeBase64Bytes(b []byte) ([]byte, error) {
	if bytes.ContainsAny(b, " \t") {
		return decodeBase64(string(b))
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	n, err := base64.StdEncoding.Decode(out, b)
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}
