package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
)

// fullEvent returns an audit event with every field set.
func fullEvent(id string, at time.Time) share.AuditEvent {
	return share.AuditEvent{
		ID:     id,
		Time:   at,
		Kind:   share.EventLinkDenied,
		Actor:  "x@partner.example",
		IDP:    "okta",
		LinkID: "l1",
		Space:  "ENG",
		PageID: "65541",
		Reason: "not_in_groups",
		Detail: `This link is for members of "Partners"; you are in Engineering.`,
	}
}

// auditFixture stores six events and returns their IDs in query order.
func auditFixture(t *testing.T, s Store) []string {
	t.Helper()
	mk := func(id string, at time.Duration, kind share.EventKind,
		actor, link, space string,
	) share.AuditEvent {
		e := fullEvent(id, start.Add(at))
		e.Kind, e.Actor, e.LinkID, e.Space = kind, actor, link, space
		return e
	}
	events := []share.AuditEvent{
		mk("e5", 3*time.Second, share.EventLinkOpened, "y@partner.example", "l2", "OPS"),
		mk("e1", 0, share.EventLinkCreated, "admin@example.com", "l1", "ENG"),
		mk("e3", time.Second, share.EventLinkDenied, "x@partner.example", "l1", "ENG"),
		mk("e2", time.Second, share.EventLinkOpened, "x@partner.example", "l1", "ENG"),
		mk("e4", 2*time.Second, share.EventLoginFailed, "x@partner.example", "", ""),
		mk("e6", 3*time.Second+time.Microsecond, share.EventLinkRevoked, "admin@example.com",
			"l2", "OPS"),
	}
	for _, e := range events {
		require.NoError(t, s.AppendAudit(context.Background(), e))
	}
	return []string{"e1", "e2", "e3", "e4", "e5", "e6"}
}

// eventIDs returns the IDs of events, in order.
func eventIDs(events []share.AuditEvent) []string {
	ids := make([]string, 0, len(events))
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	return ids
}

func (h *harness) testAudit(t *testing.T) {
	ctx := context.Background()

	t.Run("append and read back every field", func(t *testing.T) {
		s, _, _ := h.open(t)
		e := fullEvent("e1", start)
		requireAllSet(t, e)
		require.NoError(t, s.AppendAudit(ctx, e))

		got, next, err := s.QueryAudit(ctx, share.AuditFilter{})
		require.NoError(t, err)
		assert.Empty(t, next)
		require.Len(t, got, 1)
		assert.Equal(t, utc(e), utc(got[0]))
	})

	t.Run("append conflict", func(t *testing.T) {
		s, _, _ := h.open(t)
		require.NoError(t, s.AppendAudit(ctx, fullEvent("e1", start)))

		changed := fullEvent("e1", start.Add(time.Hour))
		changed.Detail = "rewritten history"
		assert.ErrorIs(t, s.AppendAudit(ctx, changed), share.ErrConflict)
		got, _, err := s.QueryAudit(ctx, share.AuditFilter{})
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, utc(fullEvent("e1", start)), utc(got[0]), "event changed")
	})

	t.Run("filters", func(t *testing.T) {
		s, _, _ := h.open(t)
		auditFixture(t, s)
		cases := []struct {
			name string
			f    share.AuditFilter
			want []string
		}{
			{"everything", share.AuditFilter{}, []string{"e1", "e2", "e3", "e4", "e5", "e6"}},
			{"link", share.AuditFilter{LinkID: "l1"}, []string{"e1", "e2", "e3"}},
			{"actor", share.AuditFilter{Actor: "x@partner.example"}, []string{"e2", "e3", "e4"}},
			{"actor compared exactly", share.AuditFilter{Actor: "X@partner.example"}, nil},
			{"space", share.AuditFilter{Space: "OPS"}, []string{"e5", "e6"}},
			{"kind", share.AuditFilter{Kind: share.EventLinkOpened}, []string{"e2", "e5"}},
			{"since is inclusive", share.AuditFilter{Since: start.Add(time.Second)},
				[]string{"e2", "e3", "e4", "e5", "e6"}},
			{"until is exclusive", share.AuditFilter{Until: start.Add(3 * time.Second)},
				[]string{"e1", "e2", "e3", "e4"}},
			{"window", share.AuditFilter{Since: start.Add(2 * time.Second),
				Until: start.Add(3*time.Second + time.Microsecond)}, []string{"e4", "e5"}},
			{"window in another zone", share.AuditFilter{
				Since: start.Add(2 * time.Second).In(time.FixedZone("X", -7*3600)),
				Until: start.Add(3 * time.Second).In(time.FixedZone("Y", 5*3600))},
				[]string{"e4"}},
			{"link and kind", share.AuditFilter{LinkID: "l1", Kind: share.EventLinkDenied},
				[]string{"e3"}},
			{"empty window", share.AuditFilter{Since: start.Add(time.Hour)}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, next, err := s.QueryAudit(ctx, tc.f)
				require.NoError(t, err)
				assert.Empty(t, next)
				if tc.want == nil {
					assert.Empty(t, got)
					return
				}
				assert.Equal(t, tc.want, eventIDs(got))
			})
		}
	})

	t.Run("pages follow each other without gaps or repeats", func(t *testing.T) {
		s, _, _ := h.open(t)
		want := auditFixture(t, s)
		for _, limit := range []int{1, 2, 4, 5, 6, 7} {
			t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
				f := share.AuditFilter{Limit: limit}
				var got []string
				for range 100 {
					events, next, err := s.QueryAudit(ctx, f)
					require.NoError(t, err)
					assert.LessOrEqual(t, len(events), limit)
					got = append(got, eventIDs(events)...)
					if next == "" {
						break
					}
					f.Cursor = next
				}
				assert.Equal(t, want, got)
			})
		}
	})

	t.Run("pages keep the filter", func(t *testing.T) {
		s, _, _ := h.open(t)
		auditFixture(t, s)
		f := share.AuditFilter{Actor: "x@partner.example", Limit: 2}
		first, next, err := s.QueryAudit(ctx, f)
		require.NoError(t, err)
		require.Equal(t, []string{"e2", "e3"}, eventIDs(first))
		require.NotEmpty(t, next)
		f.Cursor = next
		second, next, err := s.QueryAudit(ctx, f)
		require.NoError(t, err)
		assert.Equal(t, []string{"e4"}, eventIDs(second))
		assert.Empty(t, next)
	})

	t.Run("default page size", func(t *testing.T) {
		s, _, _ := h.open(t)
		for i := range share.DefaultPageSize + 1 {
			require.NoError(t, s.AppendAudit(ctx, fullEvent(fmt.Sprintf("e%04d", i), start)))
		}
		got, next, err := s.QueryAudit(ctx, share.AuditFilter{})
		require.NoError(t, err)
		assert.Len(t, got, share.DefaultPageSize)
		assert.NotEmpty(t, next)
	})

	t.Run("invalid cursors", func(t *testing.T) {
		s, _, _ := h.open(t)
		auditFixture(t, s)
		for _, c := range []string{"not a cursor", "%%%", "AAAA", "eyJ4IjoxfQ"} {
			_, _, err := s.QueryAudit(ctx, share.AuditFilter{Cursor: c})
			assert.ErrorIs(t, err, share.ErrInvalidCursor, "cursor %q", c)
		}
	})
}
