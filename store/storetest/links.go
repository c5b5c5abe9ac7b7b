package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
)

// digest returns a distinct test digest for name.
func digest(name string) share.Digest {
	return sha256.Sum256([]byte("storetest:" + name))
}

// fullLink returns a link with every field set, the policy's too.
func fullLink(id string) share.Link {
	return share.Link{
		ID:        id,
		TokenHash: digest("token-" + id),
		Space:     "ENG",
		Scope:     share.ScopePageTree,
		PageID:    "65541",
		Title:     "Design notes for Partner Co ✓",
		CreatedBy: "admin@example.com",
		Created:   start,
		Expires:   start.Add(30 * 24 * time.Hour),
		Revoked:   start.Add(time.Hour + time.Microsecond),
		RevokedBy: "security@example.com",
		Policy: share.Policy{
			IDPs:      []string{"okta", "entra"},
			Groups:    []string{"Partners", "Auditors"},
			Emails:    []string{"x@partner.example"},
			Domains:   []string{"partner.example", "auditor.example"},
			Anonymous: true,
		},
	}
}

// plainLink returns a minimal link in space, created at created.
func plainLink(id, space string, created time.Time) share.Link {
	return share.Link{
		ID:        id,
		TokenHash: digest("token-" + id),
		Space:     space,
		Scope:     share.ScopeSpace,
		Title:     id,
		CreatedBy: "admin@example.com",
		Created:   created,
	}
}

func (h *harness) testLinks(t *testing.T) {
	ctx := context.Background()

	t.Run("create and read back every field", func(t *testing.T) {
		s, _, _ := h.open(t)
		l := fullLink("l1")
		requireAllSet(t, l)
		requireAllSet(t, l.Policy)
		require.NoError(t, s.CreateLink(ctx, l))

		got, err := s.Link(ctx, "l1")
		require.NoError(t, err)
		assert.Equal(t, utc(l), utc(got), "Link by ID")
		got, err = s.LinkByToken(ctx, l.TokenHash)
		require.NoError(t, err)
		assert.Equal(t, utc(l), utc(got), "LinkByToken")
	})

	t.Run("optional fields left zero stay zero", func(t *testing.T) {
		s, _, _ := h.open(t)
		l := plainLink("l1", "ENG", start)
		require.NoError(t, s.CreateLink(ctx, l))

		got, err := s.Link(ctx, "l1")
		require.NoError(t, err)
		assert.True(t, got.Expires.IsZero(), "Expires %v", got.Expires)
		assert.True(t, got.Revoked.IsZero(), "Revoked %v", got.Revoked)
		assert.Empty(t, got.Policy.Groups)
		assert.Equal(t, utc(l).Created, utc(got).Created)
	})

	t.Run("times in other zones keep their instant", func(t *testing.T) {
		s, _, _ := h.open(t)
		l := fullLink("l1")
		l.Created = l.Created.In(time.FixedZone("UTC-7", -7*3600))
		l.Expires = l.Expires.In(time.FixedZone("UTC+5:30", 5*3600+1800))
		require.NoError(t, s.CreateLink(ctx, l))

		got, err := s.Link(ctx, "l1")
		require.NoError(t, err)
		assert.True(t, l.Created.Equal(got.Created), "Created %v, want %v", got.Created, l.Created)
		assert.True(t, l.Expires.Equal(got.Expires), "Expires %v, want %v", got.Expires, l.Expires)
	})

	t.Run("returned values do not share slices with the store", func(t *testing.T) {
		s, _, _ := h.open(t)
		l := fullLink("l1")
		require.NoError(t, s.CreateLink(ctx, l))
		l.Policy.Groups[0] = "changed after create"

		got, err := s.Link(ctx, "l1")
		require.NoError(t, err)
		assert.Equal(t, "Partners", got.Policy.Groups[0], "store kept the caller's slice")
		got.Policy.Groups[0] = "changed after read"
		again, err := s.Link(ctx, "l1")
		require.NoError(t, err)
		assert.Equal(t, "Partners", again.Policy.Groups[0], "store handed out its own slice")
	})

	t.Run("create conflicts", func(t *testing.T) {
		cases := []struct {
			name string
			link share.Link
		}{
			{"same ID", share.Link{ID: "l1", TokenHash: digest("other"), Space: "X",
				Scope: share.ScopeSpace, Created: start}},
			{"same token hash", share.Link{ID: "l2", TokenHash: digest("token-l1"), Space: "X",
				Scope: share.ScopeSpace, Created: start}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s, _, _ := h.open(t)
				require.NoError(t, s.CreateLink(ctx, fullLink("l1")))

				err := s.CreateLink(ctx, tc.link)
				require.ErrorIs(t, err, share.ErrConflict)
				got, err := s.Link(ctx, "l1")
				require.NoError(t, err)
				assert.Equal(t, utc(fullLink("l1")), utc(got), "first link changed")
				_, err = s.Link(ctx, "l2")
				assert.ErrorIs(t, err, share.ErrNotFound, "conflicting link was stored")
			})
		}
	})

	t.Run("not found", func(t *testing.T) {
		s, _, _ := h.open(t)
		require.NoError(t, s.CreateLink(ctx, fullLink("l1")))

		_, err := s.Link(ctx, "nope")
		assert.ErrorIs(t, err, share.ErrNotFound, "Link")
		_, err = s.Link(ctx, "L1")
		assert.ErrorIs(t, err, share.ErrNotFound, "Link with the ID in another case")
		_, err = s.LinkByToken(ctx, digest("nope"))
		assert.ErrorIs(t, err, share.ErrNotFound, "LinkByToken")
		_, err = s.LinkByToken(ctx, share.Digest{})
		assert.ErrorIs(t, err, share.ErrNotFound, "LinkByToken with the zero digest")
	})

	t.Run("update replaces every field", func(t *testing.T) {
		s, _, _ := h.open(t)
		old := fullLink("l1")
		require.NoError(t, s.CreateLink(ctx, old))

		l := plainLink("l1", "OPS", start.Add(time.Second))
		l.TokenHash = digest("new token")
		l.Policy.Groups = []string{"Ops"}
		require.NoError(t, s.UpdateLink(ctx, l))

		got, err := s.Link(ctx, "l1")
		require.NoError(t, err)
		assert.Equal(t, utc(l), utc(got))
		got, err = s.LinkByToken(ctx, l.TokenHash)
		require.NoError(t, err)
		assert.Equal(t, "l1", got.ID, "LinkByToken with the new hash")
		_, err = s.LinkByToken(ctx, old.TokenHash)
		assert.ErrorIs(t, err, share.ErrNotFound, "LinkByToken with the replaced hash")
	})

	t.Run("update errors", func(t *testing.T) {
		s, _, _ := h.open(t)
		require.NoError(t, s.CreateLink(ctx, fullLink("l1")))
		require.NoError(t, s.CreateLink(ctx, fullLink("l2")))

		err := s.UpdateLink(ctx, plainLink("nope", "ENG", start))
		assert.ErrorIs(t, err, share.ErrNotFound, "unknown ID")

		l2 := fullLink("l2")
		l2.TokenHash = fullLink("l1").TokenHash
		err = s.UpdateLink(ctx, l2)
		assert.ErrorIs(t, err, share.ErrConflict, "another link's token hash")
		got, err := s.Link(ctx, "l2")
		require.NoError(t, err)
		assert.Equal(t, utc(fullLink("l2")), utc(got), "link changed by a refused update")
	})

	t.Run("a revoked link keeps its token hash unique", func(t *testing.T) {
		s, _, _ := h.open(t)
		l := plainLink("l1", "ENG", start)
		l.Revoked = start.Add(time.Minute)
		require.NoError(t, s.CreateLink(ctx, l))

		l2 := plainLink("l2", "ENG", start)
		l2.TokenHash = l.TokenHash
		assert.ErrorIs(t, s.CreateLink(ctx, l2), share.ErrConflict)
	})

	t.Run("concurrent creates of one ID", h.testConcurrentCreate)

	t.Run("many links", func(t *testing.T) {
		s, _, _ := h.open(t)
		for i := range 50 {
			require.NoError(t, s.CreateLink(ctx, plainLink(fmt.Sprintf("m%02d", i), "ENG", start)))
		}
		for i := range 50 {
			id := fmt.Sprintf("m%02d", i)
			got, err := s.LinkByToken(ctx, digest("token-"+id))
			require.NoError(t, err)
			assert.Equal(t, id, got.ID)
		}
	})
}

// testConcurrentCreate has claimers goroutines create links with one ID
// (and different token hashes), spread over two stores when the backend
// can reopen: exactly one may succeed.
func (h *harness) testConcurrentCreate(t *testing.T) {
	ctx := context.Background()
	s, _, reopen := h.open(t)
	stores := []Store{s}
	if reopen != nil {
		stores = append(stores, reopen())
	}
	var (
		wg        sync.WaitGroup
		created   atomic.Int64
		conflicts atomic.Int64
		gate      = make(chan struct{})
		errs      = make(chan error, claimers)
	)
	for i := range claimers {
		st := stores[i%len(stores)]
		l := plainLink("same", "ENG", start)
		l.TokenHash = digest(fmt.Sprintf("token %d", i))
		wg.Go(func() {
			<-gate
			switch err := st.CreateLink(ctx, l); {
			case err == nil:
				created.Add(1)
			case errors.Is(err, share.ErrConflict):
				conflicts.Add(1)
			default:
				errs <- err
			}
		})
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int64(1), created.Load(), "creates that succeeded")
	assert.Equal(t, int64(claimers-1), conflicts.Load(), "creates refused with ErrConflict")
}
