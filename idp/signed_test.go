package idp

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/saml/samltest"
)

const (
	testSPEntityID = "https://share.example.com/saml/metadata"
	testACSURL     = "https://share.example.com/saml/acs"
)

// TestPresetsEndToEnd signs a vendor-shaped response with samltest, imports
// the test IdP's metadata, verifies the response with the Config's verifier
// and maps it: the whole path an administrator's Test Configuration takes.
func TestPresetsEndToEnd(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	kp := newKeyPair(t, "samltest", now.Add(-time.Hour), now.Add(1000*time.Hour))
	for _, tt := range vendorAssertions() {
		t.Run(tt.name, func(t *testing.T) {
			test, err := samltest.New(samltest.Config{EntityID: "https://idp.example.com/" +
				tt.preset.String(), Key: kp.key, Certificate: kp.cert, Now: fixedClock(now)})
			require.NoError(t, err)
			mdXML, err := test.Metadata("https://idp.example.com/sso", "")
			require.NoError(t, err)
			md, err := ParseMetadata(mdXML, MetadataOptions{Now: fixedClock(now)})
			require.NoError(t, err)

			cfg := &Config{Name: "e2e", Preset: tt.preset, Mapping: tt.mapping}
			cfg.ApplyMetadata(md.IDP)
			require.NoError(t, cfg.Validate())
			v, err := cfg.NewVerifier(ServiceProvider{EntityID: testSPEntityID,
				ACSURLs: []string{testACSURL}, Now: fixedClock(now)})
			require.NoError(t, err)

			nameID := tt.nameID
			if nameID.Value == "" {
				nameID = saml.NameID{Value: "opaque-id", Format: saml.NameIDFormatPersistent}
			}
			form, err := test.PostValue(samltest.ResponseOptions{
				Destination: testACSURL, Audience: testSPEntityID, InResponseTo: "id-req1",
				NameID: nameID.Value, NameIDFormat: nameID.Format, Attributes: tt.attrs,
				SignAssertion: true,
			})
			require.NoError(t, err)
			a, err := v.Verify(context.Background(), []byte(form), []string{"id-req1"})
			require.NoError(t, err)

			p, err := cfg.Map(a)
			require.NoError(t, err)
			assert.Equal(t, tt.want.Email, p.Email)
			assert.Equal(t, tt.want.FirstName, p.FirstName)
			assert.Equal(t, tt.want.LastName, p.LastName)
			assert.Equal(t, tt.want.DisplayName, p.DisplayName)
			assert.Equal(t, tt.want.Groups, p.Groups)
			assert.Equal(t, tt.want.GroupsOverage, p.GroupsOverage)
			assert.Equal(t, nameID.Value, p.NameID.Value)
			assert.NotEmpty(t, p.SessionIndex)
		})
	}
}

// TestRealSamplesMapped verifies real IdP responses from the public samples
// with a Config built the way an administrator would, and maps them.
func TestRealSamplesMapped(t *testing.T) {
	tests := []struct {
		name       string
		response   string
		certFile   string
		entityID   string
		spEntityID string
		acs        string
		requestID  string
		now        time.Time
		preset     Preset
		mapping    AttributeMapping
		want       Profile
	}{
		{name: "adfs claim uris", response: "adfs-response.b64", certFile: "adfs-cert.pem",
			entityID:   "http://fs.spstest2.com/adfs/services/trust",
			spEntityID: "https://saml.test.nope/session/sso/saml/spentityid/dknhyszjl7",
			acs:        "https://saml.test.nope/session/sso/saml/acs/dknhyszjl7",
			requestID:  "_5988bf45-1cc8-4228-b3e8-1aa8590e63d3",
			now:        time.Date(2017, 9, 21, 23, 28, 0, 0, time.UTC), preset: PresetADFS,
			want: Profile{Email: "paul@spstest2.com", FirstName: "paul", LastName: "fraley"}},
		{name: "pingfederate packed groups", response: "pingfed-response.b64",
			certFile: "pingfed-cert.pem", entityID: "https://saml.test.nope:9031/eid/sxpmrhbkzn",
			spEntityID: "https://saml.test.nope/session/sso/saml/spentityid/hp24dqnpvq",
			acs:        "https://saml.test.nope/session/sso/saml/acs/hp24dqnpvq",
			requestID:  "_27242a27-9aea-40d6-b603-c1d6daa198d4",
			now:        time.Date(2017, 9, 2, 0, 12, 30, 0, time.UTC), preset: PresetPing,
			mapping: AttributeMapping{GroupsDelimiter: ","},
			want: Profile{Email: "firstlast@saml.test.nope", FirstName: "First", LastName: "Last",
				Groups: []string{"red", "green", "blue"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certs, err := ParseCertificates(string(readTestdata(t, tt.certFile)))
			require.NoError(t, err)
			cfg := &Config{Name: tt.name, EntityID: tt.entityID, SSOURL: "https://idp/sso",
				SigningCertificates: certs, Preset: tt.preset, Mapping: tt.mapping}
			v, err := cfg.NewVerifier(ServiceProvider{EntityID: tt.spEntityID,
				ACSURLs: []string{tt.acs}, Now: fixedClock(tt.now)})
			require.NoError(t, err)
			a, err := v.Verify(context.Background(), readTestdata(t, tt.response),
				[]string{tt.requestID})
			require.NoError(t, err)

			r := cfg.Report(a, ReportOptions{Now: tt.now})
			require.True(t, r.OK, "%v", r.Errors)
			assert.Equal(t, tt.want.Email, r.Profile.Email)
			assert.Equal(t, tt.want.FirstName, r.Profile.FirstName)
			assert.Equal(t, tt.want.LastName, r.Profile.LastName)
			assert.Equal(t, tt.want.Groups, r.Profile.Groups)
		})
	}
}

// TestGoogleSampleNeedsGooglePreset shows the Google quirk on the real
// Google response: its NameID has no format, so only the Google preset
// takes it as the email address.
func TestGoogleSampleNeedsGooglePreset(t *testing.T) {
	now := time.Date(2016, 1, 5, 16, 56, 0, 0, time.UTC)
	md, err := ParseMetadata(readTestdata(t, "google-metadata.xml"),
		MetadataOptions{Now: fixedClock(now)})
	require.NoError(t, err)

	for _, preset := range []Preset{PresetGeneric, PresetGoogle} {
		t.Run(preset.String(), func(t *testing.T) {
			cfg := &Config{Name: "google", Preset: preset}
			cfg.ApplyMetadata(md.IDP)
			v, err := cfg.NewVerifier(ServiceProvider{
				EntityID: "https://29ee6d2e.ngrok.io/saml/metadata",
				ACSURLs:  []string{"https://29ee6d2e.ngrok.io/saml/acs"}, Now: fixedClock(now)})
			require.NoError(t, err)
			a, err := v.Verify(context.Background(), readTestdata(t, "google-response.b64"),
				[]string{"id-fd419a5ab0472645427f8e07d87a3a5dd0b2e9a6"})
			require.NoError(t, err)

			p, err := cfg.Map(a)
			if preset == PresetGeneric {
				var me *MappingError
				require.ErrorAs(t, err, &me)
				assert.Contains(t, me.Arrived, "firstName")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "ross@octolabs.io", p.Email)
			assert.Equal(t, "Ross", p.FirstName)
			assert.Equal(t, "Kinder", p.LastName)
			assert.Empty(t, p.Groups)
		})
	}
}
