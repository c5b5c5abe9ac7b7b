package saml

import (
	"errors"
	"fmt"
)

// Check names one rule of response, metadata or message validation. Every
// [ValidationError] carries the Check that failed, so callers branch on it
// rather than on error text.
type Check string

// The checks [Verifier.Verify] and the metadata and logout parsers perform.
const (
	CheckSize            Check = "size"                 // input over the configured limit
	CheckEncoding        Check = "encoding"             // base64 or DEFLATE decoding
	CheckXML             Check = "xml"                  // well-formedness, DTDs, structure
	CheckSchema          Check = "schema"               // required element or attribute missing or repeated
	CheckVersion         Check = "version"              // Version is not 2.0
	CheckStatus          Check = "status"               // non-success StatusCode (see StatusError)
	CheckDestination     Check = "destination"          // Response/@Destination is not our ACS
	CheckIssuer          Check = "issuer"               // Issuer is not the configured IdP
	CheckSignature       Check = "signature"            // missing, malformed or invalid signature
	CheckAlgorithm       Check = "algorithm"            // disallowed signature, digest or encryption algorithm
	CheckCertificate     Check = "certificate"          // signing certificate expired or not yet valid
	CheckDecryption      Check = "decryption"           // EncryptedAssertion or EncryptedID cannot be decrypted
	CheckInResponseTo    Check = "in_response_to"       // unknown or unexpected InResponseTo
	CheckUnsolicited     Check = "unsolicited"          // IdP-initiated response not allowed
	CheckAudience        Check = "audience"             // AudienceRestriction does not name us
	CheckNotBefore       Check = "not_before"           // assertion not yet valid
	CheckNotOnOrAfter    Check = "not_on_or_after"      // assertion expired
	CheckIssueInstant    Check = "issue_instant"        // issued in the future or too long ago
	CheckSubjectConfirm  Check = "subject_confirmation" // no valid bearer SubjectConfirmation
	CheckRecipient       Check = "recipient"            // SubjectConfirmationData/@Recipient is not our ACS
	CheckReplay          Check = "replay"               // assertion ID already used
	CheckMetadata        Check = "metadata"             // metadata unusable as configured
	CheckMetadataExpired Check = "metadata_expired"     // metadata validUntil has passed
)

// ErrReplayed is wrapped by the [ValidationError] returned when an assertion
// ID has been accepted before.
var ErrReplayed = errors.New("saml: assertion already used")

// ValidationError reports which check refused a message and the values it
// compared, so that an administrator can fix the IdP or SP configuration.
// It never contains assertion XML, keys or tokens.
type ValidationError struct {
	// Check is the rule that failed.
	Check Check
	// Msg says what was wrong, in words.
	Msg string
	// Want and Got are the compared values when the check compares values
	// (for example the expected audience and the ones received); either
	// may be empty.
	Want string
	Got  string
	// Err is the underlying cause, if any.
	Err error
}

// Error implements error: "saml: <check>: <msg> (want "x", got "y"): <cause>".
func (e *ValidationError) Error() string {
	s := "saml: " + string(e.Check) + ": " + e.Msg
	if e.Want != "" || e.Got != "" {
		s += fmt.Sprintf(" (want %q, got %q)", e.Want, e.Got)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *ValidationError) Unwrap() error { return e.Err }

// StatusError is returned when the IdP answered with a non-success Status
// (SAML 2.0 Core, section 3.2.2.2). It unwraps to a [ValidationError] with
// [CheckStatus].
type StatusError struct {
	// Code is the top-level StatusCode, such as
	// urn:oasis:names:tc:SAML:2.0:status:Responder.
	Code string
	// SubCode is the second-level StatusCode, such as
	// urn:oasis:names:tc:SAML:2.0:status:AuthnFailed; empty if absent.
	SubCode string
	// Message is the StatusMessage text; empty if absent.
	Message string
}

// Error implements error.
func (e *StatusError) Error() string {
	s := "saml: status: IdP returned " + e.Code
	if e.SubCode != "" {
		s += " / " + e.SubCode
	}
	if e.Message != "" {
		s += fmt.Sprintf(": %q", e.Message)
	}
	return s
}

// As reports whether target is a *ValidationError for [CheckStatus], so
// that callers can treat status failures like any other check.
func (e *StatusError) As(target any) bool {
	if ve, ok := target.(**ValidationError); ok {
		*ve = &ValidationError{Check: CheckStatus, Msg: "IdP returned a non-success status",
			Want: StatusSuccess, Got: e.Code, Err: nil}
		return true
	}
	return false
}

// fail builds a *ValidationError.
func fail(c Check, msg string) *ValidationError {
	return &ValidationError{Check: c, Msg: msg}
}

// mismatch builds a *ValidationError that compares two values.
func mismatch(c Check, msg, want, got string) *ValidationError {
	return &ValidationError{Check: c, Msg: msg, Want: want, Got: got}
}

// wrapFail builds a *ValidationError with a cause.
func wrapFail(c Check, msg string, err error) *ValidationError {
	return &ValidationError{Check: c, Msg: msg, Err: err}
}
