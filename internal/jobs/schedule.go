package jobs

import (
	"fmt"
	"time"

	"parcours/internal/clock"
)

// schedule cuts time into slots; a job runs at most once per slot (plus retries of that run).
type schedule interface {
	// slot returns the slot that contains now: start <= now < end.
	slot(now time.Time) (start, end time.Time)
}

// every cuts time into fixed intervals aligned on the Unix epoch, so that every instance
// computes the same slots whatever its start time.
type every time.Duration

func (e every) slot(now time.Time) (time.Time, time.Time) {
	start := now.UTC().Truncate(time.Duration(e))
	return start, start.Add(time.Duration(e))
}

// daily cuts time into days that start at a wall-clock time in Paris. A slot is therefore 23,
// 24 or 25 hours long, and its run happens at the same Paris time on both sides of a daylight
// saving change.
type daily struct{ hour, minute int }

// parseDaily reads "HH:MM". Times from 02:00 to 02:59 are refused: in Paris they do not exist on
// the spring change day and happen twice on the autumn one, so "once a day at that time" would
// be ambiguous.
func parseDaily(s string) (daily, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return daily{}, fmt.Errorf("heure quotidienne %q : attendu HH:MM", s)
	}
	if t.Hour() == 2 {
		return daily{}, fmt.Errorf("heure quotidienne %q : entre 02:00 et 02:59 l'heure de Paris est ambiguë les jours de changement d'heure", s)
	}
	return daily{hour: t.Hour(), minute: t.Minute()}, nil
}

func (d daily) at(y int, m time.Month, day int) time.Time {
	return time.Date(y, m, day, d.hour, d.minute, 0, 0, clock.Paris).UTC()
}

func (d daily) slot(now time.Time) (time.Time, time.Time) {
	y, m, day := now.In(clock.Paris).Date()
	start := d.at(y, m, day)
	if start.After(now) {
		start = d.at(y, m, day-1)
	}
	sy, sm, sd := start.In(clock.Paris).Date()
	return start, d.at(sy, sm, sd+1)
}
