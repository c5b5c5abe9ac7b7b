package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idpChoosePage is shaped like the demo IdP's page to choose a user, as
// html/template writes it.
const idpChoosePage = `<!doctype html><html><body>
<form method="post" action="/demo-idp/login">
<input type="hidden" name="SAMLRequest" value="fZJBb&#43;Iw/x==">
<input type="hidden" name="Deflated" value="true">
<input type="hidden" name="RelayState" value="/s/tok&amp;en">
<input type="hidden" name="user" value="alice@partner.example">
<button type="submit">Alice</button>
</form>
<form method="post" action="/demo-idp/login">
<input type="hidden" name="SAMLRequest" value="fZJBb&#43;Iw/x==">
<input type="hidden" name="user" value="bob@elsewhere.example">
</form></body></html>`

func TestParseForms(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		want  []htmlForm
		field string // checked in the first form
		value string
	}{
		{"no forms", "<p>nothing</p>", nil, "", ""},
		{"the demo IdP's choice", idpChoosePage, []htmlForm{
			{action: "/demo-idp/login", values: url.Values{"SAMLRequest": {"fZJBb+Iw/x=="},
				"Deflated": {"true"}, "RelayState": {"/s/tok&en"},
				"user": {"alice@partner.example"}}},
			{action: "/demo-idp/login", values: url.Values{"SAMLRequest": {"fZJBb+Iw/x=="},
				"user": {"bob@elsewhere.example"}}},
		}, "RelayState", "/s/tok&en"},
		{"auto-submit with entities in the action", `<form id="saml-post" method="post"
			action="http://127.0.0.1:1/saml/acs?a=1&amp;b=2"><input type="hidden"
			name="SAMLResponse" value="PD94&#43;bWw="></form>`,
			[]htmlForm{{action: "http://127.0.0.1:1/saml/acs?a=1&b=2",
				values: url.Values{"SAMLResponse": {"PD94+bWw="}}}}, "SAMLResponse", "PD94+bWw="},
		{"inputs without a name or value", `<form action="/x"><input type="submit">` +
			`<input name="q"></form>`, []htmlForm{{action: "/x",
			values: url.Values{"q": {""}}}}, "q", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseForms(tt.doc)
			assert.Equal(t, tt.want, got)
			if tt.field != "" {
				require.NotEmpty(t, got)
				assert.Equal(t, tt.value, got[0].values.Get(tt.field))
			}
		})
	}
}

func TestFormFor(t *testing.T) {
	forms := parseForms(idpChoosePage)
	f, ok := formFor(forms, "user", "bob@elsewhere.example")
	require.True(t, ok)
	assert.Empty(t, f.values.Get("Deflated"))
	_, ok = formFor(forms, "user", "carol@example.com")
	assert.False(t, ok)
}

func TestLinksOn(t *testing.T) {
	base, err := url.Parse("http://127.0.0.1:8080/")
	require.NoError(t, err)
	doc := `<ul><li><a href="http://127.0.0.1:8080/s/AAA">x</a></li>
<li><a href="/s/B&amp;B">y</a></li><li><a href="/saml/metadata">md</a></li></ul>`
	assert.Equal(t, []string{"http://127.0.0.1:8080/s/AAA", "http://127.0.0.1:8080/s/B&B"},
		linksOn(base, doc))
}

func TestSourceIPs(t *testing.T) {
	tests := []struct {
		name string
		n, i int
		want string
	}{
		{"none", 0, 5, "<nil>"},
		{"first", 1000, 0, "127.1.0.1"},
		{"last of a block", 1000, 249, "127.1.0.250"},
		{"next block", 1000, 250, "127.1.1.1"},
		{"wraps", 1000, 1001, "127.1.0.2"},
		{"second octet", 100000, 62500, "127.2.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, sourceIPs{n: tt.n}.ip(tt.i).String())
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, "ok"},
		{"deadline", context.DeadlineExceeded, "err:timeout"},
		{"os deadline", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), "err:timeout"},
		{"refused", errors.New("dial tcp: connect: connection refused"), "err:refused"},
		{"reset", errors.New("read: connection reset by peer"), "err:reset"},
		{"eof", fmt.Errorf("Get: %w", io.EOF), "err:eof"},
		{"ports", errors.New("dial: cannot assign requested address"), "err:no-port"},
		{"other", errors.New("boom"), "err:other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, classify(tt.err))
		})
	}
	assert.Equal(t, "acs:503", outcomeOf(&stepError{step: "acs", outcome: "503"}))
}

func TestCountPanics(t *testing.T) {
	log := `{"level":"INFO","msg":"serving"}
{"level":"ERROR","msg":"http: panic serving 127.0.0.1:1: boom"}
fatal error: concurrent map writes
{"level":"INFO","msg":"request","path":"/s/x"}
`
	assert.Equal(t, 2, countPanics(log))
	assert.Zero(t, countPanics(""))
}

func TestSummarizeErrors(t *testing.T) {
	assert.Equal(t, "link:503=2 acs:429=1",
		summarizeErrors([]string{"link:503", "acs:429", "link:503"}))
	assert.Empty(t, summarizeErrors(nil))
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		phases  []string
	}{
		{"defaults", nil, "", []string{"views", "logins"}},
		{"all phases", []string{"-phases", "acs, mixed,views"}, "",
			[]string{"acs", "mixed", "views"}},
		{"unknown phase", []string{"-phases", "views,stress"}, `unknown phase "stress"`, nil},
		{"zero workers", []string{"-concurrency", "0"}, "must be positive", nil},
		{"zero duration", []string{"-duration", "0s"}, "-duration", nil},
		{"stray argument", []string{"views"}, `unexpected argument "views"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.phases, o.phases)
		})
	}
}

// fakeFlow is a server shaped like the demo's sign-in: a link that sends
// a new visitor to the IdP, the IdP's two pages, and an ACS that sets a
// cookie and redirects back to the link.
func fakeFlow(t *testing.T, acsStatus int) *httptest.Server {
	t.Helper()
	m := http.NewServeMux()
	m.HandleFunc("GET /s/tok", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("sid"); err == nil && c.Value == "ok" {
			fmt.Fprint(w, "<h1>Partner Programme</h1>")
			return
		}
		http.Redirect(w, r, "/demo-idp/sso?SAMLRequest=x", http.StatusFound)
	})
	m.HandleFunc("GET /demo-idp/sso", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, idpChoosePage)
	})
	m.HandleFunc("POST /demo-idp/login", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("user") != "alice@partner.example" {
			http.Error(w, "wrong user", http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, `<form id="saml-post" method="post" action="/saml/acs">`+
			`<input type="hidden" name="SAMLResponse" value="UmVzcA==">`+
			`<input type="hidden" name="RelayState" value="/s/tok"></form>`)
	})
	m.HandleFunc("POST /saml/acs", func(w http.ResponseWriter, r *http.Request) {
		if acsStatus != http.StatusSeeOther {
			http.Error(w, "no", acsStatus)
			return
		}
		if r.PostFormValue("SAMLResponse") != "UmVzcA==" {
			http.Error(w, "bad response", http.StatusBadRequest)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "ok", Path: "/"})
		http.Redirect(w, r, r.PostFormValue("RelayState"), http.StatusSeeOther)
	})
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return srv
}

func TestSignIn(t *testing.T) {
	tests := []struct {
		name      string
		acs       int
		email     string
		wantErr   string
		wantLand  bool
		wantTimed bool
	}{
		{"signs in", http.StatusSeeOther, demoEmail, "", true, true},
		{"ACS refuses", http.StatusTooManyRequests, demoEmail, "acs:429", false, true},
		{"no such user at the IdP", http.StatusSeeOther, "carol@example.com", "idp:no-form",
			false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeFlow(t, tt.acs)
			o := newOutsider(net.IPv4(127, 0, 0, 1))
			defer o.close()
			r, err := o.signIn(t.Context(), srv.URL+"/s/tok", tt.email, demoTitle)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, outcomeOf(err))
			} else {
				require.NoError(t, err)
				assert.Equal(t, http.StatusSeeOther, r.acsCode)
			}
			assert.Equal(t, tt.wantLand, strings.HasSuffix(r.landing, "/s/tok"))
			assert.Equal(t, tt.wantTimed, r.acs > 0, "the ACS post is timed")
		})
	}
}

func TestSignInNotAtIDP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	o := newOutsider(nil)
	defer o.close()
	_, err := o.signIn(t.Context(), srv.URL+"/s/tok", demoEmail, demoTitle)
	require.Error(t, err)
	assert.Equal(t, "link:503", outcomeOf(err))
}

func TestSameBrowserFrom(t *testing.T) {
	srv := fakeFlow(t, http.StatusSeeOther)
	o := newOutsider(nil)
	defer o.close()
	_, err := o.signIn(t.Context(), srv.URL+"/s/tok", demoEmail, demoTitle)
	require.NoError(t, err)

	n := o.sameBrowserFrom(net.IPv4(127, 0, 0, 1))
	defer n.close()
	p, err := get(t.Context(), n.client, srv.URL+"/s/tok")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, p.status, "the session cookie came along")
	assert.Contains(t, p.body, demoTitle)
	assert.NotSame(t, o.tr, n.tr, "its own connections")
}
