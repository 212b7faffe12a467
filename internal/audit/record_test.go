package audit_test

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/audit"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
)

func TestRecordValidates(t *testing.T) {
	good := sampleEvent(1, t0)
	cases := map[string]func(e *audit.Event){
		"no action":            func(e *audit.Event) { e.Action = "" },
		"upper-case action":    func(e *audit.Event) { e.Action = "Health.Read" },
		"no outcome":           func(e *audit.Event) { e.Outcome = "" },
		"unknown outcome":      func(e *audit.Event) { e.Outcome = "maybe" },
		"no time":              func(e *audit.Event) { e.OccurredAt = time.Time{} },
		"e-mail as actor":      func(e *audit.Event) { e.ActorUser = "marie.dupont@example.org" },
		"name as org":          func(e *audit.Event) { e.ActorOrg = "Cap emploi 75" },
		"e-mail as object":     func(e *audit.Event) { e.ObjectRef = "marie.dupont@example.org" },
		"name as object":       func(e *audit.Event) { e.ObjectRef = "Marie Dupont" },
		"name key":             func(e *audit.Event) { e.Details = map[string]string{"nom": "Dupont"} },
		"email key":            func(e *audit.Event) { e.Details = map[string]string{"email_sent_to": "x"} },
		"value key":            func(e *audit.Event) { e.Details = map[string]string{"new_value": "x"} },
		"ip key":               func(e *audit.Event) { e.Details = map[string]string{"ip": "x"} },
		"camel-case key":       func(e *audit.Event) { e.Details = map[string]string{"fieldsRead": "x"} },
		"e-mail value":         func(e *audit.Event) { e.Details = map[string]string{"recipient": "a@b.fr"} },
		"NIR value":            func(e *audit.Event) { e.Details = map[string]string{"reference": "1 85 05 78 006 084 36"} },
		"phone value":          func(e *audit.Event) { e.Details = map[string]string{"contact": "06.12.34.56.78"} },
		"IBAN value":           func(e *audit.Event) { e.Details = map[string]string{"account": "FR76 3000 6000 0112 3456 7890 189"} },
		"long value":           func(e *audit.Event) { e.Details = map[string]string{"reason": strings.Repeat("x", 201)} },
		"too many details":     func(e *audit.Event) { e.Details = manyDetails(17) },
		"space in request id":  func(e *audit.Event) { e.RequestID = "a b" },
		"long purpose":         func(e *audit.Event) { e.Purpose = strings.Repeat("p", 101) },
		"e-mail as ip pseudo":  func(e *audit.Event) { e.IPHash = "x@y" },
		"action with a space":  func(e *audit.Event) { e.Action = "health read" },
		"action ending in dot": func(e *audit.Event) { e.Action = "health." },
	}
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		for name, mutate := range cases {
			e := good
			e.Details = map[string]string{"count": "1"}
			mutate(&e)
			err := audit.Record(ctx, db.Writer(), e)
			if !errors.Is(err, fault.Invalid) {
				t.Errorf("%s: Record = %v, want fault.Invalid", name, err)
			}
		}
		// Identifiers that look like numbers are fine where they are UUIDs or pseudonyms.
		e := good
		e.Details = map[string]string{
			"document":    uuid.MustParse("01900000-0000-7000-8000-123456789012").String(),
			"person_ref":  "12345678901234567890123456789012",
			"fields_read": "rqth,restrictions",
			"rows":        "50",
		}
		if err := audit.Record(ctx, db.Writer(), e); err != nil {
			t.Fatalf("valid event refused: %v", err)
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d entries (err %v), want only the valid one", n, err)
		}
	})
}

func manyDetails(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprint("k", i)] = "v"
	}
	return m
}

// "If the audit write fails, the read fails": the entry and the operation share a transaction.
func TestRecordSharesTheCallersTransaction(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		boom := errors.New("la lecture a échoué après l'audit")
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			if err := audit.Record(ctx, tx, sampleEvent(1, t0)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		// And the other way round: an audit entry that cannot be written aborts the operation.
		err = db.WithTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ('health_read', 'x', $1)`, t0); err != nil {
				return err
			}
			bad := sampleEvent(2, t0)
			bad.Details = map[string]string{"nom": "Dupont"}
			return audit.Record(ctx, tx, bad)
		})
		if !errors.Is(err, fault.Invalid) {
			t.Fatalf("WithTx = %v, want the audit error", err)
		}
		var events, settings int
		if err := db.Reader().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM audit_events), (SELECT COUNT(*) FROM settings)`).
			Scan(&events, &settings); err != nil {
			t.Fatal(err)
		}
		if events != 0 || settings != 0 {
			t.Fatalf("rolled-back transactions left %d entries and %d rows", events, settings)
		}
		l := newTestLog(t, db)
		if n := l.integrate(t); n != 0 {
			t.Fatalf("Integrate found %d entries after rollbacks", n)
		}
	})
}

func TestConcurrentRecordsAllCommit(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				errs <- db.WithTx(ctx, func(tx *sql.Tx) error { return audit.Record(ctx, tx, sampleEvent(i, t0)) })
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var count int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events`).Scan(&count); err != nil || count != n {
			t.Fatalf("%d entries (err %v), want %d", count, err, n)
		}
	})
}

// The application's own SQL cannot edit or delete the trail; the database says so in a way
// database.IsCheckViolation recognises.
func TestTablesAreAppendOnly(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		l := fixture(t, db)
		var unsequenced string
		if err := db.Reader().QueryRowContext(ctx, `SELECT id FROM audit_events WHERE seq IS NULL LIMIT 1`).Scan(&unsequenced); err != nil {
			t.Fatal(err)
		}
		var existing string
		if err := db.Reader().QueryRowContext(ctx, `SELECT id FROM audit_events WHERE seq = 3`).Scan(&existing); err != nil {
			t.Fatal(err)
		}
		refused := []struct {
			name, sql string
			args      []any
		}{
			{"edit an entry", `UPDATE audit_events SET action = 'health.nothing' WHERE seq = 3`, nil},
			{"edit every entry", `UPDATE audit_events SET purpose = 'x'`, nil},
			{"renumber an entry", `UPDATE audit_events SET seq = 1000 WHERE seq = 3`, nil},
			{"unnumber an entry", `UPDATE audit_events SET seq = NULL WHERE seq = 3`, nil},
			{"number and edit", `UPDATE audit_events SET seq = 1000, outcome = 'ok' WHERE id = $1`, []any{unsequenced}},
			{"delete an entry", `DELETE FROM audit_events WHERE seq = 3`, nil},
			{"delete everything", `DELETE FROM audit_events`, nil},
			{"insert numbered", `INSERT INTO audit_events (id, occurred_at, action, outcome, seq) VALUES ($1, $2, 'x', 'ok', 1000)`,
				[]any{uuid.New(), t0}},
			{"upsert over an entry", `INSERT INTO audit_events (id, occurred_at, action, outcome) VALUES ($1, $2, 'forged', 'ok')
				ON CONFLICT (id) DO UPDATE SET action = excluded.action`, []any{existing, t0}},
			{"edit a hash", `UPDATE audit_hashes SET hash = hash WHERE idx = 0`, nil},
			{"delete hashes", `DELETE FROM audit_hashes`, nil},
			{"upsert a hash", `INSERT INTO audit_hashes (idx, hash) VALUES (0, $1) ON CONFLICT (idx) DO UPDATE SET hash = excluded.hash`,
				[]any{make([]byte, 32)}},
			{"edit a checkpoint", `UPDATE audit_checkpoints SET signed_note = 'x'`, nil},
			{"delete a checkpoint", `DELETE FROM audit_checkpoints WHERE tree_size = 61`, nil},
		}
		if db.Engine() == database.SQLite {
			// REPLACE deletes without firing delete triggers; the insert triggers catch it.
			refused = append(refused,
				struct {
					name, sql string
					args      []any
				}{"replace an entry", `INSERT OR REPLACE INTO audit_events (id, occurred_at, action, outcome) VALUES ($1, $2, 'forged', 'ok')`, []any{existing, t0}},
				struct {
					name, sql string
					args      []any
				}{"replace a hash", `INSERT OR REPLACE INTO audit_hashes (idx, hash) VALUES (0, $1)`, []any{make([]byte, 32)}},
				struct {
					name, sql string
					args      []any
				}{"replace a checkpoint", `REPLACE INTO audit_checkpoints (tree_size, root_hash, signed_note, created_at) VALUES (61, $1, 'x', $2)`,
					[]any{make([]byte, 32), t0}},
			)
		} else {
			for _, table := range []string{"audit_events", "audit_hashes", "audit_checkpoints"} {
				refused = append(refused, struct {
					name, sql string
					args      []any
				}{"truncate " + table, `TRUNCATE ` + table, nil})
			}
		}
		for _, c := range refused {
			_, err := db.Writer().ExecContext(ctx, c.sql, c.args...)
			if err == nil {
				t.Errorf("%s: accepted", c.name)
				continue
			}
			if !database.IsCheckViolation(err) {
				t.Errorf("%s: %v is not recognised by IsCheckViolation", c.name, err)
			}
		}
		if rep, err := l.verify(t); err != nil {
			t.Fatalf("the trail changed: %v %+v", err, rep.Problems)
		}
	})
}
