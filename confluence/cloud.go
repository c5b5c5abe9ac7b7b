package confluence

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

const (
	gatewayBase = "https://api.atlassian.com/ex/confluence/"
	// cloudListQuery asks v2 lists for their largest page of results.
	cloudListQuery = "?limit=250"
)

// CloudConfig configures a [Cloud] client. Exactly one way to authenticate
// must be set: Email with APIToken (Basic auth on the site URL), or
// AccessToken (Bearer, for OAuth 2.0 and scoped API tokens, through the
// api.atlassian.com gateway).
type CloudConfig struct {
	// BaseURL is the site URL, such as https://example.atlassian.net (a
	// trailing /wiki is accepted and removed), or the gateway URL
	// https://api.atlassian.com/ex/confluence/{cloudId}. Empty means the
	// gateway URL built from CloudID.
	BaseURL string

	// CloudID is the site's cloud ID, used to build the gateway URL when
	// BaseURL is empty.
	CloudID string

	// Email and APIToken are an Atlassian account's email address and API
	// token for Basic authentication.
	Email, APIToken string

	// AccessToken is an OAuth 2.0 access token or scoped API token, sent
	// as a Bearer token.
	AccessToken string

	// HTTPClient sends the requests. Nil means a client with a 30s timeout
	// (never http.DefaultClient). It is copied, and its redirect policy
	// wrapped so that credentials never follow a redirect to another
	// origin.
	HTTPClient *http.Client

	// Timeout bounds each JSON request, from sending it to reading the
	// last byte of the answer; retries get a new one. Zero means 30s.
	// Attachment downloads stream and are bounded only by HTTPClient and
	// the caller's context.
	Timeout time.Duration

	// Retry says how 429 and 503 answers are retried.
	Retry RetryConfig

	// MaxPages bounds the answers followed when listing with pagination.
	// Zero means 50.
	MaxPages int

	// MaxBodyBytes bounds one JSON answer. Zero means 16 MiB. A list
	// answer (children, attachments, labels) is bounded at 4 MiB and 1,000
	// items whatever this says, and a whole list at 10,000 items.
	MaxBodyBytes int64

	// Now is the clock, used to read Retry-After dates. Nil means
	// time.Now.
	Now func() time.Time

	// InsecureAllowHTTP allows a plain http BaseURL. It is acceptable only
	// for tests against a local fake; credentials travel in clear text.
	InsecureAllowHTTP bool
}

// Cloud reads content from Confluence Cloud through REST API v2, using v1
// only for read restrictions and attachment downloads, which v2 lacks. It
// implements [Source] and [AttachmentSource] and is safe for concurrent use.
//
// Cloud does not check the credentials when created; the first call does.
// A token lacking the permission or OAuth scope for any of the calls a
// method makes (read restrictions included) fails the method with an error
// matching [ErrUnauthorized]; a page is never reported unrestricted because
// its restrictions could not be read: an answer without the user and group
// lists marks the page restricted.
type Cloud struct {
	t        *transport
	maxPages int
	now      func() time.Time

	mu        sync.Mutex
	spaceKeys map[string]string // space ID -> key; keys change rarely
}

// NewCloud checks cfg and returns a client. It makes no request.
func NewCloud(cfg CloudConfig) (*Cloud, error) {
	base := cfg.BaseURL
	if base == "" {
		if cfg.CloudID == "" {
			return nil, errors.New("confluence: BaseURL or CloudID is required")
		}
		base = gatewayBase + url.PathEscape(cfg.CloudID)
	}
	base = strings.TrimSuffix(strings.TrimRight(base, "/"), "/wiki")

	basic := cfg.Email != "" || cfg.APIToken != ""
	switch {
	case basic && cfg.AccessToken != "":
		return nil, errors.New("confluence: set Email and APIToken, or AccessToken, not both")
	case basic && (cfg.Email == "" || cfg.APIToken == ""):
		return nil, errors.New("confluence: Basic authentication needs both Email and APIToken")
	case !basic && cfg.AccessToken == "":
		return nil, errors.New("confluence: no credentials: set Email and APIToken, or AccessToken")
	}

	t, err := newTransport(transportConfig{base: base, client: cfg.HTTPClient,
		insecureHTTP: cfg.InsecureAllowHTTP, maxBody: cfg.MaxBodyBytes, timeout: cfg.Timeout,
		retry: cfg.Retry, now: cfg.Now})
	if err != nil {
		return nil, err
	}
	auth := "Bearer " + cfg.AccessToken
	if basic {
		auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.Email+":"+cfg.APIToken))
	}
	t.authorize = func(h http.Header) { h.Set("Authorization", auth) }
	t.secrets = []string{strings.TrimPrefix(strings.TrimPrefix(auth, "Basic "), "Bearer ")}
	if basic {
		t.secrets = append(t.secrets, cfg.APIToken)
	}

	c := &Cloud{t: t, maxPages: cfg.MaxPages, now: cfg.Now, spaceKeys: map[string]string{}}
	if c.maxPages <= 0 {
		c.maxPages = defaultMaxPages
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// v2Page is a Cloud REST v2 page with body-format=view and include-labels.
type v2Page struct {
	ID       string `json:"id"`
	Status   Status `json:"status"`
	Title    string `json:"title"`
	SpaceID  string `json:"spaceId"`
	ParentID string `json:"parentId"`
	Version  struct {
		Number int `json:"number"`
	} `json:"version"`
	Body struct {
		View struct {
			Value string `json:"value"`
		} `json:"view"`
	} `json:"body"`
	Labels struct {
		Results []v2Label `json:"results"`
		Meta    struct {
			HasMore bool `json:"hasMore"`
		} `json:"meta"`
	} `json:"labels"`
}

type v2Label struct {
	Name string `json:"name"`
}

type v2Ref struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status Status `json:"status"`
}

// Page returns the page with the given ID. It makes up to four requests:
// the page with its view body and labels, its ancestors, its read
// restrictions (REST v1) and, the first time, its space.
func (c *Cloud) Page(ctx context.Context, id string) (*Page, error) {
	if err := checkPageID(id); err != nil {
		return nil, err
	}
	var p v2Page
	ref := "/wiki/api/v2/pages/" + url.PathEscape(id) + "?body-format=view&include-labels=true"
	if _, err := c.t.getJSON(ctx, ref, &p); err != nil {
		return nil, err
	}

	out := &Page{ID: p.ID, Title: p.Title, Version: p.Version.Number, Status: p.Status,
		Body: p.Body.View.Value, FetchedAt: c.now()}
	for _, l := range p.Labels.Results {
		out.Labels = append(out.Labels, l.Name)
	}
	if p.Labels.Meta.HasMore {
		all, err := collectCursor[v2Label](ctx, c.t,
			c.pagePath(id, "labels")+cloudListQuery, c.maxPages)
		if err != nil {
			return nil, err
		}
		out.Labels = out.Labels[:0]
		for _, l := range all {
			out.Labels = append(out.Labels, l.Name)
		}
	}

	// Ancestors are asked for even when the answer names no parent: a
	// restriction inherited from a parent must not go unseen because one
	// field was missing.
	var err error
	if out.Ancestors, err = c.ancestors(ctx, id); err != nil {
		return nil, err
	}
	if out.Restricted, err = c.restricted(ctx, id); err != nil {
		return nil, err
	}
	if out.SpaceKey, err = c.spaceKey(ctx, p.SpaceID); err != nil {
		return nil, err
	}
	return out, nil
}

// Space returns the space with the given key, through GET /spaces?keys=.
func (c *Cloud) Space(ctx context.Context, key string) (*Space, error) {
	var l cursorList[v2Space]
	ref := "/wiki/api/v2/spaces?keys=" + url.QueryEscape(key)
	if _, err := c.t.getJSON(ctx, ref, &l); err != nil {
		return nil, err
	}
	for _, s := range l.Results {
		if s.Key == key {
			return s.space(), nil
		}
	}
	return nil, fmt.Errorf("confluence: space %q: %w", key, ErrNotFound)
}

// Children returns the direct child pages of a page, in Confluence's order.
func (c *Cloud) Children(ctx context.Context, pageID string) ([]PageRef, error) {
	if err := checkPageID(pageID); err != nil {
		return nil, err
	}
	refs, err := collectCursor[v2Ref](ctx, c.t,
		c.pagePath(pageID, "children")+cloudListQuery, c.maxPages)
	if err != nil {
		return nil, err
	}
	out := make([]PageRef, 0, len(refs))
	for _, r := range refs {
		out = append(out, PageRef(r))
	}
	return out, nil
}

type v2Attachment struct {
	ID           string `json:"id"`
	Title        string `json:"title"`
	MediaType    string `json:"mediaType"`
	FileSize     *int64 `json:"fileSize"`
	PageID       string `json:"pageId"`
	DownloadLink string `json:"downloadLink"`
	Version      struct {
		Number int `json:"number"`
	} `json:"version"`
}

// Attachments lists the current attachments of a page.
func (c *Cloud) Attachments(ctx context.Context, pageID string) ([]Attachment, error) {
	if err := checkPageID(pageID); err != nil {
		return nil, err
	}
	raw, err := collectCursor[v2Attachment](ctx, c.t,
		c.pagePath(pageID, "attachments")+cloudListQuery, c.maxPages)
	if err != nil {
		return nil, err
	}
	out := make([]Attachment, 0, len(raw))
	for _, a := range raw {
		size := int64(-1)
		if a.FileSize != nil {
			size = *a.FileSize
		}
		download := ""
		if strings.HasPrefix(a.DownloadLink, "/") {
			// Without a link there is nothing to download: "/wiki" alone
			// would be the site's home page, streamed as the attachment.
			download = "/wiki" + a.DownloadLink
		}
		out = append(out, Attachment{ID: a.ID, PageID: pageID, Title: a.Title,
			MediaType: a.MediaType, SafeInline: InlineSafe(a.MediaType), Size: size,
			Version:  a.Version.Number,
			download: download})
	}
	return out, nil
}

// OpenAttachment streams an attachment of pageID. It lists the page's
// attachments first, so an attachment of another page is never served.
func (c *Cloud) OpenAttachment(ctx context.Context, pageID, attachmentID string) (
	*AttachmentBody, error) {
	if err := checkAttachmentID(attachmentID); err != nil {
		return nil, err
	}
	atts, err := c.Attachments(ctx, pageID)
	if err != nil {
		return nil, err
	}
	return openAttachment(ctx, c.t, atts, pageID, attachmentID)
}

type v2Space struct {
	ID         string `json:"id"`
	Key        string `json:"key"`
	Name       string `json:"name"`
	HomepageID string `json:"homepageId"`
}

func (s v2Space) space() *Space {
	return &Space{ID: s.ID, Key: s.Key, Name: s.Name, HomePageID: s.HomepageID}
}

// ancestors lists a page's ancestors, top first, as v2 returns them.
func (c *Cloud) ancestors(ctx context.Context, id string) ([]PageRef, error) {
	refs, err := collectCursor[v2Ref](ctx, c.t,
		c.pagePath(id, "ancestors")+cloudListQuery, c.maxPages)
	if err != nil {
		return nil, err
	}
	out := make([]PageRef, 0, len(refs))
	for _, r := range refs {
		out = append(out, PageRef(r))
	}
	return out, nil
}

// v1Restriction is a REST v1 restriction for one operation.
type v1Restriction struct {
	Restrictions *struct {
		User  *v1Count `json:"user"`
		Group *v1Count `json:"group"`
	} `json:"restrictions"`
}

// v1Count is one list of a restriction. Results is nil when the answer
// did not include the list (not expanded, or not sent at all).
type v1Count struct {
	Results *[]json.RawMessage `json:"results"`
	Size    int                `json:"size"`
}

// unreadable reports whether the list was missing from the answer.
func (c *v1Count) unreadable() bool { return c == nil || c.Results == nil }

// restricted reports whether the answer restricts reading. An answer
// that lacks either list (a restriction resource without its expansions,
// an empty object, a proxy answering in Confluence's place) counts as
// restricted: restrictions that cannot be read fail closed.
func (r v1Restriction) restricted() bool {
	if r.Restrictions == nil {
		return true
	}
	u, g := r.Restrictions.User, r.Restrictions.Group
	if u.unreadable() || g.unreadable() {
		return true
	}
	return u.Size > 0 || g.Size > 0 || len(*u.Results) > 0 || len(*g.Results) > 0
}

// restricted reports whether the page itself has read restrictions, through
// REST v1 (v2 has no restrictions endpoint).
func (c *Cloud) restricted(ctx context.Context, id string) (bool, error) {
	var r v1Restriction
	ref := "/wiki/rest/api/content/" + url.PathEscape(id) +
		"/restriction/byOperation/read?expand=restrictions.user,restrictions.group"
	if _, err := c.t.getJSON(ctx, ref, &r); err != nil {
		return false, err
	}
	return r.restricted(), nil
}

// spaceKey maps a space ID to its key, remembering the answer.
func (c *Cloud) spaceKey(ctx context.Context, spaceID string) (string, error) {
	if spaceID == "" {
		return "", nil
	}
	c.mu.Lock()
	key, ok := c.spaceKeys[spaceID]
	c.mu.Unlock()
	if ok {
		return key, nil
	}

	var s v2Space
	if _, err := c.t.getJSON(ctx, "/wiki/api/v2/spaces/"+url.PathEscape(spaceID), &s); err != nil {
		return "", err
	}
	c.mu.Lock()
	c.spaceKeys[spaceID] = s.Key
	c.mu.Unlock()
	return s.Key, nil
}

func (c *Cloud) pagePath(id, sub string) string {
	return "/wiki/api/v2/pages/" + url.PathEscape(id) + "/" + sub
}

// openAttachment finds attachmentID among atts and streams it.
func openAttachment(ctx context.Context, t *transport, atts []Attachment,
	pageID, attachmentID string) (*AttachmentBody, error) {
	for _, a := range atts {
		if a.ID != attachmentID {
			continue
		}
		if a.download == "" {
			break
		}
		resp, err := t.get(ctx, a.download, "*/*", 0)
		if err != nil {
			return nil, err
		}
		ct := resp.Header.Get("Content-Type")
		if ct == "" {
			ct = a.MediaType
		}
		ct, inline := downloadType(ct)
		return &AttachmentBody{Body: resp.Body, ContentType: ct, SafeInline: inline,
			Size: resp.ContentLength}, nil
	}
	return nil, fmt.Errorf("confluence: attachment %q of page %q: %w",
		attachmentID, pageID, ErrNotFound)
}
