package saml_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/secureshare/secureshare/saml"
)

// This example validates a real Response captured from Okta, at the time
// it was issued.
func ExampleVerifier_VerifyXML() {
	pem, _ := os.ReadFile("testdata/samples/okta-cert.pem")
	cert, err := saml.ParseCertificate(string(pem))
	if err != nil {
		fmt.Println(err)
		return
	}
	issued := time.Date(2016, 7, 25, 23, 20, 30, 0, time.UTC)
	v, err := saml.NewVerifier(saml.VerifierConfig{
		SPEntityID:      `"123"`,
		ACSURLs:         []string{"http://localhost:8080/v1/_saml_callback"},
		IDPEntityID:     "http://www.okta.com/exk659aytfMeNI49v0h7",
		IDPCertificates: []*x509.Certificate{cert},
		Now:             func() time.Time { return issued },
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	doc, _ := os.ReadFile("testdata/samples/okta-response.xml")
	outstanding := []string{"_15f66d2d-628b-4d9b-a99e-089d8da862e1"}
	a, err := v.VerifyXML(context.Background(), doc, outstanding)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("subject:", a.Subject.Value)
	for _, at := range a.Attributes {
		fmt.Println(at.Name+":", at.Values)
	}

	// The same assertion cannot be used twice.
	_, err = v.VerifyXML(context.Background(), doc, outstanding)
	var ve *saml.ValidationError
	if errors.As(err, &ve) {
		fmt.Println("second use refused by check:", ve.Check)
	}
	// Output:
	// subject: russellhaering
	// username: [russell.haering@scaleft.com]
	// second use refused by check: replay
}
