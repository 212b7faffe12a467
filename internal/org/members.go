package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/fault"
)

// SetMemberActive deactivates (or reactivates) a member. Deactivation removes the admin flag
// and ends nothing else: the history stays. An organisation keeps at least one active admin.
func (s *Service) SetMemberActive(ctx context.Context, actor access.Actor, orgID, userID uuid.UUID, active bool) error {
	return s.changeMember(ctx, actor, orgID, userID, func(tx *sql.Tx, m memberState) (string, string, error) {
		if !active && m.admin {
			if err := s.keepsAnAdmin(ctx, tx, orgID, userID); err != nil {
				return "", "", err
			}
		}
		now := s.clock.Now()
		var deactivatedAt any
		if !active {
			deactivatedAt = now
		}
		_, err := tx.ExecContext(ctx, `UPDATE memberships SET is_active = $3, is_admin = is_admin AND $3,
			deactivated_at = $4, updated_at = $5, updated_by = $6 WHERE org_id = $1 AND user_id = $2`,
			orgID, userID, active, deactivatedAt, now, actor.UserID)
		if active {
			return "réactivé", "org.member_reactivated", err
		}
		return "désactivé", "org.member_deactivated", err
	})
}

// SetMemberAdmin grants or removes the admin role of an active member.
func (s *Service) SetMemberAdmin(ctx context.Context, actor access.Actor, orgID, userID uuid.UUID, admin bool) error {
	return s.changeMember(ctx, actor, orgID, userID, func(tx *sql.Tx, m memberState) (string, string, error) {
		if !m.active {
			return "", "", fmt.Errorf("réactivez d'abord ce membre : %w", fault.Conflict)
		}
		if !admin && m.admin {
			if err := s.keepsAnAdmin(ctx, tx, orgID, userID); err != nil {
				return "", "", err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE memberships SET is_admin = $3, updated_at = $4, updated_by = $5 WHERE org_id = $1 AND user_id = $2`,
			orgID, userID, admin, s.clock.Now(), actor.UserID)
		if admin {
			return "rôle d'administrateur accordé", "org.admin_granted", err
		}
		return "rôle d'administrateur retiré", "org.admin_removed", err
	})
}

type memberState struct{ active, admin bool }

func (s *Service) changeMember(ctx context.Context, actor access.Actor, orgID, userID uuid.UUID,
	change func(tx *sql.Tx, m memberState) (label, action string, err error)) error {
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		o, err := authorize(ctx, tx, actor, access.ManageMembers, orgID)
		if err != nil {
			return err
		}
		var m memberState
		err = tx.QueryRowContext(ctx, `SELECT is_active, is_admin FROM memberships WHERE org_id = $1 AND user_id = $2`, o.ID, userID).
			Scan(&m.active, &m.admin)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("membre : %w", fault.NotFound)
		}
		if err != nil {
			return err
		}
		label, action, err := change(tx, m)
		if err != nil {
			return err
		}
		u, err := memberContact(ctx, tx, o.ID, userID)
		if err != nil {
			return err
		}
		if err := s.mail(ctx, tx, u.Email, "membership_changed", map[string]any{"OrganisationName": o.Name, "Change": label}); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, action, o.ID, map[string]string{"user": userID.String()})
	})
}

func (s *Service) keepsAnAdmin(ctx context.Context, tx *sql.Tx, orgID, leaving uuid.UUID) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND is_active AND is_admin AND user_id <> $2`,
		orgID, leaving).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("l'organisation doit garder au moins un administrateur actif : nommez-en un autre d'abord : %w", fault.Conflict)
	}
	return nil
}

// DecideHabilitation records a habilitation decision with its reason and tells the members.
// Staff decide for every prescriber; a DDETS for the prescribers of its département. "Autre"
// organisations can never be habilitated.
func (s *Service) DecideHabilitation(ctx context.Context, actor access.Actor, orgID uuid.UUID, status Habilitation, reason string) error {
	reason = strings.TrimSpace(reason)
	f := fault.Fields{}
	switch status {
	case Validated, Refused, NotSet:
	default:
		f.Add("status", "Choisissez une décision")
	}
	if reason == "" {
		f.Add("reason", "Motivez la décision : le motif est transmis à l'organisation")
	} else if utf8.RuneCountInString(reason) > 1000 {
		f.Add("reason", "Le motif ne doit pas dépasser 1000 caractères")
	}
	if err := f.Err(); err != nil {
		return err
	}
	now := s.clock.Now()
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		o, err := get(ctx, tx, orgID)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.DecideHabilitation, o.Resource(false)); err != nil {
			return err
		}
		if o.Kind == "AUTRE" && status == Validated {
			return fault.Field("status", "Une organisation de type « Autre » ne peut pas être habilitée : elle doit choisir son type exact")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE organisations SET habilitation = $2, habilitation_reason = $3, habilitation_decided_at = $4,
			habilitation_decided_by = $5, updated_at = $4 WHERE id = $1`, o.ID, string(status), reason, now, actor.UserID); err != nil {
			return fmt.Errorf("enregistrement de l'habilitation : %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO habilitation_decisions (id, org_id, status, reason, decided_by, decided_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, uuid.Must(uuid.NewV7()), o.ID, string(status), reason, actor.UserID, now); err != nil {
			return err
		}
		members, err := members(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		for _, m := range members {
			if !m.Active {
				continue
			}
			if err := s.mail(ctx, tx, m.Email, "habilitation_decision", map[string]any{
				"OrganisationName": o.Name, "Status": status.Label(), "Reason": reason,
			}); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, actor, "org.habilitation_decided", o.ID, map[string]string{"status": string(status)})
	})
}

// PendingHabilitations lists prescriber organisations waiting for a decision: all of them for
// staff, those of its département for a DDETS.
func (s *Service) PendingHabilitations(ctx context.Context, actor access.Actor) ([]Organisation, error) {
	if err := access.Can(actor, access.ListHabilitations, access.Resource{}); err != nil {
		return nil, err
	}
	f := Filter{Category: Prescriber, Habilitation: NotSet, Limit: 200}
	if !actor.IsStaff() {
		f.Departement = actor.OrgDepartement
	}
	return search(ctx, s.db.Reader(), f)
}

// StaffAddMember makes the professional account of an address a member (or admin) of an
// organisation directly: staff set up State services and financers this way, and repair
// organisations left without an admin. An address without an account is a field error.
func (s *Service) StaffAddMember(ctx context.Context, actor access.Actor, orgID uuid.UUID, email string, admin bool) error {
	if err := access.Can(actor, access.StaffManageOrganisations, access.Resource{OrgID: orgID}); err != nil {
		return err
	}
	now := s.clock.Now()
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		o, err := get(ctx, tx, orgID)
		if err != nil {
			return err
		}
		u, err := s.accounts.Professional(ctx, tx, actor, email)
		if errors.Is(err, fault.NotFound) {
			return fault.Field("member_email", "Aucun compte n'a cette adresse : invitez plutôt la personne.")
		}
		if errors.Is(err, fault.Conflict) {
			return fault.Field("member_email", "Seul un compte professionnel peut être membre d'une organisation.")
		}
		if err != nil {
			return err
		}
		if err := addMember(ctx, tx, o.ID, u.ID, admin, actor.UserID, now); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "org.member_added", o.ID, map[string]string{"user": u.ID.String()})
	})
}
