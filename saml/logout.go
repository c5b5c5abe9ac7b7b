package saml

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// DefaultMaxLogoutSize is the largest decoded (and, for the Redirect
// binding, inflated) logout message accepted when no MaxMessageSize is
// configured.
const DefaultMaxLogoutSize = 32 << 10

// Logout reasons (SAML 2.0 Core, section 3.7.3).
const (
	LogoutReasonUser  = "urn:oasis:names:tc:SAML:2.0:logout:user"
	LogoutReasonAdmin = "urn:oasis:names:tc:SAML:2.0:logout:admin"
)

// StatusPartialLogout is the second-level status an IdP sets when it could
// not log the user out of every session participant (SAML 2.0 Core,
// section 3.2.2.2).
const StatusPartialLogout = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"

// LogoutRequestOptions say whom a LogoutRequest logs out.
type LogoutRequestOptions struct {
	// ID is the request's ID; empty means a fresh one. See
	// [AuthnRequestOptions].ID.
	ID string
	// NameID is the user's NameID as the IdP sent it in the assertion
	// (Value, Format and qualifiers). Value is required.
	NameID NameID
	// SessionIndexes are the SessionIndex values of the sessions to end;
	// empty means every session of the user.
	SessionIndexes []string
	// Reason is an optional reason URI such as [LogoutReasonUser].
	Reason string
}

// LogoutVerifierConfig configures a [LogoutVerifier]. The zero value of
// every optional field is the safe choice.
type LogoutVerifierConfig struct {
	// SLOURLs are our SingleLogoutService URLs; a message's Destination
	// must equal one of them. At least one is required.
	SLOURLs []string
	// IDPEntityID is the IdP's entity ID, which the Issuer must equal.
	// Required.
	IDPEntityID string
	// IDPCertificates are the IdP's signing certificates. Every logout
	// message must be signed with one of them. At least one is required.
	IDPCertificates []*x509.Certificate
	// IDPCertificatesValidUntil is as in [VerifierConfig]: from then on
	// every message is refused with [CheckMetadataExpired].
	IDPCertificatesValidUntil time.Time

	// InsecureAllowSHA1 accepts RSA-SHA1 signatures and SHA-1 digests.
	// Acceptable only for an IdP that cannot sign with SHA-256.
	InsecureAllowSHA1 bool
	// InsecureIgnoreCertificateExpiry accepts signatures by IdP
	// certificates outside their validity period. Acceptable when the IdP
	// pins a long-expired self-signed certificate; the key is still checked.
	InsecureIgnoreCertificateExpiry bool

	// ClockSkew is the clock difference tolerated in time checks. Zero
	// means DefaultClockSkew; it may not exceed 10 minutes.
	ClockSkew time.Duration
	// MaxIssueDelay is how old a message's IssueInstant may be. Zero means
	// DefaultMaxIssueDelay.
	MaxIssueDelay time.Duration
	// MaxMessageSize bounds the decoded message in bytes. Zero means
	// DefaultMaxLogoutSize.
	MaxMessageSize int

	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// LogoutVerifier validates the Single Logout messages an IdP sends to the
// SP (SAML 2.0 Profiles, section 4.4): LogoutRequests that ask us to end a
// session, and LogoutResponses that answer ours, by the HTTP-Redirect or
// HTTP-POST binding. Every message must be signed by a configured IdP
// certificate: an unsigned logout message is refused. It is safe for
// concurrent use. EncryptedID and BaseID in LogoutRequests are not
// supported, nor is the SOAP binding.
type LogoutVerifier struct {
	cfg LogoutVerifierConfig
}

// LogoutRequest is a verified LogoutRequest from the IdP. It holds no XML.
type LogoutRequest struct {
	// ID is the request ID; our LogoutResponse answers it.
	ID string
	// Issuer is the IdP entity ID.
	Issuer string
	// IssueInstant is when the IdP issued the request.
	IssueInstant time.Time
	// NotOnOrAfter is the request's expiry; zero when absent.
	NotOnOrAfter time.Time
	// AcceptedUntil is an instant from which the [LogoutVerifier] refuses
	// this request: a second after the last instant it accepts it
	// (IssueInstant plus MaxIssueDelay, or NotOnOrAfter when earlier, plus
	// the clock skew), the second covering any replay cache's time
	// resolution. Keep its ID in a replay cache until then so that the
	// same signed request is carried out once.
	AcceptedUntil time.Time
	// Reason is the optional reason URI.
	Reason string
	// NameID identifies the user whose sessions end.
	NameID NameID
	// SessionIndexes are the sessions to end; empty means all of them.
	SessionIndexes []string
	// SignatureAlgorithm is the URI of the algorithm of the verified
	// signature.
	SignatureAlgorithm string
}

// LogoutResponse is a verified, successful LogoutResponse from the IdP. It
// holds no XML.
type LogoutResponse struct {
	// ID is the response ID.
	ID string
	// InResponseTo is the ID of our LogoutRequest that it answers.
	InResponseTo string
	// Issuer is the IdP entity ID.
	Issuer string
	// IssueInstant is when the IdP issued the response.
	IssueInstant time.Time
	// Status is the top-level status code, always [StatusSuccess].
	Status string
	// SubStatus is the second-level status code, such as
	// [StatusPartialLogout]; empty when absent.
	SubStatus string
	// SignatureAlgorithm is the URI of the algorithm of the verified
	// signature.
	SignatureAlgorithm string
}

// RedirectLogoutRequest builds a LogoutRequest (SAML 2.0 Core, section
// 3.7.1) to the IdP's SingleLogoutService destination and returns the
// HTTP-Redirect URL and the request ID, which the caller keeps to check the
// LogoutResponse's InResponseTo. It is signed over the query string when a
// signing key is configured, as SAML 2.0 Profiles section 4.4.4.1
// requires IdPs to expect.
func (b *RequestBuilder) RedirectLogoutRequest(destination, relayState string,
	opts LogoutRequestOptions) (redirectURL, id string, err error) {
	if err := checkRelayState(relayState); err != nil {
		return "", "", err
	}
	if err := checkAbsoluteURL(destination); err != nil {
		return "", "", fmt.Errorf("saml: logout request: destination: %w", err)
	}
	if opts.NameID.Value == "" {
		return "", "", errors.New("saml: logout request: NameID.Value is required")
	}

	el, id, err := b.newRequestElement("samlp:LogoutRequest", destination, opts.ID)
	if err != nil {
		return "", "", err
	}
	if opts.Reason != "" {
		el.CreateAttr("Reason", opts.Reason)
	}
	b.addIssuer(el)
	n := el.CreateElement("saml:NameID")
	setAttrIf(n, "NameQualifier", opts.NameID.NameQualifier)
	setAttrIf(n, "SPNameQualifier", opts.NameID.SPNameQualifier)
	setAttrIf(n, "Format", opts.NameID.Format)
	n.SetText(opts.NameID.Value)
	for _, s := range opts.SessionIndexes {
		el.CreateElement("samlp:SessionIndex").SetText(s)
	}

	u, err := encodeRedirect(destination, "SAMLRequest", el, relayState, b.signer)
	if err != nil {
		return "", "", err
	}
	return u, id, nil
}

// RedirectLogoutResponse builds a LogoutResponse (SAML 2.0 Core, section
// 3.7.2) answering the IdP's LogoutRequest inResponseTo, with the
// top-level status code status (empty means [StatusSuccess]), and returns
// the HTTP-Redirect URL to the IdP's SingleLogoutService destination
// (its ResponseLocation when metadata gives one). It is signed when a
// signing key is configured.
func (b *RequestBuilder) RedirectLogoutResponse(destination, relayState, inResponseTo,
	status string) (string, error) {
	if err := checkAbsoluteURL(destination); err != nil {
		return "", fmt.Errorf("saml: logout response: destination: %w", err)
	}
	if status == "" {
		status = StatusSuccess
	}

	el, _, err := b.newRequestElement("samlp:LogoutResponse", destination, "")
	if err != nil {
		return "", err
	}
	if inResponseTo != "" {
		el.CreateAttr("InResponseTo", inResponseTo)
	}
	b.addIssuer(el)
	el.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", status)

	return encodeRedirect(destination, "SAMLResponse", el, relayState, b.signer)
}

// NewLogoutVerifier validates cfg and returns a LogoutVerifier.
func NewLogoutVerifier(cfg LogoutVerifierConfig) (*LogoutVerifier, error) {
	var problems []string
	if len(cfg.SLOURLs) == 0 {
		problems = append(problems, "at least one SLO URL is required")
	}
	if cfg.IDPEntityID == "" {
		problems = append(problems, "IDPEntityID is required")
	}
	if len(cfg.IDPCertificates) == 0 || slices.Contains(cfg.IDPCertificates, nil) {
		problems = append(problems, "at least one IdP signing certificate (none nil) is required")
	}
	problems = append(problems, weakKeyProblems(cfg.IDPCertificates)...)
	if cfg.ClockSkew < 0 || cfg.ClockSkew > 10*time.Minute {
		problems = append(problems, "ClockSkew must be between 0 and 10 minutes")
	}
	if cfg.MaxMessageSize < 0 || cfg.MaxIssueDelay < 0 {
		problems = append(problems, "MaxMessageSize and MaxIssueDelay may not be negative")
	}
	if len(problems) > 0 {
		return nil, errors.New("saml: invalid logout verifier configuration: " +
			strings.Join(problems, "; "))
	}

	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = DefaultClockSkew
	}
	if cfg.MaxIssueDelay == 0 {
		cfg.MaxIssueDelay = DefaultMaxIssueDelay
	}
	if cfg.MaxMessageSize == 0 {
		cfg.MaxMessageSize = DefaultMaxLogoutSize
	}
	return &LogoutVerifier{cfg: cfg}, nil
}

// VerifyRedirectRequest validates a LogoutRequest that arrived by the
// HTTP-Redirect binding. rawQuery is the request's query string exactly as
// received (r.URL.RawQuery), because the signature covers the encoded
// bytes (SAML 2.0 Bindings, section 3.4.4.1). The signature also covers
// RelayState, which the caller reads from the query itself and echoes in
// its LogoutResponse.
func (v *LogoutVerifier) VerifyRedirectRequest(rawQuery string) (*LogoutRequest, error) {
	el, alg, err := v.fromRedirect(rawQuery, "SAMLRequest")
	if err != nil {
		return nil, err
	}
	return v.request(el, alg)
}

// VerifyPostRequest validates a LogoutRequest that arrived by the HTTP-POST
// binding; samlRequest is the base64 SAMLRequest form value. The
// LogoutRequest must carry an enveloped signature.
func (v *LogoutVerifier) VerifyPostRequest(samlRequest string) (*LogoutRequest, error) {
	el, alg, err := v.fromPost(samlRequest, "LogoutRequest")
	if err != nil {
		return nil, err
	}
	return v.request(el, alg)
}

// VerifyRedirectResponse validates a LogoutResponse that arrived by the
// HTTP-Redirect binding (rawQuery as for [LogoutVerifier.VerifyRedirectRequest]).
// requestID is the ID of the LogoutRequest we sent, which InResponseTo
// must equal. A non-success status is a *[StatusError].
func (v *LogoutVerifier) VerifyRedirectResponse(rawQuery, requestID string) (*LogoutResponse,
	error) {
	el, alg, err := v.fromRedirect(rawQuery, "SAMLResponse")
	if err != nil {
		return nil, err
	}
	return v.response(el, alg, requestID)
}

// VerifyPostResponse validates a LogoutResponse that arrived by the
// HTTP-POST binding; samlResponse is the base64 SAMLResponse form value.
// requestID is as for [LogoutVerifier.VerifyRedirectResponse].
func (v *LogoutVerifier) VerifyPostResponse(samlResponse, requestID string) (*LogoutResponse,
	error) {
	el, alg, err := v.fromPost(samlResponse, "LogoutResponse")
	if err != nil {
		return nil, err
	}
	return v.response(el, alg, requestID)
}

// fromRedirect decodes a Redirect-binding message, checks its query
// signature and parses it.
func (v *LogoutVerifier) fromRedirect(rawQuery, param string) (*etree.Element, string, error) {
	if err := checkKeysValid(v.cfg.IDPCertificatesValidUntil, v.now()); err != nil {
		return nil, "", err
	}
	m, err := decodeRedirect(rawQuery, param, v.cfg.MaxMessageSize)
	if err != nil {
		return nil, "", err
	}
	alg, err := m.verifySignature(v.cfg.IDPCertificates, v.policy())
	if err != nil {
		return nil, "", err
	}
	el, err := parseXML(m.xml, v.cfg.MaxMessageSize)
	if err != nil {
		return nil, "", err
	}
	return el, alg, nil
}

// fromPost decodes a POST-binding message, checks that its root is tag and
// verifies its enveloped signature. It returns the verified element.
func (v *LogoutVerifier) fromPost(value, tag string) (*etree.Element, string, error) {
	if err := checkKeysValid(v.cfg.IDPCertificatesValidUntil, v.now()); err != nil {
		return nil, "", err
	}
	if limit := v.cfg.MaxMessageSize/3*4 + v.cfg.MaxMessageSize/32 + 8; len(value) > limit {
		return nil, "", mismatch(CheckSize, "logout message too large",
			fmt.Sprintf("at most %d bytes", limit), fmt.Sprintf("%d bytes", len(value)))
	}
	doc, err := decodeBase64(value)
	if err != nil {
		return nil, "", wrapFail(CheckEncoding, "message is not valid base64", err)
	}
	el, err := parseXML(doc, v.cfg.MaxMessageSize)
	if err != nil {
		return nil, "", err
	}
	if err := checkRoot(el, tag); err != nil {
		return nil, "", err
	}

	verified, alg, err := verifyEnveloped(el, v.cfg.IDPCertificates, v.policy())
	if errors.Is(err, errNoSignature) {
		return nil, "", fail(CheckSignature, tag+" is not signed")
	}
	if err != nil {
		return nil, "", err
	}
	return verified, alg, nil
}

// request reads and checks a LogoutRequest element.
func (v *LogoutVerifier) request(el *etree.Element, alg string) (*LogoutRequest, error) {
	if err := checkRoot(el, "LogoutRequest"); err != nil {
		return nil, err
	}
	r := &LogoutRequest{ID: attr(el, "ID"), Reason: attr(el, "Reason"),
		SignatureAlgorithm: alg}
	var err error
	if r.Issuer, r.IssueInstant, err = v.common(el); err != nil {
		return nil, err
	}

	// NotOnOrAfter, when present, must not have passed.
	if r.NotOnOrAfter, err = logoutTime(el, "NotOnOrAfter", false); err != nil {
		return nil, err
	}
	now := v.now()
	if !r.NotOnOrAfter.IsZero() && !now.Before(r.NotOnOrAfter.Add(v.cfg.ClockSkew)) {
		return nil, mismatch(CheckNotOnOrAfter, "LogoutRequest has expired",
			"before "+r.NotOnOrAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	r.AcceptedUntil = r.IssueInstant.Add(v.cfg.MaxIssueDelay)
	if !r.NotOnOrAfter.IsZero() && r.NotOnOrAfter.Before(r.AcceptedUntil) {
		r.AcceptedUntil = r.NotOnOrAfter
	}
	r.AcceptedUntil = r.AcceptedUntil.Add(v.cfg.ClockSkew + time.Second)

	// Exactly one NameID says whom to log out.
	if err := r.readSubject(el); err != nil {
		return nil, err
	}
	return r, nil
}

// readSubject reads the NameID and SessionIndexes.
func (r *LogoutRequest) readSubject(el *etree.Element) error {
	var nameIDs int
	for _, c := range el.ChildElements() {
		switch ns := c.NamespaceURI(); {
		case ns == nsAssertion && c.Tag == "NameID":
			nameIDs++
			r.NameID = NameID{Value: strings.TrimSpace(textOf(c)),
				Format:          attr(c, "Format"),
				NameQualifier:   attr(c, "NameQualifier"),
				SPNameQualifier: attr(c, "SPNameQualifier")}
		case ns == nsAssertion && (c.Tag == "EncryptedID" || c.Tag == "BaseID"):
			return fail(CheckSchema, "LogoutRequest identifies the user by "+c.Tag+
				", which is not supported")
		case ns == nsProtocol && c.Tag == "SessionIndex":
			if s := strings.TrimSpace(textOf(c)); s != "" {
				r.SessionIndexes = append(r.SessionIndexes, s)
			}
		}
	}
	if nameIDs != 1 || r.NameID.Value == "" {
		return mismatch(CheckSchema, "LogoutRequest must hold exactly one non-empty NameID",
			"1", fmt.Sprint(nameIDs))
	}
	return nil
}

// response reads and checks a LogoutResponse element.
func (v *LogoutVerifier) response(el *etree.Element, alg, requestID string) (*LogoutResponse,
	error) {
	if err := checkRoot(el, "LogoutResponse"); err != nil {
		return nil, err
	}
	r := &LogoutResponse{ID: attr(el, "ID"),
		InResponseTo: attr(el, "InResponseTo"), SignatureAlgorithm: alg}
	var err error
	if r.Issuer, r.IssueInstant, err = v.common(el); err != nil {
		return nil, err
	}

	// InResponseTo must name the LogoutRequest we sent.
	if requestID == "" || r.InResponseTo != requestID {
		return nil, mismatch(CheckInResponseTo, "LogoutResponse does not answer our LogoutRequest",
			requestID, r.InResponseTo)
	}

	// The status must be Success.
	if r.Status, r.SubStatus, err = logoutStatus(el); err != nil {
		return nil, err
	}
	return r, nil
}

// common checks what every logout message has: ID, Version, Issuer,
// Destination and IssueInstant.
func (v *LogoutVerifier) common(el *etree.Element) (string, time.Time, error) {
	// ID and Version are required.
	if attr(el, "ID") == "" {
		return "", time.Time{}, fail(CheckSchema, el.Tag+" has no ID")
	}
	if ver := attr(el, "Version"); ver != "2.0" {
		return "", time.Time{}, mismatch(CheckVersion, el.Tag+" is not SAML 2.0", "2.0", ver)
	}

	// The Issuer must be the configured IdP.
	var issuer string
	var issuers int
	for _, c := range el.ChildElements() {
		if c.Tag == "Issuer" && c.NamespaceURI() == nsAssertion {
			issuer = strings.TrimSpace(textOf(c))
			issuers++
		}
	}
	if issuers != 1 || issuer != v.cfg.IDPEntityID {
		return "", time.Time{}, mismatch(CheckIssuer, el.Tag+" Issuer is not the configured IdP",
			v.cfg.IDPEntityID, issuer)
	}

	// Signed messages must name their Destination, and it must be us.
	dest := attr(el, "Destination")
	if !slices.Contains(v.cfg.SLOURLs, dest) {
		return "", time.Time{}, mismatch(CheckDestination, el.Tag+" Destination is not our SLO URL",
			strings.Join(v.cfg.SLOURLs, " or "), dest)
	}

	// IssueInstant must be recent and not in the future.
	issued, err := logoutTime(el, "IssueInstant", true)
	if err != nil {
		return "", time.Time{}, err
	}
	now := v.now()
	if latest := now.Add(v.cfg.ClockSkew); issued.After(latest) {
		return "", time.Time{}, mismatch(CheckNotBefore,
			el.Tag+" was issued in the future (check clocks)",
			"before "+latest.UTC().Format(time.RFC3339), issued.UTC().Format(time.RFC3339))
	}
	if oldest := now.Add(-v.cfg.MaxIssueDelay - v.cfg.ClockSkew); issued.Before(oldest) {
		return "", time.Time{}, mismatch(CheckNotOnOrAfter, el.Tag+" is too old",
			"issued after "+oldest.UTC().Format(time.RFC3339), issued.UTC().Format(time.RFC3339))
	}
	return issuer, issued, nil
}

// policy is the signature policy from the configuration.
func (v *LogoutVerifier) policy() sigPolicy {
	return sigPolicy{AllowSHA1: v.cfg.InsecureAllowSHA1, Now: v.now(),
		IgnoreCertExpiry: v.cfg.InsecureIgnoreCertificateExpiry}
}

// now returns the configured time.
func (v *LogoutVerifier) now() time.Time {
	if v.cfg.Now != nil {
		return v.cfg.Now()
	}
	return time.Now()
}

// checkRoot refuses an element that is not samlp:tag.
func checkRoot(el *etree.Element, tag string) error {
	if el.Tag != tag || el.NamespaceURI() != nsProtocol {
		return mismatch(CheckSchema, "unexpected message", "samlp:"+tag, el.Tag)
	}
	return nil
}

// logoutStatus returns the status codes of a LogoutResponse, or a
// *StatusError when the top-level code is not Success.
func logoutStatus(el *etree.Element) (string, string, error) {
	var st *etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == "Status" && c.NamespaceURI() == nsProtocol {
			st = c
		}
	}
	if st == nil {
		return "", "", fail(CheckSchema, "LogoutResponse has no Status")
	}
	code := protocolChild(st, "StatusCode")
	if code == nil {
		return "", "", fail(CheckSchema, "LogoutResponse Status has no StatusCode")
	}
	top := attr(code, "Value")
	var sub string
	if c := protocolChild(code, "StatusCode"); c != nil {
		sub = attr(c, "Value")
	}
	if top != StatusSuccess {
		var msg string
		if m := protocolChild(st, "StatusMessage"); m != nil {
			msg = strings.TrimSpace(textOf(m))
		}
		return "", "", &StatusError{Code: top, SubCode: sub, Message: msg}
	}
	return top, sub, nil
}

// protocolChild returns the first samlp:tag child of el.
func protocolChild(el *etree.Element, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == nsProtocol {
			return c
		}
	}
	return nil
}

// logoutTime reads an xs:dateTime attribute.
func logoutTime(el *etree.Element, name string, required bool) (time.Time, error) {
	s := strings.TrimSpace(attr(el, name))
	if s == "" {
		if required {
			return time.Time{}, fail(CheckSchema, el.Tag+" has no "+name)
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, mismatch(CheckSchema, el.Tag+" "+name+" is not an xs:dateTime",
			"2006-01-02T15:04:05Z", s)
	}
	return t, nil
}

// setAttrIf sets an attribute when the value is non-empty.
func setAttrIf(el *etree.Element, key, value string) {
	if value != "" {
		el.CreateAttr(key, value)
	}
}
