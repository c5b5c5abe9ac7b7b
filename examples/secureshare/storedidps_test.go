package main

import (
	"crypto/x509"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
)

// configChanges names every field of idp.Config but Name (the key it is
// compared under): a field it missed would leave a change unserved.
func TestConfigChangesCoversEveryField(t *testing.T) {
	p1, _ := newPartnerIDP(t)
	p2, _ := newPartnerIDP(t)
	base := idp.Config{Name: "x", SSOBinding: saml.BindingHTTPPost,
		SigningCertificates: []*x509.Certificate{p1.Certificate()}}
	typ := reflect.TypeFor[idp.Config]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Name == "Name" {
			continue
		}
		changed := base
		v := reflect.ValueOf(&changed).Elem().Field(i)
		switch x := v.Addr().Interface().(type) {
		case *saml.Binding:
			*x = saml.BindingHTTPRedirect
		case *[]*x509.Certificate:
			*x = []*x509.Certificate{p2.Certificate()}
		case *time.Time:
			*x = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		case *time.Duration:
			*x = time.Minute
		case *idp.AttributeMapping:
			x.Email = "mail"
		case *[]string:
			*x = []string{"partner.example"}
		default:
			switch v.Kind() {
			case reflect.String:
				v.SetString("changed")
			case reflect.Bool:
				v.SetBool(true)
			default:
				t.Fatalf("field %s of type %s: teach this test to change it", f.Name, f.Type)
			}
		}
		assert.Equal(t, []string{f.Name}, configChanges(&base, &changed), f.Name)
	}
}

// A refresh compares the new configuration with what this instance
// serves, not with the stored copy: when another instance stored the same
// new metadata first, this one still serves it.
func TestRefreshAfterAnotherInstanceStoredIt(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	_, md := newPartnerIDP(t)
	first := withValidUntil(t, md, time.Now().Add(time.Hour))
	addIDP(t, d, c, map[string][]string{"name": {"partner"}, "mode": {"xml"},
		"xml": {string(first)}})
	ctx := t.Context()

	// Another instance fetched newer metadata and stored it.
	later := withValidUntil(t, md, time.Now().Add(48*time.Hour))
	parsed, err := idp.ParseMetadata(later, idp.MetadataOptions{})
	require.NoError(t, err)
	sc, err := d.s.store.IDPConfig(ctx, "partner")
	require.NoError(t, err)
	sc.Config.ApplyMetadata(parsed.IDP)
	sc.Metadata = later
	_, err = d.s.store.PutIDPConfig(ctx, sc)
	require.NoError(t, err)

	// This instance's refresher fetches the same.
	d.s.refreshed(ctx, "partner", idp.RefreshStatus{Metadata: parsed, LastAttempt: time.Now()}, nil)
	assert.True(t, parsed.IDP.ValidUntil.Equal(d.s.idpMap()["partner"].MetadataValidUntil),
		"served: %v", d.s.idpMap()["partner"].MetadataValidUntil)
}

// An IdP deleted and created again on another instance within one sync
// interval starts again at Version 1: the sync serves the new one anyway.
func TestSyncAfterDeleteAndCreateElsewhere(t *testing.T) {
	d, _ := demoWithHandmadeIDP(t)
	ctx := t.Context()

	sc, err := d.s.store.IDPConfig(ctx, "handmade")
	require.NoError(t, err)
	require.NoError(t, d.s.store.DeleteIDPConfig(ctx, "handmade"))
	sc.Version = 0
	sc.Config.SSOURL = "https://idp.hand.example/new-sso"
	sc.Updated = sc.Updated.Add(time.Second)
	again, err := d.s.store.PutIDPConfig(ctx, sc)
	require.NoError(t, err)
	require.Equal(t, int64(1), again.Version)

	require.NoError(t, d.s.syncStoredIDPs(ctx))
	assert.Equal(t, "https://idp.hand.example/new-sso", d.s.idpMap()["handmade"].SSOURL)
}

// A configuration stored before MetadataValidUntil existed gets it from
// its stored metadata when loaded, so that the limit holds for it too.
func TestStoredIDPWithoutValidUntilGetsItFromMetadata(t *testing.T) {
	d := startDemo(t, t.TempDir())
	_, md := newPartnerIDP(t)
	doc := withValidUntil(t, md, time.Now().Add(time.Hour))
	parsed, err := idp.ParseMetadata(doc, idp.MetadataOptions{})
	require.NoError(t, err)
	cfg := idp.Config{Name: "old"}
	cfg.ApplyMetadata(parsed.IDP)
	cfg.MetadataValidUntil = time.Time{} // as an older release stored it
	_, err = d.s.store.PutIDPConfig(t.Context(), idp.StoredConfig{Config: cfg, Metadata: doc,
		Updated: time.Now(), UpdatedBy: "admin"})
	require.NoError(t, err)

	require.NoError(t, d.s.syncStoredIDPs(t.Context()))
	got, ok := d.s.idpMap()["old"]
	require.True(t, ok, "served")
	assert.True(t, parsed.IDP.ValidUntil.Equal(got.MetadataValidUntil), "%v", got.MetadataValidUntil)
}
