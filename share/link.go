package share

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/secureshare/secureshare/idp"
)

// Scope says how much of a space a [Link] shares. Its zero value is
// invalid: a Service refuses a link without a scope, and [Evaluate] denies
// every page of one.
type Scope string

// The scopes a link can have.
const (
	// ScopePage shares the single page Link.PageID.
	ScopePage Scope = "page"
	// ScopePageTree shares Link.PageID and every page below it.
	ScopePageTree Scope = "tree"
	// ScopeSpace shares every page of Link.Space.
	ScopeSpace Scope = "space"
)

// String returns the scope's stored form: "page", "tree" or "space".
func (s Scope) String() string { return string(s) }

// Valid reports whether s is one of the defined scopes.
func (s Scope) Valid() bool {
	return s == ScopePage || s == ScopePageTree || s == ScopeSpace
}

// Link is a shared view of a Confluence page, page tree or space. The token
// that opens it is not part of the value: only its SHA-256 digest is kept,
// in TokenHash.
//
// A Link is plain data; it is safe to copy. Slices inside Policy are shared
// by copies, so treat them as read-only.
type Link struct {
	// ID identifies the link in URLs of the admin interface and in audit
	// events. It is unique, is not secret and never opens the link.
	ID string
	// TokenHash is the SHA-256 digest of the token that opens the link. It
	// is unique among all links, revoked or not. Re-enabling a revoked
	// link replaces it.
	TokenHash Digest

	// Space is the Confluence space key the link belongs to. It is always
	// set, whatever the Scope.
	Space string
	// Scope is how much the link shares.
	Scope Scope
	// PageID is the shared page for ScopePage and ScopePageTree, and empty
	// for ScopeSpace.
	PageID string

	// Title is the admin's name for the link, shown in lists.
	Title string
	// CreatedBy names the admin who created the link, as the host
	// application identifies admins (usually an email address).
	CreatedBy string
	// Created is when the link was created.
	Created time.Time
	// Expires is the first instant at which the link no longer works; zero
	// means it does not expire.
	Expires time.Time
	// Revoked is when the link was revoked; zero means it is not revoked.
	// RevokedBy names the admin who did it.
	Revoked   time.Time
	RevokedBy string

	// Policy says who may follow the link.
	Policy Policy
}

// Policy is the set of rules a viewer must pass to follow a [Link]. Every
// non-empty rule applies; an empty rule is not checked. A policy with no
// rule at all still requires a sign-in unless Anonymous is set.
//
// Names are compared as follows: IDPs exactly; Groups exactly, or without
// regard to ASCII case when the viewer's profile says
// GroupsCaseInsensitive; Emails and Domains without regard to ASCII case.
// Only A-Z and a-z are folded: under Unicode folding "ſam" (long s) would
// equal "sam". A domain matches only the
// whole text after the last "@" of the viewer's email address: "example.com"
// matches "x@example.com", never "x@evil-example.com" or
// "x@sub.example.com".
//
// Groups and email addresses are what the IdP that signed the viewer in
// asserts, and every IdP the rule admits is trusted to assert them: with
// IDPs empty and several IdPs allowed in the space, any of them can sign
// in a "partners" member. When IdPs belong to different organisations,
// name the IdPs that own the groups in IDPs (or in the space's IDPs), and
// set each IdP's own email domains in its idp.Config.
type Policy struct {
	// IDPs are the names of the IdP configurations that may sign the
	// viewer in; empty means any IdP the space allows.
	IDPs []string
	// Groups are group values of which the viewer must hold at least one.
	// A profile with GroupsOverage never passes a non-empty Groups rule.
	Groups []string
	// Emails and Domains together form one allow-list: when either is
	// non-empty, the viewer's email must be one of Emails or be at one of
	// Domains (written without "@", for example "example.com").
	Emails  []string
	Domains []string
	// Anonymous lets anyone who holds the token open the link without
	// signing in. It has effect only when every other rule is empty and
	// the space does not enforce SSO.
	Anonymous bool
}

// requiresLogin reports whether the policy, by itself, needs a signed-in
// viewer.
func (p *Policy) requiresLogin() bool {
	return !p.Anonymous || len(p.IDPs) > 0 || len(p.Groups) > 0 ||
		len(p.Emails) > 0 || len(p.Domains) > 0
}

// LinkSpec describes a link to create with [Service.CreateLink].
type LinkSpec struct {
	// Space is the Confluence space key; required.
	Space string
	// Scope is how much the link shares; required.
	Scope Scope
	// PageID is the shared page; required for ScopePage and ScopePageTree,
	// and must be empty for ScopeSpace.
	PageID string
	// Title is the admin's name for the link.
	Title string
	// CreatedBy names the admin creating the link; required.
	CreatedBy string
	// Expires is when the link stops working. Zero means the space's
	// default lifetime from now, or never when the space has none. It may
	// not be later than the space's maximum lifetime allows.
	Expires time.Time
	// Policy says who may follow the link. Names are trimmed, empty and
	// repeated names dropped, and domains lower-cased without a leading
	// "@".
	Policy Policy
}

// CreateLink creates a link and returns it with its token. The token is
// the only way to open the link and is not stored: show it to the admin
// once. A spec the space's settings do not allow is refused with a
// *ValidationError.
func (s *Service) CreateLink(ctx context.Context, spec LinkSpec) (Link, string, error) {
	now := s.now()
	l, err := s.specLink(ctx, spec, now)
	if err != nil {
		return Link{}, "", err
	}
	token, h, err := NewToken(s.rand)
	if err != nil {
		return Link{}, "", err
	}
	if l.ID, err = s.newID(); err != nil {
		return Link{}, "", err
	}
	l.TokenHash = h
	if err := s.store.CreateLink(ctx, l); err != nil {
		return Link{}, "", fmt.Errorf("share: creating link: %w", err)
	}
	err = s.record(ctx, AuditEvent{Time: now, Kind: EventLinkCreated, Actor: l.CreatedBy,
		LinkID: l.ID, Space: l.Space, PageID: l.PageID, Detail: describeLink(&l)})
	return l, token, err
}

// ValidateLink reports whether CreateLink would accept spec now, without
// creating anything: nil, or the *ValidationError CreateLink would return.
// A host's form can check a spec before asking anything further of it.
func (s *Service) ValidateLink(ctx context.Context, spec LinkSpec) error {
	_, err := s.specLink(ctx, spec, s.now())
	return err
}

// specLink is the link spec describes, validated against its space's
// settings, with no ID or token yet.
func (s *Service) specLink(ctx context.Context, spec LinkSpec, now time.Time) (Link, error) {
	sp, err := s.spaceOrDefault(ctx, spec.Space)
	if err != nil {
		return Link{}, err
	}
	l := Link{Space: spec.Space, Scope: spec.Scope, PageID: spec.PageID,
		Title: strings.TrimSpace(spec.Title), CreatedBy: spec.CreatedBy, Created: now,
		Policy: normalisePolicy(spec.Policy)}
	if err := validateLink(&l, &sp); err != nil {
		return Link{}, err
	}
	if l.Expires, err = linkExpiry(spec.Expires, &sp, now); err != nil {
		return Link{}, err
	}
	return l, nil
}

// Link returns the link with the given ID, or an error wrapping
// [ErrNotFound].
func (s *Service) Link(ctx context.Context, id string) (Link, error) {
	l, err := s.store.Link(ctx, id)
	if err != nil {
		return Link{}, fmt.Errorf("share: reading link: %w", err)
	}
	return l, nil
}

// LinkByToken returns the link behind a share token without deciding
// anything or recording an audit event, or an error wrapping [ErrNotFound]
// (also for a malformed token). It is for showing what a link covers, such
// as the pages of its scope; whether a viewer may follow it is decided by
// [Service.Open] alone.
func (s *Service) LinkByToken(ctx context.Context, token string) (Link, error) {
	h, err := HashToken(token)
	if err != nil {
		return Link{}, fmt.Errorf("share: finding link: %w", ErrNotFound)
	}
	l, err := s.store.LinkByToken(ctx, h)
	if err != nil {
		return Link{}, fmt.Errorf("share: finding link: %w", err)
	}
	return l, nil
}

// ListLinks returns one page of links matching q and the cursor for the
// next; see [LinkStore.ListLinks].
func (s *Service) ListLinks(ctx context.Context, q LinkQuery) ([]Link, string, error) {
	links, next, err := s.store.ListLinks(ctx, q)
	if err != nil {
		return nil, "", fmt.Errorf("share: listing links: %w", err)
	}
	return links, next, nil
}

// RevokeLink turns the link off for good: its token never opens it again.
// Revoking a revoked link changes nothing. by names the admin.
func (s *Service) RevokeLink(ctx context.Context, id, by string) (Link, error) {
	l, err := s.Link(ctx, id)
	if err != nil || !l.Revoked.IsZero() {
		return l, err
	}

	now := s.now()
	l.Revoked, l.RevokedBy = now, by
	if err := s.store.UpdateLink(ctx, l); err != nil {
		return Link{}, fmt.Errorf("share: revoking link: %w", err)
	}
	err = s.record(ctx, AuditEvent{Time: now, Kind: EventLinkRevoked, Actor: by,
		LinkID: l.ID, Space: l.Space, PageID: l.PageID})
	return l, err
}

// ReenableLink gives the link a new token and clears its revocation; the
// old token stays dead. It works on links that are not revoked too, to
// replace a token that leaked. expires is the new expiry, with the rules
// of [LinkSpec].Expires. by names the admin. The new token is returned
// once, as from CreateLink.
func (s *Service) ReenableLink(ctx context.Context, id, by string,
	expires time.Time) (Link, string, error) {
	l, err := s.Link(ctx, id)
	if err != nil {
		return Link{}, "", err
	}
	now := s.now()
	sp, err := s.spaceOrDefault(ctx, l.Space)
	if err != nil {
		return Link{}, "", err
	}
	if l.Expires, err = linkExpiry(expires, &sp, now); err != nil {
		return Link{}, "", err
	}

	token, h, err := NewToken(s.rand)
	if err != nil {
		return Link{}, "", err
	}
	l.TokenHash, l.Revoked, l.RevokedBy = h, time.Time{}, ""
	if err := s.store.UpdateLink(ctx, l); err != nil {
		return Link{}, "", fmt.Errorf("share: re-enabling link: %w", err)
	}
	err = s.record(ctx, AuditEvent{Time: now, Kind: EventLinkReenabled, Actor: by,
		LinkID: l.ID, Space: l.Space, PageID: l.PageID, Detail: describeLink(&l)})
	return l, token, err
}

// SetLinkPolicy replaces the link's title and policy, keeping its token,
// scope and expiry, so that an admin can narrow or widen who may follow a
// link without sending it out again. The policy is normalised and checked
// against the space's settings as in [Service.CreateLink]; a policy the
// space does not allow is refused with a *ValidationError and nothing is
// stored. A revoked link may be edited too; it stays revoked. by names the
// admin.
func (s *Service) SetLinkPolicy(ctx context.Context, id, by, title string,
	p Policy) (Link, error) {
	l, err := s.Link(ctx, id)
	if err != nil {
		return Link{}, err
	}
	if by == "" {
		return Link{}, &ValidationError{Field: "by", Msg: "the editing admin is required"}
	}
	sp, err := s.spaceOrDefault(ctx, l.Space)
	if err != nil {
		return Link{}, err
	}
	l.Title, l.Policy = strings.TrimSpace(title), normalisePolicy(p)
	if err := validateTitle(l.Title); err != nil {
		return Link{}, err
	}
	if err := validatePolicy(&l.Policy, &sp); err != nil {
		return Link{}, err
	}
	if err := s.store.UpdateLink(ctx, l); err != nil {
		return Link{}, fmt.Errorf("share: changing link policy: %w", err)
	}
	err = s.record(ctx, AuditEvent{Time: s.now(), Kind: EventLinkChanged, Actor: by,
		LinkID: l.ID, Space: l.Space, PageID: l.PageID, Detail: describeLink(&l)})
	return l, err
}

// Open finds the link behind token and decides with [Evaluate] whether
// viewer (nil when nobody is signed in) may read pg through it. It records
// an audit event for every Allow and Deny; a LoginRequired is not
// recorded. The Link is the zero Link when the token matches none. The
// event names pg.ID only when it can be a Confluence page ID (up to 19
// digits), since a host may pass on whatever a visitor asked for.
//
// The error is non-nil only when storage failed; the Decision then
// denies. A malformed token is an unknown link, not an error; it is
// recorded too, so hosts should rate-limit requests that open links.
//
// Open is [Service.Resolve] followed by [Service.OpenResolved]; a host
// that needs the link before it decides (to find the page asked for, say)
// calls the two itself and reads the store once.
func (s *Service) Open(ctx context.Context, token string, viewer *idp.Profile,
	pg Page) (Link, Decision, error) {
	res, err := s.Resolve(ctx, token)
	if err != nil {
		return Link{}, Decision{}, err
	}
	d, err := s.OpenResolved(ctx, res, viewer, pg)
	l, _ := res.Link()
	return l, d, err
}

// Resolved is a link token as read from the store at one moment: the link
// behind it, if any, and its space's settings. It is only made by
// [Service.Resolve], so a Resolved always reflects stored state.
type Resolved struct {
	link  *Link
	space Space
}

// Link returns the link, and false when the token matched none.
func (r Resolved) Link() (Link, bool) { return deref(r.link), r.link != nil }

// Space returns the settings of the link's space (the defaults for a
// space never configured); the zero Space when the token matched none.
func (r Resolved) Space() Space { return r.space }

// Resolve reads the link behind token and its space's settings. A token
// that matches no link, or is malformed, is a Resolved without a link,
// not an error; the error is non-nil only when storage failed.
func (s *Service) Resolve(ctx context.Context, token string) (Resolved, error) {
	h, err := HashToken(token)
	if err != nil {
		return Resolved{}, nil
	}
	l, err := s.store.LinkByToken(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return Resolved{}, nil
	}
	if err != nil {
		return Resolved{}, fmt.Errorf("share: finding link: %w", err)
	}
	sp, err := s.spaceOrDefault(ctx, l.Space)
	if err != nil {
		return Resolved{}, err
	}
	return Resolved{link: &l, space: sp}, nil
}

// OpenResolved decides, as [Service.Open] does, on a link already read by
// [Service.Resolve] in the same request, and records the same audit
// event. Resolve it again for each request: a Resolved kept for later
// would miss a revocation or a suspension made since.
func (s *Service) OpenResolved(ctx context.Context, res Resolved, viewer *idp.Profile,
	pg Page) (Decision, error) {
	now := s.now()
	var d Decision
	if res.link == nil {
		d = Evaluate(nil, nil, viewer, pg, now)
	} else {
		d = Evaluate(res.link, &res.space, viewer, pg, now)
	}
	if d.Outcome == LoginRequired {
		return d, nil
	}

	e := AuditEvent{Time: now, Kind: EventLinkOpened, PageID: pg.ID, Space: pg.Space}
	if !isPageID(pg.ID) {
		// The visitor's own text (a route's page part, say), which can be a
		// megabyte long or hold control characters: not for the audit log.
		e.PageID = ""
	}
	if viewer != nil {
		e.Actor, e.IDP = viewer.Email, viewer.IDP
	}
	if res.link != nil {
		e.LinkID, e.Space = res.link.ID, res.link.Space
	}
	if !d.Allowed() {
		e.Kind, e.Reason, e.Detail = EventLinkDenied, d.Reason.String(), d.Message()
	}
	if err := s.record(ctx, e); err != nil {
		return Decision{}, err
	}
	return d, nil
}

// deref returns *l, or the zero Link for nil.
func deref(l *Link) Link {
	if l == nil {
		return Link{}
	}
	return *l
}

// validateLink checks a new link's fields against its space.
func validateLink(l *Link, sp *Space) error {
	switch {
	case l.Space == "":
		return &ValidationError{Field: "Space", Msg: "a space key is required"}
	case !l.Scope.Valid():
		return &ValidationError{Field: "Scope", Msg: "unknown scope",
			Want: "page, tree or space", Got: string(l.Scope)}
	case l.Scope == ScopeSpace && l.PageID != "":
		return &ValidationError{Field: "PageID", Msg: "a space link names no page"}
	case l.Scope != ScopeSpace && l.PageID == "":
		return &ValidationError{Field: "PageID", Msg: "a page link needs a page ID"}
	case l.PageID != "" && !isPageID(l.PageID):
		return &ValidationError{Field: "PageID",
			Msg: "a Confluence page ID is a number of at most 19 digits", Got: l.PageID}
	case !isSpaceKey(l.Space):
		return &ValidationError{Field: "Space",
			Msg: "a space key has at most 255 characters and no spaces, slashes or control " +
				"characters", Got: l.Space}
	case l.CreatedBy == "":
		return &ValidationError{Field: "CreatedBy", Msg: "the creating admin is required"}
	}
	if err := validateTitle(l.Title); err != nil {
		return err
	}
	return validatePolicy(&l.Policy, sp)
}

// validatePolicy checks a normalised policy against its space.
func validatePolicy(p *Policy, sp *Space) error {
	if p.Anonymous && (sp.SSOEnforced || p.requiresLogin()) {
		return &ValidationError{Field: "Policy.Anonymous",
			Msg: "an anonymous link can have no other rule, in a space that does not enforce SSO"}
	}
	if _, ok := preferredIDP(p, sp); !ok {
		return &ValidationError{Field: "Policy.IDPs", Msg: "none of the IdPs is allowed in the space",
			Want: strings.Join(sp.IDPs, ", "), Got: strings.Join(p.IDPs, ", ")}
	}
	for _, e := range p.Emails {
		if at := strings.LastIndexByte(e, '@'); at <= 0 || at == len(e)-1 {
			return &ValidationError{Field: "Policy.Emails", Msg: "not an email address", Got: e}
		}
		if hasInvisible(e) {
			return &ValidationError{Field: "Policy.Emails", Msg: "an email address has no " +
				"spaces, control characters or invisible formatting characters", Got: e}
		}
	}
	for _, d := range p.Domains {
		if strings.ContainsAny(d, "@ ") {
			return &ValidationError{Field: "Policy.Domains", Msg: "not a domain", Got: d}
		}
		if hasInvisible(d) {
			return &ValidationError{Field: "Policy.Domains", Msg: "a domain has no " +
				"spaces, control characters or invisible formatting characters", Got: d}
		}
	}
	return nil
}

// hasInvisible reports whether s holds white space, a control character
// or an invisible formatting one (a zero-width space, a direction
// override): none is part of an address an IdP sends, so a rule holding
// one would never match, or would match a look-alike.
func hasInvisible(s string) bool {
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return true
		}
	}
	return false
}

// linkExpiry applies the space's default and maximum lifetimes to a
// requested expiry.
func linkExpiry(want time.Time, sp *Space, now time.Time) (time.Time, error) {
	want = want.UTC().Truncate(time.Microsecond)
	if want.IsZero() && sp.DefaultLifetime > 0 {
		want = now.Add(sp.DefaultLifetime)
	}
	if !want.IsZero() && !want.After(now) {
		return time.Time{}, &ValidationError{Field: "Expires", Msg: "already passed",
			Want: "after " + now.Format(time.RFC3339), Got: want.Format(time.RFC3339)}
	}
	if sp.MaxLifetime <= 0 {
		return want, nil
	}
	limit := now.Add(sp.MaxLifetime)
	if want.IsZero() {
		return limit, nil
	}
	if want.After(limit) {
		return time.Time{}, &ValidationError{Field: "Expires",
			Msg:  "later than the space's maximum link lifetime allows",
			Want: "at most " + limit.Format(time.RFC3339), Got: want.Format(time.RFC3339)}
	}
	return want, nil
}

// normalisePolicy returns a copy of p with names trimmed, empty and
// repeated ones dropped, emails and domains lower-cased and domains
// without a leading "@".
func normalisePolicy(p Policy) Policy {
	lower := func(s string) string { return strings.ToLower(s) }
	domain := func(s string) string { return strings.ToLower(strings.TrimPrefix(s, "@")) }
	return Policy{
		IDPs:      cleanNames(p.IDPs, nil),
		Groups:    cleanNames(p.Groups, nil),
		Emails:    cleanNames(p.Emails, lower),
		Domains:   cleanNames(p.Domains, domain),
		Anonymous: p.Anonymous,
	}
}

// cleanNames trims, maps, and drops empty and repeated names, keeping
// order.
func cleanNames(names []string, mapFn func(string) string) []string {
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if mapFn != nil {
			n = mapFn(n)
		}
		if n != "" && !contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// describeLink summarises a link for the audit log.
func describeLink(l *Link) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scope=%s", l.Scope)
	if !l.Expires.IsZero() {
		fmt.Fprintf(&b, " expires=%s", l.Expires.Format(time.RFC3339))
	}
	p := &l.Policy
	if p.Anonymous {
		b.WriteString(" anonymous")
	}
	for _, f := range []struct {
		name string
		v    []string
	}{{"idps", p.IDPs}, {"groups", p.Groups}, {"emails", p.Emails}, {"domains", p.Domains}} {
		if len(f.v) > 0 {
			fmt.Fprintf(&b, " %s=%s", f.name, strings.Join(f.v, ","))
		}
	}
	return b.String()
}

// isPageID reports whether id can be a Confluence page ID: decimal digits
// that fit an int64, without a leading zero.
func isPageID(id string) bool {
	if id == "" || len(id) > 19 || id[0] == '0' {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isSpaceKey reports whether key can be a Confluence space key: global
// keys are letters and digits, personal ones start with "~" and carry a
// user name or account ID, so only what no key holds is refused.
// maxTitle is the most characters a link's title has.
const maxTitle = 200

// validateTitle refuses a title that is too long, is not UTF-8 or holds
// control characters (a line break or an escape code in a list of links
// or an audit export is never meant).
func validateTitle(t string) error {
	if utf8.RuneCountInString(t) > maxTitle {
		return &ValidationError{Field: "Title",
			Msg: fmt.Sprintf("a title has at most %d characters", maxTitle)}
	}
	if !utf8.ValidString(t) || strings.ContainsFunc(t, unicode.IsControl) {
		return &ValidationError{Field: "Title", Msg: "a title has no control characters", Got: t}
	}
	return nil
}

func isSpaceKey(key string) bool {
	if key == "" || len(key) > 255 {
		return false
	}
	for _, c := range key {
		if unicode.IsSpace(c) || unicode.IsControl(c) || c == '/' || c == '\\' {
			return false
		}
	}
	return true
}
