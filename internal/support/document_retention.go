package support

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/jobs"
)

// DocumentPurgeReport counts what the documents' retention job did; it never names anyone.
type DocumentPurgeReport struct {
	// Deleted counts the versions deleted.
	Deleted int
	// Held counts the versions due but kept by a litigation hold on their record.
	Held int
}

// kindsOf are the codes of the document types t is true of, as statement arguments.
func kindsOf(t func(DocumentType) bool) []any {
	var out []any
	for _, d := range DocumentTypes {
		if t(d) {
			out = append(out, d.Code)
		}
	}
	return out
}

// placeholders are n statement placeholders from $first on: "$1, $2, $3".
func placeholders(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", first+i)
	}
	return b.String()
}

// PurgeDocuments deletes every version of a document whose retention period is over (see
// DocumentDueOn), each in its own transaction with its audit entry; a litigation hold on the
// record keeps them. It is idempotent: a deleted version is gone, and a second run the same
// day finds nothing. The record's own purge (Purge) erases whatever is left.
func (s *Service) PurgeDocuments(ctx context.Context) (DocumentPurgeReport, error) {
	today := s.today()
	var rep DocumentPurgeReport
	type due struct {
		file, record, person uuid.UUID
		kind                 string
		created              time.Time
		ended, purge         optDate
		hold                 bool
	}
	var found []due
	// The types with a period of their own; the others go with the record's purge.
	kinds := kindsOf(func(t DocumentType) bool { return t.Months > 0 })
	err := func() error {
		rows, err := s.db.Reader().QueryContext(ctx, `SELECT f.id, f.kind, f.created_at, r.id, r.job_seeker_id, r.ended_on, r.purge_on, r.litigation_hold
			FROM files f JOIN support_records r ON f.subject = 'support:' || CAST(r.id AS TEXT)
			WHERE f.kind IN (`+placeholders(1, len(kinds))+`) ORDER BY f.id`, kinds...)
		if err != nil {
			return fmt.Errorf("documents à supprimer : %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.file, &d.kind, &d.created, &d.record, &d.person, &d.ended, &d.purge, &d.hold); err != nil {
				return err
			}
			found = append(found, d)
		}
		return rows.Err()
	}()
	if err != nil {
		return rep, err
	}
	// The payments of the records holding bank details, in one statement.
	byPayment := kindsOf(func(t DocumentType) bool { return t.From == FromLastPayment })
	paid, err := payments(ctx, s.db.Reader(), `IN (SELECT r.id FROM files f JOIN support_records r ON f.subject = 'support:' || CAST(r.id AS TEXT)
		WHERE f.kind IN (`+placeholders(1, len(byPayment))+`))`, byPayment...)
	if err != nil {
		return rep, err
	}
	var dueNow []due
	for _, d := range found {
		dates := datesOf(d.created, d.ended.Date, d.purge.Date, paid[d.record])
		if !Due(DocumentDueOn(d.kind, dates), today, false) {
			continue
		}
		if d.hold {
			rep.Held++
			continue
		}
		dueNow = append(dueNow, d)
	}
	for _, d := range dueNow {
		err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
			// Checked again in the transaction: a hold may have been set, the record closed
			// again or the version deleted meanwhile.
			var kind string
			var created time.Time
			var ended, purge optDate
			var hold bool
			err := tx.QueryRowContext(ctx, `SELECT f.kind, f.created_at, r.ended_on, r.purge_on, r.litigation_hold
				FROM files f JOIN support_records r ON r.id = $2 WHERE f.id = $1 AND f.subject = $3`, d.file, d.record, subject(d.record)).
				Scan(&kind, &created, &ended, &purge, &hold)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			paidNow, err := payments(ctx, tx, "= $1", d.record)
			if err != nil {
				return err
			}
			dates := datesOf(created, ended.Date, purge.Date, paidNow[d.record])
			if !Due(DocumentDueOn(kind, dates), today, hold) {
				return nil
			}
			if err := s.files.Delete(ctx, tx, access.Actor{}, d.file, subject(d.record)); err != nil {
				return err
			}
			rep.Deleted++
			return s.record(ctx, tx, access.Actor{}, "support.document_expired", d.person, "", map[string]string{"record": d.record.String(), "kind": kind})
		})
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// PurgeDocumentsJob is the documents' daily retention job; it reports counts only.
func (s *Service) PurgeDocumentsJob() jobs.Job {
	return jobs.Job{Name: "support.documents_retention", Daily: "04:30", Timeout: time.Hour, Run: func(ctx context.Context) (jobs.Result, error) {
		if s.files == nil {
			return jobs.Result{"deleted": 0, "held": 0}, nil
		}
		rep, err := s.PurgeDocuments(ctx)
		return jobs.Result{"deleted": rep.Deleted, "held": rep.Held}, err
	}}
}
