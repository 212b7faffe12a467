package application_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/export"
	"parcours/internal/fault"
	"parcours/internal/offer"
)

// The path of the issue: a prescriber creates a person, applies to two structures; one refuses
// with a reason (both told), the other accepts; the refused application is sent on.
func TestFromSendingToHiring(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		aci, aciEmp, aciJob := f.Structure(t, offer.KindACI, "emp@aci.fr")
		ei, eiEmp, eiJob := f.Structure(t, offer.KindEI, "emp@ei.fr")
		third, thirdEmp, thirdJob := f.Structure(t, offer.KindAI, "emp@ai.fr")
		presc := f.prescriber(t, "sophie@ccas.fr")
		p := f.Person(t, presc, "Léa", "Durand", "lea@exemple.fr")

		toACI, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{aciJob.ID},
			Message: "Léa cherche un poste en extérieur."})
		if err != nil {
			t.Fatal(err)
		}
		if !toACI.SenderAuthorized || toACI.SenderKind != application.SentByPrescriber || toACI.State != application.New {
			t.Fatalf("sent: %+v", toACI)
		}
		toEI, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: ei.ID, JobDescriptions: []uuid.UUID{eiJob.ID}})
		if err != nil {
			t.Fatal(err)
		}
		// A second one to the same structure within 24 hours is refused.
		if _, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{aciJob.ID}}); fault.FieldsOf(err)[""] == "" {
			t.Fatalf("second application within 24 h: %v", err)
		}

		// The ACI refuses, with a reason it shares, a message to the person and one to the prescriber.
		if _, err := f.svc.Decide(ctx, aciEmp, toACI.ID, application.Refuse, application.Decision{Reason: application.ReasonNoPosition}); fault.FieldsOf(err)["answer"] == "" {
			t.Fatalf("refusal without a message: %v", err)
		}
		if _, err := f.svc.Decide(ctx, eiEmp, toACI.ID, application.Refuse, application.Decision{Reason: application.ReasonNoPosition, Answer: "x"}); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("another structure refused it: %v", err)
		}
		refused, err := f.svc.Decide(ctx, aciEmp, toACI.ID, application.Refuse, application.Decision{Reason: application.ReasonNoPosition,
			Answer: "Nous n'avons plus de poste cette saison.", AnswerToSender: "Recontactez-nous au printemps.", ReasonShared: true})
		if err != nil || refused.State != application.Refused {
			t.Fatalf("refuse: %+v %v", refused, err)
		}
		if m := f.mailsTo(t, "lea@exemple.fr"); len(m) == 0 || !strings.Contains(m[0].TextBody, "plus de poste cette saison") ||
			!strings.Contains(m[0].TextBody, "Pas de recrutement en cours") {
			t.Fatalf("person's mail: %+v", m)
		}
		if m := f.mailsTo(t, "sophie@ccas.fr"); len(m) == 0 || !strings.Contains(m[0].TextBody, "Recontactez-nous au printemps") {
			t.Fatalf("prescriber's mail: %+v", m)
		}

		// The EI processes, then accepts: hire recorded, the person's other pending ones obsolete.
		if _, err := f.svc.Decide(ctx, eiEmp, toEI.ID, application.Process, application.Decision{}); err != nil {
			t.Fatal(err)
		}
		bad := f.hire(offer.KindEI)
		bad.HoursPerWeek, bad.ContractType = 99, offer.ContractApprenticeship
		if _, err := f.svc.Decide(ctx, eiEmp, toEI.ID, application.Accept, application.Decision{Hire: bad}); fault.FieldsOf(err)["hours_per_week"] == "" ||
			fault.FieldsOf(err)["contract_type"] == "" {
			t.Fatalf("bad hire: %v", err)
		}
		toThird, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: third.ID, JobDescriptions: []uuid.UUID{thirdJob.ID}})
		if err != nil {
			t.Fatal(err)
		}
		hired, err := f.svc.Decide(ctx, eiEmp, toEI.ID, application.Accept, application.Decision{Hire: f.hire(offer.KindEI)})
		if err != nil || hired.State != application.Accepted {
			t.Fatalf("accept: %+v %v", hired, err)
		}
		if d, err := f.svc.Get(ctx, thirdEmp, toThird.ID, access.PurposeIAERecruitment); err != nil || d.State != application.Obsolete {
			t.Fatalf("the other pending application: %+v %v", d.State, err)
		}

		// The refused one is sent on to the third structure by the ACI.
		if _, err := f.svc.Decide(ctx, thirdEmp, toThird.ID, application.Reset, application.Decision{}); err != nil {
			t.Fatal(err)
		}
		f.Clock.Advance(25 * 60 * 60 * 1e9)
		next, err := f.svc.SendOn(ctx, aciEmp, toACI.ID, third.ID, []uuid.UUID{thirdJob.ID}, "Candidate motivée.")
		if err != nil || next.TransferredFrom != toACI.ID || next.SenderKind != application.SentByEmployer {
			t.Fatalf("sent on: %+v %v", next, err)
		}

		// Each party's lists.
		received, _, err := f.svc.Received(ctx, eiEmp, application.Filter{})
		if err != nil || len(received) != 1 || received[0].State != application.Accepted {
			t.Fatalf("EI received: %+v %v", received, err)
		}
		sent, _, err := f.svc.Sent(ctx, presc, application.Filter{})
		if err != nil || len(sent) != 3 {
			t.Fatalf("prescriber sent: %+v %v", sent, err)
		}
		if refusedOnly, _, _ := f.svc.Sent(ctx, presc, application.Filter{States: []application.State{application.Refused}}); len(refusedOnly) != 1 {
			t.Fatalf("filter by state: %+v", refusedOnly)
		}
		// History: who, when, from, to.
		d, err := f.svc.Get(ctx, aciEmp, toACI.ID, access.PurposeIAERecruitment)
		if err != nil {
			t.Fatal(err)
		}
		var moves []string
		for _, m := range d.History {
			moves = append(moves, string(m.Transition)+":"+string(m.From)+">"+string(m.To))
		}
		if got := strings.Join(moves, " "); got != "send:>new refuse:new>refused external_transfer:refused>refused" {
			t.Fatalf("history: %s", got)
		}
	})
}

func TestWhoSeesWhat(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		aci, aciEmp, job := f.Structure(t, offer.KindACI, "emp@aci.fr")
		_, otherEmp, _ := f.Structure(t, offer.KindEI, "emp@ei.fr")
		presc := f.prescriber(t, "p@ccas.fr")
		otherPresc := f.prescriber(t, "q@ccas.fr")
		p := f.Person(t, presc, "Léa", "Durand", "")
		a, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{job.ID},
			Message: "CANARI-MESSAGE"})
		if err != nil {
			t.Fatal(err)
		}
		for name, who := range map[string]access.Actor{"receiving employer": aciEmp, "sending prescriber": presc} {
			if d, err := f.svc.Get(ctx, who, a.ID, access.PurposeIAERecruitment); err != nil || d.Message != "CANARI-MESSAGE" {
				t.Errorf("%s: %v", name, err)
			}
		}
		for name, who := range map[string]access.Actor{"another employer": otherEmp, "another prescriber": otherPresc,
			"a job seeker": {UserID: uuid.New(), Kind: access.JobSeeker}} {
			if _, err := f.svc.Get(ctx, who, a.ID, access.PurposeIAERecruitment); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s read it: %v", name, err)
			}
			if rows, _, _ := f.svc.Received(ctx, who, application.Filter{}); len(rows) != 0 {
				t.Errorf("%s lists it as received", name)
			}
			if rows, _, _ := f.svc.Sent(ctx, who, application.Filter{}); len(rows) != 0 {
				t.Errorf("%s lists it as sent", name)
			}
		}
		// The receiving structure reads the person's file once it has the application.
		if _, err := f.People.Get(ctx, aciEmp, p.ID, access.PurposeIAERecruitment); err != nil {
			t.Fatalf("receiving structure reads the person: %v", err)
		}
		if _, err := f.People.Get(ctx, otherEmp, p.ID, access.PurposeIAERecruitment); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("another structure reads the person: %v", err)
		}
		// Only the receiving structure moves it.
		if _, err := f.svc.Decide(ctx, presc, a.ID, application.Process, application.Decision{}); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("the prescriber moved it: %v", err)
		}
		// The message is sealed at rest.
		var raw []byte
		if err := db.Reader().QueryRowContext(ctx, `SELECT message FROM applications WHERE id = $1`, a.ID).Scan(&raw); err != nil ||
			bytes.Contains(raw, []byte("CANARI")) {
			t.Fatalf("message at rest: %v", err)
		}
		// Two years later, the employer no longer sees a refused application; the prescriber does.
		if _, err := f.svc.Decide(ctx, aciEmp, a.ID, application.Refuse, application.Decision{Reason: application.ReasonOther, Answer: "Non."}); err != nil {
			t.Fatal(err)
		}
		f.Clock.Advance(2*365*24*60*60*1e9 + 24*60*60*1e9)
		if _, err := f.svc.Get(ctx, aciEmp, a.ID, access.PurposeIAERecruitment); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("employer reads a refused application of more than two years: %v", err)
		}
		if _, err := f.svc.Get(ctx, presc, a.ID, access.PurposeIAERecruitment); err != nil {
			t.Fatalf("sender: %v", err)
		}
	})
}

func TestSendingRules(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		aci, aciEmp, job := f.Structure(t, offer.KindACI, "emp@aci.fr")
		presc := f.prescriber(t, "p@ccas.fr")
		stranger := f.prescriber(t, "s@ccas.fr")
		p := f.Person(t, presc, "Léa", "Durand", "")
		// Spontaneous only when the structure accepts them.
		if _, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID}); fault.FieldsOf(err)["job_descriptions"] == "" {
			t.Fatalf("spontaneous to a closed structure: %v", err)
		}
		// A prescriber who does not follow the person cannot apply for them.
		if _, err := f.svc.Send(ctx, stranger, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{job.ID}}); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("stranger applied: %v", err)
		}
		// A blocked structure refuses them.
		if err := f.Offer.SetApplicationsBlocked(ctx, aciEmp, aci.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{job.ID}}); fault.FieldsOf(err)[""] == "" {
			t.Fatalf("blocked structure: %v", err)
		}
		// The employer declares its own hire even while blocked, then accepts it.
		own, err := f.svc.Send(ctx, aciEmp, application.SendInput{JobSeekerID: f.Person(t, aciEmp, "Marc", "Petit", "").ID, StructureID: aci.ID, SelfHire: true})
		if err != nil || !own.SelfHire {
			t.Fatalf("self hire: %+v %v", own, err)
		}
		if _, err := f.svc.Decide(ctx, aciEmp, own.ID, application.Accept, application.Decision{Hire: f.hire(offer.KindACI)}); err != nil {
			t.Fatal(err)
		}
		// The person sends their own application from their account.
		if err := f.Offer.SetApplicationsBlocked(ctx, aciEmp, aci.ID, false); err != nil {
			t.Fatal(err)
		}
		self := access.Actor{UserID: uuid.New(), Kind: access.JobSeeker}
		if _, err := f.svc.Send(ctx, self, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{job.ID}}); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("a job seeker applied for someone else: %v", err)
		}
	})
}

// Random sequences of moves never reach a state the table does not allow, and every move
// that happened is in the history, in order.
func TestWorkflowPropertyOnTheDatabase(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		aci, emp, job := f.Structure(t, offer.KindACI, "emp@aci.fr")
		presc := f.prescriber(t, "p@ccas.fr")
		moves := []application.Transition{application.Process, application.Postpone, application.AddToPool, application.Refuse,
			application.Accept, application.CancelHire, application.Reset}
		n := 0
		rapid.Check(t, func(rt *rapid.T) {
			n++
			p := f.Person(t, presc, "Léa", "Durand", "")
			a, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{job.ID}})
			if err != nil {
				rt.Fatal(err)
			}
			state := application.New
			want := []string{"send:>new"}
			for range rapid.IntRange(1, 12).Draw(rt, "steps") {
				t := rapid.SampledFrom(moves).Draw(rt, "move")
				d := application.Decision{Reason: application.ReasonOther, Answer: "Réponse.", Hire: f.hire(offer.KindACI)}
				got, err := f.svc.Decide(ctx, emp, a.ID, t, d)
				next, allowed := application.Next(state, t)
				if allowed != (err == nil) {
					rt.Fatalf("%s from %s: err %v, allowed %v", t, state, err, allowed)
				}
				if err != nil {
					if !errors.Is(err, fault.Conflict) {
						rt.Fatalf("refused with %v", err)
					}
					continue
				}
				if got.State != next {
					rt.Fatalf("%s from %s gave %s, want %s", t, state, got.State, next)
				}
				want = append(want, string(t)+":"+string(state)+">"+string(next))
				state = next
			}
			d, err := f.svc.Get(ctx, emp, a.ID, access.PurposeIAERecruitment)
			if err != nil {
				rt.Fatal(err)
			}
			var history []string
			for _, m := range d.History {
				history = append(history, string(m.Transition)+":"+string(m.From)+">"+string(m.To))
			}
			if d.State != state || strings.Join(history, " ") != strings.Join(want, " ") {
				rt.Fatalf("state %s (want %s), history %v, want %v", d.State, state, history, want)
			}
		})
	})
}

// pdf is a small PDF holding text (the content check reads its structure, not its meaning).
func pdf(text string) []byte {
	return []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% " + text + "\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}

func TestCVIsSealedAndReadOnlyByThoseWhoSeeTheApplication(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		aci, emp, job := f.Structure(t, offer.KindACI, "emp@aci.fr")
		_, other, _ := f.Structure(t, offer.KindEI, "emp@ei.fr")
		presc := f.prescriber(t, "p@ccas.fr")
		p := f.Person(t, presc, "Léa", "Durand", "")
		// A file that is not a PDF is refused at the field, before anything is written.
		if _, err := f.Files.Accept(ctx, presc, bytes.NewReader([]byte("GIF89a…")), "cv.pdf", application.CVRules()); fault.FieldsOf(err)["cv"] == "" {
			t.Fatalf("not a PDF: %v", err)
		}
		up, err := f.Files.Accept(ctx, presc, bytes.NewReader(pdf("CANARI-CV Léa Durand")), "CV Léa Durand.pdf", application.CVRules())
		if err != nil {
			t.Fatal(err)
		}
		a, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{job.ID}, CV: &up})
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.CV(ctx, emp, a.ID)
		if err != nil || !bytes.Contains(got.Content, []byte("CANARI-CV")) || got.Headers()["Content-Type"] != "application/pdf" {
			t.Fatalf("the receiving structure's download: %v", err)
		}
		if _, err := f.svc.CV(ctx, presc, a.ID); err != nil {
			t.Fatalf("the sender's download: %v", err)
		}
		if _, err := f.svc.CV(ctx, other, a.ID); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("another structure downloaded it: %v", err)
		}
		var downloads int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE action = 'read.application.cv' AND outcome = 'ok'`).Scan(&downloads); err != nil || downloads != 2 {
			t.Fatalf("downloads recorded: %d %v", downloads, err)
		}
		// Nothing of it in clear in the database.
		rows, err := db.Reader().QueryContext(ctx, `SELECT content FROM file_contents`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte("CANARI-CV")) {
				t.Fatal("the CV is stored in clear")
			}
		}
	})
}

func TestExportIsTheListNeutralisedAndRecorded(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		aci, emp, job := f.Structure(t, offer.KindACI, "emp@aci.fr")
		presc := f.prescriber(t, "p@ccas.fr")
		for _, name := range []string{"Durand", "=HYPERLINK(\"http://x\")"} {
			p := f.Person(t, presc, "Léa", name, "")
			if _, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{job.ID}}); err != nil {
				t.Fatal(err)
			}
		}
		tbl, err := f.svc.Export(ctx, emp, application.ViewReceived, application.Filter{})
		if err != nil || len(tbl.Rows) != 2 || len(tbl.Header) != 11 {
			t.Fatalf("received export: %+v %v", tbl, err)
		}
		var b bytes.Buffer
		if err := export.CSV(&b, tbl); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "'=HYPERLINK") || strings.Contains(b.String(), ";=HYPERLINK") {
			t.Fatalf("formula not neutralised: %s", b.String())
		}
		if tbl, err := f.svc.Export(ctx, presc, application.ViewSent, application.Filter{}); err != nil || len(tbl.Rows) != 2 || len(tbl.Header) != 8 {
			t.Fatalf("sent export: %+v %v", tbl, err)
		}
		if _, err := f.svc.Export(ctx, presc, application.ViewReceived, application.Filter{}); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("a prescriber exported a structure's received list: %v", err)
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE action = 'read.application.export' AND outcome = 'ok'
			AND details LIKE '%"count":"2"%'`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("exports recorded with their size: %d %v", n, err)
		}
	})
}

func TestTransferToAnotherStructureOfTheSameEmployer(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		aci, emp, job := f.Structure(t, offer.KindACI, "emp@aci.fr")
		ei, eiEmp, _ := f.Structure(t, offer.KindEI, "emp@ei.fr")
		other, _, _ := f.Structure(t, offer.KindAI, "emp@ai.fr")
		presc := f.prescriber(t, "p@ccas.fr")
		p := f.Person(t, presc, "Léa", "Durand", "")
		a, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{job.ID}})
		if err != nil {
			t.Fatal(err)
		}
		// Only to a structure the employer also belongs to.
		if _, err := f.svc.Decide(ctx, emp, a.ID, application.Transfer, application.Decision{Target: other.ID}); fault.FieldsOf(err)["target"] == "" {
			t.Fatalf("transfer to a structure of someone else: %v", err)
		}
		if err := f.Orgs.StaffAddMember(ctx, f.Staff, ei.ID, "emp@aci.fr", false); err != nil {
			t.Fatal(err)
		}
		moved, err := f.svc.Decide(ctx, emp, a.ID, application.Transfer, application.Decision{Target: ei.ID})
		if err != nil || moved.ToOrg != ei.ID || moved.State != application.New {
			t.Fatalf("transfer: %+v %v", moved, err)
		}
		// The EI's members now answer it; the ACI no longer sees it as received.
		if _, err := f.svc.Decide(ctx, eiEmp, a.ID, application.Process, application.Decision{}); err != nil {
			t.Fatalf("the EI processes it: %v", err)
		}
		if rows, _, _ := f.svc.Received(ctx, emp, application.Filter{}); len(rows) != 0 {
			t.Fatalf("still in the ACI's list: %+v", rows)
		}
		if d, err := f.svc.Get(ctx, presc, a.ID, access.PurposeIAEFollowUp); err != nil || d.History[1].Transition != application.Transfer || d.History[1].TargetOrg != ei.ID {
			t.Fatalf("history: %+v %v", d.History, err)
		}
	})
}
