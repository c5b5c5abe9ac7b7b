package share

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingReader yields 0, 1, 2, ... so that tests see fixed randomness.
type countingReader struct{ n byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
		r.n++
	}
	return len(p), nil
}

func TestNewToken(t *testing.T) {
	token, digest, err := NewToken(&countingReader{})
	require.NoError(t, err)

	assert.Equal(t, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", token)
	assert.Equal(t, Digest(sha256.Sum256([]byte(token))), digest)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	require.NoError(t, err)
	assert.Len(t, raw, 32, "256 bits")

	again, err := HashToken(token)
	require.NoError(t, err)
	assert.Equal(t, digest, again)
	assert.Len(t, digest.String(), 64)
	assert.False(t, digest.IsZero())
	assert.True(t, Digest{}.IsZero())
}

func TestNewTokenSystemRandom(t *testing.T) {
	a, da, err := NewToken(nil)
	require.NoError(t, err)
	b, db, err := NewToken(nil)
	require.NoError(t, err)

	assert.NotEqual(t, a, b)
	assert.NotEqual(t, da, db)
}

func TestNewTokenShortRandom(t *testing.T) {
	_, _, err := NewToken(bytes.NewReader(make([]byte, 31)))

	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestHashTokenRejects(t *testing.T) {
	valid, _, err := NewToken(&countingReader{})
	require.NoError(t, err)
	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"one short", valid[:42]},
		{"one long", valid + "A"},
		{"padded", valid[:42] + "="},
		{"standard alphabet", "+/" + valid[2:]},
		{"non-canonical last character", valid[:42] + "9"},
		{"trailing newline", valid[:42] + "\n"},
		{"space inside", valid[:20] + " " + valid[21:]},
		{"non-ASCII", "é" + valid[2:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := HashToken(tt.token)

			require.ErrorIs(t, err, ErrInvalidToken)
			assert.NotContains(t, err.Error(), valid, "no token in errors")
		})
	}
}

// FuzzHashToken checks that HashToken accepts exactly the canonical
// encodings of 32 bytes and never panics.
func FuzzHashToken(f *testing.F) {
	file, err := os.Open("testdata/tokens.txt")
	require.NoError(f, err)
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		if line := sc.Text(); !strings.HasPrefix(line, "#") {
			f.Add(strings.ReplaceAll(line, `\n`, "\n"))
		}
	}
	require.NoError(f, sc.Err())

	f.Fuzz(func(t *testing.T, token string) {
		d, err := HashToken(token)
		if err != nil {
			if d != (Digest{}) {
				t.Fatal("digest returned with an error")
			}
			return
		}
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) != TokenBytes {
			t.Fatalf("accepted %q, which is not 32 bytes of base64url", token)
		}
		if base64.RawURLEncoding.EncodeToString(raw) != token {
			t.Fatalf("accepted non-canonical %q", token)
		}
		if d != sha256.Sum256([]byte(token)) {
			t.Fatal("digest is not SHA-256 of the token")
		}
	})
}
