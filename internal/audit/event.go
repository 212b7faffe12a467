package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/fault"
)

// Outcome says how the audited operation ended.
type Outcome string

// The outcomes.
const (
	OutcomeOK     Outcome = "ok"
	OutcomeDenied Outcome = "denied"
	OutcomeFailed Outcome = "failed"
)

// Event is one audit entry. It names people only through pseudonymous identifiers.
type Event struct {
	// ID is a UUIDv7; Record sets it when zero.
	ID uuid.UUID
	// OccurredAt is when the operation happened (from the caller's clock.Clock). Required.
	OccurredAt time.Time
	// ActorUser is the acting account's UUID; empty for the platform itself (jobs, purges).
	ActorUser string
	// ActorOrg is the UUID of the organisation the actor acted for, if any.
	ActorOrg string
	// Action names the operation, lower case with dots: "health.read", "session.login_failed".
	Action string
	// ObjectType and ObjectRef name what was acted on: a type ("person", "application") and a
	// UUID or a keyed pseudonym (crypto.Keyring.Pseudonym), never a name or a NIR.
	ObjectType string
	ObjectRef  string
	// Purpose is the reason or legal basis claimed for the access, as a short code.
	Purpose string
	// Outcome is ok, denied or failed. Required.
	Outcome Outcome
	// RequestID links the entry to the request's logs.
	RequestID string
	// IPHash is a keyed pseudonym of the client address; raw addresses are never stored.
	IPHash string
	// Details holds a few non-personal facts (fields read, counts, reason codes). Keys are
	// lower_snake_case; a key is refused when one of its words names personal data (see
	// personalWords), and a value is refused when it holds an "@" or a run of ten digits or more
	// (e-mail addresses, NIR, phone numbers, IBAN), unless it is a UUID or a pseudonym. These
	// checks catch mistakes, not intent: callers remain responsible for what they log.
	Details map[string]string
	// Seq is the entry's position in the tree once sequenced (see Sequenced).
	Seq int64
	// Sequenced tells whether Integrate has numbered the entry yet.
	Sequenced bool
}

// Limits keep entries small: they are identifiers and codes, not documents.
const (
	maxShort      = 100
	maxDetailKeys = 16
	maxDetailKey  = 40
	maxDetailVal  = 200
)

var (
	actionPattern    = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)
	detailKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	pseudonymPattern = regexp.MustCompile(`^[0-9a-f]{32}$|^[0-9a-f]{64}$`)
)

// personalWords are words that, as a part of a details key, say the value is personal data or a
// secret. French and English, since both appear in code.
var personalWords = map[string]bool{
	"name": true, "nom": true, "prenom": true, "firstname": true, "lastname": true, "surname": true,
	"email": true, "mail": true, "courriel": true, "phone": true, "telephone": true, "tel": true, "mobile": true,
	"address": true, "adresse": true, "street": true, "rue": true,
	"nir": true, "ssn": true, "nss": true, "secu": true, "birth": true, "birthdate": true, "naissance": true, "dob": true,
	"password": true, "passwd": true, "motdepasse": true, "secret": true, "token": true, "jeton": true, "otp": true,
	"iban": true, "bic": true, "ip": true,
	"value": true, "valeur": true, "content": true, "contenu": true, "text": true, "texte": true,
	"comment": true, "commentaire": true, "note": true, "body": true,
}

// Record appends e inside the caller's transaction. It is a plain INSERT, so concurrent
// requests never wait on each other; the Sequencer numbers entries later.
func Record(ctx context.Context, q database.Querier, e Event) error {
	if err := e.normalize(); err != nil {
		return err
	}
	details, err := encodeDetails(e.Details)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_events
		(id, occurred_at, actor_user, actor_org, action, object_type, object_ref, purpose, outcome, request_id, ip_hash, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.ID, e.OccurredAt, nullable(e.ActorUser), nullable(e.ActorOrg), e.Action, e.ObjectType, e.ObjectRef,
		e.Purpose, string(e.Outcome), e.RequestID, e.IPHash, details)
	if err != nil {
		return fmt.Errorf("écriture du journal d'audit : %w", err)
	}
	return nil
}

// normalize validates e and puts it in the form stored (and hashed): UTC microseconds,
// canonical UUIDs, a fresh ID.
func (e *Event) normalize() error {
	errs := fault.Fields{}
	if e.ID == uuid.Nil {
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("identifiant d'entrée d'audit : %w", err)
		}
		e.ID = id
	}
	if e.OccurredAt.IsZero() {
		errs.Add("occurred_at", "la date de l'opération est obligatoire")
	}
	e.OccurredAt = e.OccurredAt.UTC().Truncate(time.Microsecond)
	for field, v := range map[string]*string{"actor_user": &e.ActorUser, "actor_org": &e.ActorOrg} {
		if *v == "" {
			continue
		}
		id, err := uuid.Parse(*v)
		if err != nil {
			errs.Add(field, "doit être un identifiant (UUID), jamais un nom ou une adresse")
			continue
		}
		*v = id.String()
	}
	if !actionPattern.MatchString(e.Action) || len(e.Action) > maxShort {
		errs.Add("action", "action obligatoire, en minuscules avec des points (ex. « health.read »)")
	}
	switch e.Outcome {
	case OutcomeOK, OutcomeDenied, OutcomeFailed:
	default:
		errs.Add("outcome", "issue obligatoire : ok, denied ou failed")
	}
	for field, v := range map[string]string{
		"object_type": e.ObjectType, "object_ref": e.ObjectRef, "purpose": e.Purpose, "request_id": e.RequestID, "ip_hash": e.IPHash,
	} {
		if len(v) > maxShort || strings.ContainsRune(v, '@') || strings.ContainsFunc(v, unicode.IsSpace) {
			errs.Add(field, "identifiant ou code court attendu, sans espace ni « @ »")
		}
	}
	if len(e.Details) > maxDetailKeys {
		errs.Add("details", fmt.Sprintf("%d détails au plus", maxDetailKeys))
	}
	for k, v := range e.Details {
		if msg := checkDetail(k, v); msg != "" {
			errs.Add("details", msg)
		}
	}
	if err := errs.Err(); err != nil {
		return fmt.Errorf("entrée d'audit refusée : %w", err)
	}
	return nil
}

func checkDetail(k, v string) string {
	if !detailKeyPattern.MatchString(k) || len(k) > maxDetailKey {
		return fmt.Sprintf("clé %q : minuscules et soulignés seulement", k)
	}
	for _, w := range strings.Split(k, "_") {
		if personalWords[w] {
			return fmt.Sprintf("clé %q : le journal ne reçoit pas de donnée personnelle (%s)", k, w)
		}
	}
	if len(v) > maxDetailVal {
		return fmt.Sprintf("valeur de %q trop longue", k)
	}
	if _, err := uuid.Parse(v); err == nil || pseudonymPattern.MatchString(v) {
		return ""
	}
	if strings.ContainsRune(v, '@') || longestDigitRun(v) >= 10 {
		return fmt.Sprintf("valeur de %q : ressemble à une adresse, un NIR, un téléphone ou un IBAN", k)
	}
	return ""
}

// longestDigitRun counts digits in a row, ignoring the separators people type inside numbers.
func longestDigitRun(s string) int {
	best, run := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			run++
			best = max(best, run)
		case r == ' ' || r == '.' || r == '-' || r == '\u00a0':
		default:
			run = 0
		}
	}
	return best
}

// encodeDetails gives the stored JSON; encoding/json sorts map keys, so it is canonical.
func encodeDetails(d map[string]string) (string, error) {
	if len(d) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("détails d'audit : %w", err)
	}
	return string(b), nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
