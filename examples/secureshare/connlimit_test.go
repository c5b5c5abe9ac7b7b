package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// counts are the connections the server reported opened and closed.
type counts struct{ opened, closed atomic.Int64 }

// limitedServer serves h on loopback behind a connLimiter of max that
// may close connections idle for minIdle, and counts connections.
func limitedServer(t *testing.T, max int, minIdle time.Duration, h http.Handler) (string,
	*counts) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := limitConnections(ln, max, slog.New(slog.DiscardHandler))
	l.minIdle = minIdle
	n := &counts{}
	srv := &http.Server{Handler: h, ConnState: func(c net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			n.opened.Add(1)
		case http.StateClosed:
			n.closed.Add(1)
		}
		l.ConnState(c, s)
	}}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String(), n
}

// client is an HTTP client with its own keep-alive connection pool.
func client() *http.Client {
	return &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
}

// getLater gets u with a new client in the background, and sends the
// error (nil once the whole answer was read) when done.
func getLater(u string) <-chan error {
	done := make(chan error, 1)
	go func() {
		resp, err := client().Get(u)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			err = resp.Body.Close()
		}
		done <- err
	}()
	return done
}

func getOK(t *testing.T, c *http.Client, u string) {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestConnLimiterClosesIdle: at the cap, a new client is served by
// closing a keep-alive connection that sits idle; the cap is never
// exceeded.
func TestConnLimiterClosesIdle(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	u, n := limitedServer(t, 2, 0, h)

	a, b, c := client(), client(), client()
	getOK(t, a, u)
	getOK(t, b, u)
	assert.EqualValues(t, 2, n.opened.Load(), "two connections kept alive")
	assert.Zero(t, n.closed.Load())
	getOK(t, c, u)
	assert.Eventually(t, func() bool { return n.closed.Load() == 1 }, 5*time.Second,
		10*time.Millisecond, "one idle connection was closed to make room")
	assert.EqualValues(t, 2, n.opened.Load()-n.closed.Load(), "never more than the cap open")
	getOK(t, a, u) // a's connection may be the one closed; the client reconnects
	getOK(t, b, u)
}

// TestConnLimiterSparesFreshIdle: a keep-alive connection idle for less
// than minIdle is not closed for the cap (its client may be sending its
// next request); the new client waits until a connection closes.
func TestConnLimiterSparesFreshIdle(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	u, n := limitedServer(t, 1, time.Hour, h)

	a := client()
	getOK(t, a, u)
	done := getLater(u)
	select {
	case err := <-done:
		t.Fatalf("a connection idle for less than minIdle was closed to serve another: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	assert.Zero(t, n.closed.Load(), "the idle connection was kept")

	a.CloseIdleConnections() // its client lets it go: the slot frees
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting client was never served")
	}
}

// TestConnLimiterKeepsActive: a connection in the middle of a request is
// never closed for the cap; the new client waits until it is idle.
func TestConnLimiterKeepsActive(t *testing.T) {
	release := make(chan struct{})
	var served atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		served.Add(1)
	})
	u, n := limitedServer(t, 1, 0, h)

	slow := getLater(u + "/slow")
	time.Sleep(200 * time.Millisecond) // the slow request holds the only slot

	fast := getLater(u + "/fast")
	select {
	case err := <-fast:
		t.Fatalf("served past the cap while the only connection was busy: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	assert.Zero(t, served.Load(), "nothing was served yet")

	close(release)
	require.NoError(t, <-slow, "the busy connection was not cut")
	select {
	case err := <-fast:
		require.NoError(t, err, "served once the first connection went idle")
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting client was never served")
	}
	assert.EqualValues(t, 2, served.Load())
	// The server reports the closed connection after the limiter has
	// given its slot to the new one, so wait for the report.
	assert.Eventually(t, func() bool { return n.closed.Load() == 1 }, 5*time.Second,
		10*time.Millisecond, "the first connection, once idle, was closed")
}

// TestConnLimiterClose: closing the listener ends an Accept waiting for
// a slot for a client that connected at the cap.
func TestConnLimiterClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := limitConnections(ln, 1, slog.New(slog.DiscardHandler))
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		defer c.Close()
	}
	first, err := l.Accept()
	require.NoError(t, err)
	defer first.Close()

	accepted := make(chan error, 1)
	go func() { _, err := l.Accept(); accepted <- err }() // the second waits for a slot
	time.Sleep(150 * time.Millisecond)
	require.NoError(t, l.Close())
	select {
	case err := <-accepted:
		assert.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still waits after Close")
	}
}

func TestDefaultMaxConnections(t *testing.T) {
	for _, tt := range []struct {
		files uint64
		want  int
	}{
		{1024, 768}, {20000, 19744}, {256, 64}, {320, 64}, {321, 65}, {1 << 30, 1<<20 - 256},
	} {
		assert.Equal(t, tt.want, defaultMaxConnections(tt.files), "%d files", tt.files)
	}
}
