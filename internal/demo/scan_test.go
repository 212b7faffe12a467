package demo_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/hex"
	"log/slog"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/app"
	"parcours/internal/clock"
	"parcours/internal/config"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/demo"
)

// linkToken captures the token of the three e-mailed links that open an account or an
// organisation: password reset, invitation, address confirmation.
var linkToken = regexp.MustCompile(`/(mot-de-passe/nouveau|invitation|confirmer-email)/([A-Za-z0-9_-]{20,})`)

// Issue 7, measured: a reader of the raw SQLite file and its WAL, or of a pg_dump, after the
// demo and a round of reset, invitation and sign-up mails, finds no live token and no TOTP
// secret. The platform is built by app.Open, as `serve --demo` builds it, so the check covers
// the real wiring (every service's outbox sealed) and not a test fixture's.
func TestNoLiveSecretInTheRawDatabase(t *testing.T) {
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			dataDir := t.TempDir()
			cfg := config.Config{BaseURL: &url.URL{Scheme: "http", Host: "localhost:8080"}, DataDir: dataDir, Demo: true,
				KeyFile: filepath.Join(dataDir, "keys", "keyring.json")}
			rawURL := "sqlite:" + filepath.Join(dataDir, "parcours.db")
			if engine == database.Postgres {
				rawURL = databasetest.Create(t, engine)
				cfg.DatabaseURL = rawURL
			}
			clk := clock.NewFake(start)
			a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler), app.Options{Migrate: true, Clock: clk,
				HashParams: &account.HashParams{Memory: 1024, Time: 1, Threads: 1}})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if _, _, err := a.ImportRefdata(ctx); err != nil {
				t.Fatal(err)
			}
			d := demo.Deps{DB: a.DB, Clock: a.Clock, Envelope: a.Envelope, Accounts: a.Accounts, Orgs: a.Orgs, Places: a.Places,
				JobSeekers: a.JobSeekers, Applications: a.Applications, Eligibility: a.Eligibility, Approvals: a.Approvals, Support: a.Support}
			if _, err := demo.Load(ctx, d); err != nil {
				t.Fatal(err)
			}

			// The round: a reset link, an invitation, a sign-up's confirmation link, all left live,
			// and a second factor being enrolled (its secret waits, sealed, for the first code).
			if err := a.Accounts.RequestPasswordReset(ctx, "candidat@demo.parcours.test"); err != nil {
				t.Fatal(err)
			}
			employer, err := a.Accounts.OperatorLookup(ctx, "employeur@demo.parcours.test")
			if err != nil {
				t.Fatal(err)
			}
			aci := structureID(t, a.DB, "Les Jardins du Rhône")
			actor, _, err := a.Orgs.Actor(ctx, employer, aci, false)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Orgs.Invite(ctx, actor, aci, "nouvelle.recrue@exemple.fr"); err != nil {
				t.Fatal(err)
			}
			if err := a.Accounts.SignUp(ctx, account.SignUp{Kind: access.JobSeeker, Email: "inscrite@exemple.fr",
				Password: "Correct-Cheval-Pile-42", FirstName: "Inès", LastName: "Roux"}); err != nil {
				t.Fatal(err)
			}
			enrolment, err := a.Accounts.BeginTOTP(ctx, actor)
			if err != nil {
				t.Fatal(err)
			}

			// What must not be found: every live token, read back from the sealed mails as the demo
			// page reads them, and both TOTP secrets in every form they could take.
			mails, err := a.Accounts.Outbox().List(ctx, a.DB.Reader(), 500)
			if err != nil {
				t.Fatal(err)
			}
			secrets := map[string]string{}
			kinds := map[string]bool{}
			for _, m := range mails {
				for _, match := range linkToken.FindAllStringSubmatch(m.TextBody, -1) {
					secrets[match[1]+" token of "+string(m.Kind)] = match[2]
					kinds[match[1]] = true
				}
			}
			if len(kinds) != 3 {
				t.Fatalf("links found in the outbox: %v; want a reset, an invitation and a confirmation", kinds)
			}
			adminSecret, ok, err := demo.AdminSecret(ctx, a.DB.Reader(), a.Envelope)
			if err != nil || !ok {
				t.Fatalf("demo administrator's TOTP secret: %v, %v", ok, err)
			}
			for name, grouped := range map[string]string{"demo administrator's TOTP": adminSecret, "pending TOTP": enrolment.Secret} {
				plain := strings.ReplaceAll(grouped, " ", "")
				raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(plain)
				if err != nil || len(raw) != 20 {
					t.Fatalf("%s secret %q: %v", name, grouped, err)
				}
				secrets[name+" (grouped base32)"] = grouped
				secrets[name+" (base32)"] = plain
				secrets[name+" (lower-case base32)"] = strings.ToLower(plain)
				secrets[name+" (raw)"] = string(raw)
				secrets[name+" (hex)"] = hex.EncodeToString(raw)
			}

			scan := func(when string, raw []byte) {
				t.Helper()
				// The control: clear values the database does hold, so an empty or unreadable scan
				// cannot pass.
				for _, clear := range []string{"employeur@demo.parcours.test", "password_reset", "invitation"} {
					if !bytes.Contains(raw, []byte(clear)) {
						t.Fatalf("%s: the scan does not find %q, stored in clear: it cannot be trusted", when, clear)
					}
				}
				for name, secret := range secrets {
					if bytes.Contains(raw, []byte(secret)) {
						t.Errorf("%s: %s found in clear", when, name)
					}
					// pg_dump writes bytea in hex: a secret stored in clear in a binary column
					// shows only that way.
					if bytes.Contains(bytes.ToLower(raw), []byte(hex.EncodeToString([]byte(secret)))) {
						t.Errorf("%s: %s found in clear, hex-encoded", when, name)
					}
				}
			}
			scan("database in use", databasetest.RawContent(t, rawURL))
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			// Closing checkpoints the WAL into the main file: scan what a file backup would copy.
			scan("database closed", databasetest.RawContent(t, rawURL))
			if !t.Failed() {
				t.Logf("%d secrets absent from the raw %s content", len(secrets), engine)
			}
		})
	}
}
