package store

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
	"github.com/secureshare/secureshare/store/storetest"
)

// mutantEnv tells a re-executed test binary which broken backend
// TestBrokenBackendChild should run the conformance suite against.
const mutantEnv = "SECURESHARE_STORE_MUTANT"

// mutant is a memory store with one deliberate bug, and the conformance
// subtest that must catch it.
type mutant struct {
	name   string
	wrap   func(*Store) storetest.Store
	caught string
}

// mutants are the broken backends the suite must fail.
var mutants = []mutant{
	{
		name:   "replay check then set",
		wrap:   func(s *Store) storetest.Store { return checkThenSet{s} },
		caught: "--- FAIL: TestBrokenBackendChild/ReplayCache/concurrent_claims_of_one_ID",
	},
	{
		name:   "replay always fresh",
		wrap:   func(s *Store) storetest.Store { return alwaysFresh{s} },
		caught: "--- FAIL: TestBrokenBackendChild/ReplayCache/concurrent_claims_of_one_ID",
	},
	{
		name:   "duplicate token hash accepted",
		wrap:   func(s *Store) storetest.Store { return noConflict{s} },
		caught: "--- FAIL: TestBrokenBackendChild/Links/create_conflicts/same_token_hash",
	},
	{
		name:   "cursor ignored",
		wrap:   func(s *Store) storetest.Store { return noCursor{s} },
		caught: "--- FAIL: TestBrokenBackendChild/ListLinks/pages_follow_each_other",
	},
	{
		name:   "request consumed twice",
		wrap:   func(s *Store) storetest.Store { return keepRequest{s} },
		caught: "--- FAIL: TestBrokenBackendChild/AuthnRequests/consumed_once",
	},
	{
		name:   "seconds only",
		wrap:   func(s *Store) storetest.Store { return coarseTime{s} },
		caught: "--- FAIL: TestBrokenBackendChild/Links/create_and_read_back_every_field",
	},
}

// TestSuiteCatchesBrokenBackends runs the conformance suite against each
// mutant in a child process and checks that the suite fails it, in the
// subtest that covers the bug.
func TestSuiteCatchesBrokenBackends(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary; skipped in -short mode")
	}
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBrokenBackendChild$",
				"-test.short", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), mutantEnv+"="+m.name)
			out, err := cmd.CombinedOutput()

			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee, "the suite passed a broken backend:\n%s", out)
			assert.Contains(t, string(out), m.caught)
		})
	}
}

// TestBrokenBackendChild runs the suite against the mutant named by
// mutantEnv. Run directly, it skips.
func TestBrokenBackendChild(t *testing.T) {
	name := os.Getenv(mutantEnv)
	if name == "" {
		t.Skip("helper process for TestSuiteCatchesBrokenBackends")
	}
	i := slices.IndexFunc(mutants, func(m mutant) bool { return m.name == name })
	require.GreaterOrEqual(t, i, 0, "unknown mutant %q", name)
	m := mutants[i]
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T, now func() time.Time) (storetest.Store, func() storetest.Store) {
			return m.wrap(openTest(t, Config{DSN: "memory:", Now: now})), nil
		},
	})
}

// alwaysFresh accepts every assertion, replays included.
type alwaysFresh struct{ *Store }

func (s alwaysFresh) ClaimAssertion(ctx context.Context, id string, exp time.Time) (bool, error) {
	_, err := s.Store.ClaimAssertion(ctx, id, exp)
	return true, err
}

// checkThenSet looks an assertion ID up and then records it in a second
// statement, so that concurrent claims can all see it unclaimed.
type checkThenSet struct{ *Store }

func (s checkThenSet) ClaimAssertion(ctx context.Context, id string, exp time.Time) (bool, error) {
	var held int
	err := s.db.queryRow(ctx, `SELECT COUNT(*) FROM replay_cache WHERE id = ? AND expires > ?`,
		id, s.now().UnixMicro()).Scan(&held)
	if err != nil || held > 0 {
		return false, err
	}
	runtime.Gosched()
	_, err = s.db.exec(ctx, `INSERT INTO replay_cache (id, expires) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET expires = excluded.expires`, id, exp.UnixMicro())
	return err == nil, err
}

// noConflict creates a link under a fresh token hash when its own is
// taken, hiding the conflict.
type noConflict struct{ *Store }

func (s noConflict) CreateLink(ctx context.Context, l share.Link) error {
	if _, err := s.Store.LinkByToken(ctx, l.TokenHash); err == nil {
		l.TokenHash[0] ^= 0xff
	}
	return s.Store.CreateLink(ctx, l)
}

// noCursor always lists from the start.
type noCursor struct{ *Store }

func (s noCursor) ListLinks(ctx context.Context, q share.LinkQuery) ([]share.Link, string, error) {
	q.Cursor = ""
	return s.Store.ListLinks(ctx, q)
}

// keepRequest puts a consumed AuthnRequest back.
type keepRequest struct{ *Store }

func (s keepRequest) ConsumeAuthnRequest(
	ctx context.Context, id string, now time.Time,
) (share.AuthnRequestState, error) {
	st, err := s.Store.ConsumeAuthnRequest(ctx, id, now)
	if err == nil {
		err = s.Store.SaveAuthnRequest(ctx, st)
	}
	return st, err
}

// coarseTime returns link times rounded down to the second.
type coarseTime struct{ *Store }

func (s coarseTime) Link(ctx context.Context, id string) (share.Link, error) {
	l, err := s.Store.Link(ctx, id)
	l.Created = l.Created.Truncate(time.Second)
	return l, err
}
