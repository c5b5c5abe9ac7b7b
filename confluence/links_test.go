package confluence_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/secureshare/secureshare/confluence"
)

// TestRenderLinkForms covers the link and image forms Cloud and Data
// Center produce, one at a time.
func TestRenderLinkForms(t *testing.T) {
	r, err := confluence.NewRenderer(confluence.RenderConfig{SiteURLs: []string{
		"https://example.atlassian.net/wiki", "https://confluence.example.com/confluence"}})
	require.NoError(t, err)

	tests := []struct {
		name string
		in   string
		want string
	}{
		{"cloud page path", `<a href="/wiki/spaces/ENG/pages/5/Install">x</a>`,
			`<a href="/s/tok/pages/5">x</a>`},
		{"cloud page path without title", `<a href="/wiki/spaces/ENG/pages/5">x</a>`,
			`<a href="/s/tok/pages/5">x</a>`},
		{"cloud page with anchor", `<a href="/wiki/spaces/ENG/pages/5/Install#Steps">x</a>`,
			`<a href="/s/tok/pages/5">x</a>`},
		{"data center viewpage", `<a href="/confluence/pages/viewpage.action?pageId=2">x</a>`,
			`<a href="/s/tok/pages/2">x</a>`},
		{"data center display link with resource id",
			`<a href="/display/ENG/Guide" data-linked-resource-id="2" ` +
				`data-linked-resource-type="page">x</a>`, `<a href="/s/tok/pages/2">x</a>`},
		{"data center display link without id", `<a href="/display/ENG/Guide">x</a>`, `x`},
		{"tiny link", `<a href="/wiki/x/AQBfAg">x</a>`, `x`},
		{"absolute on the data center host",
			`<a href="https://confluence.example.com/confluence/pages/viewpage.action?pageId=5">x</a>`,
			`<a href="/s/tok/pages/5">x</a>`},
		{"absolute on the site, host in capitals",
			`<a href="https://EXAMPLE.atlassian.net/wiki/spaces/ENG/pages/1">x</a>`,
			`<a href="/s/tok/pages/1">x</a>`},
		{"page out of scope", `<a href="/wiki/spaces/ENG/pages/3/Payroll">Payroll</a>`,
			`Payroll`},
		{"non-numeric page id", `<a href="/wiki/spaces/ENG/pages/abc/x">x</a>`, `x`},
		{"space overview", `<a href="/wiki/spaces/ENG/overview">ENG</a>`, `ENG`},
		{"user profile", `<a href="/wiki/people/557058:abc">@A</a>`, `@A`},
		{"attachment by path", `<a href="/wiki/download/attachments/2/report%20v2.pdf?api=v2">r</a>`,
			`<a href="/s/tok/files/2/report%20v2.pdf">r</a>`},
		{"attachment with resource ids",
			`<a href="/download/attachments/2/a.pdf" data-linked-resource-id="att77" ` +
				`data-linked-resource-type="attachment" data-linked-resource-container-id="2">a</a>`,
			`<a href="/s/tok/files/2/a.pdf?id=att77">a</a>`},
		{"cloud media image",
			`<img src="https://api.media.atlassian.com/file/6c1e/image?token=secret&client=c" ` +
				`alt="diagram" data-linked-resource-id="att88" data-linked-resource-type="attachment" ` +
				`data-linked-resource-container-id="5" ` +
				`data-linked-resource-default-alias="diagram.png">`,
			`<img src="/s/tok/files/5/diagram.png?id=att88" alt="diagram"/>`},
		{"cloud media image without resource attributes",
			`<img src="https://api.media.atlassian.com/file/6c1e/image?token=secret" alt="d">`,
			`d`},
		{"attachment on another host than the site, typed",
			`<a href="https://elsewhere.example/download/attachments/2/a.pdf" ` +
				`data-linked-resource-type="attachment">a</a>`,
			`<a href="/s/tok/files/2/a.pdf">a</a>`},
		{"download path on a foreign host is external",
			`<a href="https://elsewhere.example/download/attachments/2/a.pdf">a</a>`,
			`<a href="https://elsewhere.example/download/attachments/2/a.pdf" ` +
				`rel="noopener noreferrer nofollow">a</a>`},
		{"attachment of an out-of-scope page",
			`<a href="/download/attachments/3/salaries.xlsx">s</a>`, `s`},
		{"thumbnail image", `<img src="/download/thumbnails/5/shot.png" alt="Shot">`,
			`<img src="/s/tok/files/5/shot.png" alt="Shot"/>`},
		{"image without src", `<p><img alt="Nothing"></p>`, `<p>Nothing</p>`},
		{"image without alt out of scope", `<p>a<img src="/download/attachments/3/x.png">b</p>`,
			`<p>ab</p>`},
		{"emoticon", `<img class="emoticon" src="/wiki/images/icons/emoticons/smile.svg" alt=":)">`,
			`:)`},
		{"external https", `<a href="https://go.dev">Go</a>`,
			`<a href="https://go.dev" rel="noopener noreferrer nofollow">Go</a>`},
		{"external with its own rel and target",
			`<a href="https://go.dev" rel="opener author" target="_self">Go</a>`,
			`<a href="https://go.dev" rel="noopener noreferrer nofollow">Go</a>`},
		{"mailto", `<a href="mailto:a@example.com">mail</a>`,
			`<a href="mailto:a@example.com" rel="noopener noreferrer nofollow">mail</a>`},
		{"ftp", `<a href="ftp://files.example.com/x">f</a>`, `f`},
		{"protocol relative", `<a href="//cdn.example.com/x">c</a>`, `c`},
		{"fragment", `<a href="#top">top</a>`, `<a href="#top">top</a>`},
		{"named anchor", `<a name="here"></a>text`, `text`},
		{"link around an in-scope image, link out of scope",
			`<a href="/wiki/spaces/ENG/pages/3"><img src="/download/attachments/2/i.png" alt="i"></a>`,
			`<img src="/s/tok/files/2/i.png" alt="i"/>`},
		{"out-of-scope link around in-scope link text",
			`<p><a href="/wiki/spaces/ENG/pages/3"><b>bold</b> and <i>it</i></a></p>`,
			`<p><b>bold</b> and <i>it</i></p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.Render(tt.in, shareLinks())
			require.NoError(t, err)
			assert.Equal(t, tt.want, out)
			assertSafe(t, out)
		})
	}
}

func TestRenderConfluenceMacrosSurvive(t *testing.T) {
	r := newTestRenderer(t)
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"expand macro", `<div class="expand-container"><div class="expand-control">` +
			`<span class="expand-control-text">Details</span></div><div class="expand-content">` +
			`<p>Hidden text</p></div></div>`,
			`<div class="expand-container"><div class="expand-control">` +
				`<span class="expand-control-text">Details</span></div>` +
				`<div class="expand-content"><p>Hidden text</p></div></div>`},
		{"blockquote and rule", `<blockquote><p>Quote</p></blockquote><hr/>`,
			`<blockquote><p>Quote</p></blockquote><hr/>`},
		{"headings", `<h1 id="A-One">One</h1><h4 id="A-Four">Four</h4><h6>Six</h6>`,
			`<h1 id="A-One">One</h1><h4 id="A-Four">Four</h4><h6>Six</h6>`},
		{"ordered list start", `<ol start="3"><li>three</li></ol>`,
			`<ol><li>three</li></ol>`},
		{"definition list", `<dl><dt>Term</dt><dd>Meaning</dd></dl>`,
			`<dl><dt>Term</dt><dd>Meaning</dd></dl>`},
		{"table header cells", `<table><thead><tr><th colspan="2" rowspan="1">H</th></tr>` +
			`</thead><tbody><tr><td>a</td><td>b</td></tr></tbody></table>`,
			`<table><thead><tr><th colspan="2" rowspan="1">H</th></tr></thead>` +
				`<tbody><tr><td>a</td><td>b</td></tr></tbody></table>`},
		{"inline formatting", `<p><strong>b</strong> <em>i</em> <u>u</u> <s>s</s> ` +
			`<sub>2</sub> <sup>3</sup> <code>c</code> <del>d</del> <ins>n</ins></p>`,
			`<p><strong>b</strong> <em>i</em> <u>u</u> <s>s</s> <sub>2</sub> <sup>3</sup> ` +
				`<code>c</code> <del>d</del> <ins>n</ins></p>`},
		{"id with a space is dropped", `<h2 id="a b">T</h2>`, `<h2>T</h2>`},
		{"class with punctuation is dropped", `<div class="x;y:url(z)">T</div>`,
			`<div>T</div>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.Render(tt.in, shareLinks())
			require.NoError(t, err)
			assert.Equal(t, tt.want, out)
		})
	}
}

func TestRenderIsSafeForConcurrentUse(t *testing.T) {
	r := newTestRenderer(t)
	page := confluencePage(`<a href="/wiki/spaces/ENG/pages/5">x</a>`)
	want, err := r.Render(page, shareLinks())
	require.NoError(t, err)

	done := make(chan string, 8)
	for range 8 {
		go func() {
			out, _ := r.Render(page, shareLinks())
			done <- out
		}()
	}
	for range 8 {
		assert.Equal(t, want, <-done)
	}
	assert.True(t, strings.Contains(want, `href="/s/tok/pages/5"`))
}

// TestRenderWithheldLinks: a link to a withheld page goes with its text,
// and with the list item around it, subtree included; a link outside the
// share keeps its text.
func TestRenderWithheldLinks(t *testing.T) {
	r := newTestRenderer(t)
	withheld := map[string]bool{"3": true, "7": true}
	links := confluence.Links{
		Page: func(id string) (string, confluence.PageLink) {
			switch {
			case id == "1" || id == "2" || id == "5":
				return "/s/tok/pages/" + id, confluence.PageShared
			case withheld[id]:
				return "", confluence.PageWithheld
			}
			return "", confluence.PageOutside
		},
	}
	tests := []struct{ name, in, want string }{
		{"inline", `<p>See <a href="/wiki/spaces/ENG/pages/3/Payroll">Payroll</a> now.</p>`,
			`<p>See  now.</p>`},
		{"inline, outside", `<p>See <a href="/wiki/spaces/ENG/pages/12/FAQ">FAQ</a>.</p>`,
			`<p>See FAQ.</p>`},
		{"list item", `<ul><li><a href="/wiki/spaces/ENG/pages/5">Install</a></li>` +
			`<li><a href="/wiki/spaces/ENG/pages/3">Payroll</a> (3 children)</li></ul>`,
			`<ul><li><a href="/s/tok/pages/5">Install</a></li></ul>`},
		{"page tree with a withheld branch", `<ul><li><a href="/wiki/spaces/ENG/pages/1">` +
			`Home</a><ul><li><a href="/wiki/spaces/ENG/pages/3">Payroll</a><ul><li>` +
			`<a href="/wiki/spaces/ENG/pages/7">Salaries</a></li></ul></li>` +
			`<li><a href="/wiki/spaces/ENG/pages/2">Guide</a></li></ul></li></ul>`,
			`<ul><li><a href="/s/tok/pages/1">Home</a><ul>` +
				`<li><a href="/s/tok/pages/2">Guide</a></li></ul></li></ul>`},
		{"list item with an excerpt", `<ol><li><div class="details"><a ` +
			`href="/wiki/spaces/ENG/pages/7/Salaries">Salaries</a><div class="excerpt">` +
			`Pay bands</div></div></li></ol>`, `<ol></ol>`},
		{"table cell keeps the row", `<table><tbody><tr><td><a ` +
			`href="/pages/viewpage.action?pageId=3">Payroll</a></td><td>x</td></tr></tbody>` +
			`</table>`, `<table><tbody><tr><td></td><td>x</td></tr></tbody></table>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.Render(tt.in, links)
			require.NoError(t, err)
			assert.Equal(t, tt.want, out)
		})
	}
}

// TestRenderWithoutSiteURLs: the zero RenderConfig neutralises absolute
// links that may be Confluence's and keeps other external links.
func TestRenderWithoutSiteURLs(t *testing.T) {
	r, err := confluence.NewRenderer(confluence.RenderConfig{})
	require.NoError(t, err)
	tests := []struct{ name, in, want string }{
		{"cloud site", `<a href="https://acme.atlassian.net/wiki/spaces/E/pages/5">x</a>`, `x`},
		{"cloud host, other path", `<a href="https://acme.atlassian.net/browse/E-1">x</a>`, `x`},
		{"data center display path", `<a href="https://wiki.corp.example/display/E/P">x</a>`,
			`x`},
		{"data center viewpage",
			`<a href="https://wiki.corp.example/pages/viewpage.action?pageId=5">x</a>`, `x`},
		{"tiny link", `<a href="https://wiki.corp.example/x/AbC">x</a>`, `x`},
		{"external", `<a href="https://go.dev/doc/">x</a>`,
			`<a href="https://go.dev/doc/" rel="noopener noreferrer nofollow">x</a>`},
		{"external, odd spelling", `<a href="https:\\go.dev\doc">x</a>`,
			`<a href="https://go.dev/doc" rel="noopener noreferrer nofollow">x</a>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.Render(tt.in, shareLinks())
			require.NoError(t, err)
			assert.Equal(t, tt.want, out)
		})
	}
}

// TestRenderConfluenceLinksNeverStayClickable writes links to a
// withheld page (99) and to its attachments in forms a browser resolves
// to the Confluence site but that the renderer may not recognise. Any of
// them left clickable points the outsider at Confluence, names the
// withheld page (its ID, and the title in the slug), and defeats "a link
// to a page outside it becomes plain text".
func TestRenderConfluenceLinksNeverStayClickable(t *testing.T) {
	path := "/wiki/spaces/ENG/pages/99/Layoffs+2026"
	tests := []struct{ name, href string }{
		{"plain absolute", "https://example.atlassian.net" + path},
		{"protocol relative", "//example.atlassian.net" + path},
		{"upper-case scheme and host", "HTTPS://EXAMPLE.ATLASSIAN.NET" + path},
		{"http", "http://example.atlassian.net" + path},
		{"explicit default port", "https://example.atlassian.net:443" + path},
		{"trailing dot", "https://example.atlassian.net." + path},
		{"userinfo", "https://someone@example.atlassian.net" + path},
		{"backslashes", `https:\\example.atlassian.net\wiki\spaces\ENG\pages\99\Layoffs`},
		{"slash and backslash", `https:/\example.atlassian.net` + path},
		{"protocol relative backslashes", `\\example.atlassian.net` + path},
		{"other scheme, one slash", "http:/example.atlassian.net" + path},
		{"other scheme, no slash", "http:example.atlassian.net" + path},
		{"ideographic full stop", "https://example\u3002atlassian.net" + path},
		{"fullwidth letters", "https://\uff45xample.atlassian.net" + path},
		{"tab inside the scheme", "ht\ttps://example.atlassian.net" + path},
		{"newline after the slashes", "https://\nexample.atlassian.net" + path},
		{"entity encoded", "https&#x3a;//example.atlassian.net" + path},
	}
	r := reviewRenderer(t, false)
	for _, tt := range tests {
		// Page 99 merely outside the share: the link goes, its text stays.
		t.Run(tt.name+"/outside", func(t *testing.T) {
			body := `<p>See <a href="` + tt.href + `">the plan</a>.</p>`
			out, err := r.Render(body, reviewLinksWith(confluence.PageOutside))
			require.NoError(t, err)
			assert.Empty(t, reviewConfluenceTargets(t, out), "out %s", out)
			assert.Contains(t, out, "the plan", "the text stays")
		})
		// Page 99 withheld: the link goes with its text.
		t.Run(tt.name+"/withheld", func(t *testing.T) {
			body := `<p>See <a href="` + tt.href + `">the plan</a>.</p>`
			out, err := r.Render(body, reviewLinks())
			require.NoError(t, err)
			assert.Empty(t, reviewConfluenceTargets(t, out), "out %s", out)
			assert.NotContains(t, out, "the plan", "the text goes")
			assert.Contains(t, out, "See", "the rest of the paragraph stays")
		})
	}
}

// TestRenderNeverHotLinksConfluence does the same for images, with
// external images allowed (the opt-in that keeps foreign <img>): an image
// on the Confluence site in a form the renderer does not recognise stays
// hot-linked, so the outsider's browser fetches a withheld attachment
// straight from Confluence.
func TestRenderNeverHotLinksConfluence(t *testing.T) {
	path := "/wiki/download/attachments/99/salaries.png"
	tests := []struct{ name, src string }{
		{"plain absolute", "https://example.atlassian.net" + path},
		{"explicit default port", "https://example.atlassian.net:443" + path},
		{"trailing dot", "https://example.atlassian.net." + path},
		{"backslashes", `https:\\example.atlassian.net\wiki\download\attachments\99\s.png`},
		{"other scheme, one slash", "http:/example.atlassian.net" + path},
		{"ideographic full stop", "https://example\u3002atlassian.net" + path},
		{"media service", "https://api.media.atlassian.com/file/abc/image?token=t"},
		{"media service, port", "https://api.media.atlassian.com:443/file/abc/image?token=t"},
		{"media service, backslashes", `https:\\api.media.atlassian.com\file\abc\image`},
	}
	r := reviewRenderer(t, true)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.Render(`<p><img src="`+tt.src+`" alt="chart"></p>`, reviewLinks())
			require.NoError(t, err)
			assert.Empty(t, reviewConfluenceTargets(t, out), "out %s", out)
		})
	}
}

// TestRenderExternalLinksNeverLeakReferer checks that every link
// that leaves the share, in whatever form survives, carries noreferrer
// and noopener, so that the share URL (which holds the share token) is
// never sent as Referer and the target cannot script the share's window.
func TestRenderExternalLinksNeverLeakReferer(t *testing.T) {
	hrefs := []string{
		"https://evil.example/", "HTTP://evil.example/", "https://evil.example:8443/x",
		`https:\\evil.example\x`, "http:/evil.example/x", "mailto:a@evil.example",
		"https://evil.example/#frag", "https://ok.example/?next=https://evil.example/",
	}
	r := reviewRenderer(t, true)
	for _, h := range hrefs {
		t.Run(h, func(t *testing.T) {
			body := `<p><a href="` + h + `" rel="opener referrer" target="_blank">x</a></p>`
			out, err := r.Render(body, reviewLinks())
			require.NoError(t, err)
			ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
			nodes, err := html.ParseFragment(strings.NewReader(out), ctx)
			require.NoError(t, err)
			var check func(n *html.Node)
			check = func(n *html.Node) {
				if n.DataAtom == atom.A {
					href, rel := "", ""
					for _, a := range n.Attr {
						switch a.Key {
						case "href":
							href = a.Val
						case "rel":
							rel = a.Val
						case "target":
							t.Errorf("target kept: %s", out)
						}
					}
					if href != "" && reviewBrowserHost(href) != "share.example.org" &&
						reviewScheme(href) != "mailto" {
						rels := strings.Fields(rel)
						assert.Contains(t, rels, "noreferrer", "out %s", out)
						assert.Contains(t, rels, "noopener", "out %s", out)
					}
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					check(c)
				}
			}
			for _, n := range nodes {
				check(n)
			}
		})
	}
}

// TestRenderAttachmentOfWithheldPage shows that the page an
// attachment reference names is what Links.Attachment is asked about, so
// a share that answers per page never serves a withheld page's files,
// whichever of Confluence's attributes and URL forms name it.
func TestRenderAttachmentOfWithheldPage(t *testing.T) {
	tests := []string{
		`<img src="/wiki/download/attachments/99/s.png">`,
		`<img src="/download/thumbnails/99/s.png">`,
		`<img src="https://example.atlassian.net/wiki/download/attachments/99/s.png">`,
		`<a href="/wiki/download/attachments/99/s.xlsx?api=v2">s</a>`,
		`<img src="https://api.media.atlassian.com/file/f/image?token=t" ` +
			`data-linked-resource-type="attachment" data-linked-resource-container-id="99" ` +
			`data-linked-resource-id="att9" data-linked-resource-default-alias="s.png">`,
		`<a href="/wiki/download/attachments/99/s.xlsx" data-linked-resource-type="attachment" ` +
			`data-linked-resource-container-id=" 99">s</a>`,
		`<img src="/wiki/download/attachments/0099/s.png">`,
	}
	r := reviewRenderer(t, true)
	for _, body := range tests {
		t.Run(body, func(t *testing.T) {
			var asked []string
			links := reviewLinks()
			inner := links.Attachment
			links.Attachment = func(p, a, f string) (string, bool) {
				asked = append(asked, p)
				return inner(p, a, f)
			}
			out, err := r.Render(body, links)
			require.NoError(t, err)
			assert.NotContains(t, out, "/s/tok/files/", "withheld attachment served: %s", out)
			assert.Empty(t, reviewConfluenceTargets(t, out), "out %s", out)
			for _, p := range asked {
				assert.NotEqual(t, "5", p, "asked about the wrong page")
			}
		})
	}
}

// TestRenderMacroListsNameWithheldPages: Confluence renders page-list
// macros (children display, page tree, content by label, recently updated)
// with the permissions of the account the SDK reads with, so their output
// names pages the share withholds, restricted ones included. The renderer
// turns each such link into plain text and keeps the title, which is
// exactly what the issue forbids for child lists: "child lists and
// breadcrumbs never name a withheld page". Defended means the withheld
// page's title does not reach the outsider.
func TestRenderMacroListsNameWithheldPages(t *testing.T) {
	tests := []struct{ name, body string }{
		{"children macro, data center", `<ul class='childpages-macro'>` +
			`<li><a href="/pages/viewpage.action?pageId=5">Install</a></li>` +
			`<li><a href="/pages/viewpage.action?pageId=99">Layoffs 2026</a></li></ul>`},
		{"children macro, cloud", `<div class="conf-macro output-block" ` +
			`data-macro-name="children"><ul class="childpages-macro">` +
			`<li><a href="/wiki/spaces/ENG/pages/5/Install" data-linked-resource-id="5" ` +
			`data-linked-resource-type="page">Install</a></li>` +
			`<li><a href="/wiki/spaces/ENG/pages/99/Layoffs+2026" data-linked-resource-id="99" ` +
			`data-linked-resource-type="page">Layoffs 2026</a></li></ul></div>`},
		{"content by label", `<div class="content-by-label conf-macro output-block" ` +
			`data-macro-name="contentbylabel"><ul class="content-by-label">` +
			`<li><a href="/wiki/spaces/ENG/pages/5/Install">Install</a></li><li><div>` +
			`<span class="icon aui-icon content-type-page" title="Page">Page:</span></div>` +
			`<div class="details"><a href="/wiki/spaces/ENG/pages/99/Layoffs+2026">` +
			`Layoffs 2026</a></div></li></ul></div>`},
	}
	r := reviewRenderer(t, false)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.Render(tt.body, reviewLinks())
			require.NoError(t, err)
			assert.Contains(t, out, `href="/s/tok/pages/5"`, "the shared child stays a link")
			assert.NotContains(t, out, "Layoffs", "a withheld page is named: %s", out)
		})
	}
}

// TestRenderSiteURLSpelling configures SiteURLs the ways an admin
// may copy them (with the default port, a trailing dot, capitals) and
// checks that Confluence's own absolute links are still recognised.
func TestRenderSiteURLSpelling(t *testing.T) {
	for _, site := range []string{"https://example.atlassian.net:443/wiki",
		"https://EXAMPLE.atlassian.net/wiki", "https://example.atlassian.net./wiki",
		"http://example.atlassian.net:80"} {
		t.Run(site, func(t *testing.T) {
			r, err := confluence.NewRenderer(confluence.RenderConfig{SiteURLs: []string{site}})
			if err != nil {
				return // refused at configuration: defended
			}
			out, err := r.Render(`<p><a href="https://example.atlassian.net/wiki/spaces/ENG/`+
				`pages/99/Layoffs">plan</a></p>`, reviewLinks())
			require.NoError(t, err)
			assert.Empty(t, reviewConfluenceTargets(t, out), "out %s", out)
		})
	}
}

// TestRenderZeroConfigIsSafe: RenderConfig's zero value is
// documented as usable, and STYLE.md asks that zero values be the safe
// default. Without SiteURLs every absolute link to the Confluence site
// (Cloud's smart links are absolute) is treated as external and stays
// clickable, naming withheld pages and sending outsiders to Confluence.
// Defended means NewRenderer refuses the empty list, or absolute links
// to Atlassian-hosted sites are never left pointing there.
func TestRenderZeroConfigIsSafe(t *testing.T) {
	r, err := confluence.NewRenderer(confluence.RenderConfig{})
	if err != nil {
		return // refused: defended
	}
	out, err := r.Render(`<p><a href="https://example.atlassian.net/wiki/spaces/ENG/pages/`+
		`99/Layoffs+2026" data-card-appearance="inline">plan</a> and `+
		`<a href="https://example.atlassian.net/wiki/spaces/ENG/pages/5/Install" `+
		`data-linked-resource-id="5" data-linked-resource-type="page">install</a></p>`,
		reviewLinks())
	require.NoError(t, err)
	assert.Empty(t, reviewConfluenceTargets(t, out), "out %s", out)
}
