package storetest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
)

// largeMetadata is the size of the metadata document the suite stores to
// check that big documents (federation aggregates) round-trip.
const largeMetadata = 1 << 20

// testCertificate returns a self-signed P-256 certificate for cn.
func testCertificate(t *testing.T, cn string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    start.Add(-time.Hour),
		NotAfter:     start.Add(365 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert
}

// fullIDPConfig returns an IdP configuration named name with every field
// set, the Config's and its mapping's too, except Version, which is zero
// so that Put creates it.
func fullIDPConfig(t *testing.T, name string) idp.StoredConfig {
	t.Helper()
	return idp.StoredConfig{
		Config: idp.Config{
			Name:       name,
			EntityID:   "http://www.okta.com/" + name,
			SSOURL:     "https://" + name + ".okta.com/app/sso/saml",
			SSOBinding: saml.BindingHTTPPost,
			SLOURL:     "https://" + name + ".okta.com/app/slo/saml",
			SigningCertificates: []*x509.Certificate{
				testCertificate(t, name+" old"), testCertificate(t, name+" new"),
			},
			MetadataValidUntil:              start.Add(48*time.Hour + time.Nanosecond),
			SignAuthnRequests:               true,
			NameIDFormat:                    saml.NameIDFormatEmailAddress,
			AllowIDPInitiated:               true,
			RequireSignedAssertions:         true,
			InsecureAllowSHA1:               true,
			InsecureAllowRSA15:              true,
			InsecureIgnoreCertificateExpiry: true,
			ClockSkew:                       90*time.Second + time.Nanosecond,
			Preset:                          idp.PresetOkta,
			Mapping: idp.AttributeMapping{
				Email:                 "mail",
				FirstName:             "givenName",
				LastName:              "sn",
				DisplayName:           "displayName ✓",
				Groups:                "memberOf",
				GroupsDelimiter:       ";",
				GroupsCaseInsensitive: true,
			},
			EmailDomains: []string{name + ".example", "partner.example"},
		},
		MetadataURL:  "https://" + name + ".okta.com/app/exk1/sso/saml/metadata",
		Metadata:     []byte(`<md:EntityDescriptor entityID="http://www.okta.com/` + name + `"/>`),
		ETag:         `W/"` + name + `-1"`,
		LastModified: "Sat, 14 Mar 2026 15:00:00 GMT",
		FetchedAt:    start.Add(-time.Minute),
		LastAttempt:  start.Add(time.Microsecond).In(time.FixedZone("UTC+5:30", 5*3600+1800)),
		LastError:    "idp: fetching metadata from https://" + name + ".okta.com: HTTP status 503",
		Updated:      start,
		UpdatedBy:    "admin@example.com",
	}
}

// plainIDPConfig returns an IdP configuration with only a name and an
// entity ID.
func plainIDPConfig(name, entityID string) idp.StoredConfig {
	return idp.StoredConfig{Config: idp.Config{Name: name, EntityID: entityID}}
}

// assertSameIDPConfig compares two stored configurations: certificates by
// their DER bytes, times by instant.
func assertSameIDPConfig(t *testing.T, want, got idp.StoredConfig, msg string) {
	t.Helper()
	wc, gc := want.Config.SigningCertificates, got.Config.SigningCertificates
	if assert.Len(t, gc, len(wc), "%s: signing certificates", msg) {
		for i := range wc {
			assert.Equal(t, wc[i].Raw, gc[i].Raw, "%s: signing certificate %d", msg, i+1)
		}
	}
	want.Config.SigningCertificates, got.Config.SigningCertificates = nil, nil
	assert.Equal(t, utc(want), utc(got), msg)
}

// requireIDPConfig reads the configuration named name or fails t.
func requireIDPConfig(t *testing.T, s Store, name string) idp.StoredConfig {
	t.Helper()
	got, err := s.IDPConfig(context.Background(), name)
	require.NoError(t, err, "reading IdP %q", name)
	return got
}

// putIDPConfig stores c or fails t, and returns the stored copy.
func putIDPConfig(t *testing.T, s Store, c idp.StoredConfig) idp.StoredConfig {
	t.Helper()
	got, err := s.PutIDPConfig(context.Background(), c)
	require.NoError(t, err, "storing IdP %q at version %d", c.Config.Name, c.Version)
	return got
}

// idpNames returns the names of configs, in order.
func idpNames(configs []idp.StoredConfig) []string {
	names := make([]string, len(configs))
	for i, c := range configs {
		names[i] = c.Config.Name
	}
	return names
}

func (h *harness) testIDPConfigs(t *testing.T) {
	ctx := context.Background()

	t.Run("not found", func(t *testing.T) {
		s, _, _ := h.open(t)
		putIDPConfig(t, s, plainIDPConfig("okta", "urn:okta"))

		_, err := s.IDPConfig(ctx, "entra")
		assert.ErrorIs(t, err, idp.ErrNotFound, "IDPConfig")
		_, err = s.IDPConfig(ctx, "OKTA")
		assert.ErrorIs(t, err, idp.ErrNotFound, "IDPConfig with the name in another case")
		c := plainIDPConfig("entra", "urn:entra")
		c.Version = 1
		_, err = s.PutIDPConfig(ctx, c)
		assert.ErrorIs(t, err, idp.ErrNotFound, "PutIDPConfig updating")
		assert.ErrorIs(t, s.DeleteIDPConfig(ctx, "entra"), idp.ErrNotFound, "DeleteIDPConfig")
		_, err = s.IDPConfig(ctx, "entra")
		assert.ErrorIs(t, err, idp.ErrNotFound, "a refused update created the configuration")
	})

	t.Run("create and read back every field", func(t *testing.T) {
		s, _, _ := h.open(t)
		c := fullIDPConfig(t, "okta")
		requireAllSet(t, c.Config)
		requireAllSet(t, c.Config.Mapping)

		created := putIDPConfig(t, s, c)
		requireAllSet(t, created)
		want := c
		want.Version = 1
		assertSameIDPConfig(t, want, created, "returned by PutIDPConfig")
		assertSameIDPConfig(t, want, requireIDPConfig(t, s, "okta"), "returned by IDPConfig")
		list, err := s.ListIDPConfigs(ctx)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assertSameIDPConfig(t, want, list[0], "returned by ListIDPConfigs")
	})

	t.Run("optional fields left zero stay zero", func(t *testing.T) {
		s, _, _ := h.open(t)
		putIDPConfig(t, s, idp.StoredConfig{Config: idp.Config{Name: "typed"}})

		got := requireIDPConfig(t, s, "typed")
		assert.Empty(t, got.Config.SigningCertificates)
		assert.Nil(t, got.Metadata, "Metadata")
		assert.True(t, got.FetchedAt.IsZero(), "FetchedAt %v", got.FetchedAt)
		assert.True(t, got.LastAttempt.IsZero(), "LastAttempt %v", got.LastAttempt)
		assert.True(t, got.Updated.IsZero(), "Updated %v", got.Updated)
		assert.Equal(t, idp.StoredConfig{Config: idp.Config{Name: "typed"}, Version: 1},
			utc(clearCertificates(got)))
	})

	t.Run("create conflicts", func(t *testing.T) {
		cases := []struct {
			name string
			c    idp.StoredConfig
		}{
			{"same name", plainIDPConfig("okta", "urn:other")},
			{"same entity ID", plainIDPConfig("okta-2", "http://www.okta.com/okta")},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s, _, _ := h.open(t)
				first := putIDPConfig(t, s, fullIDPConfig(t, "okta"))

				_, err := s.PutIDPConfig(ctx, tc.c)
				require.ErrorIs(t, err, idp.ErrConflict)
				assertSameIDPConfig(t, first, requireIDPConfig(t, s, "okta"),
					"first configuration changed")
				_, err = s.IDPConfig(ctx, "okta-2")
				assert.ErrorIs(t, err, idp.ErrNotFound, "conflicting configuration was stored")
			})
		}
	})

	t.Run("configurations without an entity ID do not conflict", func(t *testing.T) {
		s, _, _ := h.open(t)
		putIDPConfig(t, s, plainIDPConfig("draft-1", ""))
		putIDPConfig(t, s, plainIDPConfig("draft-2", ""))
	})

	t.Run("update replaces every field and bumps the version", func(t *testing.T) {
		s, _, _ := h.open(t)
		created := putIDPConfig(t, s, fullIDPConfig(t, "okta"))
		putIDPConfig(t, s, fullIDPConfig(t, "entra"))

		next := plainIDPConfig("okta", "http://www.okta.com/okta-renamed")
		next.Updated, next.UpdatedBy = start.Add(time.Hour), "bob@example.com"
		next.Version = created.Version
		updated := putIDPConfig(t, s, next)
		want := next
		want.Version = 2
		assertSameIDPConfig(t, want, updated, "returned by PutIDPConfig")
		assertSameIDPConfig(t, want, requireIDPConfig(t, s, "okta"), "returned by IDPConfig")

		again := fullIDPConfig(t, "okta")
		again.Version = updated.Version
		again = putIDPConfig(t, s, again)
		assert.Equal(t, int64(3), again.Version)
		assertSameIDPConfig(t, again, requireIDPConfig(t, s, "okta"), "after a second update")
		other := fullIDPConfig(t, "entra")
		other.Version = 1
		assert.Equal(t, utc(clearCertificates(other)),
			utc(clearCertificates(requireIDPConfig(t, s, "entra"))), "another IdP changed")
	})

	t.Run("update errors", func(t *testing.T) {
		s, _, _ := h.open(t)
		putIDPConfig(t, s, fullIDPConfig(t, "okta"))
		entra := putIDPConfig(t, s, fullIDPConfig(t, "entra"))
		entra = putIDPConfig(t, s, entra) // now at version 2

		stale := entra
		stale.Version = 1
		stale.UpdatedBy = "stale@example.com"
		_, err := s.PutIDPConfig(ctx, stale)
		assert.ErrorIs(t, err, idp.ErrConflict, "stale version")
		ahead := entra
		ahead.Version = 3
		_, err = s.PutIDPConfig(ctx, ahead)
		assert.ErrorIs(t, err, idp.ErrConflict, "version not yet written")
		taken := entra
		taken.Config.EntityID = "http://www.okta.com/okta"
		_, err = s.PutIDPConfig(ctx, taken)
		assert.ErrorIs(t, err, idp.ErrConflict, "another IdP's entity ID")
		assertSameIDPConfig(t, entra, requireIDPConfig(t, s, "entra"),
			"configuration changed by a refused update")
	})

	t.Run("refuses an empty name and a negative version", func(t *testing.T) {
		s, _, _ := h.open(t)
		_, err := s.PutIDPConfig(ctx, plainIDPConfig("", "urn:x"))
		assert.Error(t, err, "empty name")
		neg := plainIDPConfig("x", "urn:x")
		neg.Version = -1
		_, err = s.PutIDPConfig(ctx, neg)
		assert.Error(t, err, "negative version")
		list, err := s.ListIDPConfigs(ctx)
		require.NoError(t, err)
		assert.Empty(t, list, "a refused configuration was stored")
	})

	t.Run("list is ordered by name", func(t *testing.T) {
		s, _, _ := h.open(t)
		list, err := s.ListIDPConfigs(ctx)
		require.NoError(t, err)
		assert.Empty(t, list, "empty store")

		for i, name := range []string{"okta", "entra", "Okta", "adfs-2", "adfs-10", "ádfs"} {
			putIDPConfig(t, s, plainIDPConfig(name, fmt.Sprintf("urn:idp:%d", i)))
		}
		list, err = s.ListIDPConfigs(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"Okta", "adfs-10", "adfs-2", "entra", "okta", "ádfs"},
			idpNames(list), "byte-wise order")
		assert.Equal(t, "urn:idp:3", list[2].Config.EntityID, "rows and names match")
	})

	t.Run("delete", func(t *testing.T) {
		s, _, _ := h.open(t)
		putIDPConfig(t, s, fullIDPConfig(t, "okta"))
		entra := putIDPConfig(t, s, fullIDPConfig(t, "entra"))

		require.NoError(t, s.DeleteIDPConfig(ctx, "okta"))
		_, err := s.IDPConfig(ctx, "okta")
		assert.ErrorIs(t, err, idp.ErrNotFound, "read after delete")
		assert.ErrorIs(t, s.DeleteIDPConfig(ctx, "okta"), idp.ErrNotFound, "second delete")
		list, err := s.ListIDPConfigs(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"entra"}, idpNames(list))
		assertSameIDPConfig(t, entra, requireIDPConfig(t, s, "entra"), "another IdP changed")

		again := putIDPConfig(t, s, fullIDPConfig(t, "okta"))
		assert.Equal(t, int64(1), again.Version, "a re-created configuration starts over")
	})

	t.Run("large metadata round-trips byte for byte", func(t *testing.T) {
		s, _, _ := h.open(t)
		c := fullIDPConfig(t, "aggregate")
		c.Metadata = make([]byte, largeMetadata)
		_, err := rand.Read(c.Metadata)
		require.NoError(t, err)
		c.Metadata[0], c.Metadata[len(c.Metadata)-1] = 0, 0xff

		putIDPConfig(t, s, c)
		got := requireIDPConfig(t, s, "aggregate")
		assert.True(t, bytes.Equal(c.Metadata, got.Metadata), "stored %d bytes, read %d",
			len(c.Metadata), len(got.Metadata))
	})

	t.Run("returned values do not share slices with the store", func(t *testing.T) {
		s, _, _ := h.open(t)
		c := fullIDPConfig(t, "okta")
		putIDPConfig(t, s, c)
		c.Metadata[0] = 'X'
		c.Config.EmailDomains[0] = "changed.example"

		got := requireIDPConfig(t, s, "okta")
		assert.Equal(t, byte('<'), got.Metadata[0], "store kept the caller's Metadata")
		assert.Equal(t, "okta.example", got.Config.EmailDomains[0])
		got.Metadata[0] = 'Y'
		got.Config.EmailDomains[0] = "changed.example"
		again := requireIDPConfig(t, s, "okta")
		assert.Equal(t, byte('<'), again.Metadata[0], "store handed out its Metadata")
		assert.Equal(t, "okta.example", again.Config.EmailDomains[0])
	})

	t.Run("concurrent updates of one version", h.testConcurrentIDPUpdates)
	t.Run("concurrent creates of one name", h.testConcurrentIDPCreates)

	t.Run("data survives close and reopen", func(t *testing.T) {
		s, _, reopen := h.open(t)
		requireReopen(t, reopen)
		okta := putIDPConfig(t, s, fullIDPConfig(t, "okta"))
		okta = putIDPConfig(t, s, okta)
		entra := putIDPConfig(t, s, fullIDPConfig(t, "entra"))
		require.NoError(t, s.Close())

		r := reopen()
		assertSameIDPConfig(t, okta, requireIDPConfig(t, r, "okta"), "okta")
		list, err := r.ListIDPConfigs(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"entra", "okta"}, idpNames(list))
		assertSameIDPConfig(t, entra, list[0], "entra")
		stale := okta
		stale.Version = 1
		_, err = r.PutIDPConfig(ctx, stale)
		assert.ErrorIs(t, err, idp.ErrConflict, "the version survives too")
	})

	t.Run("a second store sees the first one's writes", func(t *testing.T) {
		s, _, reopen := h.open(t)
		requireReopen(t, reopen)
		other := reopen()

		created := putIDPConfig(t, s, fullIDPConfig(t, "okta"))
		assertSameIDPConfig(t, created, requireIDPConfig(t, other, "okta"), "other store")
		_, err := other.PutIDPConfig(ctx, fullIDPConfig(t, "okta"))
		assert.ErrorIs(t, err, idp.ErrConflict, "create on the other store")
		require.NoError(t, other.DeleteIDPConfig(ctx, "okta"))
		_, err = s.IDPConfig(ctx, "okta")
		assert.ErrorIs(t, err, idp.ErrNotFound, "deleted by the other store")
	})
}

// testConcurrentIDPUpdates has claimers goroutines, spread over two stores
// when the backend can reopen, update one configuration from the version
// they all read: exactly one may succeed, and its write is what remains.
func (h *harness) testConcurrentIDPUpdates(t *testing.T) {
	s, _, reopen := h.open(t)
	stores := []Store{s}
	if reopen != nil {
		stores = append(stores, reopen())
	}
	read := putIDPConfig(t, s, fullIDPConfig(t, "okta"))

	puts := make([]idp.StoredConfig, claimers)
	for i := range puts {
		puts[i] = read
		puts[i].UpdatedBy = fmt.Sprintf("admin-%d@example.com", i)
		puts[i].Config.EntityID = fmt.Sprintf("urn:okta:%d", i)
	}
	won := racePuts(t, stores, puts, idp.ErrConflict)

	require.Len(t, won, 1, "updates that succeeded")
	for _, st := range stores {
		got := requireIDPConfig(t, st, "okta")
		assert.Equal(t, int64(2), got.Version)
		assert.Equal(t, puts[won[0]].UpdatedBy, got.UpdatedBy, "stored update is the winner's")
		assert.Equal(t, puts[won[0]].Config.EntityID, got.Config.EntityID)
	}
}

// testConcurrentIDPCreates has claimers goroutines, spread over two stores
// when the backend can reopen, create configurations of one name: exactly
// one may succeed.
func (h *harness) testConcurrentIDPCreates(t *testing.T) {
	s, _, reopen := h.open(t)
	stores := []Store{s}
	if reopen != nil {
		stores = append(stores, reopen())
	}

	puts := make([]idp.StoredConfig, claimers)
	for i := range puts {
		puts[i] = plainIDPConfig("okta", fmt.Sprintf("urn:okta:%d", i))
	}
	won := racePuts(t, stores, puts, idp.ErrConflict)

	require.Len(t, won, 1, "creates that succeeded")
	got := requireIDPConfig(t, s, "okta")
	assert.Equal(t, int64(1), got.Version)
	assert.Equal(t, puts[won[0]].Config.EntityID, got.Config.EntityID)
}

// racePuts stores puts[i] on stores[i%len(stores)], all at the same
// moment, and returns the indexes of the puts that succeeded. Every other
// put must fail with an error wrapping lost.
func racePuts(t *testing.T, stores []Store, puts []idp.StoredConfig, lost error) []int {
	t.Helper()
	var (
		mu    sync.Mutex
		won   []int
		lose  atomic.Int64
		wg    sync.WaitGroup
		ready sync.WaitGroup
		gate  = make(chan struct{})
		errs  = make(chan error, len(puts))
	)
	ready.Add(len(puts))
	for i, c := range puts {
		st := stores[i%len(stores)]
		wg.Go(func() {
			ready.Done()
			<-gate
			switch _, err := st.PutIDPConfig(context.Background(), c); {
			case err == nil:
				mu.Lock()
				won = append(won, i)
				mu.Unlock()
			case errors.Is(err, lost):
				lose.Add(1)
			default:
				errs <- err
			}
		})
	}
	ready.Wait()
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err, "concurrent put")
	}
	assert.Equal(t, int64(len(puts)-len(won)), lose.Load(), "puts refused with %v", lost)
	return won
}

// clearCertificates returns c without its signing certificates, for
// comparisons of the other fields.
func clearCertificates(c idp.StoredConfig) idp.StoredConfig {
	c.Config.SigningCertificates = nil
	return c
}
