package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// Options are the Service's optional parts.
type Options struct {
	// Store keeps the sealed bytes; nil means DatabaseStore().
	Store Store
	// Scanner is the antivirus; nil means none (files are stored NotScanned).
	Scanner Scanner
}

// Service stores, opens and deletes files. It decides nothing about who may read a file: the
// owning domain does, and calls Open, Stat and List inside its own access.Read (see the
// package documentation).
type Service struct {
	db      *database.DB
	env     *crypto.Envelope
	clock   clock.Clock
	store   Store
	scanner Scanner
}

// NewService returns the file store's service.
func NewService(db *database.DB, env *crypto.Envelope, c clock.Clock, opts Options) *Service {
	s := &Service{db: db, env: env, clock: c, store: opts.Store, scanner: opts.Scanner}
	if s.store == nil {
		s.store = DatabaseStore()
	}
	return s
}

// Scanning tells whether an antivirus is configured.
func (s *Service) Scanning() bool { return s.scanner != nil }

// Info is a stored file's metadata, opened (the name is unsealed).
type Info struct {
	ID      uuid.UUID
	Subject string
	// Kind is the owning domain's name for the document ("cv", "attestation_rqth").
	Kind      string
	Format    Format
	MediaType string
	// Size is the content's length in bytes.
	Size int64
	// Name is the sanitised name the file was sent under.
	Name string
	// SHA256 is the digest of the sealed bytes as stored.
	SHA256 []byte
	// Document is the id of the document's first version; every version shares it.
	Document uuid.UUID
	Version  int
	// Previous is the version this one replaced (uuid.Nil for a first version, or once that
	// version was deleted).
	Previous  uuid.UUID
	Scan      ScanStatus
	CreatedAt time.Time
	// CreatedBy is the account that stored the file (uuid.Nil for the platform, or once the
	// account was deleted).
	CreatedBy uuid.UUID
}

// File is a stored file, opened: its metadata and its content.
type File struct {
	Info
	Content []byte
}

// NewFile is what an owning domain stores.
type NewFile struct {
	// Subject names the data key the file is sealed under: the person's ("jobseeker:<id>").
	Subject string
	// Kind is the domain's name for the document: lower case letters, digits and "_".
	Kind   string
	Upload Upload
	// Previous is the current version of the document this file replaces; uuid.Nil for a new
	// document.
	Previous uuid.UUID
}

var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Errors.
var (
	errNoFile = fmt.Errorf("fichier : %w", fault.NotFound)
	// ErrCorrupt means the stored bytes are not those that were sealed (their digest differs):
	// altered, truncated or swapped in the store.
	ErrCorrupt = errors.New("fichier altéré : son empreinte ne correspond plus au contenu enregistré")
	// ErrNewerVersion means a version was added to the document since the caller read it.
	ErrNewerVersion = fmt.Errorf("une version plus récente de ce document a été déposée entre-temps : rechargez la page : %w", fault.Conflict)
)

// Accept checks a received file against rules (see Check) and, when an antivirus is
// configured, scans it. An infected file is refused with a French message on the form field,
// and the refusal is written to the audit trail (who sent it, the digest of the content and
// the signature found; nothing about the person concerned). When the antivirus cannot answer,
// the file is refused too, with an error that also wraps fault.Unavailable.
//
// Accept runs before the owner's transaction: scanning is network I/O, and a transaction is
// retried. The Upload it returns is what Put accepts.
func (s *Service) Accept(ctx context.Context, actor access.Actor, r io.Reader, name string, rules Rules) (Upload, error) {
	up, err := Check(r, name, rules)
	if err != nil {
		return Upload{}, err
	}
	if s.scanner == nil {
		up.scan = NotScanned
		return up, nil
	}
	v, err := s.scanner.Scan(ctx, bytes.NewReader(up.content))
	if err != nil {
		return Upload{}, errors.Join(fault.Field(rules.Field, "L'analyse antivirus du fichier est momentanément impossible : réessayez dans quelques minutes."),
			fmt.Errorf("analyse antivirus : %w", err))
	}
	if v.Infected {
		digest := up.SHA256()
		e := s.event(actor, "file.refused_infected", "upload", hex.EncodeToString(digest[:]), audit.OutcomeDenied,
			map[string]string{"signature": signatureCode(v.Signature), "field": fieldCode(rules.Field)})
		if err := s.db.WithTx(ctx, func(tx *sql.Tx) error { return audit.Record(ctx, tx, e) }); err != nil {
			return Upload{}, fmt.Errorf("fichier infecté refusé, mais le refus n'a pas pu être inscrit au journal : %w", err)
		}
		return Upload{}, fault.Field(rules.Field, "L'antivirus a détecté un virus dans ce fichier : il n'a pas été enregistré.")
	}
	up.scan = Clean
	return up, nil
}

// Put seals in.Upload under in.Subject's data key, bound to the new file's row, and stores it
// with its metadata in q, which must be the owner's read-write transaction (db.WithTx): the
// file commits or rolls back with what refers to it. With in.Previous, the file is the next
// version of that document, which must be the document's newest version and the subject's;
// otherwise ErrNewerVersion or fault.NotFound. The store is written to the audit trail.
func (s *Service) Put(ctx context.Context, q database.Querier, actor access.Actor, in NewFile) (Info, error) {
	up := in.Upload
	switch {
	case up.scan == "":
		return Info{}, errNotChecked
	case s.scanner != nil && up.scan != Clean:
		return Info{}, errors.New("fichier non analysé par l'antivirus : passez par Service.Accept avant Put")
	case !kindPattern.MatchString(in.Kind):
		return Info{}, fmt.Errorf("nature de document %q invalide (minuscules, chiffres et _) : %w", in.Kind, fault.Invalid)
	case in.Subject == "" || len(in.Subject) > 200:
		return Info{}, fmt.Errorf("sujet de chiffrement vide ou trop long : %w", fault.Invalid)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Info{}, err
	}
	info := Info{ID: id, Subject: in.Subject, Kind: in.Kind, Format: up.format, MediaType: up.format.MediaType(), Size: up.Size(),
		Name: up.name, Document: id, Version: 1, Scan: up.scan, CreatedAt: s.clock.Now().UTC(), CreatedBy: actor.UserID}
	if in.Previous != uuid.Nil {
		if err := s.follow(ctx, q, &info, in.Previous); err != nil {
			return Info{}, err
		}
	}
	name, err := s.env.Seal(ctx, q, in.Subject, binding(id, "name"), []byte(up.name))
	if err != nil {
		return Info{}, err
	}
	sealed, err := s.env.Seal(ctx, q, in.Subject, binding(id, "content"), up.content)
	if err != nil {
		return Info{}, err
	}
	digest := sha256.Sum256(sealed)
	info.SHA256 = digest[:]
	_, err = q.ExecContext(ctx, `INSERT INTO files (id, subject, kind, format, media_type, size, name, sha256, document_id, version,
			previous_id, scan, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		id, info.Subject, info.Kind, string(info.Format), info.MediaType, info.Size, name, info.SHA256, info.Document, info.Version,
		database.NullUUID(info.Previous), string(info.Scan), info.CreatedAt, database.NullUUID(info.CreatedBy))
	if database.IsUniqueViolation(err) {
		return Info{}, ErrNewerVersion
	}
	if err != nil {
		return Info{}, fmt.Errorf("enregistrement du fichier : %w", err)
	}
	if err := s.store.Put(ctx, q, id, bytes.NewReader(sealed), int64(len(sealed))); err != nil {
		return Info{}, err
	}
	e := s.event(actor, "file.stored", "file", id.String(), audit.OutcomeOK, map[string]string{
		"kind": in.Kind, "format": string(info.Format), "version": strconv.Itoa(info.Version), "scan": string(info.Scan)})
	if err := audit.Record(ctx, q, e); err != nil {
		return Info{}, err
	}
	return info, nil
}

// follow makes info the next version of the document whose newest version is previous.
func (s *Service) follow(ctx context.Context, q database.Querier, info *Info, previous uuid.UUID) error {
	var subject, kind string
	var document uuid.UUID
	var version, newest int
	err := q.QueryRowContext(ctx, `SELECT f.subject, f.kind, f.document_id, f.version,
			(SELECT MAX(n.version) FROM files n WHERE n.document_id = f.document_id)
		FROM files f WHERE f.id = $1`, previous).Scan(&subject, &kind, &document, &version, &newest)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && subject != info.Subject) {
		return fmt.Errorf("version précédente du document : %w", fault.NotFound)
	}
	if err != nil {
		return fmt.Errorf("lecture de la version précédente : %w", err)
	}
	if kind != info.Kind {
		return fmt.Errorf("la nouvelle version d'un document « %s » ne peut pas être un document « %s » : %w", kind, info.Kind, fault.Invalid)
	}
	if version != newest {
		return ErrNewerVersion
	}
	info.Document, info.Version, info.Previous = document, newest+1, previous
	return nil
}

func binding(id uuid.UUID, column string) crypto.Binding {
	return crypto.Binding{Table: "files", Column: column, Row: id.String()}
}

const infoColumns = `id, subject, kind, format, media_type, size, name, sha256, document_id, version, previous_id, scan,
	created_at, created_by`

// sealedInfo is a row of infoColumns with the name still sealed.
type sealedInfo struct {
	Info
	name []byte
}

func scanInfo(row interface{ Scan(...any) error }) (sealedInfo, error) {
	var i sealedInfo
	var format, scan string
	var previous, by uuid.NullUUID
	if err := row.Scan(&i.ID, &i.Subject, &i.Kind, &format, &i.MediaType, &i.Size, &i.name, &i.SHA256, &i.Document, &i.Version,
		&previous, &scan, &i.CreatedAt, &by); err != nil {
		return sealedInfo{}, err
	}
	i.Format, i.Scan, i.Previous, i.CreatedBy, i.CreatedAt = Format(format), ScanStatus(scan), previous.UUID, by.UUID, i.CreatedAt.UTC()
	return i, nil
}

// unseal opens the name. It queries the subject's key, so on PostgreSQL it runs once the rows
// are closed (one connection runs one query at a time).
func (s *Service) unseal(ctx context.Context, q database.Querier, i sealedInfo) (Info, error) {
	plain, err := s.env.Open(ctx, q, i.Subject, binding(i.ID, "name"), i.name)
	if err != nil {
		return Info{}, fmt.Errorf("nom du fichier : %w", err)
	}
	i.Info.Name = string(plain)
	return i.Info, nil
}

// Stat returns the metadata of file id if it belongs to subject; a file of another subject is
// fault.NotFound, as is a missing one. q is the owner's transaction, inside the access.Read
// that decided the reader may see the subject's file: Stat decides and records nothing.
func (s *Service) Stat(ctx context.Context, q database.Querier, id uuid.UUID, subject string) (Info, error) {
	row := q.QueryRowContext(ctx, `SELECT `+infoColumns+` FROM files WHERE id = $1 AND subject = $2`, id, subject)
	i, err := scanInfo(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Info{}, errNoFile
	}
	if err != nil {
		return Info{}, fmt.Errorf("lecture du fichier : %w", err)
	}
	return s.unseal(ctx, q, i)
}

// Open returns file id with its content, if it belongs to subject (otherwise fault.NotFound).
// The sealed bytes are checked against their digest (ErrCorrupt), then opened under the
// subject's key bound to the file's row: bytes moved from another row or another person do
// not open (crypto.ErrUndecryptable), and a shredded key gives crypto.ErrShredded. Like Stat,
// it runs inside the owner's access.Read and decides and records nothing.
func (s *Service) Open(ctx context.Context, q database.Querier, id uuid.UUID, subject string) (File, error) {
	info, err := s.Stat(ctx, q, id, subject)
	if err != nil {
		return File{}, err
	}
	rc, err := s.store.Get(ctx, q, id)
	if err != nil {
		return File{}, err
	}
	defer rc.Close()
	sealed, err := io.ReadAll(io.LimitReader(rc, info.Size+crypto.Overhead+1))
	if err != nil {
		return File{}, fmt.Errorf("lecture du contenu du fichier : %w", err)
	}
	if digest := sha256.Sum256(sealed); !bytes.Equal(digest[:], info.SHA256) {
		return File{}, ErrCorrupt
	}
	content, err := s.env.Open(ctx, q, subject, binding(id, "content"), sealed)
	if err != nil {
		return File{}, fmt.Errorf("contenu du fichier : %w", err)
	}
	if int64(len(content)) != info.Size {
		return File{}, ErrCorrupt
	}
	return File{Info: info, Content: content}, nil
}

// Filter selects a subject's files for List.
type Filter struct {
	// Kind keeps only the documents of this kind when set.
	Kind string
	// Document, when set, lists every version of that document (any version's id), oldest
	// first. Otherwise List gives the newest version of each document, oldest document first.
	Document uuid.UUID
}

// List returns subject's files as f selects them. Like Stat, it runs inside the owner's
// access.Read and decides and records nothing.
func (s *Service) List(ctx context.Context, q database.Querier, subject string, f Filter) ([]Info, error) {
	var rows *sql.Rows
	var err error
	if f.Document != uuid.Nil {
		rows, err = q.QueryContext(ctx, `SELECT `+infoColumns+` FROM files
			WHERE subject = $1 AND ($2 = '' OR kind = $2)
			  AND document_id = (SELECT d.document_id FROM files d WHERE d.id = $3 AND d.subject = $1)
			ORDER BY version`, subject, f.Kind, f.Document)
	} else {
		rows, err = q.QueryContext(ctx, `SELECT `+infoColumns+` FROM files f
			WHERE subject = $1 AND ($2 = '' OR kind = $2)
			  AND NOT EXISTS (SELECT 1 FROM files n WHERE n.document_id = f.document_id AND n.version > f.version)
			ORDER BY document_id`, subject, f.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("liste des fichiers : %w", err)
	}
	var found []sealedInfo
	for rows.Next() {
		i, err := scanInfo(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("liste des fichiers : %w", err)
		}
		found = append(found, i)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("liste des fichiers : %w", err)
	}
	out := make([]Info, len(found))
	for k, i := range found {
		if out[k], err = s.unseal(ctx, q, i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Delete deletes one version of a file of subject (a missing one, or another subject's, is
// fault.NotFound), and writes it to the audit trail. The version that followed it, if any,
// keeps its number and loses its link to it. q is the owner's read-write transaction, where
// the owner has decided the actor may.
func (s *Service) Delete(ctx context.Context, q database.Querier, actor access.Actor, id uuid.UUID, subject string) error {
	var kind string
	var version int
	err := q.QueryRowContext(ctx, `SELECT kind, version FROM files WHERE id = $1 AND subject = $2`, id, subject).Scan(&kind, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return errNoFile
	}
	if err != nil {
		return fmt.Errorf("suppression du fichier : %w", err)
	}
	if err := s.remove(ctx, q, []uuid.UUID{id}); err != nil {
		return err
	}
	return audit.Record(ctx, q, s.event(actor, "file.deleted", "file", id.String(), audit.OutcomeOK,
		map[string]string{"kind": kind, "version": strconv.Itoa(version)}))
}

// DeleteVersions deletes the versions of id's document but the newest keep (0 deletes the
// whole document) and returns how many it deleted; id is any version of a document of
// subject (otherwise fault.NotFound). Owners call it to prune a document's history when asked.
func (s *Service) DeleteVersions(ctx context.Context, q database.Querier, actor access.Actor, id uuid.UUID, subject string, keep int) (int, error) {
	if keep < 0 {
		return 0, fmt.Errorf("nombre de versions à garder négatif : %w", fault.Invalid)
	}
	rows, err := q.QueryContext(ctx, `SELECT id, kind, document_id FROM files
		WHERE document_id = (SELECT d.document_id FROM files d WHERE d.id = $1 AND d.subject = $2)
		ORDER BY version DESC`, id, subject)
	if err != nil {
		return 0, fmt.Errorf("versions du document : %w", err)
	}
	var ids []uuid.UUID
	var kind string
	var document uuid.UUID
	for rows.Next() {
		var v uuid.UUID
		if err := rows.Scan(&v, &kind, &document); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, errNoFile
	}
	drop := ids[min(keep, len(ids)):]
	if len(drop) == 0 {
		return 0, nil
	}
	if err := s.remove(ctx, q, drop); err != nil {
		return 0, err
	}
	err = audit.Record(ctx, q, s.event(actor, "file.versions_deleted", "document", document.String(), audit.OutcomeOK,
		map[string]string{"kind": kind, "deleted": strconv.Itoa(len(drop)), "kept": strconv.Itoa(len(ids) - len(drop))}))
	return len(drop), err
}

// PurgeSubject deletes every file of subject and returns how many: the erasure of a person.
// The caller runs it in the transaction that erases the person, with crypto.Envelope.Shred of
// the same subject so that copies in backups become unreadable too, and records the erasure
// in its own audit entry.
func (s *Service) PurgeSubject(ctx context.Context, q database.Querier, subject string) (int, error) {
	rows, err := q.QueryContext(ctx, `SELECT id FROM files WHERE subject = $1`, subject)
	if err != nil {
		return 0, fmt.Errorf("fichiers de la personne : %w", err)
	}
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return len(ids), s.remove(ctx, q, ids)
}

// remove deletes the bytes, then the rows, of the files ids.
func (s *Service) remove(ctx context.Context, q database.Querier, ids []uuid.UUID) error {
	for _, id := range ids {
		if err := s.store.Delete(ctx, q, id); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM files WHERE id = $1`, id); err != nil {
			return fmt.Errorf("suppression du fichier : %w", err)
		}
	}
	return nil
}

// event is an audit entry about a file, by actor (the platform when anonymous).
func (s *Service) event(actor access.Actor, action, objectType, ref string, outcome audit.Outcome, details map[string]string) audit.Event {
	e := audit.Event{OccurredAt: s.clock.Now(), Action: action, ObjectType: objectType, ObjectRef: ref, Outcome: outcome, Details: details}
	if !actor.Anonymous() {
		e.ActorUser = actor.UserID.String()
	}
	if actor.OrgID != uuid.Nil {
		e.ActorOrg = actor.OrgID.String()
	}
	return e
}

// signatureCode keeps an antivirus signature name to the characters such names use, short
// enough for an audit detail.
func signatureCode(sig string) string {
	return code(sig, "unknown")
}

func fieldCode(field string) string { return code(field, "field") }

func code(s, empty string) string {
	b := make([]byte, 0, min(len(s), 100))
	for i := 0; i < len(s) && len(b) < 100; i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			b = append(b, c)
		}
	}
	if len(b) == 0 {
		return empty
	}
	return string(b)
}
