package idp

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel errors that callers branch on with [errors.Is].
var (
	// ErrNoEmail is wrapped by the [MappingError] returned when an assertion
	// carries no usable email address.
	ErrNoEmail = errors.New("idp: no email address in assertion")

	// ErrEmailDomain is wrapped by the [MappingError] returned when the
	// email address is outside the IdP's [Config.EmailDomains].
	ErrEmailDomain = errors.New("idp: email domain not allowed for this IdP")

	// ErrMetadataExpired is wrapped by [MetadataExpiredError].
	ErrMetadataExpired = errors.New("idp: metadata expired")

	// ErrMetadataTooLarge is returned (wrapped) when a metadata document is
	// larger than the configured limit.
	ErrMetadataTooLarge = errors.New("idp: metadata too large")

	// ErrInsecureURL is returned (wrapped) when a metadata URL, or a
	// redirect it leads to, is not HTTPS and plain HTTP was not allowed for
	// a loopback address.
	ErrInsecureURL = errors.New("idp: metadata URL must use https")

	// ErrEntityChanged is wrapped by [EntityChangedError].
	ErrEntityChanged = errors.New("idp: metadata describes another entity")

	// ErrNoMetadata is returned by [Refresher.Metadata] before the first
	// successful fetch when no fetch has failed yet.
	ErrNoMetadata = errors.New("idp: no metadata fetched yet")

	// ErrNotFound is wrapped by the errors a [ConfigStore] returns when no
	// configuration has the name asked for.
	ErrNotFound = errors.New("idp: configuration not found")

	// ErrConflict is wrapped by the error [ConfigStore.PutIDPConfig]
	// returns when the configuration's name or entity ID is taken, or when
	// it was changed since the version being updated was read: read it
	// again, reapply the change and retry.
	ErrConflict = errors.New("idp: configuration conflict")
)

// FieldError is one problem with one field of a [Config].
type FieldError struct {
	// Field is the Config field's Go name, such as "SSOURL" or
	// "Mapping.Email".
	Field string
	// Msg says what is wrong and what to change.
	Msg string
}

// Error implements error.
func (e *FieldError) Error() string { return "idp: " + e.Field + ": " + e.Msg }

// ConfigError lists every problem [Config.Validate] found, so that an
// administrator can fix them all at once.
type ConfigError struct {
	// Name is the configuration's Name, possibly empty.
	Name string
	// Problems holds one entry per problem, in field order. It is never
	// empty.
	Problems []FieldError
}

// Error implements error, joining every problem on one line.
func (e *ConfigError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Msg
	}
	name := ""
	if e.Name != "" {
		name = fmt.Sprintf(" %q", e.Name)
	}
	return "idp: invalid configuration" + name + ": " + strings.Join(parts, "; ")
}

// Field returns the problems reported for field, or nil.
func (e *ConfigError) Field(field string) []FieldError {
	var out []FieldError
	for _, p := range e.Problems {
		if p.Field == field {
			out = append(out, p)
		}
	}
	return out
}

// MappingError is returned by [Config.Map] when a verified assertion cannot
// be turned into a [Profile]. It names the profile field, the attribute
// names that were looked for and the ones that did arrive, so that an
// administrator can fix either the IdP's attribute statements or the
// attribute mapping.
type MappingError struct {
	// Field is the profile field that could not be filled ("email").
	Field string
	// Msg says what went wrong.
	Msg string
	// LookedFor lists the attribute names that were tried, in order.
	LookedFor []string
	// Arrived lists the names of every attribute the IdP sent.
	Arrived []string
	// Err is the sentinel for the condition, such as [ErrNoEmail].
	Err error
}

// Error implements error.
func (e *MappingError) Error() string {
	s := "idp: " + e.Field + ": " + e.Msg
	if len(e.LookedFor) > 0 {
		s += "; looked for " + quoteList(e.LookedFor)
	}
	if len(e.Arrived) == 0 {
		return s + "; the IdP sent no attributes"
	}
	return s + "; the IdP sent " + quoteList(e.Arrived)
}

// Unwrap returns the sentinel.
func (e *MappingError) Unwrap() error { return e.Err }

// MetadataExpiredError is returned when IdP metadata's validUntil has
// passed (SAML 2.0 Metadata, section 2.3.1). It wraps
// [ErrMetadataExpired].
type MetadataExpiredError struct {
	// EntityID is the IdP whose metadata expired, when known.
	EntityID string
	// ValidUntil is the metadata's validUntil.
	ValidUntil time.Time
	// Now is the time it was compared with.
	Now time.Time
}

// Error implements error.
func (e *MetadataExpiredError) Error() string {
	s := "idp: metadata"
	if e.EntityID != "" {
		s += fmt.Sprintf(" for %q", e.EntityID)
	}
	return s + " expired at " + e.ValidUntil.UTC().Format(time.RFC3339) +
		"; fetch a current copy from the IdP"
}

// Unwrap returns [ErrMetadataExpired].
func (e *MetadataExpiredError) Unwrap() error { return ErrMetadataExpired }

// EntityChangedError is returned by [Refresher.Refresh] when the metadata
// URL starts serving an IdP with another entity ID than the one the
// Refresher is pinned to (its Fetcher's [MetadataOptions.EntityID], or else
// the entity of the first successful fetch). The new document is not used:
// its keys would let another IdP sign in users. It wraps
// [ErrEntityChanged].
type EntityChangedError struct {
	// URL is the metadata URL, redacted by [RedactURL].
	URL string
	// Want is the pinned entity ID and Got the one the URL now serves.
	Want string
	Got  string
}

// Error implements error.
func (e *EntityChangedError) Error() string {
	return fmt.Sprintf("idp: metadata at %s changed entity ID from %q to %q; keeping the "+
		"last good copy of %q: if the IdP really changed, import its metadata again",
		RedactURL(e.URL), e.Want, e.Got, e.Want)
}

// Unwrap returns [ErrEntityChanged].
func (e *EntityChangedError) Unwrap() error { return ErrEntityChanged }

// FetchError is returned when fetching metadata from a URL fails. It names
// the URL and, when the server answered, the HTTP status.
type FetchError struct {
	// URL is the metadata URL that was requested, with any password
	// redacted by [RedactURL].
	URL string
	// StatusCode is the HTTP status the server answered with; zero when
	// no response arrived.
	StatusCode int
	// Err is the cause, if any.
	Err error
}

// Error implements error.
func (e *FetchError) Error() string {
	s := "idp: fetching metadata from " + RedactURL(e.URL)
	if e.StatusCode != 0 && e.StatusCode != http.StatusOK {
		s += fmt.Sprintf(": HTTP status %d", e.StatusCode)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *FetchError) Unwrap() error { return e.Err }

// quoteList renders names as "a", "b", "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
