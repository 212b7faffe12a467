package eligibility_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"parcours/internal/database"
	"parcours/internal/eligibility"
	"parcours/internal/fault"
)

func currentSet(t *testing.T) eligibility.Set {
	t.Helper()
	sets, err := eligibility.ParseSets(eligibility.CriteriaFiles())
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) == 0 {
		t.Fatal("no criteria set embedded")
	}
	return sets[len(sets)-1]
}

func date(s string) database.Date {
	d, err := database.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// The embedded set is the arrêté's: 18 criteria, 4 of level 1 and 14 of level 2, each with its
// proof and its validity, and the two incompatible pairs.
func TestEmbeddedSet(t *testing.T) {
	set := currentSet(t)
	if n1, n2 := len(set.Level(1)), len(set.Level(2)); n1 != 4 || n2 != 14 {
		t.Fatalf("levels: %d and %d, want 4 and 14", n1, n2)
	}
	for _, code := range []string{"RSA", "ASS", "AAH", "DETLD"} {
		if c, ok := set.Criterion(code); !ok || c.Level != 1 {
			t.Errorf("%s: %+v %v", code, c, ok)
		}
	}
	for _, c := range set.Criteria {
		if c.Proof == "" || c.ProofValidity == "" {
			t.Errorf("%s has no proof or validity", c.Code)
		}
	}
	pairs := map[string]bool{}
	for _, p := range set.Incompatible {
		pairs[p.A+"/"+p.B] = true
	}
	if !pairs["SENIOR/JEUNE"] || !pairs["DETLD/DELD"] || len(pairs) != 2 {
		t.Fatalf("pairs: %v", pairs)
	}
}

func TestParseSetsRefusesBrokenFiles(t *testing.T) {
	for name, content := range map[string]string{
		"level":     `{"id":"x","label":"x","source":"x","effective_from":"2030-01-01","criteria":[{"code":"A","level":3,"label":"a","proof":"p","proof_validity":"v"}]}`,
		"duplicate": `{"id":"x","label":"x","source":"x","effective_from":"2030-01-01","criteria":[{"code":"A","level":1,"label":"a","proof":"p","proof_validity":"v"},{"code":"A","level":2,"label":"a","proof":"p","proof_validity":"v"}]}`,
		"pair":      `{"id":"x","label":"x","source":"x","effective_from":"2030-01-01","criteria":[{"code":"A","level":1,"label":"a","proof":"p","proof_validity":"v"}],"incompatible":[{"a":"A","b":"B","message":"m"}]}`,
		"no proof":  `{"id":"x","label":"x","source":"x","effective_from":"2030-01-01","criteria":[{"code":"A","level":1,"label":"a","proof":"","proof_validity":"v"}]}`,
		"unknown":   `{"id":"x","label":"x","source":"x","effective_from":"2030-01-01","criteres":[]}`,
		"date":      `{"id":"x","label":"x","source":"x","effective_from":"bientôt","criteria":[]}`,
	} {
		if _, err := eligibility.ParseSets(fstest.MapFS{"x.json": {Data: []byte(content)}}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestThresholds(t *testing.T) {
	for _, tc := range []struct {
		author eligibility.Author
		kind   string
		l1, l2 int
		met    bool
	}{
		{eligibility.ByPrescriber, "", 0, 0, true},
		{eligibility.ByEmployer, "AI", 1, 0, true},
		{eligibility.ByEmployer, "AI", 0, 2, true},
		{eligibility.ByEmployer, "AI", 0, 1, false},
		{eligibility.ByEmployer, "ETTI", 0, 2, true},
		{eligibility.ByEmployer, "ETTI", 0, 1, false},
		{eligibility.ByEmployer, "EI", 0, 2, false},
		{eligibility.ByEmployer, "EI", 0, 3, true},
		{eligibility.ByEmployer, "ACI", 0, 2, false},
		{eligibility.ByEmployer, "ACI", 1, 0, true},
		{eligibility.ByEmployer, "EITI", 0, 3, true},
		{eligibility.ByEmployer, "EITI", 0, 2, false},
		{eligibility.ByEmployer, "ACI", 0, 0, false},
	} {
		th, ok := eligibility.ThresholdFor(tc.author, tc.kind)
		if !ok {
			t.Errorf("%s %s: no threshold", tc.author, tc.kind)
			continue
		}
		if got := th.Met(tc.l1, tc.l2); got != tc.met {
			t.Errorf("%s %s with %d/%d: met=%v, want %v", tc.author, tc.kind, tc.l1, tc.l2, got, tc.met)
		}
	}
	if _, ok := eligibility.ThresholdFor(eligibility.ByEmployer, "GEIQ"); ok {
		t.Error("a GEIQ has no IAE threshold")
	}
}

func TestCheck(t *testing.T) {
	set := currentSet(t)
	for _, tc := range []struct {
		name   string
		author eligibility.Author
		kind   string
		codes  []string
		fields []string // fields in error; none: accepted
	}{
		{"prescriber, nothing checked", eligibility.ByPrescriber, "", nil, nil},
		{"ACI, one level 1", eligibility.ByEmployer, "ACI", []string{"RSA"}, nil},
		{"ACI, two level 2", eligibility.ByEmployer, "ACI", []string{"JEUNE", "QPV"}, []string{"criteres"}},
		{"AI, two level 2", eligibility.ByEmployer, "AI", []string{"JEUNE", "QPV"}, nil},
		{"EI, three level 2", eligibility.ByEmployer, "EI", []string{"JEUNE", "QPV", "PM"}, nil},
		{"senior and young", eligibility.ByPrescriber, "", []string{"SENIOR", "JEUNE"}, []string{"critere_JEUNE"}},
		{"both pairs at once", eligibility.ByPrescriber, "", []string{"SENIOR", "JEUNE", "DETLD", "DELD"}, []string{"critere_JEUNE", "critere_DELD"}},
		{"pairs reported before the minimum", eligibility.ByEmployer, "ACI", []string{"SENIOR", "JEUNE"}, []string{"critere_JEUNE"}},
		{"unknown code", eligibility.ByPrescriber, "", []string{"LICORNE"}, []string{"criteres"}},
	} {
		got, err := eligibility.Check(set, tc.author, tc.kind, tc.codes)
		f := fault.FieldsOf(err)
		if len(tc.fields) == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			} else if len(got) != len(tc.codes) {
				t.Errorf("%s: %d criteria kept", tc.name, len(got))
			}
			continue
		}
		if len(f) != len(tc.fields) {
			t.Errorf("%s: fields %v, want %v", tc.name, f, tc.fields)
		}
		for _, k := range tc.fields {
			if f[k] == "" {
				t.Errorf("%s: no message at %s (%v)", tc.name, k, f)
			}
		}
	}
	if _, err := eligibility.Check(set, eligibility.ByEmployer, "GEIQ", []string{"RSA"}); !errors.Is(err, fault.Forbidden) {
		t.Errorf("GEIQ: %v", err)
	}
	_, err := eligibility.Check(set, eligibility.ByEmployer, "ACI", []string{"QPV"})
	if msg := fault.FieldsOf(err)["criteres"]; !strings.Contains(msg, "au moins 1 critère de niveau 1 ou 3 critères de niveau 2") {
		t.Errorf("minimum message: %q", msg)
	}
}

// Validity, at its boundaries: the day made, the last day, the day after.
func TestValidity(t *testing.T) {
	for _, tc := range []struct {
		author     eligibility.Author
		made, last string
	}{
		{eligibility.ByPrescriber, "2026-03-15", "2026-09-14"},
		{eligibility.ByPrescriber, "2026-08-31", "2027-02-27"}, // 28 February is six months on, clamped
		{eligibility.ByPrescriber, "2027-08-31", "2028-02-28"}, // leap year: 29 February
		{eligibility.ByEmployer, "2026-03-15", "2026-06-14"},   // 92 days counting the first
		{eligibility.ByEmployer, "2026-12-01", "2027-03-02"},
	} {
		made := date(tc.made)
		last := eligibility.ValidUntil(tc.author, made)
		if last != date(tc.last) {
			t.Errorf("%s made %s: valid until %s, want %s", tc.author, tc.made, last, tc.last)
		}
		d := eligibility.Diagnosis{Author: tc.author, MadeOn: made, NaturalEnd: last}
		for _, c := range []struct {
			day  database.Date
			want bool
		}{{made.AddDays(-1), false}, {made, true}, {last.AddDays(-1), true}, {last, true}, {last.AddDays(1), false}} {
			if got := d.ValidOn(c.day); got != c.want {
				t.Errorf("%s made %s, on %s: valid=%v, want %v", tc.author, tc.made, c.day, got, c.want)
			}
		}
		// Replaced: valid until the day before the newer one.
		r := d
		r.EndedOn = made.AddDays(10)
		if r.ValidOn(made.AddDays(10)) || !r.ValidOn(made.AddDays(9)) {
			t.Errorf("%s made %s, replaced 10 days later: valid on the 10th=%v, on the 9th=%v", tc.author, tc.made, r.ValidOn(made.AddDays(10)), r.ValidOn(made.AddDays(9)))
		}
		// A running PASS keeps it valid after its end.
		k := d
		k.KeptByPASS = true
		if !k.ValidOn(last.AddDays(400)) {
			t.Errorf("%s made %s: a running PASS does not keep it", tc.author, tc.made)
		}
	}
	if got := eligibility.ValidUntil(eligibility.ByEmployer, date("2026-03-15")).AddDays(1).Compare(date("2026-03-15").AddDays(92)); got != 0 {
		t.Errorf("92 days")
	}
}

func TestWhy(t *testing.T) {
	set := currentSet(t)
	rsa, _ := set.Criterion("RSA")
	qpv, _ := set.Criterion("QPV")
	jeune, _ := set.Criterion("JEUNE")
	d := eligibility.Diagnosis{Author: eligibility.ByEmployer, AuthorOrgName: "Les Jardins", StructureKind: "ACI",
		Criteria: []eligibility.Criterion{rsa, jeune, qpv}, MadeOn: date("2026-11-01"), NaturalEnd: date("2027-01-31")}
	w := d.Why(date("2026-11-20"))
	for got, want := range map[string]string{
		w.Rule:     "au moins 1 critère de niveau 1 ou 3 critères de niveau 2",
		w.Counted:  "1 critère de niveau 1 et 2 critères de niveau 2",
		w.Scope:    "Valable seulement chez Les Jardins",
		w.Validity: "Valable du 01/11/2026 au 31/01/2027 inclus",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("%q does not say %q", got, want)
		}
	}
	if w := d.Why(date("2027-02-01")); !strings.HasPrefix(w.Validity, "Expiré") {
		t.Errorf("expired: %q", w.Validity)
	}
	p := eligibility.Diagnosis{Author: eligibility.ByPrescriber, AuthorOrgName: "France Travail", MadeOn: date("2026-11-01"), NaturalEnd: date("2027-04-30")}
	if w := p.Why(date("2026-11-20")); !strings.Contains(w.Rule, "aucun nombre minimum") || !strings.Contains(w.Scope, "toutes les structures") ||
		w.Counted != "0 critère de niveau 1 et 0 critère de niveau 2" {
		t.Errorf("prescriber: %+v", w)
	}
}
