package saml

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzVerifyXML feeds arbitrary documents to the verifier. Nothing may
// panic, and nothing unsigned may be accepted: the only key the verifier
// trusts is never used to sign the mutated inputs.
func FuzzVerifyXML(f *testing.F) {
	vKeys(f)
	f.Add(vResp{}.xml(f))
	f.Add(vSign(f, vResp{}.xml(f), vSignOpts{assertion: true}))
	f.Add(vSign(f, vResp{}.xml(f), vSignOpts{response: true}))
	files, _ := filepath.Glob(filepath.Join("testdata", "samples", "*.xml"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	v := newVVerifier(f, func(c *VerifierConfig) { c.AllowIDPInitiated = true })

	f.Fuzz(func(t *testing.T, doc []byte) {
		a, err := v.VerifyXML(context.Background(), doc, []string{tRequestID})
		if err == nil && !a.ResponseSigned && !a.AssertionSigned {
			t.Fatalf("accepted an unsigned assertion")
		}
	})
}

// FuzzVerifyFormValue feeds arbitrary form values, seeded with the real
// captured responses.
func FuzzVerifyFormValue(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "samples", "*.b64"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	v := newVVerifier(f, nil)

	f.Fuzz(func(t *testing.T, form []byte) {
		_, _ = v.Verify(context.Background(), form, []string{tRequestID})
	})
}
