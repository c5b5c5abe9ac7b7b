package xmlenc

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"
)

// DefaultMaxCipherValue is the default limit, in characters of base64 text,
// on each CipherValue that [Decrypt] reads.
const DefaultMaxCipherValue = 8 << 20

// maxEncryptedKeys bounds the EncryptedKey elements Decrypt tries for one
// EncryptedData (several appear when an IdP encrypts for several
// recipients).
const maxEncryptedKeys = 8

// gcmNonceSize and gcmTagSize are fixed by XML Encryption 1.1, section
// 5.2.4: a 96-bit IV precedes the ciphertext and a 128-bit tag follows it.
const (
	gcmNonceSize = 12
	gcmTagSize   = 16
)

// DecryptOptions tunes [Decrypt]. The zero value is the safe default.
type DecryptOptions struct {
	// AllowRSA15 accepts the RSA PKCS#1 v1.5 key transport
	// (xmlenc#rsa-1_5). It is vulnerable to Bleichenbacher-style padding
	// oracles, so it is refused by default; when allowed, the key is
	// decrypted with implicit rejection (a bad padding yields a random key
	// and the content then fails to decrypt, with the same error), whatever
	// the crypto.Decrypter reports. Freedom from timing differences still
	// depends on the Decrypter; *rsa.PrivateKey provides it.
	AllowRSA15 bool
	// MaxCipherValue bounds each CipherValue, in characters of base64
	// text; zero means [DefaultMaxCipherValue].
	MaxCipherValue int
	// Rand is the randomness for RSA decryption and implicit rejection;
	// nil means crypto/rand.Reader.
	Rand io.Reader
}

// Decrypt decrypts an xenc:EncryptedData element with the recipient's RSA
// private key and returns the plaintext octets.
//
// The EncryptedKey is looked for, in this order: inside the
// EncryptedData's ds:KeyInfo; as the sibling named by a ds:RetrievalMethod
// of Type xmlenc#EncryptedKey in that KeyInfo; and, when the KeyInfo names
// neither, among the EncryptedData's siblings (skipping those whose
// ReferenceList names a different EncryptedData). When several are
// candidates, each is tried: one refused by policy or malformed (another
// recipient's, perhaps) does not stop the others, and its error is
// returned only when none works.
//
// key is usually an *rsa.PrivateKey; any crypto.Decrypter with an RSA
// public key that accepts *rsa.OAEPOptions works. Decrypt does not check
// the EncryptedData's Type or parse the plaintext: the caller does.
// Decrypt is safe for concurrent use.
func Decrypt(encrypted *etree.Element, key crypto.Decrypter, opts DecryptOptions) ([]byte, error) {
	if encrypted == nil || !is(encrypted, NamespaceXMLEnc, "EncryptedData") {
		return nil, formatErr("EncryptedData", "element is not an xenc:EncryptedData")
	}
	if key == nil {
		return nil, errors.New("xmlenc: no private key")
	}
	if _, ok := key.Public().(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("xmlenc: private key is %T, want an RSA key", key.Public())
	}
	opts = opts.withDefaults()

	// Parse the content algorithm and ciphertext before touching the key.
	alg, bc, err := contentAlgorithm(encrypted)
	if err != nil {
		return nil, err
	}
	ciphertext, err := cipherValue(encrypted, "EncryptedData", opts.MaxCipherValue)
	if err != nil {
		return nil, err
	}
	if err := checkCiphertextLength(alg, bc, len(ciphertext)); err != nil {
		return nil, err
	}

	keys, err := encryptedKeys(encrypted)
	if err != nil {
		return nil, err
	}

	// Try every candidate key. A key refused by policy or malformed may be
	// another recipient's (an IdP can encrypt the content key for several
	// SPs), so it does not stop the search; when no key works, its error
	// is the one returned, since it says what to change.
	var lastErr, refused error = &DecryptError{Element: "EncryptedKey"}, nil
	for _, ek := range keys {
		cek, err := unwrapKey(ek, key, bc.keySize, opts)
		var de *DecryptError
		if errors.As(err, &de) {
			continue
		}
		if err != nil {
			if refused == nil {
				refused = err
			}
			continue
		}
		plaintext, err := decryptContent(bc, cek, ciphertext)
		if err == nil {
			return plaintext, nil
		}
		lastErr = &DecryptError{Element: "EncryptedData"}
	}
	if refused != nil {
		return nil, refused
	}
	return nil, lastErr
}

// withDefaults fills in zero fields.
func (o DecryptOptions) withDefaults() DecryptOptions {
	if o.MaxCipherValue <= 0 {
		o.MaxCipherValue = DefaultMaxCipherValue
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return o
}

// contentAlgorithm reads EncryptedData/EncryptionMethod.
func contentAlgorithm(ed *etree.Element) (Algorithm, blockCipher, error) {
	const name = "EncryptedData/EncryptionMethod"
	em, err := onlyChild(ed, NamespaceXMLEnc, "EncryptionMethod", "EncryptedData")
	if err != nil {
		return "", blockCipher{}, err
	}
	if em == nil {
		return "", blockCipher{}, formatErr(name, "missing")
	}
	alg := Algorithm(em.SelectAttrValue("Algorithm", ""))
	bc, ok := blockCiphers[alg]
	if !ok {
		return "", blockCipher{}, &AlgorithmError{Element: name, Algorithm: string(alg)}
	}
	return alg, bc, nil
}

// checkCiphertextLength refuses ciphertexts too short to hold an IV and a
// tag or a padded block. Lengths are public, so this leaks nothing.
func checkCiphertextLength(alg Algorithm, bc blockCipher, n int) error {
	const name = "EncryptedData/CipherData/CipherValue"
	if bc.gcm && n < gcmNonceSize+gcmTagSize {
		return formatErr(name, fmt.Sprintf("%d bytes is too short for %s", n, alg))
	}
	if !bc.gcm && (n < 2*aes.BlockSize || n%aes.BlockSize != 0) {
		return formatErr(name, fmt.Sprintf(
			"%d bytes is not an IV plus a whole number of %d-byte blocks", n, aes.BlockSize))
	}
	return nil
}

// encryptedKeys finds the candidate EncryptedKey elements for ed.
func encryptedKeys(ed *etree.Element) ([]*etree.Element, error) {
	var keys []*etree.Element
	ki, err := onlyChild(ed, NamespaceDSig, "KeyInfo", "EncryptedData")
	if err != nil {
		return nil, err
	}
	if ki != nil {
		keys = children(ki, NamespaceXMLEnc, "EncryptedKey")
		if len(keys) == 0 {
			keys, err = retrievedKeys(ed, ki)
			if err != nil {
				return nil, err
			}
		}
	}
	if len(keys) == 0 {
		keys = siblingKeys(ed)
	}

	if len(keys) == 0 {
		return nil, formatErr("EncryptedKey", "no EncryptedKey inside or next to the EncryptedData")
	}
	if len(keys) > maxEncryptedKeys {
		return nil, formatErr("EncryptedKey", fmt.Sprintf(
			"%d candidate EncryptedKey elements, more than %d", len(keys), maxEncryptedKeys))
	}
	return keys, nil
}

// retrievedKeys resolves KeyInfo/RetrievalMethod references of Type
// EncryptedKey to siblings of ed. Only same-document "#id" URIs are
// followed; a reference that names no sibling is an error.
func retrievedKeys(ed, ki *etree.Element) ([]*etree.Element, error) {
	const name = "EncryptedData/KeyInfo/RetrievalMethod"
	var keys []*etree.Element
	for _, rm := range children(ki, NamespaceDSig, "RetrievalMethod") {
		if t := rm.SelectAttrValue("Type", ""); t != "" && t != typeEncryptedKey {
			continue
		}
		uri := rm.SelectAttrValue("URI", "")
		id, ok := strings.CutPrefix(uri, "#")
		if !ok || id == "" {
			return nil, formatErr(name, fmt.Sprintf("URI %q is not a same-document reference", uri))
		}
		ek := siblingByID(ed, id)
		if ek == nil {
			return nil, formatErr(name, fmt.Sprintf("no sibling EncryptedKey with Id %q", id))
		}
		keys = append(keys, ek)
	}
	return keys, nil
}

// siblingByID returns the EncryptedKey sibling of ed whose Id is id.
func siblingByID(ed *etree.Element, id string) *etree.Element {
	parent := ed.Parent()
	if parent == nil {
		return nil
	}
	for _, ek := range children(parent, NamespaceXMLEnc, "EncryptedKey") {
		if ek.SelectAttrValue("Id", "") == id {
			return ek
		}
	}
	return nil
}

// siblingKeys returns the EncryptedKey siblings of ed that do not name a
// different EncryptedData in their ReferenceList.
func siblingKeys(ed *etree.Element) []*etree.Element {
	parent := ed.Parent()
	if parent == nil {
		return nil
	}
	id := ed.SelectAttrValue("Id", "")
	var keys []*etree.Element
	for _, ek := range children(parent, NamespaceXMLEnc, "EncryptedKey") {
		if refersTo(ek, id) {
			keys = append(keys, ek)
		}
	}
	return keys
}

// refersTo reports whether ek's ReferenceList is absent or has a
// DataReference to id.
func refersTo(ek *etree.Element, id string) bool {
	rl := child(ek, NamespaceXMLEnc, "ReferenceList")
	if rl == nil {
		return true
	}
	refs := children(rl, NamespaceXMLEnc, "DataReference")
	if len(refs) == 0 {
		return true
	}
	for _, ref := range refs {
		if id != "" && ref.SelectAttrValue("URI", "") == "#"+id {
			return true
		}
	}
	return false
}

// unwrapKey decrypts the content key carried by ek.
func unwrapKey(ek *etree.Element, key crypto.Decrypter, size int,
	o DecryptOptions) ([]byte, error) {
	dopts, err := keyTransport(ek, size, o.AllowRSA15)
	if err != nil {
		return nil, err
	}
	wrapped, err := cipherValue(ek, "EncryptedKey", o.MaxCipherValue)
	if err != nil {
		return nil, err
	}

	cek, err := key.Decrypt(o.Rand, wrapped, dopts)
	if err == nil && len(cek) == size {
		return cek, nil
	}
	if _, ok := dopts.(*rsa.PKCS1v15DecryptOptions); ok {
		// Implicit rejection, also for a Decrypter that reports padding
		// errors: go on with a random key, so that the content fails to
		// decrypt exactly as it would after a bad padding.
		cek = make([]byte, size)
		if _, err := io.ReadFull(o.Rand, cek); err != nil {
			return nil, &DecryptError{Element: "EncryptedKey"}
		}
		return cek, nil
	}
	return nil, &DecryptError{Element: "EncryptedKey"}
}

// keyTransport reads EncryptedKey/EncryptionMethod and returns the options
// for crypto.Decrypter.Decrypt.
func keyTransport(ek *etree.Element, size int, allowRSA15 bool) (crypto.DecrypterOpts, error) {
	const name = "EncryptedKey/EncryptionMethod"
	em, err := onlyChild(ek, NamespaceXMLEnc, "EncryptionMethod", "EncryptedKey")
	if err != nil {
		return nil, err
	}
	if em == nil {
		return nil, formatErr(name, "missing")
	}
	alg := Algorithm(em.SelectAttrValue("Algorithm", ""))

	switch alg {
	case RSA15:
		if !allowRSA15 {
			return nil, &AlgorithmError{Element: name, Algorithm: string(alg), Refused: true}
		}
		return &rsa.PKCS1v15DecryptOptions{SessionKeyLen: size}, nil
	case RSAOAEPMGF1P, RSAOAEP:
		return oaepOptions(em, alg)
	}
	return nil, &AlgorithmError{Element: name, Algorithm: string(alg)}
}

// oaepOptions reads the DigestMethod, MGF and OAEPparams of an RSA-OAEP
// EncryptionMethod (XML Encryption 1.1, section 5.5.2).
func oaepOptions(em *etree.Element, alg Algorithm) (*rsa.OAEPOptions, error) {
	const name = "EncryptedKey/EncryptionMethod"
	o := &rsa.OAEPOptions{Hash: crypto.SHA1, MGFHash: crypto.SHA1}
	if dm := child(em, NamespaceDSig, "DigestMethod"); dm != nil {
		d := Algorithm(dm.SelectAttrValue("Algorithm", ""))
		h, ok := digests[d]
		if !ok {
			return nil, &AlgorithmError{Element: name + "/DigestMethod", Algorithm: string(d)}
		}
		o.Hash = h
	}
	if mgf := child(em, NamespaceXMLEnc11, "MGF"); mgf != nil && alg == RSAOAEP {
		m := Algorithm(mgf.SelectAttrValue("Algorithm", ""))
		h, ok := mgfs[m]
		if !ok {
			return nil, &AlgorithmError{Element: name + "/MGF", Algorithm: string(m)}
		}
		o.MGFHash = h
	}
	if p := child(em, NamespaceXMLEnc, "OAEPparams"); p != nil {
		label, err := decodeBase64(textOf(p), 1024)
		if err != nil {
			return nil, formatErr(name+"/OAEPparams", err.Error())
		}
		o.Label = label
	}
	return o, nil
}

// decryptContent decrypts ciphertext (IV first) with the content key. Every
// failure is the same DecryptError, whatever check failed.
func decryptContent(bc blockCipher, cek, ciphertext []byte) ([]byte, error) {
	fail := &DecryptError{Element: "EncryptedData"}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, fail
	}

	if bc.gcm {
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fail
		}
		nonce, sealed := ciphertext[:gcmNonceSize], ciphertext[gcmNonceSize:]
		plaintext, err := aead.Open(make([]byte, 0, len(sealed)), nonce, sealed, nil)
		if err != nil {
			return nil, fail
		}
		return plaintext, nil
	}

	iv, body := ciphertext[:aes.BlockSize], ciphertext[aes.BlockSize:]
	plaintext := make([]byte, len(body))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plaintext, body)
	// XML Encryption 1.1, section 5.2.1: the last octet is the padding
	// length, 1 to the block size; the other padding octets are arbitrary.
	pad := int(plaintext[len(plaintext)-1])
	ok := subtle.ConstantTimeLessOrEq(1, pad) & subtle.ConstantTimeLessOrEq(pad, aes.BlockSize)
	if ok != 1 {
		return nil, fail
	}
	return plaintext[:len(plaintext)-pad], nil
}

// cipherValue decodes parent/CipherData/CipherValue.
func cipherValue(parent *etree.Element, parentName string, limit int) ([]byte, error) {
	name := parentName + "/CipherData"
	cd, err := onlyChild(parent, NamespaceXMLEnc, "CipherData", parentName)
	if err != nil {
		return nil, err
	}
	if cd == nil {
		return nil, formatErr(name, "missing")
	}
	if child(cd, NamespaceXMLEnc, "CipherReference") != nil {
		return nil, formatErr(name+"/CipherReference", "not supported")
	}
	cv, err := onlyChild(cd, NamespaceXMLEnc, "CipherValue", name)
	if err != nil {
		return nil, err
	}
	if cv == nil {
		return nil, formatErr(name+"/CipherValue", "missing")
	}

	b, err := decodeBase64(textOf(cv), limit)
	if err != nil {
		return nil, formatErr(name+"/CipherValue", err.Error())
	}
	if len(b) == 0 {
		return nil, formatErr(name+"/CipherValue", "empty")
	}
	return b, nil
}
