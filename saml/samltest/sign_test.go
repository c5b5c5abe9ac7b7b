package samltest

import (
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
)

func TestSignTamperedDocument(t *testing.T) {
	p := newTestIDP(t, "idp-rsa", nil)
	o := baseOptions()
	o.SignResponse, o.SignAssertion = true, true
	doc, err := p.Response(o)
	require.NoError(t, err)
	tampered := []byte(strings.Replace(string(doc), "bob@example.com</saml2:NameID>",
		"mallory@example.com</saml2:NameID>", 1))
	require.NotEqual(t, string(doc), string(tampered))

	// The tampered document no longer verifies...
	r := parseDoc(t, tampered)
	_, err = validate(t, r, p.Certificate())
	assert.Error(t, err)
	_, err = validate(t, r.FindElement("./Assertion"), p.Certificate())
	assert.Error(t, err)

	// ...until it is signed again.
	resigned, err := p.Sign(tampered, true, true)
	require.NoError(t, err)
	r = parseDoc(t, resigned)
	checkSigned(t, r, true, saml.AlgRSASHA256, p)
	checkSigned(t, r.FindElement("./Assertion"), true, saml.AlgRSASHA256, p)
	assert.Equal(t, "mallory@example.com", r.FindElement("./Assertion/Subject/NameID").Text())
	assert.NoError(t, xmlsec1Verify(t, resigned, p.Certificate(), xpathResponseSig))
	assert.NoError(t, xmlsec1Verify(t, resigned, p.Certificate(), xpathAssertionSig))
}

func TestSignModes(t *testing.T) {
	p := newTestIDP(t, "idp-ecdsa", nil)
	unsigned, err := p.Response(baseOptions())
	require.NoError(t, err)
	tests := []struct {
		name                        string
		signResponse, signAssertion bool
		wantResponse, wantAssertion bool
	}{
		{"response only", true, false, true, false},
		{"assertion only", false, true, false, true},
		{"both", true, true, true, true},
		{"neither leaves the document unsigned", false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := p.Sign(unsigned, tt.signResponse, tt.signAssertion)
			require.NoError(t, err)
			r := parseDoc(t, out)
			checkSigned(t, r, tt.wantResponse, saml.AlgECDSASHA256, p)
			checkSigned(t, r.FindElement("./Assertion"), tt.wantAssertion, saml.AlgECDSASHA256, p)
		})
	}
	t.Run("re-signing replaces, never duplicates", func(t *testing.T) {
		once, err := p.Sign(unsigned, true, true)
		require.NoError(t, err)
		twice, err := p.Sign(once, true, true)
		require.NoError(t, err)
		r := parseDoc(t, twice)
		checkSigned(t, r, true, saml.AlgECDSASHA256, p)
		checkSigned(t, r.FindElement("./Assertion"), true, saml.AlgECDSASHA256, p)
	})
}

func TestSignWrappingShapes(t *testing.T) {
	p := newTestIDP(t, "idp-rsa", nil)
	o := baseOptions()
	o.AssertionID = "_real"
	doc, err := p.Response(o)
	require.NoError(t, err)

	// Two sibling assertions: each gets its own valid signature.
	d := etree.NewDocument()
	require.NoError(t, d.ReadFromBytes(doc))
	evil := d.Root().FindElement("./Assertion").Copy()
	evil.CreateAttr("ID", "_evil")
	evil.FindElement("./Subject/NameID").SetText("admin@example.com")
	d.Root().AddChild(evil)
	two, err := d.WriteToBytes()
	require.NoError(t, err)

	signed, err := p.Sign(two, false, true)
	require.NoError(t, err)
	as := childNS(parseDoc(t, signed), nsAssertion, "Assertion")
	require.Len(t, as, 2)
	for _, a := range as {
		checkSigned(t, a, true, saml.AlgRSASHA256, p)
	}
	assert.Equal(t, "_evil", as[1].SelectAttrValue("ID", ""))

	// A signed assertion moved under an Extensions element keeps its
	// signature valid, because it declares its own namespaces.
	d = etree.NewDocument()
	require.NoError(t, d.ReadFromBytes(signed))
	moved := childNS(d.Root(), nsAssertion, "Assertion")[0]
	d.Root().RemoveChild(moved)
	ext := d.Root().CreateElement("saml2p:Extensions")
	ext.AddChild(moved)
	checkSigned(t, moved, true, saml.AlgRSASHA256, p)
}

func TestSignNamespaceContext(t *testing.T) {
	// An assertion relying on prefixes declared on the Response (as
	// SimpleSAMLphp writes them) is signed over its in-context form.
	p := newTestIDP(t, "idp-rsa", nil)
	doc := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ` +
		`xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r" Version="2.0">` +
		`<saml:Issuer>https://idp</saml:Issuer><samlp:Status><samlp:StatusCode ` +
		`Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
		`<saml:Assertion ID="_a" Version="2.0"><saml:Issuer>https://idp</saml:Issuer>` +
		`<saml:Subject><saml:NameID>x</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>`
	out, err := p.Sign([]byte(doc), true, true)
	require.NoError(t, err)
	r := parseDoc(t, out)
	checkSigned(t, r, true, saml.AlgRSASHA256, p)
	checkSigned(t, r.FindElement("./Assertion"), true, saml.AlgRSASHA256, p)
	assert.NoError(t, xmlsec1Verify(t, out, p.Certificate(), xpathResponseSig))
	assert.NoError(t, xmlsec1Verify(t, out, p.Certificate(), xpathAssertionSig))
}

func TestSignBareAssertion(t *testing.T) {
	p := newTestIDP(t, "idp-rsa", nil)
	doc, err := p.Response(baseOptions())
	require.NoError(t, err)
	a := parseDoc(t, doc).FindElement("./Assertion").Copy()
	bare, err := serialize(a)
	require.NoError(t, err)

	out, err := p.Sign(bare, false, true)
	require.NoError(t, err)
	checkSigned(t, parseDoc(t, out), true, saml.AlgRSASHA256, p)

	_, err = p.Sign(bare, true, false)
	assert.ErrorContains(t, err, "bare Assertion")
}

func TestSignErrors(t *testing.T) {
	p := newTestIDP(t, "idp-rsa", nil)
	failed, err := p.Response(ResponseOptions{Status: saml.StatusResponder})
	require.NoError(t, err)
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"not XML", "<<<", "parsing the document"},
		{"empty", "", "no root element"},
		{"wrong root", `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>`, "want a Response"},
		{"Response in the wrong namespace", `<Response xmlns="urn:x"/>`, "want a Response"},
		{"no assertion to sign", string(failed), "no Assertion to sign"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Sign([]byte(tt.doc), true, true)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// FuzzSign checks that Sign never panics on arbitrary input.
func FuzzSign(f *testing.F) {
	p := newTestIDP(f, "idp-ecdsa", nil)
	for _, o := range []ResponseOptions{baseOptions(), {Status: saml.StatusRequester}} {
		doc, err := p.Response(o)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		out, err := p.Sign(doc, true, true)
		if err == nil && len(out) == 0 {
			t.Fatal("no output and no error")
		}
	})
}
