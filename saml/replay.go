package saml

import (
	"context"
	"sync"
	"time"
)

// ReplayCache remembers assertion IDs so that each is accepted once
// (SAML 2.0 Profiles, section 4.1.4.5). Implementations must be safe for
// concurrent use and, when several instances serve one SP, shared between
// them.
type ReplayCache interface {
	// ClaimAssertion records id until expires. It reports fresh=false
	// when id was already claimed and has not yet expired.
	ClaimAssertion(ctx context.Context, id string, expires time.Time) (fresh bool, err error)
}

// MemoryReplayCache is a [ReplayCache] for a single process. The zero
// value is ready to use and is safe for concurrent use. Entries are swept
// as later claims arrive.
type MemoryReplayCache struct {
	// Now is the clock used for expiry; nil means time.Now.
	Now func() time.Time

	mu        sync.Mutex
	ids       map[string]time.Time
	lastSweep time.Time
}

// ClaimAssertion implements [ReplayCache].
func (c *MemoryReplayCache) ClaimAssertion(_ context.Context, id string, expires time.Time) (bool, error) {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil {
		c.ids = make(map[string]time.Time)
	}
	if now.Sub(c.lastSweep) > time.Minute {
		for k, exp := range c.ids {
			if !now.Before(exp) {
				delete(c.ids, k)
			}
		}
		c.lastSweep = now
	}
	if exp, ok := c.ids[id]; ok && now.Before(exp) {
		return false, nil
	}
	c.ids[id] = expires
	return true, nil
}
