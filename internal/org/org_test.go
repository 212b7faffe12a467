package org_test

import (
	"context"
	"errors"
	"github.com/google/uuid"
	"parcours/internal/audit"
	"strings"
	"testing"
	"time"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/notify"
	"parcours/internal/org"
	"parcours/internal/refdata"
)

var places = func() *refdata.Data {
	d, err := refdata.Load()
	if err != nil {
		panic(err)
	}
	return d
}()

const pw = "Correct-Cheval-Pile-42"

type fixture struct {
	db       *database.DB
	clock    *clock.Fake
	accounts *account.Service
	orgs     *org.Service
	staff    access.Actor
}

func newFixture(t *testing.T, db *database.DB) *fixture {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	kr, _ := crypto.NewKeyring(clk.Now())
	env := crypto.NewEnvelope(kr, clk)
	guard := access.NewGuard(db, audit.NewJournal(env.Pseudonym), clk)
	accounts := account.NewService(account.Options{DB: db, Clock: clk, Hasher: account.NewHasher(account.HashParams{Memory: 1024, Time: 1, Threads: 1}),
		Envelope: env, BaseURL: "https://parcours.test", Guard: guard})
	f := &fixture{db: db, clock: clk, accounts: accounts, orgs: org.NewService(db, guard, clk, places, accounts, "https://parcours.test")}
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

// actor is how the web layer sees a professional acting for orgID.
func (f *fixture) actor(t *testing.T, u account.User, orgID interface{ String() string }) access.Actor {
	t.Helper()
	sess, err := f.accounts.Login(context.Background(), u.Email, pw, account.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if orgID != nil {
		var id [16]byte
		copy(id[:], []byte{})
		for _, m := range mustMemberships(t, f, u) {
			if m.Org.ID.String() == orgID.String() {
				if err := f.accounts.SetCurrentOrganisation(context.Background(), access.Actor{UserID: u.ID, Kind: u.Kind}, sess.Session.ID, m.Org.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	a, err := f.accounts.Authenticate(context.Background(), sess.Token)
	if err != nil {
		t.Fatal(err)
	}
	actor, _, err := f.orgs.Actor(context.Background(), a.User, a.Session.CurrentOrgID, false)
	if err != nil {
		t.Fatal(err)
	}
	return actor
}

func mustMemberships(t *testing.T, f *fixture, u account.User) []org.Membership {
	t.Helper()
	_, ms, err := f.orgs.Actor(context.Background(), u, uuid.Nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func siret(base string) string {
	for d := '0'; d <= '9'; d++ {
		if org.CheckSIRET(base+string(d)) == nil {
			return base + string(d)
		}
	}
	panic(base)
}

func (f *fixture) mails(t *testing.T, to string, kind notify.Kind) []notify.Mail {
	t.Helper()
	all, err := f.accounts.Outbox().List(context.Background(), f.db.Reader(), 500)
	if err != nil {
		t.Fatal(err)
	}
	var out []notify.Mail
	for _, m := range all {
		if m.To == to && m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

func TestSIRET(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"732 829 320 00074", true}, // a real, public SIRET
		{"73282932000075", false},   // one digit off: Luhn fails
		{"7328293200007", false},    // 13 digits
		{"7328293200007A", false},   // a letter
		{"35600000000048", true},    // La Poste: digit sum multiple of 5
		{"35600000000049", false},   // La Poste, wrong sum
		{"", false},
	} {
		if err := org.CheckSIRET(tc.in); (err == nil) != tc.ok {
			t.Errorf("CheckSIRET(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
	// A wrong check digit makes the number invalid: it says so, not that the company does not exist.
	if err := org.CheckSIRET("73282932000075"); err == nil || !strings.HasPrefix(err.Error(), "Ce numéro SIRET n'est pas valide") {
		t.Errorf("wrong check digit: %v", err)
	}
}

// Staff reading the journal get the names of the organisations it names; nobody else does.
func TestStaffNamesOfOrganisations(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		o, err := f.orgs.Create(ctx, f.staff, org.NewOrganisation{Kind: "CCAS", Name: "CCAS de Bron", SIRET: siret("2100000000001"), CommuneCode: "69029"})
		if err != nil {
			t.Fatal(err)
		}
		names, err := f.orgs.StaffNames(ctx, f.staff, []uuid.UUID{o.ID, o.ID, uuid.New(), uuid.Nil})
		if err != nil || len(names) != 1 || names[o.ID] != "CCAS de Bron" {
			t.Fatalf("names %v, %v", names, err)
		}
		pro := f.actor(t, f.user(t, access.Professional, "pro@exemple.fr"), nil)
		if _, err := f.orgs.StaffNames(ctx, pro, []uuid.UUID{o.ID}); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("a professional read the names: %v", err)
		}
	})
}

func TestCreatorBecomesAdminAndRoleFollowsTheOrganisation(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		u := f.user(t, access.Professional, "pro@exemple.fr")
		pro := f.actor(t, u, nil)
		o, err := f.orgs.Create(ctx, pro, org.NewOrganisation{Kind: "ML", Name: "  Mission   locale de Lyon ", SIRET: siret("1234567800001"), CommuneCode: "69123"})
		if err != nil {
			t.Fatal(err)
		}
		if o.Name != "Mission locale de Lyon" || o.Departement != "69" || o.Habilitation != org.NotSet {
			t.Fatalf("created %+v", o)
		}
		a := f.actor(t, u, o.ID)
		if a.OrgID != o.ID || !a.OrgAdmin || a.Role != access.Prescriber {
			t.Fatalf("actor %+v", a)
		}
		// Once habilitated, the same member acts as an authorized prescriber at the next request.
		if err := f.orgs.DecideHabilitation(ctx, f.staff, o.ID, org.Validated, "Mission locale vérifiée"); err != nil {
			t.Fatal(err)
		}
		if a := f.actor(t, u, o.ID); a.Role != access.AuthorizedPrescriber {
			t.Fatalf("after habilitation: role %s", a.Role)
		}
		if len(f.mails(t, "pro@exemple.fr", notify.KindHabilitationDecision)) != 1 {
			t.Fatal("members not told of the decision")
		}
	})
}

func TestCreateRejectsBadInputAndDuplicates(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		pro := f.actor(t, f.user(t, access.Professional, "pro@exemple.fr"), nil)
		_, err := f.orgs.Create(ctx, pro, org.NewOrganisation{Kind: "", Name: "", SIRET: "123", CommuneCode: "99999"})
		fields := fault.FieldsOf(err)
		for _, k := range []string{"kind", "name", "siret", "commune"} {
			if fields[k] == "" {
				t.Errorf("no message for %s: %v", k, err)
			}
		}
		in := org.NewOrganisation{Kind: "EI", Name: "EI Un", SIRET: siret("2345678900001"), CommuneCode: "13055"}
		if _, err := f.orgs.Create(ctx, pro, in); err != nil {
			t.Fatal(err)
		}
		if _, err := f.orgs.Create(ctx, pro, in); fault.FieldsOf(err)["siret"] == "" {
			t.Fatalf("duplicate SIRET and kind accepted: %v", err)
		}
		// The same SIRET may hold another kind (an SIAE is often both EI and ACI).
		in.Kind = "ACI"
		if _, err := f.orgs.Create(ctx, pro, in); err != nil {
			t.Fatalf("same SIRET, other kind: %v", err)
		}
		// State services are created by staff only.
		if _, err := f.orgs.Create(ctx, pro, org.NewOrganisation{Kind: "DDETS_IAE", Name: "DDETS", SIRET: siret("3456789000001"), CommuneCode: "69123"}); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("a professional created a DDETS: %v", err)
		}
		js := f.actor(t, f.user(t, access.JobSeeker, "js@exemple.fr"), nil)
		if _, err := f.orgs.Create(ctx, js, org.NewOrganisation{Kind: "EI"}); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("a job seeker got past access: %v", err)
		}
	})
}

func TestAutreCanNeverBeHabilitated(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		pro := f.actor(t, f.user(t, access.Professional, "pro@exemple.fr"), nil)
		orienteur, err := f.orgs.Create(ctx, pro, org.NewOrganisation{Kind: "AUTRE", Name: "Association", SIRET: siret("4567890100001"), CommuneCode: "69123"})
		if err != nil || orienteur.Habilitation != org.NotRequired {
			t.Fatalf("Autre declaring no habilitation: %+v %v", orienteur, err)
		}
		claims, err := f.orgs.Create(ctx, pro, org.NewOrganisation{Kind: "AUTRE", Name: "Association 2", SIRET: siret("5678901200001"), CommuneCode: "69123", Habilitated: true})
		if err != nil || claims.Habilitation != org.NotSet {
			t.Fatalf("Autre claiming a habilitation must wait for staff: %+v %v", claims, err)
		}
		if err := f.orgs.DecideHabilitation(ctx, f.staff, claims.ID, org.Validated, "ok"); fault.FieldsOf(err)["status"] == "" {
			t.Fatalf("staff validated an Autre organisation: %v", err)
		}
		// The database refuses it too, whatever the code does.
		_, err = db.Writer().ExecContext(ctx, `UPDATE organisations SET habilitation = 'VALIDATED' WHERE id = $1`, claims.ID)
		if !database.IsCheckViolation(err) {
			t.Fatalf("database accepted a validated Autre: %v", err)
		}
		ml, _ := f.orgs.Create(ctx, f.staff, org.NewOrganisation{Kind: "ML", Name: "ML", SIRET: siret("6789012300001"), CommuneCode: "69123"})
		_, err = db.Writer().ExecContext(ctx, `UPDATE organisations SET habilitation = 'NOT_REQUIRED' WHERE id = $1`, ml.ID)
		if !database.IsCheckViolation(err) {
			t.Fatalf("database accepted NOT_REQUIRED for a mission locale: %v", err)
		}
	})
}

func TestHabilitationByTheDDETSOfTheDepartementOnly(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		agent := f.user(t, access.Professional, "agent@ddets69.fr")
		d69, _ := f.orgs.Create(ctx, f.staff, org.NewOrganisation{Kind: "DDETS_IAE", Name: "DDETS 69", SIRET: siret("1300000000001"), CommuneCode: "69123"})
		if err := f.orgs.StaffAddMember(ctx, f.staff, d69.ID, agent.Email, true); err != nil {
			t.Fatal(err)
		}
		lyon, _ := f.orgs.Create(ctx, f.staff, org.NewOrganisation{Kind: "CCAS", Name: "CCAS Lyon", SIRET: siret("2100000000001"), CommuneCode: "69123"})
		marseille, _ := f.orgs.Create(ctx, f.staff, org.NewOrganisation{Kind: "CCAS", Name: "CCAS Marseille", SIRET: siret("2200000000001"), CommuneCode: "13055"})
		a := f.actor(t, agent, d69.ID)
		pending, err := f.orgs.PendingHabilitations(ctx, a)
		if err != nil || len(pending) != 1 || pending[0].ID != lyon.ID {
			t.Fatalf("DDETS 69 queue: %v %v", pending, err)
		}
		if err := f.orgs.DecideHabilitation(ctx, a, marseille.ID, org.Validated, "ok"); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("DDETS 69 decided for Marseille: %v", err)
		}
		if err := f.orgs.DecideHabilitation(ctx, a, lyon.ID, org.Refused, ""); fault.FieldsOf(err)["reason"] == "" {
			t.Fatalf("decision without a reason: %v", err)
		}
		if err := f.orgs.DecideHabilitation(ctx, a, lyon.ID, org.Refused, "Aucune pièce fournie"); err != nil {
			t.Fatal(err)
		}
		page, _ := f.orgs.LoadPage(ctx, f.staff, lyon.ID)
		if got := page.Org; got.Habilitation != org.Refused || got.HabilitationReason != "Aucune pièce fournie" {
			t.Fatalf("after decision: %+v", got)
		}
	})
}

func TestJoinRequestApprovedByAdmin(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		admin := f.user(t, access.Professional, "admin@aci.fr")
		newcomer := f.user(t, access.Professional, "nouveau@aci.fr")
		o, _ := f.orgs.Create(ctx, f.actor(t, admin, nil), org.NewOrganisation{Kind: "ACI", Name: "ACI", SIRET: siret("3100000000001"), CommuneCode: "69123"})
		found, err := f.orgs.FindBySIRET(ctx, f.actor(t, newcomer, nil), o.SIRET[:9]+"99999")
		if err != nil || len(found) != 1 {
			t.Fatalf("search by SIREN: %v %v", found, err)
		}
		if err := f.orgs.RequestJoin(ctx, f.actor(t, newcomer, nil), o.ID, "Je suis la nouvelle encadrante"); err != nil {
			t.Fatal(err)
		}
		if err := f.orgs.RequestJoin(ctx, f.actor(t, newcomer, nil), o.ID, ""); !errors.Is(err, fault.Conflict) {
			t.Fatalf("second pending request: %v", err)
		}
		if len(f.mails(t, "admin@aci.fr", notify.KindJoinRequest)) != 1 {
			t.Fatal("admin not told")
		}
		adminActor := f.actor(t, admin, o.ID)
		page, err := f.orgs.LoadPage(ctx, adminActor, o.ID)
		reqs := page.JoinRequests
		if err != nil || len(reqs) != 1 {
			t.Fatalf("pending: %v %v", reqs, err)
		}
		// The newcomer cannot accept their own request.
		if err := f.orgs.DecideJoin(ctx, f.actor(t, newcomer, nil), o.ID, reqs[0].ID, true, ""); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("requester decided: %v", err)
		}
		if err := f.orgs.DecideJoin(ctx, adminActor, o.ID, reqs[0].ID, true, ""); err != nil {
			t.Fatal(err)
		}
		if a := f.actor(t, newcomer, o.ID); a.OrgID != o.ID || a.OrgAdmin || a.Role != access.Employer {
			t.Fatalf("newcomer after acceptance: %+v", a)
		}
		if len(f.mails(t, "nouveau@aci.fr", notify.KindJoinDecision)) != 1 {
			t.Fatal("requester not told")
		}
	})
}

func TestFirstMemberOfAnOrganisationWithoutAdminBecomesAdmin(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		o, _ := f.orgs.Create(ctx, f.staff, org.NewOrganisation{Kind: "EI", Name: "EI importée", SIRET: siret("3200000000001"), CommuneCode: "69123"})
		u := f.user(t, access.Professional, "premier@ei.fr")
		if err := f.orgs.RequestJoin(ctx, f.actor(t, u, nil), o.ID, ""); err != nil {
			t.Fatal(err)
		}
		if len(f.mails(t, "staff@exemple.fr", notify.KindJoinRequest)) != 1 {
			t.Fatal("staff not told of a request nobody else can answer")
		}
		orphans, err := f.orgs.OrphanJoinRequests(ctx, f.staff)
		if err != nil || len(orphans) != 1 {
			t.Fatalf("staff queue: %v %v", orphans, err)
		}
		if err := f.orgs.DecideJoin(ctx, f.staff, o.ID, orphans[0].ID, true, ""); err != nil {
			t.Fatal(err)
		}
		if a := f.actor(t, u, o.ID); !a.OrgAdmin {
			t.Fatal("first member is not admin")
		}
	})
}

func TestInvitationValidFourteenDaysForTheInvitedAddressOnly(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		admin := f.user(t, access.Professional, "admin@ml.fr")
		o, _ := f.orgs.Create(ctx, f.actor(t, admin, nil), org.NewOrganisation{Kind: "ML", Name: "ML", SIRET: siret("3300000000001"), CommuneCode: "69123"})
		a := f.actor(t, admin, o.ID)
		if err := f.orgs.Invite(ctx, a, o.ID, "Collegue@ML.fr"); err != nil {
			t.Fatal(err)
		}
		link := f.mails(t, "collegue@ml.fr", notify.KindInvitation)[0]
		token := link.TextBody[strings.Index(link.TextBody, "/invitation/")+len("/invitation/"):]
		token = strings.Fields(token)[0]

		// Someone else who got the link cannot use it.
		intruder := f.user(t, access.Professional, "intrus@ml.fr")
		if _, err := f.orgs.AcceptInvitation(ctx, f.actor(t, intruder, nil), token); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("forwarded invitation accepted: %v", err)
		}
		// After 14 days it is over.
		f.clock.Advance(org.InvitationValidity + time.Second)
		if _, _, err := f.orgs.InvitationByToken(ctx, token); !errors.Is(err, org.ErrInvitationInvalid) {
			t.Fatalf("invitation alive after 14 days: %v", err)
		}
		// A new one works, creating the account and the membership together.
		if err := f.orgs.Invite(ctx, a, o.ID, "collegue@ml.fr"); err != nil {
			t.Fatal(err)
		}
		m := f.mails(t, "collegue@ml.fr", notify.KindInvitation)[0]
		token = strings.Fields(m.TextBody[strings.Index(m.TextBody, "/invitation/")+len("/invitation/"):])[0]
		u, joined, err := f.orgs.AcceptInvitationNewAccount(ctx, token, account.SignUp{FirstName: "Col", LastName: "Lègue", Password: pw, AcceptTerms: true})
		if err != nil || joined.ID != o.ID || u.Email != "collegue@ml.fr" || u.EmailVerifiedAt.IsZero() {
			t.Fatalf("accept with a new account: %+v %+v %v", u, joined, err)
		}
		if _, _, err := f.orgs.AcceptInvitationNewAccount(ctx, token, account.SignUp{FirstName: "X", LastName: "Y", Password: pw}); !errors.Is(err, org.ErrInvitationInvalid) {
			t.Fatalf("invitation used twice: %v", err)
		}
		// A bad password writes neither the account nor the membership.
		if err := f.orgs.Invite(ctx, a, o.ID, "troisieme@ml.fr"); err != nil {
			t.Fatal(err)
		}
		m = f.mails(t, "troisieme@ml.fr", notify.KindInvitation)[0]
		token = strings.Fields(m.TextBody[strings.Index(m.TextBody, "/invitation/")+len("/invitation/"):])[0]
		if _, _, err := f.orgs.AcceptInvitationNewAccount(ctx, token, account.SignUp{FirstName: "T", LastName: "R", Password: "court"}); fault.FieldsOf(err)["password"] == "" {
			t.Fatalf("weak password: %v", err)
		}
		if _, err := f.accounts.OperatorLookup(ctx, "troisieme@ml.fr"); !errors.Is(err, fault.NotFound) {
			t.Fatal("account written although the invitation failed")
		}
	})
}

func TestMembersAreDeactivatedNeverDeletedAndAnAdminRemains(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		admin := f.user(t, access.Professional, "admin@etti.fr")
		member := f.user(t, access.Professional, "membre@etti.fr")
		o, _ := f.orgs.Create(ctx, f.actor(t, admin, nil), org.NewOrganisation{Kind: "ETTI", Name: "ETTI", SIRET: siret("3400000000001"), CommuneCode: "69123"})
		if err := f.orgs.StaffAddMember(ctx, f.staff, o.ID, member.Email, false); err != nil {
			t.Fatal(err)
		}
		// Adding the admin again as a plain member takes nothing away: the organisation keeps its admin.
		if err := f.orgs.StaffAddMember(ctx, f.staff, o.ID, admin.Email, false); err != nil {
			t.Fatal(err)
		}
		var admins int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND is_active AND is_admin`, o.ID).Scan(&admins); err != nil || admins != 1 {
			t.Fatalf("%d active admins after adding the admin again (%v)", admins, err)
		}
		a := f.actor(t, admin, o.ID)
		if err := f.orgs.SetMemberActive(ctx, a, o.ID, admin.ID, false); !errors.Is(err, fault.Conflict) {
			t.Fatalf("the only admin left: %v", err)
		}
		// A plain member cannot manage members.
		if err := f.orgs.SetMemberAdmin(ctx, f.actor(t, member, o.ID), o.ID, member.ID, true); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("member made themself admin: %v", err)
		}
		if err := f.orgs.SetMemberActive(ctx, a, o.ID, member.ID, false); err != nil {
			t.Fatal(err)
		}
		// Deactivation takes effect at the member's next request: no organisation any more.
		if got := f.actor(t, member, o.ID); got.OrgID == o.ID {
			t.Fatal("deactivated member still acts for the organisation")
		}
		staffPage, err := f.orgs.LoadPage(ctx, f.staff, o.ID)
		if ms := staffPage.Members; err != nil || len(ms) != 2 {
			t.Fatalf("history lost: %v %v", ms, err)
		}
		if len(f.mails(t, "membre@etti.fr", notify.KindMembershipChanged)) != 1 {
			t.Fatal("member not told")
		}
		if _, err := db.Writer().ExecContext(ctx, `UPDATE memberships SET is_active = FALSE, is_admin = TRUE WHERE user_id = $1`, member.ID); !database.IsCheckViolation(err) {
			t.Fatalf("database accepted an inactive admin: %v", err)
		}
	})
}

func TestSwitchOnlyToOwnOrganisations(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		u := f.user(t, access.Professional, "multi@exemple.fr")
		other := f.user(t, access.Professional, "autre@exemple.fr")
		pro := f.actor(t, u, nil)
		a1, _ := f.orgs.Create(ctx, pro, org.NewOrganisation{Kind: "ACI", Name: "A1", SIRET: siret("3500000000001"), CommuneCode: "69123"})
		a2, _ := f.orgs.Create(ctx, pro, org.NewOrganisation{Kind: "EI", Name: "A2", SIRET: siret("3600000000001"), CommuneCode: "69123"})
		foreign, _ := f.orgs.Create(ctx, f.actor(t, other, nil), org.NewOrganisation{Kind: "EI", Name: "Foreign", SIRET: siret("3700000000001"), CommuneCode: "69123"})
		sess, _ := f.accounts.Login(ctx, u.Email, pw, account.Client{IP: "192.0.2.1"})
		actor := f.actor(t, u, a1.ID)
		if err := f.orgs.Switch(ctx, actor, sess.Session.ID, a2.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.orgs.Switch(ctx, actor, sess.Session.ID, foreign.ID); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("switched to a foreign organisation: %v", err)
		}
		auth, _ := f.accounts.Authenticate(ctx, sess.Token)
		if auth.Session.CurrentOrgID != a2.ID {
			t.Fatalf("current organisation %v, want %v", auth.Session.CurrentOrgID, a2.ID)
		}
	})
}
