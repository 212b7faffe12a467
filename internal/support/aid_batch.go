package support

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/audit"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/sepa"
)

// Payment of the granted aids: a habilitated advisor of the organisation that requested them
// exports, per funder, a batch of every granted aid not yet ordered, as a SEPA credit transfer
// file (pain.001.001.03) whose debtor is the funder's account of the catalogue; the batch is
// then marked paid. An aid is claimed by one batch at most: the export claims the aids with a
// conditional UPDATE (state 'granted' and no batch), which PostgreSQL re-checks on each row
// after the lock of a concurrent export, and which SQLite runs with one writer at a time.

// payResource describes the actor for PayAids: the habilitation in the organisation acted for.
func payResource(ctx context.Context, q database.Querier, actor access.Actor) (access.Resource, error) {
	res := access.Resource{OrgID: actor.OrgID}
	if actor.Kind != access.Professional || actor.OrgID == uuid.Nil {
		return res, nil
	}
	var err error
	res.Habilitated, err = habilitated(ctx, q, actor)
	return res, err
}

// BatchSummary is a payment batch.
type BatchSummary struct {
	ID         uuid.UUID
	Funder     string
	MsgID      string
	Execution  database.Date
	CreatedAt  time.Time
	CreatedBy  string
	Transfers  int
	TotalCents int64
	PaidAt     time.Time
	PaidBy     string
}

// FunderLabel is the batch's funder in French.
func (b BatchSummary) FunderLabel() string { return FunderLabel(b.Funder) }

// Paid tells whether the batch was marked paid.
func (b BatchSummary) Paid() bool { return !b.PaidAt.IsZero() }

// FileName is the name of the batch's file.
func (b BatchSummary) FileName() string { return strings.ToLower(b.MsgID) + ".xml" }

// Payable is a granted aid waiting for a batch, as the payment page lists it.
type Payable struct {
	ID         uuid.UUID
	Aid        Aid
	PersonName string
	Cents      int64
	DecidedAt  time.Time
}

// Payment is the payment page: the granted aids waiting per funder, and the batches.
type Payment struct {
	Waiting []Payable
	Batches []BatchSummary
}

// Payments lists the granted aids of the actor's organisation waiting for a batch and its
// batches, newest first. The read is recorded (purpose support.aids).
func (s *Service) Payments(ctx context.Context, actor access.Actor) (Payment, error) {
	cat, err := Aids()
	if err != nil {
		return Payment{}, err
	}
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.PayAids, Purpose: access.PurposeSupportAids, What: "support.aid_payments"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			return payResource(ctx, q, actor)
		},
		func(ctx context.Context, q database.Querier) (Payment, error) {
			var out Payment
			rows, err := q.QueryContext(ctx, `SELECT a.id, a.aid_code, j.first_names, j.birth_name, j.usage_name, a.granted_cents, a.decided_at
				FROM support_aids a JOIN support_records r ON r.id = a.record_id JOIN job_seekers j ON j.id = r.job_seeker_id
				WHERE a.org_id = $1 AND a.state = 'granted' AND r.restricted_at IS NULL ORDER BY a.funder, a.decided_at, a.id LIMIT 1000`, actor.OrgID)
			if err != nil {
				return out, err
			}
			for rows.Next() {
				var p Payable
				var code, first, birth, usage string
				if err := rows.Scan(&p.ID, &code, &first, &birth, &usage, &p.Cents, &p.DecidedAt); err != nil {
					rows.Close()
					return out, err
				}
				if usage != "" {
					birth = usage
				}
				p.Aid, _ = cat.Aid(code)
				p.PersonName = first + " " + birth
				out.Waiting = append(out.Waiting, p)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return out, err
			}
			out.Batches, err = s.batches(ctx, q, actor.OrgID, uuid.Nil)
			return out, err
		})
}

func (s *Service) batches(ctx context.Context, q database.Querier, org, only uuid.UUID) ([]BatchSummary, error) {
	where, args := `b.org_id = $1`, []any{org}
	if only != uuid.Nil {
		where, args = where+` AND b.id = $2`, append(args, only)
	}
	rows, err := q.QueryContext(ctx, `SELECT b.id, b.funder, b.msg_id, b.execution_on, b.created_at, COALESCE(uc.first_name || ' ' || uc.last_name, ''),
			b.transfers, b.total_cents, b.paid_at, COALESCE(up.first_name || ' ' || up.last_name, '')
		FROM support_aid_batches b LEFT JOIN users uc ON uc.id = b.created_by LEFT JOIN users up ON up.id = b.paid_by
		WHERE `+where+` ORDER BY b.created_at DESC, b.id DESC LIMIT 200`, args...)
	if err != nil {
		return nil, fmt.Errorf("lots de paiement : %w", err)
	}
	defer rows.Close()
	var out []BatchSummary
	for rows.Next() {
		var b BatchSummary
		var paid sql.NullTime
		if err := rows.Scan(&b.ID, &b.Funder, &b.MsgID, &b.Execution, &b.CreatedAt, &b.CreatedBy, &b.Transfers, &b.TotalCents, &paid, &b.PaidBy); err != nil {
			return nil, err
		}
		b.PaidAt = paid.Time
		out = append(out, b)
	}
	return out, rows.Err()
}

// ErrNothingToPay says that no granted aid waits for a batch of this funder.
var ErrNothingToPay = fmt.Errorf("aucune aide accordée n'attend de paiement pour ce financeur : %w", fault.Conflict)

// ExportBatch claims every granted aid of the actor's organisation and of the funder not yet in
// a batch (records under restriction left out) into a new batch, and writes its SEPA file. Each
// aid is claimed once: concurrent exports share the aids out, never repeat one. Each aid's
// payment order is recorded in the person's trail. ErrNothingToPay when nothing waits.
func (s *Service) ExportBatch(ctx context.Context, actor access.Actor, funder string) (BatchSummary, []byte, error) {
	cat, err := Aids()
	if err != nil {
		return BatchSummary{}, nil, err
	}
	payer, ok := cat.Payers[funder]
	if !ok {
		return BatchSummary{}, nil, fault.Field("funder", "Choisissez le financeur.")
	}
	id := uuid.Must(uuid.NewV7())
	var sum BatchSummary
	var file []byte
	err = s.db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := payResource(ctx, tx, actor)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.PayAids, res); err != nil {
			return err
		}
		now := s.clock.Now()
		exec := database.ParisDate(now).AddDays(1)
		msg := "PARCOURS-" + now.UTC().Format("20060102") + "-" + strings.ToUpper(strings.ReplaceAll(id.String(), "-", "")[20:])
		if _, err := tx.ExecContext(ctx, `INSERT INTO support_aid_batches (id, org_id, funder, msg_id, execution_on, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, actor.OrgID, funder, msg, exec, now, actor.UserID); err != nil {
			return fmt.Errorf("lot de paiement : %w", err)
		}
		claimed, err := tx.ExecContext(ctx, `UPDATE support_aids SET state = 'ordered', batch_id = $1, ordered_at = $2
			WHERE org_id = $3 AND funder = $4 AND state = 'granted' AND batch_id IS NULL
			AND record_id IN (SELECT id FROM support_records WHERE restricted_at IS NULL)`, id, now, actor.OrgID, funder)
		if err != nil {
			return fmt.Errorf("mise en paiement : %w", err)
		}
		if n, _ := claimed.RowsAffected(); n == 0 {
			return ErrNothingToPay
		}
		b, people, aids, err := s.batchFile(ctx, tx, id, payer)
		if err != nil {
			return err
		}
		if file, err = sepa.Write(b); err != nil {
			return fmt.Errorf("fichier de virements : %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE support_aid_batches SET transfers = $2, total_cents = $3 WHERE id = $1`,
			id, len(b.Transfers), b.Total()); err != nil {
			return err
		}
		for i, person := range people {
			if err := s.record(ctx, tx, actor, "support.aid_ordered", person, access.PurposeSupportAids,
				map[string]string{"batch": id.String(), "aid": aids[i].String()}); err != nil {
				return err
			}
		}
		list, err := s.batches(ctx, tx, actor.OrgID, id)
		if err != nil || len(list) != 1 {
			return errors.Join(err, fault.NotFound)
		}
		sum = list[0]
		return audit.Record(ctx, tx, audit.Event{OccurredAt: now, ActorUser: actor.UserID.String(), ActorOrg: actor.OrgID.String(),
			Action: "support.aid_batch_exported", ObjectType: "support_aid_batch", ObjectRef: id.String(), Purpose: string(access.PurposeSupportAids),
			Outcome: audit.OutcomeOK, Details: map[string]string{"funder": funder, "transfers": fmt.Sprint(len(b.Transfers))}})
	})
	if err != nil {
		return BatchSummary{}, nil, err
	}
	return sum, file, nil
}

// batchFile builds the SEPA batch of the aids of a batch, opening each beneficiary's bank
// details under their record's key; people are the persons of the transfers, in order.
func (s *Service) batchFile(ctx context.Context, q database.Querier, batch uuid.UUID, payer Payer) (b sepa.Batch, people, aids []uuid.UUID, err error) {
	cat, err := Aids()
	if err != nil {
		return sepa.Batch{}, nil, nil, err
	}
	var org string
	var exec database.Date
	if err := q.QueryRowContext(ctx, `SELECT b.msg_id, b.created_at, b.execution_on, o.name FROM support_aid_batches b
		JOIN organisations o ON o.id = b.org_id WHERE b.id = $1`, batch).Scan(&b.MsgID, &b.CreatedAt, &exec, &org); err != nil {
		return b, nil, nil, err
	}
	b.Initiator, b.Execution = org, exec.Time()
	b.Debtor = sepa.Party{Name: payer.Name, IBAN: payer.IBAN, BIC: payer.BIC}
	rows, err := q.QueryContext(ctx, `SELECT a.id, a.record_id, r.job_seeker_id, a.aid_code, a.granted_cents, a.bank FROM support_aids a
		JOIN support_records r ON r.id = a.record_id WHERE a.batch_id = $1 ORDER BY a.decided_at, a.id`, batch)
	if err != nil {
		return b, nil, nil, err
	}
	type row struct {
		id, record, person uuid.UUID
		code               string
		cents              int64
		bank               []byte
	}
	var read []row
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.id, &x.record, &x.person, &x.code, &x.cents, &x.bank); err != nil {
			rows.Close()
			return b, nil, nil, err
		}
		read = append(read, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, nil, nil, err
	}
	for _, x := range read {
		plain, err := s.openText(ctx, q, x.record, aidBinding(x.id, "bank"), x.bank)
		if err != nil {
			return b, nil, nil, err
		}
		var bank Bank
		if err := json.Unmarshal(plain, &bank); err != nil {
			return b, nil, nil, err
		}
		aid, _ := cat.Aid(x.code)
		ref := AidReference(x.id)
		b.Transfers = append(b.Transfers, sepa.Transfer{EndToEndID: ref, Cents: x.cents,
			Creditor:   sepa.Party{Name: bank.Holder, IBAN: bank.IBAN, BIC: bank.BIC},
			Remittance: ref + " " + aid.Label})
		people, aids = append(people, x.person), append(aids, x.id)
	}
	return b, people, aids, nil
}

// BatchFile writes again the SEPA file of a batch of the actor's organisation (the same file
// as at the export, as long as its aids are kept), recorded as a read of each beneficiary's
// bank details (purpose support.aids).
func (s *Service) BatchFile(ctx context.Context, actor access.Actor, batch uuid.UUID) (BatchSummary, []byte, error) {
	cat, err := Aids()
	if err != nil {
		return BatchSummary{}, nil, err
	}
	type out struct {
		sum  BatchSummary
		file []byte
	}
	o, err := access.Read(ctx, s.guard, actor, access.Request{Action: access.PayAids, Purpose: access.PurposeSupportAids, What: "support.aid_batch"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			return payResource(ctx, q, actor)
		},
		func(ctx context.Context, q database.Querier) (out, error) {
			list, err := s.batches(ctx, q, actor.OrgID, batch)
			if err != nil {
				return out{}, err
			}
			if len(list) != 1 {
				return out{}, fmt.Errorf("lot de paiement : %w", fault.NotFound)
			}
			b, _, _, err := s.batchFile(ctx, q, batch, cat.Payers[list[0].Funder])
			if err != nil {
				return out{}, err
			}
			file, err := sepa.Write(b)
			if err != nil {
				return out{}, fmt.Errorf("fichier de virements (aides effacées depuis l'export ?) : %w", err)
			}
			return out{list[0], file}, nil
		})
	return o.sum, o.file, err
}

// MarkPaid records that the bank executed a batch: its aids become paid, each in the person's
// trail. A batch is marked paid once.
func (s *Service) MarkPaid(ctx context.Context, actor access.Actor, batch uuid.UUID) error {
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := payResource(ctx, tx, actor)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.PayAids, res); err != nil {
			return err
		}
		now := s.clock.Now()
		r, err := tx.ExecContext(ctx, `UPDATE support_aid_batches SET paid_at = $3, paid_by = $4 WHERE id = $1 AND org_id = $2 AND paid_at IS NULL`,
			batch, actor.OrgID, now, actor.UserID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n != 1 {
			var exists bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM support_aid_batches WHERE id = $1 AND org_id = $2)`, batch, actor.OrgID).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return fmt.Errorf("lot de paiement : %w", fault.NotFound)
			}
			return fmt.Errorf("ce lot est déjà marqué payé : %w", fault.Conflict)
		}
		rows, err := tx.QueryContext(ctx, `SELECT a.id, r.job_seeker_id FROM support_aids a JOIN support_records r ON r.id = a.record_id
			WHERE a.batch_id = $1 AND a.state = 'ordered' ORDER BY a.id`, batch)
		if err != nil {
			return err
		}
		type paid struct{ aid, person uuid.UUID }
		var list []paid
		for rows.Next() {
			var p paid
			if err := rows.Scan(&p.aid, &p.person); err != nil {
				rows.Close()
				return err
			}
			list = append(list, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE support_aids SET state = 'paid', paid_at = $2 WHERE batch_id = $1 AND state = 'ordered'`, batch, now); err != nil {
			return err
		}
		for _, p := range list {
			if err := s.record(ctx, tx, actor, "support.aid_paid", p.person, access.PurposeSupportAids,
				map[string]string{"batch": batch.String(), "aid": p.aid.String()}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{OccurredAt: now, ActorUser: actor.UserID.String(), ActorOrg: actor.OrgID.String(),
			Action: "support.aid_batch_paid", ObjectType: "support_aid_batch", ObjectRef: batch.String(), Purpose: string(access.PurposeSupportAids),
			Outcome: audit.OutcomeOK, Details: map[string]string{"transfers": fmt.Sprint(len(list))}})
	})
}

// FunderLine is a line of the funders' ledger: one aid of the catalogue.
type FunderLine struct {
	Aid Aid
	// Counts and amounts in cents of the aids requested (not cancelled), granted (whatever
	// their payment) and paid.
	Requested, Granted, Paid                int
	RequestedCents, GrantedCents, PaidCents int64
}

// FunderLedger is the totals by funder and aid type of the actor's organisation.
type FunderLedger struct {
	Funder Option
	Lines  []FunderLine
	Total  FunderLine
}

// FunderLedgers sums the aids requested by the actor's organisation, by funder and aid type,
// for its habilitated advisors (no person is named). The read is recorded.
func (s *Service) FunderLedgers(ctx context.Context, actor access.Actor) ([]FunderLedger, error) {
	cat, err := Aids()
	if err != nil {
		return nil, err
	}
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.PayAids, Purpose: access.PurposeSupportAids, What: "support.aid_ledger"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			return payResource(ctx, q, actor)
		},
		func(ctx context.Context, q database.Querier) ([]FunderLedger, error) {
			rows, err := q.QueryContext(ctx, `SELECT funder, aid_code,
					COUNT(*), COALESCE(SUM(requested_cents), 0),
					COUNT(granted_cents), COALESCE(SUM(granted_cents), 0),
					COALESCE(SUM(CASE WHEN state = 'paid' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN state = 'paid' THEN granted_cents ELSE 0 END), 0)
				FROM support_aids WHERE org_id = $1 AND state <> 'cancelled' GROUP BY funder, aid_code ORDER BY funder, aid_code`, actor.OrgID)
			if err != nil {
				return nil, fmt.Errorf("bilan des aides : %w", err)
			}
			defer rows.Close()
			byFunder := map[string]*FunderLedger{}
			for rows.Next() {
				var funder, code string
				var l FunderLine
				if err := rows.Scan(&funder, &code, &l.Requested, &l.RequestedCents, &l.Granted, &l.GrantedCents, &l.Paid, &l.PaidCents); err != nil {
					return nil, err
				}
				l.Aid, _ = cat.Aid(code)
				if l.Aid.Code == "" {
					l.Aid = Aid{Code: code, Label: code, Funder: funder}
				}
				fl := byFunder[funder]
				if fl == nil {
					fl = &FunderLedger{Funder: Option{funder, FunderLabel(funder)}}
					byFunder[funder] = fl
				}
				fl.Lines = append(fl.Lines, l)
				t := &fl.Total
				t.Requested, t.RequestedCents = t.Requested+l.Requested, t.RequestedCents+l.RequestedCents
				t.Granted, t.GrantedCents = t.Granted+l.Granted, t.GrantedCents+l.GrantedCents
				t.Paid, t.PaidCents = t.Paid+l.Paid, t.PaidCents+l.PaidCents
			}
			var out []FunderLedger
			for _, f := range Funders {
				if fl := byFunder[f.Code]; fl != nil {
					out = append(out, *fl)
				}
			}
			return out, rows.Err()
		})
}

// FunderFile is an aid file as its funder sees it: the aid, the amounts, the decision and the
// payment, the beneficiary's name and the requesting organisation. No health data, no
// justification, no bank details, nothing of the record.
type FunderFile struct {
	Reference  string
	Aid        Aid
	OrgName    string
	PersonName string
	State      string
	// Amounts in cents.
	RequestedCents, GrantedCents int64
	RequestedAt, DecidedAt       time.Time
	PaidAt                       time.Time
}

// StateLabel is the state in French.
func (f FunderFile) StateLabel() string { return label(AidStates, f.State) }

// FunderFiles lists, for an AGEFIPH or FIPHFP agent, the aid files addressed to their funder
// (D5312-52 II), newest first. The read is recorded.
func (s *Service) FunderFiles(ctx context.Context, actor access.Actor) ([]FunderFile, error) {
	cat, err := Aids()
	if err != nil {
		return nil, err
	}
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewFunderAids, Purpose: access.PurposeSupportAids, What: "support.aid_funder_files"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			res, err := adminResource(ctx, q, actor)
			return res, err
		},
		func(ctx context.Context, q database.Querier) ([]FunderFile, error) {
			rows, err := q.QueryContext(ctx, `SELECT a.id, a.aid_code, o.name, j.first_names, j.birth_name, j.usage_name, a.state, a.requested_cents,
					COALESCE(a.granted_cents, 0), a.requested_at, a.decided_at, a.paid_at
				FROM support_aids a JOIN support_records r ON r.id = a.record_id JOIN job_seekers j ON j.id = r.job_seeker_id
				JOIN organisations o ON o.id = a.org_id
				WHERE a.funder = $1 AND a.state <> 'cancelled' ORDER BY a.requested_at DESC, a.id DESC LIMIT 500`, actor.OrgKind)
			if err != nil {
				return nil, fmt.Errorf("dossiers d'aide : %w", err)
			}
			defer rows.Close()
			var out []FunderFile
			for rows.Next() {
				var f FunderFile
				var id uuid.UUID
				var code, first, birth, usage string
				var decided, paid sql.NullTime
				if err := rows.Scan(&id, &code, &f.OrgName, &first, &birth, &usage, &f.State, &f.RequestedCents, &f.GrantedCents,
					&f.RequestedAt, &decided, &paid); err != nil {
					return nil, err
				}
				if usage != "" {
					birth = usage
				}
				f.Reference, f.PersonName, f.DecidedAt, f.PaidAt = AidReference(id), first+" "+birth, decided.Time, paid.Time
				f.Aid, _ = cat.Aid(code)
				out = append(out, f)
			}
			return out, rows.Err()
		})
}
