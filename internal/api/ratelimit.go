package api

import (
	"math"
	"strconv"
	"sync"
	"time"
)

// limiter allows a number of requests per client address in a sliding minute (a token bucket
// refilled continuously). It lives in this process: behind a load balancer each instance
// counts its own share, which bounds a client at N × the limit — acceptable for anonymous
// reads; per-token quotas for partners will be kept in the database.
type limiter struct {
	mu      sync.Mutex
	perMin  float64
	buckets map[string]*bucket
	now     func() time.Time
	lastGC  time.Time
}

type bucket struct {
	tokens float64
	seen   time.Time
}

func newLimiter(perMinute int, now func() time.Time) *limiter {
	return &limiter{perMin: float64(perMinute), buckets: map[string]*bucket{}, now: now}
}

// allow takes a token for key; when none is left it returns how long to wait.
func (l *limiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastGC) > time.Minute {
		// Forget clients idle for a minute (their bucket is full again anyway), so the map
		// stays bounded by the traffic of the last minute.
		for k, b := range l.buckets {
			if now.Sub(b.seen) > time.Minute {
				delete(l.buckets, k)
			}
		}
		l.lastGC = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.perMin, seen: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.perMin, b.tokens+now.Sub(b.seen).Minutes()*l.perMin)
	b.seen = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.perMin * float64(time.Minute))
	return false, wait
}

// retryAfter renders a wait as whole seconds, rounded up (RFC 9110 delay-seconds).
func retryAfter(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}
