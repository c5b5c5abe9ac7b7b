package confluence

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	// are compared exactly, as Confluence stores them (lower case).
	ExcludeLabels []string
}

// Scope decides which pages of a [Source] an outsider may reach through
// one share. A page is reachable only when it is current (not a draft,
// archived or trashed), neither it nor any ancestor carries view
// restrictions or an exclusion label, and it lies within the share. An
// ancestor the source will not return counts as restricted; on Cloud this
// includes folders, which are not pages, so pages under a folder are
// withheld.
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
		s.exclude[l] = true
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

// Children returns the reachable children of a reachable page, in
// Confluence's order. Withheld children are left out without a trace. A
// page share without Descendants has no children.
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
		kp, err := s.src.Page(ctx, k.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if s.withhold(kp) != 0 || kp.ParentID() != id {
			continue
		}
		out = append(out, PageRef{ID: kp.ID, Title: kp.Title, Status: kp.Status})
	}
	return out, nil
}

// Breadcrumbs returns the path to a reachable page: the pages from the
// scope's top page down to the page's parent, with titles. It is empty for
// the top page itself; in a space share, top-level pages have none.
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

// reach fetches the page and its ancestors and applies every rule.
func (s *Scope) reach(ctx context.Context, id string) (*Page, []*Page, error) {
	p, err := s.src.Page(ctx, id)
	if err != nil {
		return nil, nil, err
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
	chain := make([]*Page, 0, len(p.Ancestors))
	for _, a := range p.Ancestors {
		ap, err := s.src.Page(ctx, a.ID)
		if errors.Is(err, ErrNotFound) {
			return nil, nil, &WithheldError{PageID: id, Reason: WithholdRestricted,
				Because: a.ID}
		}
		if err != nil {
			return nil, nil, err
		}
		if r := s.withhold(ap); r != 0 {
			return nil, nil, &WithheldError{PageID: id, Reason: r, Because: a.ID}
		}
		chain = append(chain, ap)
	}
	return p, chain, nil
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
	case slices.ContainsFunc(p.Labels, func(l string) bool { return s.exclude[l] }):
		return WithholdExcludedLabel
	}
	return 0
}
