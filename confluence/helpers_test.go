package confluence_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/confluence/confluencetest"
)

// client is what both clients offer.
type client interface {
	confluence.Source
	confluence.AttachmentSource
}

// fakeSpace builds the model used across tests: space ENG with a tree
// holding restricted, inherited-restricted, labelled, draft, archived and
// trashed pages.
//
//	1 Home
//	├── 2 Guide            labels: public
//	│   ├── 5 Install
//	│   └── 6 Configure
//	├── 3 Payroll          restricted
//	│   └── 7 Salaries     (inherits the restriction)
//	├── 4 Internal notes   labels: internal-only
//	│   └── 8 Retro        (under a labelled page)
//	├── 9 Plans            draft
//	├── 10 Old design      archived
//	├── 11 Deleted         trashed
//	└── 12 FAQ
//
// Page 20 lives in another space, OPS.
func fakeSpace(t *testing.T, cfg confluencetest.Config) *confluencetest.Server {
	t.Helper()
	s := confluencetest.NewServer(cfg)
	s.AddSpace(confluencetest.Space{ID: "100", Key: "ENG", Name: "Engineering", HomePageID: "1"})
	s.AddSpace(confluencetest.Space{ID: "200", Key: "OPS", Name: "Operations", HomePageID: "20"})
	pages := []confluencetest.Page{
		{ID: "1", Title: "Home", Body: "<p>Welcome</p>"},
		{ID: "2", ParentID: "1", Title: "Guide", Labels: []string{"public"}, Version: 7,
			Body: `<p>See <a href="/wiki/spaces/ENG/pages/5/Install" data-linked-resource-id="5"` +
				` data-linked-resource-type="page">Install</a></p>`},
		{ID: "3", ParentID: "1", Title: "Payroll", Restricted: true},
		{ID: "4", ParentID: "1", Title: "Internal notes", Labels: []string{"internal-only"}},
		{ID: "5", ParentID: "2", Title: "Install"},
		{ID: "6", ParentID: "2", Title: "Configure"},
		{ID: "7", ParentID: "3", Title: "Salaries"},
		{ID: "8", ParentID: "4", Title: "Retro"},
		{ID: "9", ParentID: "1", Title: "Plans", Status: "draft"},
		{ID: "10", ParentID: "1", Title: "Old design", Status: "archived"},
		{ID: "11", ParentID: "1", Title: "Deleted", Status: "trashed"},
		{ID: "12", ParentID: "1", Title: "FAQ"},
		{ID: "20", Title: "Ops home"},
	}
	for _, p := range pages {
		if p.SpaceKey == "" {
			p.SpaceKey = "ENG"
		}
		if p.ID == "20" {
			p.SpaceKey = "OPS"
		}
		s.AddPage(p)
	}
	s.AddAttachment(confluencetest.Attachment{ID: "att501", PageID: "2", Title: "diagram.png",
		MediaType: "image/png", Data: []byte("\x89PNG fake image")})
	s.AddAttachment(confluencetest.Attachment{ID: "att502", PageID: "3", Title: "salaries.xlsx",
		MediaType: "application/vnd.ms-excel", Data: []byte("secret")})
	return s
}

// flavours returns a client of each kind against ts.
func flavours(t *testing.T, s *confluencetest.Server, ts *httptest.Server,
	retry confluence.RetryConfig) map[string]client {
	t.Helper()
	cloudBasic, err := confluence.NewCloud(confluence.CloudConfig{
		BaseURL: ts.URL + "/wiki", Email: confluencetest.DefaultEmail,
		APIToken: confluencetest.DefaultAPIToken, HTTPClient: ts.Client(), Retry: retry,
	})
	require.NoError(t, err)
	cloudGateway, err := confluence.NewCloud(confluence.CloudConfig{
		BaseURL: ts.URL + s.CloudGatewayPath(), AccessToken: confluencetest.DefaultAccessToken,
		HTTPClient: ts.Client(), Retry: retry,
	})
	require.NoError(t, err)
	dc, err := confluence.NewDataCenter(context.Background(), confluence.DataCenterConfig{
		BaseURL: ts.URL, Token: confluencetest.DefaultPAT, HTTPClient: ts.Client(), Retry: retry,
	})
	require.NoError(t, err)
	return map[string]client{"cloud basic": cloudBasic, "cloud gateway": cloudGateway,
		"data center": dc}
}

// fakeClock is a controllable clock whose Sleep advances it instead of
// waiting, and records each wait.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// ids returns the IDs of refs.
func ids(refs []confluence.PageRef) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		out = append(out, r.ID)
	}
	return out
}

// reviewClients returns a Cloud and a Data Center client against ts, with
// retries off so that injected faults answer at once.
func reviewClients(t *testing.T, ts *httptest.Server) map[string]interface {
	confluence.Source
	confluence.AttachmentSource
} {
	t.Helper()
	retry := confluence.RetryConfig{MaxAttempts: 1}
	cloud, err := confluence.NewCloud(confluence.CloudConfig{BaseURL: ts.URL,
		Email: confluencetest.DefaultEmail, APIToken: confluencetest.DefaultAPIToken,
		HTTPClient: ts.Client(), Retry: retry})
	require.NoError(t, err)
	dc, err := confluence.NewDataCenter(t.Context(), confluence.DataCenterConfig{
		BaseURL: ts.URL, Token: confluencetest.DefaultPAT, HTTPClient: ts.Client(),
		Retry: retry})
	require.NoError(t, err)
	return map[string]interface {
		confluence.Source
		confluence.AttachmentSource
	}{"cloud": cloud, "data center": dc}
}

// reviewModel is a space ENG whose tree hides withheld pages in the
// places a walk would look, and pages of OPS that reach into it.
//
//	1 Home
//	├── 2 Guide
//	│   ├── 5 Install
//	│   └── 30 Ops runbook        space OPS, but its parent is in ENG
//	├── 3 Payroll                 restricted
//	│   └── 7 Salaries
//	│       └── 40 Bonus table    deep under a restriction
//	├── 4 Internal notes          label internal-only
//	├── 10 Old design             archived
//	│   └── 13 Still current      current under an archived page
//	└── 77 Reorg
//	    └── 78 Reorg FAQ
//	20 Ops home                   space OPS
//	└── 31 Shared how-to          space ENG, but its parent is in OPS
func reviewModel(t *testing.T) (*confluencetest.Server, *httptest.Server) {
	t.Helper()
	s := confluencetest.NewServer(confluencetest.Config{})
	s.AddSpace(confluencetest.Space{ID: "100", Key: "ENG", Name: "Engineering", HomePageID: "1"})
	s.AddSpace(confluencetest.Space{ID: "200", Key: "OPS", Name: "Operations", HomePageID: "20"})
	for _, p := range []confluencetest.Page{
		{ID: "1", SpaceKey: "ENG", Title: "Home"},
		{ID: "2", SpaceKey: "ENG", ParentID: "1", Title: "Guide"},
		{ID: "5", SpaceKey: "ENG", ParentID: "2", Title: "Install"},
		{ID: "30", SpaceKey: "OPS", ParentID: "2", Title: "Ops runbook"},
		{ID: "3", SpaceKey: "ENG", ParentID: "1", Title: "Payroll", Restricted: true},
		{ID: "7", SpaceKey: "ENG", ParentID: "3", Title: "Salaries"},
		{ID: "40", SpaceKey: "ENG", ParentID: "7", Title: "Bonus table"},
		{ID: "4", SpaceKey: "ENG", ParentID: "1", Title: "Internal notes",
			Labels: []string{"internal-only"}},
		{ID: "10", SpaceKey: "ENG", ParentID: "1", Title: "Old design", Status: "archived"},
		{ID: "13", SpaceKey: "ENG", ParentID: "10", Title: "Still current"},
		{ID: "77", SpaceKey: "ENG", ParentID: "1", Title: "Reorg"},
		{ID: "78", SpaceKey: "ENG", ParentID: "77", Title: "Reorg FAQ"},
		{ID: "20", SpaceKey: "OPS", Title: "Ops home"},
		{ID: "31", SpaceKey: "ENG", ParentID: "20", Title: "Shared how-to"},
	} {
		s.AddPage(p)
	}
	s.AddAttachment(confluencetest.Attachment{ID: "att70", PageID: "3", Title: "pay.xlsx",
		MediaType: "application/vnd.ms-excel", Data: []byte("secret salaries")})
	s.AddAttachment(confluencetest.Attachment{ID: "att71", PageID: "2", Title: "guide.png",
		MediaType: "image/png", Data: []byte("png")})
	return s, confluencetest.Start(t, s)
}

// reviewCacheClock is a clock the test moves.
type reviewCacheClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *reviewCacheClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *reviewCacheClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// reviewRecorder is a server that records the Authorization header of
// every request it gets.
type reviewRecorder struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
}

func newReviewRecorder(t *testing.T, tls bool) *reviewRecorder {
	t.Helper()
	rec := &reviewRecorder{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.auths = append(rec.auths, r.Header.Get("Authorization"))
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"results":[],"_links":{}}`)
	})
	if tls {
		rec.Server = httptest.NewTLSServer(h)
	} else {
		rec.Server = httptest.NewServer(h)
	}
	t.Cleanup(rec.Close)
	return rec
}

func (r *reviewRecorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auths...)
}

// reviewServer starts a TLS server with handler h and counts requests.
func reviewServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if strings.HasSuffix(r.URL.Path, "/rest/api/user/current") {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"type":"known","username":"reader"}`)
			return
		}
		h(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

// reviewSleeper records waits without waiting.
type reviewSleeper struct {
	mu     sync.Mutex
	sleeps []time.Duration
}

func (s *reviewSleeper) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sleeps = append(s.sleeps, d)
	return nil
}

// reviewClientOpts varies the clients built by reviewAllClients.
type reviewClientOpts struct {
	client   *http.Client
	timeout  time.Duration
	maxPages int
	maxBody  int64
	retry    confluence.RetryConfig
}

type reviewClient interface {
	confluence.Source
	confluence.AttachmentSource
}

// reviewAllClients builds Cloud with Basic auth, Cloud with a Bearer token
// and Data Center against ts.
func reviewAllClients(t *testing.T, ts *httptest.Server, o reviewClientOpts) map[string]reviewClient {
	t.Helper()
	if o.client == nil {
		o.client = ts.Client()
	}
	basic, err := confluence.NewCloud(confluence.CloudConfig{BaseURL: ts.URL,
		Email: "reader@example.com", APIToken: "basic-secret", HTTPClient: o.client,
		Timeout: o.timeout, MaxPages: o.maxPages, MaxBodyBytes: o.maxBody, Retry: o.retry})
	require.NoError(t, err)
	bearer, err := confluence.NewCloud(confluence.CloudConfig{BaseURL: ts.URL,
		AccessToken: "bearer-secret", HTTPClient: o.client, Timeout: o.timeout,
		MaxPages: o.maxPages, MaxBodyBytes: o.maxBody, Retry: o.retry})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	dc, err := confluence.NewDataCenter(ctx, confluence.DataCenterConfig{BaseURL: ts.URL,
		Token: "pat-secret", HTTPClient: o.client, Timeout: o.timeout, MaxPages: o.maxPages,
		MaxBodyBytes: o.maxBody, Retry: o.retry})
	require.NoError(t, err)
	return map[string]reviewClient{"cloud basic": basic, "cloud bearer": bearer,
		"data center": dc}
}

// reviewSecrets are the credentials reviewAllClients uses, as they appear
// in an Authorization header.
var reviewSecrets = []string{
	base64.StdEncoding.EncodeToString([]byte("reader@example.com:basic-secret")),
	"bearer-secret", "pat-secret",
}

// reviewCalls runs every Source and AttachmentSource method once, each
// bounded by a guard deadline, and returns their errors by name.
func reviewCalls(t *testing.T, c reviewClient) map[string]error {
	t.Helper()
	out := map[string]error{}
	run := func(name string, f func(ctx context.Context) error) {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		out[name] = f(ctx)
	}
	run("page", func(ctx context.Context) error { _, err := c.Page(ctx, "5"); return err })
	run("space", func(ctx context.Context) error { _, err := c.Space(ctx, "ENG"); return err })
	run("children", func(ctx context.Context) error {
		_, err := c.Children(ctx, "5")
		return err
	})
	run("attachments", func(ctx context.Context) error {
		_, err := c.Attachments(ctx, "5")
		return err
	})
	run("open attachment", func(ctx context.Context) error {
		b, err := c.OpenAttachment(ctx, "5", "att1")
		if err == nil {
			_, err = io.Copy(io.Discard, b.Body)
			b.Body.Close()
		}
		return err
	})
	return out
}
