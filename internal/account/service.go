package account

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/notify"
)

// CurrentTerms is the version of the terms of use professionals must accept. Changing it makes
// every professional accept the new text at their next request.
const CurrentTerms = "2026-11-01"

// Service runs the account flows. Every change happens in one transaction together with its
// audit entry and the e-mail it sends (through the outbox), so nothing is half-done.
type Service struct {
	db       *database.DB
	clock    clock.Clock
	hasher   *Hasher
	envelope *crypto.Envelope
	baseURL  string
	throttle ThrottlePolicy
	log      *slog.Logger
	guard    *access.Guard
	// mfaRequired tells whether a user must have a second factor. Staff always must; later
	// modules add the holders of health-data habilitations.
	mfaRequired func(ctx context.Context, q database.Querier, u User) (bool, error)
}

// Options configure the Service.
type Options struct {
	DB       *database.DB
	Clock    clock.Clock
	Hasher   *Hasher
	Envelope *crypto.Envelope
	// BaseURL is the public address used in e-mailed links, without trailing slash.
	BaseURL  string
	Throttle ThrottlePolicy
	Logger   *slog.Logger
	// MFARequired extends the staff rule; nil means staff only.
	MFARequired func(ctx context.Context, q database.Querier, u User) (bool, error)
	// Guard performs the audited reads of accounts; nil builds one on DB that records in the
	// audit trail with the Envelope's pseudonyms.
	Guard *access.Guard
}

// NewService returns the account service.
func NewService(o Options) *Service {
	if o.Throttle == (ThrottlePolicy{}) {
		o.Throttle = DefaultThrottle
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Guard == nil {
		o.Guard = access.NewGuard(o.DB, audit.NewJournal(o.Envelope.Pseudonym), o.Clock)
	}
	return &Service{db: o.DB, clock: o.Clock, hasher: o.Hasher, envelope: o.Envelope, baseURL: o.BaseURL,
		throttle: o.Throttle, log: o.Logger, mfaRequired: o.MFARequired, guard: o.Guard}
}

// Clock returns the service's clock.
func (s *Service) Clock() clock.Clock { return s.clock }

func (s *Service) pseudonym(kind, id string) string { return s.envelope.Pseudonym(kind, id) }

// mfaRequiredFor tells whether u must use a second factor.
func (s *Service) mfaRequiredFor(ctx context.Context, q database.Querier, u User) (bool, error) {
	if u.Kind == access.Staff {
		return true, nil
	}
	if s.mfaRequired == nil {
		return false, nil
	}
	return s.mfaRequired(ctx, q, u)
}

func (s *Service) link(path string) string { return s.baseURL + path }

// Outbox returns the outbox the service writes its e-mails to, sealed with its envelope. Other
// services whose changes send mail in the same transactions (organisations) use it too.
func (s *Service) Outbox() notify.Outbox { return notify.Outbox{Envelope: s.envelope} }

// mail queues an e-mail in the caller's transaction.
func (s *Service) mail(ctx context.Context, q database.Querier, to, kind string, data map[string]any) error {
	return s.Outbox().Enqueue(ctx, q, s.clock.Now(), notify.Message{To: to, Kind: notify.Kind(kind), Data: data})
}

// record writes an audit entry in the caller's transaction. Entries name users by their
// identifier only.
func (s *Service) record(ctx context.Context, q database.Querier, action string, actor, subject uuid.UUID, outcome string, details map[string]string) error {
	e := audit.Event{
		OccurredAt: s.clock.Now(), Action: action, ObjectType: "user", Outcome: audit.Outcome(outcome), Details: details,
	}
	if actor != uuid.Nil {
		e.ActorUser = actor.String()
	}
	if subject != uuid.Nil {
		e.ObjectRef = subject.String()
	}
	return audit.Record(ctx, q, e)
}

// own returns the actor's account id, if the actor may act on their own account (anyone
// logged in may; nobody else may act on it).
func own(actor access.Actor) (uuid.UUID, error) {
	if err := access.Can(actor, access.ManageOwnAccount, access.Resource{OwnerID: actor.UserID, Subject: actor.UserID, Relations: access.RelSelf}); err != nil {
		return uuid.Nil, err
	}
	return actor.UserID, nil
}

func (s *Service) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.db.WithTx(ctx, fn)
}

// frenchDuration renders validity periods in mails.
func frenchDuration(d time.Duration) string {
	switch {
	case d == time.Hour:
		return "1 heure"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d jours", d/(24*time.Hour))
	default:
		return fmt.Sprintf("%d heures", d/time.Hour)
	}
}
