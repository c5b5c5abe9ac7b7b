package xmlenc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// setCipherValue replaces the text of the CipherValue under el/CipherData.
func setCipherValue(el *etree.Element, text string) {
	child(child(el, NamespaceXMLEnc, "CipherData"), NamespaceXMLEnc, "CipherValue").SetText(text)
}

// keyOf returns the EncryptedKey inside ed's KeyInfo.
func keyOf(ed *etree.Element) *etree.Element {
	return child(child(ed, NamespaceDSig, "KeyInfo"), NamespaceXMLEnc, "EncryptedKey")
}

func TestDecryptMalformed(t *testing.T) {
	key, cert := loadKey(t, "sp"), loadCert(t, "sp")
	tests := []struct {
		name    string
		alg     Algorithm
		mutate  func(ed *etree.Element) *etree.Element
		opts    DecryptOptions
		wantErr any // *FormatError, *AlgorithmError or *DecryptError with the wanted Element
	}{
		{
			name:    "not an EncryptedData",
			mutate:  func(ed *etree.Element) *etree.Element { return keyOf(ed) },
			wantErr: &FormatError{Element: "EncryptedData"},
		},
		{
			name: "EncryptedData in the wrong namespace",
			mutate: func(ed *etree.Element) *etree.Element {
				ed.CreateAttr("xmlns:xenc", "urn:not-xmlenc")
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedData"},
		},
		{
			name: "missing EncryptionMethod",
			mutate: func(ed *etree.Element) *etree.Element {
				ed.RemoveChild(child(ed, NamespaceXMLEnc, "EncryptionMethod"))
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedData/EncryptionMethod"},
		},
		{
			name: "unknown content algorithm",
			mutate: func(ed *etree.Element) *etree.Element {
				em := child(ed, NamespaceXMLEnc, "EncryptionMethod")
				em.CreateAttr("Algorithm", NamespaceXMLEnc+"tripledes-cbc")
				return ed
			},
			wantErr: &AlgorithmError{Element: "EncryptedData/EncryptionMethod",
				Algorithm: NamespaceXMLEnc + "tripledes-cbc"},
		},
		{
			name: "content algorithm missing",
			mutate: func(ed *etree.Element) *etree.Element {
				child(ed, NamespaceXMLEnc, "EncryptionMethod").RemoveAttr("Algorithm")
				return ed
			},
			wantErr: &AlgorithmError{Element: "EncryptedData/EncryptionMethod"},
		},
		{
			name: "missing CipherData",
			mutate: func(ed *etree.Element) *etree.Element {
				ed.RemoveChild(child(ed, NamespaceXMLEnc, "CipherData"))
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedData/CipherData"},
		},
		{
			name: "missing CipherValue",
			mutate: func(ed *etree.Element) *etree.Element {
				cd := child(ed, NamespaceXMLEnc, "CipherData")
				cd.RemoveChild(child(cd, NamespaceXMLEnc, "CipherValue"))
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedData/CipherData/CipherValue"},
		},
		{
			name: "repeated CipherValue",
			mutate: func(ed *etree.Element) *etree.Element {
				cd := child(ed, NamespaceXMLEnc, "CipherData")
				cd.AddChild(child(cd, NamespaceXMLEnc, "CipherValue").Copy())
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedData/CipherData/CipherValue"},
		},
		{
			name: "CipherReference",
			mutate: func(ed *etree.Element) *etree.Element {
				cd := child(ed, NamespaceXMLEnc, "CipherData")
				cd.CreateElement("xenc:CipherReference").CreateAttr("URI", "http://example.com/x")
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedData/CipherData/CipherReference"},
		},
		{
			name: "bad base64",
			mutate: func(ed *etree.Element) *etree.Element {
				setCipherValue(ed, "!!!not base64!!!")
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedData/CipherData/CipherValue"},
		},
		{
			name: "empty CipherValue",
			mutate: func(ed *etree.Element) *etree.Element {
				setCipherValue(ed, " \n ")
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedData/CipherData/CipherValue"},
		},
		{
			name: "truncated GCM ciphertext",
			mutate: func(ed *etree.Element) *etree.Element {
				setCipherValue(ed, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") // 27 bytes
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedData/CipherData/CipherValue"},
		},
		{
			name: "CBC ciphertext of one block",
			alg:  AES128CBC,
			mutate: func(ed *etree.Element) *etree.Element {
				setCipherValue(ed, "AAAAAAAAAAAAAAAAAAAAAA==") // 16 bytes: IV only
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedData/CipherData/CipherValue"},
		},
		{
			name: "CBC ciphertext not a multiple of the block size",
			alg:  AES256CBC,
			mutate: func(ed *etree.Element) *etree.Element {
				setCipherValue(ed, strings.Repeat("A", 44)) // 33 bytes
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedData/CipherData/CipherValue"},
		},
		{
			name: "CipherValue over the limit",
			mutate: func(ed *etree.Element) *etree.Element {
				return ed
			},
			opts:    DecryptOptions{MaxCipherValue: 16},
			wantErr: &FormatError{Element: "EncryptedData/CipherData/CipherValue"},
		},
		{
			name: "no EncryptedKey anywhere",
			mutate: func(ed *etree.Element) *etree.Element {
				ed.RemoveChild(child(ed, NamespaceDSig, "KeyInfo"))
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedKey"},
		},
		{
			name: "RetrievalMethod to a missing Id",
			mutate: func(ed *etree.Element) *etree.Element {
				ki := child(ed, NamespaceDSig, "KeyInfo")
				ki.RemoveChild(keyOf(ed))
				rm := ki.CreateElement("ds:RetrievalMethod")
				rm.CreateAttr("Type", typeEncryptedKey)
				rm.CreateAttr("URI", "#_nowhere")
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedData/KeyInfo/RetrievalMethod"},
		},
		{
			name: "RetrievalMethod to another document",
			mutate: func(ed *etree.Element) *etree.Element {
				ki := child(ed, NamespaceDSig, "KeyInfo")
				ki.RemoveChild(keyOf(ed))
				ki.CreateElement("ds:RetrievalMethod").CreateAttr("URI", "http://evil.example/key")
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedData/KeyInfo/RetrievalMethod"},
		},
		{
			name: "too many EncryptedKeys",
			mutate: func(ed *etree.Element) *etree.Element {
				ki := child(ed, NamespaceDSig, "KeyInfo")
				for range maxEncryptedKeys {
					ki.AddChild(keyOf(ed).Copy())
				}
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedKey"},
		},
		{
			name: "EncryptedKey without EncryptionMethod",
			mutate: func(ed *etree.Element) *etree.Element {
				ek := keyOf(ed)
				ek.RemoveChild(child(ek, NamespaceXMLEnc, "EncryptionMethod"))
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedKey/EncryptionMethod"},
		},
		{
			name: "EncryptedKey without CipherValue",
			mutate: func(ed *etree.Element) *etree.Element {
				ek := keyOf(ed)
				cd := child(ek, NamespaceXMLEnc, "CipherData")
				cd.RemoveChild(child(cd, NamespaceXMLEnc, "CipherValue"))
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedKey/CipherData/CipherValue"},
		},
		{
			name: "EncryptedKey with bad base64",
			mutate: func(ed *etree.Element) *etree.Element {
				setCipherValue(keyOf(ed), "%%%")
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedKey/CipherData/CipherValue"},
		},
		{
			name: "truncated EncryptedKey",
			mutate: func(ed *etree.Element) *etree.Element {
				setCipherValue(keyOf(ed), "AAAA")
				return ed
			},
			wantErr: &DecryptError{Element: "EncryptedKey"},
		},
		{
			name: "unknown key transport",
			mutate: func(ed *etree.Element) *etree.Element {
				em := child(keyOf(ed), NamespaceXMLEnc, "EncryptionMethod")
				em.CreateAttr("Algorithm", NamespaceXMLEnc+"kw-aes128")
				return ed
			},
			wantErr: &AlgorithmError{Element: "EncryptedKey/EncryptionMethod",
				Algorithm: NamespaceXMLEnc + "kw-aes128"},
		},
		{
			name: "unknown OAEP digest",
			mutate: func(ed *etree.Element) *etree.Element {
				em := child(keyOf(ed), NamespaceXMLEnc, "EncryptionMethod")
				dm := em.CreateElement("ds:DigestMethod")
				dm.CreateAttr("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#md5")
				return ed
			},
			wantErr: &AlgorithmError{
				Element:   "EncryptedKey/EncryptionMethod/DigestMethod",
				Algorithm: "http://www.w3.org/2001/04/xmldsig-more#md5",
			},
		},
		{
			name: "unknown MGF",
			mutate: func(ed *etree.Element) *etree.Element {
				em := child(keyOf(ed), NamespaceXMLEnc, "EncryptionMethod")
				em.CreateAttr("Algorithm", string(RSAOAEP))
				m := em.CreateElement("xenc11:MGF")
				m.CreateAttr("xmlns:xenc11", NamespaceXMLEnc11)
				m.CreateAttr("Algorithm", NamespaceXMLEnc11+"mgf1sha224")
				return ed
			},
			wantErr: &AlgorithmError{Element: "EncryptedKey/EncryptionMethod/MGF",
				Algorithm: NamespaceXMLEnc11 + "mgf1sha224"},
		},
		{
			name: "bad OAEPparams",
			mutate: func(ed *etree.Element) *etree.Element {
				em := child(keyOf(ed), NamespaceXMLEnc, "EncryptionMethod")
				em.CreateElement("xenc:OAEPparams").SetText("***")
				return ed
			},
			wantErr: &FormatError{Element: "EncryptedKey/EncryptionMethod/OAEPparams"},
		},
		{
			name: "OAEPparams not used when encrypting",
			mutate: func(ed *etree.Element) *etree.Element {
				em := child(keyOf(ed), NamespaceXMLEnc, "EncryptionMethod")
				em.CreateElement("xenc:OAEPparams").SetText("bGFiZWw=")
				return ed
			},
			wantErr: &DecryptError{Element: "EncryptedKey"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alg := tt.alg
			if alg == "" {
				alg = AES256GCM
			}
			ed, err := Encrypt([]byte(samplePlaintext), cert, EncryptOptions{Algorithm: alg})
			require.NoError(t, err)
			el := tt.mutate(reparse(t, ed))
			el = reparseKeep(t, el)

			got, err := Decrypt(el, key, tt.opts)
			require.Error(t, err)
			assert.Nil(t, got)
			assertErrLike(t, tt.wantErr, err)
		})
	}
}

func TestDecryptBadArguments(t *testing.T) {
	key, cert := loadKey(t, "sp"), loadCert(t, "sp")
	ed, err := Encrypt([]byte("x"), cert, EncryptOptions{})
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)

	_, err = Decrypt(nil, key, DecryptOptions{})
	assert.IsType(t, &FormatError{}, err)
	_, err = Decrypt(ed, nil, DecryptOptions{})
	assert.ErrorContains(t, err, "no private key")
	_, err = Decrypt(ed, ecDecrypter{ecKey}, DecryptOptions{})
	assert.ErrorContains(t, err, "want an RSA key")
}

// ecDecrypter is a crypto.Decrypter with a non-RSA key.
type ecDecrypter struct{ *ecdsa.PrivateKey }

func (ecDecrypter) Decrypt(io.Reader, []byte, crypto.DecrypterOpts) ([]byte, error) {
	return nil, errors.New("not an RSA key")
}

// reparseKeep serialises the document that holds el and returns the
// element at the same place in the reparsed copy, so that sibling shapes
// survive.
func reparseKeep(t *testing.T, el *etree.Element) *etree.Element {
	t.Helper()
	if el.Parent() == nil || el.Parent().Tag == "" {
		return reparse(t, el)
	}
	// The mutations above return either the root or a direct child.
	root := reparse(t, el.Parent())
	return root.ChildElements()[el.Index()-countNonElements(el.Parent(), el.Index())]
}

// countNonElements counts the non-element tokens before index i.
func countNonElements(parent *etree.Element, i int) int {
	n := 0
	for _, tok := range parent.Child[:i] {
		if _, ok := tok.(*etree.Element); !ok {
			n++
		}
	}
	return n
}

// assertErrLike checks that err has want's type and Element (and, for an
// AlgorithmError, Algorithm).
func assertErrLike(t *testing.T, want any, err error) {
	t.Helper()
	switch w := want.(type) {
	case *FormatError:
		var got *FormatError
		require.ErrorAs(t, err, &got)
		assert.Equal(t, w.Element, got.Element, "error: %v", err)
		assert.NotEmpty(t, got.Msg)
	case *AlgorithmError:
		var got *AlgorithmError
		require.ErrorAs(t, err, &got)
		assert.Equal(t, w.Element, got.Element, "error: %v", err)
		assert.Equal(t, w.Algorithm, got.Algorithm)
	case *DecryptError:
		var got *DecryptError
		require.ErrorAs(t, err, &got)
		assert.Equal(t, w.Element, got.Element, "error: %v", err)
	default:
		t.Fatalf("bad want %T", want)
	}
}
