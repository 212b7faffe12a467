// Package files is the one file store every module reuses: a CV sent with an application,
// later the documents of adapted support and attestations. It checks what is uploaded, seals it
// under the person's data key, keeps versions, and deletes; it never decides who may read.
//
// # Uploads
//
// The caller states what a form field accepts (Rules: formats among PDF, JPEG and PNG, and a
// size limit). Check decides the format from the bytes (Sniff: signature and structure), never
// from the extension or the browser's Content-Type; a name whose extension names another
// format is refused, one without an extension gets the format's. Names are sanitised
// (SanitizeName): no path, no control or bidirectional-override character, no quote. Every
// refusal is a fault.Field on the caller's field name, in French ("Le fichier doit être un
// PDF.", "Le fichier dépasse 5 Mo.").
//
// Service.Accept adds the antivirus when one is configured (PARCOURS_CLAMD_ADDR, a clamd
// reached by INSTREAM over TCP or a Unix socket): an infected file is refused and the refusal
// is written to the audit trail with the sender and the content's SHA-256; an antivirus that
// does not answer refuses the upload too (fail closed). Without an antivirus, files are stored
// with the status not_scanned, so that they can be scanned later.
//
// # Sealing and integrity
//
// Put seals the content and the name with crypto.Envelope under the subject the owner gives —
// the person's key, "jobseeker:<id>" — bound to the file's row (table files, column content or
// name, row id), in the owner's transaction. Bytes copied to another row or read under another
// subject do not open; shredding the subject's key (crypto.Envelope.Shred) makes every file
// of the person unreadable, backups included. The metadata row keeps the SHA-256 of the
// sealed bytes, checked before opening, so that a store (or a backup) can be verified without
// any key.
//
// Versions of a document share the id of its first version (Document) and are numbered from 1;
// each links to the version it replaced. A new version must follow the newest one: two people
// replacing the same version at once get one success and one ErrNewerVersion.
//
// # Reading: inside the owner's access.Read
//
// Who may read a file depends on what it belongs to (an application: the receiving
// structure's members and the sender; a support file: the habilitated advisors), so the owning
// domain decides. Stat, Open and List take a database.Querier — the transaction of the owner's
// access.Read, whose describe decided and whose entry records the read — and the subject the
// owner resolved from its own record. A file of another subject is fault.NotFound, exactly like
// a missing one. They write nothing. Package web and api never hold a database.Querier, so they
// cannot call them except through an owning service. The owner's service looks like:
//
//	func (s *Service) DownloadCV(ctx context.Context, actor access.Actor, appID uuid.UUID, purpose access.Purpose) (files.File, error) {
//		var subject string
//		var cv uuid.UUID
//		return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewApplication, Purpose: purpose, What: "application.cv"},
//			func(ctx context.Context, q database.Querier) (access.Resource, error) {
//				// load the application: its structure, its job seeker (subject "jobseeker:<id>"), its CV's file id
//			},
//			func(ctx context.Context, q database.Querier) (files.File, error) { return s.files.Open(ctx, q, cv, subject) })
//	}
//
// The web layer then writes the file with the headers of Info.Headers (internal/web/download.go).
//
// # Stores
//
// The bytes go through the Store interface, by file id. DatabaseStore, the default, keeps them
// in the file_contents table, so one database backup holds everything, and joins the owner's
// transaction. An S3-compatible store (not written yet) implements the same three methods; since
// it cannot join a database transaction it must:
//
//   - Put: upload the object under the file id before the transaction commits. A rolled-back
//     transaction leaves an orphan object, sealed and so unreadable; a periodic sweep deletes
//     objects older than a day that have no files row.
//   - Delete: not delete at once, since the transaction may still roll back and the row would
//     then point at nothing. It records the id in a deletion table in q (committed with the
//     row's deletion), and a job deletes those objects afterwards.
//   - Get: stream the object; Open checks its SHA-256 against the row before opening it.
//
// Content is sealed whole (one AES-GCM message), so a file is held in memory while it is
// checked, scanned and sealed; MaxSize (20 MB) bounds that. Larger files would need a chunked
// sealing format.
//
// # Retention
//
// Delete removes one version, DeleteVersions a document's older versions (or all of them), and
// PurgeSubject every file of a person, in the transaction that erases the person and shreds
// the subject's key.
package files
