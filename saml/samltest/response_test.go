package samltest

import (
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/internal/xmlenc"
	"github.com/secureshare/secureshare/saml"
)

// baseOptions is a typical SP-initiated login.
func baseOptions() ResponseOptions {
	return ResponseOptions{
		Destination:  "https://sp.example.com/saml/acs",
		Audience:     "https://sp.example.com/saml/metadata",
		InResponseTo: "id-4f1c",
		NameID:       "bob@example.com",
		Attributes: []saml.Attribute{
			{Name: "email", NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
				Values: []string{"bob@example.com"}},
			{Name: "urn:oid:2.5.4.42", FriendlyName: "givenName",
				NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri", Values: []string{"Bob"}},
			{Name: "groups", Values: []string{"partners", "engineering", "a & <b>"}},
			{Name: "address", FriendlyName: "postal\taddress",
				Values: []string{"1 Main St.\r\nSuite 2\t\"B\"", " padded "}},
			{Name: "empty"},
		},
	}
}

func TestResponseSignatures(t *testing.T) {
	keys := []struct {
		name string
		key  string
		alg  string
		asn1 bool
	}{
		{"rsa-sha256 default", "idp-rsa", "", false},
		{"rsa-sha384", "idp-rsa", saml.AlgRSASHA384, false},
		{"rsa-sha512", "idp-rsa", saml.AlgRSASHA512, false},
		{"rsa-sha1", "idp-rsa", saml.AlgRSASHA1, false},
		{"ecdsa-sha256 default", "idp-ecdsa", "", false},
		{"ecdsa-sha384 p384", "idp-ecdsa-p384", saml.AlgECDSASHA384, false},
		{"ecdsa-sha512", "idp-ecdsa", saml.AlgECDSASHA512, false},
		{"ecdsa-sha256 asn1", "idp-ecdsa", "", true},
	}
	modes := []struct {
		name                    string
		signResponse, signAsser bool
	}{
		{"response", true, false},
		{"assertion", false, true},
		{"both", true, true},
		{"none", false, false},
	}
	for _, k := range keys {
		for _, m := range modes {
			t.Run(k.name+" "+m.name, func(t *testing.T) {
				p := newTestIDP(t, k.key, func(c *Config) {
					c.SignatureAlgorithm = k.alg
					c.ECDSASignatureASN1 = k.asn1
				})
				o := baseOptions()
				o.SignResponse, o.SignAssertion = m.signResponse, m.signAsser
				doc, err := p.Response(o)
				require.NoError(t, err)
				root := parseDoc(t, doc)
				assertion := childNS(root, nsAssertion, "Assertion")
				require.Len(t, assertion, 1)

				wantAlg := k.alg
				if wantAlg == "" {
					wantAlg = saml.AlgRSASHA256
					if strings.HasPrefix(k.key, "idp-ecdsa") {
						wantAlg = saml.AlgECDSASHA256
					}
				}
				checkSigned(t, root, m.signResponse, wantAlg, p)
				checkSigned(t, assertion[0], m.signAsser, wantAlg, p)
				if k.asn1 {
					return // xmlsec1 rightly refuses ASN.1 ECDSA values
				}
				if m.signResponse {
					assert.NoError(t, xmlsec1Verify(t, doc, p.Certificate(), xpathResponseSig))
				}
				if m.signAsser {
					assert.NoError(t, xmlsec1Verify(t, doc, p.Certificate(), xpathAssertionSig))
				}
			})
		}
	}
}

// checkSigned checks that el carries (or, with signed false, lacks) a
// Signature of the usual IdP shape that goxmldsig validates with p's
// certificate, and that a different certificate does not validate it.
func checkSigned(t *testing.T, el *etree.Element, signed bool, alg string, p *IDP) {
	t.Helper()
	sigs := childNS(el, nsDSig, "Signature")
	if !signed {
		assert.Empty(t, sigs)
		_, err := validate(t, el, p.Certificate())
		assert.Error(t, err)
		return
	}
	require.Len(t, sigs, 1)
	sig := sigs[0]

	// Placement: right after the Issuer (SAML 2.0 Core, schema order).
	kids := el.ChildElements()
	require.GreaterOrEqual(t, len(kids), 2)
	assert.Equal(t, "Issuer", kids[0].Tag)
	assert.Same(t, sig, kids[1])

	// Shape: exc-c14n, enveloped + exc-c14n transforms, one Reference.
	si := sig.FindElement("./SignedInfo")
	require.NotNil(t, si)
	assert.Equal(t, "http://www.w3.org/2001/10/xml-exc-c14n#",
		si.FindElement("./CanonicalizationMethod").SelectAttrValue("Algorithm", ""))
	assert.Equal(t, alg, si.FindElement("./SignatureMethod").SelectAttrValue("Algorithm", ""))
	refs := si.FindElements("./Reference")
	require.Len(t, refs, 1)
	assert.Equal(t, "#"+el.SelectAttrValue("ID", ""), refs[0].SelectAttrValue("URI", ""))
	var transforms []string
	for _, tr := range refs[0].FindElements("./Transforms/Transform") {
		transforms = append(transforms, tr.SelectAttrValue("Algorithm", ""))
	}
	assert.Equal(t, []string{"http://www.w3.org/2000/09/xmldsig#enveloped-signature",
		"http://www.w3.org/2001/10/xml-exc-c14n#"}, transforms)
	x := sig.FindElement("./KeyInfo/X509Data/X509Certificate")
	require.NotNil(t, x)
	assert.Equal(t, base64.StdEncoding.EncodeToString(p.Certificate().Raw), x.Text())

	// Independent check with goxmldsig, then with an unrelated key.
	verified, err := validate(t, el, p.Certificate())
	require.NoError(t, err)
	assert.Equal(t, el.SelectAttrValue("ID", ""), verified.SelectAttrValue("ID", ""))
	stranger := newTestIDP(t, "idp-ecdsa-p384", nil)
	if p.Certificate().Equal(stranger.Certificate()) {
		stranger = newTestIDP(t, "idp-rsa", nil)
	}
	_, err = validate(t, el, stranger.Certificate())
	assert.Error(t, err)
}

func TestResponseContent(t *testing.T) {
	p := newTestIDP(t, "idp-rsa", nil)
	o := baseOptions()
	o.SignAssertion = true
	o.SessionIndex = "sess-1"
	o.SessionNotOnOrAfter = testNow.Add(8 * time.Hour)
	o.Lifetime = 10 * time.Minute
	o.IssueInstant = testNow.Add(1500 * time.Microsecond) // truncated to ms
	doc, err := p.Response(o)
	require.NoError(t, err)
	assert.False(t, strings.HasPrefix(string(doc), "<?xml"), "no XML declaration")
	assert.NotContains(t, string(doc), ">\n", "no insignificant whitespace")
	assert.Contains(t, string(doc), "1 Main St.&#xD;\n", "a CR survives parsing")

	r := parseDoc(t, doc)
	issue, expiry := "2026-12-03T12:00:00.001Z", "2026-12-03T12:10:00.001Z"
	assert.True(t, isElem(r, nsProtocol, "Response"))
	assert.Equal(t, "saml2p", r.Space)
	attrs := map[string]string{"Destination": o.Destination, "InResponseTo": "id-4f1c",
		"IssueInstant": issue, "Version": "2.0"}
	for k, v := range attrs {
		assert.Equal(t, v, r.SelectAttrValue(k, ""), k)
	}
	assertXMLID(t, r.SelectAttrValue("ID", ""))
	assert.Equal(t, "https://idp.example.com/metadata", r.FindElement("./Issuer").Text())
	assert.Equal(t, saml.StatusSuccess, r.FindElement("./Status/StatusCode").SelectAttrValue("Value", ""))

	a := r.FindElement("./Assertion")
	require.NotNil(t, a)
	assert.Equal(t, "saml2", a.Space)
	assertXMLID(t, a.SelectAttrValue("ID", ""))
	assert.NotEqual(t, r.SelectAttrValue("ID", ""), a.SelectAttrValue("ID", ""))
	assert.Equal(t, issue, a.SelectAttrValue("IssueInstant", ""))
	assert.Equal(t, "https://idp.example.com/metadata", a.FindElement("./Issuer").Text())

	n := a.FindElement("./Subject/NameID")
	assert.Equal(t, "bob@example.com", n.Text())
	assert.Equal(t, saml.NameIDFormatEmailAddress, n.SelectAttrValue("Format", ""))
	sc := a.FindElement("./Subject/SubjectConfirmation")
	assert.Equal(t, "urn:oasis:names:tc:SAML:2.0:cm:bearer", sc.SelectAttrValue("Method", ""))
	scd := sc.FindElement("./SubjectConfirmationData")
	assert.Equal(t, o.Destination, scd.SelectAttrValue("Recipient", ""))
	assert.Equal(t, "id-4f1c", scd.SelectAttrValue("InResponseTo", ""))
	assert.Equal(t, expiry, scd.SelectAttrValue("NotOnOrAfter", ""))

	c := a.FindElement("./Conditions")
	assert.Equal(t, issue, c.SelectAttrValue("NotBefore", ""))
	assert.Equal(t, expiry, c.SelectAttrValue("NotOnOrAfter", ""))
	assert.Equal(t, o.Audience, c.FindElement("./AudienceRestriction/Audience").Text())

	as := a.FindElement("./AuthnStatement")
	assert.Equal(t, issue, as.SelectAttrValue("AuthnInstant", ""))
	assert.Equal(t, "sess-1", as.SelectAttrValue("SessionIndex", ""))
	assert.Equal(t, "2026-12-03T20:00:00.000Z", as.SelectAttrValue("SessionNotOnOrAfter", ""))
	assert.Equal(t, DefaultAuthnContextClassRef, as.FindElement("./AuthnContext/AuthnContextClassRef").Text())

	// Schema order of the Assertion's children.
	var order []string
	for _, ch := range a.ChildElements() {
		order = append(order, ch.Tag)
	}
	assert.Equal(t, []string{"Issuer", "Signature", "Subject", "Conditions", "AuthnStatement",
		"AttributeStatement"}, order)

	assert.Equal(t, o.Attributes, readAttributes(t, a))
	for _, av := range a.FindElements("./AttributeStatement/Attribute/AttributeValue") {
		assert.Equal(t, "xs:string", av.SelectAttrValue("xsi:type", ""))
		assert.Equal(t, nsXSI, av.SelectAttr("xsi:type").NamespaceURI())
	}
}

func TestResponseDefaultsAndOmissions(t *testing.T) {
	p := newTestIDP(t, "idp-rsa", nil)
	doc, err := p.Response(ResponseOptions{})
	require.NoError(t, err)
	r := parseDoc(t, doc)

	assert.Nil(t, r.SelectAttr("Destination"))
	assert.Nil(t, r.SelectAttr("InResponseTo"), "unsolicited")
	assert.Empty(t, r.FindElements("./Signature"))
	a := r.FindElement("./Assertion")
	assert.Empty(t, a.FindElements("./Signature"))
	assert.Equal(t, DefaultNameID, a.FindElement("./Subject/NameID").Text())
	scd := a.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData")
	assert.Nil(t, scd.SelectAttr("Recipient"))
	assert.Nil(t, scd.SelectAttr("InResponseTo"))
	assert.Equal(t, "2026-12-03T12:05:00.000Z", scd.SelectAttrValue("NotOnOrAfter", ""))
	assert.Nil(t, a.FindElement("./Conditions/AudienceRestriction"))
	assert.Nil(t, a.FindElement("./AuthnStatement").SelectAttr("SessionNotOnOrAfter"))
	assertXMLID(t, a.FindElement("./AuthnStatement").SelectAttrValue("SessionIndex", ""))
	assert.Nil(t, a.FindElement("./AttributeStatement"))
}

func TestResponseOverrides(t *testing.T) {
	p := newTestIDP(t, "idp-rsa", nil)
	o := baseOptions()
	o.Recipient = "https://other.example.com/acs"
	o.Issuer = "https://evil.example.com"
	o.NameIDFormat = saml.NameIDFormatTransient
	o.AuthnContextClassRef = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
	o.ResponseID, o.AssertionID = "_resp", "_assert"
	o.Lifetime = -time.Minute
	doc, err := p.Response(o)
	require.NoError(t, err)
	r := parseDoc(t, doc)

	assert.Equal(t, "_resp", r.SelectAttrValue("ID", ""))
	a := r.FindElement("./Assertion")
	assert.Equal(t, "_assert", a.SelectAttrValue("ID", ""))
	assert.Equal(t, o.Issuer, r.FindElement("./Issuer").Text())
	assert.Equal(t, o.Issuer, a.FindElement("./Issuer").Text())
	assert.Equal(t, o.Destination, r.SelectAttrValue("Destination", ""))
	scd := a.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData")
	assert.Equal(t, o.Recipient, scd.SelectAttrValue("Recipient", ""))
	assert.Equal(t, "2026-12-03T11:59:00.000Z", scd.SelectAttrValue("NotOnOrAfter", ""), "expired")
	assert.Equal(t, saml.NameIDFormatTransient, a.FindElement("./Subject/NameID").SelectAttrValue("Format", ""))
	ref := a.FindElement("./AuthnStatement/AuthnContext/AuthnContextClassRef")
	assert.Equal(t, o.AuthnContextClassRef, ref.Text())
}

func TestResponseStatus(t *testing.T) {
	p := newTestIDP(t, "idp-rsa", nil)
	tests := []struct {
		name, status, sub, msg string
	}{
		{"responder with sub-status and message", saml.StatusResponder,
			"urn:oasis:names:tc:SAML:2.0:status:AuthnFailed", "wrong password"},
		{"requester only", saml.StatusRequester, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := baseOptions()
			o.Status, o.SubStatus, o.StatusMessage = tt.status, tt.sub, tt.msg
			o.SignResponse, o.SignAssertion = true, true
			o.EncryptFor = loadCert(t, "sp")
			doc, err := p.Response(o)
			require.NoError(t, err)
			r := parseDoc(t, doc)

			code := r.FindElement("./Status/StatusCode")
			assert.Equal(t, tt.status, code.SelectAttrValue("Value", ""))
			if tt.sub != "" {
				assert.Equal(t, tt.sub, code.FindElement("./StatusCode").SelectAttrValue("Value", ""))
			} else {
				assert.Nil(t, code.FindElement("./StatusCode"))
			}
			if tt.msg != "" {
				assert.Equal(t, tt.msg, r.FindElement("./Status/StatusMessage").Text())
			} else {
				assert.Nil(t, r.FindElement("./Status/StatusMessage"))
			}
			assert.Nil(t, r.FindElement("./Assertion"))
			assert.Nil(t, r.FindElement("./EncryptedAssertion"))
			checkSigned(t, r, true, saml.AlgRSASHA256, p)
		})
	}
}

func TestEncryptedAssertion(t *testing.T) {
	spKey := loadSigner(t, "sp").(*rsa.PrivateKey)
	spCert := loadCert(t, "sp")
	tests := []struct {
		name, content, transport string
		signResponse, signAssert bool
	}{
		{"default algorithms, assertion signed", "", "", false, true},
		{"aes128-cbc rsa-oaep-mgf1p, both signed", string(xmlenc.AES128CBC),
			string(xmlenc.RSAOAEPMGF1P), true, true},
		{"aes256-cbc rsa-oaep, response signed", string(xmlenc.AES256CBC), string(xmlenc.RSAOAEP), true, false},
		{"aes128-gcm rsa-oaep, assertion signed", string(xmlenc.AES128GCM), string(xmlenc.RSAOAEP), false, true},
		{"aes192-cbc, unsigned", string(xmlenc.AES192CBC), "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestIDP(t, "idp-rsa", nil)
			o := baseOptions()
			o.EncryptFor = spCert
			o.EncryptionAlgorithm, o.KeyTransportAlgorithm = tt.content, tt.transport
			o.SignResponse, o.SignAssertion = tt.signResponse, tt.signAssert
			doc, err := p.Response(o)
			require.NoError(t, err)
			r := parseDoc(t, doc)

			assert.Nil(t, r.FindElement("./Assertion"))
			ea := childNS(r, nsAssertion, "EncryptedAssertion")
			require.Len(t, ea, 1)
			ed := ea[0].FindElement("./EncryptedData")
			require.NotNil(t, ed)
			if tt.content != "" {
				assert.Equal(t, tt.content, ed.FindElement("./EncryptionMethod").SelectAttrValue("Algorithm", ""))
			}
			checkSigned(t, r, tt.signResponse, saml.AlgRSASHA256, p)
			if tt.signResponse {
				assert.NoError(t, xmlsec1Verify(t, doc, p.Certificate(), xpathResponseSig))
			}

			plain, err := xmlenc.Decrypt(ed, spKey, xmlenc.DecryptOptions{})
			require.NoError(t, err)
			a := parseDoc(t, plain)
			require.True(t, isElem(a, nsAssertion, "Assertion"), "standalone, namespaces declared")
			assert.Equal(t, "bob@example.com", a.FindElement("./Subject/NameID").Text())
			assert.Equal(t, o.Attributes, readAttributes(t, a))
			checkSigned(t, a, tt.signAssert, saml.AlgRSASHA256, p)
		})
	}
}

func TestEncryptedNameID(t *testing.T) {
	spKey := loadSigner(t, "sp").(*rsa.PrivateKey)
	p := newTestIDP(t, "idp-rsa", nil)
	o := baseOptions()
	o.EncryptFor = loadCert(t, "sp")
	o.EncryptNameID = true
	o.SignAssertion = true
	doc, err := p.Response(o)
	require.NoError(t, err)

	ed := parseDoc(t, doc).FindElement("./EncryptedAssertion/EncryptedData")
	plain, err := xmlenc.Decrypt(ed, spKey, xmlenc.DecryptOptions{})
	require.NoError(t, err)
	a := parseDoc(t, plain)
	checkSigned(t, a, true, saml.AlgRSASHA256, p)
	assert.Nil(t, a.FindElement("./Subject/NameID"))
	eid := a.FindElement("./Subject/EncryptedID/EncryptedData")
	require.NotNil(t, eid)

	plainID, err := xmlenc.Decrypt(eid, spKey, xmlenc.DecryptOptions{})
	require.NoError(t, err)
	n := parseDoc(t, plainID)
	assert.True(t, isElem(n, nsAssertion, "NameID"))
	assert.Equal(t, "bob@example.com", n.Text())
	assert.Equal(t, saml.NameIDFormatEmailAddress, n.SelectAttrValue("Format", ""))

	t.Run("needs EncryptFor", func(t *testing.T) {
		_, err := p.Response(ResponseOptions{EncryptNameID: true})
		assert.ErrorContains(t, err, "EncryptNameID needs EncryptFor")
	})
}

func TestEncryptionErrors(t *testing.T) {
	p := newTestIDP(t, "idp-rsa", nil)
	ecCert := newTestIDP(t, "idp-ecdsa", nil).Certificate()
	tests := []struct {
		name string
		opts ResponseOptions
		want string
	}{
		{"ECDSA recipient", ResponseOptions{EncryptFor: ecCert}, "want an RSA key"},
		{"unknown algorithm", ResponseOptions{EncryptFor: loadCert(t, "sp"), EncryptionAlgorithm: "urn:x"},
			"unsupported algorithm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Response(tt.opts)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "samltest: encrypting"))
		})
	}
}

func TestPostValue(t *testing.T) {
	o := baseOptions()
	o.SignResponse = true
	want, err := newTestIDP(t, "idp-rsa", nil).Response(o)
	require.NoError(t, err)
	v, err := newTestIDP(t, "idp-rsa", nil).PostValue(o)
	require.NoError(t, err)

	got, err := base64.StdEncoding.DecodeString(v)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

func TestIDsAreRandom(t *testing.T) {
	p, err := New(Config{Key: loadSigner(t, "idp-rsa")})
	require.NoError(t, err)
	seen := map[string]bool{}
	for range 20 {
		doc, err := p.Response(ResponseOptions{})
		require.NoError(t, err)
		r := parseDoc(t, doc)
		ids := []string{r.SelectAttrValue("ID", ""), r.FindElement("./Assertion").SelectAttrValue("ID", "")}
		for _, id := range ids {
			assertXMLID(t, id)
			assert.False(t, seen[id], "repeated ID %s", id)
			seen[id] = true
		}
	}
}

// assertXMLID checks that id is an underscore and 40 hex digits.
func assertXMLID(t *testing.T, id string) {
	t.Helper()
	require.Len(t, id, 41, id)
	assert.Equal(t, byte('_'), id[0])
	assert.Equal(t, -1, strings.IndexFunc(id[1:], func(r rune) bool {
		return !strings.ContainsRune("0123456789abcdef", r)
	}), id)
}

// readAttributes reads the AttributeStatement of assertion a back into
// saml.Attribute values.
func readAttributes(t *testing.T, a *etree.Element) []saml.Attribute {
	t.Helper()
	var out []saml.Attribute
	for _, e := range a.FindElements("./AttributeStatement/Attribute") {
		at := saml.Attribute{
			Name:         e.SelectAttrValue("Name", ""),
			NameFormat:   e.SelectAttrValue("NameFormat", ""),
			FriendlyName: e.SelectAttrValue("FriendlyName", ""),
		}
		for _, v := range e.FindElements("./AttributeValue") {
			at.Values = append(at.Values, v.Text())
		}
		out = append(out, at)
	}
	return out
}
