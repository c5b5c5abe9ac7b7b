package sharehttp

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter keeps one token bucket per client key, forgetting the least
// recently seen clients past a bound. It is safe for concurrent use.
type limiter struct {
	limit RateLimit
	max   int

	mu      sync.Mutex
	clients map[string]*clientBucket
}

// clientBucket is one client's bucket and when it was last used.
type clientBucket struct {
	b    *rate.Limiter
	seen time.Time
}

// newLimiter returns a limiter for l keeping at most max clients.
func newLimiter(l RateLimit, max int) *limiter {
	return &limiter{limit: l, max: max, clients: make(map[string]*clientBucket)}
}

// allow takes a token from key's bucket at now.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.clients[key]
	if !ok {
		if len(l.clients) >= l.max {
			l.evict()
		}
		c = &clientBucket{b: rate.NewLimiter(l.limit.Rate, l.limit.Burst)}
		l.clients[key] = c
	}
	c.seen = now
	return c.b.AllowN(now, 1)
}

// evict forgets the oldest half of the clients. It runs rarely, when the
// map is full, so its linear cost is spread over many requests.
func (l *limiter) evict() {
	var oldest time.Time
	for _, c := range l.clients {
		if oldest.IsZero() || c.seen.Before(oldest) {
			oldest = c.seen
		}
	}
	var newest time.Time
	for _, c := range l.clients {
		if c.seen.After(newest) {
			newest = c.seen
		}
	}
	mid := oldest.Add(newest.Sub(oldest) / 2)
	for k, c := range l.clients {
		if !c.seen.After(mid) {
			delete(l.clients, k)
		}
	}
}

// remoteIP is the default client key: the IP address of r.RemoteAddr.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
