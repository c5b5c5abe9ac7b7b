package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"
)

// writeOp is one caller's write waiting in an sqlDB's queue, and the
// channel its outcome is sent on (with room for that one value).
type writeOp struct {
	ctx  context.Context
	fn   func(on querier) error
	done chan error
}

// write runs fn, which runs one write statement through on, and returns
// once that statement is committed or has failed.
//
// Writers queue together on SQLite: each one puts its fn in the queue and
// waits for either its outcome or the write token. The writer that gets
// the token leads: it takes every fn waiting, runs them one after the
// other in one transaction and commits it once, then answers each. Under
// a burst of sign-ins (consume the request, claim the assertion, start the
// session) one fsync then serves many writers instead of one each; a
// writer alone runs its statement as before, in its own implicit
// transaction.
//
// A fn's statement that fails because of its row's data (a duplicate key)
// is undone by SQLite alone, and its writer gets that error while the
// others' statements commit. Any other failure inside the transaction
// rolls it back, and the leader then runs each fn of it on its own, so
// that every writer learns its own outcome. When ctx ends or the token is
// not had within writeWait while fn still waits in the queue, fn never
// runs and the error says why; once a leader has taken fn, write waits for
// its outcome, which is then the truth about what was stored.
func (d *sqlDB) write(ctx context.Context, fn func(on querier) error) error {
	if d.writeTurn == nil {
		return fn(sqlDirect{d})
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	d.qmu.Lock()
	d.queue = append(d.queue, op)
	d.qmu.Unlock()

	t := time.NewTimer(d.writeWait)
	defer t.Stop()
	select {
	case err := <-op.done:
		return err
	case d.writeTurn <- struct{}{}:
		defer d.endWrite()
		// An earlier leader answered op, or it is still in the queue and a
		// lead takes it: the queue is taken from its front.
		for {
			select {
			case err := <-op.done:
				return err
			default:
				d.lead()
			}
		}
	case <-ctx.Done():
		return d.abandon(op, ctx.Err())
	case <-t.C:
		return d.abandon(op, errWriteBusy)
	}
}

// abandon takes op out of the queue and returns err; when a leader has
// taken op already, it waits for op's outcome and returns that.
func (d *sqlDB) abandon(op *writeOp, err error) error {
	d.qmu.Lock()
	i := slices.Index(d.queue, op)
	if i >= 0 {
		d.queue = slices.Delete(d.queue, i, i+1)
	}
	d.qmu.Unlock()
	if i >= 0 {
		return err
	}
	return <-op.done
}

// lead runs and answers every write waiting in the queue. The caller
// holds the write token.
func (d *sqlDB) lead() {
	d.qmu.Lock()
	ops := d.queue
	d.queue = nil
	d.qmu.Unlock()
	// Should the leader's goroutine end early (runtime.Goexit in a fn),
	// every writer it took and has not answered is answered, so that none
	// waits for ever.
	finished := false
	defer func() {
		if !finished {
			for _, op := range ops {
				select {
				case op.done <- errLeaderGone:
				default:
				}
			}
		}
	}()

	live := make([]*writeOp, 0, len(ops))
	for _, op := range ops {
		if err := op.ctx.Err(); err != nil {
			op.done <- err
			continue
		}
		live = append(live, op)
	}
	switch len(live) {
	case 0:
	case 1:
		live[0].done <- run(live[0], sqlDirect{d})
	default:
		d.commitTogether(live)
	}
	finished = true
}

// errLeaderGone answers the writers taken by a leader whose goroutine
// ended before it answered them.
var errLeaderGone = errors.New("store: internal error: the write was dropped: " +
	"the goroutine running it ended early")

// panicError is a write's fn that panicked, turned into that writer's
// error: the leader may be another writer's goroutine, or the audit
// writer's, which a panic would end or crash.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string {
	return fmt.Sprintf("store: internal error: a write panicked: %v\n%s", e.value, e.stack)
}

// run calls op.fn with on and returns its error, or a *panicError when it
// panicked.
func run(op *writeOp, on querier) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{value: p, stack: debug.Stack()}
		}
	}()
	return op.fn(on)
}

// commitTogether runs ops in one transaction and answers each once it is
// committed; see write.
func (d *sqlDB) commitTogether(ops []*writeOp) {
	// The transaction carries other writers' statements too: no one
	// writer's context may end it.
	tx, err := d.db.BeginTx(context.Background(), nil)
	if err != nil {
		err = unavailable(err)
		for _, op := range ops {
			op.done <- err
		}
		return
	}
	// After a commit this does nothing; after an early end it frees the
	// lock.
	defer func() { _ = tx.Rollback() }()
	raiseTo(&d.largestBatch, int64(len(ops)))
	outcomes := make([]error, len(ops))
	on := &batchTx{d: d, tx: tx}
	for i, op := range ops {
		outcomes[i] = run(op, on)
		if _, panicked := outcomes[i].(*panicError); panicked || on.broken {
			_ = tx.Rollback()
			d.oneByOne(ops, outcomes[:i+1])
			return
		}
	}
	if err := tx.Commit(); err != nil {
		err = unavailable(err)
		for _, op := range ops {
			op.done <- err
		}
		return
	}
	for i, op := range ops {
		op.done <- outcomes[i]
	}
}

// oneByOne runs each of ops in its own implicit transaction, after a
// shared one failed. A write whose fn panicked there (its outcome in
// tried, which holds the outcomes of the first writes) is not run again.
func (d *sqlDB) oneByOne(ops []*writeOp, tried []error) {
	for i, op := range ops {
		if i < len(tried) {
			if _, panicked := tried[i].(*panicError); panicked {
				op.done <- tried[i]
				continue
			}
		}
		if err := op.ctx.Err(); err != nil {
			op.done <- err
			continue
		}
		op.done <- run(op, sqlDirect{d})
	}
}

// errQueryInWrite refuses a statement with several result rows inside a
// write: write's fn runs one statement, scanned at once.
var errQueryInWrite = errors.New("store: internal error: a query with several rows in a write")

// sqlDirect runs statements on the pool, prepared where it can: reads,
// and the writes of a writer that holds the write token.
type sqlDirect struct{ d *sqlDB }

func (s sqlDirect) exec(ctx context.Context, q string, args ...any) (int64, error) {
	if st := s.d.prepared(ctx, q); st != nil {
		return sqlExec(ctx, st, args)
	}
	return sqlExec(ctx, textStmt{s.d.db, q}, args)
}

func (s sqlDirect) query(ctx context.Context, q string, args ...any) (rows, error) {
	return nil, errQueryInWrite
}

func (s sqlDirect) queryRow(ctx context.Context, q string, args ...any) row {
	if st := s.d.prepared(ctx, q); st != nil {
		return sqlRow{r: st.QueryRowContext(ctx, args...)}
	}
	return sqlRow{r: s.d.db.QueryRowContext(ctx, q, args...)}
}

// batchTx runs the statements of queued writers inside the leader's
// transaction, one at a time, with the statements prepared on the pool.
// Their contexts' cancellation is dropped: on SQLite an interrupted
// statement can roll back the whole transaction. broken is set by a
// failure other than a row's data, after which the transaction must not
// be committed.
type batchTx struct {
	d      *sqlDB
	tx     *sql.Tx
	broken bool
}

// stmt returns q's statement for the transaction when q is prepared on the
// pool already; nil, to run it as text, when it is not. Preparing it on the
// pool here would wait for a second connection, which a pool of one never
// has while the transaction holds its only one.
func (b *batchTx) stmt(ctx context.Context, q string) *sql.Stmt {
	if st := b.d.cached(q); st != nil {
		return b.tx.StmtContext(ctx, st)
	}
	return nil
}

// judge notes err in b and returns it marked as an outage where it is one.
func (b *batchTx) judge(err error) error {
	if err != nil && !errors.Is(err, errNoRows) && !b.d.isRowError(err) {
		b.broken = true
	}
	return unavailable(err)
}

func (b *batchTx) exec(ctx context.Context, q string, args ...any) (int64, error) {
	ctx = context.WithoutCancel(ctx)
	var e sqlExecer = textStmt{b.tx, q}
	if st := b.stmt(ctx, q); st != nil {
		e = st
	}
	n, err := sqlExec(ctx, e, args)
	return n, b.judge(err)
}

func (b *batchTx) query(ctx context.Context, q string, args ...any) (rows, error) {
	return nil, errQueryInWrite
}

func (b *batchTx) queryRow(ctx context.Context, q string, args ...any) row {
	ctx = context.WithoutCancel(ctx)
	if st := b.stmt(ctx, q); st != nil {
		return batchRow{b: b, r: st.QueryRowContext(ctx, args...)}
	}
	return batchRow{b: b, r: b.tx.QueryRowContext(ctx, q, args...)}
}

// batchRow is a row of a statement in a batchTx.
type batchRow struct {
	b *batchTx
	r *sql.Row
}

func (r batchRow) Scan(dest ...any) error { return r.b.judge(r.r.Scan(dest...)) }
