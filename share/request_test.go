package share

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthnRequestConsumedOnce(t *testing.T) {
	s, _, clk := newTestService(t)
	ctx := context.Background()
	st, err := s.SaveAuthnRequest(ctx, "_abc", "okta", "/s/l1/pages/102")
	require.NoError(t, err)
	assert.Equal(t, t0.Add(DefaultRequestLifetime), st.Expires)

	_, err = s.SaveAuthnRequest(ctx, "_abc", "okta", "/")
	require.ErrorIs(t, err, ErrConflict)

	clk.advance(DefaultRequestLifetime - time.Second)
	got, err := s.ConsumeAuthnRequest(ctx, "_abc")
	require.NoError(t, err)
	assert.Equal(t, st, got)

	_, err = s.ConsumeAuthnRequest(ctx, "_abc")
	require.ErrorIs(t, err, ErrNotFound)
}

func TestAuthnRequestExpires(t *testing.T) {
	s, _, clk := newTestService(t)
	ctx := context.Background()
	_, err := s.SaveAuthnRequest(ctx, "_abc", "okta", "/")
	require.NoError(t, err)

	clk.advance(DefaultRequestLifetime)
	_, err = s.ConsumeAuthnRequest(ctx, "_abc")

	require.ErrorIs(t, err, ErrExpired)
}

func TestSaveAuthnRequestRefuses(t *testing.T) {
	tests := []struct {
		name, id, idp, returnTo string
	}{
		{"no ID", "", "okta", "/"},
		{"no IdP", "_a", "", "/"},
		{"absolute URL", "_a", "okta", "https://evil.example/"},
		{"scheme-relative", "_a", "okta", "//evil.example/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st, _ := newTestService(t)

			_, err := s.SaveAuthnRequest(context.Background(), tt.id, tt.idp, tt.returnTo)

			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Empty(t, st.requests)
		})
	}
}

func TestLocalPath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/", true},
		{"/s/l1/pages/102?x=1#top", true},
		{"", false},
		{"relative", false},
		{"//evil.example", false},
		{"/\\evil.example", false},
		{"/ok\\..", false},
		{"/a\r\nLocation: x", false},
		{"/a\x00", false},
		{"https://evil.example", false},
		{"javascript:alert(1)", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			assert.Equal(t, tt.want, LocalPath(tt.path))
		})
	}
}
