package jobseeker_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/jobseeker"
	"parcours/internal/org"
)

const pw = "Correct-Cheval-Pile-42"

type fixture struct {
	db       *database.DB
	clock    *clock.Fake
	env      *crypto.Envelope
	accounts *account.Service
	orgs     *org.Service
	svc      *jobseeker.Service
	staff    access.Actor
	siretSeq int
}

func newFixture(t *testing.T, db *database.DB) *fixture {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
	kr, err := crypto.NewKeyring(clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	env := crypto.NewEnvelope(kr, clk)
	guard := access.NewGuard(db, audit.NewJournal(env.Pseudonym), clk)
	accounts := account.NewService(account.Options{DB: db, Clock: clk, Hasher: account.NewHasher(account.HashParams{Memory: 1024, Time: 1, Threads: 1}),
		Envelope: env, BaseURL: "https://parcours.test", Guard: guard})
	f := &fixture{db: db, clock: clk, env: env, accounts: accounts, orgs: org.NewService(db, guard, clk, places(t), accounts, "https://parcours.test"),
		svc: jobseeker.NewService(db, guard, env, clk, places(t), accounts)}
	s := f.user(t, access.Staff, "staff@exemple.fr")
	f.staff = access.Actor{UserID: s.ID, Kind: access.Staff, MFA: true}
	return f
}

func (f *fixture) user(t *testing.T, kind access.UserKind, email string) account.User {
	t.Helper()
	u, err := f.accounts.CreateVerified(context.Background(), account.SignUp{Kind: kind, Email: email, Password: pw, FirstName: "Prénom", LastName: "Nom"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// member creates an organisation of that kind with a professional member and returns the
// member acting for it.
func (f *fixture) member(t *testing.T, kind, email string) access.Actor {
	t.Helper()
	ctx := context.Background()
	u := f.user(t, access.Professional, email)
	f.siretSeq++
	base := []byte("1234567800000")
	copy(base[9:], []byte{byte('0' + f.siretSeq/100%10), byte('0' + f.siretSeq/10%10), byte('0' + f.siretSeq%10)})
	siret := ""
	for d := '0'; d <= '9'; d++ {
		if org.CheckSIRET(string(base)+string(d)) == nil {
			siret = string(base) + string(d)
			break
		}
	}
	o, err := f.orgs.Create(ctx, f.staff, org.NewOrganisation{Kind: kind, Name: kind + " " + email, SIRET: siret, CommuneCode: "69123", Habilitated: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.orgs.StaffAddMember(ctx, f.staff, o.ID, u.Email, true); err != nil {
		t.Fatal(err)
	}
	a, _, err := f.orgs.Actor(ctx, u, o.ID, false)
	if err != nil || a.OrgID != o.ID {
		t.Fatalf("actor: %+v %v", a, err)
	}
	return a
}

func TestProxyCreationReadsAndRelations(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		prescriber := f.member(t, "CCAS", "conseillere@ccas.fr")
		other := f.member(t, "CCAS", "autre@ccas.fr")
		employer := f.member(t, "ACI", "employeur@aci.fr")
		p := valid()
		p.Email = "karim@exemple.fr"
		j, err := f.svc.Create(ctx, prescriber, jobseeker.CreateInput{Profile: p})
		if err != nil {
			t.Fatal(err)
		}
		if !j.HandledByProxy && j.UserID == uuid.Nil {
			t.Fatalf("no account opened for the address: %+v", j)
		}
		// The person is told, with a link to choose a password.
		mails, err := f.accounts.Outbox().List(ctx, db.Reader(), 10)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range mails {
			if m.To == "karim@exemple.fr" && strings.Contains(m.TextBody, "/mot-de-passe/nouveau/") && strings.Contains(m.TextBody, "CCAS") {
				found = true
			}
		}
		if !found {
			t.Fatalf("no activation mail: %+v", mails)
		}
		// The creator reads the file (recorded); another prescriber, an employer without an
		// application and another job seeker cannot.
		got, err := f.svc.Get(ctx, prescriber, j.ID, access.PurposeIAERecruitment)
		if err != nil || got.NIR != "184127645108946" || got.Needs[jobseeker.NeedMobility] != "Pas de permis" || got.Phone != "0612345678" {
			t.Fatalf("creator's read: %+v %v", got, err)
		}
		if !got.HandledByProxy {
			t.Fatal("the person never logged in: the file is handled by proxy")
		}
		intruder := f.user(t, access.JobSeeker, "autre.candidat@exemple.fr")
		for name, a := range map[string]access.Actor{"another prescriber": other, "an employer": employer,
			"another job seeker": {UserID: intruder.ID, Kind: access.JobSeeker}} {
			if _, err := f.svc.Get(ctx, a, j.ID, access.PurposeIAERecruitment); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s read the file: %v", name, err)
			}
		}
		if _, err := f.svc.Get(ctx, prescriber, j.ID, access.PurposeSupport); !errors.Is(err, fault.Forbidden) {
			t.Errorf("read for an adapted-support purpose: %v", err)
		}
		var reads, denied int
		if err := db.Reader().QueryRowContext(ctx, `SELECT
			COUNT(*) FILTER (WHERE outcome = 'ok'), COUNT(*) FILTER (WHERE outcome = 'denied')
			FROM audit_events WHERE action = 'read.jobseeker.profile' AND object_ref = $1`,
			f.env.Pseudonym(audit.SubjectKind, j.ID.String())).Scan(&reads, &denied); err != nil {
			t.Fatal(err)
		}
		if reads != 1 || denied != 3 {
			t.Fatalf("audit: %d reads, %d refusals, want 1 and 3", reads, denied)
		}
		// The organisation's list holds the person; the other organisation's does not.
		list, err := f.svc.Followed(ctx, prescriber, "", 10)
		if err != nil || len(list) != 1 || list[0].ID != j.ID || list[0].LastAction != "create" {
			t.Fatalf("followed: %+v %v", list, err)
		}
		if list, _ := f.svc.Followed(ctx, other, "karim", 10); len(list) != 0 {
			t.Fatalf("another organisation sees: %+v", list)
		}
	})
}

func TestIdentifiersAreSealedAndBound(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		prescriber := f.member(t, "CCAS", "c@ccas.fr")
		a, err := f.svc.Create(ctx, prescriber, jobseeker.CreateInput{Profile: valid()})
		if err != nil {
			t.Fatal(err)
		}
		q := valid()
		q.Civility, q.BirthName, q.FirstNames, q.NIR, q.FTID = jobseeker.Madame, "Durand", "Léa", "290057512345669", "7654321B"
		q.BirthDate = database.Date{Year: 1990, Month: 5, Day: 12}
		q.Needs = jobseeker.SupportNeeds{jobseeker.NeedHealth: "Suivi médical régulier"}
		q.Email = "lea@exemple.fr"
		b, err := f.svc.Create(ctx, prescriber, jobseeker.CreateInput{Profile: q})
		if err != nil {
			t.Fatal(err)
		}
		// Nothing of the identifiers or the comments is in clear in the rows.
		rows, err := db.Reader().QueryContext(ctx, `SELECT nir, ft_id, details FROM job_seekers`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var nir, ft, det []byte
			if err := rows.Scan(&nir, &ft, &det); err != nil {
				t.Fatal(err)
			}
			for _, canary := range []string{"184127645108946", "290057512345669", "1234567A", "7654321B", "Suivi médical", "Pas de permis", "0612345678"} {
				if bytes.Contains(bytes.Join([][]byte{nir, ft, det}, nil), []byte(canary)) {
					t.Fatalf("%q in clear", canary)
				}
			}
		}
		rows.Close()
		// Swapping two persons' sealed details makes both unreadable.
		if _, err := db.Writer().ExecContext(ctx, `UPDATE job_seekers SET details = (SELECT details FROM job_seekers WHERE id = $2) WHERE id = $1`, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Get(ctx, prescriber, a.ID, access.PurposeIAEFollowUp); err == nil {
			t.Fatal("another person's sealed details opened")
		}
		if _, err := f.svc.Get(ctx, prescriber, b.ID, access.PurposeIAEFollowUp); err != nil {
			t.Fatalf("untouched file: %v", err)
		}
	})
}

func TestDuplicatesAreShownBeforeCreating(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		prescriber := f.member(t, "CCAS", "c@ccas.fr")
		first, err := f.svc.Create(ctx, prescriber, jobseeker.CreateInput{Profile: valid()})
		if err != nil {
			t.Fatal(err)
		}
		var dup *jobseeker.DuplicatesError
		// Same NIR: never created again, even confirmed.
		if _, err := f.svc.Create(ctx, prescriber, jobseeker.CreateInput{Profile: valid(), Confirmed: true}); !errors.As(err, &dup) ||
			!dup.Matches[0].SameNIR || dup.Matches[0].ID != first.ID || dup.Matches[0].Masked != "Karim B., né en 1984" {
			t.Fatalf("same NIR: %v", err)
		}
		// Same names and birth date, no NIR: shown, then created once confirmed.
		p := valid()
		p.NIR, p.NoNIRReason, p.FTID, p.NoFTIDReason = "", jobseeker.NoNIR, "", jobseeker.FTNotRegistered
		p.FirstNames, p.BirthName, p.Email = "KARIM AHMED", "benali", ""
		if _, err := f.svc.Create(ctx, prescriber, jobseeker.CreateInput{Profile: p}); !errors.As(err, &dup) || dup.Matches[0].SameNIR ||
			!strings.Contains(dup.Matches[0].Why, "nom") {
			t.Fatalf("same names: %v", err)
		}
		if _, err := f.svc.Create(ctx, prescriber, jobseeker.CreateInput{Profile: p, Confirmed: true}); err != nil {
			t.Fatalf("confirmed: %v", err)
		}
		// Same France Travail identifier and birth date.
		p = valid()
		p.NIR, p.NoNIRReason, p.BirthName, p.FirstNames, p.Email = "", jobseeker.NoNIR, "Autre", "Nom", ""
		if _, err := f.svc.Create(ctx, prescriber, jobseeker.CreateInput{Profile: p}); !errors.As(err, &dup) ||
			!strings.Contains(dup.Matches[0].Why, "France Travail") {
			t.Fatalf("same FT id: %v", err)
		}
	})
}

func TestSelfServiceAndTheEndOfProxy(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		// A job seeker creates their own file, once.
		u := f.user(t, access.JobSeeker, "moi@exemple.fr")
		me := access.Actor{UserID: u.ID, Kind: access.JobSeeker}
		p := valid()
		if _, ok, err := f.svc.Mine(ctx, me); ok || err != nil {
			t.Fatalf("no file yet: %v %v", ok, err)
		}
		mine, err := f.svc.Create(ctx, me, jobseeker.CreateInput{Profile: p})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Create(ctx, me, jobseeker.CreateInput{Profile: p}); !errors.Is(err, fault.Conflict) {
			t.Fatalf("second file: %v", err)
		}
		if got, ok, err := f.svc.Mine(ctx, me); !ok || err != nil || got.ID != mine.ID {
			t.Fatalf("mine: %v %v", ok, err)
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE action LIKE 'read.%'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("own reads recorded: %d %v", n, err)
		}

		// A file created by proxy: the follower edits it until the person logs in; then only the person.
		prescriber := f.member(t, "CCAS", "c@ccas.fr")
		q := valid()
		q.NIR, q.NoNIRReason, q.FTID, q.NoFTIDReason, q.BirthName, q.Email = "", jobseeker.NoNIR, "", jobseeker.FTNotRegistered, "Martin", "martin@exemple.fr"
		j, err := f.svc.Create(ctx, prescriber, jobseeker.CreateInput{Profile: q})
		if err != nil {
			t.Fatal(err)
		}
		q.Address = "3 place Bellecour"
		if _, err := f.svc.Update(ctx, prescriber, j.ID, q); err != nil {
			t.Fatalf("follower's edit while handled by proxy: %v", err)
		}
		// The person chooses a password through the link, then logs in.
		var token string
		mails, _ := f.accounts.Outbox().List(ctx, db.Reader(), 20)
		for _, m := range mails {
			if m.To == "martin@exemple.fr" {
				rest := m.TextBody[strings.Index(m.TextBody, "/mot-de-passe/nouveau/")+len("/mot-de-passe/nouveau/"):]
				token = strings.Fields(rest)[0]
			}
		}
		if err := f.accounts.ResetPassword(ctx, token, pw); err != nil {
			t.Fatal(err)
		}
		login, err := f.accounts.Login(ctx, "martin@exemple.fr", pw, account.Client{IP: "192.0.2.7"})
		if err != nil {
			t.Fatal(err)
		}
		person := access.Actor{UserID: login.User.ID, Kind: access.JobSeeker}
		q.Address = "5 rue Mercière"
		if _, err := f.svc.Update(ctx, prescriber, j.ID, q); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("follower's edit after the person took over: %v", err)
		}
		got, err := f.svc.Update(ctx, person, j.ID, q)
		if err != nil || got.Address != "5 rue Mercière" {
			t.Fatalf("person's edit: %v", err)
		}
		// The follower still reads it.
		if _, err := f.svc.Get(ctx, prescriber, j.ID, access.PurposeIAEFollowUp); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFollowByNIRNeedsTheBirthDateToo(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		creator := f.member(t, "CCAS", "c@ccas.fr")
		employer := f.member(t, "EI", "e@ei.fr")
		j, err := f.svc.Create(ctx, creator, jobseeker.CreateInput{Profile: valid()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.FollowByNIR(ctx, employer, "184127645108946", database.Date{Year: 1984, Month: 12, Day: 4}); !errors.Is(err, fault.NotFound) {
			t.Fatalf("wrong birth date: %v", err)
		}
		if _, err := f.svc.Get(ctx, employer, j.ID, access.PurposeIAERecruitment); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("read before following: %v", err)
		}
		id, err := f.svc.FollowByNIR(ctx, employer, "1 84 12 76 451 089 46", database.Date{Year: 1984, Month: 12, Day: 3})
		if err != nil || id != j.ID {
			t.Fatalf("follow: %v %v", id, err)
		}
		if _, err := f.svc.Get(ctx, employer, j.ID, access.PurposeIAERecruitment); err != nil {
			t.Fatalf("read once following: %v", err)
		}
		if _, err := f.svc.FollowByNIR(ctx, access.Actor{UserID: uuid.New(), Kind: access.JobSeeker}, "184127645108946",
			database.Date{Year: 1984, Month: 12, Day: 3}); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("a job seeker looked someone up: %v", err)
		}
	})
}

// A row loaded in bulk (LoadRow, bench/seed) is stored like one Create writes: the pages open
// it, and its NIR is found through the blind index.
func TestLoadRowReadsLikeCreate(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		prescriber := f.member(t, "CCAS", "conseillere@ccas.fr")
		employer := f.member(t, "ACI", "employeur@aci.fr")
		p := valid()
		if err := p.Validate(today, places(t)); err != nil {
			t.Fatal(err)
		}
		now := f.clock.Now()
		j := jobseeker.JobSeeker{ID: uuid.Must(uuid.NewV7()), Profile: p, CreatedAt: now, UpdatedAt: now, CreatedByOrg: prescriber.OrgID}
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			b, err := f.env.NewBulk(ctx, tx)
			if err != nil {
				return err
			}
			row, err := jobseeker.LoadRow(b, j, prescriber.UserID)
			if err != nil {
				return err
			}
			if len(row) != len(jobseeker.LoadColumns) {
				t.Fatalf("%d values for %d columns", len(row), len(jobseeker.LoadColumns))
			}
			marks := make([]string, len(row))
			for i := range marks {
				marks[i] = fmt.Sprint("$", i+1)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO job_seekers (`+strings.Join(jobseeker.LoadColumns, ", ")+`) VALUES (`+
				strings.Join(marks, ", ")+`)`, row...); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO job_seeker_followers (job_seeker_id, org_id, user_id, since, last_action, last_action_at)
				VALUES ($1, $2, $3, $4, 'create', $4)`, j.ID, prescriber.OrgID, prescriber.UserID, now); err != nil {
				return err
			}
			return b.Insert(ctx, tx)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.Get(ctx, prescriber, j.ID, access.PurposeIAERecruitment)
		if err != nil {
			t.Fatal(err)
		}
		if got.NIR != p.NIR || got.FTID != p.FTID || got.Phone != p.Phone || got.Needs[jobseeker.NeedMobility] != "Pas de permis" || got.BirthName != p.BirthName {
			t.Fatalf("loaded row reads %+v, want %+v", got.Profile, p)
		}
		id, err := f.svc.FollowByNIR(ctx, employer, p.NIR, p.BirthDate)
		if err != nil || id != j.ID {
			t.Fatalf("FollowByNIR = %v, %v; want %v", id, err, j.ID)
		}
	})
}
