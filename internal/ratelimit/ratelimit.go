// Package ratelimit counts requests per key (a client address) in this process, for the JSON
// API's anonymous reads and the web forms. Each instance counts its own share: behind a load
// balancer of N instances a client gets at most N times the limit, which is enough to stop a
// script while a real user never notices.
package ratelimit

import (
	"math"
	"strconv"
	"sync"
	"time"
)

// Limiter allows Burst requests per key, refilled continuously over Period (a token bucket): a
// limit of 60 per minute lets 60 requests through at once, then one a second.
type Limiter struct {
	mu      sync.Mutex
	burst   float64
	period  time.Duration
	buckets map[string]*bucket
	now     func() time.Time
	lastGC  time.Time
}

type bucket struct {
	tokens float64
	seen   time.Time
}

// New returns a limiter of n requests per period and key; now is its clock (time.Now when nil).
func New(n int, period time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{burst: float64(n), period: period, buckets: map[string]*bucket{}, now: now}
}

// PerMinute returns a limiter of n requests per minute and key.
func PerMinute(n int, now func() time.Time) *Limiter { return New(n, time.Minute, now) }

// Allow takes a token for key; when none is left it returns false and how long to wait for one.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastGC) > l.period {
		// Forget keys idle for a whole period (their bucket is full again anyway), so the map
		// stays bounded by the traffic of the last period.
		for k, b := range l.buckets {
			if now.Sub(b.seen) > l.period {
				delete(l.buckets, k)
			}
		}
		l.lastGC = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, seen: now}
		l.buckets[key] = b
	}
	rate := l.burst / float64(l.period) // tokens per nanosecond
	b.tokens = math.Min(l.burst, b.tokens+float64(now.Sub(b.seen))*rate)
	b.seen = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate)
}

// RetryAfter renders a wait as whole seconds, rounded up (RFC 9110 delay-seconds).
func RetryAfter(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}
