package samltest_test

import (
	"crypto/x509"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/saml/samltest"
)

// An IdP issues a signed Response; the SP under test trusts only the
// IdP's certificate. Here goxmldsig stands in for the SP.
func Example() {
	idp, err := samltest.New(samltest.Config{EntityID: "https://idp.example.com/metadata"})
	if err != nil {
		log.Fatal(err)
	}
	doc, err := idp.Response(samltest.ResponseOptions{
		Destination:  "https://sp.example.com/saml/acs",
		Audience:     "https://sp.example.com/saml/metadata",
		InResponseTo: "id-4f1c",
		NameID:       "alice@example.com",
		Attributes: []saml.Attribute{
			{Name: "groups", Values: []string{"partners", "engineering"}},
		},
		SignAssertion: true,
	})
	if err != nil {
		log.Fatal(err)
	}

	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		log.Fatal(err)
	}
	trusted := &dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{idp.Certificate()}}
	verified, err := dsig.NewDefaultValidationContext(trusted).Validate(d.Root().FindElement("./Assertion"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(verified.FindElement("./Subject/NameID").Text())
	for _, v := range verified.FindElements("./AttributeStatement/Attribute/AttributeValue") {
		fmt.Println(v.Text())
	}
	// Output:
	// alice@example.com
	// partners
	// engineering
}

// PostValue gives the SAMLResponse form value an IdP's browser form would
// post to the SP's Assertion Consumer Service.
func ExampleIDP_PostValue() {
	acs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A real ACS hands the value to its SAML verifier.
		fmt.Println("received a SAMLResponse:", r.PostFormValue("SAMLResponse") != "")
	}))
	defer acs.Close()

	idp, err := samltest.New(samltest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	v, err := idp.PostValue(samltest.ResponseOptions{
		Destination:   acs.URL,
		Audience:      "https://sp.example.com/saml/metadata",
		SignResponse:  true,
		SignAssertion: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	resp, err := http.PostForm(acs.URL, url.Values{"SAMLResponse": {v}, "RelayState": {"/share/abc"}})
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	// Output: received a SAMLResponse: true
}

// Sign re-signs hand-crafted XML, so that a test can check what an SP does
// with a validly signed but hostile document.
func ExampleIDP_Sign() {
	idp, err := samltest.New(samltest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	doc, err := idp.Response(samltest.ResponseOptions{NameID: "bob@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	hostile := strings.Replace(string(doc), "bob@example.com", "admin@example.com", 1)

	signed, err := idp.Sign([]byte(hostile), true, true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Count(string(signed), "<ds:Signature "))
	// Output: 2
}
