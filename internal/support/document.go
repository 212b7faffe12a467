package support

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/files"
)

// Documents of a record (D5312-50 4°). They are files of the file store, sealed under the
// record's key (subject "support:<record>") and bound to their row by the store; their kind is
// the document's type. The title's document of part 1 (SetProof, kind titre_boeth) is one of
// them: listed, versioned and downloaded here like the others, it stays the record's
// proof_file.

// Anchor is the event a document's retention period runs from.
type Anchor string

// The anchors.
const (
	// FromUpload: the day the version was stored.
	FromUpload Anchor = "upload"
	// FromEnd: the end of the support (closing date). While the support runs, the document
	// stays.
	FromEnd Anchor = "end"
	// FromLastPayment: the later of the end of the support and the last payment of one of its
	// aids, for bank details: a transfer can be contested for 13 months after it is made (Code
	// monétaire et financier, L133-24). While the support runs or a granted aid waits for its
	// payment, the document stays.
	FromLastPayment Anchor = "payment"
)

// DocumentType is a type of document with its retention rule.
type DocumentType struct {
	Code, Label string
	// Months after From the version is deleted by the daily job; 0 keeps it until the record's
	// own purge (D5312-54), which in every case erases every document first.
	Months int
	From   Anchor
	// ByPerson tells whether the person may send it to their record.
	ByPerson bool
	// Why explains the period, for the page.
	Why string
}

// ProofKind is the file kind of the title's document (part 1).
const ProofKind = "titre_boeth"

// DocumentTypes are the types of documents, in the order of the forms.
var DocumentTypes = []DocumentType{
	{ProofKind, "Justificatif d'obligation d'emploi (BOETH)", 0, FromEnd, false,
		"conservé avec le dossier, jusqu'à sa purge (6 mois après la fin du titre ou la désinscription)"},
	{"devis", "Devis", 12, FromUpload, false,
		"12 mois après le dépôt : il sert à instruire l'aide, la facture prend ensuite le relais"},
	{"facture", "Facture", 0, FromEnd, false,
		"conservée avec le dossier, pièce justificative du paiement, jusqu'à sa purge"},
	{"rib", "Coordonnées bancaires (RIB)", 13, FromLastPayment, true,
		"13 mois après la fin de l'accompagnement ou, s'il vient après, le dernier paiement d'une aide (délai de contestation d'un virement) ; jamais tant qu'une aide accordée attend son paiement"},
	{"plan_signe", "Plan d'action signé", 0, FromEnd, true,
		"conservé avec le dossier, jusqu'à sa purge"},
	{"courrier", "Courrier", 24, FromUpload, false,
		"24 mois après le dépôt"},
}

// DocumentTypeOf returns a type by its code.
func DocumentTypeOf(code string) (DocumentType, bool) {
	i := slices.IndexFunc(DocumentTypes, func(t DocumentType) bool { return t.Code == code })
	if i < 0 {
		return DocumentType{}, false
	}
	return DocumentTypes[i], true
}

// DocumentTypeLabel is the French name of a type.
func DocumentTypeLabel(code string) string {
	if t, ok := DocumentTypeOf(code); ok {
		return t.Label
	}
	return code
}

// DocumentDates are the days a document's retention runs from.
type DocumentDates struct {
	// Uploaded is the day the version was stored; Ended the end of the support (zero while it
	// runs); PurgeOn the record's own purge day (zero while unknown).
	Uploaded, Ended, PurgeOn database.Date
	// LastPaid is the day of the last payment of an aid of the record (zero if none); Unpaid
	// tells that a granted aid waits for its payment.
	LastPaid database.Date
	Unpaid   bool
}

// DocumentDueOn is the day a version of a document of this type must be gone: its rule's
// period from its anchor, never after the record's own purge day. Zero means no day is known
// yet (a rule running from the end of a support still running, or from a payment to come).
func DocumentDueOn(kind string, d DocumentDates) database.Date {
	var due database.Date
	if t, ok := DocumentTypeOf(kind); ok && t.Months > 0 {
		switch t.From {
		case FromUpload:
			due = AddMonths(d.Uploaded, t.Months)
		case FromEnd:
			if !d.Ended.IsZero() {
				due = AddMonths(d.Ended, t.Months)
			}
		case FromLastPayment:
			if !d.Ended.IsZero() && !d.Unpaid {
				from := d.Ended
				if d.LastPaid.After(from) {
					from = d.LastPaid
				}
				due = AddMonths(from, t.Months)
			}
		}
	}
	if !d.PurgeOn.IsZero() && (due.IsZero() || d.PurgeOn.Before(due)) {
		due = d.PurgeOn
	}
	return due
}

// payments reads the payment days bank details run from (DocumentDates.LastPaid and Unpaid)
// for the records whose id matches where (a condition on record_id, "= $1" or "IN (...)"):
// one statement whatever the number of records; a record without any aid is not in the map.
func payments(ctx context.Context, q database.Querier, where string, args ...any) (map[uuid.UUID]DocumentDates, error) {
	rows, err := q.QueryContext(ctx, `SELECT record_id, state, paid_at FROM support_aids
		WHERE state IN ('paid', 'granted', 'ordered') AND record_id `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("paiements des aides : %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID]DocumentDates{}
	for rows.Next() {
		var record uuid.UUID
		var state string
		var paid sql.NullTime
		if err := rows.Scan(&record, &state, &paid); err != nil {
			return nil, fmt.Errorf("paiements des aides : %w", err)
		}
		d := out[record]
		if state != "paid" {
			d.Unpaid = true
		} else if day := database.ParisDate(paid.Time); paid.Valid && day.After(d.LastPaid) {
			d.LastPaid = day
		}
		out[record] = d
	}
	return out, rows.Err()
}

// datesOf returns the dates of a version stored at created, in a record ended and purged on
// those days (zero while unknown) whose aids were paid as in paid (from payments).
func datesOf(created time.Time, ended, purge database.Date, paid DocumentDates) DocumentDates {
	return DocumentDates{Uploaded: database.ParisDate(created), Ended: ended, PurgeOn: purge,
		LastPaid: paid.LastPaid, Unpaid: paid.Unpaid}
}

// MaxDocumentSize is the largest document accepted.
const MaxDocumentSize = 10 << 20

// DocumentRules are what a document may be: a PDF, a JPEG or a PNG of 10 MB at most, checked
// by its content.
func DocumentRules() files.Rules {
	return files.Rules{Field: "file", Formats: []files.Format{files.PDF, files.JPEG, files.PNG}, MaxSize: MaxDocumentSize}
}

// AcceptDocument checks a received document (content, name, antivirus when configured)
// before AddDocument or SendDocument, outside their transaction.
func (s *Service) AcceptDocument(ctx context.Context, actor access.Actor, r io.Reader, name string) (files.Upload, error) {
	if s.files == nil {
		return files.Upload{}, fmt.Errorf("dépôt de documents : %w", fault.Unavailable)
	}
	return s.files.Accept(ctx, actor, r, name, DocumentRules())
}

// Document is a document of a record: its newest version, its older ones, and its retention.
type Document struct {
	files.Info
	TypeLabel string
	// Versions are every version, newest first (the first is Info).
	Versions []files.Info
	// ByPerson tells whether the person sent the newest version.
	ByPerson bool
	// DueOn is the day the newest version will be deleted (zero: not known yet).
	DueOn database.Date
}

// Deletion is a document an advisor deleted, with the reason.
type Deletion struct {
	Kind, TypeLabel string
	Versions        int
	Reason          string
	At              time.Time
	By              string
}

// Documents is what a record's documents page shows.
type Documents struct {
	Record    uuid.UUID
	PersonID  uuid.UUID
	Documents []Document
	Deletions []Deletion
	// Emergency tells that the reader acts under an emergency access; Self that it is the person.
	Emergency, Self bool
	Ended           bool
	Scanning        bool
}

// documentState loads the state of a person's record for a documents read or change.
func (s *Service) documentState(ctx context.Context, q database.Querier, actor access.Actor, person uuid.UUID, st *state) (access.Resource, error) {
	var err error
	*st, err = s.describe(ctx, q, actor, person)
	return st.res, err
}

// ListDocuments reads a person's documents for the purpose "documents" (D5312-50 4°): the
// habilitated advisors of the caseload, an emergency access, the person (who sees the newest
// versions only). The read is decided and recorded by access.Read.
func (s *Service) ListDocuments(ctx context.Context, actor access.Actor, person uuid.UUID) (Documents, error) {
	var st state
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewSupportDocuments, Purpose: access.PurposeSupportDocuments, What: "support.documents"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			return s.documentState(ctx, q, actor, person, &st)
		},
		func(ctx context.Context, q database.Querier) (Documents, error) {
			if st.record == uuid.Nil || s.files == nil {
				return Documents{}, errNoRecord
			}
			self := st.res.Relations.Has(access.RelSelf)
			if st.restricted && !self {
				return Documents{}, fmt.Errorf("traitement limité à la demande de la personne : %w", fault.Conflict)
			}
			out := Documents{Record: st.record, PersonID: person, Self: self, Ended: st.ended, Scanning: s.files.Scanning(),
				Emergency: !self && !st.res.Relations.Has(access.RelCaseload)}
			var ended, purge optDate
			if err := q.QueryRowContext(ctx, `SELECT ended_on, purge_on FROM support_records WHERE id = $1`, st.record).Scan(&ended, &purge); err != nil {
				return Documents{}, err
			}
			newest, err := s.files.List(ctx, q, subject(st.record), files.Filter{})
			if err != nil {
				return Documents{}, err
			}
			paid, err := payments(ctx, q, "= $1", st.record)
			if err != nil {
				return Documents{}, err
			}
			for _, info := range newest {
				if _, ok := DocumentTypeOf(info.Kind); !ok {
					continue
				}
				dates := datesOf(info.CreatedAt, ended.Date, purge.Date, paid[st.record])
				d := Document{Info: info, TypeLabel: DocumentTypeLabel(info.Kind), Versions: []files.Info{info}, DueOn: DocumentDueOn(info.Kind, dates)}
				if !self && info.Version > 1 {
					all, err := s.files.List(ctx, q, subject(st.record), files.Filter{Document: info.ID})
					if err != nil {
						return Documents{}, err
					}
					slices.Reverse(all)
					d.Versions = all
				}
				if d.ByPerson, err = s.sentByPerson(ctx, q, person, info.CreatedBy); err != nil {
					return Documents{}, err
				}
				out.Documents = append(out.Documents, d)
			}
			slices.SortStableFunc(out.Documents, func(a, b Document) int { return b.CreatedAt.Compare(a.CreatedAt) })
			if out.Deletions, err = s.deletions(ctx, q, st.record); err != nil {
				return Documents{}, err
			}
			return out, nil
		})
}

// sentByPerson tells whether user is the person's account.
func (s *Service) sentByPerson(ctx context.Context, q database.Querier, person, user uuid.UUID) (bool, error) {
	if user == uuid.Nil {
		return false, nil
	}
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM job_seekers WHERE id = $1 AND user_id = $2`, person, user).Scan(&n)
	return n > 0, err
}

func (s *Service) deletions(ctx context.Context, q database.Querier, record uuid.UUID) ([]Deletion, error) {
	rows, err := q.QueryContext(ctx, `SELECT d.id, d.kind, d.versions, d.reason, d.deleted_at, COALESCE(u.first_name, ''), COALESCE(u.last_name, '')
		FROM support_document_deletions d LEFT JOIN users u ON u.id = d.deleted_by WHERE d.record_id = $1 ORDER BY d.deleted_at DESC, d.id DESC`, record)
	if err != nil {
		return nil, fmt.Errorf("documents supprimés : %w", err)
	}
	type row struct {
		id     uuid.UUID
		d      Deletion
		sealed []byte
	}
	var read []row
	for rows.Next() {
		var x row
		var first, last string
		if err := rows.Scan(&x.id, &x.d.Kind, &x.d.Versions, &x.sealed, &x.d.At, &first, &last); err != nil {
			rows.Close()
			return nil, err
		}
		x.d.TypeLabel, x.d.By = DocumentTypeLabel(x.d.Kind), strings.TrimSpace(first+" "+last)
		read = append(read, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Deletion, 0, len(read))
	for _, x := range read {
		plain, err := s.env.Open(ctx, q, subject(record), rowBinding("support_document_deletions", "reason", x.id), x.sealed)
		if err != nil {
			return nil, err
		}
		x.d.Reason = string(plain)
		out = append(out, x.d)
	}
	return out, nil
}

// MyDocuments reads the documents of the job seeker acting.
func (s *Service) MyDocuments(ctx context.Context, actor access.Actor) (Documents, error) {
	person, err := s.personOf(ctx, actor)
	if err != nil {
		return Documents{}, err
	}
	return s.ListDocuments(ctx, actor, person)
}

// OpenDocument reads one version of a person's document (any version's id) for the purpose
// "documents", decided and recorded like ListDocuments: every download is in the trail. The
// person reads the newest versions of their documents only.
func (s *Service) OpenDocument(ctx context.Context, actor access.Actor, person, file uuid.UUID) (files.File, error) {
	var st state
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewSupportDocuments, Purpose: access.PurposeSupportDocuments, What: "support.document"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			return s.documentState(ctx, q, actor, person, &st)
		},
		func(ctx context.Context, q database.Querier) (files.File, error) {
			if st.record == uuid.Nil || s.files == nil {
				return files.File{}, errNoRecord
			}
			self := st.res.Relations.Has(access.RelSelf)
			if st.restricted && !self {
				return files.File{}, fmt.Errorf("traitement limité à la demande de la personne : %w", fault.Conflict)
			}
			f, err := s.files.Open(ctx, q, file, subject(st.record))
			if err != nil {
				return files.File{}, err
			}
			if _, ok := DocumentTypeOf(f.Kind); !ok {
				return files.File{}, fmt.Errorf("document : %w", fault.NotFound)
			}
			if self {
				var newer int
				if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM files WHERE document_id = $1 AND version > $2`, f.Document, f.Version).Scan(&newer); err != nil {
					return files.File{}, err
				}
				if newer > 0 {
					return files.File{}, fmt.Errorf("document : %w", fault.NotFound)
				}
			}
			return f, nil
		})
}

// MyDocument reads one of the job seeker's own documents (its newest version).
func (s *Service) MyDocument(ctx context.Context, actor access.Actor, file uuid.UUID) (files.File, error) {
	person, err := s.personOf(ctx, actor)
	if err != nil {
		return files.File{}, err
	}
	return s.OpenDocument(ctx, actor, person, file)
}

// NewDocument is a document to store: a type for a new document, or the version it replaces.
type NewDocument struct {
	Kind string
	// Previous is the newest version of the document this upload replaces, as the sender saw
	// it (uuid.Nil for a new document). A version added meanwhile gives files.ErrNewerVersion.
	Previous uuid.UUID
	Upload   files.Upload
}

// docChange runs a change of a record's documents under action (ManageSupportDocuments or
// SendOwnSupportDocument), refused while the person's restriction holds for advisors, and
// committed with its audit entry.
func (s *Service) docChange(ctx context.Context, actor access.Actor, person uuid.UUID, act access.Action, f func(tx *sql.Tx, id uuid.UUID) (string, map[string]string, error)) error {
	if s.files == nil {
		return fmt.Errorf("dépôt de documents : %w", fault.Unavailable)
	}
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		st, err := s.describe(ctx, tx, actor, person)
		if err != nil {
			return err
		}
		if err := access.Can(actor, act, st.res); err != nil {
			return err
		}
		if st.record == uuid.Nil {
			return errNoRecord
		}
		if st.restricted && act != access.SendOwnSupportDocument {
			return fmt.Errorf("la personne a demandé la limitation du traitement : rien ne peut être modifié avant qu'elle soit levée : %w", fault.Conflict)
		}
		action, details, err := f(tx, st.record)
		if err != nil {
			return err
		}
		details["record"] = st.record.String()
		return s.record(ctx, tx, actor, action, person, access.PurposeSupportDocuments, details)
	})
}

// AddDocument stores a document, or a new version of one, in a person's record: a habilitated
// advisor of the caseload. A document of the title's type becomes the record's proof (the
// same document as SetProof's).
func (s *Service) AddDocument(ctx context.Context, actor access.Actor, person uuid.UUID, in NewDocument) (files.Info, error) {
	var info files.Info
	err := s.docChange(ctx, actor, person, access.ManageSupportDocuments, func(tx *sql.Tx, id uuid.UUID) (string, map[string]string, error) {
		var err error
		info, err = s.putDocument(ctx, tx, actor, id, in, false)
		return "support.document_stored", map[string]string{"kind": info.Kind, "version": fmt.Sprint(info.Version)}, err
	})
	return info, err
}

// SendDocument stores a document the job seeker acting sends to their own record: the types
// marked ByPerson (a signed plan, bank details), or a new version of such a document.
func (s *Service) SendDocument(ctx context.Context, actor access.Actor, in NewDocument) (files.Info, error) {
	person, err := s.personOf(ctx, actor)
	if err != nil {
		return files.Info{}, err
	}
	var info files.Info
	err = s.docChange(ctx, actor, person, access.SendOwnSupportDocument, func(tx *sql.Tx, id uuid.UUID) (string, map[string]string, error) {
		var err error
		info, err = s.putDocument(ctx, tx, actor, id, in, true)
		return "support.document_sent", map[string]string{"kind": info.Kind, "version": fmt.Sprint(info.Version)}, err
	})
	return info, err
}

// putDocument stores in for record id in tx.
func (s *Service) putDocument(ctx context.Context, tx *sql.Tx, actor access.Actor, id uuid.UUID, in NewDocument, byPerson bool) (files.Info, error) {
	kind := in.Kind
	if in.Previous != uuid.Nil {
		err := tx.QueryRowContext(ctx, `SELECT kind FROM files WHERE id = $1 AND subject = $2`, in.Previous, subject(id)).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) {
			return files.Info{}, fmt.Errorf("document à remplacer : %w", fault.NotFound)
		}
		if err != nil {
			return files.Info{}, err
		}
	}
	t, ok := DocumentTypeOf(kind)
	if !ok || byPerson && !t.ByPerson {
		return files.Info{}, fault.Field("kind", "Choisissez le type du document.")
	}
	previous := in.Previous
	if kind == ProofKind {
		// The title's document has one document: a new one is its next version.
		var current uuid.NullUUID
		if err := tx.QueryRowContext(ctx, `SELECT proof_file FROM support_records WHERE id = $1`, id).Scan(&current); err != nil {
			return files.Info{}, err
		}
		if previous == uuid.Nil {
			previous = current.UUID
		}
	}
	info, err := s.files.Put(ctx, tx, actor, files.NewFile{Subject: subject(id), Kind: kind, Upload: in.Upload, Previous: previous})
	if err != nil {
		return files.Info{}, err
	}
	if kind == ProofKind {
		if _, err := tx.ExecContext(ctx, `UPDATE support_records SET proof_file = $2 WHERE id = $1`, id, info.ID); err != nil {
			return files.Info{}, err
		}
	}
	return info, nil
}

// MaxReasonLength bounds a deletion's reason.
const MaxReasonLength = 500

// DeleteDocument deletes a document of a person's record, every version, with a reason kept
// sealed in the record: a habilitated advisor of the caseload. file is any version's id.
func (s *Service) DeleteDocument(ctx context.Context, actor access.Actor, person, file uuid.UUID, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.docChange(ctx, actor, person, access.ManageSupportDocuments, func(tx *sql.Tx, id uuid.UUID) (string, map[string]string, error) {
		switch {
		case reason == "":
			return "", nil, fault.Field("reason", "Indiquez le motif de la suppression.")
		case utf8.RuneCountInString(reason) > MaxReasonLength:
			return "", nil, fault.Field("reason", fmt.Sprintf("Le motif ne doit pas dépasser %d caractères.", MaxReasonLength))
		}
		var kind string
		var document uuid.UUID
		err := tx.QueryRowContext(ctx, `SELECT kind, document_id FROM files WHERE id = $1 AND subject = $2`, file, subject(id)).Scan(&kind, &document)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil, fmt.Errorf("document : %w", fault.NotFound)
		}
		if err != nil {
			return "", nil, err
		}
		if _, ok := DocumentTypeOf(kind); !ok {
			return "", nil, fmt.Errorf("document : %w", fault.NotFound)
		}
		n, err := s.files.DeleteVersions(ctx, tx, actor, file, subject(id), 0)
		if err != nil {
			return "", nil, err
		}
		if kind == ProofKind {
			if _, err := tx.ExecContext(ctx, `UPDATE support_records SET proof_file = NULL WHERE id = $1`, id); err != nil {
				return "", nil, err
			}
		}
		row := uuid.Must(uuid.NewV7())
		sealed, err := s.env.Seal(ctx, tx, subject(id), rowBinding("support_document_deletions", "reason", row), []byte(reason))
		if err != nil {
			return "", nil, err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO support_document_deletions (id, record_id, document_id, kind, versions, reason, deleted_at, deleted_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, row, id, document, kind, n, sealed, s.clock.Now(), actor.UserID)
		if err != nil {
			return "", nil, fmt.Errorf("suppression du document : %w", err)
		}
		return "support.document_deleted", map[string]string{"kind": kind, "versions": fmt.Sprint(n)}, nil
	})
}
