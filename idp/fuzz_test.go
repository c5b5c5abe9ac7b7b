package idp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func FuzzParseMetadata(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>`))
	now := time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC)

	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := ParseMetadata(data, MetadataOptions{Now: fixedClock(now)})
		if err != nil {
			if md != nil {
				t.Fatalf("metadata returned with error %v", err)
			}
			return
		}
		if md.IDP == nil || md.IDP.EntityID == "" || len(md.IDP.SigningCertificates) == 0 {
			t.Fatalf("accepted metadata without entity ID or signing key: %+v", md.IDP)
		}
		if md.Expired(now) {
			t.Fatalf("accepted expired metadata (validUntil %v)", md.IDP.ValidUntil)
		}
		var c Config
		c.ApplyMetadata(md.IDP)
		_ = c.Validate()
	})
}

func FuzzParseCertificates(f *testing.F) {
	for _, name := range []string{"okta-metadata.xml", "testshib-metadata.xml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		s := string(data)
		start := strings.Index(s, "X509Certificate>")
		end := strings.Index(s[start+1:], "</")
		if start < 0 || end < 0 {
			f.Fatalf("%s: no certificate", name)
		}
		b64 := s[start+len("X509Certificate>") : start+1+end]
		f.Add(b64)
		f.Add("-----BEGIN CERTIFICATE-----\r\n" + strings.TrimSpace(b64) +
			"\r\n-----END CERTIFICATE-----\r\n")
	}
	f.Add("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
	f.Add("&#13;\n")

	f.Fuzz(func(t *testing.T, text string) {
		certs, err := ParseCertificates(text)
		if err != nil {
			if certs != nil {
				t.Fatalf("certificates returned with error %v", err)
			}
			return
		}
		if len(certs) == 0 || len(certs) > maxPastedCertificates {
			t.Fatalf("got %d certificates", len(certs))
		}
		for i, c := range certs {
			if c == nil {
				t.Fatalf("certificate %d is nil", i)
			}
		}
		_ = (&Config{SigningCertificates: certs}).Warnings(time.Now())
	})
}
