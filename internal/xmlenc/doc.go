// Package xmlenc implements the parts of W3C XML Encryption 1.1 that SAML 2.0
// uses: an xenc:EncryptedData element whose content key is carried, wrapped
// with the recipient's RSA key, in an xenc:EncryptedKey.
//
// # Decrypting
//
// [Decrypt] takes the EncryptedData element found inside a
// saml:EncryptedAssertion, saml:EncryptedID or saml:EncryptedAttribute and
// returns the plaintext octets (usually the serialised Assertion or NameID).
// The EncryptedKey may sit inside the EncryptedData's ds:KeyInfo or next to
// the EncryptedData, referenced by a ds:RetrievalMethod; both shapes occur in
// real IdP output (SAML 2.0 Core, section 2.2.4, EncryptedElementType).
//
// Content encryption: AES-128/192/256-CBC and AES-128/192/256-GCM. Key
// transport: RSA-OAEP (xmlenc#rsa-oaep-mgf1p, and xmlenc11#rsa-oaep with any
// SHA-1 or SHA-2 digest and MGF1 function). RSA PKCS#1 v1.5 (xmlenc#rsa-1_5)
// is refused unless [DecryptOptions.AllowRSA15] is set, and is then decrypted
// with implicit rejection so that a bad key padding is indistinguishable
// from a bad content decryption.
//
// CBC modes carry no integrity protection: a tampered CBC ciphertext can
// decrypt, without error, to garbage. The caller must verify a signature
// over the decrypted content (for SAML, the Assertion's own signature or
// the enclosing Response's) before trusting it.
//
// Not supported: CipherReference (fetching ciphertext from a URI),
// key agreement, symmetric key wrap, and EncryptedKey elements that are
// neither inside the KeyInfo nor siblings of the EncryptedData.
//
// # Encrypting
//
// [Encrypt] builds the same structure for a recipient certificate. It
// exists for tests and test IdPs (see saml/samltest) rather than for
// production use.
//
// # Errors
//
// Failures are reported as [*AlgorithmError] (unknown or refused
// algorithm), [*FormatError] (missing or malformed element) or
// [*DecryptError] (the key or content did not decrypt). A DecryptError
// never says whether a padding or an authentication tag check failed, and no
// error contains key material or plaintext.
package xmlenc
