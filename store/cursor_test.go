package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
)

func TestCursorRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		c    cursor
	}{
		{"plain", cursor{at: 1767225600000000, id: "l1"}},
		{"negative time", cursor{at: -62135596800000000, id: "x"}},
		{"ID with separators", cursor{at: 5, id: "a|b|1|"}},
		{"empty ID", cursor{at: 0, id: ""}},
		{"unicode ID", cursor{at: 7, id: "ñ✓"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, start, err := decodeCursor(tc.c.encode())
			require.NoError(t, err)
			assert.False(t, start)
			assert.Equal(t, tc.c, got)
		})
	}
}

func TestDecodeCursorErrors(t *testing.T) {
	cases := []struct{ name, text string }{
		{"not base64", "***"},
		{"padded base64", "MXwxfGE="},
		{"no version", "MTIzfGE"},        // "123|a"
		{"wrong version", "MnwxfGE"},     // "2|1|a"
		{"no ID separator", "MXwxMjM"},   // "1|123"
		{"time not a number", "MXx4fGE"}, // "1|x|a"
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := decodeCursor(tc.text)
			assert.ErrorIs(t, err, share.ErrInvalidCursor)
		})
	}
}

func TestDecodeCursorEmptyIsStart(t *testing.T) {
	_, start, err := decodeCursor("")
	require.NoError(t, err)
	assert.True(t, start)
}

// FuzzDecodeCursor feeds decodeCursor the text a client could send as a
// cursor. It must never panic, and whatever it accepts must encode back to
// a cursor that decodes to the same position.
func FuzzDecodeCursor(f *testing.F) {
	f.Add("")
	f.Add(cursor{at: 1767225600000000, id: "l1"}.encode())
	f.Add("MXwxfGE")
	f.Add("MXwtOTIyMzM3MjAzNjg1NDc3NTgwOHx4")
	f.Fuzz(func(t *testing.T, text string) {
		c, start, err := decodeCursor(text)
		if err != nil || start {
			return
		}
		again, start, err := decodeCursor(c.encode())
		require.NoError(t, err)
		require.False(t, start)
		require.Equal(t, c, again)
	})
}
