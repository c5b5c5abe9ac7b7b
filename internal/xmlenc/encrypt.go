package xmlenc

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/beevik/etree"
)

// EncryptOptions chooses the algorithms of [Encrypt]. The zero value is
// AES-256-GCM content encryption with an RSA-OAEP (MGF1-SHA-1, SHA-1
// digest) key transport, the combination most IdPs and SPs accept.
type EncryptOptions struct {
	// Algorithm is the content encryption; zero means [AES256GCM].
	Algorithm Algorithm
	// KeyTransport is [RSAOAEPMGF1P] (the zero value), [RSAOAEP] or
	// [RSA15]. RSA15 exists only to test that decrypters refuse it.
	KeyTransport Algorithm
	// Digest is the RSA-OAEP digest. Zero means SHA-1 for RSAOAEPMGF1P
	// (and no DigestMethod is written) and [SHA256] for RSAOAEP.
	Digest Algorithm
	// MGF is the mask generation function of RSAOAEP; zero means
	// [MGF1SHA1], written as no MGF element. It must be zero for the other
	// key transports.
	MGF Algorithm
	// Type is the EncryptedData's Type; zero means [TypeElement].
	Type string
	// ID, when not empty, becomes the EncryptedData's Id attribute.
	ID string
	// Rand is the source of the content key, the IV and the OAEP seed;
	// nil means crypto/rand.Reader. A fixed Rand gives reproducible output
	// except with RSA15, whose padding Go always draws from crypto/rand.
	Rand io.Reader
}

// Encrypt encrypts plaintext for the RSA key of cert and returns an
// xenc:EncryptedData element (declaring its own namespaces) whose KeyInfo
// holds the xenc:EncryptedKey, itself naming cert in an X509Data.
//
// Encrypt is meant for tests and test IdPs. It does not check cert's
// validity period or key usage.
func Encrypt(plaintext []byte, cert *x509.Certificate,
	opts EncryptOptions) (*etree.Element, error) {
	if cert == nil {
		return nil, errors.New("xmlenc: no recipient certificate")
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("xmlenc: certificate key is %T, want an RSA key", cert.PublicKey)
	}
	opts = opts.withDefaults()
	bc, ok := blockCiphers[opts.Algorithm]
	if !ok {
		return nil, &AlgorithmError{Element: "EncryptedData/EncryptionMethod",
			Algorithm: string(opts.Algorithm)}
	}

	cek := make([]byte, bc.keySize)
	if _, err := io.ReadFull(opts.Rand, cek); err != nil {
		return nil, fmt.Errorf("xmlenc: reading random key: %w", err)
	}
	ciphertext, err := encryptContent(bc, cek, plaintext, opts.Rand)
	if err != nil {
		return nil, err
	}
	ek, err := encryptedKey(cek, pub, cert, opts)
	if err != nil {
		return nil, err
	}

	ed := etree.NewElement("xenc:EncryptedData")
	ed.CreateAttr("xmlns:xenc", NamespaceXMLEnc)
	if opts.ID != "" {
		ed.CreateAttr("Id", opts.ID)
	}
	ed.CreateAttr("Type", opts.Type)
	ed.CreateElement("xenc:EncryptionMethod").CreateAttr("Algorithm", string(opts.Algorithm))
	ki := ed.CreateElement("ds:KeyInfo")
	ki.CreateAttr("xmlns:ds", NamespaceDSig)
	ki.AddChild(ek)
	addCipherValue(ed, ciphertext)
	return ed, nil
}

// withDefaults fills in zero fields.
func (o EncryptOptions) withDefaults() EncryptOptions {
	if o.Algorithm == "" {
		o.Algorithm = AES256GCM
	}
	if o.KeyTransport == "" {
		o.KeyTransport = RSAOAEPMGF1P
	}
	if o.Digest == "" && o.KeyTransport == RSAOAEP {
		o.Digest = SHA256
	}
	if o.Type == "" {
		o.Type = TypeElement
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return o
}

// encryptContent encrypts plaintext and prepends the IV.
func encryptContent(bc blockCipher, cek, plaintext []byte, r io.Reader) ([]byte, error) {
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: %w", err)
	}

	if bc.gcm {
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("xmlenc: %w", err)
		}
		nonce := make([]byte, gcmNonceSize, gcmNonceSize+len(plaintext)+gcmTagSize)
		if _, err := io.ReadFull(r, nonce); err != nil {
			return nil, fmt.Errorf("xmlenc: reading random IV: %w", err)
		}
		return aead.Seal(nonce, nonce, plaintext, nil), nil
	}

	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	out := make([]byte, aes.BlockSize+len(plaintext)+pad)
	if _, err := io.ReadFull(r, out[:aes.BlockSize]); err != nil {
		return nil, fmt.Errorf("xmlenc: reading random IV: %w", err)
	}
	body := out[aes.BlockSize:]
	copy(body, plaintext)
	for i := len(plaintext); i < len(body); i++ {
		body[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, out[:aes.BlockSize]).CryptBlocks(body, body)
	return out, nil
}

// encryptedKey wraps cek for pub and builds the xenc:EncryptedKey.
func encryptedKey(cek []byte, pub *rsa.PublicKey, cert *x509.Certificate,
	o EncryptOptions) (*etree.Element, error) {
	const name = "EncryptedKey/EncryptionMethod"
	ek := etree.NewElement("xenc:EncryptedKey")
	em := ek.CreateElement("xenc:EncryptionMethod")
	em.CreateAttr("Algorithm", string(o.KeyTransport))

	var wrapped []byte
	var err error
	switch o.KeyTransport {
	case RSA15:
		if o.Digest != "" || o.MGF != "" {
			return nil, errors.New("xmlenc: RSA1_5 takes no digest or MGF")
		}
		wrapped, err = rsa.EncryptPKCS1v15(o.Rand, pub, cek)
	case RSAOAEPMGF1P, RSAOAEP:
		wrapped, err = wrapOAEP(em, cek, pub, o)
	default:
		return nil, &AlgorithmError{Element: name, Algorithm: string(o.KeyTransport)}
	}
	if err != nil {
		return nil, err
	}

	ki := ek.CreateElement("ds:KeyInfo")
	x := ki.CreateElement("ds:X509Data").CreateElement("ds:X509Certificate")
	x.SetText(base64.StdEncoding.EncodeToString(cert.Raw))
	addCipherValue(ek, wrapped)
	return ek, nil
}

// wrapOAEP encrypts cek with RSA-OAEP and writes the DigestMethod and MGF
// children of em.
func wrapOAEP(em *etree.Element, cek []byte, pub *rsa.PublicKey, o EncryptOptions) ([]byte, error) {
	const name = "EncryptedKey/EncryptionMethod"
	digest, mgf := SHA1, MGF1SHA1
	if o.Digest != "" {
		digest = o.Digest
		dm := em.CreateElement("ds:DigestMethod")
		dm.CreateAttr("xmlns:ds", NamespaceDSig)
		dm.CreateAttr("Algorithm", string(o.Digest))
	}
	if o.MGF != "" {
		if o.KeyTransport != RSAOAEP {
			return nil, errors.New("xmlenc: an MGF can only be chosen with xmlenc11#rsa-oaep")
		}
		mgf = o.MGF
		m := em.CreateElement("xenc11:MGF")
		m.CreateAttr("xmlns:xenc11", NamespaceXMLEnc11)
		m.CreateAttr("Algorithm", string(o.MGF))
	}
	h, ok := digests[digest]
	if !ok {
		return nil, &AlgorithmError{Element: name + "/DigestMethod", Algorithm: string(digest)}
	}
	mh, ok := mgfs[mgf]
	if !ok {
		return nil, &AlgorithmError{Element: name + "/MGF", Algorithm: string(mgf)}
	}

	oaep := &rsa.OAEPOptions{Hash: h, MGFHash: mh}
	wrapped, err := rsa.EncryptOAEPWithOptions(o.Rand, pub, cek, oaep)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: wrapping the content key: %w", err)
	}
	return wrapped, nil
}

// addCipherValue appends CipherData/CipherValue holding b to el.
func addCipherValue(el *etree.Element, b []byte) {
	cv := el.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue")
	cv.SetText(base64.StdEncoding.EncodeToString(b))
}
