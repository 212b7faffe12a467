package web_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/sepa/sepatest"
	"parcours/internal/support"
)

// The aids of the adapted support (issue 11, part 2) in the route × role test. On the records
// "own" (Cap emploi C with France Travail F), "js" (the job seeker's, C with F) and "other" (G):
// a requested aid, an aid requested and instructed by the Cap emploi advisor (or G's), and on
// "own" and "js" aids granted by F's advisor (a second person), one of "own" already in a batch
// of C. Their justifications and account holders are canaries: the caseload and the person see
// them, nobody else; the Agefiph agent sees the Agefiph files without them.
type aidWorld struct {
	requested, instructed, granted map[string]uuid.UUID
	batch                          uuid.UUID
}

var (
	aidWorldsMu sync.Mutex
	aidWorlds   = map[*world]*aidWorld{}
)

func (w *world) aids() *aidWorld {
	aidWorldsMu.Lock()
	defer aidWorldsMu.Unlock()
	return aidWorlds[w]
}

// aidCanaries: the justification and the holder of the aids of each record.
var aidCanaries = []struct {
	values []string
	seenBy []string
}{
	{[]string{"AIDE-PROPRE-JUSTIFICATION", "AIDE-PROPRE-TITULAIRE"}, []string{capAdvisor, ftAdvisor}},
	{[]string{"AIDE-CANDIDAT-JUSTIFICATION", "AIDE-CANDIDAT-TITULAIRE"}, []string{jobSeeker, capAdvisor, ftAdvisor}},
	{[]string{"AIDE-AUTRE-JUSTIFICATION", "AIDE-AUTRE-TITULAIRE"}, []string{otherAgency}},
}

func init() {
	healthCanaries = append(healthCanaries, aidCanaries...)
	for k, v := range aidRouteTable {
		supportRouteTable[k] = v
	}
}

// plantAids adds the aids to the support world.
func (w *world) plantAids(t *testing.T) {
	t.Helper()
	s := w.s
	ctx := context.Background()
	acting := func(role, orgKey string) access.Actor {
		a, _, err := s.orgs.Actor(ctx, w.users[role], w.orgs[orgKey].ID, true)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	cap, ft, other := acting(capAdvisor, "C"), acting(ftAdvisor, "F"), acting(otherAgency, "G")
	aw := &aidWorld{requested: map[string]uuid.UUID{}, instructed: map[string]uuid.UUID{}, granted: map[string]uuid.UUID{}}
	canary := map[string]string{"own": "AIDE-PROPRE", "js": "AIDE-CANDIDAT", "other": "AIDE-AUTRE"}
	request := func(by access.Actor, key, code string) uuid.UUID {
		id, err := s.support.RequestAid(ctx, by, w.person[key], support.AidInput{Code: code, Cents: 800_00,
			Justification: canary[key] + "-JUSTIFICATION", Bank: support.Bank{Holder: canary[key] + "-TITULAIRE", IBAN: "FR7630066100410001057380116", BIC: "CMCIFRPP"}})
		if err != nil {
			t.Fatalf("aid %s: %v", key, err)
		}
		return id
	}
	instruct := func(by access.Actor, key string, id uuid.UUID) {
		if err := s.support.InstructAid(ctx, by, w.person[key], id, support.Instruction{Complete: true, Cents: 800_00}); err != nil {
			t.Fatal(err)
		}
	}
	for key, by := range map[string]access.Actor{"own": cap, "js": cap, "other": other} {
		aw.requested[key] = request(by, key, "FT_MOBILITE")
		aw.instructed[key] = request(by, key, "AGEFIPH_PERMIS")
		instruct(by, key, aw.instructed[key])
		if key == "other" {
			continue
		}
		for range 2 {
			id := request(cap, key, "AGEFIPH_AIDE_TECHNIQUE")
			instruct(cap, key, id)
			if err := s.support.DecideAid(ctx, ft, w.person[key], id, true, 800_00, ""); err != nil {
				t.Fatal(err)
			}
			aw.granted[key] = id
		}
	}
	// C's batch takes the granted aids; then one more is granted, waiting for the next batch.
	sum, _, err := s.support.ExportBatch(ctx, cap, support.FunderAgefiph)
	if err != nil {
		t.Fatal(err)
	}
	aw.batch = sum.ID
	id := request(cap, "own", "AGEFIPH_POSTE")
	instruct(cap, "own", id)
	if err := s.support.DecideAid(ctx, ft, w.person["own"], id, true, 500_00, ""); err != nil {
		t.Fatal(err)
	}
	aidWorldsMu.Lock()
	aidWorlds[w] = aw
	aidWorldsMu.Unlock()
}

func aidPath(which func(*aidWorld) map[string]uuid.UUID, suffix string) func(*world, string, string) string {
	return func(w *world, _, target string) string {
		return "/candidats/" + w.person[target].String() + "/accompagnement/aides/" + which(w.aids())[target].String() + suffix
	}
}

func batchPath(suffix string) func(*world, string, string) string {
	return func(w *world, _, target string) string {
		id := w.aids().batch
		if target == "other" {
			id = uuid.New()
		}
		return "/accompagnement/paiements/" + id.String() + suffix
	}
}

// onlyCap allows the Cap emploi advisor on "own" only (C's batch).
func onlyCap(role, target string) expect {
	if role == capAdvisor && target == "own" {
		return allow
	}
	return deny
}

var aidRouteTable = map[string]routeCase{
	"GET /candidats/{id}/accompagnement/aides": {path: supportPath("/aides"), expect: caseloadOf},
	"POST /candidats/{id}/accompagnement/aides": {path: supportPath("/aides"), form: vals("aid_code", "FT_AGEPI", "amount", "300",
		"justification", "Garde pendant la formation", "holder", "Marie Martin", "iban", "FR76 3006 6100 4100 0105 7380 116", "bic", "CMCIFRPP"), expect: caseloadOf},
	"POST /candidats/{id}/accompagnement/aides/{aid}/instruction": {path: aidPath(func(a *aidWorld) map[string]uuid.UUID { return a.requested }, "/instruction"),
		form: vals("complete", "oui", "proposed", "250"), expect: caseloadOf},
	// The Cap emploi advisor requested and instructed the aid: only F's advisor decides on
	// "own"; G's only advisor cannot decide alone on "other".
	"POST /candidats/{id}/accompagnement/aides/{aid}/decision": {path: aidPath(func(a *aidWorld) map[string]uuid.UUID { return a.instructed }, "/decision"),
		form: vals("decision", "accorder", "granted", "700"), expect: func(role, target string) expect {
			if role == ftAdvisor && target == "own" {
				return allow
			}
			return deny
		}},
	"POST /candidats/{id}/accompagnement/aides/{aid}/annulation": {path: aidPath(func(a *aidWorld) map[string]uuid.UUID { return a.requested }, "/annulation"),
		form: vals(), expect: caseloadOf},
	// "other" has no decided aid: its letter does not exist.
	"GET /candidats/{id}/accompagnement/aides/{aid}/lettre": {path: aidPath(func(a *aidWorld) map[string]uuid.UUID {
		return map[string]uuid.UUID{"own": a.granted["own"], "other": a.requested["other"]}
	}, "/lettre"), expect: func(role, target string) expect {
		if target == "own" && (role == capAdvisor || role == ftAdvisor) {
			return allow
		}
		return deny
	}},
	"GET /accompagnement/paiements":                 {path: fixed("/accompagnement/paiements"), expect: only(habilitatedAdvisors...)},
	"POST /accompagnement/paiements":                {path: fixed("/accompagnement/paiements"), form: vals("funder", "AGEFIPH"), expect: only(habilitatedAdvisors...)},
	"GET /accompagnement/paiements/{batch}/fichier": {path: batchPath("/fichier"), expect: onlyCap},
	"POST /accompagnement/paiements/{batch}/paye":   {path: batchPath("/paye"), form: vals(), expect: onlyCap},
	"GET /accompagnement/aides-financeur":           {path: fixed("/accompagnement/aides-financeur"), expect: only(agefiph)},
	"GET /mon-accompagnement/aides":                 {path: fixed("/mon-accompagnement/aides"), expect: only(jobSeeker)},
	"GET /mon-accompagnement/aides/{aid}/lettre": {path: func(w *world, _, _ string) string {
		return "/mon-accompagnement/aides/" + w.aids().granted["js"].String() + "/lettre"
	}, expect: only(jobSeeker)},
}

// The aids' path through the pages: a Cap emploi advisor requests an aid (a form with errors
// first, which keeps its values), instructs it; a France Travail advisor of the caseload
// grants it; the Cap emploi advisor exports the batch, whose SEPA file validates against the
// ISO 20022 schema, and marks it paid; the person sees the aid paid and downloads the letter;
// the Agefiph agent sees the file without the justification.
func TestSupportAidPages(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		s := w.s
		person := w.person["js"]
		base := "/candidats/" + person.String() + "/accompagnement/aides"
		cap, ft := w.token(t, capAdvisor), w.token(t, ftAdvisor)

		r := s.do(t, "POST", base, cap, url.Values{"aid_code": {"AGEFIPH_PERMIS"}, "amount": {"99 999"}, "justification": {"Permis pour AIDE-WEB"},
			"holder": {""}, "iban": {"FR7630006000011234567890198"}, "bic": {"BNPA"}})
		if r.status != 422 {
			t.Fatalf("bad form: %d", r.status)
		}
		for _, want := range []string{"Le plafond de cette aide est de 1\u00a0500,00", "Indiquez le titulaire", "clé de contrôle de l&#39;IBAN", "BIC compte 8 ou 11",
			`value="FR7630006000011234567890198"`, "Permis pour AIDE-WEB", "Le formulaire contient 4 erreurs"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("the rejected form lacks %q", want)
			}
		}
		r = s.do(t, "POST", base, cap, url.Values{"aid_code": {"AGEFIPH_PERMIS"}, "amount": {"1 200,50"}, "justification": {"Permis pour AIDE-WEB"},
			"holder": {"Léa Bénéficiaire"}, "iban": {"FR76 3006 6100 4100 0105 7380 116"}, "bic": {"cmcifrpp"}})
		if r.status != 303 {
			t.Fatalf("request: %d %s", r.status, r.body)
		}
		aids, err := s.support.PersonAids(context.Background(), access.Actor{UserID: w.users[jobSeeker].ID, Kind: access.JobSeeker}, person)
		if err != nil {
			t.Fatal(err)
		}
		var aid support.AidFile
		for _, a := range aids.Aids {
			if a.Justification == "Permis pour AIDE-WEB" {
				aid = a
			}
		}
		if aid.RequestedCents != 1200_50 {
			t.Fatalf("aid %+v", aid)
		}
		path := base + "/" + aid.ID.String()
		if r = s.do(t, "POST", path+"/instruction", cap, url.Values{"complete": {"oui"}, "proposed": {"1 200,50"}}); r.status != 303 {
			t.Fatalf("instruct: %d", r.status)
		}
		if r = s.do(t, "POST", path+"/decision", cap, url.Values{"decision": {"accorder"}, "granted": {"1200,50"}}); r.status != 403 {
			t.Fatalf("the instructor decided: %d", r.status)
		}
		if r = s.do(t, "POST", path+"/decision", ft, url.Values{"decision": {"accorder"}, "granted": {"1200,50"}}); r.status != 303 {
			t.Fatalf("decide: %d %s", r.status, r.body)
		}
		if r = s.do(t, "POST", "/accompagnement/paiements", cap, url.Values{"funder": {"AGEFIPH"}}); r.status != 303 {
			t.Fatalf("export: %d", r.status)
		}
		pay, err := s.support.Payments(context.Background(), mustActor(t, w, capAdvisor, "C"))
		if err != nil || len(pay.Batches) != 2 {
			t.Fatalf("batches %+v %v", pay.Batches, err)
		}
		batch := pay.Batches[0]
		r = s.do(t, "GET", "/accompagnement/paiements/"+batch.ID.String()+"/fichier", cap, nil)
		if r.status != 200 || !strings.Contains(r.body, "Lea Beneficiaire") || !strings.Contains(r.body, "<InstdAmt Ccy=\"EUR\">1200.50</InstdAmt>") {
			t.Fatalf("file: %d %s", r.status, r.body)
		}
		sepatest.Validate(t, []byte(r.body))
		if r = s.do(t, "POST", "/accompagnement/paiements/"+batch.ID.String()+"/paye", cap, url.Values{}); r.status != 303 {
			t.Fatalf("paid: %d", r.status)
		}
		r = s.do(t, "GET", "/accompagnement/paiements", cap, nil)
		if !strings.Contains(r.body, "Payé le") || !strings.Contains(r.body, "Bilan par financeur") {
			t.Fatalf("payments page: %s", r.body)
		}
		me := w.token(t, jobSeeker)
		r = s.do(t, "GET", "/mon-accompagnement/aides", me, nil)
		if r.status != 200 || !strings.Contains(r.body, "Permis pour AIDE-WEB") || !strings.Contains(r.body, "Payée le") || !strings.Contains(r.body, "1\u00a0200,50") {
			t.Fatalf("my aids: %d %s", r.status, r.body)
		}
		r = s.do(t, "GET", "/mon-accompagnement/aides/"+aid.ID.String()+"/lettre", me, nil)
		if r.status != 200 || !strings.HasPrefix(r.body, "%PDF") {
			t.Fatalf("letter: %d", r.status)
		}
		r = s.do(t, "GET", "/accompagnement/aides-financeur", w.token(t, agefiph), nil)
		if r.status != 200 || !strings.Contains(r.body, aid.Reference()) || strings.Contains(r.body, "AIDE-WEB") || strings.Contains(r.body, "FR76") {
			t.Fatalf("funder: %d %s", r.status, r.body)
		}
	})
}

func mustActor(t *testing.T, w *world, role, orgKey string) access.Actor {
	t.Helper()
	a, _, err := w.s.orgs.Actor(context.Background(), w.users[role], w.orgs[orgKey].ID, true)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
