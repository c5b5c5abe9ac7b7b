package xmlenc

import (
	"crypto"
	_ "crypto/sha1" // registers SHA-1 for RSA-OAEP digests
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// XML namespaces of XML Encryption 1.0/1.1 and XML Signature.
const (
	NamespaceXMLEnc   = "http://www.w3.org/2001/04/xmlenc#"
	NamespaceXMLEnc11 = "http://www.w3.org/2009/xmlenc11#"
	NamespaceDSig     = "http://www.w3.org/2000/09/xmldsig#"
)

// Type values of an EncryptedData element (XML Encryption 1.1, section 3.1).
const (
	TypeElement = NamespaceXMLEnc + "Element"
	TypeContent = NamespaceXMLEnc + "Content"
	// typeEncryptedKey is the RetrievalMethod Type that points to an
	// EncryptedKey.
	typeEncryptedKey = NamespaceXMLEnc + "EncryptedKey"
)

// Algorithm is an XML Encryption or XML Signature algorithm URI. The zero
// value means "the default" wherever an Algorithm is optional.
type Algorithm string

// Block encryption algorithms (XML Encryption 1.1, section 5.2).
const (
	AES128CBC Algorithm = NamespaceXMLEnc + "aes128-cbc"
	AES192CBC Algorithm = NamespaceXMLEnc + "aes192-cbc"
	AES256CBC Algorithm = NamespaceXMLEnc + "aes256-cbc"
	AES128GCM Algorithm = NamespaceXMLEnc11 + "aes128-gcm"
	AES192GCM Algorithm = NamespaceXMLEnc11 + "aes192-gcm"
	AES256GCM Algorithm = NamespaceXMLEnc11 + "aes256-gcm"
)

// Key transport algorithms (XML Encryption 1.1, section 5.5).
const (
	// RSAOAEPMGF1P is RSA-OAEP with MGF1-SHA-1; its digest defaults to SHA-1
	// and may be changed with a DigestMethod child.
	RSAOAEPMGF1P Algorithm = NamespaceXMLEnc + "rsa-oaep-mgf1p"
	// RSAOAEP is RSA-OAEP with a DigestMethod (default SHA-1) and an MGF
	// (default MGF1 with SHA-1).
	RSAOAEP Algorithm = NamespaceXMLEnc11 + "rsa-oaep"
	// RSA15 is RSAES-PKCS1-v1_5, vulnerable to padding-oracle attacks and
	// refused by [Decrypt] unless [DecryptOptions.AllowRSA15] is set.
	RSA15 Algorithm = NamespaceXMLEnc + "rsa-1_5"
)

// Digest algorithms for RSA-OAEP (XML Encryption 1.1, section 5.4).
const (
	SHA1   Algorithm = NamespaceDSig + "sha1"
	SHA256 Algorithm = NamespaceXMLEnc + "sha256"
	SHA384 Algorithm = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	SHA512 Algorithm = NamespaceXMLEnc + "sha512"
)

// Mask generation functions for xmlenc11#rsa-oaep (XML Encryption 1.1,
// section 5.5.2).
const (
	MGF1SHA1   Algorithm = NamespaceXMLEnc11 + "mgf1sha1"
	MGF1SHA256 Algorithm = NamespaceXMLEnc11 + "mgf1sha256"
	MGF1SHA384 Algorithm = NamespaceXMLEnc11 + "mgf1sha384"
	MGF1SHA512 Algorithm = NamespaceXMLEnc11 + "mgf1sha512"
)

// String returns the algorithm URI.
func (a Algorithm) String() string { return string(a) }

// blockCipher describes a content encryption algorithm.
type blockCipher struct {
	keySize int
	gcm     bool
}

// blockCiphers lists the supported content encryption algorithms.
var blockCiphers = map[Algorithm]blockCipher{
	AES128CBC: {keySize: 16},
	AES192CBC: {keySize: 24},
	AES256CBC: {keySize: 32},
	AES128GCM: {keySize: 16, gcm: true},
	AES192GCM: {keySize: 24, gcm: true},
	AES256GCM: {keySize: 32, gcm: true},
}

// digests maps the supported OAEP digest URIs to hashes.
var digests = map[Algorithm]crypto.Hash{
	SHA1:   crypto.SHA1,
	SHA256: crypto.SHA256,
	SHA384: crypto.SHA384,
	SHA512: crypto.SHA512,
}

// mgfs maps the supported MGF URIs to the hash MGF1 uses.
var mgfs = map[Algorithm]crypto.Hash{
	MGF1SHA1:   crypto.SHA1,
	MGF1SHA256: crypto.SHA256,
	MGF1SHA384: crypto.SHA384,
	MGF1SHA512: crypto.SHA512,
}
