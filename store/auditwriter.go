package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secureshare/secureshare/share"
)

// maxAuditBatch is the most audit events one commit writes. At ten
// parameters a row it stays far below the parameter limits of SQLite
// (32766) and PostgreSQL (65535).
const maxAuditBatch = 128

// auditWritersPostgres is how many writer goroutines a PostgreSQL store
// runs. PostgreSQL flushes the WAL of several connections at once, so a
// second writer commits one batch while the first waits for its flush;
// in BenchmarkAppendAuditParallel more did not help. SQLite has a single
// write lock, so one writer there.
const auditWritersPostgres = 2

// auditBatchTimeout bounds the writing of one batch. The writers write
// without their callers' deadlines (a batch is many callers'), so without
// it a database connection that goes silent, rather than refusing (a
// failover, a firewall dropping packets), would hold a writer, and Close
// waiting for it, until the operating system gave up on the connection.
const auditBatchTimeout = 30 * time.Second

// auditWriter commits audit events in groups. Each of a Store's writer
// goroutines (one for SQLite, auditWritersPostgres for PostgreSQL) takes
// the first waiting event, adds whatever other events are already waiting
// (up to maxAuditBatch), writes them all with one multi-row INSERT in its
// own implicit transaction, and answers each caller. A commit on SQLite with synchronous=FULL costs an fsync and on
// PostgreSQL a WAL flush, so under load many events share one; when only
// one event waits it is written at once, with no timer to fill a batch.
//
// An INSERT that fails because of one row's data (a duplicate ID, or a
// value the database refuses) stores nothing, so the writer then writes
// that batch's events one at a time and each caller learns its own
// outcome. Any other failure, such as a lost connection or a lock not
// granted within the busy timeout, is returned to every caller of the
// batch.
type auditWriter struct {
	db       database
	postgres bool
	timeout  time.Duration      // bounds each batch; see auditBatchTimeout
	reqs     chan *auditRequest // unbuffered: waiting senders are the queue
	quit     chan struct{}      // closed by close
	done     chan struct{}      // closed when run returns

	// largest is the size of the largest batch written, for tests.
	largest atomic.Int64
}

// auditRequest is one caller's event and the channel its outcome is
// sent on. The channel has room for that one value, so the writer never
// waits for a caller who has stopped listening.
type auditRequest struct {
	e   share.AuditEvent
	err chan error
}

// newAuditWriter starts n writer goroutines for db. They write under ctx
// without its cancellation (a batch holds other callers' events too), and
// with auditBatchTimeout for each batch. Stop them with close.
func newAuditWriter(ctx context.Context, db database, dialect string, n int) *auditWriter {
	w := &auditWriter{
		db:       db,
		postgres: dialect == "postgres",
		timeout:  auditBatchTimeout,
		reqs:     make(chan *auditRequest),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	ctx = context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { w.run(ctx) })
	}
	go func() {
		wg.Wait()
		close(w.done)
	}()
	return w
}

// append hands e to the writer and waits until it is committed or has
// failed. It returns ErrClosed once close has begun and the writer has
// not taken e, and ctx.Err() when ctx ends first. In that last case e may
// still be stored, if the writer had taken it already.
func (w *auditWriter) append(ctx context.Context, e share.AuditEvent) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &auditRequest{e: e, err: make(chan error, 1)}
	select {
	case w.reqs <- r:
	case <-w.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}

	select {
	case err := <-r.err:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops taking events and returns once the batches being written,
// if any, are committed and answered, or have failed at their timeout.
func (w *auditWriter) close() {
	close(w.quit)
	<-w.done
}

// run is the writer goroutine.
func (w *auditWriter) run(ctx context.Context) {
	var inserts insertCache
	batch := make([]*auditRequest, 0, maxAuditBatch)
	for {
		select {
		case r := <-w.reqs:
			batch = append(batch[:0], r)
		case <-w.quit:
			return
		}
		batch = w.gather(batch)
		w.commit(ctx, &inserts, batch)
		clear(batch)
	}
}

// gather adds to batch the requests already waiting, without blocking.
func (w *auditWriter) gather(batch []*auditRequest) []*auditRequest {
	for len(batch) < maxAuditBatch {
		select {
		case r := <-w.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// commit writes batch in one statement and answers every request; when
// one row's data made the statement fail, it writes them one by one.
func (w *auditWriter) commit(ctx context.Context, inserts *insertCache, batch []*auditRequest) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	raiseTo(&w.largest, int64(len(batch)))
	args := make([]any, 0, len(batch)*10)
	for _, r := range batch {
		args = appendAuditArgs(args, r.e)
	}
	_, err := w.db.exec(ctx, inserts.get(len(batch), w.postgres), args...)
	if err == nil || len(batch) == 1 || !w.db.isRowError(err) {
		for _, r := range batch {
			r.err <- w.outcome(ctx, err)
		}
		return
	}

	for _, r := range batch {
		_, err := w.db.exec(ctx, inserts.get(1, w.postgres), appendAuditArgs(args[:0], r.e)...)
		r.err <- w.outcome(ctx, err)
	}
}

// outcome turns a unique violation into share.ErrConflict, and the batch
// running out of time (ctx is the batch's) into share.ErrUnavailable:
// the database did not answer. The event may have been stored anyway.
func (w *auditWriter) outcome(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case w.db.isConflict(err):
		return share.ErrConflict
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: store: the database did not answer an audit write within %v: %w",
			share.ErrUnavailable, w.timeout, err)
	}
	return err
}

// insertCache holds the INSERT statement for each batch size, built when
// first needed. Each writer goroutine has its own.
type insertCache [maxAuditBatch + 1]string

// get returns the statement that inserts n events, with PostgreSQL's
// numbered placeholders when postgres is true.
func (c *insertCache) get(n int, postgres bool) string {
	if q := c[n]; q != "" {
		return q
	}
	const row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	var b strings.Builder
	b.WriteString("INSERT INTO audit_events (" + auditColumns + ") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	q := b.String()
	if postgres {
		q = numbered(q)
	}
	c[n] = q
	return q
}

// appendAuditArgs appends the values of e's columns, in the order of
// auditColumns, to args.
func appendAuditArgs(args []any, e share.AuditEvent) []any {
	return append(args, e.ID, e.Time.UnixMicro(), string(e.Kind), e.Actor, e.IDP, e.LinkID,
		e.Space, e.PageID, e.Reason, e.Detail)
}

// auditWriters returns how many writer goroutines db gets: one for SQLite
// and auditWritersPostgres for PostgreSQL, never more than its pool's
// connections.
func auditWriters(db database) int {
	pg, ok := db.(*pgDB)
	if !ok {
		return 1
	}
	return int(min(auditWritersPostgres, max(pg.pool.Config().MaxConns, 1)))
}

// raiseTo sets a to n when n is larger, for the largest-batch counters
// that tests read.
func raiseTo(a *atomic.Int64, n int64) {
	for {
		old := a.Load()
		if n <= old || a.CompareAndSwap(old, n) {
			return
		}
	}
}
