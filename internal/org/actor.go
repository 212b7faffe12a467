package org

import (
	"context"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/database"
)

// Actor builds the access actor of a logged-in user: the organisation chosen in the session if
// the user still actively belongs to it, else their first organisation. Memberships are read at
// every request, so a deactivation takes effect on the very next one.
func Actor(ctx context.Context, q database.Querier, u account.User, currentOrg uuid.UUID, mfa bool) (access.Actor, []Membership, error) {
	a := access.Actor{UserID: u.ID, Kind: u.Kind, MFA: mfa}
	if u.Kind != access.Professional {
		return a, nil, nil
	}
	ms, err := ActiveMemberships(ctx, q, u.ID)
	if err != nil {
		return access.Actor{}, nil, err
	}
	if len(ms) == 0 {
		return a, ms, nil
	}
	chosen := ms[0]
	for _, m := range ms {
		if m.Org.ID == currentOrg {
			chosen = m
			break
		}
	}
	o := chosen.Org
	a.OrgID, a.OrgKind, a.OrgDepartement, a.Role, a.OrgAdmin = o.ID, o.Kind, o.Departement, o.Role(), chosen.Admin
	if o.Category == Institution {
		a.InstitutionScope = o.Kind
	}
	return a, ms, nil
}

// Page is what an organisation's page shows; admin-only parts are empty for other members.
type Page struct {
	Org          Organisation
	Members      []Member
	Invitations  []Invitation
	JoinRequests []JoinRequest
	CanManage    bool
	CanDecide    bool
}

// LoadPage loads an organisation's page for an actor allowed to view it.
func (s *Service) LoadPage(ctx context.Context, actor access.Actor, orgID uuid.UUID) (Page, error) {
	q := s.db.Reader()
	o, err := Get(ctx, q, orgID)
	if err != nil {
		return Page{}, err
	}
	member, _, err := activeMember(ctx, q, o.ID, actor.UserID)
	if err != nil {
		return Page{}, err
	}
	res := o.Resource(member)
	if err := access.Can(actor, access.ViewOrganisation, res); err != nil {
		return Page{}, err
	}
	p := Page{Org: o, CanManage: access.Allowed(actor, access.ManageMembers, res), CanDecide: access.Allowed(actor, access.DecideHabilitation, o.Resource(false))}
	if p.Members, err = Members(ctx, q, o.ID); err != nil {
		return Page{}, err
	}
	if p.CanManage {
		if p.Invitations, err = s.PendingInvitations(ctx, actor, o.ID); err != nil {
			return Page{}, err
		}
		if p.JoinRequests, err = s.PendingJoinRequests(ctx, actor, o.ID); err != nil {
			return Page{}, err
		}
	}
	return p, nil
}

// Switch changes the organisation a session acts for, if the user is an active member.
func (s *Service) Switch(ctx context.Context, actor access.Actor, sessionID, orgID uuid.UUID) error {
	q := s.db.Reader()
	o, err := Get(ctx, q, orgID)
	if err != nil {
		return err
	}
	member, _, err := activeMember(ctx, q, o.ID, actor.UserID)
	if err != nil {
		return err
	}
	if err := access.Can(actor, access.SwitchOrganisation, o.Resource(member)); err != nil {
		return err
	}
	return s.accounts.SetCurrentOrganisation(ctx, sessionID, o.ID)
}
