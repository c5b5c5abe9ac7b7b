package storetest

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/share"
)

// Store is what a backend must implement to be tested: every storage
// interface of package share, the IdP configuration store of package idp,
// the SAML replay cache, and Close.
type Store interface {
	share.Store
	idp.ConfigStore
	saml.ReplayCache
	// Close releases the store. The suite calls it at most once per store
	// and does not use the store afterwards.
	Close() error
}

// Backend describes the backend under test.
type Backend struct {
	// Open returns a store over a new, empty database whose replay cache
	// judges expiry by now. It is called once per test case; the suite
	// closes the store it returns. Required.
	//
	// reopen, when not nil, opens one more store over the same database,
	// with the same clock, each time it is called; the suite may call it
	// while the first store is open (to race two stores, as two instances
	// of a service would) or after closing it (to check that data
	// survives). A backend that keeps data only in the store value
	// returns nil, and the suite skips those cases.
	Open func(t *testing.T, now func() time.Time) (s Store, reopen func() Store)
}

// Run runs the whole suite as subtests of t. It fails t when Open is nil.
func Run(t *testing.T, b Backend) {
	t.Helper()
	if b.Open == nil {
		t.Fatal("storetest: Backend.Open is nil")
	}
	h := &harness{b: b}
	t.Run("ReplayCache", h.testReplayCache)
	t.Run("Links", h.testLinks)
	t.Run("ListLinks", h.testListLinks)
	t.Run("Spaces", h.testSpaces)
	t.Run("Sessions", h.testSessions)
	t.Run("Audit", h.testAudit)
	t.Run("AuthnRequests", h.testAuthnRequests)
	t.Run("IDPConfigs", h.testIDPConfigs)
	t.Run("Durability", h.testDurability)
}

// start is the suite's epoch: a time with microseconds, in UTC.
var start = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)

// clock is a settable clock, safe for concurrent use. The suite's stores
// get one that starts at start.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness opens stores for the tests.
type harness struct {
	b Backend
}

// open returns a new store and its clock, closed when t ends, and the
// reopen function of the backend, whose stores are also closed when t
// ends. Each store is closed once, however often a test closes it.
func (h *harness) open(t *testing.T) (Store, *clock, func() Store) {
	t.Helper()
	clk := &clock{t: start}
	s, reopen := h.b.Open(t, clk.Now)
	require.NotNil(t, s, "Backend.Open returned a nil store")
	first := closeOnce(t, s)
	if reopen == nil {
		return first, clk, nil
	}

	return first, clk, func() Store {
		t.Helper()
		s := reopen()
		require.NotNil(t, s, "reopen returned a nil store")
		return closeOnce(t, s)
	}
}

// onceStore closes its Store at most once.
type onceStore struct {
	Store
	once sync.Once
	err  error
}

// Close closes the store the first time and returns the same result
// every time.
func (s *onceStore) Close() error {
	s.once.Do(func() { s.err = s.Store.Close() })
	return s.err
}

// closeOnce wraps s so that it is closed once, at the latest when t ends.
func closeOnce(t *testing.T, s Store) Store {
	o := &onceStore{Store: s}
	t.Cleanup(func() { assert.NoError(t, o.Close(), "closing the store") })
	return o
}

// requireReopen skips t when the backend cannot be reopened.
func requireReopen(t *testing.T, reopen func() Store) {
	t.Helper()
	if reopen == nil {
		t.Skip("backend cannot be reopened (Backend.Open returned no reopen function)")
	}
}

// requireAllSet fails t when v, a struct, has a zero field. The suite's
// sample values set every field, so that a field the backend forgets to
// store shows up as a difference; this check keeps the samples complete
// when package share adds fields.
func requireAllSet(t *testing.T, v any) {
	t.Helper()
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		require.False(t, rv.Field(i).IsZero(), "sample %s leaves field %s zero; extend the suite",
			rv.Type().Name(), rv.Type().Field(i).Name)
	}
}

// utc returns a copy of v, a struct, with every time.Time field (at any
// depth of nested structs) converted to UTC, so that values compare
// equal when they denote the same instants.
func utc[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	utcValue(rv)
	return v
}

var timeType = reflect.TypeFor[time.Time]()

func utcValue(v reflect.Value) {
	switch {
	case v.Type() == timeType:
		if v.CanSet() {
			v.Set(reflect.ValueOf(v.Interface().(time.Time).UTC()))
		}
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				utcValue(v.Field(i))
			}
		}
	}
}

// utcAll applies utc to each element.
func utcAll[T any](vs []T) []T {
	out := make([]T, len(vs))
	for i, v := range vs {
		out[i] = utc(v)
	}
	return out
}
