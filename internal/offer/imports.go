package offer

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/audit"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/jobs"
)

// Registry imports uploaded by staff run in the background (migration 00095): the file is
// stored with the import, any instance claims it, runs it batch by batch — each batch
// committed with the import's progress, so that another instance takes over from the next
// batch if this one dies — and ends it with its report and the same audit entry as the
// command line. The file is deleted when the import ends; the report stays for the history.
// registrycsv.Importer drives them; this file holds their state.

// ImportState is where a registry import stands.
type ImportState string

// The states of a registry import.
const (
	ImportQueued    ImportState = "queued"
	ImportRunning   ImportState = "running"
	ImportSucceeded ImportState = "succeeded"
	ImportFailed    ImportState = "failed"
)

// Label is the state in French.
func (s ImportState) Label() string {
	switch s {
	case ImportQueued:
		return "en attente"
	case ImportRunning:
		return "en cours"
	case ImportSucceeded:
		return "terminé"
	case ImportFailed:
		return "arrêté sur une erreur"
	}
	return string(s)
}

// Finished tells whether the import has ended, well or not.
func (s ImportState) Finished() bool { return s == ImportSucceeded || s == ImportFailed }

// RegistryImport is a registry file imported in the background, with its progress and report.
type RegistryImport struct {
	ID         uuid.UUID
	FileName   string
	FileSHA256 string
	FileSize   int64
	// CreatedBy is the staff member who sent the file (uuid.Nil once their account is gone).
	CreatedBy uuid.UUID
	CreatedAt time.Time
	State     ImportState
	// Lines counts the file's data lines; Done those imported or rejected so far.
	Lines, Done                           int
	Created, Updated, Unchanged, Rejected int
	// Warnings are remarks about the file (unknown columns).
	Warnings []string
	// Error is why the import stopped, when it failed.
	Error      string
	StartedAt  time.Time
	FinishedAt time.Time
	// Claims counts the instances that ran it (more than one after a takeover).
	Claims int
}

// Percent is the share of lines done, 0 to 100.
func (r RegistryImport) Percent() int {
	if r.Lines <= 0 {
		if r.State.Finished() {
			return 100
		}
		return 0
	}
	return min(100, r.Done*100/r.Lines)
}

// ImportLine is a line of the file that was not imported, with the reason.
type ImportLine struct {
	Line   int
	Reason string
}

// RegistryUpload is a registry file sent to be imported. The caller parsed it already (to
// refuse an unreadable file at once): Lines counts its data lines.
type RegistryUpload struct {
	FileName string
	Content  []byte
	Lines    int
	Warnings []string
}

// MaxImportClaims bounds how many instances may take an import over: an import whose
// instances keep dying (a file that crashes them) fails after this many.
const MaxImportClaims = 5

const registryImportColumns = `id, file_name, file_sha256, file_size, created_by, created_at, state, lines, warnings, done,
	created, updated, unchanged, rejected, error_text, started_at, finished_at, claim`

func scanRegistryImport(row interface{ Scan(...any) error }, extra ...any) (RegistryImport, error) {
	var r RegistryImport
	var by uuid.NullUUID
	var warnings string
	var started, finished sql.NullTime
	dest := append([]any{&r.ID, &r.FileName, &r.FileSHA256, &r.FileSize, &by, &r.CreatedAt, &r.State, &r.Lines, &warnings, &r.Done,
		&r.Created, &r.Updated, &r.Unchanged, &r.Rejected, &r.Error, &started, &finished, &r.Claims}, extra...)
	if err := row.Scan(dest...); err != nil {
		return RegistryImport{}, err
	}
	r.CreatedBy, r.CreatedAt = by.UUID, r.CreatedAt.UTC()
	if warnings != "" {
		r.Warnings = strings.Split(warnings, "\n")
	}
	if started.Valid {
		r.StartedAt = started.Time.UTC()
	}
	if finished.Valid {
		r.FinishedAt = finished.Time.UTC()
	}
	return r, nil
}

// SubmitRegistryImport stores a registry file to be imported in the background (staff only)
// and returns the queued import.
func (s *Service) SubmitRegistryImport(ctx context.Context, actor access.Actor, up RegistryUpload) (RegistryImport, error) {
	if err := access.Can(actor, access.ManageStructureRegistry, access.Resource{}); err != nil {
		return RegistryImport{}, err
	}
	sum := sha256.Sum256(up.Content)
	name := strings.TrimSpace(up.FileName)
	if r := []rune(name); len(r) > 255 {
		name = string(r[:255])
	}
	if name == "" {
		name = "registre.csv"
	}
	var packed bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&packed, gzip.BestSpeed)
	if _, err := zw.Write(up.Content); err != nil {
		return RegistryImport{}, fmt.Errorf("compression du fichier : %w", err)
	}
	if err := zw.Close(); err != nil {
		return RegistryImport{}, fmt.Errorf("compression du fichier : %w", err)
	}
	r := RegistryImport{ID: uuid.Must(uuid.NewV7()), FileName: name, FileSHA256: hex.EncodeToString(sum[:]), FileSize: int64(len(up.Content)),
		CreatedBy: actor.UserID, CreatedAt: s.clock.Now().UTC(), State: ImportQueued, Lines: up.Lines, Warnings: up.Warnings}
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO registry_imports (id, file_name, file_sha256, file_size, created_by, created_at, state,
			lines, warnings) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, r.ID, r.FileName, r.FileSHA256, r.FileSize,
			database.NullUUID(r.CreatedBy), r.CreatedAt, string(r.State), r.Lines, strings.Join(r.Warnings, "\n")); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO registry_import_files (import_id, content) VALUES ($1, $2)`, r.ID, packed.Bytes())
		return err
	})
	if err != nil {
		return RegistryImport{}, fmt.Errorf("enregistrement du fichier à importer : %w", err)
	}
	return r, nil
}

// RegistryImports lists the latest imports, newest first (staff only).
func (s *Service) RegistryImports(ctx context.Context, actor access.Actor, limit int) ([]RegistryImport, error) {
	if err := access.Can(actor, access.ManageStructureRegistry, access.Resource{}); err != nil {
		return nil, err
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+registryImportColumns+` FROM registry_imports
		ORDER BY created_at DESC, id DESC LIMIT $1`, max(1, min(limit, 200)))
	if err != nil {
		return nil, fmt.Errorf("historique des imports : %w", err)
	}
	defer rows.Close()
	var out []RegistryImport
	for rows.Next() {
		r, err := scanRegistryImport(rows)
		if err != nil {
			return nil, fmt.Errorf("historique des imports : %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("historique des imports : %w", err)
	}
	return out, nil
}

// RegistryImportReport returns an import and, by line, the first maxLines lines it refused
// (staff only).
func (s *Service) RegistryImportReport(ctx context.Context, actor access.Actor, id uuid.UUID, maxLines int) (RegistryImport, []ImportLine, error) {
	if err := access.Can(actor, access.ManageStructureRegistry, access.Resource{}); err != nil {
		return RegistryImport{}, nil, err
	}
	r, err := scanRegistryImport(s.db.Reader().QueryRowContext(ctx, `SELECT `+registryImportColumns+` FROM registry_imports WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return RegistryImport{}, nil, fmt.Errorf("import : %w", fault.NotFound)
	}
	if err != nil {
		return RegistryImport{}, nil, fmt.Errorf("lecture de l'import : %w", err)
	}
	if maxLines <= 0 || r.Rejected == 0 {
		return r, nil, nil
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT line, reason FROM registry_import_lines WHERE import_id = $1 ORDER BY line LIMIT $2`,
		id, maxLines)
	if err != nil {
		return RegistryImport{}, nil, fmt.Errorf("lignes rejetées : %w", err)
	}
	defer rows.Close()
	var lines []ImportLine
	for rows.Next() {
		var l ImportLine
		if err := rows.Scan(&l.Line, &l.Reason); err != nil {
			return RegistryImport{}, nil, fmt.Errorf("lignes rejetées : %w", err)
		}
		lines = append(lines, l)
	}
	return r, lines, rows.Err()
}

// ImportClaim is an import an instance holds: it may run its batches while its claim is the
// import's and its lease runs.
type ImportClaim struct {
	Import RegistryImport
	// Content is the file.
	Content []byte
	// NextBatch is the first batch not written yet; Prepared tells whether the lines refused
	// before any batch (by the file's checks) are recorded.
	NextBatch int
	Prepared  bool
	claim     int
	lease     time.Duration
}

// Actor is who the import acts as: the staff member who sent the file (checked then, with
// their second factor), or the platform when their account is gone.
func (c *ImportClaim) Actor() access.Actor {
	return access.Actor{Kind: access.Staff, UserID: c.Import.CreatedBy, MFA: true}
}

// ErrImportLost says another instance took the import over: this one must stop.
var ErrImportLost = fmt.Errorf("import repris par une autre instance : %w", fault.Conflict)

// ClaimRegistryImport takes the oldest import waiting to run, or one whose instance stopped
// (its lease expired), unless an import is running. It returns false when there is none.
// An import taken over more than MaxImportClaims times is failed instead.
func (s *Service) ClaimRegistryImport(ctx context.Context, instance string, lease time.Duration) (ImportClaim, bool, error) {
	now := s.clock.Now().UTC()
	var c ImportClaim
	found := false
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		found = false
		var id uuid.UUID
		err := tx.QueryRowContext(ctx, `UPDATE registry_imports SET state = 'running', claim = claim + 1, claimed_by = $1,
			lease_until = $2, started_at = COALESCE(started_at, $3)
			WHERE id = (SELECT r.id FROM registry_imports r WHERE r.state = 'queued' OR (r.state = 'running' AND r.lease_until <= $3)
				ORDER BY r.created_at, r.id LIMIT 1)
			AND (state = 'queued' OR (state = 'running' AND lease_until <= $3))
			AND NOT EXISTS (SELECT 1 FROM registry_imports o WHERE o.state = 'running' AND o.lease_until > $3)
			RETURNING id`, instance, now.Add(lease), now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var packed []byte
		var prepared bool
		c = ImportClaim{lease: lease}
		c.Import, err = scanRegistryImport(tx.QueryRowContext(ctx, `SELECT `+registryImportColumns+`, next_batch, prepared, f.content
			FROM registry_imports LEFT JOIN registry_import_files f ON f.import_id = registry_imports.id WHERE id = $1`, id),
			&c.NextBatch, &prepared, &packed)
		if err != nil {
			return err
		}
		c.Prepared, c.claim = prepared, c.Import.Claims
		if c.Import.Claims > MaxImportClaims {
			return s.finishImport(ctx, tx, &c, fmt.Errorf("l'import a été interrompu %d fois (arrêt des instances qui le menaient) : relancez-le",
				MaxImportClaims), now)
		}
		zr, err := gzip.NewReader(bytes.NewReader(packed))
		if err == nil {
			c.Content, err = io.ReadAll(zr)
		}
		if err != nil {
			return s.finishImport(ctx, tx, &c, errors.New("le fichier enregistré est illisible : envoyez-le de nouveau"), now)
		}
		found = true
		return nil
	})
	if err != nil {
		return ImportClaim{}, false, fmt.Errorf("prise en charge d'un import : %w", err)
	}
	return c, found, nil
}

// progress records, in tx, what a step did, if the claim still holds the import.
func (s *Service) progress(ctx context.Context, tx *sql.Tx, c *ImportClaim, batches int, lines int, r ImportReport, rejected []ImportLine, prepared bool) error {
	now := s.clock.Now().UTC()
	res, err := tx.ExecContext(ctx, `UPDATE registry_imports SET next_batch = next_batch + $3, done = done + $4, created = created + $5,
		updated = updated + $6, unchanged = unchanged + $7, rejected = rejected + $8, prepared = prepared OR $9, lease_until = $10
		WHERE id = $1 AND claim = $2 AND state = 'running'`,
		c.Import.ID, c.claim, batches, lines, r.Created, r.Updated, r.Unchanged, len(rejected), prepared, now.Add(c.lease))
	if ok, err := affected(res, err); err != nil || !ok {
		if err == nil {
			err = ErrImportLost
		}
		return err
	}
	for len(rejected) > 0 {
		n := min(len(rejected), 100)
		var a args
		var q strings.Builder
		q.WriteString(`INSERT INTO registry_import_lines (import_id, line, reason) VALUES `)
		for i, l := range rejected[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + a.add(c.Import.ID) + ", " + a.add(l.Line) + ", " + a.add(l.Reason) + ")")
		}
		if _, err := tx.ExecContext(ctx, q.String(), a...); err != nil {
			return err
		}
		rejected = rejected[n:]
	}
	return nil
}

// PrepareRegistryImport records the lines refused before any batch (the file's own checks),
// once per import.
func (s *Service) PrepareRegistryImport(ctx context.Context, c *ImportClaim, rejected []ImportLine) error {
	if c.Prepared {
		return nil
	}
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		return s.progress(ctx, tx, c, 0, len(rejected), ImportReport{}, rejected, true)
	})
	if err != nil {
		return fmt.Errorf("import %s : %w", c.Import.ID, err)
	}
	c.Prepared = true
	c.Import.Done += len(rejected)
	c.Import.Rejected += len(rejected)
	return nil
}

// ImportStep is what a batch of an import did besides saving its entries: the lines of the
// file it covers (saved or refused) and those refused.
type ImportStep struct {
	Lines    int
	Rejected []ImportLine
}

// ImportRegistryStep saves the entries of the claim's next batch as ImportRegistry does, as
// actor (the claim's Actor), and in the same transaction records the batch as done, with
// step, and renews the lease. It fails with ErrImportLost, writing nothing, when another
// instance took the import over.
func (s *Service) ImportRegistryStep(ctx context.Context, actor access.Actor, c *ImportClaim, entries []RegistryEntry, step ImportStep) (ImportReport, error) {
	r, err := s.importRegistry(ctx, actor, entries, func(tx *sql.Tx, r ImportReport) error {
		return s.progress(ctx, tx, c, 1, step.Lines, r, step.Rejected, false)
	})
	if err != nil {
		return ImportReport{}, err
	}
	c.NextBatch++
	c.Import.Done += step.Lines
	c.Import.Created += r.Created
	c.Import.Updated += r.Updated
	c.Import.Unchanged += r.Unchanged
	c.Import.Rejected += len(step.Rejected)
	return r, nil
}

// RenewRegistryImport extends the claim's lease (while a long step runs).
func (s *Service) RenewRegistryImport(ctx context.Context, c *ImportClaim) error {
	res, err := s.db.Writer().ExecContext(ctx, `UPDATE registry_imports SET lease_until = $3 WHERE id = $1 AND claim = $2 AND state = 'running'`,
		c.Import.ID, c.claim, s.clock.Now().UTC().Add(c.lease))
	if ok, err := affected(res, err); err != nil || !ok {
		if err == nil {
			err = ErrImportLost
		}
		return fmt.Errorf("import %s : %w", c.Import.ID, err)
	}
	return nil
}

// ReleaseRegistryImport lets another instance take the import over at once (this one stops
// before the end, e.g. at shutdown): it goes on from its next batch.
func (s *Service) ReleaseRegistryImport(ctx context.Context, c *ImportClaim) error {
	_, err := s.db.Writer().ExecContext(ctx, `UPDATE registry_imports SET lease_until = $3 WHERE id = $1 AND claim = $2 AND state = 'running'`,
		c.Import.ID, c.claim, s.clock.Now().UTC())
	if err != nil {
		return fmt.Errorf("import %s : %w", c.Import.ID, err)
	}
	return nil
}

// FinishRegistryImport ends the import: succeeded when failure is nil, else failed with its
// message. The file is deleted, and the audit entry of the import written (that of the
// command line), in the same transaction.
func (s *Service) FinishRegistryImport(ctx context.Context, c *ImportClaim, failure error) error {
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error { return s.finishImport(ctx, tx, c, failure, s.clock.Now().UTC()) })
	if err != nil {
		return fmt.Errorf("fin de l'import %s : %w", c.Import.ID, err)
	}
	return nil
}

func (s *Service) finishImport(ctx context.Context, tx *sql.Tx, c *ImportClaim, failure error, now time.Time) error {
	state, text, outcome := ImportSucceeded, "", audit.OutcomeOK
	if failure != nil {
		state, text, outcome = ImportFailed, failure.Error(), audit.OutcomeFailed
	}
	res, err := tx.ExecContext(ctx, `UPDATE registry_imports SET state = $3, finished_at = $4, error_text = $5, lease_until = NULL
		WHERE id = $1 AND claim = $2 AND state = 'running'`, c.Import.ID, c.claim, string(state), now, text)
	if ok, err := affected(res, err); err != nil || !ok {
		if err == nil {
			err = ErrImportLost
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM registry_import_files WHERE import_id = $1`, c.Import.ID); err != nil {
		return err
	}
	var counts RegistryImport
	if err := tx.QueryRowContext(ctx, `SELECT lines, created, updated, unchanged, rejected FROM registry_imports WHERE id = $1`, c.Import.ID).
		Scan(&counts.Lines, &counts.Created, &counts.Updated, &counts.Unchanged, &counts.Rejected); err != nil {
		return err
	}
	e := audit.Event{OccurredAt: now, Action: "offer.registry_imported", ObjectType: "registry_file", ObjectRef: c.Import.FileSHA256,
		Purpose: string(access.PurposeIAERegistry), Outcome: outcome, Details: map[string]string{
			"source": "web", "import": c.Import.ID.String(), "lines": strconv.Itoa(counts.Lines), "created": strconv.Itoa(counts.Created),
			"updated": strconv.Itoa(counts.Updated), "unchanged": strconv.Itoa(counts.Unchanged), "rejected": strconv.Itoa(counts.Rejected),
		}}
	if c.Import.CreatedBy != uuid.Nil {
		e.ActorUser = c.Import.CreatedBy.String()
	}
	if err := audit.Record(ctx, tx, e); err != nil {
		return err
	}
	c.Import.State, c.Import.Error, c.Import.FinishedAt = state, text, now
	return nil
}

// RegistryImportsPurgeJob deletes the reports of imports ended more than keep ago (the files
// went when they ended), daily.
func (s *Service) RegistryImportsPurgeJob(keep time.Duration) jobs.Job {
	return jobs.Job{Name: "offer.registry_imports_purge", Daily: "04:10", Timeout: 10 * time.Minute,
		Run: func(ctx context.Context) (jobs.Result, error) {
			n, err := affectedRows(s.db.Writer().ExecContext(ctx, `DELETE FROM registry_imports WHERE finished_at < $1`, s.clock.Now().UTC().Add(-keep)))
			return jobs.Result{"deleted": int(n)}, err
		}}
}

func affectedRows(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
