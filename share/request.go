package share

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AuthnRequestState is what a Service remembers about an AuthnRequest it
// sent, so that the Response's InResponseTo can be checked (SAML 2.0
// Profiles, section 4.1.4.3) and the viewer returned where they started.
type AuthnRequestState struct {
	// ID is the AuthnRequest's ID attribute. It is unique.
	ID string
	// IDP is the IdP configuration the request was sent to.
	IDP string
	// ReturnTo is the local path to send the viewer to after login. It is
	// stored as given, so it must not carry a link token or any other
	// secret.
	ReturnTo string
	// Created is when the request was sent.
	Created time.Time
	// Expires is the first instant at which a response to it is refused.
	Expires time.Time
}

// SaveAuthnRequest remembers an AuthnRequest the host is about to send to
// the IdP named idpName, with the ID the saml package gave it. returnTo is
// the local path to come back to after login: it must start with a single
// "/" and must not carry secrets (store a link's ID, not its token). The
// state expires after the configured RequestLifetime.
func (s *Service) SaveAuthnRequest(ctx context.Context, id, idpName,
	returnTo string) (AuthnRequestState, error) {
	if id == "" || idpName == "" {
		return AuthnRequestState{}, &ValidationError{Field: "ID",
			Msg: "the request ID and IdP are required"}
	}
	if !LocalPath(returnTo) {
		return AuthnRequestState{}, &ValidationError{Field: "ReturnTo",
			Msg: "not a local path", Got: returnTo}
	}

	now := s.now()
	st := AuthnRequestState{ID: id, IDP: idpName, ReturnTo: returnTo, Created: now,
		Expires: now.Add(s.requestLife)}
	if err := s.store.SaveAuthnRequest(ctx, st); err != nil {
		return AuthnRequestState{}, fmt.Errorf("share: saving AuthnRequest: %w", err)
	}
	return st, nil
}

// ConsumeAuthnRequest returns and forgets the state of the AuthnRequest
// that a Response answers (its InResponseTo). It succeeds once per ID; it
// returns an error wrapping [ErrNotFound] for an unknown or already
// answered ID and one wrapping [ErrExpired] for a request that went
// unanswered too long. Pass the ID to the saml validator only when this
// succeeds.
func (s *Service) ConsumeAuthnRequest(ctx context.Context, id string) (AuthnRequestState, error) {
	st, err := s.store.ConsumeAuthnRequest(ctx, id, s.now())
	if err != nil {
		return AuthnRequestState{}, fmt.Errorf("share: consuming AuthnRequest: %w", err)
	}
	return st, nil
}

// LocalPath reports whether p is a path on this site that is safe to
// redirect to: it starts with one "/" and is not "//" or "/\" (which
// browsers read as another host), and holds no control characters or
// backslashes.
func LocalPath(p string) bool {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
	}
	return true
}
