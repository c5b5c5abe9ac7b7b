package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/secureshare/secureshare/share"
)

// querier runs statements on a pool or inside a transaction. Statements
// are written with ? placeholders; the PostgreSQL side numbers them.
type querier interface {
	exec(ctx context.Context, q string, args ...any) (affected int64, err error)
	query(ctx context.Context, q string, args ...any) (rows, error)
	queryRow(ctx context.Context, q string, args ...any) row
}

// rows is the part of *sql.Rows and pgx.Rows that the store uses.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// row is a single-row result; Scan returns errNoRows when there is none.
type row interface {
	Scan(dest ...any) error
}

// database is one of the two SQL engines behind a Store.
type database interface {
	querier
	// inTx runs fn in a transaction, committing when it returns nil.
	inTx(ctx context.Context, fn func(q querier) error) error
	// isConflict reports whether err is a unique or primary key violation.
	isConflict(err error) bool
	// isRowError reports whether err is a statement's failure caused by
	// the data of a row (a constraint or a value refused), after which
	// nothing of that statement is stored.
	isRowError(err error) bool
	close()
}

// errNoRows is what row.Scan returns on both engines when nothing matched.
var errNoRows = sql.ErrNoRows

// sqlDB is SQLite through database/sql.
//
// SQLite parses a statement's text every time it is not prepared, and on
// the hot paths (a link view reads a link, a space and a session) that
// parsing cost more than running the statement. So each statement text is
// prepared once, up to maxPrepared texts, and database/sql keeps it
// prepared on every connection it is used on.
//
// SQLite lets one connection write at a time, and a connection that finds
// the database locked sleeps and polls, in steps that grow to 100 ms. Under
// a burst of sign-ins that polling, not the writing, made the wait: one
// in a hundred ACS posts took more than 130 ms. So the store's own writers
// queue for a token here instead (writeTurn) and reach SQLite one by one;
// busy_timeout still covers other processes that open the same file. And
// since each commit with synchronous=FULL costs an fsync, writers that
// queue together share one transaction and its commit (see write).
type sqlDB struct {
	db *sql.DB

	mu    sync.RWMutex
	stmts map[string]*sql.Stmt

	// writeTurn holds one token; a writer takes it for the length of its
	// statement or transaction. nil: writers go straight to SQLite.
	writeTurn chan struct{}
	// writeWait bounds the wait for the token, as busy_timeout does.
	writeWait time.Duration

	// queue holds the writes waiting for a leader (see write).
	qmu   sync.Mutex
	queue []*writeOp
	// largestBatch is the most writes one transaction has held, for tests.
	largestBatch atomic.Int64
}

// errWriteBusy is the wait for the write token running out.
var errWriteBusy = fmt.Errorf("%w: SQLite database busy: waited too long for other writers",
	share.ErrUnavailable)

// beginWrite waits for the write token and returns the function that
// gives it back (calling it again does nothing); it fails when ctx ends or the wait passes writeWait.
func (d *sqlDB) beginWrite(ctx context.Context) (func(), error) {
	if d.writeTurn == nil {
		return func() {}, nil
	}
	select {
	case d.writeTurn <- struct{}{}:
		return sync.OnceFunc(d.endWrite), nil
	default:
	}
	t := time.NewTimer(d.writeWait)
	defer t.Stop()
	select {
	case d.writeTurn <- struct{}{}:
		return sync.OnceFunc(d.endWrite), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, errWriteBusy
	}
}

func (d *sqlDB) endWrite() { <-d.writeTurn }

// isWrite reports whether the statement q changes data, judged by its
// first keyword; a WITH counts, since it may lead to one that does.
func isWrite(q string) bool {
	q = strings.TrimLeft(q, " \t\r\n")
	for _, kw := range []string{"INSERT", "UPDATE", "DELETE", "REPLACE", "WITH"} {
		if len(q) >= len(kw) && strings.EqualFold(q[:len(kw)], kw) {
			return true
		}
	}
	return false
}

// maxPrepared bounds the statement texts kept prepared. The store's own
// statements are some 310 texts in all (audit batches of each size up to
// maxAuditBatch, and each combination of audit and link filters), so they
// all fit; the bound is for texts a caller might make without end.
const maxPrepared = 384

// newSQLDB wraps db. writeWait > 0 queues writers (see sqlDB) for at
// most that long; 0 leaves them to SQLite.
func newSQLDB(db *sql.DB, writeWait time.Duration) *sqlDB {
	d := &sqlDB{db: db, stmts: make(map[string]*sql.Stmt), writeWait: writeWait}
	if writeWait > 0 {
		d.writeTurn = make(chan struct{}, 1)
	}
	return d
}

// cached returns q prepared on the pool when it is already, or nil.
func (d *sqlDB) cached(q string) *sql.Stmt {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.stmts[q]
}

// prepared returns q prepared on the pool, or nil when it could not be
// (the cache is full, or preparing failed: the caller then runs q as text
// and so reports the failure as it always did).
func (d *sqlDB) prepared(ctx context.Context, q string) *sql.Stmt {
	d.mu.RLock()
	st, n := d.stmts[q], len(d.stmts)
	d.mu.RUnlock()
	if st != nil || n >= maxPrepared {
		return st
	}
	st, err := d.db.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if old := d.stmts[q]; old != nil {
		_ = st.Close()
		return old
	}
	if len(d.stmts) >= maxPrepared {
		_ = st.Close()
		return nil
	}
	d.stmts[q] = st
	return st
}

func (d *sqlDB) exec(ctx context.Context, q string, args ...any) (int64, error) {
	var n int64
	err := d.write(ctx, func(on querier) error {
		var err error
		n, err = on.exec(ctx, q, args...)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func (d *sqlDB) query(ctx context.Context, q string, args ...any) (rows, error) {
	end := func() {}
	if isWrite(q) {
		var err error
		if end, err = d.beginWrite(ctx); err != nil {
			return nil, err
		}
	}
	var r *sql.Rows
	var err error
	if st := d.prepared(ctx, q); st != nil {
		r, err = st.QueryContext(ctx, args...)
	} else {
		r, err = d.db.QueryContext(ctx, q, args...)
	}
	if err != nil {
		end()
		return nil, unavailable(err)
	}
	return sqlRows{r: r, end: end}, nil
}

func (d *sqlDB) queryRow(ctx context.Context, q string, args ...any) row {
	if isWrite(q) {
		return writeRow{d: d, ctx: ctx, q: q, args: args}
	}
	return sqlDirect{d}.queryRow(ctx, q, args...)
}

// writeRow is a write statement that returns a row (DELETE ... RETURNING):
// it runs, through d.write, when its row is scanned.
type writeRow struct {
	d    *sqlDB
	ctx  context.Context
	q    string
	args []any
}

func (r writeRow) Scan(dest ...any) error {
	return r.d.write(r.ctx, func(on querier) error {
		return on.queryRow(r.ctx, r.q, r.args...).Scan(dest...)
	})
}

func (d *sqlDB) inTx(ctx context.Context, fn func(q querier) error) error {
	end, err := d.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer end()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err)
	}
	if err := fn(sqlTx{tx: tx}); err != nil {
		_ = tx.Rollback()
		return unavailable(err)
	}
	return unavailable(tx.Commit())
}

func (d *sqlDB) isConflict(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return true
	}
	return false
}

func (d *sqlDB) isRowError(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff { // the primary result code
	case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_TOOBIG:
		return true
	}
	return false
}

func (d *sqlDB) close() {
	d.mu.Lock()
	for q, st := range d.stmts {
		_ = st.Close()
		delete(d.stmts, q)
	}
	d.mu.Unlock()
	_ = d.db.Close()
}

// sqlTx is a database/sql transaction. Its statements run as text: only
// migrations use transactions, and a cached statement shared with the
// transaction would be one SQLite handle per connection, which the same
// text run twice at once inside the transaction would trip over.
type sqlTx struct{ tx *sql.Tx }

func (t sqlTx) exec(ctx context.Context, q string, args ...any) (int64, error) {
	return sqlExec(ctx, textStmt{t.tx, q}, args)
}

func (t sqlTx) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, unavailable(err)
	}
	return sqlRows{r: r}, nil
}

func (t sqlTx) queryRow(ctx context.Context, q string, args ...any) row {
	return sqlRow{r: t.tx.QueryRowContext(ctx, q, args...)}
}

// sqlRows adapts *sql.Rows, whose Close returns an error, to rows. end,
// when set, gives back the write token at Close.
type sqlRows struct {
	r   *sql.Rows
	end func()
}

func (r sqlRows) Next() bool             { return r.r.Next() }
func (r sqlRows) Scan(dest ...any) error { return unavailable(r.r.Scan(dest...)) }
func (r sqlRows) Err() error             { return unavailable(r.r.Err()) }
func (r sqlRows) Close() {
	_ = r.r.Close()
	if r.end != nil {
		r.end()
	}
}

// sqlRow marks the errors of a *sql.Row that mean an outage.
type sqlRow struct{ r *sql.Row }

func (r sqlRow) Scan(dest ...any) error { return unavailable(r.r.Scan(dest...)) }

// pgDB is PostgreSQL through a pgx pool.
type pgDB struct {
	pool *pgxpool.Pool
}

func (d *pgDB) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := d.pool.Exec(ctx, numbered(q), args...)
	return tag.RowsAffected(), unavailable(err)
}

func (d *pgDB) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := d.pool.Query(ctx, numbered(q), args...)
	if err != nil {
		return nil, unavailable(err)
	}
	return pgRows{r}, nil
}

func (d *pgDB) queryRow(ctx context.Context, q string, args ...any) row {
	return pgRow{d.pool.QueryRow(ctx, numbered(q), args...)}
}

func (d *pgDB) inTx(ctx context.Context, fn func(q querier) error) error {
	return unavailable(pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		return fn(pgTx{tx})
	}))
}

func (d *pgDB) isConflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" // unique_violation
}

func (d *pgDB) isRowError(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code[:min(2, len(pe.Code))] {
	case "22", "23", "54": // data exception, integrity violation, limit exceeded
		return true
	}
	return false
}

func (d *pgDB) close() { d.pool.Close() }

// pgTx is a pgx transaction.
type pgTx struct{ tx pgx.Tx }

func (t pgTx) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, numbered(q), args...)
	return tag.RowsAffected(), unavailable(err)
}

func (t pgTx) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := t.tx.Query(ctx, numbered(q), args...)
	if err != nil {
		return nil, unavailable(err)
	}
	return pgRows{r}, nil
}

func (t pgTx) queryRow(ctx context.Context, q string, args ...any) row {
	return pgRow{t.tx.QueryRow(ctx, numbered(q), args...)}
}

// pgRows marks the errors of pgx.Rows that mean an outage.
type pgRows struct{ pgx.Rows }

func (r pgRows) Scan(dest ...any) error { return unavailable(r.Rows.Scan(dest...)) }
func (r pgRows) Err() error             { return unavailable(r.Rows.Err()) }

// pgRow turns pgx.ErrNoRows into errNoRows and marks outages.
type pgRow struct{ r pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return errNoRows
	}
	return unavailable(err)
}

// sqlExecer is a statement that runs with its arguments: a *sql.Stmt, or
// a text with the pool or transaction to run it on.
type sqlExecer interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
}

// textStmt runs a statement's text on a pool or a transaction, unprepared.
type textStmt struct {
	on interface {
		ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	}
	q string
}

func (t textStmt) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return t.on.ExecContext(ctx, t.q, args...)
}

// sqlExec runs e and returns the rows it affected.
func sqlExec(ctx context.Context, e sqlExecer, args []any) (int64, error) {
	res, err := e.ExecContext(ctx, args...)
	if err != nil {
		return 0, unavailable(err)
	}
	n, err := res.RowsAffected()
	return n, unavailable(err)
}

// numbered rewrites ? placeholders as $1, $2, ... for PostgreSQL. The
// store's statements contain no ? inside string literals.
func numbered(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// dbTime converts t to the stored form: microseconds since the Unix epoch,
// UTC. The zero time is stored as NULL.
func dbTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// goTime converts a stored time back; NULL becomes the zero time.
func goTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return microTime(v.Int64)
}

// microTime converts microseconds since the Unix epoch to a UTC time.
func microTime(us int64) time.Time {
	return time.UnixMicro(us).UTC()
}
