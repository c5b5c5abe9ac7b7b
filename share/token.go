package share

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
)

// TokenBytes is how many random bytes a link token or session ID carries:
// 256 bits.
const TokenBytes = 32

// tokenLen is the length of a token's text: TokenBytes in unpadded
// URL-safe base64.
const tokenLen = (TokenBytes*8 + 5) / 6

var tokenEncoding = base64.RawURLEncoding.Strict()

// Digest is the SHA-256 digest of a secret (a link token or a session ID).
// Only digests are stored; the secret cannot be recovered from one. The
// zero Digest matches no token.
type Digest [sha256.Size]byte

// String returns the digest in lower-case hex. A digest is not secret.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// IsZero reports whether d is the zero Digest.
func (d Digest) IsZero() bool { return d == Digest{} }

// NewToken reads TokenBytes from r (crypto/rand.Reader when r is nil) and
// returns them as URL-safe text, with the digest to store.
func NewToken(r io.Reader) (token string, digest Digest, err error) {
	var b [TokenBytes]byte
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", Digest{}, fmt.Errorf("share: reading random bytes: %w", err)
	}
	token = tokenEncoding.EncodeToString(b[:])
	return token, sha256.Sum256([]byte(token)), nil
}

// HashToken checks that token has the form [NewToken] produces and returns
// its digest. A malformed token is refused with [ErrInvalidToken] before
// any lookup, so it costs no storage round trip.
func HashToken(token string) (Digest, error) {
	if len(token) != tokenLen {
		return Digest{}, ErrInvalidToken
	}
	var b [TokenBytes + 1]byte
	n, err := tokenEncoding.Decode(b[:], []byte(token))
	if err != nil || n != TokenBytes {
		return Digest{}, ErrInvalidToken
	}
	return sha256.Sum256([]byte(token)), nil
}
