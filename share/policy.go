package share

import (
	"strings"
	"time"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/internal/asciifold"
)

// Outcome is the verdict of [Evaluate]. Its zero value is Deny.
type Outcome uint8

// The outcomes of [Evaluate].
const (
	// Deny refuses the viewer; Decision.Reason says why.
	Deny Outcome = iota
	// Allow lets the viewer read the page.
	Allow
	// LoginRequired asks the viewer to sign in first, at Decision.IDP
	// when it is set.
	LoginRequired
)

// String returns "deny", "allow" or "login_required".
func (o Outcome) String() string {
	switch o {
	case Deny:
		return "deny"
	case Allow:
		return "allow"
	case LoginRequired:
		return "login_required"
	}
	return "invalid"
}

// Reason is why [Evaluate] decided as it did. Its zero value,
// ReasonUnspecified, is a denial for an input that should not occur, such
// as a link without a scope.
type Reason uint8

// The reasons of a [Decision]. Their String forms are stable and are what
// audit events store.
const (
	ReasonUnspecified      Reason = iota // inconsistent input; denied by default
	ReasonAllowed                        // every rule passed
	ReasonUnknownLink                    // no link has the token
	ReasonRevoked                        // the link was revoked
	ReasonExpired                        // the link's expiry has passed
	ReasonSpaceSuspended                 // the space's kill switch is on
	ReasonLoginRequired                  // the viewer must sign in first
	ReasonWrongIDP                       // signed in at an IdP the link or space does not allow
	ReasonGroupsNotInToken               // the IdP left groups out (Entra ID overage)
	ReasonNotInGroups                    // in none of the link's groups
	ReasonEmailNotAllowed                // email not on the link's allow-list
	ReasonDomainNotAllowed               // email domain not on the link's allow-list
	ReasonOutsideScope                   // the page is not within what the link shares
	ReasonWithheld                       // the page is restricted or carries the exclusion label
	numReasons
)

var reasonNames = [numReasons]string{
	ReasonUnspecified:      "unspecified",
	ReasonAllowed:          "allowed",
	ReasonUnknownLink:      "unknown_link",
	ReasonRevoked:          "revoked",
	ReasonExpired:          "expired",
	ReasonSpaceSuspended:   "space_suspended",
	ReasonLoginRequired:    "login_required",
	ReasonWrongIDP:         "wrong_idp",
	ReasonGroupsNotInToken: "groups_not_in_token",
	ReasonNotInGroups:      "not_in_groups",
	ReasonEmailNotAllowed:  "email_not_allowed",
	ReasonDomainNotAllowed: "domain_not_allowed",
	ReasonOutsideScope:     "outside_scope",
	ReasonWithheld:         "withheld",
}

// String returns the reason's stable code, such as "not_in_groups".
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "invalid"
}

// Page is the Confluence page a viewer asks for, as the host application
// found it. The host must fill it from Confluence itself, never from the
// request.
type Page struct {
	// ID is the page ID; empty never matches a scope.
	ID string
	// Space is the key of the space the page is in.
	Space string
	// Ancestors are the IDs of every page above this one, in any order.
	Ancestors []string
	// Withheld is true when the page carries Confluence view restrictions
	// or the space's exclusion label. A withheld page is shown only
	// through a link that names that very page.
	Withheld bool
}

// Decision is the result of [Evaluate]. The zero Decision denies.
//
// A Decision refers to the link and profile it was made from, to build
// Message lazily; do not change them while the Decision is in use.
type Decision struct {
	// Outcome is the verdict.
	Outcome Outcome
	// Reason is why.
	Reason Reason
	// IDP is the IdP configuration at which to sign in, set with
	// LoginRequired and ReasonWrongIDP when the link or space names one;
	// empty means the viewer may choose among those configured.
	IDP string

	link    *Link
	profile *idp.Profile
}

// Allowed reports whether the viewer may read the page.
func (d Decision) Allowed() bool { return d.Outcome == Allow }

// Evaluate decides whether the viewer described by p (nil when nobody is
// signed in) may read page pg through link l of space s at time now. It is
// a pure function: it reads only its arguments and does no I/O.
//
// A nil l is an unknown link. A nil s, a space whose Key is not l.Space, a
// link with an invalid Scope, and a page or tree link without PageID are
// denied with ReasonUnspecified. The checks run in this order, and the
// first that fails decides: revoked, expired, space suspended; sign-in
// (required unless the policy is Anonymous with no other rule and the
// space does not enforce SSO), IdP, group overage, groups, emails and
// domains; then the page's scope and whether it is withheld. Checking
// scope after identity means that a viewer who may not use the link learns
// nothing about the pages behind it.
//
// Evaluate does not check the viewer's session, that the page exists, or
// that the IdP named in the profile is still configured; the caller does.
func Evaluate(l *Link, s *Space, p *idp.Profile, pg Page, now time.Time) Decision {
	if l == nil {
		return Decision{Reason: ReasonUnknownLink}
	}
	d := Decision{link: l, profile: p}
	if s == nil || s.Key != l.Space || !linkWellFormed(l) {
		return d
	}

	// The link itself.
	if !l.Revoked.IsZero() {
		d.Reason = ReasonRevoked
		return d
	}
	if !l.Expires.IsZero() && !now.Before(l.Expires) {
		d.Reason = ReasonExpired
		return d
	}
	if !s.Suspended.IsZero() {
		d.Reason = ReasonSpaceSuspended
		return d
	}

	// The viewer.
	if s.SSOEnforced || l.Policy.requiresLogin() {
		if r := checkViewer(&d, l, s, p); r != ReasonAllowed {
			d.Reason = r
			return d
		}
	}

	// The page.
	if r := checkPage(l, &pg); r != ReasonAllowed {
		d.Reason = r
		return d
	}
	d.Outcome, d.Reason = Allow, ReasonAllowed
	return d
}

// linkWellFormed reports whether l has a valid scope and the page it needs.
func linkWellFormed(l *Link) bool {
	switch l.Scope {
	case ScopePage, ScopePageTree:
		return l.PageID != ""
	case ScopeSpace:
		return true
	}
	return false
}

// checkViewer applies the sign-in, IdP, group and email rules. It sets
// d.IDP and d.Outcome for a login request.
func checkViewer(d *Decision, l *Link, s *Space, p *idp.Profile) Reason {
	pol := &l.Policy
	want, ok := preferredIDP(pol, s)
	if !ok {
		return ReasonUnspecified
	}
	if p == nil {
		d.Outcome, d.IDP = LoginRequired, want
		return ReasonLoginRequired
	}
	if p.Email == "" {
		return ReasonUnspecified
	}
	if !idpAllowed(pol.IDPs, p.IDP) || !idpAllowed(s.IDPs, p.IDP) {
		d.IDP = want
		return ReasonWrongIDP
	}

	if len(pol.Groups) > 0 {
		if p.GroupsOverage {
			return ReasonGroupsNotInToken
		}
		if !anyGroup(pol.Groups, p.Groups, p.GroupsCaseInsensitive) {
			return ReasonNotInGroups
		}
	}
	if len(pol.Emails) > 0 || len(pol.Domains) > 0 {
		if !emailAllowed(pol, p.Email) {
			if len(pol.Emails) > 0 {
				return ReasonEmailNotAllowed
			}
			return ReasonDomainNotAllowed
		}
	}
	return ReasonAllowed
}

// checkPage applies the scope and withholding rules.
func checkPage(l *Link, pg *Page) Reason {
	if pg.ID == "" || pg.Space != l.Space {
		return ReasonOutsideScope
	}
	switch l.Scope {
	case ScopePage:
		if pg.ID != l.PageID {
			return ReasonOutsideScope
		}
	case ScopePageTree:
		if pg.ID != l.PageID && !contains(pg.Ancestors, l.PageID) {
			return ReasonOutsideScope
		}
	case ScopeSpace:
	default:
		return ReasonUnspecified
	}
	if pg.Withheld && (l.Scope == ScopeSpace || pg.ID != l.PageID) {
		return ReasonWithheld
	}
	return ReasonAllowed
}

// preferredIDP returns the IdP a signed-out viewer should use: the first of
// the policy's IdPs that the space allows, or the first the space allows,
// or "" for any. ok is false when the policy's IdPs and the space's have
// nothing in common, so that nobody can open the link.
func preferredIDP(pol *Policy, s *Space) (name string, ok bool) {
	if len(pol.IDPs) == 0 {
		if len(s.IDPs) == 0 {
			return "", true
		}
		return s.IDPs[0], true
	}
	for _, n := range pol.IDPs {
		if idpAllowed(s.IDPs, n) {
			return n, true
		}
	}
	return "", false
}

// idpAllowed reports whether name is in allowed, an empty list allowing
// any non-empty name.
func idpAllowed(allowed []string, name string) bool {
	if name == "" {
		return false
	}
	return len(allowed) == 0 || contains(allowed, name)
}

// anyGroup reports whether the viewer holds at least one wanted group.
func anyGroup(want, have []string, fold bool) bool {
	for _, w := range want {
		if w == "" {
			continue
		}
		for _, h := range have {
			if w == h || (fold && asciifold.Equal(w, h)) {
				return true
			}
		}
	}
	return false
}

// emailAllowed reports whether email is one of pol.Emails or is at one of
// pol.Domains, both without regard to ASCII case (never Unicode folding,
// under which "ſam" equals "sam"). The domain is the whole text after the
// last "@".
func emailAllowed(pol *Policy, email string) bool {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return false
	}
	for _, e := range pol.Emails {
		if asciifold.Equal(e, email) {
			return true
		}
	}
	domain := email[at+1:]
	for _, dom := range pol.Domains {
		if dom != "" && asciifold.Equal(dom, domain) {
			return true
		}
	}
	return false
}

// contains reports whether list holds s exactly.
func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
