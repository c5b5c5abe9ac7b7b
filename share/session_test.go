package share

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/idp"
)

func TestStartSession(t *testing.T) {
	tests := []struct {
		name    string
		idpEnd  time.Time
		expires time.Time
	}{
		{"IdP sets no end", time.Time{}, t0.Add(DefaultSessionLifetime)},
		{"IdP ends sooner", t0.Add(time.Hour), t0.Add(time.Hour)},
		{"IdP ends later", t0.Add(24 * time.Hour), t0.Add(DefaultSessionLifetime)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st, _ := newTestService(t)

			sess, id, err := s.StartSession(context.Background(), *viewer(), tt.idpEnd)
			require.NoError(t, err)

			h, err := HashToken(id)
			require.NoError(t, err)
			assert.Equal(t, h, sess.IDHash)
			assert.Equal(t, tt.expires, sess.Expires)
			assert.Equal(t, t0, sess.Created)
			assert.Equal(t, DefaultSessionIdleTimeout, sess.IdleTimeout)
			assert.Equal(t, *viewer(), sess.Profile)
			assert.NotContains(t, fmt.Sprintf("%+v", st.sessions), id, "only the digest is stored")
			events := st.events()
			require.Len(t, events, 1)
			assert.Equal(t, EventLoginSucceeded, events[0].Kind)
			assert.Equal(t, "x@example.com", events[0].Actor)
			assert.Equal(t, "okta", events[0].IDP)
		})
	}
}

func TestStartSessionRefuses(t *testing.T) {
	s, st, _ := newTestService(t)
	ctx := context.Background()

	_, _, err := s.StartSession(ctx, *viewer(), t0)
	require.ErrorIs(t, err, ErrExpired, "the IdP session has already ended")

	var ve *ValidationError
	_, _, err = s.StartSession(ctx, idp.Profile{Email: "x@example.com"}, time.Time{})
	require.ErrorAs(t, err, &ve)
	_, _, err = s.StartSession(ctx, idp.Profile{IDP: "okta"}, time.Time{})
	require.ErrorAs(t, err, &ve)
	assert.Empty(t, st.sessions)
}

func TestSessionLifetime(t *testing.T) {
	tests := []struct {
		name    string
		steps   []time.Duration // uses of the session, each after the previous
		wantErr error
	}{
		{name: "fresh", steps: []time.Duration{0}},
		{name: "used within idle timeout", steps: []time.Duration{25 * time.Minute,
			25 * time.Minute}},
		{name: "idle too long", steps: []time.Duration{DefaultSessionIdleTimeout},
			wantErr: ErrExpired},
		{name: "absolute end despite use", steps: []time.Duration{25 * time.Minute,
			25 * time.Minute, 25 * time.Minute}, wantErr: ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st, clk := newTestService(t)
			ctx := context.Background()
			_, id, err := s.StartSession(ctx, *viewer(), t0.Add(time.Hour))
			require.NoError(t, err)

			for _, step := range tt.steps {
				clk.advance(step)
				_, err = s.Session(ctx, id)
				if err != nil {
					break
				}
			}

			if tt.wantErr == nil {
				require.NoError(t, err)
				sess, err := s.Session(ctx, id)
				require.NoError(t, err)
				assert.Equal(t, clk.now, sess.LastSeen)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			assert.Empty(t, st.sessions, "an ended session is deleted")
			_, err = s.Session(ctx, id)
			require.ErrorIs(t, err, ErrNotFound)
		})
	}
}

func TestSessionTouchIsThrottled(t *testing.T) {
	s, st, clk := newTestService(t)
	ctx := context.Background()
	sess, id, err := s.StartSession(ctx, *viewer(), time.Time{})
	require.NoError(t, err)

	clk.advance(SessionTouchInterval - time.Second)
	got, err := s.Session(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, t0, got.LastSeen)
	assert.Equal(t, t0, st.sessions[sess.IDHash].LastSeen)

	clk.advance(time.Second)
	got, err = s.Session(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, clk.now, got.LastSeen)
	assert.Equal(t, clk.now, st.sessions[sess.IDHash].LastSeen)
}

func TestSessionUnknown(t *testing.T) {
	s, _, _ := newTestService(t)
	token, _, err := NewToken(nil)
	require.NoError(t, err)

	for _, id := range []string{token, "", "not-a-session"} {
		_, err := s.Session(context.Background(), id)
		require.ErrorIs(t, err, ErrNotFound, "id %q", id)
	}
}

func TestRotateSession(t *testing.T) {
	s, st, clk := newTestService(t)
	ctx := context.Background()
	old, oldID, err := s.StartSession(ctx, *viewer(), time.Time{})
	require.NoError(t, err)
	clk.advance(time.Minute)

	sess, newID, err := s.RotateSession(ctx, oldID)
	require.NoError(t, err)

	assert.NotEqual(t, oldID, newID)
	assert.Equal(t, old.Expires, sess.Expires, "rotation does not extend the session")
	assert.Equal(t, old.Profile, sess.Profile)
	_, err = s.Session(ctx, oldID)
	require.ErrorIs(t, err, ErrNotFound)
	_, err = s.Session(ctx, newID)
	require.NoError(t, err)
	assert.Len(t, st.sessions, 1)
}

func TestEndSession(t *testing.T) {
	s, st, _ := newTestService(t)
	ctx := context.Background()
	_, id, err := s.StartSession(ctx, *viewer(), time.Time{})
	require.NoError(t, err)

	require.NoError(t, s.EndSession(ctx, id))

	_, err = s.Session(ctx, id)
	require.ErrorIs(t, err, ErrNotFound)
	events := st.events()
	require.Len(t, events, 2)
	assert.Equal(t, EventLogout, events[1].Kind)
	assert.Equal(t, "x@example.com", events[1].Actor)

	require.NoError(t, s.EndSession(ctx, id), "ending twice is not an error")
	require.NoError(t, s.EndSession(ctx, "garbage"))
	assert.Len(t, st.events(), 2, "nothing to record")
}

func TestEndSessionsBySLO(t *testing.T) {
	other := *viewer()
	other.SessionIndex = "idx-2"
	stranger := *viewer()
	stranger.NameID = samlNameID("y@example.com")
	elsewhere := *viewer()
	elsewhere.IDP = "entra"

	tests := []struct {
		name  string
		match SessionMatch
		want  int
	}{
		{"one IdP session", SessionMatch{IDP: "okta", NameID: "x@example.com",
			SessionIndex: "idx-1"}, 1},
		{"every session of the subject", SessionMatch{IDP: "okta", NameID: "x@example.com"}, 2},
		{"unknown index", SessionMatch{IDP: "okta", NameID: "x@example.com",
			SessionIndex: "idx-9"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st, _ := newTestService(t)
			ctx := context.Background()
			for _, p := range []idp.Profile{*viewer(), other, stranger, elsewhere} {
				_, _, err := s.StartSession(ctx, p, time.Time{})
				require.NoError(t, err)
			}

			n, err := s.EndSessions(ctx, tt.match)
			require.NoError(t, err)

			assert.Equal(t, tt.want, n)
			assert.Len(t, st.sessions, 4-tt.want)
			events := st.events()
			last := events[len(events)-1]
			assert.Equal(t, EventLogout, last.Kind)
			assert.Equal(t, "okta", last.IDP)
		})
	}

	s, _, _ := newTestService(t)
	_, err := s.EndSessions(context.Background(), SessionMatch{IDP: "okta"})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
}
