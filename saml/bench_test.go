package saml

import (
	"context"
	"fmt"
	"testing"

	"github.com/beevik/etree"
	"time"
)

// benchResponse is an Okta-shaped response: assertion signed with
// RSA-SHA256 and exclusive C14N, and n group values.
func benchResponse(b *testing.B, n int) []byte {
	return benchSigned(b, n, vSignOpts{assertion: true})
}

// benchSigned is benchResponse signed as o says.
func benchSigned(b *testing.B, n int, o vSignOpts) []byte {
	b.Helper()
	groups := make([]string, n)
	for i := range groups {
		groups[i] = fmt.Sprintf("Everyone-Group-%04d", i)
	}
	return vSign(b, vResp{Attributes: map[string][]string{
		"firstName": {"Alice"}, "lastName": {"Liddell"}, "Email": {"alice@example.com"},
		"groups": groups,
	}, AttrOrder: []string{"firstName", "lastName", "Email", "groups"}}.xml(b), o)
}

// BenchmarkVerify measures Verify on a posted form value, with every check
// on. The replay cache is a no-op so that the same response can be reused.
func BenchmarkVerify(b *testing.B) {
	for _, n := range []int{5, 200, 1000} {
		doc := benchResponse(b, n)
		form := vB64(doc)
		v := newVVerifier(b, func(c *VerifierConfig) { c.ReplayCache = nopReplay{} })
		b.Run(fmt.Sprintf("groups=%d/bytes=%d", n, len(doc)), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := v.Verify(context.Background(), form, []string{tRequestID}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyBothSigned measures Verify on a response whose Response
// and Assertion are both signed, as the demo IdP (and many real ones) send
// them: the shape the reference server's ACS load test posts. parallel
// runs it on every core, which is what the ACS could do at most on this
// machine if verifying were all it did.
func BenchmarkVerifyBothSigned(b *testing.B) {
	form := vB64(benchSigned(b, 5, vSignOpts{response: true, assertion: true}))
	v := newVVerifier(b, func(c *VerifierConfig) { c.ReplayCache = nopReplay{} })
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := v.Verify(context.Background(), form, []string{tRequestID}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := v.Verify(context.Background(), form, []string{tRequestID}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkParseOnly is the floor under Verify: one etree parse.
func BenchmarkParseOnly(b *testing.B) {
	doc := benchResponse(b, 5)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		d := etree.NewDocument()
		if err := d.ReadFromBytes(doc); err != nil {
			b.Fatal(err)
		}
	}
}

type nopReplay struct{}

func (nopReplay) ClaimAssertion(context.Context, string, time.Time) (bool, error) { return true, nil }
