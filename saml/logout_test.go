package saml

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testIDPEntityID = "https://idp.example.org"
	testSLOURL      = "https://sp.example.com/saml/slo"
)

func TestNewLogoutVerifierRefuses(t *testing.T) {
	cert := loadTestCert(t, "testdata/logout/idp-rsa-cert.pem")
	good := LogoutVerifierConfig{SLOURLs: []string{testSLOURL}, IDPEntityID: testIDPEntityID,
		IDPCertificates: []*x509.Certificate{cert}}
	tests := []struct {
		name string
		mod  func(*LogoutVerifierConfig)
		msg  string
	}{
		{"no SLO URL", func(c *LogoutVerifierConfig) { c.SLOURLs = nil }, "SLO URL"},
		{"no IdP entity ID", func(c *LogoutVerifierConfig) { c.IDPEntityID = "" }, "IDPEntityID"},
		{"no certificate", func(c *LogoutVerifierConfig) { c.IDPCertificates = nil },
			"certificate"},
		{"nil certificate", func(c *LogoutVerifierConfig) {
			c.IDPCertificates = []*x509.Certificate{nil}
		}, "certificate"},
		{"huge skew", func(c *LogoutVerifierConfig) { c.ClockSkew = time.Hour }, "ClockSkew"},
		{"negative size", func(c *LogoutVerifierConfig) { c.MaxMessageSize = -1 }, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.mod(&cfg)
			v, err := NewLogoutVerifier(cfg)
			assert.Nil(t, v)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
	v, err := NewLogoutVerifier(good)
	require.NoError(t, err)
	assert.NotNil(t, v)
}

// logoutCase changes a default IdP message and says what the verifier
// should do with it.
type logoutCase struct {
	name  string
	mod   func(el *etree.Element)
	cfg   func(c *LogoutVerifierConfig)
	check Check // empty: accepted
	// postCheck, when set, replaces check for the POST binding.
	postCheck Check
}

func TestVerifyLogoutRequest(t *testing.T) {
	issued := func(d time.Duration) func(*etree.Element) {
		return setAttr("IssueInstant", stampAt(requestClock.Add(d)))
	}
	expires := func(d time.Duration) func(*etree.Element) {
		return setAttr("NotOnOrAfter", stampAt(requestClock.Add(d)))
	}
	tests := []logoutCase{
		{name: "valid"},
		{name: "issued within the skew ahead", mod: issued(80 * time.Second)},
		{name: "issued in the future", mod: issued(2 * time.Minute), check: CheckNotBefore},
		{name: "issued 6 minutes ago", mod: issued(-6 * time.Minute)},
		{name: "too old", mod: issued(-7 * time.Minute), check: CheckNotOnOrAfter},
		{name: "longer issue delay allowed", mod: issued(-7 * time.Minute),
			cfg: func(c *LogoutVerifierConfig) { c.MaxIssueDelay = 10 * time.Minute }},
		{name: "no IssueInstant", mod: removeAttr("IssueInstant"), check: CheckSchema},
		{name: "malformed IssueInstant", mod: setAttr("IssueInstant", "yesterday"),
			check: CheckSchema},
		{name: "NotOnOrAfter ahead", mod: expires(time.Minute)},
		{name: "NotOnOrAfter passed", mod: expires(-2 * time.Minute), check: CheckNotOnOrAfter},
		{name: "wrong issuer", mod: setChildText("Issuer", "https://evil.example"),
			check: CheckIssuer},
		{name: "no issuer", mod: removeChild("Issuer"), check: CheckIssuer},
		{name: "wrong destination", mod: setAttr("Destination", "https://other.example.com/slo"),
			check: CheckDestination},
		{name: "no destination", mod: removeAttr("Destination"), check: CheckDestination},
		{name: "second SLO URL", mod: setAttr("Destination", "https://sp.example.com/saml/slo2"),
			cfg: func(c *LogoutVerifierConfig) {
				c.SLOURLs = append(c.SLOURLs, "https://sp.example.com/saml/slo2")
			}},
		{name: "version 1.1", mod: setAttr("Version", "1.1"), check: CheckVersion},
		{name: "no ID", mod: removeAttr("ID"), check: CheckSchema, postCheck: CheckSignature},
		{name: "no NameID", mod: removeChild("NameID"), check: CheckSchema},
		{name: "two NameIDs", mod: func(el *etree.Element) {
			n := el.SelectElement("NameID").Copy()
			el.InsertChildAt(2, n)
		}, check: CheckSchema},
		{name: "EncryptedID", mod: func(el *etree.Element) {
			el.SelectElement("NameID").Tag = "EncryptedID"
		}, check: CheckSchema},
		{name: "not a LogoutRequest", mod: func(el *etree.Element) { el.Tag = "AuthnRequest" },
			check: CheckSchema},
		{name: "too large", cfg: func(c *LogoutVerifierConfig) { c.MaxMessageSize = 200 },
			check: CheckSize},
		{name: "metadata valid a second more", cfg: func(c *LogoutVerifierConfig) {
			c.IDPCertificatesValidUntil = requestClock.Add(time.Second)
		}},
		{name: "metadata expired", cfg: func(c *LogoutVerifierConfig) {
			c.IDPCertificatesValidUntil = requestClock
		}, check: CheckMetadataExpired},
	}
	for _, binding := range []Binding{BindingHTTPRedirect, BindingHTTPPost} {
		for _, tc := range tests {
			t.Run(shortBinding(binding)+" "+tc.name, func(t *testing.T) {
				v := newTestLogoutVerifier(t, tc.cfg)
				el := testLogoutRequestElement(requestClock)
				if tc.mod != nil {
					tc.mod(el)
				}
				r, err := verifyTestLogoutRequest(t, v, binding, el, idpSigner(t, ""))
				want := tc.check
				if binding == BindingHTTPPost && tc.postCheck != "" {
					want = tc.postCheck
				}
				if want != "" {
					assert.Nil(t, r)
					requireCheck(t, err, want)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, "_lr1", r.ID)
				assert.Equal(t, testIDPEntityID, r.Issuer)
				assert.Equal(t, NameID{Value: "alice@example.com", Format: NameIDFormatEmailAddress,
					SPNameQualifier: testSPEntityID}, r.NameID)
				assert.Equal(t, []string{"s-1", "s-2"}, r.SessionIndexes)
				assert.Equal(t, LogoutReasonUser, r.Reason)
				assert.Equal(t, AlgRSASHA256, r.SignatureAlgorithm)
				assert.False(t, r.IssueInstant.IsZero())
			})
		}
	}
}

// TestLogoutRequestAcceptedUntil: the request says until when the verifier
// accepts it, so that its ID can be kept in a replay cache that long;
// past that instant the verifier refuses it by itself.
func TestLogoutRequestAcceptedUntil(t *testing.T) {
	skew, delay := DefaultClockSkew, DefaultMaxIssueDelay
	for _, tt := range []struct {
		name    string
		expires time.Duration // NotOnOrAfter after requestClock; 0: none
		want    time.Time     // a second after the last instant accepted
	}{
		{"issue delay", 0, requestClock.Add(delay + skew + time.Second)},
		{"NotOnOrAfter before the issue delay ends", time.Minute,
			requestClock.Add(time.Minute + skew + time.Second)},
		{"NotOnOrAfter after it", time.Hour, requestClock.Add(delay + skew + time.Second)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			el := testLogoutRequestElement(requestClock)
			if tt.expires != 0 {
				setAttr("NotOnOrAfter", stampAt(requestClock.Add(tt.expires)))(el)
			}
			r, err := verifyTestLogoutRequest(t, newTestLogoutVerifier(t, nil),
				BindingHTTPRedirect, el, idpSigner(t, ""))
			require.NoError(t, err)
			assert.Equal(t, tt.want, r.AcceptedUntil.UTC())

			at := func(now time.Time) *LogoutVerifier {
				return newTestLogoutVerifier(t, func(c *LogoutVerifierConfig) {
					c.Now = func() time.Time { return now }
				})
			}
			_, err = verifyTestLogoutRequest(t, at(tt.want), BindingHTTPRedirect, el,
				idpSigner(t, ""))
			requireCheck(t, err, CheckNotOnOrAfter)
			if tt.expires == 0 {
				_, err = verifyTestLogoutRequest(t, at(tt.want.Add(-time.Second)),
					BindingHTTPRedirect, el, idpSigner(t, ""))
				assert.NoError(t, err, "accepted up to a second before")
			}
		})
	}
}

func TestVerifyLogoutRequestSignature(t *testing.T) {
	otherKey, otherCert := spRSAKey(t)
	otherSigner, err := newMessageSigner(otherKey, otherCert, "", rand.Reader)
	require.NoError(t, err)
	future := time.Date(2060, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		signer *messageSigner
		sha1   bool
		now    time.Time
		cfg    func(c *LogoutVerifierConfig)
		check  Check
	}{
		{name: "unsigned", check: CheckSignature},
		{name: "signed by another key", signer: otherSigner, check: CheckSignature},
		{name: "SHA-1 refused", sha1: true, check: CheckAlgorithm},
		{name: "SHA-1 allowed", sha1: true,
			cfg: func(c *LogoutVerifierConfig) { c.InsecureAllowSHA1 = true }},
		{name: "certificate expired", now: future, check: CheckCertificate},
		{name: "certificate expiry ignored", now: future,
			cfg: func(c *LogoutVerifierConfig) { c.InsecureIgnoreCertificateExpiry = true }},
	}
	for _, binding := range []Binding{BindingHTTPRedirect, BindingHTTPPost} {
		for _, tc := range tests {
			t.Run(shortBinding(binding)+" "+tc.name, func(t *testing.T) {
				now := requestClock
				if !tc.now.IsZero() {
					now = tc.now
				}
				v := newTestLogoutVerifier(t, func(c *LogoutVerifierConfig) {
					c.Now = func() time.Time { return now }
					if tc.cfg != nil {
						tc.cfg(c)
					}
				})
				el := testLogoutRequestElement(now)
				var r *LogoutRequest
				var err error
				switch {
				case tc.sha1:
					r, err = verifySHA1LogoutRequest(t, v, binding, el)
				case tc.name == "unsigned":
					r, err = verifyTestLogoutRequest(t, v, binding, el, nil)
				case tc.signer != nil:
					r, err = verifyTestLogoutRequest(t, v, binding, el, tc.signer)
				default:
					r, err = verifyTestLogoutRequest(t, v, binding, el, idpSigner(t, ""))
				}
				if tc.check == "" {
					require.NoError(t, err)
					assert.Equal(t, "alice@example.com", r.NameID.Value)
					return
				}
				requireCheck(t, err, tc.check)
			})
		}
	}

	t.Run("POST content changed after signing", func(t *testing.T) {
		v := newTestLogoutVerifier(t, nil)
		el := testLogoutRequestElement(requestClock)
		require.NoError(t, idpSigner(t, "").signEnveloped(el))
		el.SelectElement("NameID").SetText("bob@example.com")
		_, err := v.VerifyPostRequest(postValue(t, el))
		requireCheck(t, err, CheckSignature)
	})
	t.Run("POST signature over another element", func(t *testing.T) {
		// A validly signed LogoutRequest wrapped inside an unsigned one:
		// only a Signature of the root itself counts.
		v := newTestLogoutVerifier(t, nil)
		inner := testLogoutRequestElement(requestClock)
		require.NoError(t, idpSigner(t, "").signEnveloped(inner))
		outer := testLogoutRequestElement(requestClock)
		outer.SelectAttr("ID").Value = "_outer"
		outer.SelectElement("NameID").SetText("bob@example.com")
		ext := outer.CreateElement("samlp:Extensions")
		ext.AddChild(inner)
		_, err := v.VerifyPostRequest(postValue(t, outer))
		requireCheck(t, err, CheckSignature)
	})
	t.Run("Redirect message not base64", func(t *testing.T) {
		v := newTestLogoutVerifier(t, nil)
		_, err := v.VerifyRedirectRequest("SAMLRequest=!!!")
		requireCheck(t, err, CheckEncoding)
	})
	t.Run("POST message not base64", func(t *testing.T) {
		v := newTestLogoutVerifier(t, nil)
		_, err := v.VerifyPostRequest("!!!")
		requireCheck(t, err, CheckEncoding)
	})
	t.Run("POST message with a DTD", func(t *testing.T) {
		v := newTestLogoutVerifier(t, nil)
		doc := `<!DOCTYPE x [<!ENTITY e "x">]>` +
			`<samlp:LogoutRequest xmlns:samlp="` + nsProtocol + `"/>`
		_, err := v.VerifyPostRequest(base64.StdEncoding.EncodeToString([]byte(doc)))
		requireCheck(t, err, CheckXML)
	})
}

func TestVerifyLogoutResponse(t *testing.T) {
	tests := []struct {
		logoutCase
		requestID string
	}{
		{logoutCase: logoutCase{name: "valid"}},
		{logoutCase: logoutCase{name: "partial logout", mod: func(el *etree.Element) {
			sc := el.FindElement("./Status/StatusCode")
			sc.CreateElement("samlp:StatusCode").CreateAttr("Value", StatusPartialLogout)
		}}},
		{logoutCase: logoutCase{name: "other request", check: CheckInResponseTo},
			requestID: "_other"},
		{logoutCase: logoutCase{name: "no InResponseTo", mod: removeAttr("InResponseTo"),
			check: CheckInResponseTo}},
		{logoutCase: logoutCase{name: "nothing outstanding", check: CheckInResponseTo},
			requestID: "-"},
		{logoutCase: logoutCase{name: "wrong issuer",
			mod: setChildText("Issuer", "https://evil.example"), check: CheckIssuer}},
		{logoutCase: logoutCase{name: "wrong destination",
			mod: setAttr("Destination", "https://x.example/"), check: CheckDestination}},
		{logoutCase: logoutCase{name: "too old", mod: setAttr("IssueInstant",
			stampAt(requestClock.Add(-time.Hour))), check: CheckNotOnOrAfter}},
		{logoutCase: logoutCase{name: "no Status", mod: removeChild("Status"), check: CheckSchema}},
		{logoutCase: logoutCase{name: "no StatusCode", mod: func(el *etree.Element) {
			st := el.SelectElement("Status")
			st.RemoveChild(st.SelectElement("StatusCode"))
		}, check: CheckSchema}},
		{logoutCase: logoutCase{name: "not a LogoutResponse",
			mod: func(el *etree.Element) { el.Tag = "Response" }, check: CheckSchema}},
		{logoutCase: logoutCase{name: "metadata expired", cfg: func(c *LogoutVerifierConfig) {
			c.IDPCertificatesValidUntil = requestClock.Add(-time.Minute)
		}, check: CheckMetadataExpired}},
	}
	for _, binding := range []Binding{BindingHTTPRedirect, BindingHTTPPost} {
		for _, tc := range tests {
			t.Run(shortBinding(binding)+" "+tc.name, func(t *testing.T) {
				v := newTestLogoutVerifier(t, tc.cfg)
				el := testLogoutResponseElement(StatusSuccess)
				if tc.mod != nil {
					tc.mod(el)
				}
				reqID := "_req1"
				switch tc.requestID {
				case "-":
					reqID = ""
				case "":
				default:
					reqID = tc.requestID
				}
				r, err := verifyTestLogoutResponse(t, v, binding, el, reqID)
				if tc.check != "" {
					assert.Nil(t, r)
					requireCheck(t, err, tc.check)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, "_resp1", r.ID)
				assert.Equal(t, "_req1", r.InResponseTo)
				assert.Equal(t, StatusSuccess, r.Status)
				if tc.name == "partial logout" {
					assert.Equal(t, StatusPartialLogout, r.SubStatus)
				} else {
					assert.Empty(t, r.SubStatus)
				}
			})
		}
	}
}

func TestVerifyLogoutResponseStatus(t *testing.T) {
	for _, binding := range []Binding{BindingHTTPRedirect, BindingHTTPPost} {
		t.Run(shortBinding(binding), func(t *testing.T) {
			v := newTestLogoutVerifier(t, nil)
			el := testLogoutResponseElement(StatusResponder)
			st := el.SelectElement("Status")
			st.SelectElement("StatusCode").CreateElement("samlp:StatusCode").
				CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal")
			st.CreateElement("samlp:StatusMessage").SetText(" no such session ")
			r, err := verifyTestLogoutResponse(t, v, binding, el, "_req1")
			assert.Nil(t, r)
			var se *StatusError
			require.True(t, errors.As(err, &se), "want *StatusError, got %v", err)
			assert.Equal(t, StatusResponder, se.Code)
			assert.Equal(t, "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal", se.SubCode)
			assert.Equal(t, "no such session", se.Message)
			requireCheck(t, err, CheckStatus)
		})
	}
}

func TestLogoutRoundTrip(t *testing.T) {
	// Our own builder's messages, checked by a verifier that trusts the
	// builder's key, for both directions of Single Logout.
	key, cert := spRSAKey(t)
	b := newTestBuilder(t, key, cert, "")
	v, err := NewLogoutVerifier(LogoutVerifierConfig{
		SLOURLs:     []string{"https://idp.example.org/slo"},
		IDPEntityID: testSPEntityID, IDPCertificates: []*x509.Certificate{cert},
		Now: func() time.Time { return requestClock }})
	require.NoError(t, err)

	t.Run("LogoutRequest", func(t *testing.T) {
		nameID := NameID{Value: "alice@example.com", Format: NameIDFormatEmailAddress,
			NameQualifier: testIDPEntityID, SPNameQualifier: testSPEntityID}
		u, id, err := b.RedirectLogoutRequest("https://idp.example.org/slo", "back",
			LogoutRequestOptions{NameID: nameID, SessionIndexes: []string{"s-9"},
				Reason: LogoutReasonUser})
		require.NoError(t, err)
		parsed, err := url.Parse(u)
		require.NoError(t, err)
		assert.Equal(t, []string{"SAMLRequest", "RelayState", "SigAlg", "Signature"},
			queryNames(parsed.RawQuery))

		r, err := v.VerifyRedirectRequest(parsed.RawQuery)
		require.NoError(t, err)
		assert.Equal(t, id, r.ID)
		assert.Equal(t, nameID, r.NameID)
		assert.Equal(t, []string{"s-9"}, r.SessionIndexes)
		assert.Equal(t, LogoutReasonUser, r.Reason)

		m, err := decodeRedirect(parsed.RawQuery, "SAMLRequest", 0)
		require.NoError(t, err)
		validateWithXMLLint(t, "saml-schema-protocol-2.0.xsd", m.xml)
	})
	t.Run("LogoutResponse", func(t *testing.T) {
		u, err := b.RedirectLogoutResponse("https://idp.example.org/slo", "", "_their-request", "")
		require.NoError(t, err)
		parsed, err := url.Parse(u)
		require.NoError(t, err)
		r, err := v.VerifyRedirectResponse(parsed.RawQuery, "_their-request")
		require.NoError(t, err)
		assert.Equal(t, StatusSuccess, r.Status)
		assert.Equal(t, "_their-request", r.InResponseTo)

		m, err := decodeRedirect(parsed.RawQuery, "SAMLResponse", 0)
		require.NoError(t, err)
		validateWithXMLLint(t, "saml-schema-protocol-2.0.xsd", m.xml)
	})
	t.Run("LogoutResponse with failure status", func(t *testing.T) {
		u, err := b.RedirectLogoutResponse("https://idp.example.org/slo", "", "_r", StatusRequester)
		require.NoError(t, err)
		parsed, err := url.Parse(u)
		require.NoError(t, err)
		_, err = v.VerifyRedirectResponse(parsed.RawQuery, "_r")
		requireCheck(t, err, CheckStatus)
	})
	t.Run("unsigned LogoutRequest", func(t *testing.T) {
		unsigned := newTestBuilder(t, nil, nil, "")
		u, _, err := unsigned.RedirectLogoutRequest("https://idp.example.org/slo", "",
			LogoutRequestOptions{NameID: NameID{Value: "alice"}})
		require.NoError(t, err)
		parsed, err := url.Parse(u)
		require.NoError(t, err)
		assert.Equal(t, []string{"SAMLRequest"}, queryNames(parsed.RawQuery))
		_, err = v.VerifyRedirectRequest(parsed.RawQuery)
		requireCheck(t, err, CheckSignature)
	})
	t.Run("builder refuses", func(t *testing.T) {
		_, _, err := b.RedirectLogoutRequest("https://idp.example.org/slo", "",
			LogoutRequestOptions{})
		assert.ErrorContains(t, err, "NameID")
		_, _, err = b.RedirectLogoutRequest("/slo", "",
			LogoutRequestOptions{NameID: NameID{Value: "a"}})
		assert.ErrorContains(t, err, "destination")
		_, err = b.RedirectLogoutResponse("slo", "", "_r", "")
		assert.ErrorContains(t, err, "destination")
	})
}

func FuzzVerifyLogout(f *testing.F) {
	files, _ := filepath.Glob("testdata/logout/*.xml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<samlp:LogoutRequest xmlns:samlp="` + nsProtocol + `" ID="a" Version="2.0"/>`))
	_, cert := idpRSAKey(f)
	v, err := NewLogoutVerifier(LogoutVerifierConfig{SLOURLs: []string{testSLOURL},
		IDPEntityID: testIDPEntityID, IDPCertificates: []*x509.Certificate{cert},
		Now: func() time.Time { return requestClock }})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, doc []byte) {
		b64 := base64.StdEncoding.EncodeToString(doc)
		if r, err := v.VerifyPostRequest(b64); err == nil && r.NameID.Value == "" {
			t.Fatal("accepted a LogoutRequest without NameID")
		}
		if _, err := v.VerifyPostResponse(b64, "_req1"); err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error is not a *ValidationError: %v", err)
			}
		}
		q := "SAMLRequest=" + url.QueryEscape(deflateBase64(doc))
		_, _ = v.VerifyRedirectRequest(q)
	})
}

func ExampleLogoutVerifier_VerifyRedirectRequest() {
	cert, err := ParseCertificate(readExampleCert())
	if err != nil {
		panic(err)
	}
	v, err := NewLogoutVerifier(LogoutVerifierConfig{
		SLOURLs:         []string{"https://sp.example.com/saml/slo"},
		IDPEntityID:     "https://idp.example.org",
		IDPCertificates: []*x509.Certificate{cert},
	})
	if err != nil {
		panic(err)
	}
	// In an HTTP handler: v.VerifyRedirectRequest(r.URL.RawQuery).
	unsigned := "SAMLRequest=" + url.QueryEscape(deflateBase64([]byte("<x/>")))
	_, err = v.VerifyRedirectRequest(unsigned)
	var ve *ValidationError
	fmt.Println(errors.As(err, &ve), ve.Check)
	// Output: true signature
}

// readExampleCert returns the test IdP certificate for examples.
func readExampleCert() string {
	b, err := os.ReadFile("testdata/logout/idp-rsa-cert.pem")
	if err != nil {
		panic(err)
	}
	return string(b)
}

// newTestLogoutVerifier returns a verifier for the test IdP on
// requestClock, changed by mod.
func newTestLogoutVerifier(t *testing.T, mod func(*LogoutVerifierConfig)) *LogoutVerifier {
	t.Helper()
	cfg := LogoutVerifierConfig{SLOURLs: []string{testSLOURL}, IDPEntityID: testIDPEntityID,
		IDPCertificates: []*x509.Certificate{loadTestCert(t, "testdata/logout/idp-rsa-cert.pem")},
		Now:             func() time.Time { return requestClock }}
	if mod != nil {
		mod(&cfg)
	}
	v, err := NewLogoutVerifier(cfg)
	require.NoError(t, err)
	return v
}

// idpSigner signs as the test IdP.
func idpSigner(t *testing.T, alg string) *messageSigner {
	t.Helper()
	key, cert := idpRSAKey(t)
	s, err := newMessageSigner(key, cert, alg, rand.Reader)
	require.NoError(t, err)
	return s
}

// testLogoutRequestElement is the IdP's LogoutRequest that the tests
// change.
func testLogoutRequestElement(now time.Time) *etree.Element {
	doc := etree.NewDocument()
	err := doc.ReadFromString(fmt.Sprintf(`<samlp:LogoutRequest xmlns:samlp="%s" xmlns:saml="%s" `+
		`ID="_lr1" Version="2.0" IssueInstant="%s" Destination="%s" Reason="%s">`+
		`<saml:Issuer>%s</saml:Issuer>`+
		`<saml:NameID Format="%s" SPNameQualifier="%s">alice@example.com</saml:NameID>`+
		`<samlp:SessionIndex>s-1</samlp:SessionIndex>`+
		`<samlp:SessionIndex> s-2 </samlp:SessionIndex></samlp:LogoutRequest>`,
		nsProtocol, nsAssertion, stampAt(now), testSLOURL, LogoutReasonUser,
		testIDPEntityID, NameIDFormatEmailAddress, testSPEntityID))
	if err != nil {
		panic(err)
	}
	return doc.Root()
}

// testLogoutResponseElement is the IdP's LogoutResponse to our request
// "_req1".
func testLogoutResponseElement(status string) *etree.Element {
	doc := etree.NewDocument()
	err := doc.ReadFromString(fmt.Sprintf(`<samlp:LogoutResponse xmlns:samlp="%s" xmlns:saml="%s" `+
		`ID="_resp1" InResponseTo="_req1" Version="2.0" IssueInstant="%s" Destination="%s">`+
		`<saml:Issuer>%s</saml:Issuer><samlp:Status><samlp:StatusCode Value="%s"/></samlp:Status>`+
		`</samlp:LogoutResponse>`, nsProtocol, nsAssertion, stampAt(requestClock), testSLOURL,
		testIDPEntityID, status))
	if err != nil {
		panic(err)
	}
	return doc.Root()
}

// verifyTestLogoutRequest sends el by binding, signed by s (unsigned when
// nil), and verifies it.
func verifyTestLogoutRequest(t *testing.T, v *LogoutVerifier, binding Binding, el *etree.Element,
	s *messageSigner) (*LogoutRequest, error) {
	t.Helper()
	if binding == BindingHTTPRedirect {
		return v.VerifyRedirectRequest(redirectQuery(t, el, "SAMLRequest", "rs", s))
	}
	if s != nil {
		require.NoError(t, s.signEnveloped(el))
	}
	return v.VerifyPostRequest(postValue(t, el))
}

// verifyTestLogoutResponse sends el by binding, signed by the test IdP.
func verifyTestLogoutResponse(t *testing.T, v *LogoutVerifier, binding Binding, el *etree.Element,
	requestID string) (*LogoutResponse, error) {
	t.Helper()
	s := idpSigner(t, "")
	if binding == BindingHTTPRedirect {
		return v.VerifyRedirectResponse(redirectQuery(t, el, "SAMLResponse", "", s), requestID)
	}
	require.NoError(t, s.signEnveloped(el))
	return v.VerifyPostResponse(postValue(t, el), requestID)
}

// verifySHA1LogoutRequest sends el signed with RSA-SHA1, which our own
// signer refuses to produce.
func verifySHA1LogoutRequest(t *testing.T, v *LogoutVerifier, binding Binding,
	el *etree.Element) (*LogoutRequest, error) {
	t.Helper()
	key, cert := idpRSAKey(t)
	if binding == BindingHTTPRedirect {
		q := redirectQuery(t, el, "SAMLRequest", "", nil) + "&SigAlg=" + url.QueryEscape(AlgRSASHA1)
		q += "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(
			signRaw(t, key, crypto.SHA1, q)))
		return v.VerifyRedirectRequest(q)
	}
	ctx, err := dsig.NewSigningContext(key, [][]byte{cert.Raw})
	require.NoError(t, err)
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.IdAttribute = "ID"
	require.NoError(t, ctx.SetSignatureMethod(AlgRSASHA1))
	signed, err := ctx.SignEnveloped(el)
	require.NoError(t, err)
	return v.VerifyPostRequest(postValue(t, signed))
}

// postValue serialises el and base64-encodes it, as a SAMLRequest or
// SAMLResponse form value.
func postValue(t *testing.T, el *etree.Element) string {
	t.Helper()
	b, err := etree.NewDocumentWithRoot(el).WriteToBytes()
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(b)
}

// stampAt formats an instant as SAML writes it.
func stampAt(ts time.Time) string { return ts.UTC().Format(time.RFC3339) }

// setAttr returns a change that sets an attribute of the root.
func setAttr(key, value string) func(*etree.Element) {
	return func(el *etree.Element) { el.CreateAttr(key, value) }
}

// removeAttr returns a change that removes an attribute of the root.
func removeAttr(key string) func(*etree.Element) {
	return func(el *etree.Element) { el.RemoveAttr(key) }
}

// setChildText returns a change that sets the text of a child.
func setChildText(tag, text string) func(*etree.Element) {
	return func(el *etree.Element) { el.SelectElement(tag).SetText(text) }
}

// removeChild returns a change that removes a child.
func removeChild(tag string) func(*etree.Element) {
	return func(el *etree.Element) { el.RemoveChild(el.SelectElement(tag)) }
}

// shortBinding names a binding in test names.
func shortBinding(b Binding) string {
	return strings.TrimPrefix(string(b), "urn:oasis:names:tc:SAML:2.0:bindings:")
}
