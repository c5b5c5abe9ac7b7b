package share

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// fakeStore is an in-memory Store for this package's tests. Its err field,
// when set, is returned by every method, to test storage failures.
type fakeStore struct {
	mu       sync.Mutex
	links    map[string]Link
	spaces   map[string]Space
	sessions map[Digest]Session
	audit    []AuditEvent
	requests map[string]AuthnRequestState
	err      error
	auditErr error
}

var _ Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{
		links:    map[string]Link{},
		spaces:   map[string]Space{},
		sessions: map[Digest]Session{},
		requests: map[string]AuthnRequestState{},
	}
}

func (f *fakeStore) CreateLink(_ context.Context, l Link) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	for _, o := range f.links {
		if o.ID == l.ID || o.TokenHash == l.TokenHash {
			return fmt.Errorf("fake: %w", ErrConflict)
		}
	}
	f.links[l.ID] = cloneLink(l)
	return nil
}

func (f *fakeStore) UpdateLink(_ context.Context, l Link) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if _, ok := f.links[l.ID]; !ok {
		return fmt.Errorf("fake: %w", ErrNotFound)
	}
	for _, o := range f.links {
		if o.ID != l.ID && o.TokenHash == l.TokenHash {
			return fmt.Errorf("fake: %w", ErrConflict)
		}
	}
	f.links[l.ID] = cloneLink(l)
	return nil
}

func (f *fakeStore) Link(_ context.Context, id string) (Link, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return Link{}, f.err
	}
	l, ok := f.links[id]
	if !ok {
		return Link{}, fmt.Errorf("fake: %w", ErrNotFound)
	}
	return cloneLink(l), nil
}

func (f *fakeStore) LinkByToken(_ context.Context, h Digest) (Link, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return Link{}, f.err
	}
	for _, l := range f.links {
		if l.TokenHash == h {
			return cloneLink(l), nil
		}
	}
	return Link{}, fmt.Errorf("fake: %w", ErrNotFound)
}

func (f *fakeStore) ListLinks(_ context.Context, q LinkQuery) ([]Link, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, "", f.err
	}
	var all []Link
	for _, l := range f.links {
		if (q.Space == "" || l.Space == q.Space) && (q.PageID == "" || l.PageID == q.PageID) &&
			(q.CreatedBy == "" || l.CreatedBy == q.CreatedBy) &&
			(!q.ExcludeRevoked || l.Revoked.IsZero()) {
			all = append(all, cloneLink(l))
		}
	}
	slices.SortFunc(all, func(a, b Link) int { return compareKey(a.Created, a.ID, b.Created, b.ID) })
	keys := func(l Link) (time.Time, string) { return l.Created, l.ID }
	return paginate(all, q.Cursor, q.Limit, keys)
}

func (f *fakeStore) SpaceSettings(_ context.Context, key string) (Space, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return Space{}, f.err
	}
	s, ok := f.spaces[key]
	if !ok {
		return Space{}, fmt.Errorf("fake: %w", ErrNotFound)
	}
	s.IDPs = slices.Clone(s.IDPs)
	return s, nil
}

func (f *fakeStore) PutSpaceSettings(_ context.Context, s Space) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	s.IDPs = slices.Clone(s.IDPs)
	f.spaces[s.Key] = s
	return nil
}

func (f *fakeStore) CreateSession(_ context.Context, s Session) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if _, ok := f.sessions[s.IDHash]; ok {
		return fmt.Errorf("fake: %w", ErrConflict)
	}
	f.sessions[s.IDHash] = s
	return nil
}

func (f *fakeStore) Session(_ context.Context, h Digest) (Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return Session{}, f.err
	}
	s, ok := f.sessions[h]
	if !ok {
		return Session{}, fmt.Errorf("fake: %w", ErrNotFound)
	}
	return s, nil
}

func (f *fakeStore) TouchSession(_ context.Context, h Digest, lastSeen time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	s, ok := f.sessions[h]
	if !ok {
		return fmt.Errorf("fake: %w", ErrNotFound)
	}
	s.LastSeen = lastSeen
	f.sessions[h] = s
	return nil
}

func (f *fakeStore) DeleteSession(_ context.Context, h Digest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	delete(f.sessions, h)
	return nil
}

func (f *fakeStore) DeleteSessions(_ context.Context, m SessionMatch) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	if m.IDP == "" || m.NameID == "" {
		return 0, nil
	}
	n := 0
	for h, s := range f.sessions {
		p := s.Profile
		if p.IDP == m.IDP && p.NameID.Value == m.NameID &&
			(m.SessionIndex == "" || p.SessionIndex == m.SessionIndex) {
			delete(f.sessions, h)
			n++
		}
	}
	return n, nil
}

func (f *fakeStore) AppendAudit(_ context.Context, e AuditEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if f.auditErr != nil {
		return f.auditErr
	}
	for _, o := range f.audit {
		if o.ID == e.ID {
			return fmt.Errorf("fake: %w", ErrConflict)
		}
	}
	f.audit = append(f.audit, e)
	return nil
}

func (f *fakeStore) QueryAudit(_ context.Context, q AuditFilter) ([]AuditEvent, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, "", f.err
	}
	var all []AuditEvent
	for _, e := range f.audit {
		if (q.LinkID == "" || e.LinkID == q.LinkID) && (q.Actor == "" || e.Actor == q.Actor) &&
			(q.Space == "" || e.Space == q.Space) && (q.Kind == "" || e.Kind == q.Kind) &&
			(q.Since.IsZero() || !e.Time.Before(q.Since)) &&
			(q.Until.IsZero() || e.Time.Before(q.Until)) {
			all = append(all, e)
		}
	}
	slices.SortFunc(all, func(a, b AuditEvent) int { return compareKey(a.Time, a.ID, b.Time, b.ID) })
	keys := func(e AuditEvent) (time.Time, string) { return e.Time, e.ID }
	return paginate(all, q.Cursor, q.Limit, keys)
}

func (f *fakeStore) SaveAuthnRequest(_ context.Context, st AuthnRequestState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if _, ok := f.requests[st.ID]; ok {
		return fmt.Errorf("fake: %w", ErrConflict)
	}
	f.requests[st.ID] = st
	return nil
}

func (f *fakeStore) ConsumeAuthnRequest(_ context.Context, id string,
	now time.Time) (AuthnRequestState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return AuthnRequestState{}, f.err
	}
	st, ok := f.requests[id]
	if !ok {
		return AuthnRequestState{}, fmt.Errorf("fake: %w", ErrNotFound)
	}
	delete(f.requests, id)
	if !now.Before(st.Expires) {
		return AuthnRequestState{}, fmt.Errorf("fake: %w", ErrExpired)
	}
	return st, nil
}

// events returns a copy of the audit log in insertion order.
func (f *fakeStore) events() []AuditEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.audit)
}

func cloneLink(l Link) Link {
	p := &l.Policy
	p.IDPs, p.Groups = slices.Clone(p.IDPs), slices.Clone(p.Groups)
	p.Emails, p.Domains = slices.Clone(p.Emails), slices.Clone(p.Domains)
	return l
}

func compareKey(at time.Time, aid string, bt time.Time, bid string) int {
	if c := at.Compare(bt); c != 0 {
		return c
	}
	return strings.Compare(aid, bid)
}

// paginate returns up to limit items after cursor ("unixnano/id") from
// sorted, and the cursor after the last one returned.
func paginate[T any](sorted []T, cursor string, limit int,
	key func(T) (time.Time, string)) ([]T, string, error) {
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	start := 0
	if cursor != "" {
		ns, id, ok := strings.Cut(cursor, "/")
		n, err := strconv.ParseInt(ns, 10, 64)
		if !ok || err != nil {
			return nil, "", fmt.Errorf("fake: %w", ErrInvalidCursor)
		}
		ct := time.Unix(0, n)
		start = len(sorted)
		for i, it := range sorted {
			t, iid := key(it)
			if compareKey(t, iid, ct, id) > 0 {
				start = i
				break
			}
		}
	}
	end := min(start+limit, len(sorted))
	page := sorted[start:end]
	if end == len(sorted) {
		return page, "", nil
	}
	t, id := key(page[len(page)-1])
	return page, strconv.FormatInt(t.UnixNano(), 10) + "/" + id, nil
}
