package saml

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	_ "crypto/sha1" // registers crypto.SHA1, used only where an admin allowed it
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Canonicalisation and transform algorithm URIs (XML-DSig section 6.6 and
// Exclusive XML Canonicalization 1.0).
const (
	algExcC14N   = "http://www.w3.org/2001/10/xml-exc-c14n#"
	algEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
)

// sigPolicy says which signatures verifyEnveloped accepts.
type sigPolicy struct {
	// AllowSHA1 accepts RSA-SHA1 signatures and SHA-1 digests.
	AllowSHA1 bool
	// Now is the instant at which the signing certificate must be valid.
	Now time.Time
	// IgnoreCertExpiry skips the certificate validity-period check.
	IgnoreCertExpiry bool
}

// sigAlg describes one accepted SignatureMethod.
type sigAlg struct {
	hash  crypto.Hash
	ecdsa bool
	sha1  bool
}

// signatureAlgs are the SignatureMethods we know. SHA-1 entries are refused
// unless the policy allows them.
var signatureAlgs = map[string]sigAlg{
	AlgRSASHA1:     {hash: crypto.SHA1, sha1: true},
	AlgRSASHA256:   {hash: crypto.SHA256},
	AlgRSASHA384:   {hash: crypto.SHA384},
	AlgRSASHA512:   {hash: crypto.SHA512},
	AlgECDSASHA256: {hash: crypto.SHA256, ecdsa: true},
	AlgECDSASHA384: {hash: crypto.SHA384, ecdsa: true},
	AlgECDSASHA512: {hash: crypto.SHA512, ecdsa: true},
}

// digestAlgs are the DigestMethods we know.
var digestAlgs = map[string]crypto.Hash{
	AlgSHA1:   crypto.SHA1,
	AlgSHA256: crypto.SHA256,
	AlgSHA384: crypto.SHA384,
	AlgSHA512: crypto.SHA512,
}

// errNoSignature is returned by verifyEnveloped when el holds no Signature.
var errNoSignature = errors.New("saml: no signature")

// signature is the parsed, not yet verified, content of a ds:Signature.
type signature struct {
	el         *etree.Element // the ds:Signature element
	signedInfo *etree.Element
	c14nPrefix string // InclusiveNamespaces of CanonicalizationMethod
	method     string
	refPrefix  string // InclusiveNamespaces of the exc-c14n transform
	digestAlg  crypto.Hash
	digest     []byte
	value      []byte
}

// verifyEnveloped checks the enveloped XML-DSig signature that is a direct
// child of el, using only certs, and returns the verified element (a
// detached copy of el without its Signature, after exclusive
// canonicalisation) and the signature algorithm URI. Callers must read
// nothing but the returned element. It returns errNoSignature when el has
// no Signature child.
//
// Accepted: exactly one Reference whose URI is "#" + el's ID, the
// enveloped-signature transform plus exclusive C14N without comments, RSA PKCS#1 v1.5 or ECDSA with SHA-2 (SHA-1 only when allowed).
// Keys in KeyInfo are ignored.
func verifyEnveloped(el *etree.Element, certs []*x509.Certificate, p sigPolicy) (*etree.Element, string, error) {
	sig, err := parseSignature(el, p)
	if err != nil {
		return nil, "", err
	}

	// The signature value must verify over the canonical SignedInfo.
	si, err := canonicalize(sig.signedInfo, sig.c14nPrefix)
	if err != nil {
		return nil, "", wrapFail(CheckSignature, "cannot canonicalise SignedInfo", err)
	}
	cert, err := checkSignatureValue(certs, sig.method, si, sig.value)
	if err != nil {
		return nil, "", err
	}

	// The signing certificate must be valid now.
	if !p.IgnoreCertExpiry {
		if err := checkCertValidity(cert, p.Now); err != nil {
			return nil, "", err
		}
	}

	// The digest must match el without its Signature.
	verified := detach(el)
	removeSignature(verified)
	c14n, err := canonicalizeInPlace(verified, sig.refPrefix)
	if err != nil {
		return nil, "", wrapFail(CheckSignature, "cannot canonicalise the signed element", err)
	}
	h := sig.digestAlg.New()
	h.Write(c14n)
	if subtle.ConstantTimeCompare(h.Sum(nil), sig.digest) != 1 {
		return nil, "", fail(CheckSignature, fmt.Sprintf(
			"digest of <%s> does not match: the signed content was changed after signing", el.Tag))
	}
	return verified, sig.method, nil
}

// parseSignature finds el's Signature child and reads its structure,
// refusing anything but the one shape SAML needs.
func parseSignature(el *etree.Element, p sigPolicy) (*signature, error) {
	var sigEl *etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == nsDSig {
			if sigEl != nil {
				return nil, fail(CheckSignature, fmt.Sprintf("<%s> holds more than one Signature", el.Tag))
			}
			sigEl = c
		}
	}
	if sigEl == nil {
		return nil, errNoSignature
	}
	id := attr(el, "ID")
	if id == "" {
		return nil, fail(CheckSignature, fmt.Sprintf("signed <%s> has no ID", el.Tag))
	}

	s := &signature{el: sigEl}
	var sigValue *etree.Element
	for _, c := range sigEl.ChildElements() {
		switch {
		case c.Tag == "SignedInfo" && s.signedInfo == nil:
			s.signedInfo = c
		case c.Tag == "SignatureValue" && sigValue == nil:
			sigValue = c
		case c.Tag == "KeyInfo":
			// Ignored: keys come from configuration only.
		default:
			return nil, fail(CheckSignature, "unexpected <"+c.Tag+"> in Signature")
		}
	}
	if s.signedInfo == nil || sigValue == nil {
		return nil, fail(CheckSignature, "Signature lacks SignedInfo or SignatureValue")
	}
	v, err := decodeBase64(textOf(sigValue))
	if err != nil {
		return nil, wrapFail(CheckSignature, "SignatureValue is not base64", err)
	}
	s.value = v

	if err := s.readSignedInfo(id, p); err != nil {
		return nil, err
	}
	return s, nil
}

// readSignedInfo reads the methods and the single Reference.
func (s *signature) readSignedInfo(id string, p sigPolicy) error {
	var ref, c14n, method *etree.Element
	for _, c := range s.signedInfo.ChildElements() {
		switch c.Tag {
		case "CanonicalizationMethod":
			if c14n != nil {
				return fail(CheckSignature, "SignedInfo has more than one CanonicalizationMethod")
			}
			if err := onlyChildren(c, "InclusiveNamespaces"); err != nil {
				return err
			}
			c14n = c
			alg := attr(c, "Algorithm")
			if alg != algExcC14N {
				return mismatch(CheckAlgorithm, "canonicalisation method not allowed",
					algExcC14N, alg)
			}
			s.c14nPrefix = inclusivePrefixes(c)
		case "SignatureMethod":
			if method != nil {
				return fail(CheckSignature, "SignedInfo has more than one SignatureMethod")
			}
			if err := onlyChildren(c); err != nil {
				return err
			}
			method = c
			s.method = attr(c, "Algorithm")
		case "Reference":
			if ref != nil {
				return fail(CheckSignature, "SignedInfo has more than one Reference")
			}
			ref = c
		default:
			return fail(CheckSignature, "unexpected <"+c.Tag+"> in SignedInfo")
		}
	}

	if c14n == nil {
		return fail(CheckSignature, "SignedInfo has no CanonicalizationMethod")
	}
	alg, ok := signatureAlgs[s.method]
	switch {
	case !ok:
		return mismatch(CheckAlgorithm, "signature algorithm not allowed",
			"RSA or ECDSA with SHA-256, SHA-384 or SHA-512", s.method)
	case alg.sha1 && !p.AllowSHA1:
		return mismatch(CheckAlgorithm, "SHA-1 signatures are not allowed for this IdP",
			AlgRSASHA256, s.method)
	}
	if ref == nil {
		return fail(CheckSignature, "SignedInfo has no Reference")
	}
	if uri := attr(ref, "URI"); uri != "#"+id {
		return mismatch(CheckSignature, "Reference does not point at the signed element",
			"#"+id, uri)
	}
	return s.readReference(ref, p)
}

// readReference reads the transforms and digest of the Reference.
func (s *signature) readReference(ref *etree.Element, p sigPolicy) error {
	var enveloped, c14n bool
	var digestMethod, digestValue *etree.Element
	for _, c := range ref.ChildElements() {
		switch c.Tag {
		case "Transforms":
			for _, t := range c.ChildElements() {
				if err := onlyChildren(t, "InclusiveNamespaces"); err != nil {
					return err
				}
				switch alg := attr(t, "Algorithm"); {
				case t.Tag != "Transform":
					return fail(CheckSignature, "unexpected <"+t.Tag+"> in Transforms")
				case alg == algEnveloped && !enveloped:
					enveloped = true
				case alg == algExcC14N && !c14n:
					c14n = true
					s.refPrefix = inclusivePrefixes(t)
				default:
					return mismatch(CheckAlgorithm, "transform not allowed",
						algEnveloped+" and "+algExcC14N, alg)
				}
			}
		case "DigestMethod":
			if digestMethod != nil {
				return fail(CheckSignature, "Reference has more than one DigestMethod")
			}
			digestMethod = c
		case "DigestValue":
			if digestValue != nil {
				return fail(CheckSignature, "Reference has more than one DigestValue")
			}
			digestValue = c
		default:
			return fail(CheckSignature, "unexpected <"+c.Tag+"> in Reference")
		}
	}
	if !enveloped || !c14n {
		return fail(CheckSignature,
			"Reference must list the enveloped-signature and exclusive C14N transforms")
	}
	if digestMethod == nil || digestValue == nil {
		return fail(CheckSignature, "Reference lacks DigestMethod or DigestValue")
	}
	if err := onlyChildren(digestMethod); err != nil {
		return err
	}
	if err := onlyChildren(digestValue); err != nil {
		return err
	}

	uri := attr(digestMethod, "Algorithm")
	h, ok := digestAlgs[uri]
	switch {
	case !ok:
		return mismatch(CheckAlgorithm, "digest algorithm not allowed", AlgSHA256, uri)
	case h == crypto.SHA1 && !p.AllowSHA1:
		return mismatch(CheckAlgorithm, "SHA-1 digests are not allowed for this IdP", AlgSHA256, uri)
	}
	d, err := decodeBase64(textOf(digestValue))
	if err != nil || len(d) != h.Size() {
		return fail(CheckSignature, "DigestValue is malformed")
	}
	s.digestAlg, s.digest = h, d
	return nil
}

// onlyChildren refuses child elements of el other than those named.
func onlyChildren(el *etree.Element, allowed ...string) error {
	for _, c := range el.ChildElements() {
		ok := false
		for _, a := range allowed {
			ok = ok || c.Tag == a
		}
		if !ok {
			return fail(CheckSignature, "unexpected <"+c.Tag+"> in "+el.Tag)
		}
	}
	return nil
}

// checkSignatureValue verifies value over signedInfo with the first of certs
// whose key matches, and returns that certificate.
func checkSignatureValue(certs []*x509.Certificate, method string, signedInfo, value []byte) (*x509.Certificate, error) {
	if len(certs) == 0 {
		return nil, fail(CheckSignature, "no IdP signing certificate is configured")
	}
	alg := signatureAlgs[method]
	h := alg.hash.New()
	h.Write(signedInfo)
	sum := h.Sum(nil)
	for _, c := range certs {
		if verifyWithKey(c.PublicKey, alg, sum, value) {
			return c, nil
		}
	}
	return nil, fail(CheckSignature, fmt.Sprintf(
		"signature does not verify with any of the %d configured IdP certificates "+
			"(if the IdP rolled over its signing key, re-import its metadata)", len(certs)))
}

// verifyWithKey checks one signature value with one public key. ECDSA
// values are accepted as the r||s concatenation that XML-DSig specifies
// (RFC 4051 section 3.3) and as ASN.1 DER, which some signers emit.
func verifyWithKey(pub crypto.PublicKey, alg sigAlg, sum, value []byte) bool {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return !alg.ecdsa && rsa.VerifyPKCS1v15(k, alg.hash, sum, value) == nil
	case *ecdsa.PublicKey:
		if !alg.ecdsa {
			return false
		}
		n := (k.Curve.Params().BitSize + 7) / 8
		if len(value) == 2*n {
			r := new(big.Int).SetBytes(value[:n])
			s := new(big.Int).SetBytes(value[n:])
			return ecdsa.Verify(k, sum, r, s)
		}
		return ecdsa.VerifyASN1(k, sum, value)
	}
	return false
}

// checkCertValidity refuses a certificate outside its validity period.
func checkCertValidity(c *x509.Certificate, now time.Time) error {
	if now.Before(c.NotBefore) {
		return mismatch(CheckCertificate, "IdP signing certificate is not yet valid",
			"valid from "+c.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if now.After(c.NotAfter) {
		return mismatch(CheckCertificate, "IdP signing certificate has expired",
			"valid until "+c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// detach returns a deep copy of el without comments that carries, as
// declarations of its own, every namespace declaration in scope from el's
// ancestors, so that it can be canonicalised on its own. Comments are
// dropped here, in linear time, because exclusive C14N without comments
// drops them anyway and goxmldsig removes them one by one, in quadratic
// time.
func detach(el *etree.Element) *etree.Element {
	cp := copyWithoutComments(el)
	declared := make(map[string]bool, 4)
	for _, a := range el.Attr {
		if isNSDecl(a) {
			declared[nsDeclPrefix(a)] = true
		}
	}
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			if !isNSDecl(a) || declared[nsDeclPrefix(a)] {
				continue
			}
			declared[nsDeclPrefix(a)] = true
			cp.Attr = append(cp.Attr, a)
		}
	}
	return cp
}

// copyWithoutComments deep-copies el, leaving out comments.
func copyWithoutComments(el *etree.Element) *etree.Element {
	cp := etree.NewElement(el.Tag)
	cp.Space = el.Space
	cp.Attr = append(make([]etree.Attr, 0, len(el.Attr)+4), el.Attr...)
	cp.Child = make([]etree.Token, 0, len(el.Child))
	for _, tok := range el.Child {
		switch t := tok.(type) {
		case *etree.Element:
			cp.AddChild(copyWithoutComments(t))
		case *etree.CharData:
			cp.AddChild(etree.NewText(t.Data))
		}
	}
	return cp
}

// removeSignature removes the ds:Signature children of el (the
// enveloped-signature transform).
func removeSignature(el *etree.Element) {
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == nsDSig {
			el.RemoveChild(c)
		}
	}
}

// canonicalize returns the exclusive canonical form of el, leaving el as it
// was.
func canonicalize(el *etree.Element, prefixes string) ([]byte, error) {
	return canonicalizeInPlace(detach(el), prefixes)
}

// canonicalizeInPlace applies exclusive C14N to el (which must already be
// detached) and returns its serialisation.
func canonicalizeInPlace(el *etree.Element, prefixes string) ([]byte, error) {
	return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixes).Canonicalize(el)
}

// inclusivePrefixes reads the PrefixList of an InclusiveNamespaces child.
func inclusivePrefixes(el *etree.Element) string {
	for _, c := range el.ChildElements() {
		if c.Tag == "InclusiveNamespaces" {
			return attr(c, "PrefixList")
		}
	}
	return ""
}

// isNSDecl reports whether a is a namespace declaration.
func isNSDecl(a etree.Attr) bool {
	return a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns")
}

// nsDeclPrefix returns the prefix a declares ("" for the default namespace).
func nsDeclPrefix(a etree.Attr) string {
	if a.Space == "xmlns" {
		return a.Key
	}
	return ""
}

// decodeBase64 decodes standard base64 after removing the white space that
// XML pretty-printers and &#13; references leave in it.
func decodeBase64(s string) ([]byte, error) {
	// The decoder skips \r and \n itself; only spaces and tabs need
	// removing, and most values have none.
	if strings.ContainsAny(s, " \t") {
		s = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, s)
	}
	return base64.StdEncoding.DecodeString(s)
}
