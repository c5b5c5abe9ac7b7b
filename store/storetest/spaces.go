package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
)

// fullSpace returns space settings with every field set.
func fullSpace(key string) share.Space {
	return share.Space{
		Key:             key,
		SSOEnforced:     true,
		IDPs:            []string{"okta", "entra"},
		DefaultLifetime: 7 * 24 * time.Hour,
		MaxLifetime:     90*24*time.Hour + time.Nanosecond,
		ExcludeLabel:    "internal-only",
		Suspended:       start.Add(time.Minute),
		SuspendedBy:     "security@example.com",
		Updated:         start.Add(2 * time.Minute),
		UpdatedBy:       "admin@example.com",
	}
}

func (h *harness) testSpaces(t *testing.T) {
	ctx := context.Background()

	t.Run("never stored", func(t *testing.T) {
		s, _, _ := h.open(t)
		_, err := s.SpaceSettings(ctx, "ENG")
		assert.ErrorIs(t, err, share.ErrNotFound)
	})

	t.Run("put and read back every field", func(t *testing.T) {
		s, _, _ := h.open(t)
		sp := fullSpace("ENG")
		requireAllSet(t, sp)
		require.NoError(t, s.PutSpaceSettings(ctx, sp))

		got, err := s.SpaceSettings(ctx, "ENG")
		require.NoError(t, err)
		assert.Equal(t, utc(sp), utc(got))
		_, err = s.SpaceSettings(ctx, "OPS")
		assert.ErrorIs(t, err, share.ErrNotFound, "another space")
	})

	t.Run("put replaces every field", func(t *testing.T) {
		s, _, _ := h.open(t)
		require.NoError(t, s.PutSpaceSettings(ctx, fullSpace("ENG")))
		require.NoError(t, s.PutSpaceSettings(ctx, fullSpace("OPS")))

		plain := share.Space{Key: "ENG", Updated: start.Add(time.Hour), UpdatedBy: "bob"}
		require.NoError(t, s.PutSpaceSettings(ctx, plain))
		got, err := s.SpaceSettings(ctx, "ENG")
		require.NoError(t, err)
		assert.Equal(t, utc(plain).Updated, utc(got).Updated)
		assert.False(t, got.SSOEnforced)
		assert.Empty(t, got.IDPs)
		assert.Zero(t, got.DefaultLifetime)
		assert.Zero(t, got.MaxLifetime)
		assert.Empty(t, got.ExcludeLabel)
		assert.True(t, got.Suspended.IsZero(), "Suspended %v", got.Suspended)
		assert.Empty(t, got.SuspendedBy)
		assert.Equal(t, "bob", got.UpdatedBy)

		other, err := s.SpaceSettings(ctx, "OPS")
		require.NoError(t, err)
		assert.Equal(t, utc(fullSpace("OPS")), utc(other), "another space changed")
	})

	t.Run("returned values do not share slices with the store", func(t *testing.T) {
		s, _, _ := h.open(t)
		sp := fullSpace("ENG")
		require.NoError(t, s.PutSpaceSettings(ctx, sp))
		sp.IDPs[0] = "changed"

		got, err := s.SpaceSettings(ctx, "ENG")
		require.NoError(t, err)
		assert.Equal(t, "okta", got.IDPs[0])
	})
}
