package idp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
)

func ExampleConfig_Validate() {
	cfg := idp.Config{
		Name:     "contoso",
		EntityID: "https://sts.windows.net/{tenantid}/",
		SSOURL:   "http://login.microsoftonline.com/common/saml2",
		Preset:   idp.PresetEntraID,
	}
	var ce *idp.ConfigError
	if err := cfg.Validate(); errors.As(err, &ce) {
		for _, p := range ce.Problems {
			fmt.Println(p.Field)
		}
	}
	// Output:
	// EntityID
	// SSOURL
	// SigningCertificates
}

func ExampleConfig_Map() {
	// a comes from saml.Verifier.Verify; it is built by hand here.
	a := &saml.Assertion{
		Subject: saml.NameID{Value: "3f2a-opaque", Format: saml.NameIDFormatPersistent},
		Attributes: []saml.Attribute{
			{Name: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
				Values: []string{"Alice@Contoso.COM"}},
			{Name: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
				Values: []string{"Alice"}},
			{Name: "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
				Values: []string{"07dd8a60-bf6d-4e17-8844-230b77145381"}},
		},
	}
	cfg := idp.Config{Name: "contoso", Preset: idp.PresetEntraID}
	p, err := cfg.Map(a)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Email, p.FirstName, p.Groups, p.GroupsCaseInsensitive)
	// Output:
	// Alice@contoso.com Alice [07dd8a60-bf6d-4e17-8844-230b77145381] true
}

func ExampleConfig_Report() {
	a := &saml.Assertion{
		Issuer:  "https://idp.example.com",
		Subject: saml.NameID{Value: "alice@example.com", Format: saml.NameIDFormatEmailAddress},
		Attributes: []saml.Attribute{
			{Name: "firstName", Values: []string{"Alice"}},
			{Name: "groups", Values: []string{"partners", "engineering"}},
		},
		ResponseSigned:     true,
		SignatureAlgorithm: saml.AlgRSASHA256,
	}
	cfg := idp.Config{Name: "acme", Preset: idp.PresetOkta,
		Mapping: idp.AttributeMapping{LastName: "sn"}}
	r := cfg.Report(a, idp.ReportOptions{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	fmt.Print(r.Text())
	// Output:
	// Test configuration for IdP "acme" (preset okta): OK: sign-in would succeed
	// Issuer:        https://idp.example.com
	// NameID:        alice@example.com (urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress)
	// Signed:        Response (http://www.w3.org/2001/04/xmldsig-more#rsa-sha256)
	//
	// Attributes (2):
	//   firstName -> first_name
	//     = "Alice"
	//   groups -> groups
	//     = "partners", "engineering"
	//
	// Profile:
	//   email:        alice@example.com  [from NameID]
	//   first_name:   Alice  [from firstName]
	//   last_name:    (missing)
	//   display_name: (missing)
	//   groups:       partners, engineering  [from groups]
	//
	// Missing:
	//   - last_name: no attribute named "sn"
	//   - display_name: no attribute named "displayName", "name"
	//
	// Warnings:
	//   - email: email taken from the NameID because no email attribute arrived
}

func ExampleParseCertificates() {
	// An administrator pasted the certificate from the IdP's setup page.
	pasted, err := os.ReadFile("testdata/okta-cert.pem")
	if err != nil {
		fmt.Println(err)
		return
	}
	certs, err := idp.ParseCertificates(string(pasted))
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := idp.Config{SigningCertificates: certs}
	for _, w := range cfg.Warnings(time.Date(2026, 1, 30, 0, 0, 0, 0, time.UTC)) {
		fmt.Println(w)
	}
	// Output:
	// SigningCertificates: signing certificate "dev-116807" expires on 2026-02-09 (in 10 days); import the new certificate before the IdP switches to it
}

func ExampleRefresher() {
	metadata, err := os.ReadFile("testdata/okta-metadata.xml")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(metadata)
	}))
	defer srv.Close()

	f, err := idp.NewFetcher(idp.FetcherConfig{URL: srv.URL + "/metadata",
		HTTPClient: srv.Client()})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := idp.NewRefresher(idp.RefresherConfig{Fetcher: f})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	if err := r.Refresh(ctx); err != nil {
		fmt.Println(err)
		return
	}
	// In a server: go r.Run(ctx), and call r.Metadata() before each use.
	md, err := r.Metadata()
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := idp.Config{Name: "okta", Preset: idp.PresetOkta}
	cfg.ApplyMetadata(md.IDP)
	fmt.Println(cfg.EntityID, len(cfg.SigningCertificates), cfg.Validate() == nil)
	// Output:
	// http://www.okta.com/exkppsa1qwuFV4D7z0h7 1 true
}

func ExampleRedactURL() {
	fmt.Println(idp.RedactURL("https://admin:s3cr3t@idp.example.com/metadata?token=abc&appid=7"))
	// Output:
	// https://admin:xxxxx@idp.example.com/metadata?appid=7&token=xxxxx
}
