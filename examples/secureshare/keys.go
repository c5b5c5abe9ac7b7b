package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/secureshare/secureshare/saml"
)

// keyBits is the size of generated RSA keys.
const keyBits = 2048

// keyPair is an RSA key with its certificate.
type keyPair struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

// loadKeyPair reads a key and its certificate given by flags, and checks
// that they belong together.
func loadKeyPair(keyFile, certFile string) (*keyPair, error) {
	if (keyFile == "") != (certFile == "") {
		return nil, badUsage("--sp-key and --sp-cert go together")
	}
	key, err := readRSAKey(keyFile)
	if err != nil {
		return nil, err
	}
	cert, err := readCertificate(certFile)
	if err != nil {
		return nil, badUsage("--sp-cert %s: %v", certFile, err)
	}
	if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		return nil, badUsage("--sp-cert %s does not match --sp-key %s", certFile, keyFile)
	}
	return &keyPair{key: key, cert: cert}, nil
}

// loadOrCreateKeyPair returns the key and certificate kept in dir as
// NAME-key.pem (mode 0600) and NAME-cert.pem, generating and writing
// them the first time. created reports whether they were generated.
func loadOrCreateKeyPair(dir, name, commonName string) (kp *keyPair, created bool, err error) {
	keyFile := filepath.Join(dir, name+"-key.pem")
	certFile := filepath.Join(dir, name+"-cert.pem")
	_, keyErr := os.Stat(keyFile)
	_, certErr := os.Stat(certFile)
	if keyErr == nil && certErr == nil {
		kp, err := loadKeyPair(keyFile, certFile)
		return kp, false, err
	}
	if !errors.Is(keyErr, fs.ErrNotExist) || !errors.Is(certErr, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("%s and %s must both exist or both be missing",
			keyFile, certFile)
	}

	kp, err = newKeyPair(commonName)
	if err != nil {
		return nil, false, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(kp.key)
	if err != nil {
		return nil, false, err
	}
	if err := writeFileExcl(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY",
		Bytes: der}), 0o600); err != nil {
		return nil, false, err
	}
	if err := writeFileExcl(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE",
		Bytes: kp.cert.Raw}), 0o644); err != nil {
		return nil, false, err
	}
	return kp, true, nil
}

// newKeyPair generates an RSA key and a self-signed certificate valid for
// ten years, which is what IdPs expect of an SP: they pin the key.
func newKeyPair(commonName string) (*keyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("generating a key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("creating a certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &keyPair{key: key, cert: cert}, nil
}

// readCertificate reads one PEM certificate.
func readCertificate(path string) (*x509.Certificate, error) {
	data, err := readLimited(path, maxPEMFile)
	if err != nil {
		return nil, err
	}
	return saml.ParseCertificate(string(data))
}

// writeFileExcl creates path with perm and data, failing if it exists, so
// that two processes starting at once never overwrite each other's key.
func writeFileExcl(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
