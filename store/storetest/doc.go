// Package storetest is a conformance suite for storage backends of the
// Secure Share SDK. A backend passes when it behaves as the interfaces of
// package share ([share.Store]), package idp ([idp.ConfigStore]) and
// package saml ([saml.ReplayCache]) document: every method, not-found and conflict errors, expiry,
// pagination, concurrency, and, when it can be reopened, durability.
//
// The backends of package store run it against memory, SQLite and
// PostgreSQL. A user's own backend runs it with one call from a test:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Backend{
//			Open: func(t *testing.T, now func() time.Time) (storetest.Store, func() storetest.Store) {
//				s := mystore.New(mystore.Config{Now: now})
//				return s, nil // nil: this backend cannot be reopened
//			},
//		})
//	}
//
// # What the suite assumes
//
// Each call of Backend.Open must return a store over a new, empty
// database. Times go in with microsecond precision and are compared with
// [time.Time.Equal] after conversion to UTC, so a backend may drop time
// zones and monotonic readings but must keep microseconds. Replay-cache
// expiry is judged by the clock passed to Open, which the suite moves
// forward; it never sleeps.
//
// # What it does not check
//
// It does not check that expired rows are ever removed (share lets a store
// keep them until it sweeps), performance, or behaviour under a cancelled
// context.
package storetest
