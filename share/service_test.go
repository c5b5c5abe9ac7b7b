package share

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/idp"
)

// testClock is a settable clock.
type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time { return c.now }

func (c *testClock) advance(d time.Duration) { c.now = c.now.Add(d) }

// newTestService returns a Service over a fake store, a clock at t0, and
// counting randomness.
func newTestService(t *testing.T) (*Service, *fakeStore, *testClock) {
	t.Helper()
	st := newFakeStore()
	clk := &testClock{now: t0}
	s, err := NewService(Config{Store: st, Now: clk.Now,
		Rand: mrand.NewChaCha8([32]byte{1, 2, 3})})
	require.NoError(t, err)
	return s, st, clk
}

// viewer is a profile that passes the fixture link's policy.
func viewer() *idp.Profile {
	return &idp.Profile{IDP: "okta", Email: "x@example.com", Groups: []string{"Auditors"},
		NameID: samlNameID("x@example.com"), SessionIndex: "idx-1"}
}

// treeSpec is a tree link for Partners or Auditors at example.com.
func treeSpec() LinkSpec {
	return LinkSpec{Space: "ENG", Scope: ScopePageTree, PageID: "100", Title: "Q1 plan",
		CreatedBy: "admin@corp.com",
		Policy: Policy{IDPs: []string{"okta"}, Groups: []string{"Partners", "Auditors"},
			Domains: []string{"example.com"}}}
}

var childPage = Page{ID: "102", Space: "ENG", Ancestors: []string{"100"}}

func TestNewService(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no store", Config{}},
		{"negative lifetime", Config{Store: newFakeStore(), SessionLifetime: -time.Second}},
		{"negative idle", Config{Store: newFakeStore(), SessionIdleTimeout: -time.Second}},
		{"negative request", Config{Store: newFakeStore(), RequestLifetime: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewService(tt.cfg)

			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
		})
	}

	s, err := NewService(Config{Store: newFakeStore()})
	require.NoError(t, err)
	assert.Equal(t, DefaultSessionLifetime, s.sessionLife)
	assert.Equal(t, DefaultSessionIdleTimeout, s.idle)
	assert.Equal(t, DefaultRequestLifetime, s.requestLife)
}

func TestCreateLink(t *testing.T) {
	s, st, _ := newTestService(t)
	ctx := context.Background()

	l, token, err := s.CreateLink(ctx, treeSpec())
	require.NoError(t, err)

	h, err := HashToken(token)
	require.NoError(t, err)
	assert.Equal(t, h, l.TokenHash)
	assert.NotEmpty(t, l.ID)
	assert.Equal(t, t0, l.Created)
	assert.True(t, l.Expires.IsZero())
	stored, err := st.Link(ctx, l.ID)
	require.NoError(t, err)
	assert.Equal(t, l, stored)
	assert.NotContains(t, fmt.Sprintf("%+v", st.links), token, "the token itself is never stored")

	events := st.events()
	require.Len(t, events, 1)
	assert.Equal(t, EventLinkCreated, events[0].Kind)
	assert.Equal(t, "admin@corp.com", events[0].Actor)
	assert.Equal(t, l.ID, events[0].LinkID)
	assert.Contains(t, events[0].Detail, "groups=Partners,Auditors")
	assert.NotContains(t, events[0].Detail, token)
}

func TestCreateLinkNormalisesPolicy(t *testing.T) {
	s, _, _ := newTestService(t)
	spec := treeSpec()
	spec.Title = "  Q1  "
	spec.Policy = Policy{
		IDPs:    []string{" okta", "okta", ""},
		Groups:  []string{"Partners", " Partners ", "partners"},
		Emails:  []string{"A@Example.COM", "a@example.com"},
		Domains: []string{"@Partner.ORG", "partner.org", " "},
	}

	l, _, err := s.CreateLink(context.Background(), spec)
	require.NoError(t, err)

	assert.Equal(t, "Q1", l.Title)
	assert.Equal(t, []string{"okta"}, l.Policy.IDPs)
	assert.Equal(t, []string{"Partners", "partners"}, l.Policy.Groups, "group case is kept")
	assert.Equal(t, []string{"a@example.com"}, l.Policy.Emails)
	assert.Equal(t, []string{"partner.org"}, l.Policy.Domains)
}

func TestCreateLinkRefuses(t *testing.T) {
	tests := []struct {
		name  string
		space Space
		edit  func(*LinkSpec)
		field string
	}{
		{name: "no space", edit: func(l *LinkSpec) { l.Space = "" }, field: "Space"},
		{name: "no scope", edit: func(l *LinkSpec) { l.Scope = "" }, field: "Scope"},
		{name: "unknown scope", edit: func(l *LinkSpec) { l.Scope = "site" }, field: "Scope"},
		{name: "space link naming a page", edit: func(l *LinkSpec) { l.Scope = ScopeSpace },
			field: "PageID"},
		{name: "page link without page", edit: func(l *LinkSpec) { l.PageID = "" },
			field: "PageID"},
		{name: "no creator", edit: func(l *LinkSpec) { l.CreatedBy = "" }, field: "CreatedBy"},
		{name: "page ID not a number", edit: func(l *LinkSpec) { l.PageID = "abc" },
			field: "PageID"},
		{name: "page ID too long", edit: func(l *LinkSpec) { l.PageID = "99999999999999999999" },
			field: "PageID"},
		{name: "page ID with leading zero", edit: func(l *LinkSpec) { l.PageID = "0100" },
			field: "PageID"},
		{name: "space key with a space", edit: func(l *LinkSpec) { l.Space = "EN G" },
			field: "Space"},
		{name: "space key with a slash", edit: func(l *LinkSpec) { l.Space = "ENG/../x" },
			field: "Space"},
		{name: "space key too long", edit: func(l *LinkSpec) { l.Space = strings.Repeat("E", 256) },
			field: "Space"},
		{name: "anonymous with rules", edit: func(l *LinkSpec) { l.Policy.Anonymous = true },
			field: "Policy.Anonymous"},
		{name: "anonymous in SSO space", space: Space{Key: "ENG", SSOEnforced: true},
			edit: func(l *LinkSpec) { l.Policy = Policy{Anonymous: true} }, field: "Policy.Anonymous"},
		{name: "IdP not allowed in space", space: Space{Key: "ENG", IDPs: []string{"entra"}},
			field: "Policy.IDPs"},
		{name: "email without domain", edit: func(l *LinkSpec) { l.Policy.Emails = []string{"bob"} },
			field: "Policy.Emails"},
		{name: "email ending in @", edit: func(l *LinkSpec) { l.Policy.Emails = []string{"bob@"} },
			field: "Policy.Emails"},
		{name: "domain with @", edit: func(l *LinkSpec) { l.Policy.Domains = []string{"a@b.com"} },
			field: "Policy.Domains"},
		// An invisible character makes a rule that never matches what an
		// IdP sends, or matches a look-alike: refused, not stored.
		{name: "email with a zero-width space", edit: func(l *LinkSpec) {
			l.Policy.Emails = []string{"bob\u200b@example.com"}
		}, field: "Policy.Emails"},
		{name: "email with a space", edit: func(l *LinkSpec) {
			l.Policy.Emails = []string{"bob smith@example.com"}
		}, field: "Policy.Emails"},
		{name: "email with a tab", edit: func(l *LinkSpec) { l.Policy.Emails = []string{"bob@ex\tample.com"} },
			field: "Policy.Emails"},
		{name: "domain with a right-to-left override", edit: func(l *LinkSpec) {
			l.Policy.Domains = []string{"example\u202e.com"}
		}, field: "Policy.Domains"},
		{name: "domain with a NUL", edit: func(l *LinkSpec) { l.Policy.Domains = []string{"example.com\x00"} },
			field: "Policy.Domains"},
		{name: "expiry passed", edit: func(l *LinkSpec) { l.Expires = t0 }, field: "Expires"},
		{name: "title with a line break", edit: func(l *LinkSpec) { l.Title = "Q3\nreport" },
			field: "Title"},
		{name: "title with an escape code", edit: func(l *LinkSpec) { l.Title = "Q3 \x1b[31mred" },
			field: "Title"},
		{name: "title with a NUL", edit: func(l *LinkSpec) { l.Title = "Q3\x00" }, field: "Title"},
		{name: "title not UTF-8", edit: func(l *LinkSpec) { l.Title = "Q3 \xff" }, field: "Title"},
		{name: "title too long", edit: func(l *LinkSpec) { l.Title = strings.Repeat("é", 201) },
			field: "Title"},
		{name: "expiry beyond space maximum", space: Space{Key: "ENG", MaxLifetime: time.Hour},
			edit: func(l *LinkSpec) { l.Expires = t0.Add(time.Hour + time.Second) }, field: "Expires"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st, _ := newTestService(t)
			if tt.space.Key != "" {
				st.spaces[tt.space.Key] = tt.space
			}
			spec := treeSpec()
			if tt.edit != nil {
				tt.edit(&spec)
			}

			var early *ValidationError
			require.ErrorAs(t, s.ValidateLink(context.Background(), spec), &early,
				"ValidateLink refuses what CreateLink refuses")
			assert.Equal(t, tt.field, early.Field)

			_, token, err := s.CreateLink(context.Background(), spec)

			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
			assert.Equal(t, early, ve)
			assert.Empty(t, token)
			assert.Empty(t, st.links)
			assert.Empty(t, st.events())
		})
	}
}

// TestValidateLinkCreatesNothing: a spec CreateLink accepts passes
// ValidateLink, which stores and records nothing.
func TestValidateLinkCreatesNothing(t *testing.T) {
	s, st, _ := newTestService(t)
	spec := treeSpec()
	require.NoError(t, s.ValidateLink(context.Background(), spec))
	assert.Empty(t, st.links)
	assert.Empty(t, st.events())
	_, _, err := s.CreateLink(context.Background(), spec)
	require.NoError(t, err)
	assert.Len(t, st.links, 1)
}

// TestCreateLinkAcceptsRealIDs: the largest page ID and personal space
// keys (Cloud account IDs with colons) are accepted.
func TestCreateLinkAcceptsRealIDs(t *testing.T) {
	s, _, _ := newTestService(t)
	for _, spec := range []LinkSpec{
		{Space: "ENG", Scope: ScopePage, PageID: "9223372036854775807", CreatedBy: "a@corp.com",
			Policy: Policy{Groups: []string{"x"}}},
		{Space: "~557058:f2ad3f27-9d84-4a7d-b1f4-1a2b3c4d5e6f", Scope: ScopeSpace,
			CreatedBy: "a@corp.com", Policy: Policy{Groups: []string{"x"}}},
	} {
		_, _, err := s.CreateLink(context.Background(), spec)
		assert.NoError(t, err, spec.Space+" "+spec.PageID)
	}
	// Titles: any printable text up to the limit, in any script.
	for _, title := range []string{"", strings.Repeat("é", 200), "Rapport Q3 — équipe «Nord»",
		"四半期レポート", "Q3 report (draft) 🚀"} {
		spec := treeSpec()
		spec.Title = title
		l, _, err := s.CreateLink(context.Background(), spec)
		if assert.NoError(t, err, title) {
			assert.Equal(t, title, l.Title)
		}
	}
}

func TestCreateLinkExpiry(t *testing.T) {
	tests := []struct {
		name  string
		space Space
		ask   time.Time
		want  time.Time
	}{
		{name: "no limits, no expiry", want: time.Time{}},
		{name: "no limits, expiry kept", ask: t0.Add(48 * time.Hour), want: t0.Add(48 * time.Hour)},
		{name: "space default", space: Space{DefaultLifetime: 24 * time.Hour},
			want: t0.Add(24 * time.Hour)},
		{name: "space maximum without default", space: Space{MaxLifetime: 72 * time.Hour},
			want: t0.Add(72 * time.Hour)},
		{name: "at the maximum", space: Space{MaxLifetime: time.Hour}, ask: t0.Add(time.Hour),
			want: t0.Add(time.Hour)},
		{name: "sub-microsecond truncated", ask: t0.Add(time.Hour + 999),
			want: t0.Add(time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st, _ := newTestService(t)
			tt.space.Key = "ENG"
			st.spaces["ENG"] = tt.space
			spec := treeSpec()
			spec.Expires = tt.ask

			l, _, err := s.CreateLink(context.Background(), spec)
			require.NoError(t, err)

			assert.True(t, tt.want.Equal(l.Expires), "want %s, got %s", tt.want, l.Expires)
		})
	}
}

func TestOpen(t *testing.T) {
	s, st, _ := newTestService(t)
	ctx := context.Background()
	l, token, err := s.CreateLink(ctx, treeSpec())
	require.NoError(t, err)
	outsider := viewer()
	outsider.Groups = []string{"Engineering"}

	tests := []struct {
		name   string
		token  string
		viewer *idp.Profile
		page   Page
		want   Outcome
		reason Reason
		event  EventKind
		linkID string
	}{
		{"allowed", token, viewer(), childPage, Allow, ReasonAllowed, EventLinkOpened, l.ID},
		{"not signed in", token, nil, childPage, LoginRequired, ReasonLoginRequired, "", l.ID},
		{"not in groups", token, outsider, childPage, Deny, ReasonNotInGroups, EventLinkDenied, l.ID},
		{"outside scope", token, viewer(), Page{ID: "7", Space: "ENG"}, Deny, ReasonOutsideScope,
			EventLinkDenied, l.ID},
		{"unknown token", flipFirst(token), viewer(), childPage, Deny, ReasonUnknownLink,
			EventLinkDenied, ""},
		{"malformed token", "nope", nil, childPage, Deny, ReasonUnknownLink, EventLinkDenied, ""},
		// A visitor's text that cannot be a page ID is not written to the
		// audit log: it could be a megabyte, or hold control characters.
		{"page ID too long", token, viewer(), Page{ID: strings.Repeat("1", 100000), Space: "ENG"},
			Deny, ReasonOutsideScope, EventLinkDenied, l.ID},
		{"page ID with a NUL", token, viewer(), Page{ID: "13\x00", Space: "ENG"}, Deny,
			ReasonOutsideScope, EventLinkDenied, l.ID},
		{"page ID with a line break", token, viewer(), Page{ID: "13\r\nforged", Space: "ENG"},
			Deny, ReasonOutsideScope, EventLinkDenied, l.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(st.events())
			wantPageID := tt.page.ID
			if strings.HasPrefix(tt.name, "page ID ") {
				wantPageID = ""
			}

			got, d, err := s.Open(ctx, tt.token, tt.viewer, tt.page)
			require.NoError(t, err)

			assert.Equal(t, tt.want, d.Outcome)
			assert.Equal(t, tt.reason, d.Reason)
			assert.Equal(t, tt.linkID, got.ID)
			events := st.events()[before:]
			if tt.event == "" {
				assert.Empty(t, events)
				return
			}
			require.Len(t, events, 1)
			e := events[0]
			assert.Equal(t, tt.event, e.Kind)
			assert.Equal(t, tt.linkID, e.LinkID)
			assert.Equal(t, wantPageID, e.PageID)
			if tt.want == Deny {
				assert.Equal(t, tt.reason.String(), e.Reason)
				assert.Equal(t, d.Message(), e.Detail)
			}
			if tt.viewer != nil {
				assert.Equal(t, tt.viewer.Email, e.Actor)
				assert.Equal(t, tt.viewer.IDP, e.IDP)
			}
			assert.NotContains(t, fmt.Sprintf("%+v", e), token)
		})
	}
}

func TestOpenStorageFailures(t *testing.T) {
	boom := errors.New("disk on fire")
	tests := []struct {
		name string
		fail func(*fakeStore)
	}{
		{"store down", func(f *fakeStore) { f.err = boom }},
		{"audit down", func(f *fakeStore) { f.auditErr = boom }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st, _ := newTestService(t)
			_, token, err := s.CreateLink(context.Background(), treeSpec())
			require.NoError(t, err)
			tt.fail(st)

			_, d, err := s.Open(context.Background(), token, viewer(), childPage)

			require.ErrorIs(t, err, boom)
			assert.False(t, d.Allowed(), "a failure denies")
		})
	}
}

func TestResolve(t *testing.T) {
	s, st, _ := newTestService(t)
	ctx := context.Background()
	l, token, err := s.CreateLink(ctx, treeSpec())
	require.NoError(t, err)

	res, err := s.Resolve(ctx, token)
	require.NoError(t, err)
	got, ok := res.Link()
	require.True(t, ok)
	assert.Equal(t, l.ID, got.ID)
	assert.Equal(t, "ENG", res.Space().Key)

	for _, bad := range []string{flipFirst(token), "nope", ""} {
		res, err := s.Resolve(ctx, bad)
		require.NoError(t, err, "token %q", bad)
		_, ok := res.Link()
		assert.False(t, ok, "token %q matches no link", bad)
		assert.Equal(t, Space{}, res.Space())
	}

	st.err = errors.New("disk on fire")
	_, err = s.Resolve(ctx, token)
	require.ErrorIs(t, err, st.err)
}

// OpenResolved decides and records as Open does, from the link read once.
func TestOpenResolved(t *testing.T) {
	s, st, _ := newTestService(t)
	ctx := context.Background()
	l, token, err := s.CreateLink(ctx, treeSpec())
	require.NoError(t, err)
	outsider := viewer()
	outsider.Groups = []string{"Engineering"}

	res, err := s.Resolve(ctx, token)
	require.NoError(t, err)
	unknown, err := s.Resolve(ctx, flipFirst(token))
	require.NoError(t, err)

	tests := []struct {
		name   string
		res    Resolved
		viewer *idp.Profile
		want   Reason
		event  EventKind
	}{
		{"allowed", res, viewer(), ReasonAllowed, EventLinkOpened},
		{"not in groups", res, outsider, ReasonNotInGroups, EventLinkDenied},
		{"not signed in", res, nil, ReasonLoginRequired, ""},
		{"unknown link", unknown, viewer(), ReasonUnknownLink, EventLinkDenied},
		{"zero Resolved", Resolved{}, viewer(), ReasonUnknownLink, EventLinkDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(st.events())
			d, err := s.OpenResolved(ctx, tt.res, tt.viewer, childPage)
			require.NoError(t, err)
			assert.Equal(t, tt.want, d.Reason)
			events := st.events()[before:]
			if tt.event == "" {
				assert.Empty(t, events)
				return
			}
			require.Len(t, events, 1)
			assert.Equal(t, tt.event, events[0].Kind)
			if _, ok := tt.res.Link(); ok {
				assert.Equal(t, l.ID, events[0].LinkID)
			}
		})
	}

	st.auditErr = errors.New("audit down")
	d, err := s.OpenResolved(ctx, res, viewer(), childPage)
	require.ErrorIs(t, err, st.auditErr)
	assert.False(t, d.Allowed(), "an unrecorded open denies")
}

func TestRevokeAndReenable(t *testing.T) {
	s, st, clk := newTestService(t)
	ctx := context.Background()
	l, oldToken, err := s.CreateLink(ctx, treeSpec())
	require.NoError(t, err)
	clk.advance(time.Minute)

	revoked, err := s.RevokeLink(ctx, l.ID, "boss@corp.com")
	require.NoError(t, err)
	assert.Equal(t, clk.now, revoked.Revoked)
	assert.Equal(t, "boss@corp.com", revoked.RevokedBy)
	_, d, err := s.Open(ctx, oldToken, viewer(), childPage)
	require.NoError(t, err)
	assert.Equal(t, ReasonRevoked, d.Reason)

	again, err := s.RevokeLink(ctx, l.ID, "other@corp.com")
	require.NoError(t, err)
	assert.Equal(t, revoked, again, "revoking twice changes nothing")

	clk.advance(time.Minute)
	back, newToken, err := s.ReenableLink(ctx, l.ID, "boss@corp.com", time.Time{})
	require.NoError(t, err)
	assert.NotEqual(t, oldToken, newToken)
	assert.True(t, back.Revoked.IsZero())
	assert.Equal(t, l.ID, back.ID)

	_, d, err = s.Open(ctx, oldToken, viewer(), childPage)
	require.NoError(t, err)
	assert.Equal(t, ReasonUnknownLink, d.Reason, "a revoked token never works again")
	_, d, err = s.Open(ctx, newToken, viewer(), childPage)
	require.NoError(t, err)
	assert.True(t, d.Allowed())

	var kinds []EventKind
	for _, e := range st.events() {
		if e.LinkID == l.ID {
			kinds = append(kinds, e.Kind)
		}
	}
	assert.Equal(t, []EventKind{EventLinkCreated, EventLinkRevoked, EventLinkDenied,
		EventLinkReenabled, EventLinkOpened}, kinds)
}

func TestReenableLinkExpiry(t *testing.T) {
	s, st, clk := newTestService(t)
	ctx := context.Background()
	st.spaces["ENG"] = Space{Key: "ENG", MaxLifetime: time.Hour}
	l, token, err := s.CreateLink(ctx, treeSpec())
	require.NoError(t, err)
	clk.advance(2 * time.Hour)
	_, d, err := s.Open(ctx, token, viewer(), childPage)
	require.NoError(t, err)
	require.Equal(t, ReasonExpired, d.Reason)

	_, _, err = s.ReenableLink(ctx, l.ID, "boss@corp.com", clk.now.Add(2*time.Hour))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve, "the space maximum applies")

	back, _, err := s.ReenableLink(ctx, l.ID, "boss@corp.com", time.Time{})
	require.NoError(t, err)
	assert.Equal(t, clk.now.Add(time.Hour), back.Expires)
}

func TestSetLinkPolicy(t *testing.T) {
	s, st, clk := newTestService(t)
	ctx := context.Background()
	l, token, err := s.CreateLink(ctx, treeSpec())
	require.NoError(t, err)
	clk.advance(time.Minute)

	// Narrow the link to Partners only: the Auditor viewer is now denied,
	// with the same token.
	p := l.Policy
	p.Groups = []string{" Partners ", "Partners"}
	changed, err := s.SetLinkPolicy(ctx, l.ID, "boss@corp.com", " Q1 plan (partners) ", p)
	require.NoError(t, err)
	assert.Equal(t, []string{"Partners"}, changed.Policy.Groups, "normalised")
	assert.Equal(t, "Q1 plan (partners)", changed.Title)
	assert.Equal(t, l.TokenHash, changed.TokenHash, "the token is kept")
	assert.Equal(t, l.Expires, changed.Expires)
	_, d, err := s.Open(ctx, token, viewer(), childPage)
	require.NoError(t, err)
	assert.Equal(t, ReasonNotInGroups, d.Reason)

	stored, err := s.Link(ctx, l.ID)
	require.NoError(t, err)
	assert.Equal(t, changed, stored)
	var last AuditEvent
	for _, e := range st.events() {
		if e.Kind == EventLinkChanged {
			last = e
		}
	}
	assert.Equal(t, "boss@corp.com", last.Actor)
	assert.Contains(t, last.Detail, "groups=Partners")

	// A revoked link stays revoked when edited.
	_, err = s.RevokeLink(ctx, l.ID, "boss@corp.com")
	require.NoError(t, err)
	edited, err := s.SetLinkPolicy(ctx, l.ID, "boss@corp.com", "x", treeSpec().Policy)
	require.NoError(t, err)
	assert.False(t, edited.Revoked.IsZero())
}

func TestSetLinkPolicyRefusals(t *testing.T) {
	s, st, _ := newTestService(t)
	ctx := context.Background()
	l, _, err := s.CreateLink(ctx, treeSpec())
	require.NoError(t, err)

	_, err = s.SetLinkPolicy(ctx, "nope", "boss@corp.com", "", Policy{})
	require.ErrorIs(t, err, ErrNotFound)

	var ve *ValidationError
	_, err = s.SetLinkPolicy(ctx, l.ID, "", "", treeSpec().Policy)
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "by", ve.Field)

	st.spaces["ENG"] = Space{Key: "ENG", SSOEnforced: true, IDPs: []string{"entra"}}
	_, err = s.SetLinkPolicy(ctx, l.ID, "boss@corp.com", "", treeSpec().Policy)
	require.ErrorAs(t, err, &ve, "an IdP the space does not allow")
	assert.Equal(t, "Policy.IDPs", ve.Field)
	_, err = s.SetLinkPolicy(ctx, l.ID, "boss@corp.com", "", Policy{Anonymous: true})
	require.ErrorAs(t, err, &ve, "anonymous in a space that enforces SSO")
	_, err = s.SetLinkPolicy(ctx, l.ID, "boss@corp.com", "a\rb", treeSpec().Policy)
	require.ErrorAs(t, err, &ve, "a title with a control character")
	assert.Equal(t, "Title", ve.Field)

	stored, err := s.Link(ctx, l.ID)
	require.NoError(t, err)
	assert.Equal(t, l, stored, "a refused edit stores nothing")
}

func TestRevokeUnknownLink(t *testing.T) {
	s, _, _ := newTestService(t)

	_, err := s.RevokeLink(context.Background(), "nope", "boss@corp.com")
	require.ErrorIs(t, err, ErrNotFound)
	_, _, err = s.ReenableLink(context.Background(), "nope", "boss@corp.com", time.Time{})
	require.ErrorIs(t, err, ErrNotFound)
}

func TestListLinks(t *testing.T) {
	s, _, clk := newTestService(t)
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		spec := treeSpec()
		spec.PageID = fmt.Sprint(100 + i)
		l, _, err := s.CreateLink(ctx, spec)
		require.NoError(t, err)
		ids = append(ids, l.ID)
		clk.advance(time.Second)
	}
	_, err := s.RevokeLink(ctx, ids[1], "boss@corp.com")
	require.NoError(t, err)

	var got []string
	q := LinkQuery{Space: "ENG", ExcludeRevoked: true, Limit: 2}
	for {
		links, next, err := s.ListLinks(ctx, q)
		require.NoError(t, err)
		for _, l := range links {
			got = append(got, l.ID)
		}
		if next == "" {
			break
		}
		q.Cursor = next
	}
	assert.Equal(t, []string{ids[0], ids[2], ids[3], ids[4]}, got)
}

// flipFirst returns token with a different, still valid, first character.
func flipFirst(token string) string {
	if token[0] == 'A' {
		return "B" + token[1:]
	}
	return "A" + token[1:]
}
