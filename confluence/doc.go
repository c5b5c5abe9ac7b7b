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
// caller's context. Errors match [ErrNotFound], [ErrUnauthorized] or
// [ErrUnavailable], or are a [*RateLimitedError].
//
// # What a share may show
//
// A [Scope] applies Confluence's own intent to one share: only current
// pages; never a page with view restrictions on itself or an ancestor;
// never one carrying an exclusion label, or under one. Withheld pages are
// missing from child lists and breadcrumbs and answer as not found.
//
// # Caching
//
// A [Cache] in front of a Source keeps pages for a short while, collapses
// concurrent misses into one fetch, and serves the last good copy, marked
// [Page.Stale], while Confluence is down. Put it between the client and
// the Scope:
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
// page reaches an outsider's browser.
//
// # Not supported
//
// Blog posts, comments, search and the storage or ADF formats are not
// read. Confluence's space permissions are not evaluated beyond what the
// configured credentials can see: share content with an account that sees
// no more than outsiders should.
package confluence
