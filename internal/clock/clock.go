// Package clock gives the platform one source of "now", so that rules that depend on time
// (expiries, retention, inactivity) can be tested at their exact day boundaries.
package clock

import (
	"sync"
	"time"
)

// Clock returns the current instant. Implementations return UTC, truncated to the microsecond,
// because PostgreSQL keeps microseconds and both engines must store the same value.
type Clock interface {
	Now() time.Time
}

// Paris is the time zone in which French calendar dates ("today", a PASS end date) are read.
var Paris = mustLoad("Europe/Paris")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// time/tzdata is embedded by the main package, so this only fails on a broken build.
		panic("clock: time zone " + name + ": " + err.Error())
	}
	return loc
}

// System is the real clock.
type System struct{}

// Now returns the current UTC time truncated to the microsecond.
func (System) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// DateOf returns the Paris calendar date of t as midnight UTC.
func DateOf(t time.Time) time.Time {
	y, m, d := t.In(Paris).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Fake is a clock that only moves when told to. It is safe for concurrent use.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a fake clock set at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t.UTC().Truncate(time.Microsecond)} }

// Now returns the fake current time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the clock forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d).Truncate(time.Microsecond)
}

// Set moves the clock to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t.UTC().Truncate(time.Microsecond)
}
