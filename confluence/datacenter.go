package confluence

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

const (
	dcListLimit = 100
	dcExpand    = "body.view,version,space,ancestors,metadata.labels," +
		"restrictions.read.restrictions.user,restrictions.read.restrictions.group"
)

// DataCenterConfig configures a [DataCenter] client.
type DataCenterConfig struct {
	// BaseURL is the Confluence base URL including any context path, such
	// as https://confluence.example.com/confluence. Required.
	BaseURL string

	// Token is a personal access token, sent as a Bearer token. Required.
	Token string

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
	// for tests against a local fake, or a server reached over a network
	// the operator trusts completely; the token travels in clear text.
	InsecureAllowHTTP bool
}

// DataCenter reads content from Confluence Data Center (or Server) through
// REST API v1. It implements [Source] and [AttachmentSource] and is safe
// for concurrent use. A page whose answer lacks the expanded read
// restrictions (the user and group lists) is reported restricted.
type DataCenter struct {
	t        *transport
	maxPages int
	now      func() time.Time
}

// NewDataCenter checks cfg, then asks Confluence who the token belongs to
// (GET /rest/api/user/current). Data Center answers a wrong token as the
// anonymous user when anonymous access is on, and would then serve only
// public content; NewDataCenter refuses that with an error matching
// [ErrAnonymous]. A refused token gives an error matching [ErrUnauthorized].
// The check is made once: a token revoked later, on an instance with
// anonymous access, goes unnoticed until the next NewDataCenter, although
// restricted pages then answer not found and are withheld anyway.
func NewDataCenter(ctx context.Context, cfg DataCenterConfig) (*DataCenter, error) {
	if cfg.Token == "" {
		return nil, errors.New("confluence: Token is required")
	}
	t, err := newTransport(transportConfig{base: cfg.BaseURL, client: cfg.HTTPClient,
		insecureHTTP: cfg.InsecureAllowHTTP, maxBody: cfg.MaxBodyBytes, timeout: cfg.Timeout,
		retry: cfg.Retry, now: cfg.Now})
	if err != nil {
		return nil, err
	}
	auth := "Bearer " + cfg.Token
	t.authorize = func(h http.Header) { h.Set("Authorization", auth) }
	t.secrets = []string{cfg.Token}

	d := &DataCenter{t: t, maxPages: cfg.MaxPages, now: cfg.Now}
	if d.maxPages <= 0 {
		d.maxPages = defaultMaxPages
	}
	if d.now == nil {
		d.now = time.Now
	}

	var u struct {
		Type     string `json:"type"`
		Username string `json:"username"`
	}
	if _, err := t.getJSON(ctx, "/rest/api/user/current", &u); err != nil {
		return nil, fmt.Errorf("confluence: checking the token: %w", err)
	}
	if u.Type == "anonymous" || (u.Type == "" && u.Username == "") {
		return nil, ErrAnonymous
	}
	return d, nil
}

// v1Content is a REST v1 page expanded with dcExpand.
type v1Content struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status Status `json:"status"`
	Title  string `json:"title"`
	Space  struct {
		Key string `json:"key"`
	} `json:"space"`
	Version struct {
		Number int `json:"number"`
	} `json:"version"`
	Ancestors []v2Ref `json:"ancestors"`
	Body      struct {
		View struct {
			Value string `json:"value"`
		} `json:"view"`
	} `json:"body"`
	Metadata struct {
		Labels struct {
			Results []v2Label `json:"results"`
		} `json:"labels"`
	} `json:"metadata"`
	Restrictions struct {
		Read v1Restriction `json:"read"`
	} `json:"restrictions"`
}

// Page returns the page with the given ID in one request. Content that is
// not a page (a blog post, say) is reported as not found.
func (d *DataCenter) Page(ctx context.Context, id string) (*Page, error) {
	if err := checkPageID(id); err != nil {
		return nil, err
	}
	var c v1Content
	ref := "/rest/api/content/" + url.PathEscape(id) + "?expand=" + dcExpand
	if _, err := d.t.getJSON(ctx, ref, &c); err != nil {
		return nil, err
	}
	if c.Type != "page" {
		return nil, fmt.Errorf("confluence: content %q is a %q: %w", id, c.Type, ErrNotFound)
	}

	p := &Page{ID: c.ID, Title: c.Title, SpaceKey: c.Space.Key, Version: c.Version.Number,
		Status: c.Status, Restricted: c.Restrictions.Read.restricted(), Body: c.Body.View.Value,
		FetchedAt: d.now()}
	for _, a := range c.Ancestors {
		p.Ancestors = append(p.Ancestors, PageRef(a))
	}
	for _, l := range c.Metadata.Labels.Results {
		p.Labels = append(p.Labels, l.Name)
	}
	return p, nil
}

// Space returns the space with the given key and its home page.
func (d *DataCenter) Space(ctx context.Context, key string) (*Space, error) {
	var s struct {
		ID       int64  `json:"id"`
		Key      string `json:"key"`
		Name     string `json:"name"`
		Homepage struct {
			ID string `json:"id"`
		} `json:"homepage"`
	}
	ref := "/rest/api/space/" + url.PathEscape(key) + "?expand=homepage"
	if _, err := d.t.getJSON(ctx, ref, &s); err != nil {
		return nil, err
	}
	return &Space{ID: strconv.FormatInt(s.ID, 10), Key: s.Key, Name: s.Name,
		HomePageID: s.Homepage.ID}, nil
}

// Children returns the direct child pages of a page, following start/limit
// pagination.
func (d *DataCenter) Children(ctx context.Context, pageID string) ([]PageRef, error) {
	if err := checkPageID(pageID); err != nil {
		return nil, err
	}
	refs, err := collectOffset[v2Ref](ctx, d.t,
		"/rest/api/content/"+url.PathEscape(pageID)+"/child/page", url.Values{},
		dcListLimit, d.maxPages)
	if err != nil {
		return nil, err
	}
	out := make([]PageRef, 0, len(refs))
	for _, r := range refs {
		out = append(out, PageRef(r))
	}
	return out, nil
}

type v1Attachment struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Version struct {
		Number int `json:"number"`
	} `json:"version"`
	Metadata struct {
		MediaType string `json:"mediaType"`
	} `json:"metadata"`
	Extensions struct {
		MediaType string `json:"mediaType"`
		FileSize  *int64 `json:"fileSize"`
	} `json:"extensions"`
	Links struct {
		Download string `json:"download"`
	} `json:"_links"`
}

// Attachments lists the attachments of a page.
func (d *DataCenter) Attachments(ctx context.Context, pageID string) ([]Attachment, error) {
	if err := checkPageID(pageID); err != nil {
		return nil, err
	}
	raw, err := collectOffset[v1Attachment](ctx, d.t,
		"/rest/api/content/"+url.PathEscape(pageID)+"/child/attachment", url.Values{},
		dcListLimit, d.maxPages)
	if err != nil {
		return nil, err
	}
	out := make([]Attachment, 0, len(raw))
	for _, a := range raw {
		mt := a.Extensions.MediaType
		if mt == "" {
			mt = a.Metadata.MediaType
		}
		size := int64(-1)
		if a.Extensions.FileSize != nil {
			size = *a.Extensions.FileSize
		}
		out = append(out, Attachment{ID: a.ID, PageID: pageID, Title: a.Title,
			MediaType: mt, SafeInline: InlineSafe(mt), Size: size, Version: a.Version.Number, download: a.Links.Download})
	}
	return out, nil
}

// OpenAttachment streams an attachment of pageID. It lists the page's
// attachments first, so an attachment of another page is never served.
func (d *DataCenter) OpenAttachment(ctx context.Context, pageID, attachmentID string) (
	*AttachmentBody, error) {
	if err := checkAttachmentID(attachmentID); err != nil {
		return nil, err
	}
	atts, err := d.Attachments(ctx, pageID)
	if err != nil {
		return nil, err
	}
	return openAttachment(ctx, d.t, atts, pageID, attachmentID)
}
