package database

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"parcours/internal/clock"
)

// Date is a calendar date (a convention's end, a birth date, a PASS IAE's end): no time of day,
// no time zone. It is stored as DATE on PostgreSQL and as 'YYYY-MM-DD' text on SQLite, which
// sorts and compares correctly as text. The zero Date is NULL.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParisDate returns the calendar date of t in Paris, where French dates are read (today, the
// day a contract starts, the day an aid was paid): at 23:30 UTC it is already tomorrow there.
func ParisDate(t time.Time) Date { return DateOf(clock.DateOf(t)) }

// ParseDate reads "YYYY-MM-DD" (what HTML date inputs send) or "DD/MM/YYYY" (what people type).
func ParseDate(s string) (Date, error) {
	for _, layout := range []string{time.DateOnly, "02/01/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return DateOf(t), nil
		}
	}
	return Date{}, fmt.Errorf("date attendue au format JJ/MM/AAAA, reçu %q", s)
}

// IsZero tells whether the date is unset.
func (d Date) IsZero() bool { return d == Date{} }

// Time is midnight UTC of the date.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// AddDays returns the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// Before, After and Compare order dates.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }
func (d Date) After(o Date) bool  { return d.Compare(o) > 0 }
func (d Date) Compare(o Date) int { return d.Time().Compare(o.Time()) }

// String is "YYYY-MM-DD" ("" when unset).
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Time().Format(time.DateOnly)
}

// French is "JJ/MM/AAAA", for pages and mails.
func (d Date) French() string {
	if d.IsZero() {
		return ""
	}
	return d.Time().Format("02/01/2006")
}

// Value stores the date as text; PostgreSQL casts it to DATE.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a DATE (time.Time from pgx, text or time.Time from SQLite).
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case time.Time:
		*d = DateOf(v.UTC())
		return nil
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	}
	return fmt.Errorf("date : type %T illisible", src)
}

func (d *Date) scanText(s string) error {
	if len(s) >= 10 {
		s = s[:10]
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("date %q illisible : %w", s, err)
	}
	*d = DateOf(t)
	return nil
}

// MarshalJSON writes "YYYY-MM-DD" or null.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}
