package offer_test

import (
	"slices"
	"testing"
	"time"

	"parcours/internal/database"
	"parcours/internal/offer"
)

func TestConventionAndActivityRules(t *testing.T) {
	today := date("2026-03-15")
	for _, tc := range []struct {
		kind string
		ends string
		want bool
	}{
		{"ACI", "2026-12-31", true},
		{"ACI", "2026-03-15", true},  // ends today
		{"EI", "2026-02-13", true},   // ended 30 days ago: last day of grace
		{"EI", "2026-02-12", false},  // 31 days ago
		{"AI", "", false},            // no convention
		{"GEIQ", "", true},           // GEIQ always
		{"GEIQ", "2020-01-01", true}, // even with an old date
		{"ETTI", "2026-02-14", true},
		{"EITI", "2025-01-01", false},
		{"FT", "2027-01-01", false}, // not a structure kind
		{"", "2027-01-01", false},
	} {
		var ends database.Date
		if tc.ends != "" {
			ends = date(tc.ends)
		}
		if got := offer.StructureActive(tc.kind, ends, today); got != tc.want {
			t.Errorf("StructureActive(%s, ends %s, on %s) = %v", tc.kind, tc.ends, today, got)
		}
	}
	// An antenna carries its parent's convention (loaded with it) and has its 30 days of grace:
	// active through 2026-03-22, no longer on the 23rd.
	parent := offer.Structure{Kind: "ACI", Convention: offer.Convention{EndsOn: date("2026-02-20")}}
	antenna := offer.Structure{Kind: "ACI", ParentID: [16]byte{1}, Convention: parent.Convention}
	if !antenna.Active(today) || !antenna.Active(date("2026-03-22")) || antenna.Active(date("2026-03-23")) {
		t.Error("antenna does not follow its parent's convention")
	}
	closed := parent
	closed.OrgDeactivatedAt = time.Now()
	if closed.Active(today) {
		t.Error("a closed organisation is active")
	}
}

func TestContractTypesPerKind(t *testing.T) {
	for _, tc := range []struct {
		kind string
		want []offer.ContractType
	}{
		{"EI", []offer.ContractType{"cddi", "cdd_usage", "interim", "pro", "other"}},
		{"AI", []offer.ContractType{"cddi", "cdd_usage", "interim", "pro", "other"}},
		{"ETTI", []offer.ContractType{"cddi", "cdd_usage", "interim", "pro", "other"}},
		{"ACI", []offer.ContractType{"cddi", "cddi_phc", "cddi_cvg", "cdd_usage", "interim", "pro", "other"}},
		{"EITI", []offer.ContractType{"business_creation", "other"}},
		{"GEIQ", []offer.ContractType{"apprenticeship", "pro", "other"}},
		{"FT", nil},
	} {
		if got := offer.ContractTypesFor(tc.kind); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.kind, got, tc.want)
		}
	}
	if offer.ContractAllowed("EITI", offer.ContractCDDI) || !offer.ContractAllowed("GEIQ", offer.ContractApprenticeship) ||
		offer.ContractAllowed("EI", offer.ContractCDDIPHC) {
		t.Error("ContractAllowed disagrees with the table")
	}
	for _, c := range offer.ContractTypes() {
		if c.Label() == "" {
			t.Errorf("%s has no label", c)
		}
	}
	if offer.ContractType("cdi").Label() != "" {
		t.Error("unknown contract type has a label")
	}
}

func TestNinetyDayRules(t *testing.T) {
	paris := func(y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, time.FixedZone("CET", 3600)).UTC()
	}
	// 00:30 on 1 January in Paris is still 31 December in UTC: day 0 is the Paris date.
	updated := paris(2026, 1, 1, 0, 30)
	for _, tc := range []struct {
		today          string
		stale          int
		warn           bool
		daysLeft       int
		spontaneousOpn bool
	}{
		{"2026-01-01", 0, false, 90, true},
		{"2026-03-01", 59, false, 31, true},
		{"2026-03-02", 60, true, 30, true},
		{"2026-03-03", 61, true, 29, true},
		{"2026-03-31", 89, true, 1, true},
		{"2026-04-01", 90, true, 0, false},
		{"2026-04-02", 91, true, 0, false},
	} {
		today := date(tc.today)
		jd := offer.JobDescription{Active: true, UpdatedAt: updated}
		if got := offer.StaleDays(updated, today); got != tc.stale {
			t.Errorf("%s: StaleDays = %d, want %d", tc.today, got, tc.stale)
		}
		if got := offer.NeedsUpdateWarning(jd, today); got != tc.warn {
			t.Errorf("%s: NeedsUpdateWarning = %v", tc.today, got)
		}
		if got := offer.DaysBeforeDeactivation(jd, today); got != tc.daysLeft {
			t.Errorf("%s: DaysBeforeDeactivation = %d, want %d", tc.today, got, tc.daysLeft)
		}
		if got := offer.SpontaneousOpen(updated, today); got != tc.spontaneousOpn {
			t.Errorf("%s: SpontaneousOpen = %v", tc.today, got)
		}
		jd.Active = false
		if offer.NeedsUpdateWarning(jd, today) {
			t.Errorf("%s: warning on an inactive job description", tc.today)
		}
	}
	if got := offer.DeactivatesOn(updated); got != date("2026-04-01") {
		t.Errorf("DeactivatesOn = %s", got)
	}
	if got := offer.SpontaneousClosesOn(updated); got != date("2026-04-01") {
		t.Errorf("SpontaneousClosesOn = %s", got)
	}
	if offer.SpontaneousOpen(time.Time{}, date("2026-01-01")) {
		t.Error("never opened, yet open")
	}
	// Across the spring clock change, days are still Paris calendar days.
	if got := offer.StaleDays(paris(2026, 3, 28, 23, 30), date("2026-03-30")); got != 2 {
		t.Errorf("across DST: %d", got)
	}
}

func TestNormalisers(t *testing.T) {
	for in, want := range map[string]string{
		"01 23 45 67 89":       "0123456789",
		"01.23.45.67.89":       "0123456789",
		"+33 1 23 45 67 89":    "+33123456789",
		"+33 (0)1 23 45 67 89": "+33123456789",
		"0033123456789":        "+33123456789",
		"+262 692 12 34 56":    "+262692123456",
		"":                     "",
		"0123":                 "!",
		"00 23 45 67 89":       "!",
		"+44 20 7946 0958":     "!",
		"01 23 45 67 8a":       "!",
		"+33 0 23 45 67 89":    "!",
	} {
		got, err := offer.NormalisePhone(in)
		if (err != nil) != (want == "!") || (err == nil && got != want) {
			t.Errorf("NormalisePhone(%q) = %q, %v", in, got, err)
		}
	}
	if got := offer.FormatPhone("0123456789"); got != "01 23 45 67 89" {
		t.Errorf("FormatPhone = %q", got)
	}
	if got := offer.FormatPhone("+33123456789"); got != "+33 1 23 45 67 89" {
		t.Errorf("FormatPhone = %q", got)
	}
	for in, want := range map[string]string{
		" Contact@Structure.FR ": "contact@structure.fr",
		"":                       "",
		"pas une adresse":        "!",
		"a@localhost":            "!",
		"Nom <a@b.fr>":           "!",
	} {
		got, err := offer.NormaliseEmail(in)
		if (err != nil) != (want == "!") || (err == nil && got != want) {
			t.Errorf("NormaliseEmail(%q) = %q, %v", in, got, err)
		}
	}
	for in, want := range map[string]string{
		"www.structure.fr":             "https://www.structure.fr",
		"http://structure.fr/page?x=1": "http://structure.fr/page?x=1",
		"HTTPS://Structure.fr":         "HTTPS://Structure.fr",
		"":                             "",
		"javascript:alert(1)":          "!",
		"ftp://structure.fr":           "!",
		"https://user:pw@structure.fr": "!",
		"https://localhost":            "!",
		"structure":                    "!",
		"https://a b.fr":               "!",
	} {
		got, err := offer.NormaliseWebsite(in)
		if (err != nil) != (want == "!") || (err == nil && got != want) {
			t.Errorf("NormaliseWebsite(%q) = %q, %v", in, got, err)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 200: "200", 5000: "5\u00a0000", 1234567: "1\u00a0234\u00a0567", -5000: "-5\u00a0000"} {
		if got := offer.Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
