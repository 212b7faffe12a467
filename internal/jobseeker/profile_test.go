package jobseeker_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/jobseeker"
	"parcours/internal/refdata"
)

var loadPlaces = sync.OnceValues(refdata.Load)

func places(t testing.TB) *refdata.Data {
	t.Helper()
	p, err := loadPlaces()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var today = database.Date{Year: 2026, Month: 12, Day: 4}

// valid is a complete, valid profile: a man born on 3 December 1984 in Lyon, living in Villeurbanne.
func valid() jobseeker.Profile {
	return jobseeker.Profile{
		Identity: jobseeker.Identity{Civility: jobseeker.Monsieur, BirthName: "Benali", FirstNames: "Karim Ahmed",
			BirthDate: database.Date{Year: 1984, Month: 12, Day: 3}, BornInFrance: true, BirthCommune: "69123"},
		NIR: "1 84 12 76 451 089 46", FTID: "1234567a", Email: "Karim@Exemple.fr", Phone: "+33 6 12 34 56 78",
		Address: "12 rue de la Paix", Postcode: "69100", CommuneCode: "69266", Education: "3",
		RSA: "non_majore", RSADuration: "12_23", ARE: "lt6",
		Needs: jobseeker.SupportNeeds{jobseeker.NeedMobility: "Pas de permis", jobseeker.NeedHousing: ""},
	}
}

func TestValidProfileIsNormalised(t *testing.T) {
	p := valid()
	if err := p.Validate(today, places(t)); err != nil {
		t.Fatal(err)
	}
	if p.NIR != "184127645108946" || p.FTID != "1234567A" || p.Email != "karim@exemple.fr" || p.Phone != "0612345678" {
		t.Fatalf("not normalised: %+v", p)
	}
}

func TestProfileReportsEveryProblemAtOnce(t *testing.T) {
	p := jobseeker.Profile{Identity: jobseeker.Identity{BirthDate: database.Date{Year: 2015, Month: 1, Day: 1}, BornInFrance: false},
		NIR: "184127645108947", FTID: "12", Email: "pas-une-adresse", Phone: "12", CommuneCode: "99999", Education: "9",
		RSA: "peut-être", ASS: "longtemps", Needs: jobseeker.SupportNeeds{"inconnu": ""}}
	err := p.Validate(today, places(t))
	fields := fault.FieldsOf(err)
	for _, f := range []string{"civility", "birth_name", "first_names", "birth_date", "birth_country", "nir", "ft_id", "email", "phone",
		"commune", "education", "rsa", "ass", "needs"} {
		if fields[f] == "" {
			t.Errorf("no message on %s (got %v)", f, fields)
		}
	}
	for f, msg := range fields {
		if first := msg[:1]; first != strings.ToUpper(first) {
			t.Errorf("message on %s does not start with a capital letter: %q", f, msg)
		}
	}
}

func TestProfileRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p *jobseeker.Profile)
		field  string // "" when the profile stays valid
	}{
		{"exactly 16 today", func(p *jobseeker.Profile) {
			p.BirthDate, p.NIR = database.Date{Year: 2010, Month: 12, Day: 4}, "1101276451089"+nirKey("1101276451089")
		}, ""},
		{"16 tomorrow", func(p *jobseeker.Profile) { p.BirthDate = database.Date{Year: 2010, Month: 12, Day: 5} }, "birth_date"},
		{"101 years old", func(p *jobseeker.Profile) { p.BirthDate = database.Date{Year: 1925, Month: 12, Day: 3} }, "birth_date"},
		{"100 years old", func(p *jobseeker.Profile) {
			p.BirthDate, p.NoNIRReason, p.NIR = database.Date{Year: 1926, Month: 12, Day: 3}, jobseeker.NoNIR, ""
		}, ""},
		{"NIR of a woman for a man", func(p *jobseeker.Profile) { p.Civility = jobseeker.Madame }, "nir"},
		{"NIR of another birth month", func(p *jobseeker.Profile) { p.BirthDate = database.Date{Year: 1984, Month: 11, Day: 3} }, "nir"},
		{"no NIR, with a reason", func(p *jobseeker.Profile) { p.NIR, p.NoNIRReason = "", jobseeker.NoNIR }, ""},
		{"no NIR and no reason", func(p *jobseeker.Profile) { p.NIR = "" }, "nir"},
		{"NIR and a reason", func(p *jobseeker.Profile) { p.NoNIRReason = jobseeker.NoNIR }, "nir"},
		{"no FT id, not registered", func(p *jobseeker.Profile) { p.FTID, p.NoFTIDReason = "", jobseeker.FTNotRegistered }, ""},
		{"no FT id and no reason", func(p *jobseeker.Profile) { p.FTID = "" }, "ft_id"},
		{"born abroad", func(p *jobseeker.Profile) { p.BornInFrance, p.BirthCountry = false, "MA" }, ""},
		{"born abroad in France", func(p *jobseeker.Profile) { p.BornInFrance, p.BirthCountry = false, "FR" }, "birth_country"},
		{"born in France without commune", func(p *jobseeker.Profile) { p.BirthCommune = "" }, "birth_commune"},
		{"postcode of another commune", func(p *jobseeker.Profile) { p.Postcode = "75001" }, "postcode"},
		{"RSA without duration", func(p *jobseeker.Profile) { p.RSADuration = "" }, "rsa_duration"},
		{"unemployed since tomorrow", func(p *jobseeker.Profile) { p.UnemployedSince = today.AddDays(1) }, "unemployed_since"},
		{"comment too long", func(p *jobseeker.Profile) { p.Needs[jobseeker.NeedHealth] = strings.Repeat("é", 2001) }, "need_health"},
		{"markup in a name", func(p *jobseeker.Profile) { p.BirthName = "<script>" }, "birth_name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := valid()
			tc.change(&p)
			fields := fault.FieldsOf(p.Validate(today, places(t)))
			if tc.field == "" && fields != nil {
				t.Fatalf("refused: %v", fields)
			}
			if tc.field != "" && fields[tc.field] == "" {
				t.Fatalf("no message on %s: %v", tc.field, fields)
			}
		})
	}
}

func TestCountries(t *testing.T) {
	cs := jobseeker.Countries()
	if len(cs) < 190 {
		t.Fatalf("%d countries", len(cs))
	}
	if slices.ContainsFunc(cs, func(o jobseeker.Option) bool { return o.Code == "FR" }) {
		t.Fatal("France is chosen through a commune, not in the country list")
	}
	if jobseeker.CountryName("DZ") != "Algérie" || jobseeker.CountryName("SN") != "Sénégal" {
		t.Fatalf("French names: %s, %s", jobseeker.CountryName("DZ"), jobseeker.CountryName("SN"))
	}
}

func nirKey(n13 string) string {
	var n uint64
	for _, r := range n13 {
		n = n*10 + uint64(r-'0')
	}
	k := 97 - n%97
	return string([]byte{byte('0' + k/10), byte('0' + k%10)})
}
