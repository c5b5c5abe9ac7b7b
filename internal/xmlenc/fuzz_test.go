package xmlenc

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// FuzzDecrypt feeds arbitrary XML to Decrypt. It must never panic, and
// every failure must be one of the package's typed errors.
func FuzzDecrypt(f *testing.F) {
	key, cert := loadKey(f, "sp"), loadCert(f, "sp")
	files, err := filepath.Glob(filepath.Join("testdata", "xmlsec1-aes*.xml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed fixtures: %v", err)
	}
	var seeds []string
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, string(b))
		f.Add(string(b), true)
	}
	oktas, _ := filepath.Glob(filepath.Join("testdata", "okta", "*.b64"))
	for _, file := range oktas {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		doc, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, string(doc))
		f.Add(string(doc), false)
	}
	for _, alg := range contents {
		ed, err := Encrypt([]byte(samplePlaintext), cert, EncryptOptions{Algorithm: alg, Rand: &zeroReader{}})
		if err != nil {
			f.Fatal(err)
		}
		detached := detachKey(f, ed, true)
		for _, el := range []*etree.Element{ed, detached.Parent()} {
			doc := etree.NewDocument()
			doc.SetRoot(el.Copy())
			s, err := doc.WriteToString()
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, s)
			f.Add(s, false)
		}
	}

	// RSA under coverage instrumentation runs a few times a second, so
	// the fuzzer uses a decrypter that replays the unwrapped keys of the
	// seeds and rejects anything else the way rsa.PrivateKey does.
	dec := &replayDecrypter{key: key, known: map[string][]byte{}}
	dec.record = true
	for _, seed := range seeds {
		doc := etree.NewDocument()
		if doc.ReadFromString(seed) == nil {
			if ed := firstEncryptedData(doc.Root()); ed != nil {
				_, _ = Decrypt(ed, dec, DecryptOptions{AllowRSA15: true})
			}
		}
	}
	dec.record = false

	f.Fuzz(func(t *testing.T, input string, allowRSA15 bool) {
		doc := etree.NewDocument()
		if doc.ReadFromString(input) != nil || doc.Root() == nil {
			return
		}
		ed := firstEncryptedData(doc.Root())
		if ed == nil {
			ed = doc.Root()
		}
		_, err := Decrypt(ed, dec, DecryptOptions{AllowRSA15: allowRSA15, MaxCipherValue: 1 << 16})
		if err == nil {
			return
		}
		var fe *FormatError
		var ae *AlgorithmError
		var de *DecryptError
		if !errors.As(err, &fe) && !errors.As(err, &ae) && !errors.As(err, &de) {
			t.Fatalf("untyped error: %v", err)
		}
	})
}

// replayDecrypter records what the real key unwraps while record is set,
// then answers only those ciphertexts.
type replayDecrypter struct {
	key    *rsa.PrivateKey
	known  map[string][]byte
	record bool
}

func (d *replayDecrypter) Public() crypto.PublicKey { return d.key.Public() }

func (d *replayDecrypter) Decrypt(r io.Reader, ct []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	if d.record {
		pt, err := d.key.Decrypt(r, ct, opts)
		if err == nil {
			d.known[string(ct)] = pt
		}
		return pt, err
	}
	if pt, ok := d.known[string(ct)]; ok {
		return append([]byte(nil), pt...), nil
	}
	if o, ok := opts.(*rsa.PKCS1v15DecryptOptions); ok && len(ct) == d.key.Size() {
		return make([]byte, o.SessionKeyLen), nil // implicit rejection
	}
	return nil, rsa.ErrDecryption
}

// firstEncryptedData returns the first xenc:EncryptedData in document
// order, or nil.
func firstEncryptedData(el *etree.Element) *etree.Element {
	if is(el, NamespaceXMLEnc, "EncryptedData") {
		return el
	}
	for _, c := range el.ChildElements() {
		if found := firstEncryptedData(c); found != nil {
			return found
		}
	}
	return nil
}
