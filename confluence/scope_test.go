package confluence_test

import (
	"testing"

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
