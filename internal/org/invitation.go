package org

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// InvitationValidity is how long an invitation link works.
const InvitationValidity = 14 * 24 * time.Hour

// Invitation is a pending invitation to join an organisation.
type Invitation struct {
	ID        uuid.UUID
	OrgID     uuid.UUID
	Email     string
	InvitedBy uuid.UUID
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ErrInvitationInvalid means the invitation link is unknown, used, revoked or expired.
var ErrInvitationInvalid = fmt.Errorf("cette invitation n'est plus valable : demandez-en une nouvelle à l'administrateur de l'organisation : %w", fault.Invalid)

func inviteToken() (string, string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	t := base64.RawURLEncoding.EncodeToString(b)
	return t, inviteDigest(t)
}

func inviteDigest(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

// Invite sends an invitation e-mail valid 14 days. Inviting an address again replaces the
// previous invitation.
func (s *Service) Invite(ctx context.Context, actor access.Actor, orgID uuid.UUID, email string) error {
	if err := account.CheckEmail(email); err != nil {
		return fault.Field("email", err.Error())
	}
	email = account.NormaliseEmail(email)
	now := s.clock.Now()
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		o, err := authorize(ctx, tx, actor, access.InviteMember, orgID)
		if err != nil {
			return err
		}
		if m, err := memberByEmail(ctx, tx, o.ID, email); err != nil {
			return err
		} else if m {
			return fault.Field("email", "Cette personne est déjà membre de l'organisation")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invitations SET revoked_at = $3 WHERE org_id = $1 AND email = $2
			AND accepted_at IS NULL AND revoked_at IS NULL`, o.ID, email, now); err != nil {
			return err
		}
		token, digest := inviteToken()
		id := uuid.Must(uuid.NewV7())
		if _, err := tx.ExecContext(ctx, `INSERT INTO invitations (id, org_id, email, invited_by, token_hash, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, o.ID, email, actor.UserID, digest, now, now.Add(InvitationValidity)); err != nil {
			return fmt.Errorf("enregistrement de l'invitation : %w", err)
		}
		inviter, err := selfContact(ctx, tx, actor)
		if err != nil {
			return err
		}
		if err := s.mail(ctx, tx, email, "invitation", map[string]any{
			"InviterName": inviter.FullName(), "OrganisationName": o.Name, "Link": s.baseURL + "/invitation/" + token,
			"ExpiresOn": now.Add(InvitationValidity).In(clock.Paris).Format("02/01/2006"),
		}); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "org.invitation_sent", o.ID, map[string]string{"invitation": id.String()})
	})
}

// pendingInvitations lists an organisation's live invitations (for its admins).
func pendingInvitations(ctx context.Context, q database.Querier, orgID uuid.UUID, now time.Time) ([]Invitation, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, org_id, email, invited_by, created_at, expires_at FROM invitations
		WHERE org_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC`, orgID, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Invitation
	for rows.Next() {
		var i Invitation
		if err := rows.Scan(&i.ID, &i.OrgID, &i.Email, &i.InvitedBy, &i.CreatedAt, &i.ExpiresAt); err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// RevokeInvitation cancels a pending invitation.
func (s *Service) RevokeInvitation(ctx context.Context, actor access.Actor, orgID, invitationID uuid.UUID) error {
	now := s.clock.Now()
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		o, err := authorize(ctx, tx, actor, access.InviteMember, orgID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE invitations SET revoked_at = $3 WHERE id = $1 AND org_id = $2
			AND accepted_at IS NULL AND revoked_at IS NULL`, invitationID, o.ID, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var exists int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM invitations WHERE id = $1 AND org_id = $2`, invitationID, o.ID).Scan(&exists); err != nil {
				return err
			}
			if exists > 0 {
				return fmt.Errorf("cette invitation a déjà été acceptée ou annulée : %w", fault.Conflict)
			}
			return fmt.Errorf("invitation : %w", fault.NotFound)
		}
		return s.record(ctx, tx, actor, "org.invitation_revoked", o.ID, map[string]string{"invitation": invitationID.String()})
	})
}

// InvitationByToken returns a live invitation and its organisation, to show the acceptance page.
func (s *Service) InvitationByToken(ctx context.Context, token string) (Invitation, Organisation, error) {
	inv, err := liveInvitation(ctx, s.db.Reader(), token, s.clock.Now())
	if err != nil {
		return Invitation{}, Organisation{}, err
	}
	o, err := get(ctx, s.db.Reader(), inv.OrgID)
	return inv, o, err
}

func liveInvitation(ctx context.Context, q database.Querier, token string, now time.Time) (Invitation, error) {
	if token == "" || len(token) > 100 {
		return Invitation{}, ErrInvitationInvalid
	}
	var i Invitation
	err := q.QueryRowContext(ctx, `SELECT id, org_id, email, invited_by, created_at, expires_at FROM invitations
		WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2`, inviteDigest(token), now).
		Scan(&i.ID, &i.OrgID, &i.Email, &i.InvitedBy, &i.CreatedAt, &i.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Invitation{}, ErrInvitationInvalid
	}
	if err != nil {
		return Invitation{}, fmt.Errorf("lecture de l'invitation : %w", err)
	}
	return i, nil
}

// AcceptInvitation makes a logged-in professional a member. The account's address must be the
// invited one: an invitation link forwarded to someone else is useless.
func (s *Service) AcceptInvitation(ctx context.Context, actor access.Actor, token string) (Organisation, error) {
	now := s.clock.Now()
	var o Organisation
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		inv, err := liveInvitation(ctx, tx, token, now)
		if err != nil {
			return err
		}
		u, err := selfContact(ctx, tx, actor)
		if err != nil {
			return err
		}
		if u.Email != inv.Email {
			return fmt.Errorf("cette invitation a été envoyée à une autre adresse e-mail que celle de votre compte : %w", fault.Forbidden)
		}
		if actor.Kind != access.Professional {
			return fmt.Errorf("seul un compte professionnel peut rejoindre une organisation : %w", fault.Forbidden)
		}
		return s.accept(ctx, tx, inv, actor.UserID, now, &o)
	})
	return o, err
}

func (s *Service) accept(ctx context.Context, tx *sql.Tx, inv Invitation, userID uuid.UUID, now time.Time, o *Organisation) error {
	res, err := tx.ExecContext(ctx, `UPDATE invitations SET accepted_at = $2, accepted_by = $3 WHERE id = $1 AND accepted_at IS NULL`,
		inv.ID, now, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrInvitationInvalid
	}
	if *o, err = get(ctx, tx, inv.OrgID); err != nil {
		return err
	}
	hasAdmin, err := hasActiveAdmin(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	if err := addMember(ctx, tx, o.ID, userID, !hasAdmin, inv.InvitedBy, now); err != nil {
		return err
	}
	return s.record(ctx, tx, access.Actor{UserID: userID}, "org.invitation_accepted", o.ID, map[string]string{"invitation": inv.ID.String()})
}

// AcceptInvitationNewAccount creates a professional account for the invited address and makes
// it a member, in one transaction. The address counts as confirmed: the link reached it.
func (s *Service) AcceptInvitationNewAccount(ctx context.Context, token string, in account.SignUp) (account.User, Organisation, error) {
	now := s.clock.Now()
	inv, err := liveInvitation(ctx, s.db.Reader(), token, now)
	if err != nil {
		return account.User{}, Organisation{}, err
	}
	in.Kind, in.Email = access.Professional, inv.Email
	// Every field at once, the terms included (a professional accepts them to sign up).
	if err := in.Validate(); err != nil {
		return account.User{}, Organisation{}, err
	}
	var o Organisation
	var u account.User
	u, err = s.accounts.CreateVerifiedWith(ctx, in, func(tx *sql.Tx, created account.User) error {
		return s.accept(ctx, tx, inv, created.ID, now, &o)
	})
	return u, o, err
}
