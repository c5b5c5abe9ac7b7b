package saml

// Attacks on Verifier: each case is an attempt to get a forged, altered,
// replayed or misdirected Response accepted, or to make the verifier burn
// time. A case fails when the verifier accepts what it must refuse, accepts
// it with values that are not the ones the IdP signed, or refuses it for a
// reason that is not among the expected checks.

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/internal/xmlenc"
)

// IDs the crafted responses carry (see vResp.xml).
const (
	atkRespID   = "_resp-8d3f2a61c0b94e7f"
	atkAssertID = "_assert-1b7e9c4d2f6a8e03"
	atkMallory  = "mallory@example.com"
)

var (
	atkReAssertion = regexp.MustCompile(`(?s)<saml:Assertion .*</saml:Assertion>`)
	atkReSignature = regexp.MustCompile(`(?s)<ds:Signature .*?</ds:Signature>`)
)

// atkCase is one attempt on the verifier.
type atkCase struct {
	name   string
	doc    func(t *testing.T) []byte
	config func(*VerifierConfig)
	// refuse lists the checks an acceptable refusal may name.
	refuse []Check
	// accept is set when the mutation is harmless: the verifier may then
	// accept, and accept checks that the values are the signed ones.
	accept func(t *testing.T, a *Assertion)
}

// atkRun runs each case against a fresh verifier.
func atkRun(t *testing.T, cases []atkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVVerifier(t, tc.config)
			a, err := vVerifyDoc(v, tc.doc(t))
			atkOutcome(t, a, err, tc.refuse, tc.accept)
		})
	}
}

// atkOutcome fails unless err is a refusal naming one of refuse, or
// the response was accepted and accept approves the values.
func atkOutcome(t *testing.T, a *Assertion, err error, refuse []Check,
	accept func(*testing.T, *Assertion)) {
	t.Helper()
	if err == nil {
		require.NotNil(t, accept, "ACCEPTED a response that must be refused (subject %q, attributes %v)",
			a.Subject.Value, a.Attributes)
		accept(t, a)
		return
	}
	t.Logf("refused: %v", err)
	assert.Nil(t, a)
	require.NotEmpty(t, refuse, "a harmless variant was refused: %v", err)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve, "error %v is not a ValidationError", err)
	assert.Contains(t, refuse, ve.Check, "refused for an unexpected reason: %v", err)
}

// atkIsAlice approves an accepted response whose values are the signed ones.
func atkIsAlice(t *testing.T, a *Assertion) {
	t.Helper()
	assert.Equal(t, "alice@example.com", a.Subject.Value)
	assert.Equal(t, atkAssertID, a.ID)
	assert.Equal(t, tIDP, a.Issuer)
	g, ok := a.Attribute("groups")
	require.True(t, ok)
	assert.Equal(t, []string{"partners", "staff"}, g.Values)
}

// atkAssertionSigned renders r with its assertion signed by the IdP.
func atkAssertionSigned(t *testing.T, r vResp) []byte {
	t.Helper()
	return vSign(t, r.xml(t), vSignOpts{assertion: true})
}

// atkResponseSigned renders r with its Response signed by the IdP.
func atkResponseSigned(t *testing.T, r vResp) []byte {
	t.Helper()
	return vSign(t, r.xml(t), vSignOpts{response: true})
}

// atkAssertionOf returns the text of the Assertion in doc.
func atkAssertionOf(t *testing.T, doc []byte) string {
	t.Helper()
	m := atkReAssertion.Find(doc)
	require.NotNil(t, m, "no Assertion")
	return string(m)
}

// atkUnsigned removes every ds:Signature from s.
func atkUnsigned(s string) string { return atkReSignature.ReplaceAllString(s, "") }

// atkEvil turns alice into mallory and gives the assertion a new ID.
func atkEvil(s string) string {
	s = strings.ReplaceAll(s, "alice@example.com", atkMallory)
	return strings.ReplaceAll(s, `ID="`+atkAssertID+`"`, `ID="_evil-assertion"`)
}

// atkReplace replaces the first old in doc, failing when there is none.
func atkReplace(t *testing.T, doc []byte, old, new string) []byte {
	t.Helper()
	return vReplaceOnce(t, doc, old, new)
}

// atkAt is tNow moved by d, as an xs:dateTime.
func atkAt(d time.Duration) string { return tNow.Add(d).Format(time.RFC3339) }

func TestAttackSignatureWrapping(t *testing.T) {
	both := []Check{CheckSchema, CheckSignature, CheckXML}
	cases := []atkCase{
		{
			name: "XSW1: evil response, signed original inside its Signature",
			doc: func(t *testing.T) []byte {
				orig := string(atkResponseSigned(t, vResp{}))
				ev := strings.Replace(atkEvil(orig), `ID="`+atkRespID+`"`, `ID="_evil-response"`, 1)
				return []byte(strings.Replace(ev, "</ds:Signature>",
					"<ds:Object>"+orig+"</ds:Object></ds:Signature>", 1))
			},
			refuse: both,
		},
		{
			name: "XSW1 variant: only the wrapped original carries an assertion",
			doc: func(t *testing.T) []byte {
				orig := string(atkResponseSigned(t, vResp{}))
				ev := strings.Replace(orig, `ID="`+atkRespID+`"`, `ID="_evil-response"`, 1)
				ev = atkReAssertion.ReplaceAllString(ev, "")
				return []byte(strings.Replace(ev, "</ds:Signature>",
					"<ds:Object>"+orig+"</ds:Object></ds:Signature>", 1))
			},
			refuse: both,
		},
		{
			name: "XSW2: evil response, signed original as a sibling before the Signature",
			doc: func(t *testing.T) []byte {
				orig := string(atkResponseSigned(t, vResp{}))
				ev := strings.Replace(atkEvil(orig), `ID="`+atkRespID+`"`, `ID="_evil-response"`, 1)
				sig := atkReSignature.FindString(ev)
				return []byte(strings.Replace(ev, sig, orig+sig, 1))
			},
			refuse: both,
		},
		{
			name: "XSW3: evil assertion before the signed one",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				a := atkAssertionOf(t, doc)
				return atkReplace(t, doc, a, atkUnsigned(atkEvil(a))+a)
			},
			refuse: both,
		},
		{
			name: "XSW4: signed assertion inside the evil one",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				a := atkAssertionOf(t, doc)
				ev := strings.Replace(atkUnsigned(atkEvil(a)), "</saml:Assertion>", a+"</saml:Assertion>", 1)
				return atkReplace(t, doc, a, ev)
			},
			refuse: both,
		},
		{
			name: "XSW5: evil assertion keeps the Signature, original copy at the end",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				a := atkAssertionOf(t, doc)
				doc = atkReplace(t, doc, a, atkEvil(a))
				return atkReplace(t, doc, "</samlp:Response>", atkUnsigned(a)+"</samlp:Response>")
			},
			refuse: both,
		},
		{
			name: "XSW6: evil assertion keeps the Signature, original inside it",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				a := atkAssertionOf(t, doc)
				ev := strings.Replace(atkEvil(a), "</ds:Signature>", atkUnsigned(a)+"</ds:Signature>", 1)
				return atkReplace(t, doc, a, ev)
			},
			refuse: both,
		},
		{
			name: "XSW7: signed assertion in Extensions, evil one in its place",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				a := atkAssertionOf(t, doc)
				return atkReplace(t, doc, a,
					"<samlp:Extensions>"+a+"</samlp:Extensions>"+atkUnsigned(atkEvil(a)))
			},
			refuse: both,
		},
		{
			name: "XSW8: evil assertion keeps the Signature, original in a ds:Object",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				a := atkAssertionOf(t, doc)
				ev := strings.Replace(atkEvil(a), "</ds:Signature>",
					"<ds:Object>"+atkUnsigned(a)+"</ds:Object></ds:Signature>", 1)
				return atkReplace(t, doc, a, ev)
			},
			refuse: both,
		},
		{
			name: "signed assertion hidden in the Advice of an evil one",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				a := atkAssertionOf(t, doc)
				ev := strings.Replace(atkUnsigned(atkEvil(a)), "</saml:Issuer>",
					"</saml:Issuer><saml:Advice>"+a+"</saml:Advice>", 1)
				return atkReplace(t, doc, a, ev)
			},
			refuse: both,
		},
		{
			name: "signed assertion hidden in the KeyInfo of a fake Response signature",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				a := atkAssertionOf(t, doc)
				sig := atkReSignature.FindString(a)
				fake := strings.Replace(sig, "</ds:KeyInfo>", a+"</ds:KeyInfo>", 1)
				doc = atkReplace(t, doc, a, atkUnsigned(atkEvil(a)))
				return atkReplace(t, doc, "<samlp:Status>", fake+"<samlp:Status>")
			},
			refuse: both,
		},
		{
			name: "evil assertion in a foreign namespace next to the signed one",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				a := atkAssertionOf(t, doc)
				ev := strings.ReplaceAll(atkUnsigned(atkEvil(a)), "saml:", "e:")
				ev = strings.ReplaceAll(ev, `xmlns:e="urn:oasis:names:tc:SAML:2.0:assertion"`,
					`xmlns:e="urn:evil"`)
				return atkReplace(t, doc, a, a+ev)
			},
			refuse: both,
		},
		{
			name: "Response signature moved into Extensions",
			doc: func(t *testing.T) []byte {
				doc := atkResponseSigned(t, vResp{})
				sig := atkReSignature.FindString(string(doc))
				doc = atkReplace(t, doc, sig, "")
				return atkReplace(t, doc, "<samlp:Status>",
					"<samlp:Extensions>"+sig+"</samlp:Extensions><samlp:Status>")
			},
			refuse: []Check{CheckSignature},
		},
		{
			name: "assertion signature moved into Advice",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				sig := atkReSignature.FindString(string(doc))
				doc = atkReplace(t, doc, sig, "")
				return atkReplace(t, doc, "<saml:Subject>",
					"<saml:Advice>"+sig+"</saml:Advice><saml:Subject>")
			},
			refuse: []Check{CheckSignature, CheckSchema},
		},
		{
			name: "ds:Object with content inside a valid Signature",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), "</ds:KeyInfo>",
					"</ds:KeyInfo><ds:Object><x>y</x></ds:Object>")
			},
			refuse: []Check{CheckSignature},
		},
		{
			name: "modified assertion keeps its ID, original parked under the same ID",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				a := atkAssertionOf(t, doc)
				mod := strings.ReplaceAll(a, "alice@example.com", atkMallory)
				park := strings.ReplaceAll(atkUnsigned(a), "saml:", "p:")
				park = strings.ReplaceAll(park, `xmlns:p="urn:oasis:names:tc:SAML:2.0:assertion"`,
					`xmlns:p="urn:parked"`)
				return atkReplace(t, doc, a, "<samlp:Extensions>"+park+"</samlp:Extensions>"+mod)
			},
			refuse: both,
		},
		{
			name: "modified assertion keeps its ID, original parked under a prefixed ID",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				a := atkAssertionOf(t, doc)
				mod := strings.ReplaceAll(a, "alice@example.com", atkMallory)
				body := atkUnsigned(a)
				body = body[strings.Index(body, ">")+1 : strings.LastIndex(body, "</saml:Assertion>")]
				park := `<p:Copy xmlns:p="urn:parked" xmlns:xs="http://www.w3.org/2001/XMLSchema" ` +
					`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" p:ID="` + atkAssertID + `">` +
					body + `</p:Copy>`
				return atkReplace(t, doc, a, "<samlp:Extensions>"+park+"</samlp:Extensions>"+mod)
			},
			refuse: both,
		},
	}
	atkRun(t, cases)
}

func TestAttackSignatureStructure(t *testing.T) {
	sig := []Check{CheckSignature}
	cases := []atkCase{
		{
			name: "xmlns:ID shadows the signed assertion's ID",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), `ID="`+atkAssertID+`"`,
					`xmlns:ID="_evil" ID="`+atkAssertID+`"`)
			},
			refuse: sig,
			// An unused namespace declaration is not part of the canonical form,
			// so the signed content is unchanged: accepting it is right.
			accept: atkIsAlice,
		},
		{
			name: "prefixed foo:ID added to the signed assertion",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), `ID="`+atkAssertID+`"`,
					`xmlns:foo="urn:foo" foo:ID="_evil" ID="`+atkAssertID+`"`)
			},
			refuse: sig,
		},
		{
			name: "ID renamed to xml:id on the signed assertion",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), `ID="`+atkAssertID+`"`,
					`xml:id="`+atkAssertID+`"`)
			},
			refuse: []Check{CheckSignature, CheckSchema},
		},
		{
			name: "ID attribute twice",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), `ID="`+atkAssertID+`"`,
					`ID="`+atkAssertID+`" ID="_evil"`)
			},
			refuse: []Check{CheckXML},
		},
		{
			name: "xmlns:URI shadows the Reference URI",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), `<ds:Reference URI=`,
					`<ds:Reference xmlns:URI="#_evil" URI=`)
			},
			refuse: sig,
			// An unused namespace declaration is not part of the canonical form,
			// so the signed content is unchanged: accepting it is right.
			accept: atkIsAlice,
		},
		{
			name: "xmlns:Algorithm downgrades the signature method to rsa-sha1",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), `<ds:SignatureMethod Algorithm=`,
					`<ds:SignatureMethod xmlns:Algorithm="`+AlgRSASHA1+`" Algorithm=`)
			},
			refuse: []Check{CheckAlgorithm, CheckSignature},
			// An unused namespace declaration is not part of the canonical form,
			// so the signed content is unchanged: accepting it is right.
			accept: atkIsAlice,
		},
		{
			name: "xmlns:Algorithm dresses an rsa-sha1 signature up as rsa-sha256",
			doc: func(t *testing.T) []byte {
				doc := vSign(t, vResp{}.xml(t), vSignOpts{assertion: true, method: AlgRSASHA1})
				doc = atkReplace(t, doc, `<ds:SignatureMethod Algorithm=`,
					`<ds:SignatureMethod xmlns:Algorithm="`+AlgRSASHA256+`" Algorithm=`)
				return atkReplace(t, doc, `<ds:DigestMethod Algorithm=`,
					`<ds:DigestMethod xmlns:Algorithm="`+AlgSHA256+`" Algorithm=`)
			},
			refuse: []Check{CheckAlgorithm, CheckSignature},
		},
		{
			name: "Reference URI as an XPointer",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), `URI="#`+atkAssertID+`"`,
					`URI="#xpointer(id('`+atkAssertID+`'))"`)
			},
			refuse: sig,
		},
		{
			name: "empty Reference URI (whole document)",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), `URI="#`+atkAssertID+`"`, `URI=""`)
			},
			refuse: sig,
		},
		{
			name: "Reference URI written with a character reference",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), `URI="#`, `URI="&#35;`)
			},
			refuse: sig,
			accept: atkIsAlice,
		},
		{
			name: "comment inside DigestValue",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				m := regexp.MustCompile(`<ds:DigestValue>([^<]+)</ds:DigestValue>`).FindSubmatch(doc)
				require.NotNil(t, m)
				d := string(m[1])
				return atkReplace(t, doc, string(m[0]),
					"<ds:DigestValue>"+d[:10]+"<!-- x -->"+d[10:]+"</ds:DigestValue>")
			},
			refuse: sig,
			accept: atkIsAlice,
		},
		{
			name: "real digest moved into a comment, another digest in its place",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				m := regexp.MustCompile(`<ds:DigestValue>([^<]+)</ds:DigestValue>`).FindSubmatch(doc)
				require.NotNil(t, m)
				other := base64.StdEncoding.EncodeToString(make([]byte, 32))
				return atkReplace(t, doc, string(m[0]),
					"<ds:DigestValue><!--"+string(m[1])+"-->"+other+"</ds:DigestValue>")
			},
			refuse: sig,
		},
		{
			name: "comment inside SignatureValue",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), `<ds:SignatureValue>`,
					`<ds:SignatureValue><!-- x -->`)
			},
			refuse: sig,
			accept: atkIsAlice,
		},
		{
			name: "canonicalisation switched to WithComments after signing",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}),
					`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"`,
					`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"`)
			},
			refuse: []Check{CheckSignature, CheckAlgorithm},
		},
		{
			name: "InclusiveNamespaces added after signing",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}),
					`<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>`,
					`<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">`+
						`<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="xs samlp"/>`+
						`</ds:Transform>`)
			},
			refuse: sig,
		},
		{
			name: "control: signed with InclusiveNamespaces PrefixList xs",
			doc: func(t *testing.T) []byte {
				return atkSignWithPrefixList(t, vResp{}.xml(t), "xs")
			},
			accept: atkIsAlice,
		},
		{
			name: "InclusiveNamespaces removed after signing",
			doc: func(t *testing.T) []byte {
				return regexp.MustCompile(`<ec:InclusiveNamespaces [^>]*/>`).
					ReplaceAll(atkSignWithPrefixList(t, vResp{}.xml(t), "xs"), nil)
			},
			refuse: sig,
		},
		{
			name: "xmlns:PrefixList shadows the signed PrefixList",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkSignWithPrefixList(t, vResp{}.xml(t), "xs"),
					`<ec:InclusiveNamespaces `, `<ec:InclusiveNamespaces xmlns:PrefixList="" `)
			},
			refuse: sig,
			// An unused namespace declaration is not part of the canonical form,
			// so the signed content is unchanged: accepting it is right.
			accept: atkIsAlice,
		},
		{
			name: "xs prefix rebound inside a PrefixList-xs signature",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkSignWithPrefixList(t, vResp{}.xml(t), "xs"),
					`xmlns:xs="http://www.w3.org/2001/XMLSchema"`, `xmlns:xs="urn:evil"`)
			},
			refuse: sig,
		},
		{
			name: "attacker certificate in KeyInfo plus a RetrievalMethod",
			doc: func(t *testing.T) []byte {
				doc := vSign(t, vResp{}.xml(t), vSignOpts{assertion: true, key: vOtherKey})
				return atkReplace(t, doc, "<ds:KeyInfo>", `<ds:KeyInfo><ds:RetrievalMethod URI="#evil-cert" `+
					`Type="http://www.w3.org/2000/09/xmldsig#X509Data"/>`)
			},
			refuse: sig,
		},
		{
			name: "IdP signature, KeyInfo swapped for an attacker certificate",
			doc: func(t *testing.T) []byte {
				vKeys(t)
				doc := atkAssertionSigned(t, vResp{})
				ki := regexp.MustCompile(`(?s)<ds:KeyInfo>.*?</ds:KeyInfo>`).Find(doc)
				return atkReplace(t, doc, string(ki), `<ds:KeyInfo><ds:RetrievalMethod URI="#c"/>`+
					`<ds:X509Data><ds:X509Certificate>`+base64.StdEncoding.EncodeToString(vOtherKey.cert.Raw)+
					`</ds:X509Certificate></ds:X509Data></ds:KeyInfo>`)
			},
			refuse: sig,
			accept: atkIsAlice,
		},
		{
			name: "signed by the configured key over a LogoutRequest, moved onto a Response",
			doc: func(t *testing.T) []byte {
				lr := atkSignedLogoutRequest(t)
				s := atkReSignature.FindString(lr)
				doc := vResp{ResponseID: "_logout-1"}.xml(t)
				return atkReplace(t, doc, "<samlp:Status>", s+"<samlp:Status>")
			},
			refuse: sig,
		},
		{
			name: "signed LogoutRequest renamed into a Response",
			doc: func(t *testing.T) []byte {
				lr := strings.ReplaceAll(atkSignedLogoutRequest(t), "samlp:LogoutRequest", "samlp:Response")
				a := atkUnsigned(atkAssertionOf(t, vResp{}.xml(t)))
				return []byte(strings.Replace(lr, "</samlp:Response>",
					`<samlp:Status><samlp:StatusCode Value="`+StatusSuccess+`"/></samlp:Status>`+a+
						"</samlp:Response>", 1))
			},
			refuse: []Check{CheckSignature, CheckSchema},
		},
		{
			name: "signed LogoutRequest carried inside an unsigned Response",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, vResp{}.xml(t), "<samlp:Status>",
					"<samlp:Extensions>"+atkSignedLogoutRequest(t)+"</samlp:Extensions><samlp:Status>")
			},
			refuse: sig,
		},
		{
			name: "signature over IdP metadata moved onto a Response",
			doc: func(t *testing.T) []byte {
				md := atkSignedMetadata(t)
				doc := vResp{ResponseID: "_md-1"}.xml(t)
				return atkReplace(t, doc, "<samlp:Status>", atkReSignature.FindString(md)+"<samlp:Status>")
			},
			refuse: sig,
		},
		{
			name: "signed Response lifted into an ArtifactResponse",
			doc: func(t *testing.T) []byte {
				r := string(atkResponseSigned(t, vResp{}))
				return []byte(`<samlp:ArtifactResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ` +
					`ID="_ar" Version="2.0" IssueInstant="` + atkAt(0) + `">` + r + `</samlp:ArtifactResponse>`)
			},
			refuse: []Check{CheckSchema},
		},
		{
			name: "signed assertion issued to another SP",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, vResp{Audience: "https://other-sp.example.com/metadata",
					Recipient: "https://other-sp.example.com/acs"})
			},
			refuse: []Check{CheckAudience, CheckRecipient},
		},
		{
			name: "signed failure Response turned into success",
			doc: func(t *testing.T) []byte {
				doc := atkResponseSigned(t, vResp{Status: StatusResponder})
				return atkReplace(t, doc, `Value="`+StatusResponder+`"`, `Value="`+StatusSuccess+`"`)
			},
			refuse: sig,
		},
		{
			name: "second Signature on the assertion",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				s := atkReSignature.FindString(string(doc))
				return atkReplace(t, doc, s, s+s)
			},
			refuse: sig,
		},
		{
			name: "Signature bound to another namespace on a signed Response",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkResponseSigned(t, vResp{}),
					`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">`,
					`<ds:Signature xmlns:ds="urn:not-dsig">`)
			},
			refuse: sig,
		},
		{
			name: "SignedInfo in another namespace",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				doc = atkReplace(t, doc, "<ds:SignedInfo>", `<x:SignedInfo xmlns:x="urn:x">`)
				return atkReplace(t, doc, "</ds:SignedInfo>", "</x:SignedInfo>")
			},
			refuse: sig,
		},
		{
			name: "IdP-signed Response around an assertion signed by another key",
			doc: func(t *testing.T) []byte {
				vKeys(t)
				doc := vSign(t, vResp{}.xml(t), vSignOpts{assertion: true, key: vOtherKey})
				return vSign(t, doc, vSignOpts{response: true})
			},
			refuse: sig,
		},
		{
			name: "IdP-signed assertion in a Response signed by another key",
			doc: func(t *testing.T) []byte {
				vKeys(t)
				doc := vSign(t, vResp{}.xml(t), vSignOpts{assertion: true})
				return vSign(t, doc, vSignOpts{response: true, key: vOtherKey})
			},
			refuse: sig,
		},
		{
			name: "ECDSA signature method with the configured RSA key",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), AlgRSASHA256, AlgECDSASHA256)
			},
			refuse: sig,
		},
	}
	atkRun(t, cases)
}

func TestAttackNamespaces(t *testing.T) {
	sig := []Check{CheckSignature}
	cases := []atkCase{
		{
			name: "saml prefix rebound inside the signed assertion",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), "<saml:Conditions ",
					`<saml:Conditions xmlns:saml="urn:evil" `)
			},
			refuse: []Check{CheckSignature, CheckAudience},
		},
		{
			name: "saml prefix rebound on the signed assertion itself",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}),
					`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"`,
					`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion:evil"`)
			},
			refuse: []Check{CheckSignature, CheckSchema},
		},
		{
			name: "samlp prefix rebound on the root",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}),
					`xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"`, `xmlns:samlp="urn:evil"`)
			},
			refuse: []Check{CheckSchema},
		},
		{
			name: "unused prefix rebound on a signed Response (invisible to c14n)",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkResponseSigned(t, vResp{}), "<samlp:Status>",
					`<samlp:Status xmlns:saml="urn:evil" xmlns:Destination="https://evil.example/acs">`)
			},
			refuse: sig,
			accept: atkIsAlice,
		},
		{
			name: "xmlns:Recipient before Recipient in the signed confirmation",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{Recipient: "https://other-sp.example.com/acs"})
				return atkReplace(t, doc, `NotOnOrAfter="`+atkAt(5*time.Minute)+`" Recipient=`,
					`xmlns:Recipient="`+tACS+`" NotOnOrAfter="`+atkAt(5*time.Minute)+`" Recipient=`)
			},
			refuse: []Check{CheckRecipient},
		},
		{
			name: "xmlns:NotOnOrAfter extends an expired signed Conditions",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{NotAfter: atkAt(-time.Hour)})
				return atkReplace(t, doc, `<saml:Conditions `,
					`<saml:Conditions xmlns:NotOnOrAfter="`+atkAt(time.Hour)+`" `)
			},
			refuse: []Check{CheckNotOnOrAfter},
		},
		{
			name: "control: default-namespace assertion",
			doc:  atkDefaultNSDoc,
			accept: func(t *testing.T, a *Assertion) {
				assert.Equal(t, "alice@example.com", a.Subject.Value)
			},
		},
		{
			name: `xmlns="" on Conditions of a default-namespace assertion`,
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkDefaultNSDoc(t), "<Conditions ", `<Conditions xmlns="" `)
			},
			refuse: []Check{CheckSignature, CheckAudience},
		},
		{
			name: "default namespace redefined on AttributeStatement",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkDefaultNSDoc(t), "<AttributeStatement>",
					`<AttributeStatement xmlns="urn:evil">`)
			},
			refuse: sig,
		},
		{
			name: "unprefixed evil assertion in the assertion namespace next to the signed one",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				a := atkAssertionOf(t, doc)
				ev := strings.Replace(atkUnsigned(atkEvil(a)), `xmlns:saml=`, `xmlns=`, 1)
				ev = strings.ReplaceAll(ev, "saml:", "")
				return atkReplace(t, doc, a, ev+a)
			},
			refuse: []Check{CheckSchema, CheckXML},
		},
		{
			name: "xml prefix redeclared",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), "<saml:Subject>",
					`<saml:Subject xmlns:xml="urn:evil">`)
			},
			refuse: []Check{CheckSignature, CheckXML},
		},
	}
	atkRun(t, cases)
}

func TestAttackTextTricks(t *testing.T) {
	const suffix = ".evil.test"
	fullName := func(t *testing.T, a *Assertion) {
		assert.Equal(t, "alice@example.com"+suffix, a.Subject.Value)
	}
	rec := []Check{CheckRecipient}
	cases := []atkCase{
		{
			name: "comment inserted into the signed NameID",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{NameID: "alice@example.com" + suffix})
				return atkReplace(t, doc, "alice@example.com"+suffix+"<",
					"alice@example.com<!---->"+suffix+"<")
			},
			refuse: []Check{CheckSignature},
			accept: fullName,
		},
		{
			name: "CDATA section rewrites the signed NameID",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{NameID: "alice@example.com" + suffix})
				return atkReplace(t, doc, "alice@example.com"+suffix+"<",
					"alice@example.com<![CDATA["+suffix+"]]><")
			},
			refuse: []Check{CheckSignature},
			accept: fullName,
		},
		{
			name: "character references in the signed NameID",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{NameID: "alice@example.com" + suffix})
				return atkReplace(t, doc, "alice@example.com"+suffix+"<",
					"alice@example.com&#46;evil&#x2e;test<")
			},
			refuse: []Check{CheckSignature},
			accept: fullName,
		},
		{
			name: "comment truncates a signed foreign Audience",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{Audience: tSP + suffix})
				return atkReplace(t, doc, tSP+suffix+"<", tSP+"<!---->"+suffix+"<")
			},
			refuse: []Check{CheckAudience, CheckSignature},
		},
		{
			name: "comment truncates a signed foreign assertion Issuer",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{AssertionIssuer: tIDP + "/tenant-2"})
				return atkReplace(t, doc, tIDP+"/tenant-2<", tIDP+"<!---->/tenant-2<")
			},
			refuse: []Check{CheckIssuer, CheckSignature},
		},
		{
			name: "comment truncates a signed foreign Response Issuer",
			doc: func(t *testing.T) []byte {
				doc := atkResponseSigned(t, vResp{ResponseIssuer: tIDP + "/tenant-2"})
				return atkReplace(t, doc, tIDP+"/tenant-2<", tIDP+"<!---->/tenant-2<")
			},
			refuse: []Check{CheckIssuer, CheckSignature},
		},
		{
			name: "character references in the signed Issuer",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}),
					"<saml:Issuer>https://idp", "<saml:Issuer>&#104;ttps://idp")
			},
			refuse: []Check{CheckSignature},
			accept: atkIsAlice,
		},
		{
			name: "character references in the signed Recipient",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), `Recipient="https://sp.example.com/saml/acs"`,
					`Recipient="https:&#x2F;&#x2F;sp.example.com/saml/acs"`)
			},
			refuse: []Check{CheckSignature},
			accept: atkIsAlice,
		},
		{name: "Recipient with a trailing space", doc: atkRecipient(tACS + " "), refuse: rec},
		{name: "Recipient with a leading newline", doc: atkRecipient("&#10;" + tACS), refuse: rec},
		{name: "Recipient in upper case", doc: atkRecipient(strings.ToUpper(tACS)), refuse: rec},
		{name: "Recipient with a trailing slash", doc: atkRecipient(tACS + "/"), refuse: rec},
		{name: "Recipient with a query", doc: atkRecipient(tACS + "?x=1"), refuse: rec},
		{name: "Recipient with a fragment", doc: atkRecipient(tACS + "#x"), refuse: rec},
		{name: "Recipient over http", doc: atkRecipient(strings.Replace(tACS, "https", "http", 1)),
			refuse: rec},
		{name: "Recipient with a default port", doc: atkRecipient(strings.Replace(tACS, ".com/", ".com:443/", 1)),
			refuse: rec},
		{name: "Recipient as a path prefix", doc: atkRecipient(tACS + "-evil"), refuse: rec},
		{name: "empty Recipient", doc: atkRecipient(""), refuse: rec},
		{
			name: "no Recipient",
			doc: func(t *testing.T) []byte {
				doc := atkReplace(t, vResp{}.xml(t), ` Recipient="`+tACS+`"`, "")
				return vSign(t, doc, vSignOpts{assertion: true})
			},
			refuse: []Check{CheckRecipient},
		},
		{
			name: "character references in the signed Destination",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkResponseSigned(t, vResp{}), `Destination="https://sp`,
					`Destination="&#x68;ttps://sp`)
			},
			refuse: []Check{CheckSignature},
			accept: atkIsAlice,
		},
		{
			name: "signed Destination in upper case",
			doc: func(t *testing.T) []byte {
				return atkResponseSigned(t, vResp{Destination: strings.ToUpper(tACS)})
			},
			refuse: []Check{CheckDestination},
		},
		{
			name: "signed Destination with a trailing slash",
			doc: func(t *testing.T) []byte {
				return atkResponseSigned(t, vResp{Destination: tACS + "/"})
			},
			refuse: []Check{CheckDestination},
		},
		{
			name: "unsigned Destination with a trailing space",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, vResp{Destination: tACS + " "})
			},
			refuse: []Check{CheckDestination},
		},
		{name: "Issuer in upper case", doc: atkIssuer(strings.ToUpper(tIDP)), refuse: []Check{CheckIssuer}},
		{name: "Issuer with a trailing slash", doc: atkIssuer(tIDP + "/"), refuse: []Check{CheckIssuer}},
		{name: "Issuer with a suffix", doc: atkIssuer(tIDP + "x"), refuse: []Check{CheckIssuer}},
		{name: "Issuer cut short", doc: atkIssuer(tIDP[:len(tIDP)-1]), refuse: []Check{CheckIssuer}},
		{name: "Issuer with a Cyrillic lookalike letter", doc: atkIssuer(strings.Replace(tIDP, "e", "\u0435", 1)),
			refuse: []Check{CheckIssuer}},
		{
			name:   "Issuer padded with white space (pretty-printed)",
			doc:    atkIssuer("\n    " + tIDP + "\n  "),
			accept: atkIsAlice,
		},
		{name: "Audience in upper case", doc: atkAudience(strings.ToUpper(tSP)), refuse: []Check{CheckAudience}},
		{name: "Audience with a suffix", doc: atkAudience(tSP + "/evil"), refuse: []Check{CheckAudience}},
		{name: "Audience cut short", doc: atkAudience(tSP[:len(tSP)-1]), refuse: []Check{CheckAudience}},
		{name: "empty Audience", doc: atkAudience(""), refuse: []Check{CheckAudience}},
		{
			name:   "Audience padded with white space (pretty-printed)",
			doc:    atkAudience("\n  " + tSP + "\n"),
			accept: atkIsAlice,
		},
		{
			name: "second AudienceRestriction names only another SP",
			doc: func(t *testing.T) []byte {
				return vSign(t, atkConditions(t, vResp{},
					`<saml:AudienceRestriction><saml:Audience>https://other-sp.example.com</saml:Audience>`+
						`</saml:AudienceRestriction>`), vSignOpts{assertion: true})
			},
			refuse: []Check{CheckAudience},
		},
		{
			name: "AudienceRestriction with no Audience",
			doc: func(t *testing.T) []byte {
				return vSign(t, atkConditions(t, vResp{},
					`<saml:AudienceRestriction></saml:AudienceRestriction>`), vSignOpts{assertion: true})
			},
			refuse: []Check{CheckAudience},
		},
		{
			name: "status Success with trailing space",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, vResp{Status: StatusSuccess + " "})
			},
			refuse: []Check{CheckStatus},
		},
		{
			name: "Success only as the second-level status",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, vResp{Status: StatusResponder, SubStatus: StatusSuccess})
			},
			refuse: []Check{CheckStatus},
		},
		{
			name: "status in another namespace",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{Status: StatusResponder})
				return atkReplace(t, doc, "<samlp:Status>",
					`<x:Status xmlns:x="urn:x"><x:StatusCode Value="`+StatusSuccess+`"/></x:Status><samlp:Status>`)
			},
			refuse: []Check{CheckStatus},
		},
	}
	atkRun(t, cases)
}

func TestAttackAttributeValues(t *testing.T) {
	extra := func(values string) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			return atkAssertionSigned(t, vResp{ExtraInAssertion: `<saml:AttributeStatement>` +
				`<saml:Attribute Name="role">` + values + `</saml:Attribute></saml:AttributeStatement>`})
		}
	}
	role := func(t *testing.T, a *Assertion) []string {
		t.Helper()
		r, ok := a.Attribute("role")
		require.True(t, ok)
		return r.Values
	}
	cases := []atkCase{
		{
			name: "xsi:nil value",
			doc:  extra(`<saml:AttributeValue xsi:nil="true"/>`),
			accept: func(t *testing.T, a *Assertion) {
				assert.Equal(t, []string{""}, role(t, a))
			},
		},
		{
			name:   "nested element inside a value",
			doc:    extra(`<saml:AttributeValue><x:g xmlns:x="urn:x">admins</x:g></saml:AttributeValue>`),
			refuse: []Check{CheckSchema},
			accept: func(t *testing.T, a *Assertion) {
				for _, v := range role(t, a) {
					assert.NotContains(t, v, "admins", "text of a nested element leaked into the value")
				}
			},
		},
		{
			name:   "text around a nested element",
			doc:    extra(`<saml:AttributeValue>staff<x:g xmlns:x="urn:x">-admins</x:g></saml:AttributeValue>`),
			refuse: []Check{CheckSchema},
			accept: func(t *testing.T, a *Assertion) {
				for _, v := range role(t, a) {
					assert.NotContains(t, v, "admins", "text of a nested element leaked into the value")
				}
			},
		},
		{
			name: "comment inserted into a signed value",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), ">staff<", ">st<!-- admins -->aff<")
			},
			refuse: []Check{CheckSignature},
			accept: atkIsAlice,
		},
		{
			name: "value written as CDATA after signing",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), ">staff<", "><![CDATA[staff]]><")
			},
			refuse: []Check{CheckSignature},
			accept: atkIsAlice,
		},
	}
	atkRun(t, cases)
}

func TestAttackEncryptedAssertions(t *testing.T) {
	signedPlain := func(t *testing.T) string { return atkAssertionOf(t, atkAssertionSigned(t, vResp{})) }
	cases := []atkCase{
		{
			name: "control: encrypted signed assertion in an unsigned Response",
			doc: func(t *testing.T) []byte {
				return atkWithEncrypted(t, vResp{}.xml(t), []byte(signedPlain(t)), false)
			},
			accept: func(t *testing.T, a *Assertion) {
				atkIsAlice(t, a)
				assert.True(t, a.Encrypted)
			},
		},
		{
			name: "EncryptedAssertion next to a plain assertion",
			doc: func(t *testing.T) []byte {
				return atkWithEncrypted(t, vResp{}.xml(t), []byte(signedPlain(t)), true)
			},
			refuse: []Check{CheckSchema},
		},
		{
			name: "EncryptedAssertion next to a plain evil assertion",
			doc: func(t *testing.T) []byte {
				evilDoc := []byte(atkUnsigned(atkEvil(string(vResp{}.xml(t)))))
				return atkWithEncrypted(t, evilDoc, []byte(signedPlain(t)), true)
			},
			refuse: []Check{CheckSchema},
		},
		{
			name: "EncryptedAssertion hidden in Extensions next to a plain evil assertion",
			doc: func(t *testing.T) []byte {
				enc := atkEncryptedAssertion(t, []byte(signedPlain(t)), xmlenc.EncryptOptions{})
				return atkReplace(t, []byte(atkEvil(string(vResp{}.xml(t)))), "<samlp:Status>",
					"<samlp:Extensions>"+enc+"</samlp:Extensions><samlp:Status>")
			},
			refuse: []Check{CheckSchema},
		},
		{
			name: "plaintext holds two assertions",
			doc: func(t *testing.T) []byte {
				p := signedPlain(t)
				return atkWithEncrypted(t, vResp{}.xml(t), []byte(p+atkEvil(p)), false)
			},
			refuse: []Check{CheckDecryption}, // one opaque refusal: no padding oracle
		},
		{
			name: "plaintext holds an assertion inside the assertion",
			doc: func(t *testing.T) []byte {
				p := signedPlain(t)
				inner := strings.Replace(p, "</saml:Issuer>",
					"</saml:Issuer><saml:Statement>"+atkUnsigned(atkEvil(p))+"</saml:Statement>", 1)
				return atkWithEncrypted(t, vResp{}.xml(t), []byte(inner), false)
			},
			refuse: []Check{CheckDecryption}, // one opaque refusal: no padding oracle
		},
		{
			name: "plaintext with a DOCTYPE and an entity",
			doc: func(t *testing.T) []byte {
				p := `<!DOCTYPE saml:Assertion [<!ENTITY who "mallory">]>` + signedPlain(t)
				return atkWithEncrypted(t, vResp{}.xml(t), []byte(p), false)
			},
			refuse: []Check{CheckDecryption}, // one opaque refusal: no padding oracle
		},
		{
			name: "plaintext with a processing instruction",
			doc: func(t *testing.T) []byte {
				return atkWithEncrypted(t, vResp{}.xml(t), []byte(`<?evil x?>`+signedPlain(t)), false)
			},
			refuse: []Check{CheckDecryption}, // one opaque refusal: no padding oracle
		},
		{
			name: "plaintext with trailing content",
			doc: func(t *testing.T) []byte {
				return atkWithEncrypted(t, vResp{}.xml(t), []byte(signedPlain(t)+"trailing"), false)
			},
			refuse: []Check{CheckDecryption}, // one opaque refusal: no padding oracle
		},
		{
			name: "plaintext in UTF-16",
			doc: func(t *testing.T) []byte {
				p := `<?xml version="1.0" encoding="UTF-16"?>` + signedPlain(t)
				return atkWithEncrypted(t, vResp{}.xml(t), []byte(p), false)
			},
			refuse: []Check{CheckDecryption}, // one opaque refusal: no padding oracle
		},
		{
			name: "plaintext assertion unsigned, Response unsigned",
			doc: func(t *testing.T) []byte {
				return atkWithEncrypted(t, vResp{}.xml(t), []byte(atkUnsigned(atkEvil(signedPlain(t)))), false)
			},
			refuse: []Check{CheckSignature},
		},
		{
			name: "plaintext is a whole signed Response",
			doc: func(t *testing.T) []byte {
				return atkWithEncrypted(t, vResp{}.xml(t), atkResponseSigned(t, vResp{}), false)
			},
			refuse: []Check{CheckDecryption, CheckSchema},
		},
		{
			name: "plaintext assertion in another namespace",
			doc: func(t *testing.T) []byte {
				p := strings.Replace(signedPlain(t), `xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"`,
					`xmlns:saml="urn:evil"`, 1)
				return atkWithEncrypted(t, vResp{}.xml(t), []byte(p), false)
			},
			refuse: []Check{CheckDecryption, CheckSchema},
		},
		{
			name: "encrypted to another key",
			doc: func(t *testing.T) []byte {
				vKeys(t)
				enc := atkEncryptedAssertionFor(t, []byte(signedPlain(t)), vOtherKey.cert, xmlenc.EncryptOptions{})
				doc := vResp{}.xml(t)
				return atkReplace(t, doc, atkAssertionOf(t, doc), enc)
			},
			refuse: []Check{CheckDecryption},
		},
		{
			name: "RSA1_5 key transport",
			doc: func(t *testing.T) []byte {
				enc := atkEncryptedAssertion(t, []byte(signedPlain(t)), xmlenc.EncryptOptions{KeyTransport: xmlenc.RSA15})
				doc := vResp{}.xml(t)
				return atkReplace(t, doc, atkAssertionOf(t, doc), enc)
			},
			refuse: []Check{CheckAlgorithm},
		},
		{
			name: "nine EncryptedKeys",
			doc: func(t *testing.T) []byte {
				enc := atkEncryptedAssertion(t, []byte(signedPlain(t)), xmlenc.EncryptOptions{})
				ek := regexp.MustCompile(`(?s)<xenc:EncryptedKey.*</xenc:EncryptedKey>`).FindString(enc)
				require.NotEmpty(t, ek)
				enc = strings.Replace(enc, ek, strings.Repeat(ek, 9), 1)
				doc := vResp{}.xml(t)
				return atkReplace(t, doc, atkAssertionOf(t, doc), enc)
			},
			refuse: []Check{CheckDecryption},
		},
		{
			name: "control: signed Response around an encrypted unsigned assertion",
			doc: func(t *testing.T) []byte {
				p := atkUnsigned(atkAssertionOf(t, vResp{}.xml(t)))
				return vSign(t, atkWithEncrypted(t, vResp{}.xml(t), []byte(p), false), vSignOpts{response: true})
			},
			accept: atkIsAlice,
		},
		{
			name: "ciphertext changed under a signed Response",
			doc: func(t *testing.T) []byte {
				p := atkUnsigned(atkAssertionOf(t, vResp{}.xml(t)))
				doc := vSign(t, atkWithEncrypted(t, vResp{}.xml(t), []byte(p), false), vSignOpts{response: true})
				return atkFlipCiphertext(t, doc, func(ct []byte) { ct[20] ^= 1 })
			},
			refuse: []Check{CheckSignature},
		},
		{
			name: "xmlns:Algorithm switches a signed GCM ciphertext to CBC",
			doc: func(t *testing.T) []byte {
				p := atkUnsigned(atkAssertionOf(t, vResp{}.xml(t)))
				doc := vSign(t, atkWithEncrypted(t, vResp{}.xml(t), []byte(p), false), vSignOpts{response: true})
				return atkReplace(t, doc, `<xenc:EncryptionMethod Algorithm="`+string(xmlenc.AES256GCM)+`"`,
					`<xenc:EncryptionMethod xmlns:Algorithm="`+string(xmlenc.AES256CBC)+
						`" Algorithm="`+string(xmlenc.AES256GCM)+`"`)
			},
			refuse: []Check{CheckDecryption, CheckXML, CheckSignature, CheckAlgorithm},
		},
		{
			name: "no SP decryption key configured",
			doc: func(t *testing.T) []byte {
				return atkWithEncrypted(t, vResp{}.xml(t), []byte(signedPlain(t)), false)
			},
			config: func(c *VerifierConfig) { c.DecryptionKeys = nil },
			refuse: []Check{CheckDecryption},
		},
	}
	atkRun(t, cases)
}

// TestAttackCBCPaddingOracle: anyone who captured an EncryptedAssertion
// can put it, altered, into an unsigned Response of their own; it is
// decrypted before any signature protects it. If a bad CBC padding and a
// good padding over garbled content are refused differently, the refusals
// are a padding oracle that decrypts the assertion block by block (Jager
// and Somorovsky, "How to break XML Encryption", 2011).
func TestAttackCBCPaddingOracle(t *testing.T) {
	plain := []byte(atkAssertionOf(t, atkAssertionSigned(t, vResp{})))
	enc := atkEncryptedAssertion(t, plain, xmlenc.EncryptOptions{Algorithm: xmlenc.AES256CBC})
	doc := vResp{}.xml(t)
	doc = atkReplace(t, doc, atkAssertionOf(t, doc), enc)
	pad := byte(16 - len(plain)%16)

	// Flipping an IV byte garbles only the first block; the padding stays.
	garbled := atkFlipCiphertext(t, doc, func(ct []byte) { ct[0] ^= 0x55 })
	// Flipping the last byte of the next-to-last block turns the padding
	// length into zero, which is invalid.
	badPadding := atkFlipCiphertext(t, doc, func(ct []byte) { ct[len(ct)-17] ^= pad })

	v := newVVerifier(t, nil)
	_, err := vVerifyDoc(v, doc)
	require.NoError(t, err, "control: the untouched response is accepted")
	_, errGarbled := vVerifyDoc(v, garbled)
	_, errPadding := vVerifyDoc(v, badPadding)
	var g, p *ValidationError
	require.ErrorAs(t, errGarbled, &g)
	require.ErrorAs(t, errPadding, &p)
	assert.Equal(t, p.Check, g.Check, "padding error %q vs content error %q", errPadding, errGarbled)
	assert.Equal(t, errPadding.Error(), errGarbled.Error(),
		"a bad padding and a good padding over garbage must be refused alike")
}

func TestAttackInResponseTo(t *testing.T) {
	cases := []struct {
		name       string
		doc        func(t *testing.T) []byte
		requestIDs []string
		config     func(*VerifierConfig)
		refuse     []Check
	}{
		{
			name: "empty InResponseTo attributes, signed",
			doc: func(t *testing.T) []byte {
				doc := strings.ReplaceAll(string(vResp{}.xml(t)), `InResponseTo="`+tRequestID+`"`, `InResponseTo=""`)
				return vSign(t, []byte(doc), vSignOpts{assertion: true, response: true})
			},
			requestIDs: []string{""},
			refuse:     []Check{CheckInResponseTo, CheckUnsolicited},
		},
		{
			name: "InResponseTo padded with white space",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, vResp{InResponseTo: " " + tRequestID + " "})
			},
			requestIDs: []string{tRequestID},
			refuse:     []Check{CheckInResponseTo},
		},
		{
			name: "InResponseTo in another case",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, vResp{InResponseTo: strings.ToUpper(tRequestID)})
			},
			requestIDs: []string{tRequestID},
			refuse:     []Check{CheckInResponseTo},
		},
		{
			name:       "solicited response, no request outstanding",
			doc:        func(t *testing.T) []byte { return atkAssertionSigned(t, vResp{}) },
			requestIDs: nil,
			refuse:     []Check{CheckInResponseTo},
		},
		{
			name: "unsolicited signed assertion given the victim's request ID in the unsigned Response",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, vResp{NoSCDInRespTo: true})
			},
			requestIDs: []string{tRequestID},
			refuse:     []Check{CheckInResponseTo},
		},
		{
			name: "unsolicited signed assertion given the victim's request ID, IdP-initiated allowed",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, vResp{NoSCDInRespTo: true})
			},
			requestIDs: []string{tRequestID},
			config:     func(c *VerifierConfig) { c.AllowIDPInitiated = true },
			refuse:     []Check{CheckInResponseTo},
		},
		{
			name: "another browser's solicited assertion, InResponseTo stripped, IdP-initiated allowed",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, vResp{InResponseTo: "_req-of-attacker", NoInResponseTo: true})
			},
			requestIDs: []string{tRequestID},
			config:     func(c *VerifierConfig) { c.AllowIDPInitiated = true },
			refuse:     []Check{CheckInResponseTo},
		},
		{
			name: "another browser's solicited assertion, unsigned InResponseTo rewritten",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{InResponseTo: "_req-of-attacker"})
				return atkReplace(t, doc, `InResponseTo="_req-of-attacker"`, `InResponseTo="`+tRequestID+`"`)
			},
			requestIDs: []string{tRequestID},
			refuse:     []Check{CheckInResponseTo},
		},
		{
			name: "unsolicited response with IdP-initiated off",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, vResp{NoInResponseTo: true, NoSCDInRespTo: true})
			},
			requestIDs: []string{tRequestID},
			refuse:     []Check{CheckUnsolicited},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVVerifier(t, tc.config)
			a, err := v.VerifyXML(context.Background(), tc.doc(t), tc.requestIDs)
			atkOutcome(t, a, err, tc.refuse, nil)
		})
	}
}

func TestAttackTimeEdges(t *testing.T) {
	skew := DefaultClockSkew
	clock := func(d time.Duration) func(*VerifierConfig) {
		return func(c *VerifierConfig) { c.Now = func() time.Time { return tNow.Add(d) } }
	}
	// fresh is a response issued just now at clock d.
	fresh := func(d time.Duration, r vResp) vResp {
		r.IssueInstant = atkAt(d)
		return r
	}
	cases := []atkCase{
		{
			name: "exactly at NotOnOrAfter plus skew",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, fresh(5*time.Minute+skew, vResp{SCDNotAfter: atkAt(time.Hour)}))
			},
			config: clock(5*time.Minute + skew),
			refuse: []Check{CheckNotOnOrAfter},
		},
		{
			name: "one second before NotOnOrAfter plus skew",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, fresh(5*time.Minute, vResp{SCDNotAfter: atkAt(time.Hour)}))
			},
			config: clock(5*time.Minute + skew - time.Second),
			accept: atkIsAlice,
		},
		{
			name: "exactly at the confirmation's NotOnOrAfter plus skew",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, fresh(5*time.Minute+skew, vResp{NotAfter: atkAt(time.Hour)}))
			},
			config: clock(5*time.Minute + skew),
			refuse: []Check{CheckNotOnOrAfter},
		},
		{
			name: "NotBefore one second beyond the skew",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, vResp{NotBefore: atkAt(skew + time.Second)})
			},
			refuse: []Check{CheckNotBefore},
		},
		{
			name:   "NotBefore exactly at the skew",
			doc:    func(t *testing.T) []byte { return atkAssertionSigned(t, vResp{NotBefore: atkAt(skew)}) },
			accept: atkIsAlice,
		},
		{
			name: "SessionNotOnOrAfter exactly now",
			doc: func(t *testing.T) []byte {
				doc := atkReplace(t, vResp{}.xml(t), `SessionIndex="_session-1"`,
					`SessionIndex="_session-1" SessionNotOnOrAfter="`+atkAt(0)+`"`)
				return vSign(t, doc, vSignOpts{assertion: true})
			},
			refuse: []Check{CheckNotOnOrAfter},
		},
		{
			name: "Response issued one second beyond the skew in the future",
			doc: func(t *testing.T) []byte {
				return atkResponseSigned(t, vResp{IssueInstant: atkAt(skew + time.Second)})
			},
			refuse: []Check{CheckIssueInstant, CheckNotBefore},
		},
		{
			name: "time zone offset hides an expiry",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, vResp{NotAfter: "2026-12-03T12:30:00+01:00"})
			},
			refuse: []Check{CheckNotOnOrAfter},
		},
		{
			name: "expired time without a zone designator",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, vResp{SCDNotAfter: "2026-12-03T11:30:00"})
			},
			refuse: []Check{CheckNotOnOrAfter},
		},
		{
			name:   "NotOnOrAfter that is not a time",
			doc:    func(t *testing.T) []byte { return atkAssertionSigned(t, vResp{NotAfter: "tomorrow"}) },
			refuse: []Check{CheckSchema},
		},
		{
			name: "NotOnOrAfter in year 10000",
			doc: func(t *testing.T) []byte {
				return atkAssertionSigned(t, vResp{NotAfter: "10000-01-01T00:00:00Z"})
			},
			refuse: []Check{CheckSchema},
		},
		{
			name: "assertion issued an hour in the future, unsigned Response dated now",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{IssueInstant: atkAt(time.Hour)})
				return atkReplace(t, doc, `IssueInstant="`+atkAt(time.Hour)+`"`,
					`IssueInstant="`+atkAt(0)+`"`)
			},
			refuse: []Check{CheckIssueInstant, CheckNotBefore},
		},
		{
			name: "assertion issued two hours ago, unsigned Response re-dated to now",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{IssueInstant: atkAt(-2 * time.Hour),
					NotBefore: atkAt(-2 * time.Hour)})
				return atkReplace(t, doc, `IssueInstant="`+atkAt(-2*time.Hour)+`"`,
					`IssueInstant="`+atkAt(0)+`"`)
			},
			refuse: []Check{CheckIssueInstant, CheckNotOnOrAfter},
		},
	}
	atkRun(t, cases)
}

func TestAttackReplay(t *testing.T) {
	vKeys(t)
	shared := func(cache ReplayCache, skew time.Duration, now *time.Time) *Verifier {
		return newVVerifier(t, func(c *VerifierConfig) {
			c.ReplayCache = cache
			c.ClockSkew = skew
			c.Now = func() time.Time { return *now }
		})
	}

	t.Run("two verifiers sharing a MemoryReplayCache", func(t *testing.T) {
		now := tNow
		cache := &MemoryReplayCache{Now: func() time.Time { return now }}
		doc := atkAssertionSigned(t, vResp{})
		_, err := vVerifyDoc(shared(cache, 0, &now), doc)
		require.NoError(t, err)
		a, err := vVerifyDoc(shared(cache, 0, &now), doc)
		atkOutcome(t, a, err, []Check{CheckReplay}, nil)
	})

	t.Run("same assertion re-wrapped in a new Response", func(t *testing.T) {
		v := newVVerifier(t, nil)
		doc := atkAssertionSigned(t, vResp{})
		_, err := vVerifyDoc(v, doc)
		require.NoError(t, err)
		again := atkReplace(t, doc, `ID="`+atkRespID+`"`, `ID="_another-response"`)
		a, err := vVerifyDoc(v, again)
		atkOutcome(t, a, err, []Check{CheckReplay}, nil)
	})

	t.Run("same assertion sent again encrypted", func(t *testing.T) {
		v := newVVerifier(t, nil)
		doc := atkAssertionSigned(t, vResp{})
		_, err := vVerifyDoc(v, doc)
		require.NoError(t, err)
		a, err := vVerifyDoc(v, atkWithEncrypted(t, vResp{}.xml(t), []byte(atkAssertionOf(t, doc)), false))
		atkOutcome(t, a, err, []Check{CheckReplay}, nil)
	})

	t.Run("same assertion with comments and character references", func(t *testing.T) {
		v := newVVerifier(t, nil)
		doc := atkAssertionSigned(t, vResp{})
		_, err := vVerifyDoc(v, doc)
		require.NoError(t, err)
		again := atkReplace(t, doc, "alice@example.com<", "alice<!---->&#64;example.com<")
		a, err := vVerifyDoc(v, again)
		atkOutcome(t, a, err, []Check{CheckReplay, CheckSignature}, nil)
	})

	t.Run("shared cache, second verifier tolerates more skew", func(t *testing.T) {
		// Both verifiers serve the same SP and IdP (say, two instances
		// during a configuration roll-out). The first records the ID only
		// until NotOnOrAfter plus its own small skew; the second would
		// still accept the assertion after that.
		now := tNow
		cache := &MemoryReplayCache{Now: func() time.Time { return now }}
		doc := atkAssertionSigned(t, vResp{})
		_, err := vVerifyDoc(shared(cache, 10*time.Second, &now), doc)
		require.NoError(t, err)

		now = tNow.Add(5*time.Minute + time.Minute) // past NotOnOrAfter + 10 s, within + 10 min
		a, err := vVerifyDoc(shared(cache, 10*time.Minute, &now), doc)
		atkOutcome(t, a, err, []Check{CheckReplay}, nil)
	})
}

func TestAttackConfiguration(t *testing.T) {
	t.Run("empty ACS URL in the list accepts a missing Recipient", func(t *testing.T) {
		vKeys(t)
		cfg := VerifierConfig{SPEntityID: tSP, ACSURLs: []string{tACS, ""}, IDPEntityID: tIDP,
			IDPCertificates: []*x509.Certificate{vIDPKey.cert}, Now: func() time.Time { return tNow }}
		v, err := NewVerifier(cfg)
		if err != nil {
			return // refusing the configuration is a fine answer
		}
		doc := atkReplace(t, vResp{}.xml(t), ` Recipient="`+tACS+`"`, "")
		doc = vSign(t, doc, vSignOpts{assertion: true})
		a, err := vVerifyDoc(v, doc)
		atkOutcome(t, a, err, []Check{CheckRecipient}, nil)
	})
}

// TestAttackResourceBombs sends documents within the default size limit
// that are built to make the verifier work hard. Each must be answered
// within 100 ms, or five times what a plain document of the same size
// costs on this machine (the race detector slows everything down).
func TestAttackResourceBombs(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	vKeys(t)
	v := newVVerifier(t, nil)
	base := string(vResp{}.xml(t))
	budget := DefaultMaxResponseSize - len(base) - 8<<10

	plain := atkReplace(t, atkAssertionSigned(t, vResp{}), "<samlp:Status>",
		"<samlp:Extensions>"+strings.Repeat("<e/>", budget/4)+"</samlp:Extensions><samlp:Status>")
	baseline := time.Duration(1 << 62)
	for i := 0; i < 3; i++ {
		start := time.Now()
		_, err := newVVerifier(t, nil).VerifyXML(context.Background(), plain, []string{tRequestID})
		require.NoError(t, err)
		baseline = min(baseline, time.Since(start))
	}
	limit := max(100*time.Millisecond, 5*baseline)
	t.Logf("plain %d-byte document: %v; limit %v", len(plain), baseline, limit)

	cases := []struct {
		name string
		doc  func(t *testing.T) []byte
		form bool // send through Verify as a form value
	}{
		{
			name: "nesting at the depth limit, repeated",
			doc: func(t *testing.T) []byte {
				unit := strings.Repeat("<a>", 55) + strings.Repeat("</a>", 55)
				return atkReplace(t, []byte(base), "<samlp:Status>",
					"<samlp:Extensions>"+strings.Repeat(unit, budget/len(unit))+"</samlp:Extensions><samlp:Status>")
			},
		},
		{
			name: "huge SignatureValue",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				return regexp.MustCompile(`<ds:SignatureValue>[^<]*`).ReplaceAll(doc,
					[]byte("<ds:SignatureValue>"+strings.Repeat("QUFB", budget/4)))
			},
		},
		{
			name: "huge DigestValue",
			doc: func(t *testing.T) []byte {
				doc := atkAssertionSigned(t, vResp{})
				return regexp.MustCompile(`<ds:DigestValue>[^<]*`).ReplaceAll(doc,
					[]byte("<ds:DigestValue>"+strings.Repeat("QUFB", budget/4)))
			},
		},
		{
			name: "huge CipherValue",
			doc: func(t *testing.T) []byte {
				p := atkAssertionOf(t, vResp{ExtraInAssertion: "<!--" + strings.Repeat("x", budget/2) + "-->"}.xml(t))
				return atkWithEncrypted(t, vResp{}.xml(t), []byte(p), false)
			},
		},
		{
			name: "eight EncryptedKeys, content that never decrypts",
			doc: func(t *testing.T) []byte {
				// Every key unwraps (one RSA operation each) and the
				// content then fails its GCM tag, so all eight are tried.
				enc := atkEncryptedAssertion(t, []byte(atkAssertionOf(t, vResp{}.xml(t))), xmlenc.EncryptOptions{})
				ek := regexp.MustCompile(`(?s)<xenc:EncryptedKey.*</xenc:EncryptedKey>`).FindString(enc)
				enc = strings.Replace(enc, ek, strings.Repeat(ek, 8), 1)
				doc := vResp{}.xml(t)
				doc = atkReplace(t, doc, atkAssertionOf(t, doc), enc)
				return atkFlipCiphertext(t, doc, func(ct []byte) { ct[len(ct)-1] ^= 1 })
			},
		},
		{
			name: "signed assertion with as many attribute values as fit",
			doc: func(t *testing.T) []byte {
				groups := make([]string, budget/80)
				for i := range groups {
					groups[i] = fmt.Sprintf("group-%06d", i)
				}
				return atkAssertionSigned(t, vResp{Attributes: map[string][]string{"groups": groups},
					AttrOrder: []string{"groups"}})
			},
		},
		{
			name: "form value at the size limit with line breaks",
			form: true,
			doc: func(t *testing.T) []byte {
				return regexp.MustCompile(`.{76}`).ReplaceAll(vB64(plain), []byte("$0\r\n"))
			},
		},
		{
			name: "comments inside SignedInfo (no valid signature needed)",
			doc: func(t *testing.T) []byte {
				return atkFakeResponseSignature(t, base, strings.Repeat("<!---->", budget/7), "", "")
			},
		},
		{
			name: "comments inside a validly signed assertion",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, atkAssertionSigned(t, vResp{}), "<saml:Subject>",
					"<saml:Subject>"+strings.Repeat("<!---->", budget/7))
			},
		},
		{
			name: "attributes on one element",
			doc: func(t *testing.T) []byte {
				return atkReplace(t, []byte(base), "<samlp:Status>",
					"<samlp:Status"+atkFill(budget, func(i int) string { return fmt.Sprintf(` a%x=""`, i) })+">")
			},
		},
		{
			name: "foreign Signature elements under many namespace declarations",
			doc: func(t *testing.T) []byte {
				n := 0
				decls := atkFill(budget/2, func(i int) string { n = i; return fmt.Sprintf(` xmlns:p%x="u"`, i) })
				el := fmt.Sprintf("<p%x:Signature/>", n)
				doc := atkReplace(t, []byte(base), `ID="`+atkRespID+`"`, `ID="`+atkRespID+`"`+decls)
				return atkReplace(t, doc, "<samlp:Status>", strings.Repeat(el, budget/2/len(el))+"<samlp:Status>")
			},
		},
		{
			name: "64 namespace declarations inherited by the most elements that fit, inside SignedInfo",
			doc: func(t *testing.T) []byte {
				decls := ""
				for i := 0; i < 60; i++ {
					decls += fmt.Sprintf(` xmlns:p%d="urn:p%d"`, i, i)
				}
				return atkFakeResponseSignature(t, base, "", strings.Repeat("<a/>", (budget-len(decls))/4), decls)
			},
		},
		{
			name: "64 namespace declarations inherited by the most elements that fit, in a signed assertion",
			doc: func(t *testing.T) []byte {
				decls := ""
				for i := 0; i < 60; i++ {
					decls += fmt.Sprintf(` xmlns:p%d="urn:p%d"`, i, i)
				}
				doc := atkReplace(t, atkAssertionSigned(t, vResp{}), `ID="`+atkRespID+`"`, `ID="`+atkRespID+`"`+decls)
				return atkReplace(t, doc, "<saml:Subject>",
					"<saml:Subject>"+strings.Repeat("<a/>", (budget-len(decls))/4))
			},
		},
		{
			name: "Signature-named children of an unsigned assertion, root at the attribute limit",
			doc: func(t *testing.T) []byte {
				// Each child makes parseSignature look its prefix up
				// through the root's attributes, the last of which binds it.
				attrs := ""
				for i := 0; i < 190; i++ {
					attrs += fmt.Sprintf(` a%d=""`, i)
				}
				for i := 0; i < 60; i++ {
					attrs += fmt.Sprintf(` xmlns:p%d="urn:p%d"`, i, i)
				}
				doc := atkReplace(t, []byte(base), `ID="`+atkRespID+`"`, `ID="`+atkRespID+`"`+attrs)
				el := "<p59:Signature/>"
				return atkReplace(t, doc, "<saml:Subject>",
					strings.Repeat(el, (budget-len(attrs))/len(el))+"<saml:Subject>")
			},
		},
		{
			name: "namespace declarations inherited by elements inside SignedInfo",
			doc: func(t *testing.T) []byte {
				// A quarter of the budget is enough to show the cost; the
				// whole budget takes tens of seconds.
				decls := atkFill(budget/8, func(i int) string { return fmt.Sprintf(` xmlns:p%x="u"`, i) })
				return atkFakeResponseSignature(t, base, "", strings.Repeat("<a/>", budget/32), decls)
			},
		},
		{
			name: "namespace declarations inherited by elements of a validly signed assertion",
			doc: func(t *testing.T) []byte {
				decls := atkFill(budget/8, func(i int) string { return fmt.Sprintf(` xmlns:p%x="u"`, i) })
				doc := atkReplace(t, atkAssertionSigned(t, vResp{}), `ID="`+atkRespID+`"`, `ID="`+atkRespID+`"`+decls)
				return atkReplace(t, doc, "<saml:Subject>", "<saml:Subject>"+strings.Repeat("<a/>", budget/32))
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := tc.doc(t)
			if !tc.form {
				require.LessOrEqual(t, len(doc), DefaultMaxResponseSize, "bomb must fit the size limit")
			}
			took, done := atkTimeVerify(v, doc, tc.form, limit)
			if !done {
				t.Errorf("%d-byte input still running after %v (limit %v)", len(doc), took, limit)
				return
			}
			t.Logf("%d bytes: %v", len(doc), took)
			assert.Less(t, took, limit, "%d-byte input took %v", len(doc), took)
		})
	}
}

// atkTimeVerify runs one verification and waits at most limit for it. A run
// that overruns keeps going in the background; the test has failed anyway.
func atkTimeVerify(v *Verifier, doc []byte, form bool, limit time.Duration) (time.Duration, bool) {
	done := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		if form {
			_, _ = v.Verify(context.Background(), doc, []string{tRequestID})
		} else {
			_, _ = v.VerifyXML(context.Background(), doc, []string{tRequestID})
		}
		done <- time.Since(start)
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case d := <-done:
		return d, true
	case <-timer.C:
		return time.Since(start), false
	}
}

// atkFill concatenates unit(0), unit(1), ... until size bytes are reached.
func atkFill(size int, unit func(i int) string) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		b.WriteString(unit(i))
	}
	return b.String()
}

// atkFakeResponseSignature gives the unsigned response base a Signature
// that passes every structural check (so that the verifier canonicalises
// its SignedInfo) but whose value is garbage. inSignedInfo goes first in
// SignedInfo, inCanon inside CanonicalizationMethod, and rootAttrs on the
// Response element.
func atkFakeResponseSignature(t *testing.T, base, inSignedInfo, inCanon, rootAttrs string) []byte {
	t.Helper()
	sig := `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` + inSignedInfo +
		`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">` + inCanon +
		`</ds:CanonicalizationMethod><ds:SignatureMethod Algorithm="` + AlgRSASHA256 + `"/>` +
		`<ds:Reference URI="#` + atkRespID + `"><ds:Transforms>` +
		`<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
		`<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>` +
		`<ds:DigestMethod Algorithm="` + AlgSHA256 + `"/><ds:DigestValue>` +
		base64.StdEncoding.EncodeToString(make([]byte, 32)) + `</ds:DigestValue></ds:Reference>` +
		`</ds:SignedInfo><ds:SignatureValue>` + base64.StdEncoding.EncodeToString(make([]byte, 256)) +
		`</ds:SignatureValue></ds:Signature>`
	doc := atkReplace(t, []byte(base), "<samlp:Status>", sig+"<samlp:Status>")
	return atkReplace(t, doc, `ID="`+atkRespID+`"`, `ID="`+atkRespID+`"`+rootAttrs)
}

// atkRecipient is a document whose signed confirmation names r.
func atkRecipient(r string) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		doc := atkReplace(t, vResp{Recipient: "RECIPIENT-PLACEHOLDER"}.xml(t), "RECIPIENT-PLACEHOLDER", r)
		return vSign(t, doc, vSignOpts{assertion: true})
	}
}

// atkIssuer is a document whose signed Response and Assertion Issuers are iss.
func atkIssuer(iss string) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		return vSign(t, vResp{ResponseIssuer: iss, AssertionIssuer: iss}.xml(t),
			vSignOpts{assertion: true, response: true})
	}
}

// atkAudience is a document whose signed Audience is au.
func atkAudience(au string) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		doc := vResp{Audience: "AUDIENCE-PLACEHOLDER"}.xml(t)
		doc = atkReplace(t, doc, "AUDIENCE-PLACEHOLDER", au)
		return vSign(t, doc, vSignOpts{assertion: true})
	}
}

// atkConditions renders r with extra appended inside its Conditions.
func atkConditions(t *testing.T, r vResp, extra string) []byte {
	t.Helper()
	return atkReplace(t, r.xml(t), "</saml:Conditions>", extra+"</saml:Conditions>")
}

// atkDefaultNSDoc is a response whose signed assertion uses the assertion
// namespace as its default namespace, without prefixes.
func atkDefaultNSDoc(t *testing.T) []byte {
	t.Helper()
	raw := string(vResp{}.xml(t))
	a := atkAssertionOf(t, []byte(raw))
	d := strings.ReplaceAll(a, "<saml:", "<")
	d = strings.ReplaceAll(d, "</saml:", "</")
	d = strings.Replace(d, "xmlns:saml=", "xmlns=", 1)
	return vSign(t, []byte(strings.Replace(raw, a, d, 1)), vSignOpts{assertion: true})
}

// atkSignedLogoutRequest is a LogoutRequest signed with the IdP's key.
func atkSignedLogoutRequest(t *testing.T) string {
	t.Helper()
	vKeys(t)
	d := etree.NewDocument()
	require.NoError(t, d.ReadFromString(`<samlp:LogoutRequest `+
		`xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" `+
		`xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_logout-1" Version="2.0" `+
		`IssueInstant="`+atkAt(0)+`" Destination="`+tACS+`"><saml:Issuer>`+tIDP+`</saml:Issuer>`+
		`<saml:NameID>alice@example.com</saml:NameID></samlp:LogoutRequest>`))
	vSignElement(t, d.Root(), vSignOpts{key: vIDPKey})
	s, err := d.WriteToString()
	require.NoError(t, err)
	return s
}

// atkSignedMetadata is IdP metadata signed with the IdP's key.
func atkSignedMetadata(t *testing.T) string {
	t.Helper()
	vKeys(t)
	d := etree.NewDocument()
	require.NoError(t, d.ReadFromString(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" `+
		`ID="_md-1" entityID="`+tIDP+`"><md:IDPSSODescriptor `+
		`protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>`))
	vSignElement(t, d.Root(), vSignOpts{key: vIDPKey})
	s, err := d.WriteToString()
	require.NoError(t, err)
	return s
}

// atkFlipCiphertext decodes the content CipherValue of doc (the last one:
// those before it belong to EncryptedKeys), lets mutate change it, and puts
// it back.
func atkFlipCiphertext(t *testing.T, doc []byte, mutate func(ct []byte)) []byte {
	t.Helper()
	m := regexp.MustCompile(`<xenc:CipherValue>([^<]+)</xenc:CipherValue>`).FindAllSubmatch(doc, -1)
	require.GreaterOrEqual(t, len(m), 2)
	last := m[len(m)-1]
	ct, err := decodeBase64(string(last[1]))
	require.NoError(t, err)
	mutate(ct)
	return atkReplace(t, doc, string(last[0]),
		"<xenc:CipherValue>"+base64.StdEncoding.EncodeToString(ct)+"</xenc:CipherValue>")
}

// atkEncryptedAssertion encrypts plain for the SP's certificate.
func atkEncryptedAssertion(t *testing.T, plain []byte, o xmlenc.EncryptOptions) string {
	t.Helper()
	vKeys(t)
	return atkEncryptedAssertionFor(t, plain, vSPCert, o)
}

// atkEncryptedAssertionFor encrypts plain for cert.
func atkEncryptedAssertionFor(t *testing.T, plain []byte, cert *x509.Certificate,
	o xmlenc.EncryptOptions) string {
	t.Helper()
	ed, err := xmlenc.Encrypt(plain, cert, o)
	require.NoError(t, err)
	d := etree.NewDocument()
	d.SetRoot(ed)
	s, err := d.WriteToString()
	require.NoError(t, err)
	return "<saml:EncryptedAssertion>" + s + "</saml:EncryptedAssertion>"
}

// atkWithEncrypted replaces the assertion of doc with an EncryptedAssertion
// of plain, keeping the plain assertion next to it when keep is set.
func atkWithEncrypted(t *testing.T, doc, plain []byte, keep bool) []byte {
	t.Helper()
	a := atkAssertionOf(t, doc)
	enc := atkEncryptedAssertion(t, plain, xmlenc.EncryptOptions{})
	if keep {
		enc += a
	}
	return atkReplace(t, doc, a, enc)
}

// atkSignWithPrefixList signs the assertion of doc with the IdP key, with an
// InclusiveNamespaces PrefixList on the exclusive C14N transform (as Okta
// does), which goxmldsig's signer cannot produce.
func atkSignWithPrefixList(t *testing.T, doc []byte, prefixes string) []byte {
	t.Helper()
	vKeys(t)
	d := etree.NewDocument()
	require.NoError(t, d.ReadFromBytes(doc))
	a := d.Root().FindElement("./Assertion")
	require.NotNil(t, a)
	c14n, err := canonicalize(a, prefixes)
	require.NoError(t, err)
	digest := sha256.Sum256(c14n)

	sd := etree.NewDocument()
	require.NoError(t, sd.ReadFromString(`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">`+
		`<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>`+
		`<ds:SignatureMethod Algorithm="`+AlgRSASHA256+`"/><ds:Reference URI="#`+atkAssertID+`">`+
		`<ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>`+
		`<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">`+
		`<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="`+prefixes+`"/>`+
		`</ds:Transform></ds:Transforms><ds:DigestMethod Algorithm="`+AlgSHA256+`"/>`+
		`<ds:DigestValue>`+base64.StdEncoding.EncodeToString(digest[:])+`</ds:DigestValue>`+
		`</ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature>`))
	sig := sd.Root()
	sd.RemoveChild(sig)
	a.InsertChildAt(1, sig)

	si, err := canonicalize(sig.SelectElement("SignedInfo"), "")
	require.NoError(t, err)
	h := sha256.Sum256(si)
	value, err := vIDPKey.signer.Sign(rand.Reader, h[:], crypto.SHA256)
	require.NoError(t, err)
	sig.SelectElement("SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	out, err := d.WriteToBytes()
	require.NoError(t, err)
	return out
}
