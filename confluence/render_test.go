package confluence_test

import (
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/secureshare/secureshare/confluence"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/render")

// shareLinks is a share of pages 1, 2 and 5 under /s/tok.
func shareLinks() confluence.Links {
	inScope := map[string]bool{"1": true, "2": true, "5": true}
	return confluence.Links{
		Page: func(id string) (string, confluence.PageLink) {
			if inScope[id] {
				return "/s/tok/pages/" + id, confluence.PageShared
			}
			return "", confluence.PageOutside
		},
		Attachment: func(pageID, attID, name string) (string, bool) {
			u := "/s/tok/files/" + pageID + "/" + url.PathEscape(name)
			if attID != "" {
				u += "?id=" + attID
			}
			return u, inScope[pageID]
		},
	}
}

func newTestRenderer(t testing.TB) *confluence.Renderer {
	t.Helper()
	r, err := confluence.NewRenderer(confluence.RenderConfig{
		SiteURLs:            []string{"https://example.atlassian.net/wiki"},
		AllowExternalImages: true})
	require.NoError(t, err)
	return r
}

func TestRenderGolden(t *testing.T) {
	r := newTestRenderer(t)
	inputs, err := filepath.Glob(filepath.Join("testdata", "render", "*.html"))
	require.NoError(t, err)
	require.NotEmpty(t, inputs)

	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".html")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			require.NoError(t, err)
			out, err := r.Render(string(src), shareLinks())
			require.NoError(t, err)
			assertSafe(t, out)

			golden := strings.TrimSuffix(in, ".html") + ".golden"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(out), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to create it")
			assert.Equal(t, string(want), out)
		})
	}
}

// TestRenderKeepsContent checks, independently of the golden files, that
// ordinary Confluence content survives and links are rewritten.
func TestRenderKeepsContent(t *testing.T) {
	r := newTestRenderer(t)
	tests := []struct {
		file    string
		want    []string
		notWant []string
	}{
		{"table.html", []string{`<table class="wrapped confluenceTable">`,
			`<th class="confluenceTh">Milestone</th>`, `<td class="confluenceTd" colspan="2">`,
			`<span class="status-macro aui-lozenge aui-lozenge-success`, "Mia Krystof",
			`<h2 id="Releaseplan-Milestones">`},
			[]string{"people/557058", "target="}},
		{"code.html", []string{`<pre class="syntaxhighlighter-pre">func main() {`,
			"&amp;&amp; !errors.Is", "&lt;script&gt; stays text", "<code>go test ./...</code>",
			`<div class="code panel pdl conf-macro output-block">`},
			[]string{"style=", "data-syntaxhighlighter-params"}},
		{"panels.html", []string{"confluence-information-macro-warning",
			"<p>Never deploy on Fridays.</p>", `<div class="panelContent">`,
			"<li>Tag the release</li>", "<strong>notes</strong>"},
			[]string{"style=", "rgb("}},
		{"tasks.html", []string{`<ul class="inline-task-list">`, `<li class="checked">`,
			"Book the room", `<time class="date-past">18 Jul 2025</time>`,
			"<ul><li>list</li></ul>"}, nil},
		{"images.html", []string{
			`<img class="confluence-embedded-image image-center" alt="Architecture" width="468"` +
				` src="/s/tok/files/2/architecture.png?id=39813377"/>`,
			"Org chart", "(tick)", `src="https://upload.wikimedia.org/wikipedia/commons/logo.png"`,
			`<a href="/s/tok/files/2/slides.pdf?id=39813390">slides.pdf</a>`},
			[]string{"example.atlassian.net", "/download/attachments/3", "emoticons"}},
		{"links.html", []string{`<a href="/s/tok/pages/5">Install</a>`,
			`<a href="/s/tok/pages/5">Install (DC)</a>`, "Out of scope: Payroll.",
			`<a href="/s/tok/pages/5">Install again</a>`, "space overview",
			`<a href="https://go.dev/doc/" rel="noopener noreferrer nofollow">Go docs</a>`,
			`<a href="mailto:team@example.com" rel="noopener noreferrer nofollow">mail us</a>`,
			`<a href="#Releaseplan-Milestones">Milestones</a>`, "@Mia",
			`<a href="/s/tok/pages/2"><img src="/s/tok/files/2/icon.png" alt="Guide icon"/></a>`},
			[]string{"/pages/3", "wiki/spaces", "people", "opener\"", "target"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", "render", tt.file))
			require.NoError(t, err)
			out, err := r.Render(string(src), shareLinks())
			require.NoError(t, err)
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
			for _, w := range tt.notWant {
				assert.NotContains(t, out, w)
			}
		})
	}
}

// TestRenderNilLinksWithholdsPages: without callbacks the renderer cannot
// tell a withheld page from one outside the share, so it fails closed and
// removes page links with their text; other internal links become text.
func TestRenderNilLinksWithholdsPages(t *testing.T) {
	r := newTestRenderer(t)
	src, err := os.ReadFile(filepath.Join("testdata", "render", "links.html"))
	require.NoError(t, err)
	out, err := r.Render(string(src), confluence.Links{})
	require.NoError(t, err)
	assert.NotContains(t, out, "/pages/")
	assert.NotContains(t, out, "<img")
	assert.Contains(t, out, "In scope: .")
	assert.NotContains(t, out, "Install")
	assert.NotContains(t, out, "Payroll")
	assert.Contains(t, out, "space overview")
	assert.Contains(t, out, `href="https://go.dev/doc/"`)
}

func TestRenderDropsExternalImagesByDefault(t *testing.T) {
	r, err := confluence.NewRenderer(confluence.RenderConfig{})
	require.NoError(t, err)
	out, err := r.Render(`<p><img src="https://tracker.example/p.gif" alt="Logo"> and `+
		`<img src="https://tracker.example/q.gif"></p>`, shareLinks())
	require.NoError(t, err)
	assert.Equal(t, "<p>Logo and </p>", out)
}

// What the Include Page and Excerpt Include macros bring in from another
// page is replaced by a notice, unless the host allows it; other macros
// and the page's own text stay.
func TestRenderWithholdsIncludedContent(t *testing.T) {
	body := `<p>Own text.</p>` +
		`<div class="conf-macro output-block" data-hasbody="false" data-macro-name="include" ` +
		`data-macro-id="a1"><p>Salary bands from a restricted page.</p>` +
		`<a href="/wiki/spaces/ENG/pages/13/Payroll">Payroll</a></div>` +
		`<span class="conf-macro output-inline" data-macro-name="Excerpt-Include ">` +
		`Excerpt of the board minutes.</span>` +
		`<div class="confluence-information-macro conf-macro output-block" ` +
		`data-macro-name="tip"><p>A tip of this page.</p></div>`

	r := newTestRenderer(t)
	out, err := r.Render(body, shareLinks())
	require.NoError(t, err)
	assert.Contains(t, out, "Own text.")
	assert.Contains(t, out, "A tip of this page.")
	assert.NotContains(t, out, "Salary bands")
	assert.NotContains(t, out, "Payroll")
	assert.NotContains(t, out, "board minutes")
	assert.Equal(t, 2, strings.Count(out, confluence.IncludedContentNotice), out)

	r, err = confluence.NewRenderer(confluence.RenderConfig{AllowIncludedContent: true})
	require.NoError(t, err)
	out, err = r.Render(body, shareLinks())
	require.NoError(t, err)
	assert.Contains(t, out, "Salary bands from a restricted page.")
	assert.Contains(t, out, "Excerpt of the board minutes.")
	assert.NotContains(t, out, confluence.IncludedContentNotice)
}

// The parser moves misnested content out of an element: a <p> or a table
// inside a macro's <span>, a <div> inside a table row. What a macro
// includes stays hidden however it is nested, and an include macro never
// closed hides the rest of the page.
func TestRenderWithholdsMisnestedIncludedContent(t *testing.T) {
	r := newTestRenderer(t)
	for _, body := range []string{
		`<p>Intro <span class="conf-macro output-inline" data-macro-name="excerpt-include">` +
			`<p>SECRET para</p></span> tail</p>`,
		`<p>Intro <span data-macro-name="excerpt-include"><div>SECRET div</div></span></p>`,
		`<p>Intro <span data-macro-name="include"><table><tr><td>SECRET td</td></tr></table>` +
			`</span></p>`,
		`<table><tr><td>x</td><div data-macro-name="include"><p>SECRET foster</p></div></tr></table>`,
		`<div data-macro-name="include"><div><span>nested</span><div>SECRET deep</div></div></div>`,
		`<div data-macro-name=" INCLUDE "><p>SECRET upper</p></div>`,
		`<div data-macro-name="include"/><p>SECRET after a self-closed macro</p></div>`,
		`<div data-macro-name="include"><p>SECRET never closed</p>`,
		`<div data-macro-name="include"><script>document.write("</div>SECRET")</script></div>`,
	} {
		out, err := r.Render(body, shareLinks())
		require.NoError(t, err)
		assert.NotContains(t, out, "SECRET", body)
		assert.Contains(t, out, confluence.IncludedContentNotice, body)
	}
	// After the macro's own end tag, the page goes on.
	out, err := r.Render(`<div data-macro-name="include"><div>SECRET</div></div><p>Own text.</p>`,
		shareLinks())
	require.NoError(t, err)
	assert.Contains(t, out, "Own text.")
	assert.NotContains(t, out, "SECRET")
}

func TestRenderLimits(t *testing.T) {
	r, err := confluence.NewRenderer(confluence.RenderConfig{MaxBytes: 10})
	require.NoError(t, err)
	_, err = r.Render("<p>longer than ten bytes</p>", confluence.Links{})
	assert.Error(t, err)

	r = newTestRenderer(t)
	_, err = r.Render(strings.Repeat(`<div><a href="/wiki/x">`, 5000), shareLinks())
	assert.Error(t, err, "nesting is bounded by the HTML parser (512 open elements)")

	_, err = confluence.NewRenderer(confluence.RenderConfig{SiteURLs: []string{"/wiki"}})
	assert.Error(t, err, "site URLs must be absolute")
}

// assertSafe fails t when out holds anything unsafeParts reports.
func assertSafe(t testing.TB, out string) {
	t.Helper()
	assert.Empty(t, unsafeParts(out), "in %s", out)
}

// unsafeParts parses out and lists anything that could run script or
// restyle the host page: dangerous elements, event handlers, style, and
// URL attributes with schemes other than http, https and mailto.
func unsafeParts(out string) []string {
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(out), ctx)
	if err != nil {
		return []string{"unparseable: " + err.Error()}
	}

	forbidden := map[string]bool{"script": true, "iframe": true, "frame": true,
		"frameset": true, "object": true, "embed": true, "applet": true, "form": true,
		"input": true, "button": true, "textarea": true, "select": true, "style": true,
		"link": true, "meta": true, "base": true, "svg": true, "math": true,
		"template": true, "video": true, "audio": true, "source": true, "bgsound": true,
		"isindex": true, "noscript": true, "xss": true, "marquee": true, "body": true}
	urlAttrs := map[string]bool{"href": true, "src": true, "action": true,
		"formaction": true, "data": true, "background": true, "poster": true,
		"dynsrc": true, "lowsrc": true, "srcset": true, "cite": true, "xlink:href": true}

	var bad []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if forbidden[n.Data] {
				bad = append(bad, "element "+n.Data)
			}
			for _, a := range n.Attr {
				bad = append(bad, unsafeAttr(strings.ToLower(a.Key), a.Val, urlAttrs)...)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return bad
}

func unsafeAttr(key, val string, urlAttrs map[string]bool) []string {
	var bad []string
	if strings.HasPrefix(key, "on") || key == "style" {
		bad = append(bad, "attribute "+key)
	}
	squeezed := strings.ToLower(strings.Map(func(r rune) rune {
		if r <= ' ' {
			return -1
		}
		return r
	}, val))
	for _, s := range []string{"javascript:", "vbscript:", "data:", "expression("} {
		if strings.Contains(squeezed, s) {
			bad = append(bad, key+" holds "+s)
		}
	}
	if urlAttrs[key] {
		u, err := url.Parse(strings.TrimSpace(val))
		if err != nil {
			return append(bad, key+" unparseable")
		}
		switch strings.ToLower(u.Scheme) {
		case "", "http", "https", "mailto":
		default:
			bad = append(bad, key+" scheme "+u.Scheme)
		}
	}
	return bad
}

// TestUnsafePartsCatchesPayloads proves the checker can fail: unsanitised,
// nearly every payload is caught.
func TestUnsafePartsCatchesPayloads(t *testing.T) {
	caught := 0
	for _, p := range xssPayloads {
		if len(unsafeParts(p)) > 0 {
			caught++
		}
	}
	assert.Greater(t, caught, len(xssPayloads)*3/4)
	assert.Empty(t, unsafeParts(`<p><a href="/s/x" class="a">ok</a></p>`))
}
