package benchmarks

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	crewjam "github.com/crewjam/saml"
	saml2 "github.com/russellhaering/gosaml2"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/secureshare/secureshare/benchmarks/internal/fixture"
	"github.com/secureshare/secureshare/saml"
)

// setup is what every library is configured with: who we are, whom we
// trust, what time it is and which AuthnRequests are outstanding.
type setup struct {
	spEntityID string
	cert       *x509.Certificate
	now        time.Time
	requestIDs []string

	// maxResponseSize is our verifier's MaxResponseSize; zero keeps its
	// default. The peers have no such setting.
	maxResponseSize int
}

// defaultSetup is the configuration under which every library must accept
// the fixtures.
func defaultSetup(cert *x509.Certificate) setup {
	return setup{
		spEntityID: fixture.SPEntityID,
		cert:       cert,
		now:        fixture.Now(),
		requestIDs: []string{fixture.RequestID},
	}
}

// result is what every library must return for an accepted Response.
type result struct {
	nameID string
	groups []string
}

// library is one SAML service-provider implementation under test. bind
// turns the posted SAMLResponse form value into a call that validates it
// with every check the library offers; the conversion of the form value
// into the library's input type happens once, outside the call.
type library struct {
	name string
	bind func(s setup, form []byte) (func() (result, error), error)
}

// libraries returns ours first, then the peers.
func libraries() []library {
	return []library{
		{name: "secureshare", bind: bindSecureShare},
		{name: "crewjam", bind: bindCrewjam},
		{name: "gosaml2", bind: bindGosaml2},
	}
}

// knownRefusal returns the error text with which lib refuses the n-group
// fixture although the fixture is valid, or "" when lib accepts it.
//
// gosaml2 finds and then detaches the assertion with goxmldsig's namespace
// traversal, which shares one budget of 1,000 elements between the two
// walks; gosaml2 does not let its caller raise it. With this fixture's
// shape that refuses anything over 463 group values.
func knownRefusal(lib string, n int) string {
	if lib == "gosaml2" && n > 463 {
		return "traversal limit reached"
	}
	return ""
}

// nopReplayCache accepts every assertion ID, so that one Response can be
// verified over and over. Real deployments use a cache that refuses a
// second use; its cost (a map or database write) is not measured here.
type nopReplayCache struct{}

func (nopReplayCache) ClaimAssertion(context.Context, string, time.Time) (bool, error) {
	return true, nil
}

// Consume is the crewjam/saml form of the same no-op.
func (nopReplayCache) Consume(string, time.Time) error { return nil }

// bindSecureShare validates with our saml.Verifier and its defaults: every
// check on, 256 KiB size limit, 90 s skew.
func bindSecureShare(s setup, form []byte) (func() (result, error), error) {
	v, err := saml.NewVerifier(saml.VerifierConfig{
		SPEntityID:      s.spEntityID,
		ACSURLs:         []string{fixture.ACSURL},
		IDPEntityID:     fixture.IDPEntityID,
		IDPCertificates: []*x509.Certificate{s.cert},
		Now:             func() time.Time { return s.now },
		ReplayCache:     nopReplayCache{},
		MaxResponseSize: s.maxResponseSize,
	})
	if err != nil {
		return nil, err
	}

	ctx := context.Background()
	return func() (result, error) {
		a, err := v.Verify(ctx, form, s.requestIDs)
		if err != nil {
			return result{}, err
		}
		g, _ := a.Attribute("groups")
		return result{nameID: a.Subject.Value, groups: g.Values}, nil
	}, nil
}

// bindCrewjam validates with crewjam/saml's ServiceProvider, the way its
// ParseResponse does for an HTTP-POST: base64-decode the form value, then
// ParseXMLResponse. The clock is set through the ServiceProvider's own
// Clock field.
func bindCrewjam(s setup, form []byte) (func() (result, error), error) {
	acs, err := url.Parse(fixture.ACSURL)
	if err != nil {
		return nil, err
	}
	sp := &crewjam.ServiceProvider{
		EntityID:    s.spEntityID,
		AcsURL:      *acs,
		IDPMetadata: crewjamIDPMetadata(s.cert),
		Clock:       dsig.NewFakeClockAt(s.now),
		ReplayCache: nopReplayCache{},
	}

	value := string(form)
	return func() (result, error) {
		raw, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return result{}, err
		}
		a, err := sp.ParseXMLResponse(raw, s.requestIDs, *acs)
		if err != nil {
			var ire *crewjam.InvalidResponseError
			if errors.As(err, &ire) {
				err = fmt.Errorf("%w: %w", err, ire.PrivateErr)
			}
			return result{}, err
		}
		r := result{}
		if a.Subject != nil && a.Subject.NameID != nil {
			r.nameID = a.Subject.NameID.Value
		}
		for _, st := range a.AttributeStatements {
			for _, at := range st.Attributes {
				if at.Name != "groups" {
					continue
				}
				for _, v := range at.Values {
					r.groups = append(r.groups, v.Value)
				}
			}
		}
		return r, nil
	}, nil
}

// crewjamIDPMetadata is the IdP metadata crewjam/saml needs: the entity ID
// and one signing certificate.
func crewjamIDPMetadata(cert *x509.Certificate) *crewjam.EntityDescriptor {
	kd := crewjam.KeyDescriptor{Use: "signing", KeyInfo: crewjam.KeyInfo{
		X509Data: crewjam.X509Data{X509Certificates: []crewjam.X509Certificate{
			{Data: base64.StdEncoding.EncodeToString(cert.Raw)},
		}},
	}}
	return &crewjam.EntityDescriptor{
		EntityID: fixture.IDPEntityID,
		IDPSSODescriptors: []crewjam.IDPSSODescriptor{{
			SSODescriptor: crewjam.SSODescriptor{RoleDescriptor: crewjam.RoleDescriptor{
				ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol",
				KeyDescriptors:             []crewjam.KeyDescriptor{kd},
			}},
		}},
	}
}

// bindGosaml2 validates with gosaml2's RetrieveAssertionInfo. gosaml2
// leaves three checks to its caller, so they are done here as a user must:
// the validity window and the audience come back as warnings, and
// InResponseTo is not compared with outstanding requests at all.
func bindGosaml2(s setup, form []byte) (func() (result, error), error) {
	sp := &saml2.SAMLServiceProvider{
		IdentityProviderIssuer:      fixture.IDPEntityID,
		AssertionConsumerServiceURL: fixture.ACSURL,
		ServiceProviderIssuer:       s.spEntityID,
		AudienceURI:                 s.spEntityID,
		IDPCertificateStore: &dsig.MemoryX509CertificateStore{
			Roots: []*x509.Certificate{s.cert},
		},
		Clock: dsig.NewFakeClockAt(s.now),
	}

	value := string(form)
	return func() (result, error) {
		info, err := sp.RetrieveAssertionInfo(value)
		if err != nil {
			return result{}, err
		}
		switch {
		case info.WarningInfo.InvalidTime:
			return result{}, errors.New("gosaml2: assertion outside its validity window")
		case info.WarningInfo.NotInAudience:
			return result{}, errors.New("gosaml2: assertion not for this audience")
		}
		sc := info.Assertions[0].Subject.SubjectConfirmation
		if sc == nil || sc.SubjectConfirmationData == nil ||
			!slices.Contains(s.requestIDs, sc.SubjectConfirmationData.InResponseTo) {
			return result{}, errors.New("gosaml2: InResponseTo is not an outstanding request")
		}
		r := result{nameID: info.NameID}
		for _, v := range info.Values["groups"].Values {
			r.groups = append(r.groups, v.Value)
		}
		return r, nil
	}, nil
}
