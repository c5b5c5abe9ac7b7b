package samltest

import (
	"crypto"
	"crypto/ecdsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/beevik/etree"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// Sign parses doc, a Response (or a bare Assertion), and signs it again:
// with signAssertion, every Assertion that is a direct child of the
// Response (or the root Assertion) gets a fresh enveloped Signature; then,
// with signResponse, the Response does. Existing Signatures that are
// direct children of the elements being signed are removed first; other
// Signatures are left alone.
//
// Sign lets tests hand-craft hostile or unusual XML (signature wrapping,
// a second assertion, a changed value) and still give it valid signatures.
// It keeps the document's other bytes as etree writes them, and checks
// nothing about its content. A Response holding only an
// EncryptedAssertion cannot have its assertion signed.
func (p *IDP) Sign(doc []byte, signResponse, signAssertion bool) ([]byte, error) {
	d := newDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, fmt.Errorf("samltest: parsing the document: %w", err)
	}
	root := d.Root()
	if root == nil {
		return nil, errors.New("samltest: document has no root element")
	}
	isResponse := isElem(root, nsProtocol, "Response")
	if !isResponse && !isElem(root, nsAssertion, "Assertion") {
		return nil, fmt.Errorf("samltest: root element is <%s>, want a Response or an Assertion",
			root.Tag)
	}

	if signAssertion {
		if err := p.signAssertions(root, isResponse); err != nil {
			return nil, err
		}
	}
	if signResponse {
		if !isResponse {
			return nil, errors.New("samltest: cannot sign the Response of a bare Assertion")
		}
		if err := p.signElement(root); err != nil {
			return nil, err
		}
	}

	b, err := d.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("samltest: serialising: %w", err)
	}
	return b, nil
}

// signAssertions signs root (a bare Assertion) or each Assertion child of
// root (a Response).
func (p *IDP) signAssertions(root *etree.Element, isResponse bool) error {
	if !isResponse {
		return p.signElement(root)
	}
	n := 0
	for _, c := range root.ChildElements() {
		if isElem(c, nsAssertion, "Assertion") {
			if err := p.signElement(c); err != nil {
				return err
			}
			n++
		}
	}
	if n == 0 {
		return errors.New("samltest: Response has no Assertion to sign")
	}
	return nil
}

// signElement replaces any Signature child of el with a new enveloped
// signature over el, placed right after el's Issuer (SAML 2.0 Core,
// sections 2.3.3 and 3.2.2) or first when el has no Issuer.
func (p *IDP) signElement(el *etree.Element) error {
	for _, c := range el.ChildElements() {
		if isElem(c, nsDSig, "Signature") {
			el.RemoveChild(c)
		}
	}
	ctx, err := p.signingContext()
	if err != nil {
		return err
	}

	// Digest el as it reads in place: a detached copy carries every
	// namespace declaration in scope, as exclusive c14n needs.
	nsCtx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return fmt.Errorf("samltest: namespaces of <%s>: %w", el.Tag, err)
	}
	detached, err := etreeutils.NSDetatch(nsCtx, el)
	if err != nil {
		return fmt.Errorf("samltest: namespaces of <%s>: %w", el.Tag, err)
	}
	sig, err := ctx.ConstructSignature(detached, true)
	if err != nil {
		return fmt.Errorf("samltest: signing <%s>: %w", el.Tag, err)
	}

	at := 0
	for i, tok := range el.Child {
		if c, ok := tok.(*etree.Element); ok && isElem(c, nsAssertion, "Issuer") {
			at = i + 1
			break
		}
	}
	el.InsertChildAt(at, sig)
	return nil
}

// isElem reports whether el is {ns}local.
func isElem(el *etree.Element, ns, local string) bool {
	return el.Tag == local && el.NamespaceURI() == ns
}

// rawECDSASigner turns the ASN.1 DER signatures of an ECDSA crypto.Signer
// into the fixed-size r||s form of XML-DSig 1.1, section 6.4.3.
type rawECDSASigner struct {
	crypto.Signer
}

// Sign implements crypto.Signer.
func (s rawECDSASigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	der, err := s.Signer.Sign(r, digest, opts)
	if err != nil {
		return nil, err
	}
	var sig struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &sig); err != nil || len(rest) != 0 {
		return nil, errors.New("samltest: ECDSA signer returned a malformed signature")
	}
	pub, ok := s.Public().(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("samltest: not an ECDSA key")
	}
	n := (pub.Curve.Params().BitSize + 7) / 8
	out := make([]byte, 2*n)
	sig.R.FillBytes(out[:n])
	sig.S.FillBytes(out[n:])
	return out, nil
}
