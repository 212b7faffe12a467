package support

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/sepa"
)

// The states of an aid: requested, instructed (complete or not), then granted or refused by a
// second person, then (granted) ordered in a payment batch, then paid; cancelled before payment.
const (
	AidRequested  = "requested"
	AidInstructed = "instructed"
	AidGranted    = "granted"
	AidRefused    = "refused"
	AidOrdered    = "ordered"
	AidPaid       = "paid"
	AidCancelled  = "cancelled"
)

// AidStates names the states in French.
var AidStates = []Option{{AidRequested, "Demandée"}, {AidInstructed, "Instruite"}, {AidGranted, "Accordée"}, {AidRefused, "Refusée"},
	{AidOrdered, "Mise en paiement"}, {AidPaid, "Payée"}, {AidCancelled, "Annulée"}}

// Bank is the beneficiary's account: the person or the provider of the service.
type Bank struct {
	Holder string `json:"holder"`
	IBAN   string `json:"iban"`
	BIC    string `json:"bic"`
}

// Masked shows the IBAN's country, check digits and last four characters only.
func (b Bank) Masked() string { return sepa.MaskIBAN(b.IBAN) }

// AidInput is what the request form sends.
type AidInput struct {
	Code          string
	Cents         int64
	Justification string
	Bank          Bank
}

const maxJustification = 2000

// Validate checks a request against the catalogue and returns every field error at once.
func (in *AidInput) Validate(c *Catalogue) error {
	f := fault.Fields{}
	aid, ok := c.Aid(in.Code)
	if !ok {
		f.Add("aid_code", "Choisissez une aide du catalogue.")
	}
	switch {
	case in.Cents <= 0:
		f.Add("amount", "Indiquez un montant positif, en euros.")
	case ok && in.Cents > aid.Ceiling():
		f.Add("amount", fmt.Sprintf("Le plafond de cette aide est de %s €.", Euros(aid.Ceiling())))
	}
	in.Justification = strings.TrimSpace(in.Justification)
	switch n := utf8.RuneCountInString(in.Justification); {
	case n < 10:
		f.Add("justification", "Expliquez en quelques mots le besoin auquel répond l'aide (10 caractères au moins).")
	case n > maxJustification:
		f.Add("justification", fmt.Sprintf("%d caractères au plus.", maxJustification))
	}
	in.Bank.Holder = strings.Join(strings.Fields(in.Bank.Holder), " ")
	if in.Bank.Holder == "" || utf8.RuneCountInString(in.Bank.Holder) > 70 || sepa.Latin(in.Bank.Holder, 70) == "" {
		f.Add("holder", "Indiquez le titulaire du compte (70 caractères au plus).")
	}
	if err := sepa.CheckIBAN(in.Bank.IBAN); err != nil {
		f.Add("iban", capitalise(err.Error())+".")
	} else {
		in.Bank.IBAN = sepa.NormalizeIBAN(in.Bank.IBAN)
	}
	if err := sepa.CheckBIC(in.Bank.BIC); err != nil {
		f.Add("bic", capitalise(err.Error())+".")
	} else {
		in.Bank.BIC = sepa.NormalizeBIC(in.Bank.BIC)
	}
	return f.Err()
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

// Euros writes cents in French: "1 234,50".
func Euros(cents int64) string {
	e, c := cents/100, cents%100
	digits := fmt.Sprint(e)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(d)
	}
	return fmt.Sprintf("%s,%02d", b.String(), c)
}

// ParseEuros reads an amount in euros typed in a form ("1 234,50", "1234.5", "800").
func ParseEuros(s string) (int64, bool) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "€", "").Replace(strings.TrimSpace(s))
	s = strings.Replace(s, ",", ".", 1)
	if s == "" {
		return 0, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" || len(whole) > 9 {
		return 0, false
	}
	frac += strings.Repeat("0", 2-len(frac))
	var cents int64
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, false
		}
		cents = cents*10 + int64(r-'0')
	}
	return cents, true
}

// AidFile is an aid of a person, opened for a reader allowed to see it.
type AidFile struct {
	ID       uuid.UUID
	RecordID uuid.UUID
	PersonID uuid.UUID
	OrgID    uuid.UUID
	OrgName  string
	Aid      Aid
	State    string
	// Amounts in cents: asked, proposed by the instruction, granted by the decision.
	RequestedCents, ProposedCents, GrantedCents int64
	Justification                               string
	Bank                                        Bank
	// Complete is the instruction's verdict (nil before it).
	Complete        *bool
	InstructionNote string
	DecisionNote    string
	RequestedAt     time.Time
	InstructedAt    time.Time
	DecidedAt       time.Time
	OrderedAt       time.Time
	PaidAt          time.Time
	CancelledAt     time.Time
	RequestedBy     uuid.UUID
	InstructedBy    uuid.UUID
	DecidedBy       uuid.UUID
	// Names of the requester, the instructor and the decider.
	RequesterName, InstructorName, DeciderName string
	BatchID                                    uuid.UUID
}

// IsComplete tells whether the instruction found the file complete.
func (a AidFile) IsComplete() bool { return a.Complete != nil && *a.Complete }

// StateLabel is the state in French.
func (a AidFile) StateLabel() string { return label(AidStates, a.State) }

// Reference is the aid's short reference, printed on letters and transfers.
func (a AidFile) Reference() string { return AidReference(a.ID) }

// AidReference is "AIDE-" and the last 12 hexadecimal digits of the id: unique enough to be
// read on the phone, and a valid SEPA end-to-end reference.
func AidReference(id uuid.UUID) string {
	s := strings.ToUpper(strings.ReplaceAll(id.String(), "-", ""))
	return "AIDE-" + s[len(s)-12:]
}

// Decided tells whether the decision is taken (a letter exists).
func (a AidFile) Decided() bool {
	return a.State == AidGranted || a.State == AidRefused || a.State == AidOrdered || a.State == AidPaid
}

// Granted tells whether the aid was granted (whatever its payment).
func (a AidFile) Granted() bool {
	return a.State == AidGranted || a.State == AidOrdered || a.State == AidPaid
}

func aidBinding(id uuid.UUID, column string) bindingArgs {
	return bindingArgs{"support_aids", column, id}
}

type bindingArgs struct {
	table, column string
	id            uuid.UUID
}

// sealText seals a value under the record's key, bound to the aid's row.
func (s *Service) sealText(ctx context.Context, q database.Querier, record uuid.UUID, b bindingArgs, plain []byte) ([]byte, error) {
	return s.env.Seal(ctx, q, subject(record), rowBinding(b.table, b.column, b.id), plain)
}

func (s *Service) openText(ctx context.Context, q database.Querier, record uuid.UUID, b bindingArgs, sealed []byte) ([]byte, error) {
	return s.env.Open(ctx, q, subject(record), rowBinding(b.table, b.column, b.id), sealed)
}

// aidChange runs a change of a person's aids: decided with RequestAid, refused while the
// person's restriction holds, committed with its audit entry (purpose support.aids).
func (s *Service) aidChange(ctx context.Context, actor access.Actor, person uuid.UUID, action string, details map[string]string,
	f func(tx *sql.Tx, st state) error) error {
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		st, err := s.describe(ctx, tx, actor, person)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.RequestAid, st.res); err != nil {
			return err
		}
		if st.record == uuid.Nil {
			return errNoRecord
		}
		if st.restricted {
			return fmt.Errorf("la personne a demandé la limitation du traitement : aucune aide ne peut être demandée, décidée ni payée avant qu'elle soit levée : %w", fault.Conflict)
		}
		if err := f(tx, st); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, action, person, access.PurposeSupportAids, details)
	})
}

// RequestAid records the request of an aid of the catalogue for a person with a running
// support record, by a habilitated advisor of the caseload. The justification and the bank
// details are sealed under the record's key.
func (s *Service) RequestAid(ctx context.Context, actor access.Actor, person uuid.UUID, in AidInput) (uuid.UUID, error) {
	cat, err := Aids()
	if err != nil {
		return uuid.Nil, err
	}
	id := uuid.Must(uuid.NewV7())
	err = s.aidChange(ctx, actor, person, "support.aid_requested", map[string]string{"aid": id.String()}, func(tx *sql.Tx, st state) error {
		if st.ended {
			return fmt.Errorf("l'accompagnement est terminé : aucune nouvelle aide ne peut être demandée : %w", fault.Conflict)
		}
		if err := in.Validate(cat); err != nil {
			return err
		}
		aid, _ := cat.Aid(in.Code)
		just, err := s.sealText(ctx, tx, st.record, aidBinding(id, "justification"), []byte(in.Justification))
		if err != nil {
			return err
		}
		raw, err := json.Marshal(in.Bank)
		if err != nil {
			return err
		}
		bank, err := s.sealText(ctx, tx, st.record, aidBinding(id, "bank"), raw)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO support_aids (id, record_id, org_id, aid_code, funder, state, requested_cents, justification, bank,
				requested_at, requested_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			id, st.record, actor.OrgID, aid.Code, aid.Funder, AidRequested, in.Cents, just, bank, s.clock.Now(), actor.UserID)
		if err != nil {
			return fmt.Errorf("demande d'aide : %w", err)
		}
		return nil
	})
	if err != nil {
		return uuid.Nil, err
	}
	return id, nil
}

// aidRow loads what a change of an aid needs, locked for the transaction on PostgreSQL.
type aidRow struct {
	state, code               string
	requestedBy, instructedBy uuid.NullUUID
	complete                  sql.NullBool
	proposed                  sql.NullInt64
}

func (s *Service) lockAid(ctx context.Context, tx *sql.Tx, record, aid uuid.UUID) (aidRow, error) {
	lock := ""
	if s.db.Engine() == database.Postgres {
		lock = " FOR UPDATE"
	}
	var r aidRow
	err := tx.QueryRowContext(ctx, `SELECT state, aid_code, requested_by, instructed_by, complete, proposed_cents FROM support_aids
		WHERE id = $1 AND record_id = $2`+lock, aid, record).Scan(&r.state, &r.code, &r.requestedBy, &r.instructedBy, &r.complete, &r.proposed)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("aide : %w", fault.NotFound)
	}
	return r, err
}

// Instruction is what the instructor records.
type Instruction struct {
	Complete bool
	// Cents is the amount proposed (0 for an incomplete file).
	Cents int64
	Note  string
}

// InstructAid records the instruction of a requested aid (or corrects it before the decision):
// complete or not, the amount proposed within the ceiling, a note.
func (s *Service) InstructAid(ctx context.Context, actor access.Actor, person, aid uuid.UUID, in Instruction) error {
	cat, err := Aids()
	if err != nil {
		return err
	}
	return s.aidChange(ctx, actor, person, "support.aid_instructed", map[string]string{"aid": aid.String()}, func(tx *sql.Tx, st state) error {
		row, err := s.lockAid(ctx, tx, st.record, aid)
		if err != nil {
			return err
		}
		if row.state != AidRequested && row.state != AidInstructed {
			return fmt.Errorf("cette aide n'est plus à instruire : %w", fault.Conflict)
		}
		a, _ := cat.Aid(row.code)
		f := fault.Fields{}
		in.Note = strings.TrimSpace(in.Note)
		switch {
		case in.Complete && in.Cents <= 0:
			f.Add("proposed", "Indiquez le montant proposé, en euros.")
		case in.Cents > a.Ceiling():
			f.Add("proposed", fmt.Sprintf("Le plafond de cette aide est de %s €.", Euros(a.Ceiling())))
		case in.Cents < 0:
			f.Add("proposed", "Le montant ne peut pas être négatif.")
		}
		if !in.Complete && in.Note == "" {
			f.Add("note", "Indiquez les pièces ou informations qui manquent.")
		}
		if utf8.RuneCountInString(in.Note) > maxJustification {
			f.Add("note", fmt.Sprintf("%d caractères au plus.", maxJustification))
		}
		if err := f.Err(); err != nil {
			return err
		}
		note, err := s.sealText(ctx, tx, st.record, aidBinding(aid, "instruction_note"), []byte(in.Note))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE support_aids SET state = $2, complete = $3, proposed_cents = $4, instruction_note = $5,
			instructed_at = $6, instructed_by = $7 WHERE id = $1`, aid, AidInstructed, in.Complete, in.Cents, note, s.clock.Now(), actor.UserID)
		return err
	})
}

// ErrFourEyes is the refusal of a decision by the aid's instructor or requester.
var ErrFourEyes = fmt.Errorf("la décision revient à une autre personne que celle qui a demandé ou instruit l'aide : %w", fault.Forbidden)

// DecideAid grants (with the amount granted, within the ceiling) or refuses (with a reason) an
// instructed aid. The decider must be a habilitated advisor of the caseload other than the
// aid's instructor and its requester: nobody decides alone.
func (s *Service) DecideAid(ctx context.Context, actor access.Actor, person, aid uuid.UUID, grant bool, cents int64, reason string) error {
	cat, err := Aids()
	if err != nil {
		return err
	}
	action := "support.aid_refused"
	if grant {
		action = "support.aid_granted"
	}
	return s.aidChange(ctx, actor, person, action, map[string]string{"aid": aid.String()}, func(tx *sql.Tx, st state) error {
		row, err := s.lockAid(ctx, tx, st.record, aid)
		if err != nil {
			return err
		}
		if row.instructedBy.UUID == actor.UserID || row.requestedBy.UUID == actor.UserID {
			return ErrFourEyes
		}
		if row.state != AidInstructed {
			return fmt.Errorf("seule une aide instruite peut être décidée : %w", fault.Conflict)
		}
		a, _ := cat.Aid(row.code)
		f := fault.Fields{}
		reason = strings.TrimSpace(reason)
		if grant {
			switch {
			case !row.complete.Bool:
				f.Add("decision", "Le dossier est incomplet : il ne peut qu'être refusé, ou instruit à nouveau.")
			case cents <= 0:
				f.Add("granted", "Indiquez le montant accordé, en euros.")
			case cents > a.Ceiling():
				f.Add("granted", fmt.Sprintf("Le plafond de cette aide est de %s €.", Euros(a.Ceiling())))
			}
		} else if reason == "" {
			f.Add("reason", "Indiquez le motif du refus : il figure dans la lettre de décision.")
		}
		if utf8.RuneCountInString(reason) > maxJustification {
			f.Add("reason", fmt.Sprintf("%d caractères au plus.", maxJustification))
		}
		if err := f.Err(); err != nil {
			return err
		}
		note, err := s.sealText(ctx, tx, st.record, aidBinding(aid, "decision_note"), []byte(reason))
		if err != nil {
			return err
		}
		var granted any
		newState := AidRefused
		if grant {
			granted, newState = cents, AidGranted
		}
		res, err := tx.ExecContext(ctx, `UPDATE support_aids SET state = $2, granted_cents = $3, decision_note = $4, decided_at = $5, decided_by = $6
			WHERE id = $1 AND state = 'instructed'`, aid, newState, granted, note, s.clock.Now(), actor.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("l'aide a changé entre-temps : %w", fault.Conflict)
		}
		return nil
	})
}

// CancelAid cancels an aid not yet ordered for payment.
func (s *Service) CancelAid(ctx context.Context, actor access.Actor, person, aid uuid.UUID) error {
	return s.aidChange(ctx, actor, person, "support.aid_cancelled", map[string]string{"aid": aid.String()}, func(tx *sql.Tx, st state) error {
		res, err := tx.ExecContext(ctx, `UPDATE support_aids SET state = 'cancelled', cancelled_at = $3, cancelled_by = $4
			WHERE id = $1 AND record_id = $2 AND state IN ('requested', 'instructed', 'granted')`, aid, st.record, s.clock.Now(), actor.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("seule une aide qui n'est pas encore mise en paiement peut être annulée : %w", fault.Conflict)
		}
		return nil
	})
}

// PersonAids is a person's aids and their ledger.
type PersonAids struct {
	PersonName string
	Aids       []AidFile
	Ledger     Ledger
}

// Ledger sums a person's aids.
type Ledger struct {
	Requested, Granted, Paid, Refused int
	// Amounts in cents: asked (every aid but the cancelled ones), granted, paid.
	RequestedCents, GrantedCents, PaidCents int64
}

// LedgerOf sums aids.
func LedgerOf(aids []AidFile) Ledger {
	var l Ledger
	for _, a := range aids {
		if a.State == AidCancelled {
			continue
		}
		l.Requested++
		l.RequestedCents += a.RequestedCents
		if a.Granted() {
			l.Granted++
			l.GrantedCents += a.GrantedCents
		}
		if a.State == AidPaid {
			l.Paid++
			l.PaidCents += a.GrantedCents
		}
		if a.State == AidRefused {
			l.Refused++
		}
	}
	return l
}

// PersonAids reads a person's aids with their sealed parts and the ledger, for the purpose
// support.aids, decided and recorded by access.Read. While the person's restriction holds,
// advisors get the aids without their sealed parts.
func (s *Service) PersonAids(ctx context.Context, actor access.Actor, person uuid.UUID) (PersonAids, error) {
	var st state
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewAids, Purpose: access.PurposeSupportAids, What: "support.aids"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			var err error
			st, err = s.describe(ctx, q, actor, person)
			return st.res, err
		},
		func(ctx context.Context, q database.Querier) (PersonAids, error) {
			if st.record == uuid.Nil {
				return PersonAids{}, errNoRecord
			}
			open := st.res.Relations.Has(access.RelSelf) || !st.restricted
			aids, err := s.aids(ctx, q, st.record, uuid.Nil, open)
			if err != nil {
				return PersonAids{}, err
			}
			var out PersonAids
			out.Aids, out.Ledger = aids, LedgerOf(aids)
			var first, birth, usage string
			if err := q.QueryRowContext(ctx, `SELECT first_names, birth_name, usage_name FROM job_seekers WHERE id = $1`, person).
				Scan(&first, &birth, &usage); err != nil {
				return PersonAids{}, err
			}
			if usage != "" {
				birth = usage
			}
			out.PersonName = first + " " + birth
			return out, nil
		})
}

// MyAids reads the aids of the job seeker acting (fault.NotFound without a record).
func (s *Service) MyAids(ctx context.Context, actor access.Actor) (PersonAids, error) {
	person, err := s.personOf(ctx, actor)
	if err != nil {
		return PersonAids{}, err
	}
	return s.PersonAids(ctx, actor, person)
}

const aidColumns = `a.id, a.record_id, r.job_seeker_id, a.org_id, o.name, a.aid_code, a.funder, a.state, a.requested_cents,
	COALESCE(a.proposed_cents, 0), COALESCE(a.granted_cents, 0), a.justification, a.bank, a.complete, a.instruction_note, a.decision_note,
	a.requested_at, a.instructed_at, a.decided_at, a.ordered_at, a.paid_at, a.cancelled_at, a.requested_by, a.instructed_by, a.decided_by,
	a.batch_id, COALESCE(ur.first_name || ' ' || ur.last_name, ''), COALESCE(ui.first_name || ' ' || ui.last_name, ''),
	COALESCE(ud.first_name || ' ' || ud.last_name, '')`

const aidJoins = ` FROM support_aids a JOIN support_records r ON r.id = a.record_id JOIN organisations o ON o.id = a.org_id
	LEFT JOIN users ur ON ur.id = a.requested_by LEFT JOIN users ui ON ui.id = a.instructed_by LEFT JOIN users ud ON ud.id = a.decided_by`

// aids reads the aids of a record (or one aid when only is set); with open, their sealed parts.
func (s *Service) aids(ctx context.Context, q database.Querier, record, only uuid.UUID, open bool) ([]AidFile, error) {
	cat, err := Aids()
	if err != nil {
		return nil, err
	}
	where, args := ` WHERE a.record_id = $1`, []any{record}
	if only != uuid.Nil {
		where, args = where+` AND a.id = $2`, append(args, only)
	}
	rows, err := q.QueryContext(ctx, `SELECT `+aidColumns+aidJoins+where+` ORDER BY a.requested_at DESC, a.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("aides : %w", err)
	}
	type sealed struct{ just, bank, inote, dnote []byte }
	var out []AidFile
	var secrets []sealed
	for rows.Next() {
		var a AidFile
		var x sealed
		var code, funder string
		var complete sql.NullBool
		var instructed, decided, ordered, paid, cancelled sql.NullTime
		var ib, db, batch uuid.NullUUID
		if err := rows.Scan(&a.ID, &a.RecordID, &a.PersonID, &a.OrgID, &a.OrgName, &code, &funder, &a.State, &a.RequestedCents,
			&a.ProposedCents, &a.GrantedCents, &x.just, &x.bank, &complete, &x.inote, &x.dnote, &a.RequestedAt, &instructed, &decided,
			&ordered, &paid, &cancelled, &a.RequestedBy, &ib, &db, &batch, &a.RequesterName, &a.InstructorName, &a.DeciderName); err != nil {
			rows.Close()
			return nil, err
		}
		a.Aid, _ = cat.Aid(code)
		if a.Aid.Code == "" {
			a.Aid = Aid{Code: code, Label: code, Funder: funder}
		}
		if complete.Valid {
			a.Complete = &complete.Bool
		}
		a.InstructedAt, a.DecidedAt, a.OrderedAt, a.PaidAt, a.CancelledAt = instructed.Time, decided.Time, ordered.Time, paid.Time, cancelled.Time
		a.InstructedBy, a.DecidedBy, a.BatchID = ib.UUID, db.UUID, batch.UUID
		out = append(out, a)
		secrets = append(secrets, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !open {
		return out, nil
	}
	for i := range out {
		a, x := &out[i], secrets[i]
		plain, err := s.openText(ctx, q, a.RecordID, aidBinding(a.ID, "justification"), x.just)
		if err != nil {
			return nil, err
		}
		a.Justification = string(plain)
		if plain, err = s.openText(ctx, q, a.RecordID, aidBinding(a.ID, "bank"), x.bank); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(plain, &a.Bank); err != nil {
			return nil, fmt.Errorf("coordonnées bancaires illisibles : %w", err)
		}
		for _, n := range []struct {
			col    string
			sealed []byte
			to     *string
		}{{"instruction_note", x.inote, &a.InstructionNote}, {"decision_note", x.dnote, &a.DecisionNote}} {
			if n.sealed == nil {
				continue
			}
			if plain, err = s.openText(ctx, q, a.RecordID, aidBinding(a.ID, n.col), n.sealed); err != nil {
				return nil, err
			}
			*n.to = string(plain)
		}
	}
	return out, nil
}

// aidActionLabel names the aids' audited actions for the person's access list ("" for others).
func aidActionLabel(action string) string {
	switch action {
	case "read.support.aids":
		return "Consultation de vos aides"
	case "read.support.aid_letter":
		return "Consultation d'une lettre de décision d'aide"
	case "support.aid_requested":
		return "Demande d'aide"
	case "support.aid_instructed":
		return "Instruction d'une aide"
	case "support.aid_granted":
		return "Accord d'une aide"
	case "support.aid_refused":
		return "Refus d'une aide"
	case "support.aid_cancelled":
		return "Annulation d'une aide"
	case "support.aid_ordered":
		return "Mise en paiement d'une aide"
	case "support.aid_paid":
		return "Paiement d'une aide"
	}
	return ""
}
