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

// listFixture stores five links and returns them by name. In listing
// order they are d, a, b, c, e: b and c share a creation time, so ID
// decides between them.
func listFixture(t *testing.T, s Store) map[string]share.Link {
	t.Helper()
	mk := func(id, space, page, by string, created time.Time, revoked bool) share.Link {
		l := plainLink(id, space, created)
		l.PageID, l.CreatedBy = page, by
		if page != "" {
			l.Scope = share.ScopePage
		}
		if revoked {
			l.Revoked, l.RevokedBy = created.Add(time.Minute), "admin@example.com"
		}
		return l
	}
	links := map[string]share.Link{
		"a": mk("a", "ENG", "1", "alice", start, false),
		"b": mk("b", "ENG", "2", "bob", start.Add(time.Second), true),
		"c": mk("c", "OPS", "", "alice", start.Add(time.Second), false),
		"d": mk("d", "ENG", "1", "alice", start.Add(-time.Hour), false),
		"e": mk("e", "ENG", "", "bob", start.Add(2*time.Second), true),
	}
	for _, id := range []string{"e", "c", "a", "d", "b"} {
		require.NoError(t, s.CreateLink(context.Background(), links[id]))
	}
	return links
}

// linkIDs returns the IDs of links, in order.
func linkIDs(links []share.Link) []string {
	ids := make([]string, 0, len(links))
	for _, l := range links {
		ids = append(ids, l.ID)
	}
	return ids
}

// listAll follows cursors from q to the end and returns every page. The
// suite's listings are short, so more than maxPages pages, or a cursor
// that does not move, means the backend is not paging.
func listAll(t *testing.T, s Store, q share.LinkQuery) [][]share.Link {
	t.Helper()
	const maxPages = 100
	var pages [][]share.Link
	for range maxPages {
		links, next, err := s.ListLinks(context.Background(), q)
		require.NoError(t, err)
		pages = append(pages, links)
		if next == "" {
			return pages
		}
		require.NotEmpty(t, links, "a page with a next cursor is empty")
		require.NotEqual(t, q.Cursor, next, "the next cursor is the one just used")
		q.Cursor = next
	}
	t.Fatalf("listing did not end after %d pages", maxPages)
	return nil
}

func (h *harness) testListLinks(t *testing.T) {
	ctx := context.Background()

	t.Run("filters", func(t *testing.T) {
		s, _, _ := h.open(t)
		links := listFixture(t, s)
		cases := []struct {
			name string
			q    share.LinkQuery
			want []string
		}{
			{"everything", share.LinkQuery{}, []string{"d", "a", "b", "c", "e"}},
			{"space", share.LinkQuery{Space: "ENG"}, []string{"d", "a", "b", "e"}},
			{"page", share.LinkQuery{PageID: "1"}, []string{"d", "a"}},
			{"creator", share.LinkQuery{CreatedBy: "alice"}, []string{"d", "a", "c"}},
			{"creator compared exactly", share.LinkQuery{CreatedBy: "Alice"}, nil},
			{"not revoked", share.LinkQuery{ExcludeRevoked: true}, []string{"d", "a", "c"}},
			{"space and not revoked", share.LinkQuery{Space: "ENG", ExcludeRevoked: true},
				[]string{"d", "a"}},
			{"space and creator", share.LinkQuery{Space: "ENG", CreatedBy: "bob"},
				[]string{"b", "e"}},
			{"unknown space", share.LinkQuery{Space: "NOPE"}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, next, err := s.ListLinks(ctx, tc.q)
				require.NoError(t, err)
				assert.Empty(t, next, "next cursor")
				if tc.want == nil {
					assert.Empty(t, got)
					return
				}
				assert.Equal(t, tc.want, linkIDs(got))
				for _, l := range got {
					assert.Equal(t, utc(links[l.ID]), utc(l), "listed link %s", l.ID)
				}
			})
		}
	})

	t.Run("pages follow each other without gaps or repeats", func(t *testing.T) {
		s, _, _ := h.open(t)
		var want []string
		for i := range 23 {
			id := fmt.Sprintf("p%02d", i)
			// Groups of three share a creation time, inserted out of order.
			created := start.Add(time.Duration(i/3) * time.Millisecond)
			want = append(want, id)
			require.NoError(t, s.CreateLink(ctx, plainLink(id, "ENG", created)))
		}

		for _, limit := range []int{1, 2, 3, 4, 22, 23, 24} {
			t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
				var got []string
				pages := listAll(t, s, share.LinkQuery{Space: "ENG", Limit: limit})
				for i, p := range pages {
					assert.LessOrEqual(t, len(p), limit, "page %d", i)
					got = append(got, linkIDs(p)...)
				}
				assert.Equal(t, want, got)
			})
		}
	})

	t.Run("links created during a listing", func(t *testing.T) {
		s, _, _ := h.open(t)
		listFixture(t, s)
		first, next, err := s.ListLinks(ctx, share.LinkQuery{Limit: 2})
		require.NoError(t, err)
		require.Equal(t, []string{"d", "a"}, linkIDs(first))
		require.NotEmpty(t, next)

		require.NoError(t, s.CreateLink(ctx, plainLink("late", "ENG", start.Add(time.Hour))))
		require.NoError(t, s.CreateLink(ctx, plainLink("early", "ENG", start.Add(-2*time.Hour))))
		var rest []string
		for _, p := range listAll(t, s, share.LinkQuery{Limit: 2, Cursor: next}) {
			rest = append(rest, linkIDs(p)...)
		}
		assert.Equal(t, []string{"b", "c", "e", "late"}, rest)
	})

	t.Run("default page size", func(t *testing.T) {
		s, _, _ := h.open(t)
		for i := range share.DefaultPageSize + 1 {
			require.NoError(t, s.CreateLink(ctx, plainLink(fmt.Sprintf("d%04d", i), "ENG", start)))
		}
		for _, limit := range []int{0, -1} {
			got, next, err := s.ListLinks(ctx, share.LinkQuery{Limit: limit})
			require.NoError(t, err)
			assert.Len(t, got, share.DefaultPageSize, "limit %d", limit)
			assert.NotEmpty(t, next, "limit %d", limit)
		}
	})

	t.Run("maximum page size", func(t *testing.T) {
		if testing.Short() {
			t.Skip("stores more than MaxPageSize links; skipped in -short mode")
		}
		s, _, _ := h.open(t)
		for i := range share.MaxPageSize + 1 {
			require.NoError(t, s.CreateLink(ctx, plainLink(fmt.Sprintf("x%05d", i), "ENG", start)))
		}
		got, next, err := s.ListLinks(ctx, share.LinkQuery{Limit: share.MaxPageSize * 5})
		require.NoError(t, err)
		assert.Len(t, got, share.MaxPageSize)
		assert.NotEmpty(t, next)
	})

	t.Run("invalid cursors", func(t *testing.T) {
		s, _, _ := h.open(t)
		listFixture(t, s)
		for _, c := range []string{"not a cursor", "%%%", "AAAA", "eyJ4IjoxfQ"} {
			_, _, err := s.ListLinks(ctx, share.LinkQuery{Cursor: c})
			assert.ErrorIs(t, err, share.ErrInvalidCursor, "cursor %q", c)
		}
	})
}
