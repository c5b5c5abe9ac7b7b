package sharehttp_test

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/share"
	"github.com/secureshare/secureshare/share/sharehttp"
	"github.com/secureshare/secureshare/store"
)

// Embedding Secure Share in a Go service with a real IdP and Confluence
// Cloud: the README shows this function. It is compiled, not run, since
// it needs the network.
func Example_embed() {
	ctx := context.Background()
	st, err := store.Open(ctx, os.Getenv("SECURESHARE_STORE")) // e.g. sqlite:/var/lib/ss/share.db
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	svc, err := share.NewService(share.Config{Store: st})
	if err != nil {
		log.Fatal(err)
	}

	f, err := idp.NewFetcher(idp.FetcherConfig{URL: os.Getenv("OKTA_METADATA_URL")})
	if err != nil {
		log.Fatal(err)
	}
	md, err := f.Fetch(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	okta := idp.Config{Name: "okta", Preset: idp.PresetOkta}
	okta.ApplyMetadata(md.IDP)

	wiki, err := confluence.NewCloud(confluence.CloudConfig{BaseURL: "https://acme.atlassian.net",
		Email: os.Getenv("CONFLUENCE_EMAIL"), APIToken: os.Getenv("CONFLUENCE_TOKEN")})
	if err != nil {
		log.Fatal(err)
	}
	h, err := sharehttp.New(sharehttp.Config{
		Service: svc, ReplayCache: st, IDPs: map[string]idp.Config{"okta": okta},
		BaseURL: "https://share.example.com",
		Content: confluence.NewCache(wiki, confluence.CacheConfig{}), Attachments: wiki,
		Render: confluence.RenderConfig{SiteURLs: []string{"https://acme.atlassian.net/wiki"}},
	})
	if err != nil {
		log.Fatal(err)
	}

	_, token, err := svc.CreateLink(ctx, share.LinkSpec{Space: "ENG", Scope: share.ScopePageTree,
		PageID: "123456", CreatedBy: "admin@acme.com",
		Policy: share.Policy{IDPs: []string{"okta"}, Groups: []string{"partners"}}})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("share this: %s", h.LinkURL(token))
	log.Fatal(http.ListenAndServe(":8080", h))
}
