package api

import (
	"testing"
	"time"
)

func TestLimiterAllowsSixtyAMinutePerClient(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	l := newLimiter(60, func() time.Time { return now })
	for i := range 60 {
		if ok, _ := l.allow("192.0.2.1"); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	ok, wait := l.allow("192.0.2.1")
	if ok || wait <= 0 || wait > time.Second+time.Millisecond {
		t.Fatalf("61st request: ok=%v wait=%v (one token comes back each second)", ok, wait)
	}
	if ok, _ := l.allow("192.0.2.2"); !ok {
		t.Fatal("another client was limited")
	}
	now = now.Add(time.Second)
	if ok, _ := l.allow("192.0.2.1"); !ok {
		t.Fatal("no token back after a second")
	}
	if ok, _ := l.allow("192.0.2.1"); ok {
		t.Fatal("two tokens back after one second")
	}
	now = now.Add(2 * time.Minute)
	for i := range 60 {
		if ok, _ := l.allow("192.0.2.1"); !ok {
			t.Fatalf("after a pause, request %d refused", i+1)
		}
	}
	if got := retryAfter(1500 * time.Millisecond); got != "2" {
		t.Fatalf("Retry-After %s", got)
	}
}
