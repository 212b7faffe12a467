package application

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/export"
)

// MaxExport bounds an export: a larger one is a matter for the statistics, not a list.
const MaxExport = 20000

// View names whose list is exported.
type View string

// The lists.
const (
	ViewReceived View = "recues"
	ViewSent     View = "envoyees"
	ViewMine     View = "miennes"
)

// Export returns the list the filter selects (every page, up to MaxExport rows) as a table to
// write as CSV or XLSX. The export is a read of all these people: decided like the list and
// recorded in the audit trail with its size (access.Read).
func (s *Service) Export(ctx context.Context, actor access.Actor, v View, f Filter) (export.Table, error) {
	t := export.Table{Sheet: map[View]string{ViewReceived: "Candidatures reçues", ViewSent: "Candidatures envoyées", ViewMine: "Mes candidatures"}[v],
		Header: []string{"Nom", "Prénoms", "Date de naissance", "Structure", "Envoyée par", "Organisation émettrice", "Envoyée le", "État",
			"Motif du refus", "Début du contrat", "Fin du contrat"}}
	if v == ViewSent || v == ViewMine {
		t.Header = t.Header[:8]
	}
	var sc scope
	switch v {
	case ViewReceived:
		sc = scopeReceived
	case ViewSent:
		sc = scopeSent
	case ViewMine:
		sc = scopePerson
	default:
		return t, fmt.Errorf("liste %q inconnue", v)
	}
	var person uuid.UUID
	rows, err := access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewApplication, Purpose: access.PurposeIAERecruitment, What: "application.export"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			res, p, err := s.describeList(ctx, q, actor, sc)
			person = p
			return res, err
		},
		func(ctx context.Context, q database.Querier) ([][]string, error) {
			var scopeSQL string
			var args []any
			switch sc {
			case scopeReceived:
				scopeSQL, args = "a.to_org = $1 AND (a.created_at > $2 OR a.state = 'accepted')", []any{actor.OrgID, s.clock.Now().Add(-receivedFor)}
			case scopeSent:
				scopeSQL, args = "a.sender_org = $1", []any{actor.OrgID}
			default:
				if person == uuid.Nil {
					return nil, nil
				}
				scopeSQL, args = "a.job_seeker_id = $1", []any{person}
			}
			f.Cursor = ""
			l, err := conditions(scopeSQL, args, f)
			if err != nil {
				return nil, err
			}
			r, err := q.QueryContext(ctx, `SELECT j.birth_name, j.usage_name, j.first_names, j.birth_date, o.name, a.sender_kind, COALESCE(so.name, ''),
					a.created_at, a.state, a.refusal_reason, a.hiring_start, a.hiring_end
				FROM `+l.from+` JOIN job_seekers j ON j.id = a.job_seeker_id JOIN organisations o ON o.id = a.to_org
				LEFT JOIN organisations so ON so.id = a.sender_org
				WHERE `+strings.Join(l.where, " AND ")+`
				ORDER BY `+l.order+` LIMIT `+l.arg(MaxExport), l.args()...)
			if err != nil {
				return nil, fmt.Errorf("export des candidatures : %w", err)
			}
			defer r.Close()
			var out [][]string
			for r.Next() {
				var birth, usage, first, structure, kind, senderOrg, state, reason string
				var born database.Date
				var start, end nullDate
				var at time.Time
				if err := r.Scan(&birth, &usage, &first, &born, &structure, &kind, &senderOrg, &at, &state, &reason, &start, &end); err != nil {
					return nil, err
				}
				name := birth
				if usage != "" {
					name = usage + " (" + birth + ")"
				}
				row := []string{name, first, born.French(), structure, SenderKind(kind).Label(), senderOrg, database.ParisDate(at).French(), State(state).Label()}
				if sc == scopeReceived {
					label := ""
					if reason != "" {
						label = RefusalReason(reason).Label()
					}
					row = append(row, label, frenchOrEmpty(start.Date), frenchOrEmpty(end.Date))
				}
				out = append(out, row)
			}
			return out, r.Err()
		})
	t.Rows = rows
	return t, err
}

func frenchOrEmpty(d database.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.French()
}
