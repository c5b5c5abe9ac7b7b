package confluence_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/confluence/confluencetest"
)

func TestResponseErrorMatchesSentinels(t *testing.T) {
	tests := []struct {
		status int
		want   error
	}{
		{401, confluence.ErrUnauthorized},
		{403, confluence.ErrUnauthorized},
		{404, confluence.ErrNotFound},
		{500, confluence.ErrUnavailable},
		{503, confluence.ErrUnavailable},
		{400, nil},
		{409, nil},
	}
	sentinels := []error{confluence.ErrNotFound, confluence.ErrUnauthorized,
		confluence.ErrUnavailable}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			err := fmt.Errorf("fetching: %w", &confluence.ResponseError{Method: "GET",
				Path: "/wiki/api/v2/pages/1", StatusCode: tt.status, Message: "msg"})
			for _, s := range sentinels {
				assert.Equal(t, s == tt.want, errors.Is(err, s), "%v", s)
			}
			assert.Contains(t, err.Error(), fmt.Sprintf("GET /wiki/api/v2/pages/1: %d", tt.status))
			assert.Contains(t, err.Error(), ": msg")
		})
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"rate limited with hint", &confluence.RateLimitedError{RetryAfter: 3 * time.Second,
			Attempts: 4}, "confluence: rate limited after 4 attempts, retry after 3s"},
		{"rate limited", &confluence.RateLimitedError{Attempts: 1},
			"confluence: rate limited after 1 attempts"},
		{"withheld itself", &confluence.WithheldError{PageID: "3", Because: "3",
			Reason: confluence.WithholdRestricted},
			"confluence: page 3 withheld: has view restrictions"},
		{"withheld by ancestor", &confluence.WithheldError{PageID: "7", Because: "3",
			Reason: confluence.WithholdExcludedLabel},
			"confluence: page 7 withheld: ancestor 3 has an exclusion label"},
		{"out of scope", &confluence.WithheldError{PageID: "20",
			Reason: confluence.WithholdOutOfScope},
			"confluence: page 20 withheld: is out of the shared scope"},
		{"response without message", &confluence.ResponseError{Method: "GET",
			Path: "/rest/api/space/X", StatusCode: 404},
			"confluence: GET /rest/api/space/X: 404 Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
}

func TestWithholdReasonString(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range []confluence.WithholdReason{confluence.WithholdOutOfScope,
		confluence.WithholdNotCurrent, confluence.WithholdRestricted,
		confluence.WithholdExcludedLabel} {
		assert.NotContains(t, r.String(), "WithholdReason(")
		assert.False(t, seen[r.String()], "distinct")
		seen[r.String()] = true
	}
	assert.Equal(t, "WithholdReason(0)", confluence.WithholdReason(0).String())
	assert.Equal(t, "trashed", confluence.StatusTrashed.String())
}

func TestWithheldErrorIsNotFound(t *testing.T) {
	err := fmt.Errorf("share: %w", &confluence.WithheldError{PageID: "1",
		Reason: confluence.WithholdNotCurrent})
	assert.ErrorIs(t, err, confluence.ErrNotFound)
	assert.NotErrorIs(t, err, confluence.ErrUnauthorized)
}

func TestPageParentID(t *testing.T) {
	p := &confluence.Page{Ancestors: []confluence.PageRef{{ID: "1"}, {ID: "2"}}}
	assert.Equal(t, "2", p.ParentID())
	assert.Empty(t, (&confluence.Page{}).ParentID())
}

// failingSource fails every call with err.
type failingSource struct{ err error }

func (f failingSource) Page(context.Context, string) (*confluence.Page, error) {
	return nil, f.err
}

func (f failingSource) Space(context.Context, string) (*confluence.Space, error) {
	return nil, f.err
}

func (f failingSource) Children(context.Context, string) ([]confluence.PageRef, error) {
	return nil, f.err
}

func TestScopeReportsSourceFailures(t *testing.T) {
	sc, err := confluence.NewScope(failingSource{confluence.ErrUnavailable},
		confluence.ScopeConfig{SpaceKey: "ENG"})
	require.NoError(t, err)

	ok, err := sc.Contains(t.Context(), "1")
	assert.False(t, ok)
	assert.ErrorIs(t, err, confluence.ErrUnavailable, "down is not the same as withheld")
	_, err = sc.Root(t.Context())
	assert.ErrorIs(t, err, confluence.ErrUnavailable)
	_, err = sc.Children(t.Context(), "1")
	assert.ErrorIs(t, err, confluence.ErrUnavailable)
	_, err = sc.Breadcrumbs(t.Context(), "1")
	assert.ErrorIs(t, err, confluence.ErrUnavailable)
}

// treeSource serves a fixed tree, for scope rules the fake cannot express.
type treeSource struct {
	pages    map[string]*confluence.Page
	children map[string][]confluence.PageRef
	space    confluence.Space
}

func (s treeSource) Page(_ context.Context, id string) (*confluence.Page, error) {
	if p, ok := s.pages[id]; ok {
		return p, nil
	}
	return nil, confluence.ErrNotFound
}

func (s treeSource) Space(context.Context, string) (*confluence.Space, error) {
	return &s.space, nil
}

func (s treeSource) Children(_ context.Context, id string) ([]confluence.PageRef, error) {
	return s.children[id], nil
}

func TestScopeEdgeCases(t *testing.T) {
	cur := confluence.StatusCurrent
	src := treeSource{
		space: confluence.Space{Key: "ENG"},
		pages: map[string]*confluence.Page{
			"1": {ID: "1", SpaceKey: "ENG", Status: cur, Title: "Home"},
			"2": {ID: "2", SpaceKey: "ENG", Status: cur, Title: "Moved",
				Ancestors: []confluence.PageRef{{ID: "9"}}},
			"3": {ID: "3", SpaceKey: "ENG", Status: cur, Title: "Hidden parent",
				Ancestors: []confluence.PageRef{{ID: "404"}}},
			"4": {ID: "4", SpaceKey: "ENG", Status: "", Title: "No status",
				Ancestors: []confluence.PageRef{{ID: "1"}}},
		},
		children: map[string][]confluence.PageRef{
			// A stale listing naming a page that has moved, one that is gone,
			// and one whose status is unknown.
			"1": {{ID: "2", Status: cur}, {ID: "404"}, {ID: "4"}},
		},
	}
	sc, err := confluence.NewScope(src, confluence.ScopeConfig{SpaceKey: "ENG"})
	require.NoError(t, err)

	_, err = sc.Root(t.Context())
	assert.ErrorIs(t, err, confluence.ErrNotFound, "a space without a home page")

	kids, err := sc.Children(t.Context(), "1")
	require.NoError(t, err)
	assert.Empty(t, kids, "moved, missing and unknown-status pages are not listed")

	_, err = sc.Page(t.Context(), "3")
	var w *confluence.WithheldError
	require.ErrorAs(t, err, &w)
	assert.Equal(t, confluence.WithholdRestricted, w.Reason,
		"an ancestor we cannot see counts as restricted")
	assert.Equal(t, "404", w.Because)

	_, err = sc.Page(t.Context(), "4")
	require.ErrorAs(t, err, &w)
	assert.Equal(t, confluence.WithholdNotCurrent, w.Reason)
}

func TestRetryDisabled(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)
	clock := newFakeClock()
	c := flavourWithClock(t, s, ts, "cloud basic",
		confluence.RetryConfig{MaxAttempts: 1, Sleep: clock.Sleep}, clock.Now)
	s.ResetRequests()
	s.Inject(confluencetest.Fault{Status: 503})

	_, err := c.Space(t.Context(), "ENG")
	assert.ErrorIs(t, err, confluence.ErrUnavailable)
	assert.Empty(t, clock.Sleeps())
	assert.Len(t, s.Requests(), 1)
}

// TestErrorsCarryNoSecrets: a Confluence that echoes the request's
// Authorization header in its error envelope, or a next link holding a
// token in its query. The errors returned must not carry them, since
// callers log errors.
func TestErrorsCarryNoSecrets(t *testing.T) {
	ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"statusCode":400,"message":"bad auth %s","reason":"x",`+
			`"errors":[{"status":400,"code":"X","title":"bad %s","detail":""}]}`,
			r.Header.Get("Authorization"), r.Header.Get("Authorization"))
	})
	for name, c := range reviewAllClients(t, ts, reviewClientOpts{}) {
		_, err := c.Space(t.Context(), "ENG")
		require.Error(t, err)
		for _, s := range reviewSecrets {
			assert.NotContains(t, err.Error(), s, "%s error echoes a credential", name)
		}
		var re *confluence.ResponseError
		if errors.As(err, &re) {
			for _, s := range reviewSecrets {
				assert.NotContains(t, re.Message, s, name)
			}
		}
	}
}
