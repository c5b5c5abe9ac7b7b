// Command genfixtures writes the benchmark fixtures into testdata: the
// Okta-shaped Responses with 5, 200 and 1,000 group values, and, with
// -newkey, a fresh test-only IdP key and self-signed certificate.
//
// Run it from the benchmarks directory:
//
//	go run ./cmd/genfixtures          # rewrite the responses from the key
//	go run ./cmd/genfixtures -newkey  # replace the key first (rarely)
//
// The responses are deterministic: the same key always gives the same bytes.
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/secureshare/secureshare/benchmarks/internal/fixture"
)

func main() {
	dir := flag.String("dir", "testdata", "directory for the key, certificate and responses")
	newKey := flag.Bool("newkey", false, "generate a new test-only IdP key and certificate first")
	flag.Parse()

	if err := run(*dir, *newKey); err != nil {
		fmt.Fprintln(os.Stderr, "genfixtures:", err)
		os.Exit(1)
	}
}

func run(dir string, newKey bool) error {
	if newKey {
		if err := writeKey(dir); err != nil {
			return err
		}
	}
	idp, err := fixture.Load(dir)
	if err != nil {
		return err
	}

	for _, n := range []int{5, 200, 1000} {
		doc, err := idp.Response(n)
		if err != nil {
			return err
		}
		name := filepath.Join(dir, fmt.Sprintf("okta-groups-%d.xml", n))
		if err := os.WriteFile(name, doc, 0o644); err != nil {
			return err
		}
		fmt.Printf("%s: %d bytes\n", name, len(doc))
	}
	return nil
}

// writeKey makes a test-only RSA-2048 key and a self-signed certificate
// valid from 2020 to 2050, so that every fixture instant falls inside it.
func writeKey(dir string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(20260115),
		Subject: pkix.Name{CommonName: "benchmark-idp (TEST ONLY)",
			Organization: []string{"Secure Share benchmarks"}},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}

	if err := writePEM(filepath.Join(dir, fixture.KeyFile), "PRIVATE KEY", keyDER, 0o600); err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, fixture.CertFile), "CERTIFICATE", certDER, 0o644)
}

func writePEM(path, typ string, der []byte, perm os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), perm)
}
