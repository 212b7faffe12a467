package e2e

import (
	"testing"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

// TestPostgres runs the journeys that write the most (accounts, e-mail tokens, sessions,
// TOTP, organisation switch) against PostgreSQL. PARCOURS_TEST_POSTGRES_URL names a server
// allowed to create databases; without it the test is skipped, unless CI=true or
// PARCOURS_TEST_POSTGRES_REQUIRED=1, where it fails.
func TestPostgres(t *testing.T) {
	t.Parallel()
	chromiumPath(t)
	dbURL := databasetest.Create(t, database.Postgres)
	srv := startServer(t, "PARCOURS_DATABASE_URL="+dbURL)
	if got := srv.engine(t); got != "postgres" {
		t.Fatalf("the server runs on %q, want postgres", got)
	}
	srv.keepPrivate(demoPassword)
	t.Run("SignUpConfirmLogin", func(t *testing.T) { flowSignUpConfirmLogin(t, srv) })
	t.Run("ProfessionalMFA", func(t *testing.T) { flowProfessionalMFA(t, srv) })
	t.Run("OrganisationSwitch", func(t *testing.T) { flowOrganisationSwitch(t, srv) })
}
