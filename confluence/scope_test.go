package confluence_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/confluence/confluencetest"
)

// withheldTitles are the titles of every page of fakeSpace that a share of
// ENG excluding "internal-only" must never name.
var withheldTitles = []string{"Payroll", "Salaries", "Internal notes", "Retro", "Plans",
	"Old design", "Deleted", "Ops home"}

func TestScopeSpace(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{PageSize: 2})
	ts := confluencetest.Start(t, s)

	for name, c := range flavours(t, s, ts, confluence.RetryConfig{}) {
		sc, err := confluence.NewScope(c, confluence.ScopeConfig{SpaceKey: "ENG",
			ExcludeLabels: []string{"internal-only"}})
		require.NoError(t, err)

		tests := []struct {
			id     string
			want   confluence.WithholdReason // 0: reachable
			reason string
		}{
			{"1", 0, "home page"},
			{"2", 0, "labelled but not excluded"},
			{"5", 0, "grandchild"},
			{"12", 0, "child"},
			{"3", confluence.WithholdRestricted, "restricted"},
			{"7", confluence.WithholdRestricted, "inherits a restriction"},
			{"4", confluence.WithholdExcludedLabel, "exclusion label"},
			{"8", confluence.WithholdExcludedLabel, "under an excluded page"},
			{"9", confluence.WithholdNotCurrent, "draft"},
			{"10", confluence.WithholdNotCurrent, "archived"},
			{"11", confluence.WithholdNotCurrent, "trashed"},
			{"20", confluence.WithholdOutOfScope, "other space"},
		}
		for _, tt := range tests {
			t.Run(name+"/"+tt.reason, func(t *testing.T) {
				p, err := sc.Page(t.Context(), tt.id)
				ok, cerr := sc.Contains(t.Context(), tt.id)
				require.NoError(t, cerr)
				if tt.want == 0 {
					require.NoError(t, err)
					assert.Equal(t, tt.id, p.ID)
					assert.True(t, ok)
					return
				}
				assert.Nil(t, p)
				assert.False(t, ok)
				require.ErrorIs(t, err, confluence.ErrNotFound)
				var w *confluence.WithheldError
				require.ErrorAs(t, err, &w)
				assert.Equal(t, tt.want, w.Reason)
			})
		}

		t.Run(name+"/missing page", func(t *testing.T) {
			_, err := sc.Page(t.Context(), "777")
			assert.ErrorIs(t, err, confluence.ErrNotFound)
		})
		t.Run(name+"/children", func(t *testing.T) {
			kids, err := sc.Children(t.Context(), "1")
			require.NoError(t, err)
			assert.Equal(t, []string{"2", "12"}, ids(kids))
			assert.Equal(t, "Guide", kids[0].Title)

			kids, err = sc.Children(t.Context(), "2")
			require.NoError(t, err)
			assert.Equal(t, []string{"5", "6"}, ids(kids))

			_, err = sc.Children(t.Context(), "3")
			assert.ErrorIs(t, err, confluence.ErrNotFound, "no listing under a withheld page")
		})
		t.Run(name+"/breadcrumbs", func(t *testing.T) {
			bc, err := sc.Breadcrumbs(t.Context(), "5")
			require.NoError(t, err)
			assert.Equal(t, []confluence.PageRef{
				{ID: "1", Title: "Home", Status: confluence.StatusCurrent},
				{ID: "2", Title: "Guide", Status: confluence.StatusCurrent}}, bc)

			bc, err = sc.Breadcrumbs(t.Context(), "1")
			require.NoError(t, err)
			assert.Empty(t, bc)

			_, err = sc.Breadcrumbs(t.Context(), "7")
			assert.ErrorIs(t, err, confluence.ErrNotFound)
		})
		t.Run(name+"/a full walk names no withheld page", func(t *testing.T) {
			root, err := sc.Root(t.Context())
			require.NoError(t, err)
			assert.Equal(t, "1", root)

			named, seen := walk(t, sc, root)
			assert.ElementsMatch(t, []string{"1", "2", "5", "6", "12"}, seen)
			for _, title := range withheldTitles {
				assert.NotContains(t, named, title)
			}
		})
	}
}

// walk visits every page reachable from root through Children and
// returns every title that Children and Breadcrumbs named, and the IDs.
func walk(t *testing.T, sc *confluence.Scope, root string) (titles, seen []string) {
	t.Helper()
	queue := []string{root}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		seen = append(seen, id)

		p, err := sc.Page(t.Context(), id)
		require.NoError(t, err)
		titles = append(titles, p.Title)
		bc, err := sc.Breadcrumbs(t.Context(), id)
		require.NoError(t, err)
		kids, err := sc.Children(t.Context(), id)
		require.NoError(t, err)
		for _, r := range append(bc, kids...) {
			titles = append(titles, r.Title)
		}
		queue = append(queue, ids(kids)...)
	}
	return titles, seen
}

func TestScopePage(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)
	c := flavours(t, s, ts, confluence.RetryConfig{})["cloud basic"]

	tests := []struct {
		name      string
		cfg       confluence.ScopeConfig
		reachable []string
		withheld  []string
		children  map[string][]string
		crumbs    map[string][]string
	}{
		{
			name:      "page with descendants",
			cfg:       confluence.ScopeConfig{RootPageID: "2", Descendants: true},
			reachable: []string{"2", "5", "6"},
			withheld:  []string{"1", "3", "7", "12", "20"},
			children:  map[string][]string{"2": {"5", "6"}, "5": {}},
			crumbs:    map[string][]string{"2": {}, "5": {"2"}},
		},
		{
			name:      "single page",
			cfg:       confluence.ScopeConfig{RootPageID: "2"},
			reachable: []string{"2"},
			withheld:  []string{"1", "5", "6"},
			children:  map[string][]string{"2": {}},
		},
		{
			name:     "page in the wrong space",
			cfg:      confluence.ScopeConfig{SpaceKey: "OPS", RootPageID: "2"},
			withheld: []string{"2"},
		},
		{
			name:     "restricted root",
			cfg:      confluence.ScopeConfig{RootPageID: "3", Descendants: true},
			withheld: []string{"3", "7"},
		},
		{
			name:     "root under a restricted page",
			cfg:      confluence.ScopeConfig{RootPageID: "7"},
			withheld: []string{"7"},
		},
		{
			name: "root under an excluded page",
			cfg: confluence.ScopeConfig{RootPageID: "8",
				ExcludeLabels: []string{"internal-only"}},
			withheld: []string{"8"},
		},
		{
			name: "excluded label inside the subtree",
			cfg: confluence.ScopeConfig{RootPageID: "1", Descendants: true,
				ExcludeLabels: []string{"public"}},
			reachable: []string{"1", "12"},
			withheld:  []string{"2", "5", "6"},
			children:  map[string][]string{"1": {"4", "12"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := confluence.NewScope(c, tt.cfg)
			require.NoError(t, err)
			for _, id := range tt.reachable {
				_, err := sc.Page(t.Context(), id)
				assert.NoError(t, err, "page %s", id)
			}
			for _, id := range tt.withheld {
				_, err := sc.Page(t.Context(), id)
				assert.ErrorIs(t, err, confluence.ErrNotFound, "page %s", id)
			}
			for id, want := range tt.children {
				kids, err := sc.Children(t.Context(), id)
				require.NoError(t, err)
				assert.Equal(t, want, ids(kids), "children of %s", id)
			}
			for id, want := range tt.crumbs {
				bc, err := sc.Breadcrumbs(t.Context(), id)
				require.NoError(t, err)
				assert.Equal(t, want, ids(bc), "breadcrumbs of %s", id)
			}
		})
	}
}

func TestNewScopeValidation(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)
	c := flavours(t, s, ts, confluence.RetryConfig{})["data center"]

	_, err := confluence.NewScope(nil, confluence.ScopeConfig{SpaceKey: "ENG"})
	assert.Error(t, err)
	_, err = confluence.NewScope(c, confluence.ScopeConfig{})
	assert.Error(t, err)
}

func TestScopeLink(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)
	for name, c := range flavours(t, s, ts, confluence.RetryConfig{MaxAttempts: 1}) {
		sc, err := confluence.NewScope(confluence.NewCache(c, confluence.CacheConfig{}),
			confluence.ScopeConfig{SpaceKey: "ENG", RootPageID: "2", Descendants: true,
				ExcludeLabels: []string{"internal-only"}})
		require.NoError(t, err)
		tests := []struct {
			id   string
			want confluence.PageLink
		}{
			{"2", confluence.PageShared},    // the root
			{"5", confluence.PageShared},    // under it
			{"12", confluence.PageOutside},  // a sibling: fine, just not shared
			{"1", confluence.PageOutside},   // the parent
			{"20", confluence.PageWithheld}, // another space: its own rules are not known here
			{"3", confluence.PageWithheld},  // restricted
			{"7", confluence.PageWithheld},  // under a restricted page
			{"4", confluence.PageWithheld},  // exclusion label
			{"8", confluence.PageWithheld},  // under a labelled page
			{"9", confluence.PageWithheld},  // draft
			{"10", confluence.PageWithheld}, // archived
			{"404", confluence.PageWithheld},
			{"2/../3", confluence.PageWithheld},
		}
		for _, tt := range tests {
			t.Run(name+"/"+tt.id, func(t *testing.T) {
				assert.Equal(t, tt.want, sc.Link(t.Context(), tt.id))
			})
		}
	}
}

func TestPageLinkString(t *testing.T) {
	for l, want := range map[confluence.PageLink]string{confluence.PageWithheld: "withheld",
		confluence.PageOutside: "outside", confluence.PageShared: "shared",
		confluence.PageLink(9): "PageLink(9)"} {
		assert.Equal(t, want, l.String())
	}
}

func TestClientsRefuseMalformedIDsWithoutARequest(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)
	for name, c := range flavours(t, s, ts, confluence.RetryConfig{MaxAttempts: 1}) {
		for _, id := range []string{"", "2/../3", "3?x", "%33", " 3", "3/", "-3", "att3",
			strings.Repeat("9", 21)} {
			t.Run(name+"/"+id, func(t *testing.T) {
				s.ResetRequests()
				_, err := c.Page(t.Context(), id)
				assert.ErrorIs(t, err, confluence.ErrNotFound)
				_, err = c.Children(t.Context(), id)
				assert.ErrorIs(t, err, confluence.ErrNotFound)
				_, err = c.Attachments(t.Context(), id)
				assert.ErrorIs(t, err, confluence.ErrNotFound)
				_, err = c.OpenAttachment(t.Context(), "2", id+"x")
				assert.ErrorIs(t, err, confluence.ErrNotFound)
				assert.Empty(t, s.Requests())
			})
		}
	}
}

// Adversarial review of withholding: each test tries to reach, list or
// learn the title of a page a share must not show, through the public
// API (Scope over Cache over a real client talking to the fake). A
// passing test means the attempt failed.

// TestScopeNamesOnlyWhatPageServes walks the space share and checks
// one invariant: every page that Children or Breadcrumbs names must be
// one that Page serves. A name that Page refuses is a leak of a withheld
// page's existence and title.
func TestScopeNamesOnlyWhatPageServes(t *testing.T) {
	_, ts := reviewModel(t)
	for name, c := range reviewClients(t, ts) {
		t.Run(name, func(t *testing.T) {
			sc, err := confluence.NewScope(confluence.NewCache(c, confluence.CacheConfig{}),
				confluence.ScopeConfig{SpaceKey: "ENG", ExcludeLabels: []string{"internal-only"}})
			require.NoError(t, err)
			ctx := t.Context()

			// Every page of the model, asked for directly.
			for _, id := range []string{"1", "2", "5", "30", "3", "7", "40", "4", "10", "13",
				"77", "78", "20", "31"} {
				p, err := sc.Page(ctx, id)
				if err != nil {
					require.ErrorIs(t, err, confluence.ErrNotFound, "page %s", id)
					continue
				}
				crumbs, err := sc.Breadcrumbs(ctx, id)
				require.NoError(t, err)
				kids, err := sc.Children(ctx, id)
				require.NoError(t, err)
				for _, r := range append(crumbs, kids...) {
					_, err := sc.Page(ctx, r.ID)
					assert.NoError(t, err, "page %s (%s) names %s %q, which Page withholds",
						id, p.Title, r.ID, r.Title)
				}
			}
		})
	}
}

// TestScopeWithheldPagesAnswerNotFound asks for each withheld page
// through every Scope method.
func TestScopeWithheldPagesAnswerNotFound(t *testing.T) {
	_, ts := reviewModel(t)
	withheld := []string{"3", "7", "40", "4", "10", "13", "20", "30"}
	for name, c := range reviewClients(t, ts) {
		sc, err := confluence.NewScope(c, confluence.ScopeConfig{SpaceKey: "ENG",
			ExcludeLabels: []string{"internal-only"}})
		require.NoError(t, err)
		for _, id := range withheld {
			t.Run(name+"/"+id, func(t *testing.T) {
				ctx := t.Context()
				p, err := sc.Page(ctx, id)
				assert.ErrorIs(t, err, confluence.ErrNotFound)
				assert.Nil(t, p)
				ok, err := sc.Contains(ctx, id)
				assert.NoError(t, err)
				assert.False(t, ok)
				kids, err := sc.Children(ctx, id)
				assert.ErrorIs(t, err, confluence.ErrNotFound)
				assert.Empty(t, kids)
				crumbs, err := sc.Breadcrumbs(ctx, id)
				assert.ErrorIs(t, err, confluence.ErrNotFound)
				assert.Empty(t, crumbs)
				var we *confluence.WithheldError
				if errors.As(err, &we) {
					assert.NotContains(t, we.Error(), "Payroll", "error names no title")
				}
			})
		}
	}
}

// TestScopeExcludeLabelCase configures the exclusion label the way
// an admin types it. Confluence stores labels in lower case, so a label
// configured with capitals or spaces never matches and the page an author
// asked to keep inside is shared: the setting fails open, silently.
// Defended means NewScope refuses the label or matches it.
func TestScopeExcludeLabelCase(t *testing.T) {
	_, ts := reviewModel(t)
	c := reviewClients(t, ts)["cloud"]
	for _, label := range []string{"Internal-Only", " internal-only", "INTERNAL-ONLY"} {
		t.Run(label, func(t *testing.T) {
			sc, err := confluence.NewScope(c, confluence.ScopeConfig{SpaceKey: "ENG",
				ExcludeLabels: []string{label}})
			if err != nil {
				return // refused at configuration: defended
			}
			_, err = sc.Page(t.Context(), "4")
			assert.ErrorIs(t, err, confluence.ErrNotFound,
				"page labelled internal-only is shared despite ExcludeLabels %q", label)
		})
	}
}

// TestScopeRestrictionAddedAfterCaching restricts a page, or its
// parent, after the cache holds it.
func TestScopeRestrictionAddedAfterCaching(t *testing.T) {
	tests := []struct {
		name     string
		restrict string // page given a restriction after the first read
		read     string // page read again
		fault    string // path part answered 503 on the second read, if any
	}{
		{"page restricted, Confluence up", "78", "78", ""},
		{"parent restricted, Confluence up", "77", "78", ""},
		// The parent's refresh fails, so the cache serves its last good
		// (unrestricted) copy; the child itself is fresh. Defended means
		// the child is withheld, or at least marked Stale so that the
		// host can tell the outsider the decision rests on old data.
		{"parent restricted, parent's refresh fails", "77", "78", "/77"},
	}
	for _, tt := range tests {
		for _, flavour := range []string{"cloud", "data center"} {
			t.Run(tt.name+"/"+flavour, func(t *testing.T) {
				s, ts := reviewModel(t)
				clock := &reviewCacheClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
				cache := confluence.NewCache(reviewClients(t, ts)[flavour],
					confluence.CacheConfig{Now: clock.Now})
				sc, err := confluence.NewScope(cache, confluence.ScopeConfig{SpaceKey: "ENG"})
				require.NoError(t, err)
				_, err = sc.Page(t.Context(), tt.read)
				require.NoError(t, err)

				s.AddPage(confluencetest.Page{ID: tt.restrict, SpaceKey: "ENG",
					ParentID: map[string]string{"77": "1", "78": "77"}[tt.restrict],
					Title:    "now restricted", Restricted: true})
				clock.Advance(2 * time.Minute) // past the default MaxAge
				if tt.fault != "" {
					s.Inject(confluencetest.Fault{PathContains: tt.fault, Status: 503,
						Times: 100})
				}

				p, err := sc.Page(t.Context(), tt.read)
				if err == nil {
					assert.True(t, p.Stale, "page %s served as fresh although its parent "+
						"is now restricted and only a stale copy of the parent was checked",
						tt.read)
					return
				}
				assert.ErrorIs(t, err, confluence.ErrNotFound)
			})
		}
	}
}

// TestScopeOddIDs asks a page share of page 2 for IDs that a
// careless path builder could send to another page.
func TestScopeOddIDs(t *testing.T) {
	_, ts := reviewModel(t)
	for name, c := range reviewClients(t, ts) {
		sc, err := confluence.NewScope(c, confluence.ScopeConfig{RootPageID: "2"})
		require.NoError(t, err)
		for _, id := range []string{"2/../3", "3?x=2", "3#2", "../3", "2/../../pages/3",
			"%33", "3/", " 3", "2%2f..%2f3", "03"} {
			t.Run(name+"/"+id, func(t *testing.T) {
				p, err := sc.Page(t.Context(), id)
				if err == nil {
					assert.Equal(t, "2", p.ID, "odd ID %q reached page %s", id, p.ID)
					assert.False(t, strings.Contains(p.Title, "Payroll"))
				}
			})
		}
	}
}

// TestScopeChildrenOfPageShareStayInside lists children through a
// page share with descendants, and checks no listed page lies outside.
func TestScopeChildrenOfPageShareStayInside(t *testing.T) {
	_, ts := reviewModel(t)
	for name, c := range reviewClients(t, ts) {
		t.Run(name, func(t *testing.T) {
			sc, err := confluence.NewScope(c, confluence.ScopeConfig{SpaceKey: "ENG",
				RootPageID: "2", Descendants: true})
			require.NoError(t, err)
			kids, err := sc.Children(context.Background(), "2")
			require.NoError(t, err)
			var got []string
			for _, k := range kids {
				got = append(got, k.ID)
			}
			assert.False(t, slices.Contains(got, "30"), "lists page 30 of space OPS: %v", got)
		})
	}
}
