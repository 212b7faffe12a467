package ratelimit_test

import (
	"testing"
	"time"

	"parcours/internal/ratelimit"
)

func TestLimiterAllowsSixtyAMinutePerClient(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	l := ratelimit.PerMinute(60, func() time.Time { return now })
	for i := range 60 {
		if ok, _ := l.Allow("192.0.2.1"); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	ok, wait := l.Allow("192.0.2.1")
	if ok || wait <= 0 || wait > time.Second+time.Millisecond {
		t.Fatalf("61st request: ok=%v wait=%v (one token comes back each second)", ok, wait)
	}
	if ok, _ := l.Allow("192.0.2.2"); !ok {
		t.Fatal("another client was limited")
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow("192.0.2.1"); !ok {
		t.Fatal("no token back after a second")
	}
	if ok, _ := l.Allow("192.0.2.1"); ok {
		t.Fatal("two tokens back after one second")
	}
	now = now.Add(2 * time.Minute)
	for i := range 60 {
		if ok, _ := l.Allow("192.0.2.1"); !ok {
			t.Fatalf("after a pause, request %d refused", i+1)
		}
	}
	if got := ratelimit.RetryAfter(1500 * time.Millisecond); got != "2" {
		t.Fatalf("Retry-After %s", got)
	}
}

// A limit over an hour refills one token every period/n: 20 sign-ups an hour give one back
// every three minutes.
func TestLimiterOverAnHour(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	l := ratelimit.New(20, time.Hour, func() time.Time { return now })
	for i := range 20 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != 3*time.Minute {
		t.Fatalf("21st: ok=%v wait=%v, want a 3 min wait", ok, wait)
	}
	now = now.Add(3 * time.Minute)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("no token back after 3 minutes")
	}
}
