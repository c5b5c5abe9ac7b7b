package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
)

func (h *harness) testDurability(t *testing.T) {
	ctx := context.Background()

	t.Run("data survives close and reopen", func(t *testing.T) {
		s, clk, reopen := h.open(t)
		requireReopen(t, reopen)
		l := fullLink("l1")
		sp := fullSpace("ENG")
		sess := fullSession("s1", "okta", "x", "_1")
		e := fullEvent("e1", start)
		st := fullRequest("_r1")
		require.NoError(t, s.CreateLink(ctx, l))
		require.NoError(t, s.PutSpaceSettings(ctx, sp))
		require.NoError(t, s.CreateSession(ctx, sess))
		require.NoError(t, s.AppendAudit(ctx, e))
		require.NoError(t, s.SaveAuthnRequest(ctx, st))
		requireFresh(t, s, "_a1", clk.Now().Add(time.Hour), true)
		require.NoError(t, s.Close())

		r := reopen()
		gotLink, err := r.LinkByToken(ctx, l.TokenHash)
		require.NoError(t, err)
		assert.Equal(t, utc(l), utc(gotLink))
		gotSpace, err := r.SpaceSettings(ctx, "ENG")
		require.NoError(t, err)
		assert.Equal(t, utc(sp), utc(gotSpace))
		gotSess, err := r.Session(ctx, sess.IDHash)
		require.NoError(t, err)
		assert.Equal(t, utc(sess), utc(gotSess))
		events, _, err := r.QueryAudit(ctx, share.AuditFilter{})
		require.NoError(t, err)
		assert.Equal(t, []share.AuditEvent{utc(e)}, utcAll(events))
		gotReq, err := r.ConsumeAuthnRequest(ctx, "_r1", start)
		require.NoError(t, err)
		assert.Equal(t, utc(st), utc(gotReq))
		requireFresh(t, r, "_a1", clk.Now().Add(time.Hour), false)
	})

	t.Run("a second store sees the first one's writes", func(t *testing.T) {
		s, _, reopen := h.open(t)
		requireReopen(t, reopen)
		other := reopen()

		require.NoError(t, s.CreateLink(ctx, fullLink("l1")))
		got, err := other.Link(ctx, "l1")
		require.NoError(t, err)
		assert.Equal(t, "l1", got.ID)
		assert.ErrorIs(t, other.CreateLink(ctx, fullLink("l1")), share.ErrConflict)
	})
}
