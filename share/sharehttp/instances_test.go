package sharehttp

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
	"github.com/secureshare/secureshare/store"
	"github.com/secureshare/secureshare/store/storetest"
)

// TestTwoInstancesOnePostgreSQL runs two handlers, each with its own store
// connection pool and Service, over one PostgreSQL database, behind a
// balancer that alternates between them on every request, as a load
// balancer without sticky sessions may: the sign-in started on one
// instance completes on the other, the session works on both, and a
// response replayed to the other instance is refused.
func TestTwoInstancesOnePostgreSQL(t *testing.T) {
	dsn := storetest.PostgresSchema(t, storetest.PostgresDSN(t))
	e := newEnv(t, envOptions{dsn: dsn})

	st2, err := store.New(context.Background(), store.Config{DSN: dsn, Now: e.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st2.Close() })
	svc2, err := share.NewService(share.Config{Store: st2, Now: e.clock.Now})
	require.NoError(t, err)
	cfg2 := e.cfg
	cfg2.Service, cfg2.ReplayCache = svc2, st2
	h2, err := New(cfg2)
	require.NoError(t, err)

	var served [2]atomic.Int64
	var n atomic.Int64
	e.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1) % 2
		served[i].Add(1)
		if i == 0 {
			e.h.ServeHTTP(w, r)
		} else {
			h2.ServeHTTP(w, r)
		}
	})

	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePageTree,
		PageID: "1", Policy: share.Policy{Groups: []string{"partners"}}})

	// The link is opened on one instance and the response posted to the
	// other: the AuthnRequest state must be in the shared database.
	resp, _ := e.get(e.client, "/s/"+token+"/p/2")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	form := e.responseFor(resp.Header.Get("Location"), partner, nil)
	resp, body := e.postACS(e.client, form)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "<h1>Guide</h1>")

	// The session works on both instances.
	for range 4 {
		resp, body = e.get(e.client, "/s/"+token+"/p/4")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Contains(t, body, "<h1>Install</h1>")
	}
	assert.Positive(t, served[0].Load())
	assert.Positive(t, served[1].Load())

	// The same response posted again, to whichever instance, is refused:
	// the request was consumed and the assertion claimed in one database.
	for range 2 {
		resp, _ = e.postACS(e.newClient(), form)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	}
	assert.Len(t, e.audit(share.EventLoginSucceeded), 1)
	assert.Len(t, e.audit(share.EventLoginFailed), 2)
}
