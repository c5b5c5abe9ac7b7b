package saml

import (
	"errors"
	"fmt"

	"github.com/beevik/etree"

	"github.com/secureshare/secureshare/internal/xmlenc"
)

// decryptAssertion decrypts an EncryptedAssertion (SAML 2.0 Core, section
// 2.3.4), puts the plaintext Assertion in its place so that it inherits
// the Response's namespace declarations, and returns it. The plaintext is
// parsed with the same limits as the Response.
func (c *check) decryptAssertion(enc *etree.Element) (*etree.Element, error) {
	el, err := c.decrypt(enc, "EncryptedAssertion")
	if err != nil {
		return nil, err
	}
	if el.Tag != "Assertion" {
		return nil, mismatch(CheckDecryption, "EncryptedAssertion does not hold an Assertion",
			"Assertion", el.Tag)
	}
	if countAssertions(el) != 0 {
		return nil, fail(CheckSchema, "decrypted Assertion holds another assertion")
	}
	return el, nil
}

// decryptNameID decrypts an EncryptedID into the NameID it holds.
func (c *check) decryptNameID(enc *etree.Element) (*etree.Element, error) {
	el, err := c.decrypt(enc, "EncryptedID")
	if err != nil {
		return nil, err
	}
	if el.Tag != "NameID" {
		return nil, mismatch(CheckDecryption, "EncryptedID does not hold a NameID",
			"NameID", el.Tag)
	}
	return el, nil
}

// decrypt decrypts the EncryptedData inside enc with each configured key in
// turn, parses the plaintext element and replaces enc with it.
func (c *check) decrypt(enc *etree.Element, what string) (*etree.Element, error) {
	if len(c.v.cfg.DecryptionKeys) == 0 {
		return nil, fail(CheckDecryption,
			what+" received, but no SP decryption key is configured")
	}
	var data *etree.Element
	for _, ch := range enc.ChildElements() {
		if ch.Tag == "EncryptedData" && ch.NamespaceURI() == nsXMLEnc {
			data = ch
			break
		}
	}
	if data == nil {
		return nil, fail(CheckDecryption, what+" has no xenc:EncryptedData")
	}

	opts := xmlenc.DecryptOptions{AllowRSA15: c.v.cfg.InsecureAllowRSA15}
	var plain []byte
	var err error
	for _, k := range c.v.cfg.DecryptionKeys {
		if plain, err = xmlenc.Decrypt(data, k, opts); err == nil {
			break
		}
	}
	if err != nil {
		check := CheckDecryption
		var ae *xmlenc.AlgorithmError
		if errors.As(err, &ae) {
			check = CheckAlgorithm
		}
		return nil, wrapFail(check, fmt.Sprintf("cannot decrypt %s with the %d configured SP keys",
			what, len(c.v.cfg.DecryptionKeys)), err)
	}

	el, err := parseFragment(plain, enc, c.v.maxSize)
	if err != nil {
		return nil, err
	}
	if el.NamespaceURI() != nsAssertion {
		return nil, mismatch(CheckDecryption, what+" holds an element of another namespace",
			nsAssertion, el.NamespaceURI())
	}
	return el, nil
}

// parseFragment parses decrypted plaintext with the checks of parseXML and
// puts the resulting element where enc stood, so that prefixes declared on
// enc's ancestors resolve.
func parseFragment(plain []byte, enc *etree.Element, maxSize int) (*etree.Element, error) {
	el, err := parseXML(plain, maxSize)
	if err != nil {
		return nil, withContext(err, "decrypted content")
	}
	parent := enc.Parent()
	parent.InsertChildAt(enc.Index(), el)
	parent.RemoveChild(enc)
	return el, nil
}
