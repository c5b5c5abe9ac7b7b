package share

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/secureshare/secureshare/idp"
)

// byteSource hands out fuzz bytes as small choices; it returns zeros once
// the input is used up.
type byteSource struct{ b []byte }

func (s *byteSource) next() int {
	if len(s.b) == 0 {
		return 0
	}
	v := s.b[0]
	s.b = s.b[1:]
	return int(v)
}

func (s *byteSource) bool() bool { return s.next()%2 == 1 }

func (s *byteSource) pick(from []string) string { return from[s.next()%len(from)] }

// list returns up to three picks; nil half the time.
func (s *byteSource) list(from []string) []string {
	n := max(s.next()%6-2, 0)
	var out []string
	for range n {
		out = append(out, s.pick(from))
	}
	return out
}

// Small vocabularies, so that random inputs often collide, including on
// case and on domain suffixes.
var (
	fzIDPs   = []string{"okta", "entra", "Okta", ""}
	fzGroups = []string{"A", "a", "B", ""}
	fzEmails = []string{"x@example.com", "X@EXAMPLE.com", "y@evil-example.com",
		"z@sub.example.com", "x@", "@example.com", "x@example.com@evil.com", "", "nodomain"}
	fzDomains = []string{"example.com", "evil-example.com", "EXAMPLE.COM", "", "sub.example.com"}
	fzPages   = []string{"", "1", "2", "3"}
	fzSpaces  = []string{"ENG", "OPS", ""}
	fzScopes  = []Scope{ScopePage, ScopePageTree, ScopeSpace, "", "bogus"}
)

// genInputs builds an Evaluate input from arbitrary bytes.
func genInputs(src *byteSource) (*Link, *Space, *idp.Profile, Page, time.Time) {
	now := t0
	at := func() time.Time {
		switch src.next() % 4 {
		case 0:
			return time.Time{}
		case 1:
			return now
		case 2:
			return now.Add(-time.Second)
		}
		return now.Add(time.Second)
	}
	l := &Link{Space: src.pick(fzSpaces), Scope: fzScopes[src.next()%len(fzScopes)],
		PageID: src.pick(fzPages), Expires: at(),
		Policy: Policy{IDPs: src.list(fzIDPs), Groups: src.list(fzGroups),
			Emails: src.list(fzEmails), Domains: src.list(fzDomains), Anonymous: src.bool()}}
	if src.next()%4 == 0 {
		l.Revoked = at()
	}
	s := &Space{Key: l.Space, SSOEnforced: src.bool(), IDPs: src.list(fzIDPs)}
	if src.next()%4 == 0 {
		s.Key = src.pick(fzSpaces)
	}
	if src.next()%4 == 0 {
		s.Suspended = at()
	}
	var p *idp.Profile
	if src.next()%4 != 0 {
		p = &idp.Profile{IDP: src.pick(fzIDPs), Email: src.pick(fzEmails),
			Groups: src.list(fzGroups), GroupsOverage: src.next()%4 == 0,
			GroupsCaseInsensitive: src.bool()}
	}
	pg := Page{ID: src.pick(fzPages), Space: l.Space, Ancestors: src.list(fzPages),
		Withheld: src.next()%4 == 0}
	if src.next()%4 == 0 {
		pg.Space = src.pick(fzSpaces)
	}
	if src.next()%16 == 0 {
		l = nil
	}
	if src.next()%16 == 0 {
		s = nil
	}
	return l, s, p, pg, now
}

// refAllows is a second, independently written statement of the rules:
// the viewer may read the page only if every rule passes.
func refAllows(l *Link, s *Space, p *idp.Profile, pg Page, now time.Time) bool {
	if l == nil || s == nil || s.Key != l.Space {
		return false
	}
	if !l.Revoked.IsZero() || !s.Suspended.IsZero() {
		return false
	}
	if !l.Expires.IsZero() && !l.Expires.After(now) {
		return false
	}
	pol := l.Policy
	hasRules := len(pol.IDPs)+len(pol.Groups)+len(pol.Emails)+len(pol.Domains) > 0
	if s.SSOEnforced || hasRules || !pol.Anonymous {
		if !refViewerPasses(&pol, s, p) {
			return false
		}
	}
	return refPageInScope(l, pg)
}

func refViewerPasses(pol *Policy, s *Space, p *idp.Profile) bool {
	if p == nil || p.Email == "" || p.IDP == "" {
		return false
	}
	in := func(list []string, v string) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	}
	if (len(pol.IDPs) > 0 && !in(pol.IDPs, p.IDP)) || (len(s.IDPs) > 0 && !in(s.IDPs, p.IDP)) {
		return false
	}
	if len(pol.Groups) > 0 {
		if p.GroupsOverage {
			return false
		}
		held := map[string]bool{}
		for _, g := range p.Groups {
			if p.GroupsCaseInsensitive {
				g = strings.ToLower(g)
			}
			held[g] = true
		}
		ok := false
		for _, g := range pol.Groups {
			if p.GroupsCaseInsensitive {
				g = strings.ToLower(g)
			}
			ok = ok || (g != "" && held[g])
		}
		if !ok {
			return false
		}
	}
	if len(pol.Emails) > 0 || len(pol.Domains) > 0 {
		parts := strings.Split(strings.ToLower(p.Email), "@")
		if len(parts) < 2 || parts[len(parts)-1] == "" ||
			strings.Join(parts[:len(parts)-1], "@") == "" {
			return false
		}
		domain := parts[len(parts)-1]
		ok := false
		for _, e := range pol.Emails {
			ok = ok || strings.ToLower(e) == strings.ToLower(p.Email)
		}
		for _, d := range pol.Domains {
			ok = ok || (d != "" && strings.ToLower(d) == domain)
		}
		if !ok {
			return false
		}
	}
	return true
}

func refPageInScope(l *Link, pg Page) bool {
	if pg.ID == "" || pg.Space != l.Space {
		return false
	}
	switch l.Scope {
	case ScopeSpace:
		return !pg.Withheld
	case ScopePage, ScopePageTree:
		if l.PageID == "" {
			return false
		}
		if pg.ID == l.PageID {
			return true
		}
		if l.Scope == ScopePage || pg.Withheld {
			return false
		}
		for _, a := range pg.Ancestors {
			if a == l.PageID {
				return true
			}
		}
	}
	return false
}

// checkAgainstReference fails when Evaluate and the reference disagree, in
// either direction, or when a non-Allow outcome carries ReasonAllowed.
func checkAgainstReference(t *testing.T, data []byte) {
	t.Helper()
	l, s, p, pg, now := genInputs(&byteSource{b: data})
	d := Evaluate(l, s, p, pg, now)
	want := refAllows(l, s, p, pg, now)
	if d.Allowed() != want {
		t.Fatalf("Evaluate = %s/%s, reference allows = %t\nlink %+v\nspace %+v\nprofile %+v\npage %+v",
			d.Outcome, d.Reason, want, l, s, p, pg)
	}
	if d.Allowed() != (d.Reason == ReasonAllowed) {
		t.Fatalf("outcome %s with reason %s", d.Outcome, d.Reason)
	}
	if d.Outcome == LoginRequired && p != nil {
		t.Fatalf("login required although signed in")
	}
	if d.Message() == "" {
		t.Fatalf("no message for %s", d.Reason)
	}
}

// TestEvaluateProperty runs the reference comparison on many
// pseudo-random inputs.
func TestEvaluateProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 64)
	allowed := 0
	for range 200000 {
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		checkAgainstReference(t, buf)
		l, s, p, pg, now := genInputs(&byteSource{b: buf})
		if Evaluate(l, s, p, pg, now).Allowed() {
			allowed++
		}
	}
	// The generator must reach the allow path often enough to mean
	// something.
	if allowed < 500 {
		t.Fatalf("only %d allowed inputs; the generator is too strict", allowed)
	}
	t.Logf("%d of 200000 inputs allowed", allowed)
}

// FuzzEvaluate compares Evaluate with the reference on fuzzed inputs.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte("link space profile page"))
	f.Fuzz(checkAgainstReference)
}
