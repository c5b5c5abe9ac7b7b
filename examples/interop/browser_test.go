package interop

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// maxSteps bounds the pages a sign-in may go through.
const maxSteps = 10

// browser is what a person's browser does for a SAML sign-in: cookies,
// redirects and forms, without JavaScript. Every page it sees is saved in
// the test's log directory.
type browser struct {
	t    *testing.T
	c    *http.Client
	logs string
	name string
	n    int
}

// page is a fetched HTML page.
type page struct {
	url    *url.URL
	status int
	body   string
}

// form is an HTML form with its successful controls' defaults.
type form struct {
	action string
	method string
	fields []field
}

// field is one form control.
type field struct {
	tag, typ, name, value string
	checked               bool
}

// credentials are what a person types into the IdP's login form. Fields
// overrides other controls of every IdP form by name (saml-idp's profile
// page, where the user's attributes are form fields).
type credentials struct {
	user, password string
	fields         map[string]string
}

// newBrowser returns a browser with an empty cookie jar; name prefixes
// the saved pages.
func newBrowser(t *testing.T, logs, name string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, logs: logs, name: name,
		c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// get fetches u, following redirects.
func (b *browser) get(u string) page {
	b.t.Helper()
	return b.do(http.NewRequest(http.MethodGet, u, nil))
}

// post posts vals to u as a form, following redirects.
func (b *browser) post(u string, vals url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(vals.Encode()))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return b.do(req, err)
}

// postSameOrigin posts vals to u as a form sent from a page of origin,
// as a browser does when a person presses a button there.
func (b *browser) postSameOrigin(u, origin string, vals url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(vals.Encode()))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
	}
	return b.do(req, err)
}

// do sends req and saves the page it ends on.
func (b *browser) do(req *http.Request, err error) page {
	b.t.Helper()
	require.NoError(b.t, err)
	req.Header.Set("User-Agent", "secureshare-interop/1.0")
	req.Header.Set("Accept", "text/html,*/*")
	resp, err := b.c.Do(req)
	require.NoError(b.t, err, "%s %s", req.Method, req.URL.Redacted())
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	require.NoError(b.t, err)
	p := page{url: resp.Request.URL, status: resp.StatusCode, body: string(body)}
	b.n++
	name := fmt.Sprintf("%s-%02d.html", b.name, b.n)
	note := fmt.Sprintf("<!-- %s %s -> HTTP %d at %s -->\n", req.Method, req.URL.Redacted(),
		p.status, p.url.Redacted())
	_ = os.WriteFile(filepath.Join(b.logs, name), []byte(note+p.body), 0o644)
	return p
}

// submit sends form f of page p with its default values and the given
// overrides.
func (b *browser) submit(p page, f form, overrides map[string]string) page {
	b.t.Helper()
	vals := f.values()
	for k, v := range overrides {
		if _, ok := vals[k]; ok {
			vals.Set(k, v)
		}
	}
	action, err := p.url.Parse(f.action)
	require.NoError(b.t, err)
	if f.method == http.MethodGet {
		action.RawQuery = vals.Encode()
		return b.get(action.String())
	}
	return b.post(action.String(), vals)
}

// errLoginFormAgain is what signIn returns when the IdP shows its login
// form again after the credentials were sent: they were refused.
var errLoginFormAgain = errors.New("the IdP showed its login form again")

// signIn goes from p, the first page of the IdP (or our auto-submit form
// to it), through the IdP's pages until its auto-submit form posts a
// SAMLResponse to acs, and returns the page that our server ends on. It
// fills the first login form it sees with cred, and submits any other form
// as a person pressing its button would.
func (b *browser) signIn(p page, cred credentials, acs string) (page, error) {
	b.t.Helper()
	filled := false
	for range maxSteps {
		forms := parseForms(p.body)
		if f, ok := formWith(forms, "SAMLResponse"); ok {
			action, err := p.url.Parse(f.action)
			require.NoError(b.t, err)
			if action.String() != acs {
				return p, fmt.Errorf("the IdP posts its response to %s, not to our ACS %s",
					action, acs)
			}
			return b.submit(p, f, nil), nil
		}
		if f, ok := loginForm(forms); ok {
			if filled {
				return p, errLoginFormAgain
			}
			filled = true
			over := map[string]string{f.userField(): cred.user, f.passwordField(): cred.password}
			for k, v := range cred.fields {
				over[k] = v
			}
			p = b.submit(p, f, over)
			continue
		}
		if len(forms) == 0 {
			return p, fmt.Errorf("page %s (HTTP %d) has no form to go on with",
				p.url.Redacted(), p.status)
		}
		over := cred.fields
		if _, ok := formWith(forms, "SAMLRequest"); ok {
			over = nil
		}
		p = b.submit(p, preferPost(forms), over)
	}
	return p, fmt.Errorf("no SAMLResponse after %d pages", maxSteps)
}

// values are the form's successful controls with their default values:
// named inputs (checked ones only for checkboxes and radios), selects,
// textareas and the first named submit button.
func (f form) values() url.Values {
	v := url.Values{}
	button := false
	for _, c := range f.fields {
		switch {
		case c.name == "":
		case c.typ == "submit" || c.typ == "image" || (c.tag == "button" && c.typ == ""):
			if !button {
				v.Set(c.name, c.value)
				button = true
			}
		case c.typ == "button" || c.typ == "reset" || c.typ == "file":
		case (c.typ == "checkbox" || c.typ == "radio") && !c.checked:
		default:
			v.Add(c.name, c.value)
		}
	}
	return v
}

// passwordField is the name of the form's password input.
func (f form) passwordField() string {
	for _, c := range f.fields {
		if c.typ == "password" {
			return c.name
		}
	}
	return ""
}

// userField is the name of the input that most likely takes the user
// name: a well-known name, or else the first text input.
func (f form) userField() string {
	first := ""
	for _, c := range f.fields {
		if c.tag != "input" || c.name == "" || (c.typ != "text" && c.typ != "email" &&
			c.typ != "") {
			continue
		}
		switch strings.ToLower(c.name) {
		case "username", "user", "login", "email", "uid", "j_username":
			return c.name
		}
		if first == "" {
			first = c.name
		}
	}
	return first
}

// formWith returns the first form with a control named name.
func formWith(forms []form, name string) (form, bool) {
	for _, f := range forms {
		for _, c := range f.fields {
			if c.name == name {
				return f, true
			}
		}
	}
	return form{}, false
}

// loginForm returns the first form with a password input.
func loginForm(forms []form) (form, bool) {
	for _, f := range forms {
		if f.passwordField() != "" {
			return f, true
		}
	}
	return form{}, false
}

// preferPost returns the first POST form, or else the first form.
func preferPost(forms []form) form {
	for _, f := range forms {
		if f.method == http.MethodPost {
			return f
		}
	}
	return forms[0]
}

// parseForms finds every form in an HTML document.
func parseForms(doc string) []form {
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		return nil
	}
	var forms []form
	var cur *form
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				forms = append(forms, form{action: attr(n, "action"),
					method: strings.ToUpper(attr(n, "method"))})
				if forms[len(forms)-1].method != http.MethodPost {
					forms[len(forms)-1].method = http.MethodGet
				}
				cur = &forms[len(forms)-1]
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
				cur = nil
				return
			case "input", "button", "select", "textarea":
				if cur != nil {
					cur.fields = append(cur.fields, control(n))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return forms
}

// control describes one form control element.
func control(n *html.Node) field {
	f := field{tag: n.Data, typ: strings.ToLower(attr(n, "type")), name: attr(n, "name"),
		value: attr(n, "value")}
	_, f.checked = attrOK(n, "checked")
	switch n.Data {
	case "button":
		if f.typ == "" {
			f.typ = "submit"
		}
	case "textarea":
		f.value = text(n)
	case "select":
		f.value = selected(n)
	}
	return f
}

// selected is the value of a select's selected option, or of its first.
func selected(n *html.Node) string {
	var first, sel *html.Node
	var walk func(*html.Node)
	walk = func(c *html.Node) {
		if c.Type == html.ElementNode && c.Data == "option" {
			if first == nil {
				first = c
			}
			if _, ok := attrOK(c, "selected"); ok && sel == nil {
				sel = c
			}
		}
		for k := c.FirstChild; k != nil; k = k.NextSibling {
			walk(k)
		}
	}
	walk(n)
	if sel == nil {
		sel = first
	}
	if sel == nil {
		return ""
	}
	if v, ok := attrOK(sel, "value"); ok {
		return v
	}
	return strings.TrimSpace(text(sel))
}

// text is the text inside n.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
		for k := c.FirstChild; k != nil; k = k.NextSibling {
			walk(k)
		}
	}
	walk(n)
	return b.String()
}

// visibleText is the text of an HTML document without scripts and
// styles, with runs of white space made one space.
func visibleText(doc string) string {
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		return doc
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(c *html.Node) {
		if c.Type == html.ElementNode && (c.Data == "script" || c.Data == "style") {
			return
		}
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
			b.WriteByte(' ')
		}
		for k := c.FirstChild; k != nil; k = k.NextSibling {
			walk(k)
		}
	}
	walk(root)
	return strings.Join(strings.Fields(b.String()), " ")
}

// attr is the value of n's attribute key, or "".
func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

// attrOK is the value of n's attribute key and whether it is present.
func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val, true
		}
	}
	return "", false
}
