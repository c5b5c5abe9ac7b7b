package sharehttp_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"log"
	"net/http"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml/samltest"
	"github.com/secureshare/secureshare/share"
	"github.com/secureshare/secureshare/share/sharehttp"
	"github.com/secureshare/secureshare/store"
)

// A host application mounts the handler beside its own admin pages. The
// IdP here is a test one; a real deployment imports the IdP's metadata
// with the idp package.
func Example() {
	ctx := context.Background()
	st, err := store.Open(ctx, "memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	svc, err := share.NewService(share.Config{Store: st})
	if err != nil {
		log.Fatal(err)
	}
	testIDP, err := samltest.New(samltest.Config{EntityID: "https://idp.example.com/metadata"})
	if err != nil {
		log.Fatal(err)
	}
	wiki, err := confluence.NewCloud(confluence.CloudConfig{
		BaseURL: "https://example.atlassian.net", Email: "reader@example.com", APIToken: "token",
	})
	if err != nil {
		log.Fatal(err)
	}

	h, err := sharehttp.New(sharehttp.Config{
		Service: svc, ReplayCache: st,
		IDPs: map[string]idp.Config{"okta": {
			Name: "okta", EntityID: testIDP.EntityID(), Preset: idp.PresetOkta,
			SSOURL:              "https://idp.example.com/sso",
			SigningCertificates: []*x509.Certificate{testIDP.Certificate()},
		}},
		BaseURL:     "https://share.example.com",
		Content:     confluence.NewCache(wiki, confluence.CacheConfig{}),
		Attachments: wiki,
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", h)
	// mux.Handle("/admin/", adminPages)

	fmt.Println("Entity ID:", h.EntityID())
	fmt.Println("ACS URL:", h.ACSURL())
	fmt.Println("Default RelayState:", h.DefaultRelayState())
	// Output:
	// Entity ID: https://share.example.com/saml/metadata
	// ACS URL: https://share.example.com/saml/acs
	// Default RelayState: /s/
}
