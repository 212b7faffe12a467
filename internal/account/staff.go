package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/notify"
)

// CreateVerified creates an account whose address is taken as confirmed: the first staff
// administrator (parcours user create) and demo accounts. The web sign-up never uses it.
func (s *Service) CreateVerified(ctx context.Context, in SignUp) (User, error) {
	return s.CreateVerifiedWith(ctx, in, nil)
}

// CreateVerifiedWith is CreateVerified running then, when not nil, in the same transaction:
// accepting an invitation creates the account and the membership together or not at all.
func (s *Service) CreateVerifiedWith(ctx context.Context, in SignUp, then func(tx *sql.Tx, u User) error) (User, error) {
	f := fault.Fields{}
	if in.Kind != access.JobSeeker && in.Kind != access.Professional && in.Kind != access.Staff {
		f.Add("kind", "Type de compte inconnu (job_seeker, professional ou staff)")
	}
	if err := CheckName(in.FirstName, "prénom"); err != nil {
		f.Add("first_name", err.Error())
	}
	if err := CheckName(in.LastName, "nom"); err != nil {
		f.Add("last_name", err.Error())
	}
	if err := CheckEmail(in.Email); err != nil {
		f.Add("email", err.Error())
	}
	if err := CheckPassword(in.Password, in.Email); err != nil {
		f.Add("password", err.Error())
	}
	if err := f.Err(); err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return User{}, err
	}
	now := s.clock.Now()
	u := User{ID: uuid.Must(uuid.NewV7()), Kind: in.Kind, Email: NormaliseEmail(in.Email), FirstName: in.FirstName,
		LastName: in.LastName, EmailVerifiedAt: now, CreatedAt: now, LastActivityAt: now, PasswordChangedAt: now, passwordHash: hash}
	if in.Kind == access.Professional {
		u.TermsVersion, u.TermsAcceptedAt = CurrentTerms, now
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := insertUser(ctx, tx, u); err != nil {
			if errors.Is(err, fault.Conflict) {
				return fault.Field("email", "Un compte existe déjà avec cette adresse : connectez-vous")
			}
			return err
		}
		if then != nil {
			if err := then(tx, u); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, "account.created", uuid.Nil, u.ID, "ok", map[string]string{"kind": string(u.Kind)})
	})
	return u, err
}

// SetDisabled disables or re-enables an account (staff action). Disabling ends its sessions
// at once.
func (s *Service) SetDisabled(ctx context.Context, actor access.Actor, userID uuid.UUID, disabled bool) error {
	if err := access.Can(actor, access.StaffManageUsers, access.Resource{OwnerID: userID}); err != nil {
		return err
	}
	if actor.UserID == userID {
		return fmt.Errorf("vous ne pouvez pas désactiver votre propre compte : %w", fault.Conflict)
	}
	now := s.clock.Now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		u, err := userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !u.AnonymisedAt.IsZero() {
			return fmt.Errorf("compte anonymisé : %w", fault.Conflict)
		}
		var value any
		action := "account.enabled"
		if disabled {
			value, action = now, "account.disabled"
			if _, err := revokeSessions(ctx, tx, u.ID, uuid.Nil, now); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = $2, updated_at = $3 WHERE id = $1`, u.ID, value, now); err != nil {
			return err
		}
		return s.record(ctx, tx, action, actor.UserID, u.ID, "ok", nil)
	})
}

// StaffUser is what the staff screens show of an account.
type StaffUser struct {
	User     User
	Sessions []Session
}

// StaffView returns a user's account and live sessions for the staff screens. Staff see
// identities across every organisation, so the read is recorded like any access to personal
// data (access.Read).
func (s *Service) StaffView(ctx context.Context, actor access.Actor, userID uuid.UUID) (StaffUser, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.StaffManageUsers, Purpose: access.PurposeAccounts, What: "account"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			if _, err := userByID(ctx, q, userID); err != nil {
				return access.Resource{}, err
			}
			return access.Resource{OwnerID: userID, Subject: userID}, nil
		},
		func(ctx context.Context, q database.Querier) (StaffUser, error) {
			u, err := userByID(ctx, q, userID)
			if err != nil {
				return StaffUser{}, err
			}
			sessions, err := listSessions(ctx, q, userID, s.clock.Now())
			return StaffUser{User: u, Sessions: sessions}, err
		})
}

// StaffSearch lists accounts for the staff screens, ordered by e-mail (see Filter). The list
// read is recorded with its size.
func (s *Service) StaffSearch(ctx context.Context, actor access.Actor, f Filter) ([]User, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.StaffManageUsers, Purpose: access.PurposeAccounts, What: "accounts.search"},
		func(context.Context, database.Querier) (access.Resource, error) { return access.Resource{}, nil },
		func(ctx context.Context, q database.Querier) ([]User, error) { return search(ctx, q, f) })
}

// Professional returns the professional account of an address, for staff adding a member to
// an organisation directly; q is the caller's transaction. The read is decided and recorded
// by the caller's own access.Read or access.Can on the organisation: this only refuses
// non-staff actors and non-professional accounts.
func (s *Service) Professional(ctx context.Context, q database.Querier, actor access.Actor, email string) (User, error) {
	if err := access.Can(actor, access.StaffManageUsers, access.Resource{}); err != nil {
		return User{}, err
	}
	u, err := userByEmail(ctx, q, email)
	if err != nil {
		return User{}, err
	}
	if u.Kind != access.Professional {
		return User{}, fmt.Errorf("seul un compte professionnel peut être membre d'une organisation : %w", fault.Conflict)
	}
	return u, nil
}

// OperatorLookup finds an account by address for the operator's own tools (the command line
// and the demo loader), which run on the host and hold the database anyway. No request
// reaches it: web and api hold no database and call only the checked methods.
func (s *Service) OperatorLookup(ctx context.Context, email string) (User, error) {
	return userByEmail(ctx, s.db.Reader(), email)
}

// ActivationValidity is how long the link inviting a person to take over the account a
// professional created for them stays valid.
const ActivationValidity = 7 * 24 * time.Hour

// Proxy is the account a professional opens for a job seeker they support.
type Proxy struct {
	Email, FirstName, LastName string
	// OrganisationName tells the person which organisation opened it, in the activation mail
	// (with the name of the professional acting).
	OrganisationName string
}

// CreateForJobSeeker opens a job seeker account without password for the address of a person
// a professional supports, in q (the caller's transaction, which creates the person's file),
// and e-mails the person a link to choose their password: until then nobody can log in with
// it. An address that already has an account is a field error: the person is asked to log in
// instead, and the professional learns nothing more.
func (s *Service) CreateForJobSeeker(ctx context.Context, q database.Querier, actor access.Actor, p Proxy) (User, error) {
	if err := access.Can(actor, access.CreateJobSeeker, access.Resource{}); err != nil {
		return User{}, err
	}
	f := fault.Fields{}
	if err := CheckEmail(p.Email); err != nil {
		f.Add("email", err.Error())
	}
	if err := CheckName(p.FirstName, "prénom"); err != nil {
		f.Add("first_names", err.Error())
	}
	if err := CheckName(p.LastName, "nom"); err != nil {
		f.Add("birth_name", err.Error())
	}
	if err := f.Err(); err != nil {
		return User{}, err
	}
	now := s.clock.Now()
	u := User{ID: uuid.Must(uuid.NewV7()), Kind: access.JobSeeker, Email: NormaliseEmail(p.Email), FirstName: p.FirstName,
		LastName: p.LastName, CreatedAt: now, LastActivityAt: now}
	if err := insertUser(ctx, q, u); err != nil {
		if errors.Is(err, fault.Conflict) {
			return User{}, fault.Field("email", "Cette adresse a déjà un compte sur Parcours : la personne peut s'y connecter et compléter elle-même son dossier.")
		}
		return User{}, err
	}
	creator, err := userByID(ctx, q, actor.UserID)
	if err != nil {
		return User{}, err
	}
	token, err := issueToken(ctx, q, u.ID, purposeResetPassword, now, ActivationValidity)
	if err != nil {
		return User{}, err
	}
	if err := s.mail(ctx, q, u.Email, string(notify.KindAccountActivation), map[string]any{
		"FirstName": u.FirstName, "CreatorName": creator.FullName(), "OrganisationName": p.OrganisationName,
		"Link": s.link("/mot-de-passe/nouveau/" + token), "ExpiresIn": frenchDuration(ActivationValidity),
	}); err != nil {
		return User{}, err
	}
	return u, s.record(ctx, q, "account.created_by_proxy", actor.UserID, u.ID, "ok", map[string]string{"kind": string(u.Kind)})
}

// StaffNames returns the full names of the accounts ids, for staff reading the audit trail:
// entries name people by account id only, and the page resolves them when it shows them.
// Accounts deleted since are absent from the map. The read is staff-only and recorded with
// its size (access.Read), like any list of people.
func (s *Service) StaffNames(ctx context.Context, actor access.Actor, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewAuditTrail, Purpose: access.PurposeSecurity, What: "account.names"},
		func(context.Context, database.Querier) (access.Resource, error) { return access.Resource{}, nil },
		func(ctx context.Context, q database.Querier) (map[uuid.UUID]string, error) {
			return namesByID(ctx, q, ids)
		})
}

// namesByID reads the full names of the accounts ids (at most maxNames).
func namesByID(ctx context.Context, q database.Querier, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	out := map[uuid.UUID]string{}
	ids = distinctIDs(ids)
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) > maxNames {
		return nil, fault.Field("ids", fmt.Sprintf("Au plus %d comptes à la fois", maxNames))
	}
	args := make([]any, len(ids))
	marks := make([]string, len(ids))
	for i, id := range ids {
		args[i], marks[i] = id, "$"+strconv.Itoa(i+1)
	}
	rows, err := q.QueryContext(ctx, `SELECT id, first_name, last_name FROM users WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("noms des comptes : %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var first, last string
		if err := rows.Scan(&id, &first, &last); err != nil {
			return nil, fmt.Errorf("noms des comptes : %w", err)
		}
		out[id] = strings.TrimSpace(first + " " + last)
	}
	return out, rows.Err()
}

// maxNames bounds a names lookup: one page of the journal names at most two accounts per
// entry.
const maxNames = 500

func distinctIDs(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if id != uuid.Nil && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
