package share

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Space holds the sharing settings of one Confluence space. The zero value
// (apart from Key) is what a space without stored settings gets: SSO not
// enforced beyond what each link's policy asks, any IdP, no default or
// maximum link lifetime, not suspended.
type Space struct {
	// Key is the Confluence space key. It is the unique key of the record.
	Key string
	// SSOEnforced makes every link of the space require a sign-in at an
	// IdP, whatever the link's policy says.
	SSOEnforced bool
	// IDPs are the names of the IdP configurations allowed to sign viewers
	// in for links of this space; empty means any configured IdP. A link
	// whose policy names only IdPs outside this list opens for nobody.
	IDPs []string
	// DefaultLifetime is the lifetime of a new link created without an
	// expiry; zero means such links do not expire.
	DefaultLifetime time.Duration
	// MaxLifetime is the longest lifetime a new link may have; zero means
	// no limit. Links created before the limit was set keep their expiry.
	MaxLifetime time.Duration
	// ExcludeLabel is the Confluence label that withholds a page from every
	// link of the space except a link naming that very page; empty means
	// no label withholds pages. The host application checks the label and
	// reports it in [Page].Withheld.
	ExcludeLabel string
	// Suspended is when the kill switch was thrown; zero means the space's
	// links work. While suspended, every link of the space is denied; no
	// link is changed or deleted. SuspendedBy names the admin.
	Suspended   time.Time
	SuspendedBy string
	// Updated is when the settings were last changed, and UpdatedBy by
	// whom.
	Updated   time.Time
	UpdatedBy string
}

// SpaceSettings returns the settings of the space key; a space without
// stored settings gets the defaults described at [Space].
func (s *Service) SpaceSettings(ctx context.Context, key string) (Space, error) {
	return s.spaceOrDefault(ctx, key)
}

// UpdateSpace stores new settings for sp.Key. The kill switch is not
// changed here (use SuspendSpace and ResumeSpace); Suspended and
// SuspendedBy in sp are ignored. Existing links keep their expiry. by names
// the admin.
//
// The store offers no compare-and-swap, so an UpdateSpace that runs at the
// same moment as a SuspendSpace for the same space can undo the
// suspension; the audit log shows both, and SpaceSettings shows which
// won.
func (s *Service) UpdateSpace(ctx context.Context, sp Space, by string) (Space, error) {
	if err := validateSpace(&sp); err != nil {
		return Space{}, err
	}
	old, err := s.spaceOrDefault(ctx, sp.Key)
	if err != nil {
		return Space{}, err
	}

	now := s.now()
	sp.IDPs = cleanNames(sp.IDPs, nil)
	sp.ExcludeLabel = strings.TrimSpace(sp.ExcludeLabel)
	sp.Suspended, sp.SuspendedBy = old.Suspended, old.SuspendedBy
	sp.Updated, sp.UpdatedBy = now, by
	if err := s.store.PutSpaceSettings(ctx, sp); err != nil {
		return Space{}, fmt.Errorf("share: storing space %q: %w", sp.Key, err)
	}
	err = s.record(ctx, AuditEvent{Time: now, Kind: EventSpaceChanged, Actor: by,
		Space: sp.Key, Detail: describeSpace(&sp)})
	return sp, err
}

// SuspendSpace throws the space's kill switch: every link of the space is
// denied until ResumeSpace, and none is changed. Suspending a suspended
// space changes nothing. by names the admin.
func (s *Service) SuspendSpace(ctx context.Context, key, by string) (Space, error) {
	return s.setSuspended(ctx, key, by, true)
}

// ResumeSpace lifts the kill switch of the space, so that its links work
// again (unless revoked or expired in the meantime). by names the admin.
func (s *Service) ResumeSpace(ctx context.Context, key, by string) (Space, error) {
	return s.setSuspended(ctx, key, by, false)
}

// setSuspended throws or lifts the kill switch and records it.
func (s *Service) setSuspended(ctx context.Context, key, by string, on bool) (Space, error) {
	if key == "" {
		return Space{}, &ValidationError{Field: "Key", Msg: "a space key is required"}
	}
	sp, err := s.spaceOrDefault(ctx, key)
	if err != nil || sp.Suspended.IsZero() != on {
		return sp, err
	}

	now := s.now()
	kind := EventSpaceResumed
	sp.Suspended, sp.SuspendedBy = time.Time{}, ""
	if on {
		kind = EventSpaceSuspended
		sp.Suspended, sp.SuspendedBy = now, by
	}
	sp.Updated, sp.UpdatedBy = now, by
	if err := s.store.PutSpaceSettings(ctx, sp); err != nil {
		return Space{}, fmt.Errorf("share: storing space %q: %w", key, err)
	}
	err = s.record(ctx, AuditEvent{Time: now, Kind: kind, Actor: by, Space: key})
	return sp, err
}

// validateSpace checks settings an admin submits.
func validateSpace(sp *Space) error {
	switch {
	case sp.Key == "":
		return &ValidationError{Field: "Key", Msg: "a space key is required"}
	case sp.DefaultLifetime < 0:
		return &ValidationError{Field: "DefaultLifetime", Msg: "must not be negative"}
	case sp.MaxLifetime < 0:
		return &ValidationError{Field: "MaxLifetime", Msg: "must not be negative"}
	case sp.MaxLifetime > 0 && sp.DefaultLifetime > sp.MaxLifetime:
		return &ValidationError{Field: "DefaultLifetime", Msg: "longer than the maximum",
			Want: "at most " + sp.MaxLifetime.String(), Got: sp.DefaultLifetime.String()}
	}
	return nil
}

// describeSpace summarises settings for the audit log.
func describeSpace(sp *Space) string {
	return fmt.Sprintf("sso_enforced=%t idps=%s default_lifetime=%s max_lifetime=%s exclude_label=%s",
		sp.SSOEnforced, strings.Join(sp.IDPs, ","), sp.DefaultLifetime, sp.MaxLifetime,
		sp.ExcludeLabel)
}
