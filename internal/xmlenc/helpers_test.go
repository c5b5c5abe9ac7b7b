package xmlenc

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/require"
)

// loadKey reads testdata/NAME.key (PKCS#8 PEM).
func loadKey(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".key"))
	require.NoError(t, err)
	blk, _ := pem.Decode(b)
	require.NotNil(t, blk)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	require.NoError(t, err)
	rk, ok := k.(*rsa.PrivateKey)
	require.True(t, ok)
	return rk
}

// loadCert reads testdata/NAME.crt (PEM).
func loadCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".crt"))
	require.NoError(t, err)
	blk, _ := pem.Decode(b)
	require.NotNil(t, blk)
	c, err := x509.ParseCertificate(blk.Bytes)
	require.NoError(t, err)
	return c
}

// reparse serialises el and parses it again, so that tests see exactly
// what a receiver would.
func reparse(t testing.TB, el *etree.Element) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	s, err := doc.WriteToString()
	require.NoError(t, err)
	return parse(t, s)
}

// parse parses s and returns its root.
func parse(t testing.TB, s string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	require.NoError(t, doc.ReadFromString(s))
	require.NotNil(t, doc.Root())
	return doc.Root()
}

// find returns the only descendant-or-self {ns}local of root.
func find(t testing.TB, root *etree.Element, ns, local string) *etree.Element {
	t.Helper()
	var found []*etree.Element
	var walk func(el *etree.Element)
	walk = func(el *etree.Element) {
		if is(el, ns, local) {
			found = append(found, el)
		}
		for _, c := range el.ChildElements() {
			walk(c)
		}
	}
	walk(root)
	require.Len(t, found, 1, "want exactly one %s", local)
	return found[0]
}

// detachKey rewrites an EncryptedData from Encrypt into the sibling shape
// that Okta and AD FS send: the EncryptedKey follows the EncryptedData
// inside a saml:EncryptedAssertion, and the KeyInfo holds a RetrievalMethod
// (or, with withRef false, nothing at all).
func detachKey(t testing.TB, ed *etree.Element, withRef bool) *etree.Element {
	t.Helper()
	wrapper := etree.NewElement("saml:EncryptedAssertion")
	wrapper.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	ed = ed.Copy()
	ki := child(ed, NamespaceDSig, "KeyInfo")
	if ki == nil {
		ki = ed.FindElement("KeyInfo")
	}
	require.NotNil(t, ki)
	ek := ki.ChildElements()[0]
	ki.RemoveChild(ek)
	ek.CreateAttr("Id", "_ek1")
	ek.CreateAttr("xmlns:xenc", NamespaceXMLEnc)
	ek.CreateAttr("xmlns:ds", NamespaceDSig)
	if withRef {
		rm := ki.CreateElement("ds:RetrievalMethod")
		rm.CreateAttr("Type", typeEncryptedKey)
		rm.CreateAttr("URI", "#_ek1")
	} else {
		ed.RemoveChild(ki)
	}
	wrapper.AddChild(ed)
	wrapper.AddChild(ek)
	root := reparse(t, wrapper)
	return child(root, NamespaceXMLEnc, "EncryptedData")
}

// zeroReader is a deterministic io.Reader for reproducible output.
type zeroReader struct{ b byte }

func (z *zeroReader) Read(p []byte) (int, error) {
	for i := range p {
		z.b++
		p[i] = z.b
	}
	return len(p), nil
}
