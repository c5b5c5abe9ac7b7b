// Package confluence reads pages from Confluence and prepares them for
// outsiders: it fetches them, decides which ones a share may show, caches
// them, and renders their HTML safely.
//
// # Sources
//
// A [Source] returns pages, spaces and child lists; an [AttachmentSource]
// lists and streams attachments. Two clients implement both:
//
//   - [Cloud] talks to Confluence Cloud through REST API v2 (v1 only for
//     read restrictions and downloads), with Basic auth (email and API
//     token) on the site URL, or a Bearer token (OAuth 2.0 or a scoped
//     token) through https://api.atlassian.com/ex/confluence/{cloudId}.
//   - [DataCenter] talks to Confluence Data Center or Server through REST
//     API v1 with a personal access token. [NewDataCenter] refuses a token
//     that Data Center silently answers as the anonymous user.
//
// Both follow pagination (cursor links on Cloud, start and limit on Data
// Center) up to a bound, and retry answers 429 and 503 as [RetryConfig]
// says: honouring Retry-After and X-RateLimit-Reset, with exponential
// backoff and jitter, a bounded number of tries and never past the
// caller's context; a wait longer than allowed fails at once with a
// [*RateLimitedError] carrying it. Errors match [ErrNotFound],
// [ErrUnauthorized], [ErrUnavailable] (a server error, or a connection
// that failed or timed out) or [ErrBadAnswer] (an answer that is not
// JSON, too large, a list too long, or a link off the site), or are a
// [*RateLimitedError]; Confluence's own error text in them is truncated
// and cleared of anything shaped like a credential, and no URL with its
// query string is repeated in them. A link in an answer (a next page, a
// download) is followed only on the configured site, below its path: the
// request is built from the site's scheme and host, never from the link.
//
// Page IDs must be decimal digits and attachment IDs digits with an
// optional "att" prefix; anything else answers not found without a
// request, so that no caller's input becomes more than one path segment.
// Read restrictions that cannot be read (an answer without its user and
// group lists) count as restrictions: the clients fail closed.
//
// Attachments are streamed as Confluence serves them, but their
// [AttachmentBody.ContentType] is "application/octet-stream" unless the
// type is [InlineSafe] (raster images, audio, video): an HTML, SVG or XML
// attachment must never be served inline from the share's origin.
//
// # What a share may show
//
// A [Scope] applies Confluence's own intent to one share: only current
// pages; never a page with view restrictions on itself or an ancestor;
// never one carrying an exclusion label (compared case-insensitively), or
// under one; never one whose parent chain leaves the shared space.
// Withheld pages are missing from child lists and breadcrumbs and answer
// as not found; a decision that rests on a stale cached copy of the page
// or an ancestor is marked [Page.Stale].
//
// # Caching
//
// A [Cache] in front of a Source keeps pages for a short while, collapses
// concurrent misses into one fetch, remembers misses (not found,
// unauthorized) briefly so that bogus IDs do not become calls to
// Confluence, and serves the last good copy, marked [Page.Stale], while
// Confluence is down. Put it between the client and the Scope:
//
//	client, err := confluence.NewCloud(confluence.CloudConfig{
//		BaseURL: "https://example.atlassian.net", Email: email, APIToken: token,
//	})
//	cache := confluence.NewCache(client, confluence.CacheConfig{})
//	scope, err := confluence.NewScope(cache, confluence.ScopeConfig{
//		SpaceKey: "ENG", ExcludeLabels: []string{"internal-only"},
//	})
//
// # Rendering
//
// A [Renderer] rewrites a page's links for one share ([Links]) and
// sanitises the result with a bluemonday policy made for Confluence's
// output, so that no script, event handler, frame, form or style from a
// page reaches an outsider's browser. A link to a shared page points into
// the share; to a page merely outside the share, it becomes plain text;
// to a withheld page ([PageWithheld], as [Scope.Link] answers), it is
// removed with its text and its list item, so that page-list macros
// (Children Display, Page Tree, Content by Label) never name a withheld
// page. URLs are compared with the site the way browsers read them. Set
// [RenderConfig.SiteURLs]: without them, absolute links that may be
// Confluence's are neutralised rather than rewritten.
//
// # Not supported
//
// What the Include Page and Excerpt Include macros render from another
// page is replaced by [IncludedContentNotice] unless
// [RenderConfig.AllowIncludedContent] is set: the rendered HTML marks the
// macro but not the page it included, so that page cannot be checked.
// Other macros that copy another page's text without a link are not
// recognised; keep them out of shared pages, or label the including page
// for exclusion.
//
// Blog posts, comments, search and the storage or ADF formats are not
// read. Confluence's space permissions are not evaluated beyond what the
// configured credentials can see: share content with an account that sees
// no more than outsiders should.
package confluence
