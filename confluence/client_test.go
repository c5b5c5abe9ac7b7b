package confluence_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/confluence/confluencetest"
)

func TestClientsPage(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)

	for name, c := range flavours(t, s, ts, confluence.RetryConfig{}) {
		t.Run(name, func(t *testing.T) {
			p, err := c.Page(t.Context(), "5")
			require.NoError(t, err)
			assert.Equal(t, "5", p.ID)
			assert.Equal(t, "Install", p.Title)
			assert.Equal(t, "ENG", p.SpaceKey)
			assert.Equal(t, 1, p.Version)
			assert.Equal(t, confluence.StatusCurrent, p.Status)
			assert.Equal(t, []string{"1", "2"}, ids(p.Ancestors))
			assert.Equal(t, "2", p.ParentID())
			assert.False(t, p.Restricted)
			assert.False(t, p.FetchedAt.IsZero())

			p, err = c.Page(t.Context(), "2")
			require.NoError(t, err)
			assert.Equal(t, 7, p.Version)
			assert.Equal(t, []string{"public"}, p.Labels)
			assert.Contains(t, p.Body, `data-linked-resource-id="5"`)
			assert.Equal(t, []string{"1"}, ids(p.Ancestors))

			p, err = c.Page(t.Context(), "3")
			require.NoError(t, err)
			assert.True(t, p.Restricted, "page 3 carries a read restriction")

			p, err = c.Page(t.Context(), "9")
			require.NoError(t, err)
			assert.Equal(t, confluence.StatusDraft, p.Status)

			p, err = c.Page(t.Context(), "1")
			require.NoError(t, err)
			assert.Empty(t, p.Ancestors)
			assert.Empty(t, p.ParentID())
		})
	}
}

func TestClientsErrors(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)

	for name, c := range flavours(t, s, ts, confluence.RetryConfig{}) {
		t.Run(name+"/missing page", func(t *testing.T) {
			_, err := c.Page(t.Context(), "404404")
			require.ErrorIs(t, err, confluence.ErrNotFound)
			var re *confluence.ResponseError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, http.StatusNotFound, re.StatusCode)
			assert.NotEmpty(t, re.Code, "the error envelope was decoded")
		})
		t.Run(name+"/missing space", func(t *testing.T) {
			_, err := c.Space(t.Context(), "NOPE")
			assert.ErrorIs(t, err, confluence.ErrNotFound)
		})
		t.Run(name+"/attachment of another page", func(t *testing.T) {
			_, err := c.OpenAttachment(t.Context(), "2", "att502")
			assert.ErrorIs(t, err, confluence.ErrNotFound)
		})
	}
}

func TestClientsSpace(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)

	for name, c := range flavours(t, s, ts, confluence.RetryConfig{}) {
		t.Run(name, func(t *testing.T) {
			sp, err := c.Space(t.Context(), "ENG")
			require.NoError(t, err)
			assert.Equal(t, confluence.Space{ID: "100", Key: "ENG", Name: "Engineering",
				HomePageID: "1"}, *sp)
		})
	}
}

func TestClientsChildrenPaginate(t *testing.T) {
	tests := []struct {
		name string
		cfg  confluencetest.Config
	}{
		{"next in body", confluencetest.Config{PageSize: 2}},
		{"next in Link header only", confluencetest.Config{PageSize: 2, LinkHeaderOnly: true}},
	}
	for _, tt := range tests {
		s := fakeSpace(t, tt.cfg)
		ts := confluencetest.Start(t, s)
		for name, c := range flavours(t, s, ts, confluence.RetryConfig{}) {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				s.ResetRequests()
				kids, err := c.Children(t.Context(), "1")
				require.NoError(t, err)

				want := []string{"2", "3", "4", "10", "12"} // Cloud lists archived pages
				if name == "data center" {
					want = []string{"2", "3", "4", "12"}
				}
				assert.Equal(t, want, ids(kids))
				assert.Equal(t, "Guide", kids[0].Title)

				var lists int
				for _, r := range s.Requests() {
					if strings.Contains(r.Path, "child") {
						lists++
						assert.Equal(t, http.StatusOK, r.Status, r.Path+"?"+r.RawQuery)
					}
				}
				assert.Equal(t, (len(want)+1)/2, lists, "one request per page of 2")
			})
		}
	}
}

func TestClientsMaxPages(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{PageSize: 1})
	ts := confluencetest.Start(t, s)

	c, err := confluence.NewCloud(confluence.CloudConfig{BaseURL: ts.URL,
		Email: confluencetest.DefaultEmail, APIToken: confluencetest.DefaultAPIToken,
		HTTPClient: ts.Client(), MaxPages: 3})
	require.NoError(t, err)
	_, err = c.Children(t.Context(), "1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than 3 pages")
	assert.Len(t, s.Requests(), 3)
}

func TestClientsAttachments(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)

	for name, c := range flavours(t, s, ts, confluence.RetryConfig{}) {
		t.Run(name, func(t *testing.T) {
			atts, err := c.Attachments(t.Context(), "2")
			require.NoError(t, err)
			require.Len(t, atts, 1)
			assert.Equal(t, "att501", atts[0].ID)
			assert.Equal(t, "diagram.png", atts[0].Title)
			assert.Equal(t, "image/png", atts[0].MediaType)
			assert.Equal(t, int64(15), atts[0].Size)

			body, err := c.OpenAttachment(t.Context(), "2", "att501")
			require.NoError(t, err)
			defer body.Body.Close()
			data, err := io.ReadAll(body.Body)
			require.NoError(t, err)
			assert.Equal(t, "\x89PNG fake image", string(data))
			assert.Equal(t, "image/png", body.ContentType)
			assert.Equal(t, int64(15), body.Size)
		})
	}
}

func TestClientsCredentials(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)

	wrongBasic, err := confluence.NewCloud(confluence.CloudConfig{BaseURL: ts.URL,
		Email: confluencetest.DefaultEmail, APIToken: "wrong", HTTPClient: ts.Client()})
	require.NoError(t, err)
	wrongBearer, err := confluence.NewCloud(confluence.CloudConfig{
		BaseURL: ts.URL + s.CloudGatewayPath(), AccessToken: "wrong", HTTPClient: ts.Client()})
	require.NoError(t, err)

	tests := []struct {
		name string
		c    confluence.Source
	}{
		{"cloud basic", wrongBasic},
		{"cloud bearer", wrongBearer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.Page(t.Context(), "1")
			require.ErrorIs(t, err, confluence.ErrUnauthorized)
			assert.NotContains(t, err.Error(), "wrong", "no credential in errors")
		})
	}
}

func TestNewDataCenterRefusesAnonymous(t *testing.T) {
	tests := []struct {
		name      string
		anonymous bool
		token     string
		want      error
	}{
		{"wrong token, anonymous access on", true, "wrong", confluence.ErrAnonymous},
		{"wrong token, anonymous access off", false, "wrong", confluence.ErrUnauthorized},
		{"right token, anonymous access on", true, confluencetest.DefaultPAT, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeSpace(t, confluencetest.Config{AnonymousAccess: tt.anonymous})
			ts := confluencetest.Start(t, s)
			c, err := confluence.NewDataCenter(t.Context(), confluence.DataCenterConfig{
				BaseURL: ts.URL, Token: tt.token, HTTPClient: ts.Client()})
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
				assert.Nil(t, c)
				return
			}
			require.NoError(t, err)
			assert.NotNil(t, c)
		})
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  confluence.CloudConfig
		ok   bool
	}{
		{"no credentials", confluence.CloudConfig{BaseURL: "https://x.atlassian.net"}, false},
		{"email without token",
			confluence.CloudConfig{BaseURL: "https://x.atlassian.net", Email: "a@b"}, false},
		{"basic and bearer", confluence.CloudConfig{BaseURL: "https://x.atlassian.net",
			Email: "a@b", APIToken: "t", AccessToken: "o"}, false},
		{"plain http", confluence.CloudConfig{BaseURL: "http://x.atlassian.net",
			Email: "a@b", APIToken: "t"}, false},
		{"plain http allowed", confluence.CloudConfig{BaseURL: "http://localhost:1",
			Email: "a@b", APIToken: "t", InsecureAllowHTTP: true}, true},
		{"no base and no cloud ID", confluence.CloudConfig{AccessToken: "o"}, false},
		{"gateway from cloud ID", confluence.CloudConfig{CloudID: "abc", AccessToken: "o"}, true},
		{"relative base", confluence.CloudConfig{BaseURL: "/wiki", AccessToken: "o"}, false},
		{"site", confluence.CloudConfig{BaseURL: "https://x.atlassian.net/wiki/",
			Email: "a@b", APIToken: "t"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := confluence.NewCloud(tt.cfg)
			if tt.ok {
				require.NoError(t, err)
				assert.NotNil(t, c)
				return
			}
			assert.Error(t, err)
		})
	}

	_, err := confluence.NewDataCenter(t.Context(), confluence.DataCenterConfig{
		BaseURL: "https://confluence.example.com"})
	assert.Error(t, err, "a token is required")
}

func TestClientsSlowAnswerRespectsContext(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)
	clients := flavours(t, s, ts, confluence.RetryConfig{})

	for name, c := range clients {
		t.Run(name, func(t *testing.T) {
			// Matches the first request of either flavour, /pages/12 or
			// /content/12.
			s.Inject(confluencetest.Fault{PathContains: "/12", Delay: time.Minute})
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			_, err := c.Page(ctx, "12")
			require.Error(t, err)
			assert.True(t, errors.Is(err, context.DeadlineExceeded), err)
		})
	}
}

func TestCloudLabelsBeyondFirstPage(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{PageSize: 2})
	s.AddPage(confluencetest.Page{ID: "40", SpaceKey: "ENG", ParentID: "1", Title: "Tagged",
		Labels: []string{"a", "b", "c", "internal-only", "e"}})
	ts := confluencetest.Start(t, s)
	c := flavours(t, s, ts, confluence.RetryConfig{})["cloud gateway"]

	p, err := c.Page(t.Context(), "40")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c", "internal-only", "e"}, p.Labels,
		"an exclusion label past the first page of labels still counts")
}

// TestCloudRequestsPerPage pins what a Cloud page costs Confluence, since
// outsiders' traffic must not turn into Confluence's rate limit.
func TestCloudRequestsPerPage(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)
	c := flavours(t, s, ts, confluence.RetryConfig{})["cloud basic"]

	paths := func() []string {
		var out []string
		for _, r := range s.Requests() {
			out = append(out, r.Path)
		}
		s.ResetRequests()
		return out
	}
	s.ResetRequests()

	_, err := c.Page(t.Context(), "5")
	require.NoError(t, err)
	assert.Equal(t, []string{"/wiki/api/v2/pages/5", "/wiki/api/v2/pages/5/ancestors",
		"/wiki/rest/api/content/5/restriction/byOperation/read", "/wiki/api/v2/spaces/100"},
		paths())

	_, err = c.Page(t.Context(), "6")
	require.NoError(t, err)
	assert.Len(t, paths(), 3, "the space key is remembered")

	_, err = c.Page(t.Context(), "1")
	require.NoError(t, err)
	assert.Equal(t, []string{"/wiki/api/v2/pages/1", "/wiki/api/v2/pages/1/ancestors",
		"/wiki/rest/api/content/1/restriction/byOperation/read"}, paths(),
		"a top-level page's ancestors are asked for too: the answer's parentId is not trusted")
}

func TestDataCenterUnderContextPath(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{ContextPath: "/confluence", PageSize: 2})
	ts := confluencetest.Start(t, s)
	c, err := confluence.NewDataCenter(t.Context(), confluence.DataCenterConfig{
		BaseURL: ts.URL + "/confluence/", Token: confluencetest.DefaultPAT,
		HTTPClient: ts.Client()})
	require.NoError(t, err)

	kids, err := c.Children(t.Context(), "1")
	require.NoError(t, err)
	assert.Equal(t, []string{"2", "3", "4", "12"}, ids(kids))
	body, err := c.OpenAttachment(t.Context(), "2", "att501")
	require.NoError(t, err)
	require.NoError(t, body.Body.Close())

	for _, r := range s.Requests() {
		assert.True(t, strings.HasPrefix(r.Path, "/confluence/"), r.Path)
		assert.Equal(t, http.StatusOK, r.Status, r.Path)
	}

	_, err = confluence.NewDataCenter(t.Context(), confluence.DataCenterConfig{
		BaseURL: ts.URL, Token: confluencetest.DefaultPAT, HTTPClient: ts.Client()})
	assert.ErrorIs(t, err, confluence.ErrNotFound, "the context path is part of BaseURL")
}

// TestAttachmentOfWithheldPage asks the clients for a restricted
// page's attachment through a shared page's ID, and for an attachment ID
// that is a page ID.
func TestAttachmentOfWithheldPage(t *testing.T) {
	_, ts := reviewModel(t)
	for name, c := range reviewClients(t, ts) {
		for _, tt := range []struct{ page, att string }{
			{"2", "att70"}, {"2", "3"}, {"2", ""}, {"2", "att70/../att71"},
			{"2/../3", "att70"},
		} {
			t.Run(name+"/"+tt.page+"/"+tt.att, func(t *testing.T) {
				body, err := c.OpenAttachment(t.Context(), tt.page, tt.att)
				if err == nil {
					body.Body.Close()
				}
				assert.ErrorIs(t, err, confluence.ErrNotFound)
			})
		}
	}
}

// TestBrokenJSON: answers that are not what the API documents.
// Every call must fail or succeed; none may panic. A page answer that
// lacks the fields the withholding rules read must not come back as a
// current, unrestricted page.
func TestBrokenJSON(t *testing.T) {
	for _, body := range []string{
		`not json`, `{"results":"x"}`, `{"id":5}`, `[]`, `null`, `{}`, `{"results":[null]}`,
		`{"results":[{"id":{"x":1}}]}`, `{"errors":[]}`, `{"restrictions":null}`,
		`{"results":[],"_links":{"next":"%zz"}}`, "\xff\xfe{", `{"id":"5","status":"current"`,
	} {
		t.Run(body, func(t *testing.T) {
			ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, body)
			})
			for name, c := range reviewAllClients(t, ts, reviewClientOpts{}) {
				assert.NotPanics(t, func() { reviewCalls(t, c) }, name)
			}
		})
	}
}

// TestRestrictionsUnreadableFailClosed: the page answer is fine, but
// the read-restriction answer (Cloud's v1 resource, or Data Center's
// expanded restrictions) comes back without the restriction lists, as
// when an expansion is ignored or a proxy answers in Confluence's place.
// Cloud's documentation promises that "a page is never reported
// unrestricted because its restrictions could not be read".
func TestRestrictionsUnreadableFailClosed(t *testing.T) {
	for _, restr := range []string{`{}`, `{"operation":"read"}`,
		`{"operation":"read","restrictions":{"user":{"_expandable":"x"},` +
			`"group":{"_expandable":"y"}},"_expandable":{}}`} {
		t.Run(restr, func(t *testing.T) {
			ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch {
				case strings.Contains(r.URL.Path, "/restriction/"):
					io.WriteString(w, restr)
				case strings.HasPrefix(r.URL.Path, "/wiki/api/v2/pages/5"):
					io.WriteString(w, `{"id":"5","status":"current","title":"Salaries",`+
						`"spaceId":"100","version":{"number":1},"body":{"view":{"value":"x"}}}`)
				case strings.HasPrefix(r.URL.Path, "/wiki/api/v2/spaces/100"):
					io.WriteString(w, `{"id":"100","key":"ENG","name":"E"}`)
				case strings.HasPrefix(r.URL.Path, "/rest/api/content/5"):
					fmt.Fprintf(w, `{"id":"5","type":"page","status":"current",`+
						`"title":"Salaries","space":{"key":"ENG"},"version":{"number":1},`+
						`"body":{"view":{"value":"x"}},"restrictions":{"read":%s}}`, restr)
				default:
					http.NotFound(w, r)
				}
			})
			for name, c := range reviewAllClients(t, ts, reviewClientOpts{}) {
				if name == "cloud bearer" {
					continue
				}
				p, err := c.Page(t.Context(), "5")
				if err == nil {
					assert.True(t, p.Restricted, "%s reports the page unrestricted from a "+
						"restriction answer without restriction lists", name)
				}
			}
		})
	}
}

// TestActiveAttachmentContentType: an author attaches an HTML or
// SVG file with script to a shared page. The SDK hands the share the
// Content-Type Confluence served; a share that passes it on serves
// script from its own origin. Defended means the SDK never returns a
// type a browser renders as active content (or documents it loudly;
// this test checks the former).
func TestActiveAttachmentContentType(t *testing.T) {
	for _, ct := range []string{"text/html", "image/svg+xml", "application/xhtml+xml",
		"text/xml", "text/html; charset=utf-8"} {
		t.Run(ct, func(t *testing.T) {
			ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "attachment") {
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprintf(w, `{"results":[{"id":"att1","title":"x.svg","mediaType":%q,`+
						`"downloadLink":"/d/x","_links":{"download":"/d/x"}}],"_links":{},`+
						`"start":0,"limit":100,"size":1}`, ct)
					return
				}
				w.Header().Set("Content-Type", ct)
				io.WriteString(w, `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)`+
					`</script></svg>`)
			})
			c := reviewAllClients(t, ts, reviewClientOpts{})["data center"]
			b, err := c.OpenAttachment(t.Context(), "5", "att1")
			require.NoError(t, err)
			defer b.Body.Close()
			mt := strings.ToLower(strings.TrimSpace(strings.Split(b.ContentType, ";")[0]))
			assert.NotContains(t, []string{"text/html", "image/svg+xml",
				"application/xhtml+xml", "text/xml"}, mt,
				"active content type %q handed to the share as is", b.ContentType)
		})
	}
}
