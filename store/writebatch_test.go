package store

import (
	"context"

	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// batchTestDB opens a file store with a table w and returns its engine.
func batchTestDB(t *testing.T) *sqlDB {
	t.Helper()
	s := openTest(t, Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "w.db")})
	t.Cleanup(func() { _ = s.Close() })
	d := s.db.(*sqlDB)
	_, err := d.exec(context.Background(), "CREATE TABLE w (id INTEGER PRIMARY KEY, v TEXT)")
	require.NoError(t, err)
	return d
}

// holdWrites takes the write token so that writers queue, and returns
// a function that waits until n of them are queued and gives it back.
func holdWrites(t *testing.T, d *sqlDB) func(n int) {
	t.Helper()
	end, err := d.beginWrite(context.Background())
	require.NoError(t, err)
	return func(n int) {
		require.Eventually(t, func() bool {
			d.qmu.Lock()
			defer d.qmu.Unlock()
			return len(d.queue) == n
		}, 10*time.Second, time.Millisecond)
		end()
	}
}

func wRows(t *testing.T, d *sqlDB, where string) int {
	t.Helper()
	var n int
	require.NoError(t, d.queryRow(context.Background(), "SELECT count(*) FROM w "+where).Scan(&n))
	return n
}

// Writers that queue together share one transaction, and each learns its
// own outcome: a duplicate key fails only its own writer.
func TestWritesShareOneCommit(t *testing.T) {
	d := batchTestDB(t)
	ctx := context.Background()
	_, err := d.exec(ctx, "INSERT INTO w VALUES (999, 'to consume')")
	require.NoError(t, err)
	release := holdWrites(t, d)

	const n = 40
	errs := make([]error, n)
	var consumed [2]string
	var consumeErrs [2]error
	var wg sync.WaitGroup
	for i := range n {
		id := i
		if i%4 == 0 {
			id = 500 // ten writers race for one key
		}
		wg.Go(func() { _, errs[i] = d.exec(ctx, "INSERT INTO w VALUES (?, ?)", id, fmt.Sprint(i)) })
	}
	for i := range consumed {
		wg.Go(func() {
			consumeErrs[i] = d.queryRow(ctx, "DELETE FROM w WHERE id = 999 RETURNING v").Scan(&consumed[i])
		})
	}
	release(n + 2)
	wg.Wait()

	assert.Equal(t, int64(n+2), d.largestBatch.Load(), "every queued writer was in one transaction")
	won := 0
	for i, err := range errs {
		if i%4 != 0 {
			assert.NoError(t, err, "writer %d", i)
			continue
		}
		if err == nil {
			won++
		} else {
			assert.True(t, d.isConflict(err), "writer %d: %v", i, err)
		}
	}
	assert.Equal(t, 1, won, "exactly one writer of key 500")
	assert.Equal(t, n-n/4+1, wRows(t, d, ""))

	// Exactly one of the two consumers found the row.
	found := 0
	for i, err := range consumeErrs {
		if err == nil {
			found++
			assert.Equal(t, "to consume", consumed[i])
		} else {
			assert.ErrorIs(t, err, errNoRows)
		}
	}
	assert.Equal(t, 1, found)
}

// A statement that fails for a reason other than its row's data rolls the
// shared transaction back; each writer is then run on its own, so the
// others are stored and the failing one gets its error.
func TestBrokenWriteRunsTheOthersAlone(t *testing.T) {
	d := batchTestDB(t)
	ctx := context.Background()
	release := holdWrites(t, d)

	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		q := "INSERT INTO w VALUES (?, 'x')"
		if i == 3 {
			q = "INSERT INTO no_such_table VALUES (?)"
		}
		wg.Go(func() { _, errs[i] = d.exec(ctx, q, i) })
	}
	release(len(errs))
	wg.Wait()

	assert.Equal(t, int64(len(errs)), d.largestBatch.Load(), "the writes were one batch")
	for i, err := range errs {
		if i == 3 {
			assert.ErrorContains(t, err, "no_such_table")
		} else {
			assert.NoError(t, err, "writer %d", i)
		}
	}
	assert.Equal(t, 5, wRows(t, d, ""))
}

// A writer whose context ends while it waits in the queue returns at once
// and its statement never runs.
func TestQueuedWriteCancelled(t *testing.T) {
	d := batchTestDB(t)
	release := holdWrites(t, d)

	cctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := d.exec(cctx, "INSERT INTO w VALUES (1, 'cancelled')")
		done <- err
	}()
	var other error
	var wg sync.WaitGroup
	wg.Go(func() { _, other = d.exec(context.Background(), "INSERT INTO w VALUES (2, 'kept')") })
	require.Eventually(t, func() bool {
		d.qmu.Lock()
		defer d.qmu.Unlock()
		return len(d.queue) == 2
	}, 10*time.Second, time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	release(1)
	wg.Wait()
	require.NoError(t, other)
	assert.Equal(t, 0, wRows(t, d, "WHERE id = 1"))
	assert.Equal(t, 1, wRows(t, d, "WHERE id = 2"))
}

// Many writers at once, with no one holding the token: every write is
// stored once and answered once.
func TestConcurrentWritesAllStored(t *testing.T) {
	d := batchTestDB(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []error
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				if _, err := d.exec(ctx, "INSERT INTO w VALUES (?, 'c')", g*1000+i); err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	require.Empty(t, failed)
	assert.Equal(t, 800, wRows(t, d, ""))
	t.Logf("largest batch: %d", d.largestBatch.Load())
}

// A write that panics inside a shared transaction fails alone: its writer
// gets the panic as an error, whichever goroutine led the batch (it may be
// the audit writer's, which must not crash), and the others are stored.
func TestPanickingWriteFailsAlone(t *testing.T) {
	d := batchTestDB(t)
	ctx := context.Background()
	release := holdWrites(t, d)

	const n = 5
	errs := make([]error, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			if i == 2 {
				errs[i] = d.write(ctx, func(querier) error { panic("boom") })
				return
			}
			_, errs[i] = d.exec(ctx, "INSERT INTO w VALUES (?, 'p')", i)
		})
	}
	release(n)
	wg.Wait()

	assert.Equal(t, make([]any, n), panics, "no panic left the store")
	assert.Equal(t, int64(n), d.largestBatch.Load())
	for i, err := range errs {
		if i != 2 {
			assert.NoError(t, err, "writer %d", i)
			continue
		}
		var pe *panicError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "boom", pe.value)
		assert.Contains(t, err.Error(), "writebatch_test.go", "the error carries the stack")
	}
	assert.Equal(t, n-1, wRows(t, d, ""))
}

// A store with a pool of one connection: the shared transaction holds it,
// so statements not yet prepared must run as text on the transaction
// rather than wait for a second connection to prepare them.
func TestBatchWithOneConnection(t *testing.T) {
	s := openTest(t, Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "one.db"), MaxConns: 1})
	t.Cleanup(func() { _ = s.Close() })
	d := s.db.(*sqlDB)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := d.exec(ctx, "CREATE TABLE w (id INTEGER PRIMARY KEY, v TEXT)")
	require.NoError(t, err)
	release := holdWrites(t, d)

	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		// A text of its own each, never seen before.
		q := fmt.Sprintf("INSERT INTO w VALUES (?, 'one %d')", i)
		wg.Go(func() { _, errs[i] = d.exec(ctx, q, i) })
	}
	release(len(errs))
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "writer %d finished before the deadline", i)
	}
	assert.Equal(t, int64(len(errs)), d.largestBatch.Load())
	assert.Equal(t, len(errs), wRows(t, d, ""))
}

// SQLite may roll a whole transaction back on its own (here: the database
// is full). The writes of that batch then run one by one: those that fit
// are stored, and the one too large gets its error.
func TestBatchRolledBackBySQLite(t *testing.T) {
	s := openTest(t, Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "full.db"), MaxConns: 1})
	t.Cleanup(func() { _ = s.Close() })
	d := s.db.(*sqlDB)
	ctx := context.Background()
	_, err := d.exec(ctx, "CREATE TABLE w (id INTEGER PRIMARY KEY, v BLOB)")
	require.NoError(t, err)
	var pages int
	require.NoError(t, d.queryRow(ctx, "PRAGMA page_count").Scan(&pages))
	// The pool's one connection: the limit holds for every write.
	require.NoError(t, d.queryRow(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages+20)).
		Scan(&pages))
	release := holdWrites(t, d)

	errs := make([]error, 5)
	var wg sync.WaitGroup
	for i := range errs {
		size := 100
		if i == 1 {
			size = 1 << 20 // far more than 20 pages
		}
		wg.Go(func() { _, errs[i] = d.exec(ctx, "INSERT INTO w VALUES (?, ?)", i, make([]byte, size)) })
	}
	release(len(errs))
	wg.Wait()

	assert.Equal(t, int64(len(errs)), d.largestBatch.Load())
	for i, err := range errs {
		if i == 1 {
			assert.ErrorContains(t, err, "full", "writer %d", i)
		} else {
			assert.NoError(t, err, "writer %d", i)
		}
	}
	assert.Equal(t, len(errs)-1, wRows(t, d, ""))
}
