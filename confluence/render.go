package confluence

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
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

// Links maps Confluence targets in one page to URLs of one share. A nil
// func, or one answering false, means the target is not shared.
type Links struct {
	// Page returns the share URL of a page, given its numeric ID, or
	// false when the page is outside the share; the link then becomes
	// plain text. Callers typically ask a [Scope].
	Page func(pageID string) (string, bool)

	// Attachment returns the share URL that serves an attachment of a
	// page, or false to drop it (an image then becomes its alt text).
	// attachmentID may be empty when Confluence's markup names only the
	// file; fileName is decoded and must be escaped by the caller.
	Attachment func(pageID, attachmentID, fileName string) (string, bool)
}

// RenderConfig configures a [Renderer]. The zero value is usable.
type RenderConfig struct {
	// SiteURLs are the URLs the Confluence site is reached at, such as
	// https://example.atlassian.net/wiki or
	// https://confluence.example.com. Absolute links to their hosts are
	// treated like relative links: as Confluence-internal, so they are
	// either rewritten into the share or turned into plain text, and never
	// left pointing at Confluence.
	SiteURLs []string

	// MaxBytes bounds the HTML accepted. Zero means 8 MiB.
	MaxBytes int

	// AllowExternalImages keeps images hosted outside Confluence. By
	// default they become their alt text, because loading them tells the
	// image's host the outsider's address and what they are reading.
	AllowExternalImages bool
}

// Renderer turns the view HTML of a Confluence page into HTML that is safe
// to show an outsider. It is safe for concurrent use; build one and reuse
// it.
//
// Rendering has two steps. First, links are rewritten: links to pages in
// the share go to the share, links to other Confluence pages become plain
// text, attachments and images of shared pages are served through the
// share (never hot-linked, not even Cloud images that point at Atlassian's
// media service with a token), other Confluence-internal links and images
// are removed (keeping their text), external links get rel="noopener noreferrer nofollow", and
// external images are dropped unless [RenderConfig.AllowExternalImages].
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
type Renderer struct {
	policy         *bluemonday.Policy
	hosts          map[string]bool
	maxBytes       int
	externalImages bool
}

// NewRenderer builds the sanitising policy and returns a Renderer.
func NewRenderer(cfg RenderConfig) (*Renderer, error) {
	r := &Renderer{policy: confluencePolicy(), hosts: map[string]bool{}, maxBytes: cfg.MaxBytes,
		externalImages: cfg.AllowExternalImages}
	if r.maxBytes <= 0 {
		r.maxBytes = defaultMaxRenderBytes
	}
	for _, s := range cfg.SiteURLs {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("confluence: SiteURLs: %q is not an absolute URL", s)
		}
		r.hosts[strings.ToLower(u.Host)] = true
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

// rewrite walks the tree below n and rewrites links and images.
func (r *Renderer) rewrite(n *html.Node, links Links) {
	for c := n.FirstChild; c != nil; {
		prev, next := c.PrevSibling, c.NextSibling
		if c.Type == html.ElementNode {
			switch c.DataAtom {
			case atom.A:
				r.rewriteLink(c, links)
			case atom.Img:
				r.rewriteImage(c, links)
			}
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
		r.rewrite(c, links)
		c = next
	}
}

// rewriteLink points an <a> into the share, keeps it as an external link,
// or unwraps it into its text.
func (r *Renderer) rewriteLink(a *html.Node, links Links) {
	href, ok := attr(a, "href")
	if !ok {
		return
	}
	delAttr(a, "target")
	if strings.HasPrefix(strings.TrimSpace(href), "#") {
		return
	}

	t, ok := r.classify(a, href)
	switch {
	case !ok:
		unwrap(a)
	case t.external:
		setAttr(a, "rel", externalRel)
	case t.pageID != "" && links.Page != nil:
		if u, ok := links.Page(t.pageID); ok {
			setAttr(a, "href", u)
			delAttr(a, "rel")
			return
		}
		unwrap(a)
	case t.attPageID != "" && links.Attachment != nil:
		if u, ok := links.Attachment(t.attPageID, t.attID, t.fileName); ok {
			setAttr(a, "href", u)
			delAttr(a, "rel")
			return
		}
		unwrap(a)
	default:
		unwrap(a)
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
	pageID    string
	attPageID string
	attID     string
	fileName  string
}

// classify works out what ref on n points at, from Confluence's
// data-linked-resource-* attributes and the URL. It reports false for
// unusable references: unparseable, unsafe schemes, and Confluence-internal
// targets that are neither a page nor an attachment.
func (r *Renderer) classify(n *html.Node, ref string) (target, bool) {
	ref = strings.TrimSpace(ref)
	u, err := url.Parse(ref)
	if ref == "" || err != nil {
		return target{}, false
	}
	kind, _ := attr(n, "data-linked-resource-type")
	m := downloadPathRe.FindStringSubmatch(u.Path)

	// An attachment or embedded image of a page, wherever Confluence
	// serves it from (Cloud images may point at its media service).
	if kind == "attachment" || (m != nil && r.internal(u)) {
		return r.attachment(n, kind, m)
	}
	if !r.internal(u) {
		s := strings.ToLower(u.Scheme)
		return target{external: true}, s == "http" || s == "https" || s == "mailto"
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

// internal reports whether u points into Confluence: relative, on a
// configured site host, or on Atlassian's media service.
func (r *Renderer) internal(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	return (u.Scheme == "" && u.Host == "") || r.hosts[strings.ToLower(u.Host)] ||
		host == "media.atlassian.com" || strings.HasSuffix(host, ".media.atlassian.com")
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
