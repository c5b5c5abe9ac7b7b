package saml

import (
	"errors"

	"github.com/beevik/etree"

	"github.com/secureshare/secureshare/internal/xmlenc"
)

// errOpaque is the one refusal for every decryption failure that depends
// on the decrypted bytes (padding, authentication tag, the plaintext not
// parsing or not being the element expected). Telling those apart would be
// a padding oracle (Jager and Somorovsky, "How to Break XML Encryption",
// 2011): anyone holding a captured EncryptedAssertion could decrypt it by
// posting altered copies in unsigned Responses.
func errOpaque(what string) error {
	return fail(CheckDecryption, "cannot decrypt "+what+
		" with the configured SP keys (wrong SP key, or the IdP encrypts for another certificate)")
}

// decryptAssertion decrypts an EncryptedAssertion (SAML 2.0 Core, section
// 2.3.4), puts the plaintext Assertion in its place so that it inherits
// the Response's namespace declarations, and returns it. The plaintext is
// parsed with the same limits as the Response.
func (c *check) decryptAssertion(enc *etree.Element) (*etree.Element, error) {
	el, err := c.decrypt(enc, "EncryptedAssertion")
	if err != nil {
		return nil, err
	}
	if el.Tag != "Assertion" || countAssertions(el) != 0 {
		return nil, errOpaque("EncryptedAssertion")
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
		return nil, errOpaque("EncryptedID")
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
	var ae *xmlenc.AlgorithmError
	var fe *xmlenc.FormatError
	switch {
	case errors.As(err, &ae):
		return nil, wrapFail(CheckAlgorithm, "cannot decrypt "+what, err)
	case errors.As(err, &fe):
		return nil, wrapFail(CheckDecryption, "cannot decrypt "+what, err)
	case err != nil:
		return nil, errOpaque(what)
	}

	el, err := parseFragment(plain, enc, c.v.maxSize)
	if err != nil || el.NamespaceURI() != nsAssertion {
		return nil, errOpaque(what)
	}
	return el, nil
}

// parseFragment parses decrypted plaintext with the checks of parseXML and
// puts the resulting element where enc stood, so that prefixes declared on
// enc's ancestors resolve.
func parseFragment(plain []byte, enc *etree.Element, maxSize int) (*etree.Element, error) {
	el, err := parseXML(plain, maxSize)
	if err != nil {
		return nil, err
	}
	parent := enc.Parent()
	parent.InsertChildAt(enc.Index(), el)
	parent.RemoveChild(enc)
	return el, nil
}
