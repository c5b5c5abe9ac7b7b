package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/share"
)

// fullSession returns a session with every field set, the profile's too.
func fullSession(name, idpName, nameID, sessionIndex string) share.Session {
	return share.Session{
		IDHash: digest("session-" + name),
		Profile: idp.Profile{
			IDP:                   idpName,
			Issuer:                "https://idp.partner.example/" + idpName,
			Email:                 "x@partner.example",
			FirstName:             "Ximena",
			LastName:              "Ñúñez",
			DisplayName:           "Ximena Ñúñez",
			Groups:                []string{"Partners", "0b7d3a4e-6f1c-4c1e-9a55-1f7e2d7c9a10"},
			GroupsOverage:         true,
			GroupsCaseInsensitive: true,
			NameID: saml.NameID{
				Value:           nameID,
				Format:          "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
				NameQualifier:   "https://idp.example/",
				SPNameQualifier: "https://sp.example/",
			},
			SessionIndex: sessionIndex,
			Attributes: []saml.Attribute{{
				Name:         "groups",
				NameFormat:   "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
				FriendlyName: "Groups",
				Values:       []string{"Partners", "Everyone"},
			}},
		},
		Created:     start,
		LastSeen:    start.Add(time.Second),
		Expires:     start.Add(8 * time.Hour),
		IdleTimeout: 30*time.Minute + time.Nanosecond,
	}
}

func (h *harness) testSessions(t *testing.T) {
	ctx := context.Background()

	t.Run("create and read back every field", func(t *testing.T) {
		s, _, _ := h.open(t)
		sess := fullSession("s1", "okta", "x@partner.example", "_idx1")
		requireAllSet(t, sess)
		requireAllSet(t, sess.Profile)
		requireAllSet(t, sess.Profile.NameID)
		requireAllSet(t, sess.Profile.Attributes[0])
		require.NoError(t, s.CreateSession(ctx, sess))

		got, err := s.Session(ctx, sess.IDHash)
		require.NoError(t, err)
		assert.Equal(t, utc(sess), utc(got))
	})

	t.Run("returned values do not share slices with the store", func(t *testing.T) {
		s, _, _ := h.open(t)
		sess := fullSession("s1", "okta", "x", "")
		require.NoError(t, s.CreateSession(ctx, sess))
		sess.Profile.Groups[0] = "changed after create"
		sess.Profile.Attributes[0].Values[0] = "changed after create"

		got, err := s.Session(ctx, sess.IDHash)
		require.NoError(t, err)
		assert.Equal(t, "Partners", got.Profile.Groups[0], "store kept the caller's groups")
		assert.Equal(t, "Partners", got.Profile.Attributes[0].Values[0],
			"store kept the caller's attribute values")
		got.Profile.Groups[0] = "changed after read"
		again, err := s.Session(ctx, sess.IDHash)
		require.NoError(t, err)
		assert.Equal(t, "Partners", again.Profile.Groups[0], "store handed out its own groups")
	})

	t.Run("create conflict", func(t *testing.T) {
		s, _, _ := h.open(t)
		sess := fullSession("s1", "okta", "x", "")
		require.NoError(t, s.CreateSession(ctx, sess))

		other := fullSession("s1", "entra", "y", "")
		assert.ErrorIs(t, s.CreateSession(ctx, other), share.ErrConflict)
		got, err := s.Session(ctx, sess.IDHash)
		require.NoError(t, err)
		assert.Equal(t, "okta", got.Profile.IDP, "session replaced by a refused create")
	})

	t.Run("not found", func(t *testing.T) {
		s, _, _ := h.open(t)
		require.NoError(t, s.CreateSession(ctx, fullSession("s1", "okta", "x", "")))

		_, err := s.Session(ctx, digest("nope"))
		assert.ErrorIs(t, err, share.ErrNotFound, "Session")
		err = s.TouchSession(ctx, digest("nope"), start)
		assert.ErrorIs(t, err, share.ErrNotFound, "TouchSession")
		assert.NoError(t, s.DeleteSession(ctx, digest("nope")), "DeleteSession")
	})

	t.Run("touch sets LastSeen only", func(t *testing.T) {
		s, _, _ := h.open(t)
		sess := fullSession("s1", "okta", "x", "")
		require.NoError(t, s.CreateSession(ctx, sess))

		seen := start.Add(17*time.Minute + 3*time.Microsecond)
		require.NoError(t, s.TouchSession(ctx, sess.IDHash, seen))
		got, err := s.Session(ctx, sess.IDHash)
		require.NoError(t, err)
		sess.LastSeen = seen
		assert.Equal(t, utc(sess), utc(got))
	})

	t.Run("delete", func(t *testing.T) {
		s, _, _ := h.open(t)
		a := fullSession("a", "okta", "x", "")
		b := fullSession("b", "okta", "x", "")
		require.NoError(t, s.CreateSession(ctx, a))
		require.NoError(t, s.CreateSession(ctx, b))

		require.NoError(t, s.DeleteSession(ctx, a.IDHash))
		_, err := s.Session(ctx, a.IDHash)
		assert.ErrorIs(t, err, share.ErrNotFound, "deleted session")
		_, err = s.Session(ctx, b.IDHash)
		assert.NoError(t, err, "other session")
		assert.NoError(t, s.DeleteSession(ctx, a.IDHash), "deleting twice")
	})

	t.Run("delete by subject", h.testDeleteSessions)
}

func (h *harness) testDeleteSessions(t *testing.T) {
	ctx := context.Background()
	all := []share.Session{
		fullSession("okta-x-1", "okta", "x", "_1"),
		fullSession("okta-x-2", "okta", "x", "_2"),
		fullSession("okta-x-none", "okta", "x", ""),
		fullSession("okta-y-1", "okta", "y", "_1"),
		fullSession("entra-x-1", "entra", "x", "_1"),
		fullSession("okta-X-1", "okta", "X", "_1"),
	}
	names := []string{"okta-x-1", "okta-x-2", "okta-x-none", "okta-y-1", "entra-x-1", "okta-X-1"}
	cases := []struct {
		name    string
		match   share.SessionMatch
		removed []string
	}{
		{"every session of a subject", share.SessionMatch{IDP: "okta", NameID: "x"},
			[]string{"okta-x-1", "okta-x-2", "okta-x-none"}},
		{"one IdP session", share.SessionMatch{IDP: "okta", NameID: "x", SessionIndex: "_2"},
			[]string{"okta-x-2"}},
		{"other IdP", share.SessionMatch{IDP: "entra", NameID: "x"}, []string{"entra-x-1"}},
		{"NameID compared exactly", share.SessionMatch{IDP: "okta", NameID: "X"},
			[]string{"okta-X-1"}},
		{"unknown session index", share.SessionMatch{IDP: "okta", NameID: "x", SessionIndex: "_9"},
			nil},
		{"empty IdP", share.SessionMatch{NameID: "x"}, nil},
		{"empty NameID", share.SessionMatch{IDP: "okta"}, nil},
		{"only a session index", share.SessionMatch{SessionIndex: "_1"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := h.open(t)
			for _, sess := range all {
				require.NoError(t, s.CreateSession(ctx, sess))
			}

			n, err := s.DeleteSessions(ctx, tc.match)
			require.NoError(t, err)
			assert.Equal(t, len(tc.removed), n, "sessions removed")
			for i, sess := range all {
				_, err := s.Session(ctx, sess.IDHash)
				if slices.Contains(tc.removed, names[i]) {
					assert.ErrorIs(t, err, share.ErrNotFound, "session %s should be gone", names[i])
				} else {
					assert.NoError(t, err, "session %s should remain", names[i])
				}
			}
		})
	}
}
