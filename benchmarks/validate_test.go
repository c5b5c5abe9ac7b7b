package benchmarks

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/benchmarks/internal/fixture"
	"github.com/secureshare/secureshare/saml"
)

// BenchmarkValidate measures one validation of a posted SAMLResponse, with
// every check on, by each library: the headline five-group response at the
// top level, larger attribute lists under groups=N.
func BenchmarkValidate(b *testing.B) {
	f := loadFixtures(b)

	for _, lib := range libraries() {
		b.Run(lib.name, func(b *testing.B) { benchValidate(b, f, lib, 5) })
	}
	for _, n := range groupCounts {
		b.Run(fmt.Sprintf("groups=%d", n), func(b *testing.B) {
			for _, lib := range libraries() {
				b.Run(runName(f, lib, n), func(b *testing.B) { benchValidate(b, f, lib, n) })
			}
		})
	}
}

// benchValidate checks that lib accepts the n-group response and returns
// the right values, then times it. A library known to refuse the response
// is checked to refuse it for the known reason, and skipped.
func benchValidate(b *testing.B, f *fixtures, lib library, n int) {
	validate, err := lib.bind(setupFor(f, n), form(f.xml[n]))
	if err != nil {
		b.Fatal(err)
	}
	if err := checkOutcome(validate, lib.name, n); err != nil {
		b.Fatal(err)
	}
	if why := knownRefusal(lib.name, n); why != "" {
		b.Skipf("%s refuses %d group values: %s", lib.name, n, why)
	}

	b.SetBytes(int64(len(f.xml[n])))
	timeLoop(b, func() error {
		_, err := validate()
		return err
	})
}

// timeLoop runs body in a b.Loop, failing on its first error, and reports
// besides wall time the CPU time the whole process spent per operation
// (cpu-ns/op): on a machine shared with other work, that figure is the one
// other processes disturb least.
func timeLoop(b *testing.B, body func() error) {
	b.Helper()
	b.ReportAllocs()
	start, n := cpuTime(), 0
	for b.Loop() {
		if err := body(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
}

// BenchmarkFloor measures floors under the validation of the headline
// response: parsing it once with etree and checking the assertion's
// signature with goxmldsig (what a validator built on those two libraries
// cannot avoid), the bare cryptography (one SHA-256 over the document and
// one RSA PKCS#1 v1.5 verification), and, for reference, the etree parse
// alone.
func BenchmarkFloor(b *testing.B) {
	f := loadFixtures(b)
	doc := f.xml[5]

	b.Run("etree", func(b *testing.B) {
		timeLoop(b, func() error { return etree.NewDocument().ReadFromBytes(doc) })
	})

	b.Run("etree+goxmldsig", func(b *testing.B) {
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{
			Roots: []*x509.Certificate{f.idp.Cert},
		})
		vc.Clock = dsig.NewFakeClockAt(fixture.Now())
		if err := parseAndValidate(vc, doc); err != nil {
			b.Fatal(err)
		}
		timeLoop(b, func() error { return parseAndValidate(vc, doc) })
	})

	b.Run("sha256+rsa", func(b *testing.B) {
		sum := sha256.Sum256(doc)
		sig, err := rsa.SignPKCS1v15(nil, f.idp.Key, crypto.SHA256, sum[:])
		if err != nil {
			b.Fatal(err)
		}
		pub := &f.idp.Key.PublicKey
		timeLoop(b, func() error {
			sum := sha256.Sum256(doc)
			return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
		})
	})
}

// parseAndValidate parses doc with etree and validates the signature of
// its Assertion with goxmldsig.
func parseAndValidate(vc *dsig.ValidationContext, doc []byte) error {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return err
	}
	a := d.Root().SelectElement("Assertion")
	if a == nil {
		return errors.New("no Assertion")
	}
	_, err := vc.Validate(a)
	return err
}

// BenchmarkRefuse1MB measures what each library does with a posted
// Response of 1 MiB (decoded). Ours must refuse it on size before decoding;
// the "accepted" metric is 1 for a library that validated it instead.
func BenchmarkRefuse1MB(b *testing.B) {
	f := loadFixtures(b)
	post := form(f.large)

	for _, lib := range libraries() {
		b.Run(lib.name, func(b *testing.B) {
			validate, err := lib.bind(defaultSetup(f.idp.Cert), post)
			if err != nil {
				b.Fatal(err)
			}
			_, firstErr := validate()
			if lib.name == "secureshare" && !refusedOnSize(firstErr) {
				b.Fatalf("secureshare did not refuse the 1 MiB post on size: %v", firstErr)
			}

			timeLoop(b, func() error {
				if _, err := validate(); (err == nil) != (firstErr == nil) {
					return fmt.Errorf("outcome changed between runs: %v", err)
				}
				return nil
			})
			accepted := 0.0
			if firstErr == nil {
				accepted = 1
			}
			b.ReportMetric(accepted, "accepted")
		})
	}
}

// refusedOnSize reports whether err is our size-limit refusal.
func refusedOnSize(err error) bool {
	var ve *saml.ValidationError
	return errors.As(err, &ve) && ve.Check == saml.CheckSize
}

// TestPeersAccept runs the acceptance checks the benchmarks run before
// timing: every library, configured with all its checks on and the fixed
// clock, accepts every fixture and returns its subject and groups, except
// where knownRefusal says it refuses a valid fixture (and then it must
// refuse it for that reason).
func TestPeersAccept(t *testing.T) {
	f := loadFixtures(t)

	for _, n := range append([]int{5}, groupCounts...) {
		for _, lib := range libraries() {
			t.Run(fmt.Sprintf("groups=%d/%s", n, runName(f, lib, n)), func(t *testing.T) {
				validate, err := lib.bind(setupFor(f, n), form(f.xml[n]))
				require.NoError(t, err)
				assert.NoError(t, checkOutcome(validate, lib.name, n))
			})
		}
	}
}

// TestPeersRefuse shows that the checks the benchmarks pay for are really
// on: each library refuses the headline response when one thing is wrong.
func TestPeersRefuse(t *testing.T) {
	f := loadFixtures(t)
	good := f.xml[5]
	tampered := bytes.Replace(good, []byte(">Contractors<"), []byte(">Contractorz<"), 1)
	require.NotEqual(t, good, tampered)

	// want is, per library, a fragment of the error that names the failed
	// check, so that each refusal is shown to happen for the right reason;
	// "a|b" accepts either fragment, where more than one check applies.
	type want map[string]string
	cases := []struct {
		name  string
		doc   []byte
		setup func(*setup)
		want  want
	}{
		{name: "tampered group value", doc: tampered, want: want{
			"secureshare": "digest", "crewjam": "signature", "gosaml2": "Signature could not be verified"}},
		{name: "untrusted certificate", setup: func(s *setup) { s.cert = f.otherCert }, want: want{
			"secureshare": "configured IdP certificates", "crewjam": "trusted certs",
			"gosaml2": "trusted certs"}},
		{name: "expired", setup: func(s *setup) { s.now = fixture.Instant().Add(time.Hour) }, want: want{
			"secureshare": "not_on_or_after|issue_instant", "crewjam": "expired",
			"gosaml2": "Expired"}},
		{name: "not yet valid", setup: func(s *setup) { s.now = fixture.Instant().Add(-time.Hour) },
			want: want{"secureshare": "not_before|issue_instant", "crewjam": "in the future",
				"gosaml2": "validity window"}},
		{name: "wrong audience", setup: func(s *setup) { s.spEntityID = "https://other.example.com/sp" },
			want: want{"secureshare": "audience", "crewjam": "AudienceRestriction",
				"gosaml2": "audience"}},
		{name: "unknown request", setup: func(s *setup) { s.requestIDs = []string{"_not-ours"} },
			want: want{"secureshare": "in_response_to", "crewjam": "InResponseTo",
				"gosaml2": "InResponseTo"}},
	}
	for _, tc := range cases {
		for _, lib := range libraries() {
			t.Run(tc.name+"/"+lib.name, func(t *testing.T) {
				s := defaultSetup(f.idp.Cert)
				if tc.setup != nil {
					tc.setup(&s)
				}
				doc := good
				if tc.doc != nil {
					doc = tc.doc
				}
				validate, err := lib.bind(s, form(doc))
				require.NoError(t, err)

				_, err = validate()
				require.Error(t, err)
				require.NotEmpty(t, tc.want[lib.name], "no expected error for %s", lib.name)
				assert.True(t, containsAny(err.Error(), tc.want[lib.name]),
					"error %q names none of %q", err, tc.want[lib.name])
			})
		}
	}
}

// TestRefuse1MB checks that our verifier refuses the 1 MiB post because of
// its size, and before decoding it: a refusal allocates a few hundred
// bytes, where decoding alone would allocate a mebibyte.
func TestRefuse1MB(t *testing.T) {
	f := loadFixtures(t)
	validate, err := bindSecureShare(defaultSetup(f.idp.Cert), form(f.large))
	require.NoError(t, err)

	_, err = validate()
	assert.True(t, refusedOnSize(err), "want a size refusal, got %v", err)

	const calls = 100
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range calls {
		_, _ = validate()
	}
	runtime.ReadMemStats(&after)
	perCall := (after.TotalAlloc - before.TotalAlloc) / calls
	assert.Less(t, perCall, uint64(4<<10), "a refusal allocated %d bytes", perCall)
}

// largeLimit is the MaxResponseSize our verifier gets for a fixture larger
// than its default limit (the 2,000-group one).
const largeLimit = 512 << 10

// setupFor is the configuration for the n-group fixture: the defaults,
// with our size limit raised to largeLimit when the fixture exceeds it.
func setupFor(f *fixtures, n int) setup {
	s := defaultSetup(f.idp.Cert)
	if len(f.xml[n]) > saml.DefaultMaxResponseSize {
		s.maxResponseSize = largeLimit
	}
	return s
}

// runName names lib's run on the n-group fixture, saying when our verifier
// runs with a raised size limit.
func runName(f *fixtures, lib library, n int) string {
	if lib.name == "secureshare" && setupFor(f, n).maxResponseSize != 0 {
		return fmt.Sprintf("secureshare-limit%dKiB", largeLimit>>10)
	}
	return lib.name
}

// checkOutcome checks that validate accepts the n-group fixture, or, when
// lib is known to refuse it, that it refuses it for that reason.
func checkOutcome(validate func() (result, error), lib string, n int) error {
	why := knownRefusal(lib, n)
	if why == "" {
		if err := checkAccepted(validate, n); err != nil {
			return fmt.Errorf("%s does not accept the %d-group response: %w", lib, n, err)
		}
		return nil
	}
	_, err := validate()
	if err == nil || !strings.Contains(err.Error(), why) {
		return fmt.Errorf("%s: want a refusal with %q for %d groups, got %v", lib, why, n, err)
	}
	return nil
}

// containsAny reports whether s contains any of the "|"-separated
// fragments.
func containsAny(s, fragments string) bool {
	for _, f := range strings.Split(fragments, "|") {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

// checkAccepted calls validate and checks what it returned for the n-group
// fixture.
func checkAccepted(validate func() (result, error), n int) error {
	r, err := validate()
	if err != nil {
		return err
	}
	if r.nameID != fixture.Email {
		return fmt.Errorf("NameID is %q, want %q", r.nameID, fixture.Email)
	}
	want := fixture.Groups(n)
	if len(r.groups) != len(want) {
		return fmt.Errorf("got %d group values, want %d", len(r.groups), len(want))
	}
	for i := range want {
		if r.groups[i] != want[i] {
			return fmt.Errorf("group %d is %q, want %q", i, r.groups[i], want[i])
		}
	}
	return nil
}
