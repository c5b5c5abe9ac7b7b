package main

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// connReserve is how many file descriptors the default connection cap
// leaves for everything else: the store's files or connections, IdP
// metadata and Confluence fetches, and the process's own files.
const connReserve = 256

// connMinIdle is how long a keep-alive connection must have been idle
// before the cap may close it. A client can send its next request at the
// moment the connection is closed, and then sees the connection reset
// (browsers and Go's client send it again on a new connection, as they do
// when a server's idle timeout closes one); a connection idle this long
// is unlikely to be in that moment.
const connMinIdle = time.Second

// defaultMaxConnections is the connection cap for a process allowed
// fdLimit open files: all but connReserve of them, and at least 64.
func defaultMaxConnections(fdLimit uint64) int {
	if fdLimit <= connReserve+64 {
		return 64
	}
	if fdLimit > 1<<20 {
		fdLimit = 1 << 20
	}
	return int(fdLimit - connReserve)
}

// connLimiter caps the connections a listener serves at once, so that a
// crowd of clients cannot take the file descriptors the store and the
// outbound fetches need (which would fail every request, not only new
// ones). A client that connects at the cap makes room: the keep-alive
// connection idle longest, if it has been idle for minIdle, is closed; a
// connection serving a request is never closed here. While no connection
// has been idle that long, that client waits, and the ones after it wait
// in the kernel's backlog. A connection that has sent nothing yet holds
// its slot until the server's ReadHeaderTimeout closes it.
//
// Its ConnState must be the http.Server's ConnState, so that it knows
// which connections are idle.
type connLimiter struct {
	net.Listener
	slots   chan struct{}
	log     *slog.Logger
	minIdle time.Duration

	mu     sync.Mutex
	idle   map[net.Conn]time.Time
	warned time.Time
	done   chan struct{}
	closed bool
}

// limitConnections returns ln capped at max open connections.
func limitConnections(ln net.Listener, max int, log *slog.Logger) *connLimiter {
	return &connLimiter{Listener: ln, slots: make(chan struct{}, max), log: log,
		minIdle: connMinIdle, idle: map[net.Conn]time.Time{}, done: make(chan struct{})}
}

// Accept accepts the next connection, then waits for a slot for it,
// closing the idlest connection every 100 ms while there is none.
func (l *connLimiter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	for {
		select {
		case l.slots <- struct{}{}:
			return &limitedConn{Conn: c, l: l}, nil
		default:
		}
		l.closeIdlest()
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case l.slots <- struct{}{}:
			t.Stop()
			return &limitedConn{Conn: c, l: l}, nil
		case <-t.C:
		case <-l.done:
			t.Stop()
			_ = c.Close()
			return nil, net.ErrClosed
		}
	}
}

// Close closes the listener and ends any Accept waiting for a slot.
func (l *connLimiter) Close() error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.done)
	}
	l.mu.Unlock()
	return l.Listener.Close()
}

// ConnState tracks which connections are idle between requests.
func (l *connLimiter) ConnState(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if state == http.StateIdle {
		l.idle[c] = time.Now()
	} else {
		delete(l.idle, c)
	}
}

// closeIdlest closes the connection idle longest, if it has been idle for
// minIdle; at most once a minute it logs that the cap was reached.
func (l *connLimiter) closeIdlest() {
	l.mu.Lock()
	var oldest net.Conn
	since := time.Now().Add(-l.minIdle)
	for c, t := range l.idle {
		if !t.After(since) {
			oldest, since = c, t
		}
	}
	delete(l.idle, oldest)
	warn := time.Since(l.warned) >= time.Minute
	if warn {
		l.warned = time.Now()
	}
	l.mu.Unlock()
	if warn {
		l.log.Warn("connection cap reached: closing idle keep-alive connections, "+
			"and new clients wait until connections close (see --max-connections)",
			slog.Int("max_connections", cap(l.slots)))
	}
	if oldest != nil {
		_ = oldest.Close()
	}
}

// limitedConn gives its slot back when closed.
type limitedConn struct {
	net.Conn
	l    *connLimiter
	once sync.Once
}

// Close closes the connection and frees its slot, once.
func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.idle, c)
		c.l.mu.Unlock()
		<-c.l.slots
	})
	return err
}
