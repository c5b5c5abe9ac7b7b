package confluence

import (
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/idna"
)

const (
	defaultMaxRenderBytes = 8 << 20
	externalRel           = "noopener noreferrer nofollow"
)

var (
	pageIDRe       = regexp.MustCompile(`^[0-9]{1,20}$`)
	attachmentIDRe = regexp.MustCompile(`^(att)?[0-9]{1,20}$`)
	// /wiki/spaces/KEY/pages/123/Title, or /spaces/KEY/pages/123.
	pagePathRe = regexp.MustCompile(`/spaces/[^/]+/pages/([0-9]{1,20})(?:/|$)`)
	// /download/attachments/123/file.png, or thumbnails.
	downloadPathRe = regexp.MustCompile(`/download/(?:attachments|thumbnails)/([0-9]{1,20})/([^/]+)$`)
)

// PageLink is what a [Links] Page callback decides about a link to a
// Confluence page. The zero value, [PageWithheld], is the safe choice.
type PageLink int

// The decisions about a link to a page.
const (
	// PageWithheld removes the link together with its text, and with the
	// list item around it when there is one, so that the page is not
	// named: use it for pages the share withholds (restricted, carrying an
	// exclusion label, not current), and whenever the callback cannot
	// tell. Page-list macros (Children Display, Page Tree, Content by
	// Label, Recently Updated) render one list item per page, so a
	// withheld page vanishes from them entirely.
	PageWithheld PageLink = iota

	// PageOutside keeps the link's text and drops the link: use it for
	// pages that are not withheld but merely lie outside the share (not
	// under the shared page, in the same space). [Scope.Link] withholds
	// pages of other spaces instead.
	PageOutside

	// PageShared points the link at the URL the callback returned.
	PageShared
)

// String returns a short lowercase name.
func (l PageLink) String() string {
	switch l {
	case PageWithheld:
		return "withheld"
	case PageOutside:
		return "outside"
	case PageShared:
		return "shared"
	}
	return fmt.Sprintf("PageLink(%d)", int(l))
}

// Links maps Confluence targets in one page to URLs of one share.
type Links struct {
	// Page decides how a link to a page, given its numeric ID, renders:
	// [PageShared] with the share URL, [PageOutside] (plain text) or
	// [PageWithheld] (removed with its text). [Scope.Link] answers it.
	// Nil treats every page as withheld.
	Page func(pageID string) (string, PageLink)

	// Attachment returns the share URL that serves an attachment of a
	// page, or false to drop it (a link then becomes its text, an image
	// its alt text). Nil drops every attachment.
	// attachmentID may be empty when Confluence's markup names only the
	// file; fileName is decoded and must be escaped by the caller.
	Attachment func(pageID, attachmentID, fileName string) (string, bool)
}

// RenderConfig configures a [Renderer]. The zero value is safe but
// lossy: set SiteURLs.
type RenderConfig struct {
	// SiteURLs are the URLs the Confluence site is reached at, such as
	// https://example.atlassian.net/wiki or
	// https://confluence.example.com. Absolute links to their hosts (by
	// host name: scheme, port, case and a trailing dot do not matter) are
	// treated like relative links: as Confluence-internal, so they are
	// either rewritten into the share or turned into plain text, and never
	// left pointing at Confluence.
	//
	// Without SiteURLs the renderer cannot tell the site's absolute links
	// from external ones, so it neutralises (turns into plain text, or
	// drops, for images) every absolute link to an Atlassian Cloud host
	// (atlassian.net and its subdomains) and every absolute link whose
	// path looks like Confluence's (/wiki/, /spaces/, /pages/, /display/,
	// /download/, /rest/, /plugins/, /label/, or starting with /x/): safe,
	// but such links are never rewritten into the share, and a Data
	// Center site with other paths is not recognised.
	SiteURLs []string

	// MaxBytes bounds the HTML accepted. Zero means 8 MiB.
	MaxBytes int

	// AllowExternalImages keeps images hosted outside Confluence. By
	// default they become their alt text, because loading them tells the
	// image's host the outsider's address and what they are reading.
	// Images on the Confluence site or Atlassian's media service are never
	// kept, however their URL is spelled.
	AllowExternalImages bool

	// AllowIncludedContent keeps what the Include Page and Excerpt Include
	// macros bring in from other pages. By default the renderer replaces
	// it (every element Confluence marks with data-macro-name "include" or
	// "excerpt-include") with a sentence saying that content from another
	// page is not shown: the included page may be one the share withholds,
	// and the rendered HTML does not say which page it was. Turn it on
	// only when no shared page includes a page that must stay inside.
	AllowIncludedContent bool
}

// Renderer turns the view HTML of a Confluence page into HTML that is safe
// to show an outsider. It is safe for concurrent use; build one and reuse
// it.
//
// Rendering has two steps. First, links are rewritten: links to pages in
// the share go to the share, links to pages outside it become plain text,
// links to withheld pages are removed with their text and list item (see
// [PageLink]), attachments and images of shared pages are served through
// the share (never hot-linked, not even Cloud images that point at
// Atlassian's media service with a token), other Confluence-internal
// links and images are removed (keeping their text), external links get
// rel="noopener noreferrer nofollow" and their URL in canonical form, and
// external images are dropped unless [RenderConfig.AllowExternalImages].
// URLs are read the way browsers read them (the WHATWG URL parser):
// surrounding spaces and controls, tabs and newlines are ignored,
// backslashes count as slashes, "http:host" and "http:/host" name a
// host, and host names are mapped with IDNA (so fullwidth letters and
// the ideographic full stop match), before they are compared with the
// Confluence site.
// Second, the result is sanitised with a bluemonday policy for
// Confluence's output: headings, paragraphs, lists, task lists, tables,
// code blocks, panels (by class), images and links are kept; scripts,
// event handlers, style elements and attributes, forms, frames, embedded
// objects, SVG and MathML, and URLs other than http, https, mailto and
// relative ones are removed. The sanitiser runs last, so nothing the
// rewriting produced escapes it.
//
// Class attributes and element IDs are kept so that Confluence's CSS
// classes (panels, code, task lists) can be styled; pages that host the
// output should not select on class names or IDs that content could copy.
//
// Content that Confluence renders from another page, through the Include
// Page and Excerpt Include macros, is replaced by a sentence (see
// RenderConfig.AllowIncludedContent), as far as Confluence marks it with
// the macro's name (data-macro-name), which its view HTML does on Cloud
// and Data Center. Other macros that copy text from other pages without
// a link are not recognised and are shown as they are.
type Renderer struct {
	policy          *bluemonday.Policy
	hosts           map[string]bool
	maxBytes        int
	externalImages  bool
	includedContent bool
}

// NewRenderer builds the sanitising policy and returns a Renderer.
func NewRenderer(cfg RenderConfig) (*Renderer, error) {
	r := &Renderer{policy: confluencePolicy(), hosts: map[string]bool{}, maxBytes: cfg.MaxBytes,
		externalImages: cfg.AllowExternalImages, includedContent: cfg.AllowIncludedContent}
	if r.maxBytes <= 0 {
		r.maxBytes = defaultMaxRenderBytes
	}
	for _, s := range cfg.SiteURLs {
		u, host, ok := parseBrowserURL(s)
		if !ok || host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("confluence: SiteURLs: %q is not an absolute URL", s)
		}
		r.hosts[host] = true
	}
	return r, nil
}

// Render rewrites the links of body, the view HTML of a page, for one
// share and sanitises it. The result is an HTML fragment. Bodies larger
// than MaxBytes, or nested deeper than 512 elements (the HTML parser's
// bound), are refused with an error.
func (r *Renderer) Render(body string, links Links) (string, error) {
	if len(body) > r.maxBytes {
		return "", fmt.Errorf("confluence: page HTML is %d bytes, more than %d",
			len(body), r.maxBytes)
	}
	if !r.includedContent {
		var err error
		if body, err = withoutIncluded(body); err != nil {
			return "", fmt.Errorf("confluence: reading page HTML: %w", err)
		}
	}
	ctxNode := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(body), ctxNode)
	if err != nil {
		return "", fmt.Errorf("confluence: parsing page HTML: %w", err)
	}

	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	r.rewrite(root, links)

	var b strings.Builder
	b.Grow(len(body))
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&b, c); err != nil {
			return "", fmt.Errorf("confluence: writing page HTML: %w", err)
		}
	}
	return r.policy.Sanitize(b.String()), nil
}

// rewriter walks one page's tree and rewrites its links and images.
type rewriter struct {
	r     *Renderer
	links Links
	root  *html.Node
	cuts  int // links (and list items) removed so far
}

// rewrite rewrites the links and images below root.
func (r *Renderer) rewrite(root *html.Node, links Links) {
	w := &rewriter{r: r, links: links, root: root}
	w.walk(root)
}

// walk rewrites the subtree below n. It stops when a withheld link took
// n out of the tree with its list item.
func (w *rewriter) walk(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		prev, next := c.PrevSibling, c.NextSibling
		cuts := w.cuts
		if c.Type == html.ElementNode {
			switch c.DataAtom {
			case atom.A:
				w.rewriteLink(c)
			case atom.Img:
				w.r.rewriteImage(c, w.links)
			}
		}
		if w.cuts != cuts && w.detached(n) {
			return
		}
		if c.Parent == nil {
			// c was unwrapped or removed: go on with what took its place,
			// so that the children of an unwrapped link are rewritten too.
			next = n.FirstChild
			if prev != nil {
				next = prev.NextSibling
			}
			c = next
			continue
		}
		w.walk(c)
		if w.cuts != cuts && w.detached(n) {
			return
		}
		c = next
	}
}

// IncludedContentNotice replaces what an Include Page or Excerpt Include
// macro brought in from another page.
const IncludedContentNotice = "Content included here from another page is not shown in shared pages."

// withoutIncluded returns body with the content of every element that
// Confluence marks as an include macro's output (data-macro-name
// "include" or "excerpt-include", in any case) replaced by
// IncludedContentNotice. It works on
// the tokens in source order, before the HTML parser moves misnested
// content out of the macro's element (a <p> inside a <span>, a <div>
// inside a table), where the tree would no longer show it as included.
// An element never closed hides everything after it.
func withoutIncluded(body string) (string, error) {
	z := html.NewTokenizer(strings.NewReader(body))
	var b strings.Builder
	b.Grow(len(body))
	skip, depth := "", 0 // the tag name of the macro element skipped, and its nesting
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if err := z.Err(); err != io.EOF {
				return "", err
			}
			return b.String(), nil
		}
		raw := string(z.Raw()) // TagName and TagAttr may change what Raw returned
		if tt != html.StartTagToken && tt != html.EndTagToken && tt != html.SelfClosingTagToken {
			if skip == "" {
				b.WriteString(raw)
			}
			continue
		}
		name, hasAttr := z.TagName()
		tag := string(name)
		switch {
		case skip == "" && tt != html.EndTagToken && hasAttr && tokenIncludesPage(z):
			b.WriteString(raw)
			b.WriteString(html.EscapeString(IncludedContentNotice))
			skip, depth = tag, 1
		case skip == "":
			b.WriteString(raw)
		case tag != skip:
		case tt == html.EndTagToken:
			if depth--; depth == 0 {
				b.WriteString(raw)
				skip = ""
			}
		default: // an element named like the macro's, inside it
			depth++
		}
	}
}

// tokenIncludesPage reports whether the start tag z is at carries the
// data-macro-name of a macro that includes another page's content.
func tokenIncludesPage(z *html.Tokenizer) bool {
	for {
		key, val, more := z.TagAttr()
		if string(key) == "data-macro-name" {
			switch strings.ToLower(strings.TrimSpace(string(val))) {
			case "include", "excerpt-include":
				return true
			}
		}
		if !more {
			return false
		}
	}
}

// detached reports whether n is no longer below the root.
func (w *rewriter) detached(n *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == w.root {
			return false
		}
	}
	return true
}

// rewriteLink points an <a> into the share, keeps it as an external link,
// unwraps it into its text, or removes it with its list item.
func (w *rewriter) rewriteLink(a *html.Node) {
	href, ok := attr(a, "href")
	if !ok {
		return
	}
	delAttr(a, "target")
	if strings.HasPrefix(strings.TrimSpace(href), "#") {
		return
	}

	t, ok := w.r.classify(a, href)
	switch {
	case !ok:
		unwrap(a)
	case t.external:
		if t.canonical != "" {
			setAttr(a, "href", t.canonical)
		}
		setAttr(a, "rel", externalRel)
	case t.pageID != "":
		u, what := "", PageWithheld
		if w.links.Page != nil {
			u, what = w.links.Page(t.pageID)
		}
		switch {
		case what == PageShared && u != "":
			setAttr(a, "href", u)
			delAttr(a, "rel")
		case what == PageOutside || what == PageShared:
			unwrap(a)
		default:
			w.cut(a)
		}
	case t.attPageID != "" && w.links.Attachment != nil:
		if u, ok := w.links.Attachment(t.attPageID, t.attID, t.fileName); ok {
			setAttr(a, "href", u)
			delAttr(a, "rel")
			return
		}
		unwrap(a)
	default:
		unwrap(a)
	}
}

// cut removes a link to a withheld page with its text, and the nearest
// list item around it, if any.
func (w *rewriter) cut(a *html.Node) {
	w.cuts++
	gone := a
	for p := a.Parent; p != nil && p != w.root; p = p.Parent {
		if p.Type == html.ElementNode && p.DataAtom == atom.Li {
			gone = p
			break
		}
	}
	if gone.Parent != nil {
		gone.Parent.RemoveChild(gone)
	}
}

// rewriteImage serves an <img> of a shared page through the share, keeps
// an external one, or replaces it with its alt text.
func (r *Renderer) rewriteImage(img *html.Node, links Links) {
	delAttr(img, "srcset")
	src, _ := attr(img, "src")
	t, ok := r.classify(img, src)
	switch {
	case !ok:
	case t.external:
		if r.externalImages {
			return
		}
	case t.attPageID != "" && links.Attachment != nil:
		if u, ok := links.Attachment(t.attPageID, t.attID, t.fileName); ok {
			setAttr(img, "src", u)
			return
		}
	}

	alt, _ := attr(img, "alt")
	if alt != "" && img.Parent != nil {
		img.Parent.InsertBefore(&html.Node{Type: html.TextNode, Data: alt}, img)
	}
	if img.Parent != nil {
		img.Parent.RemoveChild(img)
	}
}

// target is what a link or image points at.
type target struct {
	external  bool
	canonical string // an external http(s) URL as browsers read it
	pageID    string
	attPageID string
	attID     string
	fileName  string
}

// classify works out what ref on n points at, from Confluence's
// data-linked-resource-* attributes and the URL as a browser reads it. It
// reports false for unusable references: unparseable, unsafe schemes,
// Confluence-internal targets that are neither a page nor an attachment,
// and, without SiteURLs, absolute links that may be Confluence's.
func (r *Renderer) classify(n *html.Node, ref string) (target, bool) {
	u, host, ok := parseBrowserURL(ref)
	if !ok {
		return target{}, false
	}
	kind, _ := attr(n, "data-linked-resource-type")
	internal := r.internal(u, host)
	m := downloadPathRe.FindStringSubmatch(u.Path)

	// An attachment or embedded image of a page, wherever Confluence
	// serves it from (Cloud images may point at its media service).
	if kind == "attachment" || (m != nil && internal) {
		return r.attachment(n, kind, m)
	}
	if !internal {
		return r.external(u, host)
	}

	// A page.
	resID, _ := attr(n, "data-linked-resource-id")
	id := ""
	switch {
	case kind == "page" && pageIDRe.MatchString(resID):
		id = resID
	case pagePathRe.MatchString(u.Path):
		id = pagePathRe.FindStringSubmatch(u.Path)[1]
	case strings.HasSuffix(u.Path, "/pages/viewpage.action"):
		id = u.Query().Get("pageId")
	}
	if !pageIDRe.MatchString(id) {
		return target{}, false
	}
	return target{pageID: id}, true
}

// external classifies a reference that is not Confluence-internal:
// http, https and mailto URLs are kept, protocol-relative ones and every
// other scheme are not.
func (r *Renderer) external(u *url.URL, host string) (target, bool) {
	switch u.Scheme {
	case "mailto":
		return target{external: true}, true
	case "http", "https":
		if host == "" || r.mayBeConfluence(u, host) {
			return target{}, false
		}
		return target{external: true, canonical: u.String()}, true
	}
	return target{}, false
}

// internal reports whether u, whose normalised host is host, points into
// Confluence: relative, on a configured site host, or on Atlassian's
// media service.
func (r *Renderer) internal(u *url.URL, host string) bool {
	if u.Scheme == "" && u.Host == "" {
		return true
	}
	return r.hosts[host] || host == "media.atlassian.com" ||
		strings.HasSuffix(host, ".media.atlassian.com")
}

// mayBeConfluence reports, for a renderer without SiteURLs, whether an
// absolute URL could point at the Confluence site.
func (r *Renderer) mayBeConfluence(u *url.URL, host string) bool {
	if len(r.hosts) > 0 {
		return false
	}
	if host == "atlassian.net" || strings.HasSuffix(host, ".atlassian.net") {
		return true
	}
	p := strings.ToLower(u.Path)
	if strings.HasPrefix(p, "/x/") {
		return true
	}
	for _, part := range confluencePaths {
		if strings.Contains(p, part) {
			return true
		}
	}
	return false
}

// confluencePaths are path parts that mark a URL as possibly Confluence's.
var confluencePaths = []string{"/wiki/", "/spaces/", "/pages/", "/display/", "/download/",
	"/rest/", "/plugins/", "/label/"}

// hostIDNA maps host names as browsers do (UTS #46 without the strict
// STD3 rules): fullwidth forms and ideographic full stops become ASCII.
var hostIDNA = idna.New(idna.MapForLookup(), idna.StrictDomainName(false),
	idna.Transitional(false))

// parseBrowserURL parses ref the way a browser's URL parser (WHATWG URL
// Standard) does for the schemes that matter here, and returns it with
// its host normalised for comparison: lowercase ASCII (IDNA mapped),
// without port or trailing dot; "" when it has none. Surrounding spaces
// and control characters and every tab and newline are dropped; in http,
// https and scheme-less references backslashes before the query count as
// slashes, and "http:host" or "http:/host" name a host, as they do for a
// browser on a page of another scheme. It reports false for references
// it cannot parse.
func parseBrowserURL(ref string) (*url.URL, string, bool) {
	ref = strings.TrimFunc(ref, func(c rune) bool { return c <= ' ' })
	ref = strings.Map(func(c rune) rune {
		if c == '\t' || c == '\n' || c == '\r' {
			return -1
		}
		return c
	}, ref)
	if ref == "" {
		return nil, "", false
	}

	scheme, rest := splitScheme(ref)
	if scheme == "" || scheme == "http" || scheme == "https" {
		end := strings.IndexAny(rest, "?#")
		if end < 0 {
			end = len(rest)
		}
		rest = strings.ReplaceAll(rest[:end], `\`, "/") + rest[end:]
		if scheme != "" {
			rest = "//" + strings.TrimLeft(rest, "/")
		}
	}
	if scheme != "" {
		ref = scheme + ":" + rest
	} else {
		ref = rest
	}

	u, err := url.Parse(ref)
	if err != nil {
		return nil, "", false
	}
	if u.Host == "" {
		return u, "", true
	}
	host, ok := normHost(u.Hostname())
	return u, host, ok
}

// splitScheme returns ref's scheme, lower case, and the rest after the
// colon; or "" and ref when it has none.
func splitScheme(ref string) (string, string) {
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case c == ':' && i > 0:
			return strings.ToLower(ref[:i]), ref[i+1:]
		default:
			return "", ref
		}
	}
	return "", ref
}

// normHost maps a host name the way browsers do before it is compared.
func normHost(h string) (string, bool) {
	if strings.Contains(h, ":") { // an IPv6 literal
		return strings.ToLower(h), true
	}
	a, err := hostIDNA.ToASCII(h)
	if err != nil || a == "" {
		return "", false
	}
	return strings.TrimSuffix(strings.ToLower(a), "."), true
}

// attachment builds the target of an attachment reference; m is the
// match of downloadPathRe on its URL, if any.
func (r *Renderer) attachment(n *html.Node, kind string, m []string) (target, bool) {
	t := target{}
	t.attPageID, _ = attr(n, "data-linked-resource-container-id")
	t.fileName, _ = attr(n, "data-linked-resource-default-alias")
	if m != nil {
		if t.attPageID == "" {
			t.attPageID = m[1]
		}
		if name, err := url.PathUnescape(m[2]); err == nil {
			t.fileName = name
		}
	}
	if resID, _ := attr(n, "data-linked-resource-id"); kind == "attachment" &&
		attachmentIDRe.MatchString(resID) {
		t.attID = resID
	}
	return t, pageIDRe.MatchString(t.attPageID)
}

// confluencePolicy is the sanitising policy for Confluence view HTML.
func confluencePolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardURLs() // http, https, mailto and relative URLs

	// Global attributes, each narrowly matched.
	p.AllowAttrs("dir").Matching(bluemonday.Direction).Globally()
	p.AllowAttrs("lang").Matching(regexp.MustCompile(`^[a-zA-Z]{2,8}(-[a-zA-Z0-9]{1,8})*$`)).
		Globally()
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9:_.-]{0,200}$`)).
		Globally()
	p.AllowAttrs("title").Matching(bluemonday.Paragraph).Globally()
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^[a-zA-Z0-9_ -]{0,300}$`)).Globally()

	// Text structure, code blocks, panels (div and span with classes).
	p.AllowElements("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "div", "span",
		"pre", "code", "blockquote", "b", "i", "u", "s", "em", "strong", "sub", "sup",
		"small", "mark", "del", "ins", "abbr", "cite", "kbd", "samp", "var", "tt", "strike",
		"figure", "figcaption", "section", "article", "aside", "summary", "time", "wbr")
	p.AllowAttrs("open").Matching(regexp.MustCompile(`^(|open)$`)).OnElements("details")
	p.AllowLists()
	p.AllowTables()
	p.AllowImages()

	// Links; rel is only ever the value rewriteLink sets.
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + externalRel + `$`)).OnElements("a")
	p.RequireNoFollowOnLinks(false) // AllowStandardURLs and AllowImages turn it on
	p.RequireNoFollowOnFullyQualifiedLinks(true)
	p.RequireNoReferrerOnFullyQualifiedLinks(true)
	return p
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func setAttr(n *html.Node, key, val string) {
	for i, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			n.Attr[i].Val = val
			return
		}
	}
	n.Attr = append(n.Attr, html.Attribute{Key: key, Val: val})
}

func delAttr(n *html.Node, key string) {
	out := n.Attr[:0]
	for _, a := range n.Attr {
		if a.Namespace != "" || a.Key != key {
			out = append(out, a)
		}
	}
	n.Attr = out
}

// unwrap replaces n by its children.
func unwrap(n *html.Node) {
	parent := n.Parent
	if parent == nil {
		return
	}
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		n.RemoveChild(c)
		parent.InsertBefore(c, n)
		c = next
	}
	parent.RemoveChild(n)
}
