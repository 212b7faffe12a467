package offertest

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/offer"
)

// Batch sizes. PostgreSQL takes 500 rows per INSERT (well under its 65,535 parameters).
// SQLite looks "$N" parameters up by a linear search of the statement's names, so a statement
// costs the square of its parameter count: there statements stop at about 250 parameters
// (measured: 4.2 s for the national dataset, against 4.3 s at 100 and 5.1 s at 500). A transaction holds several statements, up to rowsPerTx
// rows: each commit waits for the disk (synchronous=FULL on SQLite).
const (
	pgBatchRows       = 500
	sqliteBatchParams = 250
	rowsPerTx         = 5000
)

// Insert writes the dataset: users, organisations, memberships, conventions, structures
// (parents before antennas), job descriptions, in multi-row INSERTs, one transaction per batch
// of 5,000 rows, with the search copies filled in; then runs ANALYZE (VACUUM ANALYZE on
// PostgreSQL) so that the planners know the new tables.
func Insert(ctx context.Context, db *database.DB, ds Dataset) error {
	now := ds.Now
	users := make([][]any, len(ds.Users))
	for i, u := range ds.Users {
		users[i] = []any{u.ID, "professional", u.Email, now, u.FirstName, u.LastName, now, now, now}
	}
	orgs := make([][]any, len(ds.Structures))
	for i, st := range ds.Structures {
		category := "siae"
		if st.Kind == offer.KindGEIQ {
			category = "geiq"
		}
		orgs[i] = []any{st.ID, st.Kind, category, st.Name, st.SIRET, st.CommuneCode, st.Departement, st.CreatedAt, st.UpdatedAt, database.NullTime(st.OrgDeactivatedAt)}
	}
	members := make([][]any, len(ds.Memberships))
	for i, m := range ds.Memberships {
		var deactivated any
		if !m.Active {
			deactivated = now
		}
		members[i] = []any{m.OrgID, m.UserID, m.Admin, m.Active, now, now, deactivated}
	}
	conventions := make([][]any, len(ds.Conventions))
	for i, c := range ds.Conventions {
		conventions[i] = []any{c.ID, c.Number, c.StartsOn, c.EndsOn, now, now}
	}
	var parents, antennas [][]any
	for _, st := range ds.Structures {
		var conv any
		if !st.IsAntenna() && st.Convention.ID != uuid.Nil {
			conv = st.Convention.ID
		}
		var lat, lng any
		if st.HasPosition {
			lat, lng = st.Lat, st.Lng
		}
		row := []any{st.ID, st.Brand, st.AddressLine1, st.AddressLine2, st.Postcode, lat, lng, st.PositionPrecise, st.Phone,
			st.Email, st.Website, st.Description, st.ProvidedSupport, database.NullUUID(st.ParentID), conv, st.Searchable,
			st.BlockApplications, database.NullTime(st.SpontaneousOpenSince), st.CreatedAt, st.UpdatedAt}
		if st.IsAntenna() {
			antennas = append(antennas, row)
		} else {
			parents = append(parents, row)
		}
	}
	jds := make([][]any, len(ds.JobDescriptions))
	for i, j := range ds.JobDescriptions {
		var lat, lng any
		if j.HasPosition {
			lat, lng = j.Lat, j.Lng
		}
		jds[i] = []any{j.ID, j.StructureID, j.AppellationCode, j.RomeCode, j.CustomTitle, j.Description, string(j.ContractType),
			j.CommuneCode, j.Departement, lat, lng, j.HoursPerWeek, j.OpenPositions, j.ExpectedProfile, j.CVRequired, j.Active,
			j.Rank, j.CreatedAt, j.UpdatedAt, database.NullTime(j.InactivityWarnedAt), database.NullTime(j.DeactivatedAt), j.DeactivationReason}
	}
	structureCols := []string{"org_id", "brand", "address_line1", "address_line2", "postcode", "lat", "lng", "position_precise", "phone",
		"email", "website", "description", "provided_support", "parent_id", "convention_id", "searchable", "block_applications",
		"spontaneous_open_since", "created_at", "updated_at"}
	steps := []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"users", []string{"id", "kind", "email", "email_verified_at", "first_name", "last_name", "created_at", "updated_at", "last_activity_at"}, users},
		{"organisations", []string{"id", "kind", "category", "name", "siret", "commune_code", "departement", "created_at", "updated_at", "deactivated_at"}, orgs},
		{"memberships", []string{"org_id", "user_id", "is_admin", "is_active", "joined_at", "updated_at", "deactivated_at"}, members},
		{"conventions", []string{"id", "number", "starts_on", "ends_on", "created_at", "updated_at"}, conventions},
		{"structures", structureCols, parents},
		{"structures", structureCols, antennas},
		{"job_descriptions", []string{"id", "structure_id", "appellation_code", "rome_code", "custom_title", "description", "contract_type",
			"commune_code", "departement", "lat", "lng", "hours_per_week", "open_positions", "expected_profile", "cv_required", "active",
			"rank", "created_at", "updated_at", "inactivity_warned_at", "deactivated_at", "deactivation_reason"}, jds},
	}
	for _, s := range steps {
		if err := insertRows(ctx, db, s.table, s.cols, s.rows); err != nil {
			return err
		}
	}
	// On PostgreSQL, VACUUM also sets the visibility map (autovacuum would do it a little later).
	analyze := "ANALYZE "
	if db.Engine() == database.Postgres {
		analyze = "VACUUM (ANALYZE) "
	}
	for _, table := range []string{"organisations", "memberships", "conventions", "structures", "job_descriptions"} {
		if _, err := db.Writer().ExecContext(ctx, analyze+table); err != nil {
			return fmt.Errorf("%s%s : %w", analyze, table, err)
		}
	}
	return nil
}

func insertRows(ctx context.Context, db *database.DB, table string, cols []string, rows [][]any) error {
	per := pgBatchRows
	if db.Engine() == database.SQLite {
		per = max(1, sqliteBatchParams/len(cols))
	}
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	for start := 0; start < len(rows); start += rowsPerTx {
		chunk := rows[start:min(len(rows), start+rowsPerTx)]
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			for from := 0; from < len(chunk); from += per {
				batch := chunk[from:min(len(chunk), from+per)]
				var b strings.Builder
				b.WriteString(head)
				args := make([]any, 0, len(batch)*len(cols))
				for i, row := range batch {
					if i > 0 {
						b.WriteString(", ")
					}
					b.WriteByte('(')
					for k, v := range row {
						if k > 0 {
							b.WriteString(", ")
						}
						args = append(args, v)
						b.WriteByte('$')
						b.WriteString(strconv.Itoa(len(args)))
					}
					b.WriteByte(')')
				}
				if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("insertion dans %s : %w", table, err)
		}
	}
	return nil
}
