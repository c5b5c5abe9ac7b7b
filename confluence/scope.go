package confluence

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ScopeConfig says what one share covers: a whole space, or one page with
// or without its descendants.
type ScopeConfig struct {
	// SpaceKey shares a whole space when RootPageID is empty.
	SpaceKey string

	// RootPageID shares this page (and, with Descendants, the pages under
	// it). When SpaceKey is set too, pages must also be in that space.
	RootPageID string

	// Descendants extends a page share to every page under RootPageID.
	Descendants bool

	// ExcludeLabels withholds pages carrying any of these labels, and every
	// page under them, so that authors can keep content inside. Labels
	// are compared trimmed and case-insensitively, so "Internal-Only " in
	// the configuration matches Confluence's stored "internal-only".
	// Empty entries are ignored.
	ExcludeLabels []string
}

// Scope decides which pages of a [Source] an outsider may reach through
// one share. A page is reachable only when it is current (not a draft,
// archived or trashed), neither it nor any ancestor carries view
// restrictions or an exclusion label, and it lies within the share: in
// the shared space (or under the shared page), with every ancestor from
// the share's top page down in that same space, so that no page whose
// parent chain passes through another space is served or named. An
// ancestor the source will not return counts as restricted; on Cloud this
// includes folders, which are not pages, so pages under a folder are
// withheld. Children and Breadcrumbs name only pages that Page serves.
//
// A decision that rests on a stale copy (see [Cache]) of the page or of
// any ancestor returns the page with [Page.Stale] set, so that the host
// can tell the outsider, or refuse.
//
// Scope keeps no state beyond its configuration; put a [Cache] in front
// of the source, since every answer reads the page's ancestors. A Scope
// is safe for concurrent use.
//
// Scope does not check who the outsider is; that is the share's policy.
type Scope struct {
	src     Source
	cfg     ScopeConfig
	exclude map[string]bool
}

// NewScope returns the scope cfg describes over src. It makes no request.
func NewScope(src Source, cfg ScopeConfig) (*Scope, error) {
	if src == nil {
		return nil, errors.New("confluence: a Source is required")
	}
	if cfg.RootPageID == "" && cfg.SpaceKey == "" {
		return nil, errors.New("confluence: a scope needs a RootPageID or a SpaceKey")
	}
	s := &Scope{src: src, cfg: cfg, exclude: map[string]bool{}}
	for _, l := range cfg.ExcludeLabels {
		if l = normLabel(l); l != "" {
			s.exclude[l] = true
		}
	}
	return s, nil
}

// Root returns the ID of the scope's top page: RootPageID, or the home
// page of the space.
func (s *Scope) Root(ctx context.Context) (string, error) {
	if s.cfg.RootPageID != "" {
		return s.cfg.RootPageID, nil
	}
	sp, err := s.src.Space(ctx, s.cfg.SpaceKey)
	if err != nil {
		return "", err
	}
	if sp.HomePageID == "" {
		return "", fmt.Errorf("confluence: space %q has no home page: %w",
			s.cfg.SpaceKey, ErrNotFound)
	}
	return sp.HomePageID, nil
}

// Page returns the page if an outsider may reach it. Otherwise the error
// matches [ErrNotFound]; when the page exists but is withheld it is a
// [*WithheldError] saying why.
func (s *Scope) Page(ctx context.Context, id string) (*Page, error) {
	p, _, err := s.reach(ctx, id)
	return p, err
}

// Contains reports whether the page is reachable. Errors other than not
// found (Confluence being down, say) are returned.
func (s *Scope) Contains(ctx context.Context, id string) (bool, error) {
	_, _, err := s.reach(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Link decides how a link to the page renders in this share, for a
// [Links] Page callback: [PageShared] when [Scope.Page] serves it;
// [PageOutside] when it lies outside the share but in the same space, is
// current, and neither it nor an ancestor carries view restrictions or an
// exclusion label; and [PageWithheld] otherwise, including a page in
// another space (whose space permissions, exclusion label and suspension
// are not known here: a space can be closed to most of the company without
// its pages carrying restrictions), a page not found, a malformed ID, or
// Confluence failing. A page outside the share costs one more walk of its
// ancestors, so put a [Cache] in front of the source.
func (s *Scope) Link(ctx context.Context, id string) PageLink {
	_, _, err := s.reach(ctx, id)
	if err == nil {
		return PageShared
	}
	var we *WithheldError
	if !errors.As(err, &we) || we.Reason != WithholdOutOfScope {
		return PageWithheld
	}

	// Outside the share: it may be named only if no other rule holds.
	p, err := s.src.Page(ctx, id)
	if err != nil || p.ID != id || p.SpaceKey != s.cfg.SpaceKey || s.withhold(p) != 0 {
		return PageWithheld
	}
	if _, _, err := s.ancestors(ctx, p); err != nil {
		return PageWithheld
	}
	return PageOutside
}

// Children returns the reachable children of a reachable page, in
// Confluence's order. Withheld children are left out without a trace: a
// child is listed only when [Scope.Page] would serve it, and only under its
// actual parent. A page share without Descendants has no children.
func (s *Scope) Children(ctx context.Context, id string) ([]PageRef, error) {
	if _, _, err := s.reach(ctx, id); err != nil {
		return nil, err
	}
	if s.cfg.RootPageID != "" && !s.cfg.Descendants {
		return nil, nil
	}

	kids, err := s.src.Children(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]PageRef, 0, len(kids))
	for _, k := range kids {
		if k.Status != "" && k.Status != StatusCurrent {
			continue
		}
		kp, _, err := s.reach(ctx, k.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if kp.ParentID() != id {
			continue
		}
		out = append(out, PageRef{ID: kp.ID, Title: kp.Title, Status: kp.Status})
	}
	return out, nil
}

// Breadcrumbs returns the path to a reachable page: the pages from the
// scope's top page down to the page's parent, with titles. It is empty for
// the top page itself; in a space share, top-level pages have none. Every
// page it names is one that [Scope.Page] serves.
func (s *Scope) Breadcrumbs(ctx context.Context, id string) ([]PageRef, error) {
	_, chain, err := s.reach(ctx, id)
	if err != nil {
		return nil, err
	}
	if s.cfg.RootPageID != "" {
		i := slices.IndexFunc(chain, func(a *Page) bool { return a.ID == s.cfg.RootPageID })
		if i < 0 {
			return nil, nil // p is the root
		}
		chain = chain[i:]
	}
	out := make([]PageRef, 0, len(chain))
	for _, a := range chain {
		out = append(out, PageRef{ID: a.ID, Title: a.Title, Status: a.Status})
	}
	return out, nil
}

// reach fetches the page and its ancestors and applies every rule. When
// any of them is a stale copy (see [Cache]) the page returned is marked
// Stale, since the decision rests on old data.
func (s *Scope) reach(ctx context.Context, id string) (*Page, []*Page, error) {
	p, err := s.src.Page(ctx, id)
	if err != nil {
		return nil, nil, err
	}

	// The source must have answered for the page asked for.
	if p.ID != id {
		return nil, nil, &WithheldError{PageID: id, Reason: WithholdOutOfScope}
	}

	// The page must lie within the share.
	if !s.within(p) {
		return nil, nil, &WithheldError{PageID: id, Reason: WithholdOutOfScope}
	}

	// The page itself must be current, unrestricted and unlabelled.
	if r := s.withhold(p); r != 0 {
		return nil, nil, &WithheldError{PageID: id, Reason: r, Because: id}
	}

	// So must every ancestor: restrictions and labels are inherited.
	chain, stale, err := s.ancestors(ctx, p)
	if err != nil {
		return nil, nil, err
	}

	// The chain must stay in the share's space, from the top page down.
	if a := s.leavesSpace(p, chain); a != "" {
		return nil, nil, &WithheldError{PageID: id, Reason: WithholdOutOfScope, Because: a}
	}

	if stale && !p.Stale {
		cp := *p
		cp.Stale = true
		p = &cp
	}
	return p, chain, nil
}

// ancestors fetches p's ancestors, top first, and withholds p when any of
// them is withheld. It reports whether any was a stale copy.
func (s *Scope) ancestors(ctx context.Context, p *Page) ([]*Page, bool, error) {
	chain := make([]*Page, 0, len(p.Ancestors))
	stale := false
	for _, a := range p.Ancestors {
		ap, err := s.src.Page(ctx, a.ID)
		if errors.Is(err, ErrNotFound) {
			return nil, false, &WithheldError{PageID: p.ID, Reason: WithholdRestricted,
				Because: a.ID}
		}
		if err != nil {
			return nil, false, err
		}
		if ap.ID != a.ID {
			return nil, false, &WithheldError{PageID: p.ID, Reason: WithholdOutOfScope,
				Because: a.ID}
		}
		if r := s.withhold(ap); r != 0 {
			return nil, false, &WithheldError{PageID: p.ID, Reason: r, Because: a.ID}
		}
		stale = stale || ap.Stale
		chain = append(chain, ap)
	}
	return chain, stale, nil
}

// leavesSpace returns the ID of the first page in p's chain, from the
// share's top page down, that lies in another space than the share, or
// "". A space share's space is SpaceKey; a page share's is SpaceKey when
// set, else the space of its root page.
func (s *Scope) leavesSpace(p *Page, chain []*Page) string {
	space, from := s.cfg.SpaceKey, 0
	if s.cfg.RootPageID != "" {
		i := slices.IndexFunc(chain, func(a *Page) bool { return a.ID == s.cfg.RootPageID })
		switch {
		case i >= 0:
			from = i
		case p.ID == s.cfg.RootPageID:
			from = len(chain)
		}
		if space == "" && i >= 0 {
			space = chain[i].SpaceKey
		}
		if space == "" {
			space = p.SpaceKey
		}
	}
	for _, a := range chain[from:] {
		if a.SpaceKey != space {
			return a.ID
		}
	}
	if p.SpaceKey != space {
		return p.ID
	}
	return ""
}

// within reports whether p is inside the share, ignoring other rules.
func (s *Scope) within(p *Page) bool {
	if s.cfg.SpaceKey != "" && p.SpaceKey != s.cfg.SpaceKey {
		return false
	}
	if s.cfg.RootPageID == "" {
		return true
	}
	if p.ID == s.cfg.RootPageID {
		return true
	}
	return s.cfg.Descendants && slices.ContainsFunc(p.Ancestors,
		func(a PageRef) bool { return a.ID == s.cfg.RootPageID })
}

// withhold returns why p itself may not be shown, or 0.
func (s *Scope) withhold(p *Page) WithholdReason {
	switch {
	case p.Status != StatusCurrent:
		return WithholdNotCurrent
	case p.Restricted:
		return WithholdRestricted
	case slices.ContainsFunc(p.Labels, func(l string) bool { return s.exclude[normLabel(l)] }):
		return WithholdExcludedLabel
	}
	return 0
}

// normLabel is the form labels are compared in: trimmed, lower case.
func normLabel(l string) string { return strings.ToLower(strings.TrimSpace(l)) }
