package jobs

import (
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"parcours/internal/clock"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestDailySlotAcrossDaylightSavingChanges(t *testing.T) {
	d, err := parseDaily("03:30")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, now, start, end string
	}{
		{"winter, before the time", "2026-01-15T02:29:59Z", "2026-01-14T02:30:00Z", "2026-01-15T02:30:00Z"},
		{"winter, at the time", "2026-01-15T02:30:00Z", "2026-01-15T02:30:00Z", "2026-01-16T02:30:00Z"},
		// 29 March 2026: 02:00 CET jumps to 03:00 CEST, so that day's slot starts at 01:30 UTC
		// and the slot before it lasts 23 hours.
		{"spring change, just after the jump", "2026-03-29T01:00:00Z", "2026-03-28T02:30:00Z", "2026-03-29T01:30:00Z"},
		{"spring change, at the time", "2026-03-29T01:30:00Z", "2026-03-29T01:30:00Z", "2026-03-30T01:30:00Z"},
		{"summer", "2026-07-01T12:00:00Z", "2026-07-01T01:30:00Z", "2026-07-02T01:30:00Z"},
		// 25 October 2026: 03:00 CEST goes back to 02:00 CET; the slot across it lasts 25 hours.
		{"autumn change, before the time", "2026-10-25T02:00:00Z", "2026-10-24T01:30:00Z", "2026-10-25T02:30:00Z"},
		{"autumn change, at the time", "2026-10-25T02:30:00Z", "2026-10-25T02:30:00Z", "2026-10-26T02:30:00Z"},
		{"new year in Paris, still 31 December in UTC", "2026-12-31T23:30:00Z", "2026-12-31T02:30:00Z", "2027-01-01T02:30:00Z"},
	} {
		start, end := d.slot(utc(tc.now))
		if !start.Equal(utc(tc.start)) || !end.Equal(utc(tc.end)) {
			t.Errorf("%s: slot(%s) = [%s, %s), want [%s, %s)", tc.name, tc.now,
				start.Format(time.RFC3339), end.Format(time.RFC3339), tc.start, tc.end)
		}
	}
}

func TestDailySlotProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		hour := rapid.SampledFrom([]int{0, 1, 3, 4, 5, 12, 18, 23}).Draw(t, "hour")
		minute := rapid.IntRange(0, 59).Draw(t, "minute")
		d := daily{hour: hour, minute: minute}
		base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		now := base.Add(time.Duration(rapid.Int64Range(0, int64(15*365*24*time.Hour)).Draw(t, "offset")))
		start, end := d.slot(now)
		if now.Before(start) || !now.Before(end) {
			t.Fatalf("now %v outside its slot [%v, %v)", now, start, end)
		}
		for _, b := range []time.Time{start, end} {
			p := b.In(clock.Paris)
			if p.Hour() != hour || p.Minute() != minute || p.Second() != 0 {
				t.Fatalf("slot bound %v is %s in Paris, want %02d:%02d", b, p.Format("15:04:05"), hour, minute)
			}
		}
		if l := end.Sub(start); l != 23*time.Hour && l != 24*time.Hour && l != 25*time.Hour {
			t.Fatalf("slot lasts %v", l)
		}
		sy, sm, sd := start.In(clock.Paris).Date()
		if ey, em, ed := end.In(clock.Paris).Date(); time.Date(sy, sm, sd+1, 0, 0, 0, 0, time.UTC) != time.Date(ey, em, ed, 0, 0, 0, 0, time.UTC) {
			t.Fatalf("slot [%v, %v) does not span one Paris day", start, end)
		}
		// The next slot starts where this one ends.
		if ns, _ := d.slot(end); !ns.Equal(end) {
			t.Fatalf("slot after %v starts at %v", end, ns)
		}
	})
}

func TestEverySlotsAreAlignedAndContiguous(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := every(time.Duration(rapid.IntRange(1, 86400).Draw(t, "seconds")) * time.Second)
		now := time.Unix(rapid.Int64Range(1_600_000_000, 2_100_000_000).Draw(t, "unix"), 0).UTC()
		start, end := e.slot(now)
		if now.Before(start) || !now.Before(end) || end.Sub(start) != time.Duration(e) {
			t.Fatalf("slot(%v) = [%v, %v)", now, start, end)
		}
		if ns, _ := e.slot(end); !ns.Equal(end) {
			t.Fatalf("slot after %v starts at %v", end, ns)
		}
	})
}

func TestParseDaily(t *testing.T) {
	for in, ok := range map[string]bool{
		"03:30": true, "00:00": true, "23:59": true, "3:30": false, "24:00": false,
		"02:30": false, "02:00": false, "01:59": true, "": false, "03h30": false,
	} {
		if _, err := parseDaily(in); (err == nil) != ok {
			t.Errorf("parseDaily(%q) = %v", in, err)
		}
	}
}

func TestBackoffDoublesUpToAnHour(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, time.Hour, time.Hour}
	for i, w := range want {
		if got := backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}

func TestRedactRemovesAddressesAndNumbers(t *testing.T) {
	got := redact("envoi à jean.dupont@example.org refusé ; NIR 1 84 12 75 123 456 78 ; tel 0612345678 ; 42 lignes")
	for _, leak := range []string{"jean", "example.org", "84 12", "0612345678"} {
		if strings.Contains(got, leak) {
			t.Errorf("redact kept %q: %s", leak, got)
		}
	}
	if !strings.Contains(got, "42 lignes") {
		t.Errorf("redact removed a small count: %s", got)
	}
}
