package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
	"github.com/secureshare/secureshare/store/storetest"
)

func TestUnavailableClassification(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"admin shutdown", &pgconn.PgError{Severity: "FATAL", Code: "57P01",
			Message: "terminating connection due to administrator command"}, true},
		{"crash shutdown", &pgconn.PgError{Severity: "FATAL", Code: "57P02"}, true},
		{"cannot connect now", &pgconn.PgError{Severity: "FATAL", Code: "57P03",
			Message: "the database system is shutting down"}, true},
		{"connection failure", &pgconn.PgError{Severity: "FATAL", Code: "08006"}, true},
		{"connection refused by server", &pgconn.PgError{Code: "08004"}, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"undefined table", &pgconn.PgError{Code: "42P01"}, false},
		{"wrong password", &pgconn.PgError{Severity: "FATAL", Code: "28P01"}, false},
		{"query canceled", &pgconn.PgError{Code: "57014"}, false},
		{"dial refused", fmt.Errorf("failed to connect: %w", refused), true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"server hung up", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), true},
		{"eof", io.EOF, true},
		{"conn closed", fmt.Errorf("pgx: %w", pgconn.ErrConnClosed), true},
		{"deadline", fmt.Errorf("timeout: %w", context.DeadlineExceeded), false},
		{"canceled", context.Canceled, false},
		{"deadline while dialing", fmt.Errorf("%w: %w", context.DeadlineExceeded, refused), false},
		{"no rows", sql.ErrNoRows, false},
		{"conflict", share.ErrConflict, false},
		{"other", errors.New("something else"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wrapped := fmt.Errorf("store: reading session: %w", tt.err)
			got := unavailable(wrapped)

			assert.Equal(t, tt.want, errors.Is(got, share.ErrUnavailable))
			assert.ErrorIs(t, got, tt.err, "the original error is kept")
			assert.Contains(t, got.Error(), tt.err.Error(), "the original text is kept")
			if !tt.want {
				assert.Same(t, wrapped, got, "other errors are returned unchanged")
			}
			var pe *pgconn.PgError
			assert.Equal(t, errors.As(tt.err, &pe), errors.As(got, &pe))
		})
	}
}

func TestUnavailableIdempotent(t *testing.T) {
	assert.NoError(t, unavailable(nil))
	once := unavailable(io.EOF)
	assert.Same(t, once, unavailable(once))
	assert.Equal(t, "share: storage temporarily unavailable: EOF", once.Error())
}

func TestUnavailableKeepsConflicts(t *testing.T) {
	// A conflict reported by a statement stays a conflict after the
	// database layer has looked at it.
	d := &pgDB{}
	err := unavailable(&pgconn.PgError{Code: "23505"})
	assert.True(t, d.isConflict(err))
	assert.False(t, errors.Is(err, share.ErrUnavailable))
}

func TestSQLiteBusyUnavailable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	s := openTest(t, Config{DSN: "sqlite:" + path, BusyTimeout: time.Millisecond})
	defer s.Close()

	// Another connection holds the write lock past the busy timeout.
	other, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer other.Close()
	conn, err := other.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)
	defer func() { _, _ = conn.ExecContext(ctx, "ROLLBACK") }()

	err = s.CreateSession(ctx, share.Session{IDHash: sha("busy"), Expires: epoch})
	require.Error(t, err)
	assert.ErrorIs(t, err, share.ErrUnavailable)
	assert.Contains(t, err.Error(), "SQLITE_BUSY")
}

func TestPostgresUnavailable(t *testing.T) {
	base := storetest.PostgresDSN(t)
	dsn := storetest.PostgresSchema(t, base)
	ctx := context.Background()

	t.Run("backend terminated", func(t *testing.T) {
		app := "unavailable_" + fmt.Sprint(time.Now().UnixNano())
		s := openTest(t, Config{DSN: withParam(t, dsn, "application_name", app)})
		defer s.Close()

		errc := make(chan error, 1)
		go func() {
			_, err := s.db.exec(ctx, "SELECT pg_sleep(30)")
			errc <- err
		}()
		admin, err := pgx.Connect(ctx, base)
		require.NoError(t, err)
		defer admin.Close(ctx)
		require.Eventually(t, func() bool {
			var n int
			err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid))
				FROM pg_stat_activity WHERE application_name = $1
				AND query LIKE '%pg_sleep%' AND state = 'active'`, app).Scan(&n)
			return err == nil && n > 0
		}, 10*time.Second, 10*time.Millisecond)

		err = <-errc
		assert.ErrorIs(t, err, share.ErrUnavailable)
		var pe *pgconn.PgError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "57P01", pe.Code)
	})

	t.Run("server gone", func(t *testing.T) {
		p := newProxy(t, hostOf(t, dsn))
		s := openTest(t, Config{DSN: withHost(t, dsn, p.addr())})
		defer s.Close()
		h := sha("gone")
		require.NoError(t, s.CreateSession(ctx, share.Session{IDHash: h, Expires: epoch}))

		p.close()
		_, err := s.Session(ctx, h)
		assert.ErrorIs(t, err, share.ErrUnavailable)
		_, err = s.Session(ctx, h) // a fresh connection is refused
		assert.ErrorIs(t, err, share.ErrUnavailable)
		_, err = s.ConsumeAuthnRequest(ctx, "_x", epoch)
		assert.ErrorIs(t, err, share.ErrUnavailable)
		assert.NotErrorIs(t, err, share.ErrNotFound)
	})
}

// proxy forwards TCP connections to a server until it is closed, which
// ends the connections and refuses new ones, as a server that went away.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln}
	t.Cleanup(p.close)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// withParam returns dsn with the query parameter k set to v.
func withParam(t *testing.T, dsn, k, v string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

// withHost returns dsn with its host:port replaced.
func withHost(t *testing.T, dsn, hostport string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Host = hostport
	return u.String()
}

// hostOf returns the host:port of dsn.
func hostOf(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	return u.Host
}
