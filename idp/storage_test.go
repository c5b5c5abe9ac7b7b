package idp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStoredConfigMetadataAtStartup shows how an instance starts from a
// stored configuration without reaching the IdP: the stored metadata is
// parsed again, its HTTP validators are restored so that the next fetch is
// conditional, and the configuration gets the metadata's keys.
func TestStoredConfigMetadataAtStartup(t *testing.T) {
	raw := readTestdata(t, "okta-metadata.xml")
	fetched := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	md, err := ParseMetadata(raw, MetadataOptions{Now: func() time.Time { return fetched }})
	require.NoError(t, err)
	cfg := Config{Name: "okta", Preset: PresetOkta}
	cfg.ApplyMetadata(md.IDP)
	cfgJSON, err := json.Marshal(cfg) // as a store keeps it
	require.NoError(t, err)
	stored := StoredConfig{MetadataURL: "https://acme.okta.com/app/exk1/sso/saml/metadata",
		Metadata: raw, ETag: `"v1"`, FetchedAt: fetched, Version: 1}
	require.NoError(t, json.Unmarshal(cfgJSON, &stored.Config))

	// At start-up: parse the stored document for the stored entity, then
	// restore where and when it came from.
	got, err := ParseMetadata(stored.Metadata, MetadataOptions{EntityID: stored.Config.EntityID})
	require.NoError(t, err)
	got.Source, got.ETag, got.LastModified = stored.MetadataURL, stored.ETag, stored.LastModified
	got.FetchedAt = stored.FetchedAt
	restored := stored.Config
	restored.ApplyMetadata(got.IDP)

	assertSameConfig(t, cfg, restored)
	require.NoError(t, restored.Validate())
	assert.Equal(t, raw, got.Raw)

	// The restored copy makes the next fetch conditional.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, `"v1"`, r.Header.Get("If-None-Match"))
		w.WriteHeader(http.StatusNotModified)
	}))
	defer srv.Close()
	f, err := NewFetcher(FetcherConfig{URL: srv.URL, HTTPClient: srv.Client()})
	require.NoError(t, err)
	again, err := f.Fetch(context.Background(), got)
	require.NoError(t, err)
	assert.Equal(t, raw, again.Raw, "304 keeps the stored document")
}

// TestRefresherStartsFromStoredMetadata: a Refresher given the stored copy
// serves it before any fetch, fetches conditionally, and keeps serving it
// when the IdP is down at start-up.
func TestRefresherStartsFromStoredMetadata(t *testing.T) {
	raw := readTestdata(t, "okta-metadata.xml")
	fetched := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return fetched.Add(time.Hour) }
	md, err := ParseMetadata(raw, MetadataOptions{Now: now})
	require.NoError(t, err)
	stored := StoredConfig{Config: Config{Name: "okta", EntityID: md.IDP.EntityID},
		MetadataURL: "https://acme.okta.com/md", Metadata: raw, ETag: `"v1"`, FetchedAt: fetched}

	initial, err := stored.ParsedMetadata(MetadataOptions{Now: now})
	require.NoError(t, err)
	assert.Equal(t, `"v1"`, initial.ETag)
	assert.Equal(t, fetched, initial.FetchedAt)

	var status atomic.Int32
	status.Store(http.StatusNotModified)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, `"v1"`, r.Header.Get("If-None-Match"), "the first fetch is conditional")
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	f, err := NewFetcher(FetcherConfig{URL: srv.URL, HTTPClient: srv.Client(),
		Metadata: MetadataOptions{Now: now}})
	require.NoError(t, err)
	r, err := NewRefresher(RefresherConfig{Fetcher: f, Initial: initial, Now: now})
	require.NoError(t, err)

	got, err := r.Metadata()
	require.NoError(t, err, "the stored copy is served before any fetch")
	assert.Same(t, initial, got)

	status.Store(http.StatusServiceUnavailable)
	require.Error(t, r.Refresh(context.Background()))
	got, err = r.Metadata()
	require.NoError(t, err, "the IdP being down keeps the stored copy")
	assert.Same(t, initial, got)

	status.Store(http.StatusNotModified)
	require.NoError(t, r.Refresh(context.Background()))
	got, err = r.Metadata()
	require.NoError(t, err)
	assert.Equal(t, raw, got.Raw)
}

func TestStoredConfigWithoutMetadata(t *testing.T) {
	_, err := StoredConfig{Config: Config{Name: "byhand"}}.ParsedMetadata(MetadataOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"byhand" has no stored metadata`)
}

func TestRefresherInitialForAnotherEntity(t *testing.T) {
	raw := readTestdata(t, "okta-metadata.xml")
	md, err := ParseMetadata(raw, MetadataOptions{})
	require.NoError(t, err)
	f, err := NewFetcher(FetcherConfig{URL: "https://idp.example.com/md",
		Metadata: MetadataOptions{EntityID: "https://other.example.com"}})
	require.NoError(t, err)
	_, err = NewRefresher(RefresherConfig{Fetcher: f, Initial: md})
	var ec *EntityChangedError
	require.ErrorAs(t, err, &ec, "a stored copy of another entity is refused")
	_, err = NewRefresher(RefresherConfig{Fetcher: f, Initial: &Metadata{}})
	require.Error(t, err)
}
