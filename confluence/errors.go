package confluence

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrNotFound means that Confluence has no such page, space or attachment,
// or that the credentials may not see it: Confluence answers 404 in both
// cases, so the two cannot be told apart. [*WithheldError] also matches it,
// so that a withheld page looks exactly like a missing one to an outsider.
var ErrNotFound = errors.New("confluence: not found")

// ErrUnauthorized means that Confluence refused the credentials (401) or
// that they lack a permission or OAuth scope for the call (403).
var ErrUnauthorized = errors.New("confluence: unauthorized")

// ErrUnavailable means that Confluence could not be used for the moment:
// it answered with a server error (5xx), or the connection failed or timed
// out, after the retries allowed by [RetryConfig] were used up.
var ErrUnavailable = errors.New("confluence: unavailable")

// ErrBadAnswer means that Confluence answered, but with something the
// client cannot use: not JSON, larger than allowed, a list longer than
// allowed, or a link that leaves the site. It concerns that one answer; a
// [Cache] does not take it for an outage.
var ErrBadAnswer = errors.New("confluence: unusable answer")

// ErrAnonymous means that Confluence Data Center answered as the anonymous
// user. Data Center does this, instead of refusing, when a personal access
// token is wrong and anonymous access is turned on; every answer would then
// be public content only. [NewDataCenter] refuses to start when it sees it.
var ErrAnonymous = errors.New(
	"confluence: the token was not accepted and Data Center answered as the anonymous user")

// RateLimitedError reports that Confluence kept answering 429 Too Many
// Requests after the allowed retries, or asked for a wait longer than the
// retry policy or the caller's context allows.
type RateLimitedError struct {
	// RetryAfter is how long Confluence asked the caller to wait, from the
	// Retry-After or X-RateLimit-Reset header; zero when it did not say.
	RetryAfter time.Duration

	// Attempts is how many requests were made.
	Attempts int
}

// Error implements error.
func (e *RateLimitedError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("confluence: rate limited after %d attempts, retry after %s",
			e.Attempts, e.RetryAfter)
	}
	return fmt.Sprintf("confluence: rate limited after %d attempts", e.Attempts)
}

// ResponseError is an unexpected HTTP answer from Confluence. It matches
// [ErrNotFound] for 404, [ErrUnauthorized] for 401 and 403, and
// [ErrUnavailable] for 5xx, through [errors.Is].
type ResponseError struct {
	// Method and Path identify the request (the path has no query string).
	Method, Path string

	// StatusCode is the HTTP status.
	StatusCode int

	// Code and Message come from Confluence's error envelope when it sent
	// one: v2's errors[0].code and title/detail, or v1's reason and message.
	// They are never Confluence's text verbatim: the client's own
	// credentials and anything shaped like an Authorization value
	// ("Basic …", "Bearer …") are replaced by "[redacted]", and Message is
	// cut to 300 bytes, Code to 100.
	Code, Message string
}

// Error implements error.
func (e *ResponseError) Error() string {
	s := fmt.Sprintf("confluence: %s %s: %d %s", e.Method, e.Path, e.StatusCode,
		http.StatusText(e.StatusCode))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns the sentinel that the status code stands for, or nil.
func (e *ResponseError) Unwrap() error {
	switch {
	case e.StatusCode == http.StatusNotFound:
		return ErrNotFound
	case e.StatusCode == http.StatusUnauthorized, e.StatusCode == http.StatusForbidden:
		return ErrUnauthorized
	case e.StatusCode >= 500:
		return ErrUnavailable
	}
	return nil
}

// WithheldError reports that a [Scope] keeps a page from outsiders. It
// matches [ErrNotFound] through [errors.Is] so that callers who only show
// "not found" never reveal why; Reason is for audit logs and admins only.
type WithheldError struct {
	// PageID is the page that was asked for.
	PageID string

	// Reason says which rule withheld it.
	Reason WithholdReason

	// Because is the page that carries the restriction or label, which is
	// PageID itself or one of its ancestors.
	Because string
}

// Error implements error.
func (e *WithheldError) Error() string {
	if e.Because != "" && e.Because != e.PageID {
		return fmt.Sprintf("confluence: page %s withheld: ancestor %s %s",
			e.PageID, e.Because, e.Reason)
	}
	return fmt.Sprintf("confluence: page %s withheld: %s", e.PageID, e.Reason)
}

// Is reports whether target is [ErrNotFound].
func (e *WithheldError) Is(target error) bool { return target == ErrNotFound }

// WithholdReason says why a [Scope] withholds a page.
type WithholdReason int

// The reasons a page is withheld.
const (
	// WithholdOutOfScope: the page is not the shared page, not under it,
	// or in another space.
	WithholdOutOfScope WithholdReason = iota + 1
	// WithholdNotCurrent: the page is a draft, archived or trashed.
	WithholdNotCurrent
	// WithholdRestricted: the page carries view restrictions.
	WithholdRestricted
	// WithholdExcludedLabel: the page carries an exclusion label.
	WithholdExcludedLabel
)

// String returns a short lowercase description.
func (r WithholdReason) String() string {
	switch r {
	case WithholdOutOfScope:
		return "is out of the shared scope"
	case WithholdNotCurrent:
		return "is not a current published page"
	case WithholdRestricted:
		return "has view restrictions"
	case WithholdExcludedLabel:
		return "has an exclusion label"
	}
	return fmt.Sprintf("WithholdReason(%d)", int(r))
}
