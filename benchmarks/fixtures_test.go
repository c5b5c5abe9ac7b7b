package benchmarks

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/benchmarks/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite the response files in testdata")

// groupCounts are the attribute sizes measured besides the headline five.
// 2,000 is the size the issue requires our verifier to accept.
var groupCounts = []int{200, 1000, 2000}

// committed are the group counts whose Responses are kept in testdata.
var committed = []int{5, 200, 1000}

// oneMB is the size of the oversized post's decoded XML.
const oneMB = 1 << 20

// fixtures holds every Response the benchmarks use, built once.
type fixtures struct {
	idp       *fixture.IDP
	xml       map[int][]byte // decoded Response by number of group values
	large     []byte         // decoded Response of at least oneMB bytes
	largeN    int            // its number of group values
	otherCert *x509.Certificate
}

var (
	fixturesOnce sync.Once
	fixturesVal  *fixtures
	fixturesErr  error
)

// loadFixtures builds the fixtures on first use.
func loadFixtures(tb testing.TB) *fixtures {
	tb.Helper()
	fixturesOnce.Do(func() { fixturesVal, fixturesErr = buildFixtures() })
	require.NoError(tb, fixturesErr)
	return fixturesVal
}

func buildFixtures() (*fixtures, error) {
	idp, err := fixture.Load("testdata")
	if err != nil {
		return nil, err
	}

	f := &fixtures{idp: idp, xml: map[int][]byte{}}
	for _, n := range append([]int{5}, groupCounts...) {
		if f.xml[n], err = idp.Response(n); err != nil {
			return nil, err
		}
	}
	if f.large, f.largeN, err = idp.ResponseOfSize(oneMB); err != nil {
		return nil, err
	}

	pemData, err := os.ReadFile(filepath.Join("testdata", "other-idp-cert.pem"))
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(pemData)
	if block == nil {
		return nil, fmt.Errorf("testdata/other-idp-cert.pem holds no PEM block")
	}
	f.otherCert, err = x509.ParseCertificate(block.Bytes)
	return f, err
}

// form is the SAMLResponse form value a browser posts for doc.
func form(doc []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(doc))
}

// TestFixturesAreDeterministic checks that the generator reproduces the
// committed responses byte for byte (run with -update to rewrite them
// after changing the generator), and that their sizes are as described.
func TestFixturesAreDeterministic(t *testing.T) {
	f := loadFixtures(t)

	for _, n := range committed {
		t.Run(fmt.Sprintf("groups=%d", n), func(t *testing.T) {
			path := filepath.Join("testdata", fmt.Sprintf("okta-groups-%d.xml", n))
			if *update {
				require.NoError(t, os.WriteFile(path, f.xml[n], 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want, f.xml[n]), "%s differs from the generator's output", path)

			again, err := f.idp.Response(n)
			require.NoError(t, err)
			assert.Equal(t, f.xml[n], again)
		})
	}

	t.Run("sizes", func(t *testing.T) {
		assert.InDelta(t, 6<<10, len(f.xml[5]), 1<<10, "the headline response is about 6 KB")
		assert.GreaterOrEqual(t, len(f.large), oneMB)
		assert.Less(t, len(f.large), oneMB+1<<10)
	})
}
