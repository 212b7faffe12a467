package support_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"parcours/internal/access"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/sepa/sepatest"
	"parcours/internal/support"
)

// A real account: Crédit Mutuel's example IBAN with a valid key.
const (
	goodIBAN = "FR76 3006 6100 4100 0105 7380 116"
	goodBIC  = "CMCIFRPP"
)

func aidInput(code string, euros int64, canary string) support.AidInput {
	return support.AidInput{Code: code, Cents: euros * 100, Justification: canary + "-JUSTIFICATION : trajets vers l'entreprise",
		Bank: support.Bank{Holder: "Alice Personne", IBAN: goodIBAN, BIC: goodBIC}}
}

// The embedded catalogue is valid and holds the three funders; a broken one is refused with
// every problem at once.
func TestAidCatalogue(t *testing.T) {
	c, err := support.Aids()
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"AGEFIPH_PERMIS", "AGEFIPH_PAS_PSYCHIQUE", "FIPHFP_AIDE_TECHNIQUE", "FT_AGEPI"} {
		if a, ok := c.Aid(code); !ok || a.Ceiling() <= 0 || len(a.Documents) == 0 {
			t.Errorf("%s: %+v", code, a)
		}
	}
	if len(c.ByFunder()) != 3 {
		t.Fatal("funders")
	}
	_, err = support.ParseCatalogue([]byte(`{"documents": {"devis": "Devis"}, "payers": {"AGEFIPH": {"name": "A", "iban": "FR00", "bic": "X"}},
		"aids": [{"code": "X", "label": "", "funder": "CAF", "ceiling_euros": 0, "documents": ["inconnu"]},
		{"code": "AIDE_1", "label": "a", "funder": "FT", "ceiling_euros": 10}, {"code": "AIDE_1", "label": "b", "funder": "FT", "ceiling_euros": 10}]}`))
	for _, want := range []string{"code invalide", "libellé manquant", "financeur inconnu", "plafond", "type de document inconnu", "code en double",
		"payeur AGEFIPH : nom, IBAN", "payeur FIPHFP : compte manquant"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

// A request's every error is reported at once, tied to its field.
func TestAidRequestValidation(t *testing.T) {
	c := support.MustCatalogue()
	in := support.AidInput{Code: "AGEFIPH_PERMIS", Cents: 1501_00, Justification: "court", Bank: support.Bank{IBAN: "FR7630006000011234567890198", BIC: "BNPAFR"}}
	f := fault.FieldsOf(in.Validate(c))
	for _, field := range []string{"amount", "justification", "holder", "iban", "bic"} {
		if f[field] == "" {
			t.Errorf("no error on %s: %v", field, f)
		}
	}
	if len(f) != 5 || !strings.Contains(f["amount"], "1\u00a0500,00 €") {
		t.Fatalf("%v", f)
	}
	in = support.AidInput{Code: "NOPE"}
	if f := fault.FieldsOf(in.Validate(c)); f["aid_code"] == "" || f["amount"] == "" {
		t.Fatalf("%v", f)
	}
	ok := aidInput("AGEFIPH_PERMIS", 1500, "X")
	if err := ok.Validate(c); err != nil || ok.Bank.IBAN != "FR7630066100410001057380116" {
		t.Fatalf("%v %q", err, ok.Bank.IBAN)
	}
	for s, want := range map[string]int64{"1 234,50": 123450, "800": 80000, "12.5": 1250, "0,05": 5} {
		if got, ok := support.ParseEuros(s); !ok || got != want {
			t.Errorf("ParseEuros(%q) = %d %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "abc", "1,234", "-5", "1.2.3"} {
		if _, ok := support.ParseEuros(s); ok {
			t.Errorf("ParseEuros(%q) accepted", s)
		}
	}
}

// Euros and ParseEuros agree on every amount.
func TestEurosRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := rapid.Int64Range(0, 99_999_999_99).Draw(t, "cents")
		if got, ok := support.ParseEuros(support.Euros(c)); !ok || got != c {
			t.Fatalf("%d -> %q -> %d %v", c, support.Euros(c), got, ok)
		}
	})
}

// grant requests, instructs and grants an aid: requested and instructed by by, decided by decider.
func (f *fixture) grant(t testing.TB, by, decider access.Actor, person uuid.UUID, code string, euros int64) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	id, err := f.svc.RequestAid(ctx, by, person, aidInput(code, euros, "X"))
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if err := f.svc.InstructAid(ctx, by, person, id, support.Instruction{Complete: true, Cents: euros * 100}); err != nil {
		t.Fatalf("instruct: %v", err)
	}
	if err := f.svc.DecideAid(ctx, decider, person, id, true, euros*100, ""); err != nil {
		t.Fatalf("decide: %v", err)
	}
	return id
}

// Request, instruction, decision by a second person, letter; the instructor and the requester
// cannot decide; only the caseload acts; the person reads their aids and ledger.
func TestAidWorkflowFourEyes(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "CANARI")
		colleague := f.member(t, "cap2@exemple.fr", f.capOrg.ID, true)
		id, err := f.svc.RequestAid(ctx, f.capAdvisor, f.person, aidInput("AGEFIPH_PERMIS", 1200, "CANARI"))
		if err != nil {
			t.Fatal(err)
		}
		// Outside the caseload or without the habilitation: no request.
		for name, a := range map[string]access.Actor{"no habilitation": f.ftPlain, "other agency": f.otherAdvisor, "staff": f.staff, "the person": f.personActor} {
			if _, err := f.svc.RequestAid(ctx, a, f.person, aidInput("AGEFIPH_PERMIS", 100, "X")); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s requested: %v", name, err)
			}
		}
		// Not instructed yet: no decision.
		if err := f.svc.DecideAid(ctx, f.ftAdvisor, f.person, id, true, 100000, ""); !errors.Is(err, fault.Conflict) {
			t.Fatalf("decided before instruction: %v", err)
		}
		// The colleague instructs: incomplete needs a note, the proposal stays under the ceiling.
		if err := f.svc.InstructAid(ctx, colleague, f.person, id, support.Instruction{Complete: false}); fault.FieldsOf(err)["note"] == "" {
			t.Fatalf("incomplete without note: %v", err)
		}
		if err := f.svc.InstructAid(ctx, colleague, f.person, id, support.Instruction{Complete: true, Cents: 2000_00}); fault.FieldsOf(err)["proposed"] == "" {
			t.Fatalf("over the ceiling: %v", err)
		}
		if err := f.svc.InstructAid(ctx, colleague, f.person, id, support.Instruction{Complete: true, Cents: 1000_00, Note: "Devis conforme"}); err != nil {
			t.Fatal(err)
		}
		// Neither the requester nor the instructor decides.
		for name, a := range map[string]access.Actor{"requester": f.capAdvisor, "instructor": colleague} {
			if err := f.svc.DecideAid(ctx, a, f.person, id, true, 1000_00, ""); !errors.Is(err, support.ErrFourEyes) {
				t.Fatalf("%s decided: %v", name, err)
			}
		}
		if err := f.svc.DecideAid(ctx, f.otherAdvisor, f.person, id, true, 1000_00, ""); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("other agency decided: %v", err)
		}
		// A third habilitated advisor of the caseload (France Travail, joint controller) grants.
		if err := f.svc.DecideAid(ctx, f.ftAdvisor, f.person, id, true, 1000_00, "Versement en une fois"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DecideAid(ctx, f.ftAdvisor, f.person, id, false, 0, "Encore"); !errors.Is(err, fault.Conflict) {
			t.Fatalf("decided twice: %v", err)
		}
		// A refusal needs its reason.
		id2, err := f.svc.RequestAid(ctx, f.capAdvisor, f.person, aidInput("FT_AGEPI", 400, "CANARI2"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.InstructAid(ctx, f.capAdvisor, f.person, id2, support.Instruction{Complete: false, Note: "Justificatif de garde manquant"}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DecideAid(ctx, colleague, f.person, id2, true, 400_00, ""); fault.FieldsOf(err)["decision"] == "" {
			t.Fatalf("incomplete granted: %v", err)
		}
		if err := f.svc.DecideAid(ctx, colleague, f.person, id2, false, 0, " "); fault.FieldsOf(err)["reason"] == "" {
			t.Fatalf("refused without reason: %v", err)
		}
		if err := f.svc.DecideAid(ctx, colleague, f.person, id2, false, 0, "Pièces manquantes après relance"); err != nil {
			t.Fatal(err)
		}
		// A third aid, cancelled.
		id3, err := f.svc.RequestAid(ctx, f.capAdvisor, f.person, aidInput("FT_MOBILITE", 300, "X"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.CancelAid(ctx, colleague, f.person, id3); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.CancelAid(ctx, colleague, f.person, id); err != nil {
			t.Fatal(err) // granted, not yet ordered: may be cancelled
		}
		id = f.grant(t, f.capAdvisor, colleague, f.person, "AGEFIPH_PERMIS", 1000)

		// The person and the caseload read the aids and the ledger; nobody else.
		for name, a := range map[string]access.Actor{"person": f.personActor, "cap": f.capAdvisor, "ft": f.ftAdvisor} {
			got, err := f.svc.PersonAids(ctx, a, f.person)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			l := got.Ledger
			if len(got.Aids) != 4 || l.Requested != 2 || l.Granted != 1 || l.GrantedCents != 1000_00 || l.Refused != 1 || l.RequestedCents != (1000+400)*100 {
				t.Fatalf("%s: %+v", name, l)
			}
			var refused support.AidFile
			for _, x := range got.Aids {
				if x.ID == id2 {
					refused = x
				}
			}
			if refused.State != support.AidRefused || refused.DecisionNote != "Pièces manquantes après relance" || !strings.HasPrefix(refused.Justification, "CANARI2-") ||
				refused.Bank.IBAN != "FR7630066100410001057380116" || refused.InstructionNote != "Justificatif de garde manquant" {
				t.Fatalf("%s reads %+v", name, refused)
			}
		}
		for name, a := range map[string]access.Actor{"no habilitation": f.ftPlain, "other agency": f.otherAdvisor, "staff": f.staff} {
			if got, err := f.svc.PersonAids(ctx, a, f.person); !errors.Is(err, fault.Forbidden) || len(got.Aids) != 0 {
				t.Errorf("%s: %v", name, err)
			}
			if _, _, err := f.svc.DecisionLetter(ctx, a, f.person, id2); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s letter: %v", name, err)
			}
		}
		// The letters: a PDF of text, read by the person and the caseload, audited.
		before := f.count(t, "read.support.aid_letter")
		for _, a := range []access.Actor{f.personActor, f.capAdvisor} {
			for aid, want := range map[uuid.UUID]string{id: "Montant accord", id2: "Pi\xe8ces manquantes apr\xe8s relance"} {
				pdf, name, err := f.svc.DecisionLetter(ctx, a, f.person, aid)
				if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) || !bytes.Contains(pdf, []byte(want)) || !strings.HasSuffix(name, ".pdf") {
					t.Fatalf("letter %s: %v %q", want, err, name)
				}
			}
		}
		if f.count(t, "read.support.aid_letter") != before+2 { // the person's own reads are not recorded
			t.Fatalf("letters audited %d", f.count(t, "read.support.aid_letter")-before)
		}
		if _, _, err := f.svc.DecisionLetter(ctx, f.capAdvisor, f.person, id3); !errors.Is(err, fault.NotFound) {
			t.Fatalf("letter of a cancelled aid: %v", err)
		}
		// Every change is in the person's trail with the purpose support.aids.
		for action, n := range map[string]int{"support.aid_requested": 4, "support.aid_instructed": 3, "support.aid_granted": 2, "support.aid_refused": 1, "support.aid_cancelled": 2} {
			if got := f.count(t, action); got != n {
				t.Errorf("%s: %d entries, want %d", action, got, n)
			}
		}
		accesses, err := f.svc.Accesses(ctx, f.personActor)
		if err != nil {
			t.Fatal(err)
		}
		seen := false
		for _, a := range accesses {
			seen = seen || a.What == "Accord d'une aide" && a.Purpose == access.PurposeSupportAids.Label()
		}
		if !seen {
			t.Fatal("the person does not see the grant in their access list")
		}
		// The sealed parts are in no column in clear.
		var raw []byte
		if err := db.Reader().QueryRowContext(ctx, `SELECT justification FROM support_aids WHERE id = $1`, id2).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte("CANARI2")) {
			t.Fatal("justification in clear")
		}
	})
}

var endToEnd = regexp.MustCompile(`<EndToEndId>([^<]+)</EndToEndId>`)

// 50 concurrent exports pay each granted aid exactly once; every file validates against the
// ISO 20022 schema; a batch is marked paid once; the ledgers add up.
func TestAidBatchesPayEachAidExactlyOnce(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		colleague := f.member(t, "cap2@exemple.fr", f.capOrg.ID, true)
		f.open(t, f.person, "CANARI")
		people := []uuid.UUID{f.person}
		for i := range 3 {
			p, _ := f.newPerson(t, f.capAdvisor, "p"+string(rune('a'+i))+"@exemple.fr")
			f.open(t, p, "X")
			people = append(people, p)
		}
		want := map[string]bool{}
		var total int64
		// Half the aids are granted before the exports, half while they run: the exports share
		// them out, and a last export sweeps what the others left.
		var late []uuid.UUID
		var latePeople []uuid.UUID
		for i := range 24 {
			euros := int64(100 + 37*i)
			p := people[i%len(people)]
			total += euros * 100
			if i%2 == 0 {
				id := f.grant(t, f.capAdvisor, colleague, p, "AGEFIPH_AIDE_TECHNIQUE", euros)
				want[support.AidReference(id)] = true
				continue
			}
			id, err := f.svc.RequestAid(ctx, f.capAdvisor, p, aidInput("AGEFIPH_AIDE_TECHNIQUE", euros, "X"))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.svc.InstructAid(ctx, f.capAdvisor, p, id, support.Instruction{Complete: true, Cents: euros * 100}); err != nil {
				t.Fatal(err)
			}
			want[support.AidReference(id)] = true
			late, latePeople = append(late, id), append(latePeople, p)
		}
		// One FIPHFP aid, which no AGEFIPH batch takes; one requested aid, which no batch takes.
		f.grant(t, f.capAdvisor, colleague, f.person, "FIPHFP_TRANSPORT", 500)
		if _, err := f.svc.RequestAid(ctx, f.capAdvisor, f.person, aidInput("AGEFIPH_PERMIS", 100, "X")); err != nil {
			t.Fatal(err)
		}
		type result struct {
			sum  support.BatchSummary
			file []byte
			err  error
		}
		results := make(chan result, 52)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 50 {
			wg.Go(func() {
				<-start
				time.Sleep(time.Duration(i%10) * 15 * time.Millisecond)
				sum, file, err := f.svc.ExportBatch(ctx, f.capAdvisor, support.FunderAgefiph)
				results <- result{sum, file, err}
			})
		}
		wg.Go(func() {
			<-start
			for i, id := range late {
				if err := f.svc.DecideAid(ctx, colleague, latePeople[i], id, true, int64(100+37*(2*i+1))*100, ""); err != nil {
					results <- result{err: err}
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
		close(start)
		wg.Wait()
		{
			last, file, err := f.svc.ExportBatch(ctx, f.capAdvisor, support.FunderAgefiph)
			results <- result{last, file, err}
		}
		close(results)
		got := map[string]int{}
		var batches []support.BatchSummary
		var sum int64
		for r := range results {
			if errors.Is(r.err, support.ErrNothingToPay) {
				continue
			}
			if r.err != nil {
				t.Fatalf("export: %v", r.err)
			}
			sepatest.Validate(t, r.file)
			refs := endToEnd.FindAllStringSubmatch(string(r.file), -1)
			if len(refs) != r.sum.Transfers || r.sum.Transfers == 0 {
				t.Fatalf("batch of %d transfers with %d references", r.sum.Transfers, len(refs))
			}
			for _, m := range refs {
				got[m[1]]++
			}
			sum += r.sum.TotalCents
			batches = append(batches, r.sum)
		}
		if len(got) != len(want) || sum != total {
			t.Fatalf("%d aids paid of %d, %d cents of %d", len(got), len(want), sum, total)
		}
		for ref, n := range got {
			if n != 1 || !want[ref] {
				t.Fatalf("%s ordered %d times", ref, n)
			}
		}
		t.Logf("%s: %d batches", db.Engine(), len(batches))
		// Nothing left: the next export says so.
		if _, _, err := f.svc.ExportBatch(ctx, f.capAdvisor, support.FunderAgefiph); !errors.Is(err, support.ErrNothingToPay) {
			t.Fatalf("second export: %v", err)
		}
		// Only a habilitated advisor of the organisation exports and marks paid.
		for name, a := range map[string]access.Actor{"no habilitation": f.ftPlain, "staff": f.staff, "person": f.personActor} {
			if _, _, err := f.svc.ExportBatch(ctx, a, support.FunderFIPHFP); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s exported: %v", name, err)
			}
			if err := f.svc.MarkPaid(ctx, a, batches[0].ID); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s marked paid: %v", name, err)
			}
		}
		if err := f.svc.MarkPaid(ctx, f.ftAdvisor, batches[0].ID); !errors.Is(err, fault.NotFound) {
			t.Fatalf("another organisation marked paid: %v", err)
		}
		// The file read again is the same file; a batch is marked paid once.
		_, again, err := f.svc.BatchFile(ctx, colleague, batches[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		sepatest.Validate(t, again)
		for _, b := range batches {
			if err := f.svc.MarkPaid(ctx, colleague, b.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.svc.MarkPaid(ctx, colleague, batches[0].ID); !errors.Is(err, fault.Conflict) {
			t.Fatalf("paid twice: %v", err)
		}
		// Ledgers: per funder for the organisation, per person.
		ledgers, err := f.svc.FunderLedgers(ctx, f.capAdvisor)
		if err != nil {
			t.Fatal(err)
		}
		if len(ledgers) != 2 || ledgers[0].Funder.Code != support.FunderAgefiph || ledgers[0].Total.PaidCents != total || ledgers[0].Total.Paid != 24 ||
			ledgers[0].Total.Requested != 25 || ledgers[1].Total.GrantedCents != 500_00 || ledgers[1].Total.Paid != 0 {
			t.Fatalf("ledgers %+v", ledgers)
		}
		var perPerson int64
		for _, p := range people {
			got, err := f.svc.PersonAids(ctx, f.capAdvisor, p)
			if err != nil {
				t.Fatal(err)
			}
			perPerson += got.Ledger.PaidCents
		}
		if perPerson != total {
			t.Fatalf("people's ledgers add up to %d, want %d", perPerson, total)
		}
		pay, err := f.svc.Payments(ctx, f.capAdvisor)
		if err != nil || len(pay.Waiting) != 1 || len(pay.Batches) != len(batches) || !pay.Batches[0].Paid() {
			t.Fatalf("payments %+v %v", pay, err)
		}
	})
}

// Funders see only the files addressed to them, with the minimum fields; a restriction stops
// requests and payments; the purge erases the aids with the record.
func TestAidFundersRestrictionAndPurge(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		colleague := f.member(t, "cap2@exemple.fr", f.capOrg.ID, true)
		agefiph := f.org(t, "AGEFIPH", "Agefiph Auvergne-Rhône-Alpes", "")
		fiphfp := f.org(t, "FIPHFP", "FIPHFP", "")
		agAgent := f.member(t, "agefiph@exemple.fr", agefiph.ID, false)
		fpAgent := f.member(t, "fiphfp@exemple.fr", fiphfp.ID, false)
		f.open(t, f.person, "CANARI")
		f.grant(t, f.capAdvisor, colleague, f.person, "AGEFIPH_PAS_MOTEUR", 900)
		f.grant(t, f.capAdvisor, colleague, f.person, "FIPHFP_POSTE", 2000)
		if _, err := f.svc.RequestAid(ctx, f.capAdvisor, f.person, aidInput("FT_AGEPI", 200, "X")); err != nil {
			t.Fatal(err)
		}
		for agent, want := range map[*access.Actor]string{&agAgent: "AGEFIPH_PAS_MOTEUR", &fpAgent: "FIPHFP_POSTE"} {
			list, err := f.svc.FunderFiles(ctx, *agent)
			if err != nil || len(list) != 1 || list[0].Aid.Code != want || list[0].State != support.AidGranted || list[0].OrgName != "Cap emploi Rhône" {
				t.Fatalf("funder files %+v %v", list, err)
			}
			// Nothing else: not the person's aids, not the record.
			if _, err := f.svc.PersonAids(ctx, *agent, f.person); !errors.Is(err, fault.Forbidden) {
				t.Fatalf("funder reads the aids: %v", err)
			}
			if _, err := f.svc.Get(ctx, *agent, f.person, access.PurposeSupportAids); !errors.Is(err, fault.Forbidden) {
				t.Fatalf("funder reads the record: %v", err)
			}
		}
		noMFA := agAgent
		noMFA.MFA = false
		for name, a := range map[string]access.Actor{"advisor": f.capAdvisor, "staff": f.staff, "person": f.personActor, "no second factor": noMFA} {
			if _, err := f.svc.FunderFiles(ctx, a); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s reads funder files: %v", name, err)
			}
		}
		// The person restricts processing: no request, no decision, no payment.
		if err := f.svc.Ask(ctx, f.personActor, support.RequestRestriction, "Je conteste mon dossier."); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RequestAid(ctx, f.capAdvisor, f.person, aidInput("FT_AGEPI", 200, "X")); !errors.Is(err, fault.Conflict) {
			t.Fatalf("request under restriction: %v", err)
		}
		if _, _, err := f.svc.ExportBatch(ctx, f.capAdvisor, support.FunderAgefiph); !errors.Is(err, support.ErrNothingToPay) {
			t.Fatalf("payment under restriction: %v", err)
		}
		got, err := f.svc.PersonAids(ctx, f.capAdvisor, f.person)
		if err != nil || len(got.Aids) != 3 || got.Aids[0].Justification != "" || got.Aids[0].Bank.IBAN != "" {
			t.Fatalf("sealed parts shown under restriction: %+v %v", got, err)
		}
		// The purge erases the aids with the record.
		if err := db.WithTx(ctx, func(tx *sql.Tx) error { return f.svc.Erase(ctx, tx, f.person) }); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM support_aids`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d aids left after the purge: %v", n, err)
		}
	})
}

// LedgerOf adds up whatever the states.
func TestLedgerProperty(t *testing.T) {
	states := []string{support.AidRequested, support.AidInstructed, support.AidGranted, support.AidRefused, support.AidOrdered, support.AidPaid, support.AidCancelled}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 30).Draw(t, "n")
		var aids []support.AidFile
		var req, granted, paid int64
		for i := range n {
			a := support.AidFile{State: rapid.SampledFrom(states).Draw(t, "state"), RequestedCents: rapid.Int64Range(1, 1e6).Draw(t, "req")}
			if a.State == support.AidGranted || a.State == support.AidOrdered || a.State == support.AidPaid {
				a.GrantedCents = rapid.Int64Range(1, a.RequestedCents).Draw(t, "granted")
				granted += a.GrantedCents
			}
			if a.State == support.AidPaid {
				paid += a.GrantedCents
			}
			if a.State != support.AidCancelled {
				req += a.RequestedCents
			}
			_ = i
			aids = append(aids, a)
		}
		sort.Slice(aids, func(i, j int) bool { return aids[i].State < aids[j].State })
		l := support.LedgerOf(aids)
		if l.RequestedCents != req || l.GrantedCents != granted || l.PaidCents != paid || l.Paid > l.Granted || l.Granted+l.Refused > l.Requested {
			t.Fatalf("%+v", l)
		}
	})
}

// The justification and the bank details are in no raw database (SQLite file, pg_dump) in
// clear, and are bound to their row: swapped between two aids, neither opens.
func TestAidSealedAndBoundToTheirRow(t *testing.T) {
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			db, url := databasetest.Open(t, engine)
			f := newFixture(t, db)
			ctx := context.Background()
			f.open(t, f.person, "X")
			in := aidInput("AGEFIPH_PAS_PSYCHIQUE", 900, "CANARI-AIDE")
			in.Bank.Holder = "CANARI-TITULAIRE"
			a, err := f.svc.RequestAid(ctx, f.capAdvisor, f.person, in)
			if err != nil {
				t.Fatal(err)
			}
			b, err := f.svc.RequestAid(ctx, f.capAdvisor, f.person, aidInput("FT_AGEPI", 100, "CANARI-AUTRE"))
			if err != nil {
				t.Fatal(err)
			}
			raw := databasetest.RawContent(t, url)
			for _, canary := range []string{"CANARI-AIDE", "CANARI-AUTRE", "CANARI-TITULAIRE", "FR7630066100410001057380116", "30066100410001057380116", "CMCIFRPP"} {
				if bytes.Contains(raw, []byte(canary)) {
					t.Fatalf("the raw database holds %q in clear", canary)
				}
			}
			if !bytes.Contains(raw, []byte(a.String())) && !bytes.Contains(raw, a[:]) {
				t.Fatal("the scan does not see the rows at all")
			}
			var ba, bb []byte
			for id, to := range map[uuid.UUID]*[]byte{a: &ba, b: &bb} {
				if err := db.Reader().QueryRowContext(ctx, `SELECT bank FROM support_aids WHERE id = $1`, id).Scan(to); err != nil {
					t.Fatal(err)
				}
			}
			for id, v := range map[uuid.UUID][]byte{a: bb, b: ba} {
				if _, err := db.Writer().ExecContext(ctx, `UPDATE support_aids SET bank = $2 WHERE id = $1`, id, v); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := f.svc.PersonAids(ctx, f.capAdvisor, f.person); !errors.Is(err, crypto.ErrUndecryptable) {
				t.Fatalf("swapped bank details opened: %v", err)
			}
		})
	}
}
