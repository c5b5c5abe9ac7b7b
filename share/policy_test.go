package share

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/idp"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture returns a tree link in space ENG restricted to Okta, groups
// Partners or Auditors, and domain example.com, with a profile and page
// that pass every rule.
func fixture() (Link, Space, idp.Profile, Page) {
	l := Link{
		ID: "l1", Space: "ENG", Scope: ScopePageTree, PageID: "100", Title: "Q1 plan",
		Created: t0.Add(-time.Hour), Expires: t0.Add(time.Hour),
		Policy: Policy{
			IDPs:    []string{"okta"},
			Groups:  []string{"Partners", "Auditors"},
			Domains: []string{"example.com"},
		},
	}
	s := Space{Key: "ENG"}
	p := idp.Profile{IDP: "okta", Email: "x@example.com", Groups: []string{"Engineering", "Auditors"}}
	pg := Page{ID: "102", Space: "ENG", Ancestors: []string{"1", "100"}}
	return l, s, p, pg
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(l *Link, s *Space, p *idp.Profile, pg *Page)
		noLink  bool
		noSpace bool
		anon    bool
		want    Outcome
		reason  Reason
		idp     string
	}{
		{name: "allowed", want: Allow, reason: ReasonAllowed},
		{name: "unknown link", noLink: true, reason: ReasonUnknownLink},
		{name: "no space settings", noSpace: true, reason: ReasonUnspecified},
		{name: "space of another key",
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { s.Key = "OPS" }},
		{name: "link without scope",
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { l.Scope = "" }},
		{name: "tree link without page",
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { l.PageID = "" }},
		{name: "revoked", reason: ReasonRevoked,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { l.Revoked = t0.Add(-time.Minute) }},
		{name: "expired at the instant", reason: ReasonExpired,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { l.Expires = t0 }},
		{name: "expires a nanosecond later", want: Allow, reason: ReasonAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { l.Expires = t0.Add(1) }},
		{name: "never expires", want: Allow, reason: ReasonAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { l.Expires = time.Time{} }},
		{name: "space suspended", reason: ReasonSpaceSuspended,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { s.Suspended = t0 }},
		{name: "login required at the link's IdP", anon: true, want: LoginRequired,
			reason: ReasonLoginRequired, idp: "okta"},
		{name: "login required at the space's IdP", anon: true, want: LoginRequired,
			reason: ReasonLoginRequired, idp: "entra",
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				l.Policy.IDPs = nil
				s.IDPs = []string{"entra", "okta"}
			}},
		{name: "login required for a policy without rules", anon: true, want: LoginRequired,
			reason: ReasonLoginRequired,
			edit:   func(l *Link, s *Space, p *idp.Profile, pg *Page) { l.Policy = Policy{} }},
		{name: "anonymous link", anon: true, want: Allow, reason: ReasonAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { l.Policy = Policy{Anonymous: true} }},
		{name: "anonymous link in SSO space", anon: true, want: LoginRequired,
			reason: ReasonLoginRequired,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				l.Policy = Policy{Anonymous: true}
				s.SSOEnforced = true
			}},
		{name: "anonymous flag with groups still needs login", anon: true, want: LoginRequired,
			reason: ReasonLoginRequired, idp: "okta",
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { l.Policy.Anonymous = true }},
		{name: "link IdPs disjoint from space IdPs", anon: true,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { s.IDPs = []string{"entra"} }},
		{name: "profile without email",
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { p.Email = "" }},
		{name: "wrong IdP for link", reason: ReasonWrongIDP, idp: "okta",
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { p.IDP = "entra" }},
		{name: "wrong IdP for space", reason: ReasonWrongIDP, idp: "okta",
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				l.Policy.IDPs = nil
				s.IDPs = []string{"okta"}
				p.IDP = "entra"
			}},
		{name: "profile without IdP", reason: ReasonWrongIDP, idp: "okta",
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { p.IDP = "" }},
		{name: "IdP name differs in case", reason: ReasonWrongIDP, idp: "okta",
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { p.IDP = "Okta" }},
		{name: "groups overage with matching group", reason: ReasonGroupsNotInToken,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { p.GroupsOverage = true }},
		{name: "overage without group rule", want: Allow, reason: ReasonAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				p.GroupsOverage = true
				l.Policy.Groups = nil
			}},
		{name: "not in groups", reason: ReasonNotInGroups,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { p.Groups = []string{"Engineering"} }},
		{name: "no groups at all", reason: ReasonNotInGroups,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { p.Groups = nil }},
		{name: "group case differs", reason: ReasonNotInGroups,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { p.Groups = []string{"auditors"} }},
		{name: "group case differs, case-insensitive IdP", want: Allow, reason: ReasonAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				p.Groups = []string{"AUDITORS"}
				p.GroupsCaseInsensitive = true
			}},
		{name: "group with a long s is not the group, even case-insensitively",
			reason: ReasonNotInGroups,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				l.Policy.Groups = []string{"sales"}
				p.Groups = []string{"ſales"}
				p.GroupsCaseInsensitive = true
			}},
		{name: "empty group never matches", reason: ReasonNotInGroups,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				l.Policy.Groups = []string{""}
				p.Groups = []string{""}
			}},
		{name: "domain suffix trick", reason: ReasonDomainNotAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { p.Email = "x@evil-example.com" }},
		{name: "subdomain", reason: ReasonDomainNotAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { p.Email = "x@sub.example.com" }},
		{name: "domain in local part", reason: ReasonDomainNotAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { p.Email = "x@example.com@evil.com" }},
		{name: "email without domain", reason: ReasonDomainNotAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { p.Email = "x@" }},
		{name: "domain case differs", want: Allow, reason: ReasonAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { p.Email = "X@Example.COM" }},
		{name: "email allowed", want: Allow, reason: ReasonAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				l.Policy.Domains = nil
				l.Policy.Emails = []string{"a@b.org", "x@example.com"}
			}},
		{name: "email not allowed", reason: ReasonEmailNotAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				l.Policy.Domains = nil
				l.Policy.Emails = []string{"a@b.org"}
			}},
		{name: "email or domain, neither", reason: ReasonEmailNotAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				l.Policy.Emails = []string{"a@b.org"}
				p.Email = "x@other.com"
			}},
		{name: "email or domain, email only", want: Allow, reason: ReasonAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				l.Policy.Emails = []string{"x@other.com"}
				p.Email = "x@other.com"
			}},
		// Unicode case folding would take "ſ" (U+017F) for "s" and the
		// Kelvin sign for "k": look-alike addresses must not pass.
		{name: "email with a long s is not the email with an s", reason: ReasonEmailNotAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				l.Policy.Domains = nil
				l.Policy.Emails = []string{"sam@partner.example"}
				p.Email = "ſam@partner.example"
			}},
		{name: "domain with a Kelvin sign is not the domain with a k", reason: ReasonDomainNotAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				l.Policy.Domains = []string{"kelvin.example"}
				p.Email = "x@\u212aelvin.example"
			}},
		{name: "email case differs in ASCII", want: Allow, reason: ReasonAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				l.Policy.Domains = nil
				l.Policy.Emails = []string{"Sam@Partner.example"}
				p.Email = "sAM@partner.EXAMPLE"
			}},
		{name: "the linked page itself", want: Allow, reason: ReasonAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { pg.ID, pg.Ancestors = "100", nil }},
		{name: "page outside tree", reason: ReasonOutsideScope,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { pg.Ancestors = []string{"1"} }},
		{name: "page in another space", reason: ReasonOutsideScope,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { pg.Space = "OPS" }},
		{name: "page without ID", reason: ReasonOutsideScope,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { pg.ID = "" }},
		{name: "child of a single-page link", reason: ReasonOutsideScope,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { l.Scope = ScopePage }},
		{name: "any page of a space link", want: Allow, reason: ReasonAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				l.Scope, l.PageID = ScopeSpace, ""
				pg.Ancestors = nil
			}},
		{name: "withheld descendant", reason: ReasonWithheld,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) { pg.Withheld = true }},
		{name: "withheld page named by the link", want: Allow, reason: ReasonAllowed,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				pg.ID, pg.Withheld = "100", true
			}},
		{name: "withheld page of a space link", reason: ReasonWithheld,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				l.Scope, l.PageID = ScopeSpace, ""
				pg.Withheld = true
			}},
		{name: "identity checked before scope", reason: ReasonNotInGroups,
			edit: func(l *Link, s *Space, p *idp.Profile, pg *Page) {
				p.Groups = nil
				pg.Space = "OPS"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, s, p, pg := fixture()
			if tt.edit != nil {
				tt.edit(&l, &s, &p, &pg)
			}
			lp, sp, pp := &l, &s, &p
			if tt.noLink {
				lp = nil
			}
			if tt.noSpace {
				sp = nil
			}
			if tt.anon {
				pp = nil
			}

			d := Evaluate(lp, sp, pp, pg, t0)

			assert.Equal(t, tt.want, d.Outcome, "outcome")
			assert.Equal(t, tt.reason, d.Reason, "reason %s", d.Reason)
			assert.Equal(t, tt.idp, d.IDP, "IdP")
			assert.Equal(t, tt.want == Allow, d.Allowed())
			assert.NotEmpty(t, d.Message())
		})
	}
}

func TestDecisionZeroDenies(t *testing.T) {
	var d Decision
	assert.False(t, d.Allowed())
	assert.Equal(t, Deny, d.Outcome)
	assert.Equal(t, ReasonUnspecified, d.Reason)
	assert.Equal(t, "This link cannot be opened; ask the person who shared it.", d.Message())
}

func TestDecisionMessage(t *testing.T) {
	tests := []struct {
		name string
		edit func(l *Link, p *idp.Profile)
		want string
	}{
		{
			name: "not in groups",
			edit: func(l *Link, p *idp.Profile) { p.Groups = []string{"Engineering"} },
			want: "This link is for members of Partners or Auditors; " +
				"you signed in as x@example.com, who is in Engineering.",
		},
		{
			name: "no groups sent",
			edit: func(l *Link, p *idp.Profile) { p.Groups = nil },
			want: "This link is for members of Partners or Auditors; " +
				"you signed in as x@example.com, and your sign-in carried no groups.",
		},
		{
			name: "many groups",
			edit: func(l *Link, p *idp.Profile) {
				l.Policy.Groups = []string{"A", "B", "C", "D", "E", "F", "G"}
				p.Groups = []string{"X", "Y"}
			},
			want: "This link is for members of A, B, C, D, E or 2 others; " +
				"you signed in as x@example.com, who is in X and Y.",
		},
		{
			name: "domain",
			edit: func(l *Link, p *idp.Profile) {
				l.Policy.Domains = []string{"example.com", "partner.org"}
				p.Email = "x@evil-example.com"
			},
			want: "This link is for people with an address at example.com or partner.org; " +
				"you signed in as x@evil-example.com.",
		},
		{
			name: "email does not reveal the allow-list",
			edit: func(l *Link, p *idp.Profile) {
				l.Policy.Domains = nil
				l.Policy.Emails = []string{"boss@example.com"}
			},
			want: "This link is for particular people; you signed in as x@example.com, " +
				"which is not among them. Ask the person who shared the link to add you.",
		},
		{
			name: "wrong IdP",
			edit: func(l *Link, p *idp.Profile) { p.IDP = "entra" },
			want: "This link needs a sign-in at okta; you signed in at entra. " +
				"Sign out and sign in again there.",
		},
		{
			name: "expired",
			edit: func(l *Link, p *idp.Profile) { l.Expires = t0.Add(-time.Minute) },
			want: "This link expired on 1 March 2026 at 11:59 UTC; " +
				"ask the person who shared it for a new one.",
		},
		{
			name: "overage",
			edit: func(l *Link, p *idp.Profile) { p.GroupsOverage = true },
			want: "Your identity provider did not send your group memberships " +
				"(you may be in too many groups), so we cannot check that you are a member of " +
				"Partners or Auditors; ask its administrator to send the groups this link needs.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, s, p, pg := fixture()
			tt.edit(&l, &p)

			d := Evaluate(&l, &s, &p, pg, t0)

			require.False(t, d.Allowed())
			assert.Equal(t, tt.want, d.Message())
		})
	}
}

func TestReasonString(t *testing.T) {
	seen := map[string]Reason{}
	for r := Reason(0); r < numReasons; r++ {
		s := r.String()
		require.NotEmpty(t, s, "reason %d", r)
		require.NotEqual(t, "invalid", s)
		_, dup := seen[s]
		require.False(t, dup, "duplicate code %q", s)
		seen[s] = r
		// Every reason has its own sentence, apart from the catch-all.
		if r != ReasonUnspecified {
			assert.NotEqual(t, Decision{}.Message(), Decision{Reason: r}.Message(), s)
		}
	}
	assert.Equal(t, "invalid", numReasons.String())
	assert.Equal(t, "not_in_groups", ReasonNotInGroups.String())
	assert.Equal(t, "login_required", LoginRequired.String())
	assert.Equal(t, "invalid", Outcome(9).String())
}

func TestJoinList(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"A"}, "A"},
		{[]string{"A", "B"}, "A or B"},
		{[]string{"A", "B", "C"}, "A, B or C"},
		{[]string{"A", "B", "C", "D", "E"}, "A, B, C, D or E"},
		{[]string{"A", "B", "C", "D", "E", "F"}, "A, B, C, D, E or 1 others"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(len(tt.in)), func(t *testing.T) {
			assert.Equal(t, tt.want, joinList(tt.in, "or"))
		})
	}
}

func BenchmarkEvaluate(b *testing.B) {
	l, s, p, pg := fixture()
	p.Groups = []string{"g1", "g2", "g3", "g4", "g5", "g6", "g7", "Auditors"}
	b.ReportAllocs()
	for b.Loop() {
		d := Evaluate(&l, &s, &p, pg, t0)
		if !d.Allowed() {
			b.Fatal(d.Reason)
		}
	}
}

func BenchmarkEvaluateDeny(b *testing.B) {
	l, s, p, pg := fixture()
	p.Groups = []string{"Engineering"}
	b.ReportAllocs()
	for b.Loop() {
		d := Evaluate(&l, &s, &p, pg, t0)
		if d.Reason != ReasonNotInGroups {
			b.Fatal(d.Reason)
		}
	}
}

func TestEvaluateAllocations(t *testing.T) {
	l, s, p, pg := fixture()
	allocs := testing.AllocsPerRun(100, func() {
		if !Evaluate(&l, &s, &p, pg, t0).Allowed() {
			t.Fatal("fixture must be allowed")
		}
	})
	assert.Zero(t, allocs)
}
