package xmlenc

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const samplePlaintext = `<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ` +
	`ID="_1">alice@example.com</saml2:Assertion>`

// transports lists every key transport variant Encrypt can produce.
var transports = []struct {
	name string
	opts EncryptOptions
}{
	{"rsa-oaep-mgf1p", EncryptOptions{KeyTransport: RSAOAEPMGF1P}},
	{"rsa-oaep-mgf1p sha256 digest", EncryptOptions{KeyTransport: RSAOAEPMGF1P, Digest: SHA256}},
	{"rsa-oaep default", EncryptOptions{KeyTransport: RSAOAEP}},
	{"rsa-oaep sha1", EncryptOptions{KeyTransport: RSAOAEP, Digest: SHA1}},
	{"rsa-oaep sha256 mgf1sha256", EncryptOptions{KeyTransport: RSAOAEP, Digest: SHA256, MGF: MGF1SHA256}},
	{"rsa-oaep sha384 mgf1sha384", EncryptOptions{KeyTransport: RSAOAEP, Digest: SHA384, MGF: MGF1SHA384}},
	{"rsa-oaep sha512 mgf1sha512", EncryptOptions{KeyTransport: RSAOAEP, Digest: SHA512, MGF: MGF1SHA512}},
	{"rsa-1_5", EncryptOptions{KeyTransport: RSA15}},
}

var contents = []Algorithm{AES128CBC, AES192CBC, AES256CBC, AES128GCM, AES192GCM, AES256GCM}

func TestRoundTrip(t *testing.T) {
	key, cert := loadKey(t, "sp"), loadCert(t, "sp")
	for _, tr := range transports {
		for _, alg := range contents {
			t.Run(tr.name+" "+shortName(alg), func(t *testing.T) {
				opts := tr.opts
				opts.Algorithm = alg
				ed, err := Encrypt([]byte(samplePlaintext), cert, opts)
				require.NoError(t, err)
				dopts := DecryptOptions{AllowRSA15: tr.opts.KeyTransport == RSA15}
				got, err := Decrypt(reparse(t, ed), key, dopts)
				require.NoError(t, err)
				assert.Equal(t, samplePlaintext, string(got))
			})
		}
	}
}

func TestRoundTripPlaintextLengths(t *testing.T) {
	key, cert := loadKey(t, "sp"), loadCert(t, "sp")
	for _, alg := range contents {
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 1000} {
			t.Run(fmt.Sprintf("%s %d bytes", shortName(alg), n), func(t *testing.T) {
				pt := bytes.Repeat([]byte{'x'}, n)
				ed, err := Encrypt(pt, cert, EncryptOptions{Algorithm: alg})
				require.NoError(t, err)
				got, err := Decrypt(reparse(t, ed), key, DecryptOptions{})
				require.NoError(t, err)
				assert.Equal(t, pt, got)
			})
		}
	}
}

func TestEncryptDefaultsAndShape(t *testing.T) {
	cert := loadCert(t, "sp")
	ed, err := Encrypt([]byte("x"), cert, EncryptOptions{ID: "_ed1"})
	require.NoError(t, err)
	ed = reparse(t, ed)

	assert.Equal(t, "_ed1", ed.SelectAttrValue("Id", ""))
	assert.Equal(t, TypeElement, ed.SelectAttrValue("Type", ""))
	em := child(ed, NamespaceXMLEnc, "EncryptionMethod")
	assert.Equal(t, string(AES256GCM), em.SelectAttrValue("Algorithm", ""))
	ek := find(t, ed, NamespaceXMLEnc, "EncryptedKey")
	em = child(ek, NamespaceXMLEnc, "EncryptionMethod")
	assert.Equal(t, string(RSAOAEPMGF1P), em.SelectAttrValue("Algorithm", ""))
	assert.Nil(t, child(em, NamespaceDSig, "DigestMethod"), "SHA-1 default is implicit")
	x := find(t, ek, NamespaceDSig, "X509Certificate")
	assert.Equal(t, base64.StdEncoding.EncodeToString(cert.Raw), x.Text())
}

func TestEncryptDeterministicWithFixedRand(t *testing.T) {
	cert := loadCert(t, "sp")
	out := func() string {
		ed, err := Encrypt([]byte("x"), cert, EncryptOptions{Rand: &zeroReader{}})
		require.NoError(t, err)
		doc := etree.NewDocument()
		doc.SetRoot(ed)
		s, err := doc.WriteToString()
		require.NoError(t, err)
		return s
	}
	assert.Equal(t, out(), out())
}

func TestEncryptErrors(t *testing.T) {
	cert := loadCert(t, "sp")
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tests := []struct {
		name string
		cert func() any
		opts EncryptOptions
		want string
	}{
		{"nil certificate", nil, EncryptOptions{}, "no recipient certificate"},
		{"unknown content algorithm", nil, EncryptOptions{Algorithm: "urn:x"}, "unsupported algorithm"},
		{"unknown key transport", nil, EncryptOptions{KeyTransport: "urn:x"}, "unsupported algorithm"},
		{"unknown digest", nil, EncryptOptions{KeyTransport: RSAOAEP, Digest: "urn:x"}, "unsupported algorithm"},
		{"MGF with mgf1p", nil, EncryptOptions{MGF: MGF1SHA256}, "MGF can only be chosen"},
		{"digest with rsa-1_5", nil, EncryptOptions{KeyTransport: RSA15, Digest: SHA256}, "no digest"},
		{"ECDSA certificate", func() any { return &ecKey.PublicKey }, EncryptOptions{}, "want an RSA key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cert
			switch {
			case tt.name == "nil certificate":
				c = nil
			case tt.cert != nil:
				cc := *cert
				cc.PublicKey = tt.cert()
				c = &cc
			}
			_, err := Encrypt([]byte("x"), c, tt.opts)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestDetachedEncryptedKey(t *testing.T) {
	key, cert := loadKey(t, "sp"), loadCert(t, "sp")
	for _, alg := range []Algorithm{AES128CBC, AES256GCM} {
		for _, withRef := range []bool{true, false} {
			name := fmt.Sprintf("%s retrieval method %v", shortName(alg), withRef)
			t.Run(name, func(t *testing.T) {
				ed, err := Encrypt([]byte(samplePlaintext), cert, EncryptOptions{Algorithm: alg})
				require.NoError(t, err)
				got, err := Decrypt(detachKey(t, ed, withRef), key, DecryptOptions{})
				require.NoError(t, err)
				assert.Equal(t, samplePlaintext, string(got))
			})
		}
	}
}

func TestSeveralRecipients(t *testing.T) {
	key, cert, other := loadKey(t, "sp"), loadCert(t, "sp"), loadCert(t, "other")
	ed, err := Encrypt([]byte(samplePlaintext), cert, EncryptOptions{})
	require.NoError(t, err)
	// Add a second EncryptedKey, for another recipient, before ours.
	decoy, err := Encrypt([]byte("decoy"), other, EncryptOptions{})
	require.NoError(t, err)
	ki := child(ed, NamespaceDSig, "KeyInfo")
	ki.InsertChildAt(0, find(t, decoy, NamespaceXMLEnc, "EncryptedKey").Copy())

	got, err := Decrypt(reparse(t, ed), key, DecryptOptions{})
	require.NoError(t, err)
	assert.Equal(t, samplePlaintext, string(got))
}

// TestSeveralRecipientsOneRefused: another recipient's EncryptedKey that
// our policy refuses (RSA1_5) or that is malformed, placed before ours,
// does not stop ours from being tried; alone, its error is the answer.
func TestSeveralRecipientsOneRefused(t *testing.T) {
	key, cert, other := loadKey(t, "sp"), loadCert(t, "sp"), loadCert(t, "other")
	theirs, err := Encrypt([]byte("decoy"), other, EncryptOptions{KeyTransport: RSA15})
	require.NoError(t, err)
	refused := find(t, theirs, NamespaceXMLEnc, "EncryptedKey")
	bad, err := Encrypt([]byte("decoy"), other, EncryptOptions{})
	require.NoError(t, err)
	malformed := find(t, bad, NamespaceXMLEnc, "EncryptedKey")
	child(child(malformed, NamespaceXMLEnc, "CipherData"), NamespaceXMLEnc, "CipherValue").
		SetText("not base64!")

	for name, foreign := range map[string]*etree.Element{"refused by policy": refused,
		"malformed": malformed} {
		t.Run(name, func(t *testing.T) {
			ed, err := Encrypt([]byte(samplePlaintext), cert, EncryptOptions{})
			require.NoError(t, err)
			child(ed, NamespaceDSig, "KeyInfo").InsertChildAt(0, foreign.Copy())
			got, err := Decrypt(reparse(t, ed), key, DecryptOptions{})
			require.NoError(t, err)
			assert.Equal(t, samplePlaintext, string(got))
		})
	}

	// Only the refused key: the refusal says why.
	_, err = Decrypt(reparse(t, theirs), key, DecryptOptions{})
	var ae *AlgorithmError
	assert.ErrorAs(t, err, &ae)
}

func TestRSA15(t *testing.T) {
	key, cert := loadKey(t, "sp"), loadCert(t, "sp")
	ed, err := Encrypt([]byte(samplePlaintext), cert, EncryptOptions{KeyTransport: RSA15})
	require.NoError(t, err)
	ed = reparse(t, ed)

	t.Run("refused by default", func(t *testing.T) {
		_, err := Decrypt(ed, key, DecryptOptions{})
		var ae *AlgorithmError
		require.ErrorAs(t, err, &ae)
		assert.True(t, ae.Refused)
		assert.Equal(t, string(RSA15), ae.Algorithm)
		assert.Equal(t, "EncryptedKey/EncryptionMethod", ae.Element)
	})
	t.Run("allowed", func(t *testing.T) {
		got, err := Decrypt(ed, key, DecryptOptions{AllowRSA15: true})
		require.NoError(t, err)
		assert.Equal(t, samplePlaintext, string(got))
	})
	t.Run("bad key padding looks like bad content", func(t *testing.T) {
		// Implicit rejection: a corrupted EncryptedKey yields a random
		// content key, so the failure surfaces at the GCM tag, with the
		// same error as a corrupted ciphertext.
		gcm, err := Encrypt([]byte(samplePlaintext), cert, EncryptOptions{KeyTransport: RSA15})
		require.NoError(t, err)
		badKey := reparse(t, gcm)
		flipCipherValue(t, find(t, badKey, NamespaceXMLEnc, "EncryptedKey"), 5, 0x01)
		badContent := reparse(t, gcm)
		flipCipherValue(t, badContent, 20, 0x01)

		_, errKey := Decrypt(badKey, key, DecryptOptions{AllowRSA15: true})
		_, errContent := Decrypt(badContent, key, DecryptOptions{AllowRSA15: true})
		require.Error(t, errKey)
		require.Error(t, errContent)
		assert.Equal(t, errContent.Error(), errKey.Error())
		assert.Equal(t, &DecryptError{Element: "EncryptedData"}, errKey)
	})
}

func TestTamperedCiphertext(t *testing.T) {
	key, cert := loadKey(t, "sp"), loadCert(t, "sp")
	want := &DecryptError{Element: "EncryptedData"}
	for _, alg := range []Algorithm{AES128GCM, AES192GCM, AES256GCM} {
		for name, at := range map[string]int{"iv": 0, "ciphertext": 14, "tag": -1} {
			t.Run(shortName(alg)+" "+name, func(t *testing.T) {
				ed, err := Encrypt([]byte(samplePlaintext), cert, EncryptOptions{Algorithm: alg})
				require.NoError(t, err)
				ed = reparse(t, ed)
				flipCipherValue(t, ed, at, 0x80)
				_, err = Decrypt(ed, key, DecryptOptions{})
				assert.Equal(t, want, err)
			})
		}
	}
	for _, alg := range []Algorithm{AES128CBC, AES192CBC, AES256CBC} {
		// The plaintext is 16 bytes, so the last block is all padding
		// (16 x 0x10). Flipping bits of the previous ciphertext block
		// flips the same bits of the padding: 0x10^0x80 = 0x90 and
		// 0x10^0x10 = 0 are both out of range.
		for _, flip := range []byte{0x80, 0x10} {
			t.Run(fmt.Sprintf("%s padding %#x", shortName(alg), 0x10^flip), func(t *testing.T) {
				ed, err := Encrypt(bytes.Repeat([]byte{'a'}, 16), cert, EncryptOptions{Algorithm: alg})
				require.NoError(t, err)
				ed = reparse(t, ed)
				flipCipherValue(t, ed, 16+15, flip)
				_, err = Decrypt(ed, key, DecryptOptions{})
				assert.Equal(t, want, err)
				assert.Equal(t, "xmlenc: EncryptedData: decryption failed", err.Error())
			})
		}
	}
}

func TestWrongKey(t *testing.T) {
	other, cert := loadKey(t, "other"), loadCert(t, "sp")
	for _, tr := range transports {
		if tr.opts.KeyTransport == RSA15 {
			continue // covered by TestRSA15
		}
		t.Run(tr.name, func(t *testing.T) {
			ed, err := Encrypt([]byte(samplePlaintext), cert, tr.opts)
			require.NoError(t, err)
			_, err = Decrypt(reparse(t, ed), other, DecryptOptions{})
			assert.Equal(t, &DecryptError{Element: "EncryptedKey"}, err)
		})
	}
	t.Run("rsa-1_5 gcm", func(t *testing.T) {
		ed, err := Encrypt([]byte(samplePlaintext), cert, EncryptOptions{KeyTransport: RSA15})
		require.NoError(t, err)
		_, err = Decrypt(reparse(t, ed), other, DecryptOptions{AllowRSA15: true})
		assert.Equal(t, &DecryptError{Element: "EncryptedData"}, err)
	})
}

func TestErrorsHoldNoSecrets(t *testing.T) {
	key, cert := loadKey(t, "sp"), loadCert(t, "sp")
	ed, err := Encrypt([]byte(samplePlaintext), cert, EncryptOptions{Algorithm: AES128CBC})
	require.NoError(t, err)
	ed = reparse(t, ed)
	cv := find(t, child(ed, NamespaceXMLEnc, "CipherData"), NamespaceXMLEnc, "CipherValue")
	ciphertext := cv.Text()
	flipCipherValue(t, ed, 16+1, 0x01) // plaintext mostly survives; padding may too

	_, err = Decrypt(ed, key, DecryptOptions{MaxCipherValue: 10})
	require.Error(t, err)
	for _, secret := range []string{ciphertext[:16], "alice@example.com"} {
		assert.NotContains(t, err.Error(), secret)
	}
}

// flipCipherValue XORs mask into byte at (negative: from the end) of the
// CipherValue directly under el/CipherData.
func flipCipherValue(t *testing.T, el *etree.Element, at int, mask byte) {
	t.Helper()
	cv := child(child(el, NamespaceXMLEnc, "CipherData"), NamespaceXMLEnc, "CipherValue")
	require.NotNil(t, cv)
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cv.Text()))
	require.NoError(t, err)
	if at < 0 {
		at += len(b)
	}
	b[at] ^= mask
	cv.SetText(base64.StdEncoding.EncodeToString(b))
}

// shortName returns the fragment of an algorithm URI.
func shortName(a Algorithm) string {
	_, frag, _ := strings.Cut(string(a), "#")
	return frag
}
