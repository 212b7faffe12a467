package approval_test

import (
	"testing"

	"pgregory.net/rapid"

	"parcours/internal/approval"
	"parcours/internal/database"
	"parcours/internal/fault"
)

func day(s string) database.Date {
	d, err := database.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// pass is a PASS of 2026-01-01 to 2027-12-31 (730 days).
func pass() approval.Dates {
	d := approval.Dates{Start: day("2026-01-01")}
	d.Recompute()
	return d
}

func TestDefaultEnd(t *testing.T) {
	for _, tc := range []struct{ start, end string }{
		{"2026-01-01", "2027-12-31"},
		{"2027-03-01", "2029-02-27"}, // 2028 is a leap year: 730 days end a day earlier
		{"2024-02-29", "2026-02-27"},
	} {
		t.Run(tc.start, func(t *testing.T) {
			if got := approval.DefaultEnd(day(tc.start)); got != day(tc.end) {
				t.Errorf("DefaultEnd(%s) = %s, want %s", tc.start, got, tc.end)
			}
			if n := approval.DaysBetween(day(tc.start), day(tc.end)) + 1; n != 730 {
				t.Errorf("%d days", n)
			}
		})
	}
}

func TestStateOn(t *testing.T) {
	d := pass()
	d = approval.ApplySuspension(d, approval.Suspension{Start: day("2026-06-01"), End: day("2026-06-30")})
	// End moved by 30 days: 2028-01-30.
	interrupted := d
	interrupted.InterruptedOn = day("2026-09-10")
	for _, tc := range []struct {
		name string
		d    approval.Dates
		on   string
		want approval.State
		left int
	}{
		{"day before start", d, "2025-12-31", approval.Future, 760},
		{"start", d, "2026-01-01", approval.Valid, 760},
		{"day before suspension", d, "2026-05-31", approval.Valid, 610},
		{"suspension start", d, "2026-06-01", approval.Suspended, 609},
		{"suspension end", d, "2026-06-30", approval.Suspended, 580},
		{"day after suspension", d, "2026-07-01", approval.Valid, 579},
		{"end (moved)", d, "2028-01-30", approval.Valid, 1},
		{"day after end", d, "2028-01-31", approval.Expired, 0},
		{"interruption day", interrupted, "2026-09-10", approval.Valid, 1},
		{"day after interruption", interrupted, "2026-09-11", approval.Expired, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.StateOn(day(tc.on)); got != tc.want {
				t.Errorf("StateOn(%s) = %s, want %s", tc.on, got, tc.want)
			}
			if got := tc.d.DaysLeft(day(tc.on)); got != tc.left {
				t.Errorf("DaysLeft(%s) = %d, want %d", tc.on, got, tc.left)
			}
		})
	}
	if d.End != day("2028-01-30") {
		t.Errorf("end = %s", d.End)
	}
}

func TestInWaitingPeriod(t *testing.T) {
	last := day("2026-03-31")
	for _, tc := range []struct {
		on   string
		want bool
	}{
		{"2026-03-31", false}, // the PASS still runs
		{"2026-04-01", true},
		{"2028-03-30", true},
		{"2028-03-31", true}, // two years after the end
		{"2028-04-01", false},
	} {
		if got := approval.InWaitingPeriod(last, day(tc.on)); got != tc.want {
			t.Errorf("InWaitingPeriod(%s, %s) = %v, want %v", last, tc.on, got, tc.want)
		}
	}
}

func TestCheckSuspension(t *testing.T) {
	today := day("2026-08-01")
	hire := day("2026-01-01")
	withOne := approval.ApplySuspension(pass(), approval.Suspension{Start: day("2026-03-01"), End: day("2026-03-31")})
	in := func(start, end string) approval.SuspensionInput {
		i := approval.SuspensionInput{Start: day(start), Reason: approval.BrokenContract}
		if end != "" {
			i.End = day(end)
		}
		return i
	}
	for _, tc := range []struct {
		name  string
		d     approval.Dates
		kind  string
		in    approval.SuspensionInput
		today database.Date
		field string // "-" when valid
	}{
		{"today", pass(), "ACI", in("2026-08-01", "2026-09-01"), today, "-"},
		{"tomorrow is the future", pass(), "ACI", in("2026-08-02", "2026-09-01"), today, "start"},
		{"365 days back", pass(), "ACI", in("2025-08-01", ""), day("2026-08-01"), "start"}, // before the PASS
		{"365 days back inside the PASS", pass(), "ACI", in("2026-01-01", ""), day("2027-01-01"), "-"},
		{"366 days back", pass(), "ACI", in("2026-01-01", ""), day("2027-01-02"), "start"},
		{"day before the hire", pass(), "ACI", in("2026-01-01", ""), today, "-"},
		{"36 months", pass(), "ACI", in("2026-08-01", "2029-07-31"), today, "-"},
		{"36 months and a day", pass(), "ACI", in("2026-08-01", "2029-08-01"), today, "end"},
		{"end before start", pass(), "ACI", in("2026-08-01", "2026-07-31"), today, "end"},
		{"one day", pass(), "ACI", in("2026-08-01", "2026-08-01"), today, "-"},
		{"overlaps the end of another", withOne, "ACI", in("2026-03-31", "2026-04-10"), today, "start"},
		{"the day after another", withOne, "ACI", in("2026-04-01", "2026-04-10"), today, "-"},
		{"the day before another", withOne, "ACI", in("2026-02-01", "2026-02-28"), today, "-"},
		{"around another", withOne, "ACI", in("2026-02-01", "2026-04-10"), today, "start"},
		{"passerelle in an ACI", pass(), "ACI", approval.SuspensionInput{Start: today, Reason: approval.ContratPasserelle}, today, "-"},
		{"passerelle in an AI", pass(), "AI", approval.SuspensionInput{Start: today, Reason: approval.ContratPasserelle}, today, "reason"},
		{"historic reason", pass(), "ACI", approval.SuspensionInput{Start: today, Reason: approval.HistoricSickness}, today, "reason"},
		{"already suspended", withOne, "ACI", in("2026-03-15", ""), day("2026-03-15"), ""},
		{"future PASS", pass(), "ACI", in("2025-12-31", ""), day("2025-12-31"), ""},
		{"expired PASS", pass(), "ACI", in("2027-12-31", ""), day("2028-01-01"), ""},
		{"last day of the PASS", pass(), "ACI", in("2027-12-31", ""), day("2027-12-31"), "-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hire
			if tc.name == "day before the hire" {
				h = day("2026-01-02")
				tc.field = "start"
			}
			s, err := approval.CheckSuspension(tc.d, tc.kind, h, tc.in, tc.today)
			if tc.field == "-" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if s.End.IsZero() || s.End.After(approval.MaxSuspensionEnd(s.Start)) {
					t.Errorf("end %s", s.End)
				}
				return
			}
			if _, ok := fault.FieldsOf(err)[tc.field]; !ok {
				t.Errorf("want an error at %q, got %v", tc.field, err)
			}
		})
	}
}

func TestCheckProlongation(t *testing.T) {
	// End 2027-12-31: window 2026-12-31 to 2028-06-30.
	in := func(r approval.ProlongationReason, end string, report bool) approval.ProlongationInput {
		return approval.ProlongationInput{Reason: r, End: day(end), Report: report}
	}
	rqth := approval.ApplyProlongation(pass(), approval.Prolongation{Start: day("2028-01-01"), End: day("2028-12-30"), Reason: approval.RQTH})
	rqth = approval.ApplyProlongation(rqth, approval.Prolongation{Start: day("2028-12-31"), End: day("2029-12-30"), Reason: approval.RQTH})
	suspended := approval.ApplySuspension(pass(), approval.Suspension{Start: day("2027-06-01"), End: day("2027-06-30")})
	for _, tc := range []struct {
		name  string
		d     approval.Dates
		kind  string
		in    approval.ProlongationInput
		today string
		field string
	}{
		{"day before the window", pass(), "ACI", in(approval.CompleteTraining, "2028-06-30", false), "2026-12-30", ""},
		{"window opens", pass(), "ACI", in(approval.CompleteTraining, "2028-06-30", false), "2026-12-31", "-"},
		{"window closes", pass(), "ACI", in(approval.CompleteTraining, "2028-06-30", false), "2028-06-30", "-"},
		{"day after the window", pass(), "ACI", in(approval.CompleteTraining, "2028-06-30", false), "2028-07-01", ""},
		{"365 days", pass(), "ACI", in(approval.CompleteTraining, "2028-12-30", false), "2027-06-01", "-"},
		{"366 days", pass(), "ACI", in(approval.CompleteTraining, "2028-12-31", false), "2027-06-01", "end"},
		{"ends on the end", pass(), "ACI", in(approval.CompleteTraining, "2027-12-31", false), "2027-06-01", "end"},
		{"a day", pass(), "ACI", in(approval.CompleteTraining, "2028-01-01", false), "2027-06-01", "-"},
		{"senior CDI 10 years", pass(), "EI", in(approval.SeniorCDI, "2037-12-28", false), "2027-06-01", "-"},
		{"particular difficulties in an EI", pass(), "EI", in(approval.ParticularDifficulties, "2028-06-30", false), "2027-06-01", "reason"},
		{"particular difficulties in an ACI", pass(), "ACI", in(approval.ParticularDifficulties, "2028-06-30", false), "2027-06-01", "-"},
		{"RQTH in an AI needs a report", pass(), "AI", in(approval.RQTH, "2028-06-30", false), "2027-06-01", "report"},
		{"RQTH in an AI with a report", pass(), "AI", in(approval.RQTH, "2028-06-30", true), "2027-06-01", "-"},
		{"RQTH cap reached exactly", rqth, "ACI", in(approval.RQTH, "2030-12-30", false), "2029-06-01", "-"},
		{"RQTH cap passed by a day", rqth, "ACI", in(approval.RQTH, "2030-12-31", false), "2029-06-01", "end"},
		{"historic reason", pass(), "ACI", in(approval.HealthContext, "2028-06-30", false), "2027-06-01", "reason"},
		{"suspended", suspended, "ACI", in(approval.CompleteTraining, "2028-06-30", false), "2027-06-15", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := approval.CheckProlongation(tc.d, tc.kind, tc.in, day(tc.today))
			if tc.field == "-" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if p.Start != tc.d.End.AddDays(1) {
					t.Errorf("start %s", p.Start)
				}
				return
			}
			if _, ok := fault.FieldsOf(err)[tc.field]; !ok {
				t.Errorf("want an error at %q, got %v", tc.field, err)
			}
		})
	}
}

func TestApplyHire(t *testing.T) {
	future := approval.Dates{Start: day("2026-09-01")}
	future.Recompute()
	moved, err := approval.ApplyHire(future, day("2026-10-01"), day("2026-08-01"))
	if err != nil || moved.Start != day("2026-10-01") || moved.End != approval.DefaultEnd(day("2026-10-01")) {
		t.Errorf("a PASS not started moves with the hire: %+v %v", moved, err)
	}
	started, err := approval.ApplyHire(pass(), day("2026-10-01"), day("2026-08-01"))
	if err != nil || started.Start != day("2026-01-01") {
		t.Errorf("a started PASS keeps its start: %+v %v", started, err)
	}
	susp := approval.ApplySuspension(pass(), approval.Suspension{Start: day("2026-06-01"), End: day("2026-12-31")})
	got, err := approval.ApplyHire(susp, day("2026-09-01"), day("2026-08-01"))
	if err != nil || len(got.Suspensions) != 1 || got.Suspensions[0].End != day("2026-08-31") || !got.Suspensions[0].EndedByHire {
		t.Fatalf("the hire ends the suspension the day before: %+v %v", got, err)
	}
	if got.End != pass().End.AddDays(92) {
		t.Errorf("end %s, want %s", got.End, pass().End.AddDays(92))
	}
	got, err = approval.ApplyHire(susp, day("2026-06-01"), day("2026-05-20"))
	if err != nil || len(got.Suspensions) != 0 || got.End != pass().End {
		t.Errorf("a suspension not begun by the hire disappears: %+v %v", got, err)
	}
	// Boundaries of the hiring start against the end.
	if _, err := approval.ApplyHire(pass(), day("2027-12-31"), day("2027-12-01")); err != nil {
		t.Errorf("a hire on the last day: %v", err)
	}
	if _, err := approval.ApplyHire(pass(), day("2028-01-01"), day("2027-12-01")); fault.FieldsOf(err)["hiring_start"] == "" {
		t.Errorf("a hire the day after the end: %v", err)
	}
	if _, err := approval.ApplyHire(pass(), day("2028-01-01"), day("2028-01-01")); err == nil {
		t.Errorf("an expired PASS carries no hire")
	}
}

func TestInterruption(t *testing.T) {
	d := approval.ApplySuspension(pass(), approval.Suspension{Start: day("2026-02-01"), End: day("2026-07-31")})
	d = approval.ApplySuspension(d, approval.Suspension{Start: day("2026-08-01"), End: day("2027-07-31")})
	for _, tc := range []struct {
		on   string
		want bool
	}{
		{"2027-01-31", false},
		{"2027-02-01", true}, // 12 months after 2026-02-01, across two suspensions
		{"2027-02-02", true},
		{"2027-08-01", false}, // no longer suspended
	} {
		if got := approval.InterruptionAllowed(d, day(tc.on)); got != tc.want {
			t.Errorf("InterruptionAllowed(%s) = %v, want %v", tc.on, got, tc.want)
		}
	}
	if err := approval.CheckInterruption(d, "", day("2027-02-01")); fault.FieldsOf(err)["reason"] == "" {
		t.Errorf("a reason is required: %v", err)
	}
}

func TestProlongationWindowMonthEnds(t *testing.T) {
	open, closes := approval.ProlongationWindow(day("2027-08-31"))
	if open != day("2026-08-31") || closes != day("2028-02-29") {
		t.Errorf("window %s %s", open, closes)
	}
}

// Random histories of hires, suspensions and prolongations, each accepted by the rules: the end
// is always start + 729 + the suspended days + the prolonged days, suspensions never overlap nor
// prolongations, and recomputing changes nothing.
func TestHistories(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		start := day("2026-01-01").AddDays(rapid.IntRange(0, 400).Draw(t, "start"))
		d := approval.Dates{Start: start}
		d.Recompute()
		today := start.AddDays(rapid.IntRange(-60, 0).Draw(t, "first"))
		kinds := []string{"EI", "AI", "ACI", "ETTI", "EITI"}
		kind := kinds[rapid.IntRange(0, len(kinds)-1).Draw(t, "kind")]
		hire := start
		for range rapid.IntRange(1, 25).Draw(t, "steps") {
			today = today.AddDays(rapid.IntRange(0, 200).Draw(t, "wait"))
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0:
				s, err := approval.CheckSuspension(d, kind, hire, approval.SuspensionInput{
					Start:  today.AddDays(-rapid.IntRange(0, 400).Draw(t, "back")),
					End:    today.AddDays(rapid.IntRange(0, 1200).Draw(t, "len")),
					Reason: approval.SuspensionReasons(kind)[0]}, today)
				if err == nil {
					d = approval.ApplySuspension(d, s)
				}
			case 1:
				rules := approval.ProlongationReasons(kind)
				r := rules[rapid.IntRange(0, len(rules)-1).Draw(t, "reason")]
				p, err := approval.CheckProlongation(d, kind, approval.ProlongationInput{Reason: r.Reason,
					End: d.End.AddDays(rapid.IntRange(1, 400).Draw(t, "days")), Report: true}, today)
				if err == nil {
					d = approval.ApplyProlongation(d, p)
				}
			case 2:
				h := today.AddDays(rapid.IntRange(0, 180).Draw(t, "hire"))
				if next, err := approval.ApplyHire(d, h, today); err == nil {
					d, hire = next, h
				}
			}
			check(t, d)
		}
	})
}

func check(t *rapid.T, d approval.Dates) {
	n := 729
	for _, s := range d.Suspensions {
		n += s.Days()
		if s.End.Before(s.Start) {
			t.Fatalf("suspension %s-%s backwards", s.Start, s.End)
		}
		if s.Start.Before(d.Start) || s.Start.After(d.End) {
			t.Fatalf("suspension %s outside the PASS %s-%s", s.Start, d.Start, d.End)
		}
	}
	for _, p := range d.Prolongations {
		n += p.Days()
	}
	if d.End != d.Start.AddDays(n) {
		t.Fatalf("end %s, want start %s + %d", d.End, d.Start, n)
	}
	for i, a := range d.Suspensions {
		for _, b := range d.Suspensions[i+1:] {
			if !a.Start.After(b.End) && !b.Start.After(a.End) {
				t.Fatalf("suspensions overlap: %s-%s and %s-%s", a.Start, a.End, b.Start, b.End)
			}
		}
	}
	for i, a := range d.Prolongations {
		for _, b := range d.Prolongations[i+1:] {
			if !a.Start.After(b.End) && !b.Start.After(a.End) {
				t.Fatalf("prolongations overlap: %s-%s and %s-%s", a.Start, a.End, b.Start, b.End)
			}
		}
	}
	again := d
	again.Recompute()
	again.Recompute()
	if again.End != d.End {
		t.Fatalf("recompute moved the end: %s to %s", d.End, again.End)
	}
}
