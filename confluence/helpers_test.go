package confluence_test

import (
	"context"
	"net/http/httptest"
	"sync"
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
