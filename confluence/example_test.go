package confluence_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/confluence/confluencetest"
)

// exampleServer starts a fake Confluence with a small space.
func exampleServer() (*confluencetest.Server, *httptest.Server) {
	s := confluencetest.NewServer(confluencetest.Config{})
	s.AddSpace(confluencetest.Space{ID: "100", Key: "ENG", Name: "Engineering", HomePageID: "1"})
	s.AddPage(confluencetest.Page{ID: "1", SpaceKey: "ENG", Title: "Home",
		Body: `<p>Read the <a href="/wiki/spaces/ENG/pages/2/Guide" data-linked-resource-id="2"` +
			` data-linked-resource-type="page">guide</a>.</p><ul class="childpages-macro">` +
			`<li><a href="/wiki/spaces/ENG/pages/2/Guide">Guide</a></li>` +
			`<li><a href="/wiki/spaces/ENG/pages/3/Payroll">Payroll</a></li></ul>` +
			`<script>steal()</script>`})
	s.AddPage(confluencetest.Page{ID: "2", SpaceKey: "ENG", ParentID: "1", Title: "Guide"})
	s.AddPage(confluencetest.Page{ID: "3", SpaceKey: "ENG", ParentID: "1", Title: "Payroll",
		Restricted: true})
	s.AddPage(confluencetest.Page{ID: "4", SpaceKey: "ENG", ParentID: "1", Title: "Retro",
		Labels: []string{"internal-only"}})
	return s, httptest.NewTLSServer(s)
}

func ExampleNewCloud() {
	_, ts := exampleServer()
	defer ts.Close()

	client, err := confluence.NewCloud(confluence.CloudConfig{
		BaseURL:    ts.URL, // https://example.atlassian.net in real use
		Email:      confluencetest.DefaultEmail,
		APIToken:   confluencetest.DefaultAPIToken,
		HTTPClient: ts.Client(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := client.Page(context.Background(), "2")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Title, p.SpaceKey, p.Version, p.Status, p.ParentID())
	// Output: Guide ENG 1 current 1
}

func ExampleNewDataCenter() {
	s := confluencetest.NewServer(confluencetest.Config{AnonymousAccess: true})
	ts := httptest.NewTLSServer(s)
	defer ts.Close()

	_, err := confluence.NewDataCenter(context.Background(), confluence.DataCenterConfig{
		BaseURL:    ts.URL,
		Token:      "a mistyped token",
		HTTPClient: ts.Client(),
	})
	fmt.Println(errors.Is(err, confluence.ErrAnonymous))
	// Output: true
}

func ExampleScope() {
	_, ts := exampleServer()
	defer ts.Close()
	client, _ := confluence.NewCloud(confluence.CloudConfig{BaseURL: ts.URL,
		Email: confluencetest.DefaultEmail, APIToken: confluencetest.DefaultAPIToken,
		HTTPClient: ts.Client()})
	ctx := context.Background()

	scope, _ := confluence.NewScope(confluence.NewCache(client, confluence.CacheConfig{}),
		confluence.ScopeConfig{SpaceKey: "ENG", ExcludeLabels: []string{"internal-only"}})
	kids, _ := scope.Children(ctx, "1")
	for _, k := range kids {
		fmt.Println("child:", k.Title)
	}
	_, err := scope.Page(ctx, "3")
	var w *confluence.WithheldError
	if errors.As(err, &w) {
		fmt.Println("page 3:", w.Reason, errors.Is(err, confluence.ErrNotFound))
	}
	// Output:
	// child: Guide
	// page 3: has view restrictions true
}

func ExampleRenderer_Render() {
	_, ts := exampleServer()
	defer ts.Close()
	client, _ := confluence.NewCloud(confluence.CloudConfig{BaseURL: ts.URL,
		Email: confluencetest.DefaultEmail, APIToken: confluencetest.DefaultAPIToken,
		HTTPClient: ts.Client()})
	ctx := context.Background()
	scope, _ := confluence.NewScope(client, confluence.ScopeConfig{SpaceKey: "ENG"})
	home, _ := scope.Page(ctx, "1")

	// SiteURLs tells the renderer which absolute links are Confluence's.
	r, err := confluence.NewRenderer(confluence.RenderConfig{SiteURLs: []string{ts.URL + "/wiki"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := r.Render(home.Body, confluence.Links{
		Page: func(id string) (string, confluence.PageLink) {
			return "/share/abc/pages/" + id, scope.Link(ctx, id)
		},
	})
	fmt.Println(out)
	// The restricted page Payroll is withheld: its list item is removed.
	// Output: <p>Read the <a href="/share/abc/pages/2">guide</a>.</p><ul class="childpages-macro"><li><a href="/share/abc/pages/2">Guide</a></li></ul>
}

func ExampleCache() {
	_, ts := exampleServer()
	defer ts.Close()
	client, _ := confluence.NewCloud(confluence.CloudConfig{BaseURL: ts.URL,
		Email: confluencetest.DefaultEmail, APIToken: confluencetest.DefaultAPIToken,
		HTTPClient: ts.Client()})
	cache := confluence.NewCache(client, confluence.CacheConfig{})

	a, _ := cache.Page(context.Background(), "2")
	b, _ := cache.Page(context.Background(), "2")
	fmt.Println(a == b, a.Stale)
	// Output: true false
}
