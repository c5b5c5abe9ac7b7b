package confluence_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
