package sharehttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
)

// faultStore is a share.Store whose chosen methods fail with err.
type faultStore struct {
	share.Store
	mu   sync.Mutex
	fail map[string]error
}

// set makes method fail with err; nil makes it work again.
func (f *faultStore) set(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = err
}

func (f *faultStore) err(method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail[method]
}

func (f *faultStore) Session(ctx context.Context, h share.Digest) (share.Session, error) {
	if err := f.err("Session"); err != nil {
		return share.Session{}, err
	}
	return f.Store.Session(ctx, h)
}

func (f *faultStore) AppendAudit(ctx context.Context, e share.AuditEvent) error {
	if err := f.err("AppendAudit"); err != nil {
		return err
	}
	return f.Store.AppendAudit(ctx, e)
}

func (f *faultStore) ConsumeAuthnRequest(ctx context.Context, id string,
	now time.Time) (share.AuthnRequestState, error) {
	if err := f.err("ConsumeAuthnRequest"); err != nil {
		return share.AuthnRequestState{}, err
	}
	return f.Store.ConsumeAuthnRequest(ctx, id, now)
}

func TestStoreUnavailable(t *testing.T) {
	// What a store returns while PostgreSQL restarts.
	outage := fmt.Errorf("store: reading: %w: %w", share.ErrUnavailable,
		errors.New("FATAL: terminating connection due to administrator command (SQLSTATE 57P01)"))
	fault := errors.New("store: reading: disk on fire")
	tests := []struct {
		name   string
		method string
		route  string // "session" (a signed-in link view), "revoked" or "acs"
		err    error
		status int
		says   string
	}{
		{"session unavailable", "Session", "session", outage, http.StatusServiceUnavailable,
			"temporary"},
		{"audit unavailable", "AppendAudit", "revoked", outage, http.StatusServiceUnavailable,
			"temporary"},
		{"AuthnRequest unavailable", "ConsumeAuthnRequest", "acs", outage,
			http.StatusServiceUnavailable, "open the link again"},
		{"audit fault", "AppendAudit", "revoked", fault, http.StatusInternalServerError,
			"Something went wrong"},
		{"AuthnRequest fault", "ConsumeAuthnRequest", "acs", fault,
			http.StatusInternalServerError, "Something went wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &faultStore{fail: map[string]error{}}
			e := newEnv(t, envOptions{wrapStore: func(s share.Store) share.Store {
				fs.Store = s
				return fs
			}})
			l, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopeSpace})
			path := "/s/" + token

			var (
				resp *http.Response
				body string
			)
			switch tt.route {
			case "session":
				resp, _ = e.login(e.client, path, user{email: "ann@partner.example"})
				require.Equal(t, http.StatusOK, resp.StatusCode)
				fs.set(tt.method, tt.err)
				resp, body = e.get(e.client, path)
			case "revoked":
				_, err := e.svc.RevokeLink(context.Background(), l.ID, "admin@corp.example")
				require.NoError(t, err)
				fs.set(tt.method, tt.err)
				resp, body = e.get(e.client, path)
			case "acs":
				resp, _ = e.get(e.client, path)
				require.Equal(t, http.StatusSeeOther, resp.StatusCode)
				form := e.responseFor(resp.Header.Get("Location"),
					user{email: "ann@partner.example"}, nil)
				fs.set(tt.method, tt.err)
				resp, body = e.postACS(e.client, form)
			}

			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Contains(t, strings.ToLower(body), strings.ToLower(tt.says))
			if tt.status == http.StatusServiceUnavailable {
				assert.Equal(t, "5", resp.Header.Get("Retry-After"))
				assert.NotContains(t, body, "SQLSTATE", "the cause stays in the log")
			} else {
				assert.Empty(t, resp.Header.Get("Retry-After"))
			}
		})
	}
}
