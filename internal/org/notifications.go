package org

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/fault"
	"parcours/internal/notify"
)

// NoticeSettings are the notices a member receives from one of their organisations.
type NoticeSettings struct {
	Org     Organisation
	Admin   bool
	Choices []notify.Choice
	// On tells, per kind, whether the notice is sent (the default).
	On map[notify.Kind]bool
}

// Notifications lists, for each organisation the actor actively belongs to, the notices they
// may switch off and whether each is on. Only the actor's own settings are read.
func (s *Service) Notifications(ctx context.Context, actor access.Actor) ([]NoticeSettings, error) {
	res := access.Resource{OwnerID: actor.UserID, Subject: actor.UserID, Relations: access.RelSelf}
	if err := access.Can(actor, access.ManageOwnAccount, res); err != nil {
		return nil, err
	}
	q := s.db.Reader()
	ms, err := activeMemberships(ctx, q, actor.UserID)
	if err != nil {
		return nil, err
	}
	off, err := notify.OffKinds(ctx, q, actor.UserID)
	if err != nil {
		return nil, err
	}
	var out []NoticeSettings
	for _, m := range ms {
		choices := notify.ChoicesFor(string(m.Org.Category))
		if len(choices) == 0 {
			continue
		}
		n := NoticeSettings{Org: m.Org, Admin: m.Admin, Choices: choices, On: map[notify.Kind]bool{}}
		for _, c := range choices {
			n.On[c.Kind] = !slices.Contains(off[m.Org.ID], c.Kind)
		}
		out = append(out, n)
	}
	return out, nil
}

// SetNotifications records which notices of an organisation the actor receives: on lists the
// kinds kept, every other choice of that organisation is switched off. The actor must actively
// belong to it. The change is recorded in the audit trail.
func (s *Service) SetNotifications(ctx context.Context, actor access.Actor, orgID uuid.UUID, on []notify.Kind) error {
	res := access.Resource{OwnerID: actor.UserID, Subject: actor.UserID, Relations: access.RelSelf}
	if err := access.Can(actor, access.ManageOwnAccount, res); err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		ms, err := activeMemberships(ctx, tx, actor.UserID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ms, func(m Membership) bool { return m.Org.ID == orgID })
		if i < 0 {
			return fault.NotFound
		}
		var off, kept []string
		var offKinds []notify.Kind
		for _, c := range notify.ChoicesFor(string(ms[i].Org.Category)) {
			if slices.Contains(on, c.Kind) {
				kept = append(kept, string(c.Kind))
				continue
			}
			off = append(off, string(c.Kind))
			offKinds = append(offKinds, c.Kind)
		}
		if err := notify.SetOff(ctx, tx, actor.UserID, orgID, offKinds); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "account.notifications", orgID, map[string]string{
			"off": strings.Join(off, ","), "on": strings.Join(kept, ",")})
	})
}
