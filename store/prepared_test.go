package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
)

// The SQLite engines keep each statement text prepared once, up to
// maxPrepared texts; past that, statements still run, as text.
func TestPreparedStatementsBounded(t *testing.T) {
	for _, dsn := range []string{"memory:", "sqlite:" + filepath.Join(t.TempDir(), "p.db")} {
		t.Run(dsn[:6], func(t *testing.T) {
			s := openTest(t, Config{DSN: dsn})
			defer s.Close()
			d, ok := s.db.(*sqlDB)
			require.True(t, ok)
			ctx := context.Background()

			for i := range maxPrepared + 20 {
				var got int
				require.NoError(t, d.queryRow(ctx, fmt.Sprintf("SELECT %d + 1", i)).Scan(&got))
				require.Equal(t, i+1, got)
			}
			d.mu.RLock()
			n := len(d.stmts)
			d.mu.RUnlock()
			assert.Equal(t, maxPrepared, n)

			// A statement that cannot be prepared still reports its error.
			_, err := d.exec(ctx, "INSERT INTO no_such_table VALUES (1)")
			require.ErrorContains(t, err, "no_such_table")
		})
	}
}

// A transaction never prepares on the pool: the memory store has one
// connection, which the transaction holds, so that would wait forever.
func TestTransactionDoesNotPrepareOnPool(t *testing.T) {
	s := openTest(t, Config{DSN: "memory:"})
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var fresh, cached int
	err := s.db.inTx(ctx, func(q querier) error {
		if err := q.queryRow(ctx, "SELECT 41 + 1 /* first seen in a transaction */").
			Scan(&fresh); err != nil {
			return err
		}
		return q.queryRow(ctx, "SELECT count(*) FROM links").Scan(&cached)
	})
	require.NoError(t, err, "the transaction finished before the deadline")
	assert.Equal(t, 42, fresh)

	// Prepared outside, then used inside a transaction.
	require.NoError(t, s.db.queryRow(ctx, "SELECT count(*) FROM links").Scan(&cached))
	require.NoError(t, s.db.inTx(ctx, func(q querier) error {
		_, err := q.exec(ctx, "DELETE FROM links WHERE id = ?", "none")
		if err != nil {
			return err
		}
		return q.queryRow(ctx, "SELECT count(*) FROM links").Scan(&cached)
	}))
	assert.Equal(t, 0, cached)
}

func TestIsWrite(t *testing.T) {
	for _, q := range []string{"INSERT INTO x VALUES (1)", "  update x SET a = 1",
		"\n\tDELETE FROM authn_requests WHERE id = ? RETURNING idp", "REPLACE INTO x VALUES (1)",
		"WITH d AS (SELECT 1) DELETE FROM x"} {
		assert.True(t, isWrite(q), q)
	}
	for _, q := range []string{"SELECT 1", " select * from links", "PRAGMA journal_mode",
		"", "INS"} {
		assert.False(t, isWrite(q), q)
	}
}

// Writers of a file store queue for one token; a writer that cannot get
// it within the busy timeout, or before its context ends, fails cleanly
// with nothing written, and the token is usable again afterwards.
func TestWriteQueue(t *testing.T) {
	s := openTest(t, Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "q.db"),
		BusyTimeout: 50 * time.Millisecond})
	defer s.Close()
	d := s.db.(*sqlDB)
	ctx := context.Background()
	_, err := d.exec(ctx, "CREATE TABLE q (v INTEGER)")
	require.NoError(t, err)

	end, err := d.beginWrite(ctx)
	require.NoError(t, err)

	_, err = d.exec(ctx, "INSERT INTO q VALUES (1)")
	require.ErrorIs(t, err, errWriteBusy)
	require.ErrorIs(t, err, share.ErrUnavailable)
	var n int
	require.ErrorIs(t, d.queryRow(ctx, "DELETE FROM q RETURNING v").Scan(&n), errWriteBusy)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, d.inTx(cctx, func(querier) error { return nil }), context.Canceled)
	// Reads do not queue.
	require.NoError(t, d.queryRow(ctx, "SELECT count(*) FROM q").Scan(&n))
	assert.Equal(t, 0, n)

	end()
	end() // giving the token back twice is harmless
	_, err = d.exec(ctx, "INSERT INTO q VALUES (1)")
	require.NoError(t, err)
	require.NoError(t, d.queryRow(ctx, "DELETE FROM q RETURNING v").Scan(&n))
	assert.Equal(t, 1, n)
	_, err = d.exec(ctx, "INSERT INTO q VALUES (2)")
	require.NoError(t, err, "the RETURNING statement gave the token back")
}
