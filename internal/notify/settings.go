package notify

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"parcours/internal/database"
)

// Choice is a kind of message a professional may switch off, for one of their organisations:
// the notices about the work (applications, job descriptions). Messages about the account
// itself (security, invitations, decisions on habilitations) and those to job seekers are
// always sent.
type Choice struct {
	Kind  Kind
	Label string
	Hint  string
	// Categories are the organisation categories it concerns ("siae", "geiq", "prescriber").
	Categories []string
}

// Choices lists the kinds that can be switched off, in the order of the settings page.
func Choices() []Choice {
	return []Choice{
		{KindApplicationReceived, "Nouvelle candidature reçue", "Un message à chaque candidature envoyée à la structure.",
			[]string{"siae", "geiq"}},
		{KindApplicationUpdate, "Réponse à une candidature envoyée", "Un message quand la structure qui l'a reçue la refuse, l'accepte ou annule l'embauche.",
			[]string{"siae", "geiq", "prescriber"}},
		{KindSpontaneousClosed, "Fermeture des candidatures spontanées", "Un message quand elles se ferment au bout de 90 jours (administrateurs).",
			[]string{"siae", "geiq"}},
		{KindJobDescriptionsStale, "Fiches de poste à confirmer", "Un rappel avant la désactivation des fiches non mises à jour depuis 60 jours (administrateurs).",
			[]string{"siae", "geiq"}},
		{KindJobDescriptionsDeactivated, "Fiches de poste désactivées", "Un message quand des fiches non mises à jour sont désactivées (administrateurs).",
			[]string{"siae", "geiq"}},
	}
}

// ChoicesFor lists the choices that concern an organisation of that category.
func ChoicesFor(category string) []Choice {
	var out []Choice
	for _, c := range Choices() {
		if slices.Contains(c.Categories, category) {
			out = append(out, c)
		}
	}
	return out
}

// switchable tells whether a kind may be switched off.
func switchable(k Kind) bool {
	return slices.ContainsFunc(Choices(), func(c Choice) bool { return c.Kind == k })
}

// SwitchedOff tells whether the user switched that kind off for that organisation. It runs in
// the transaction of the domain change that would enqueue the message.
func SwitchedOff(ctx context.Context, q database.Querier, user, org uuid.UUID, kind Kind) (bool, error) {
	if user == uuid.Nil || !switchable(kind) {
		return false, nil
	}
	var off bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM notification_settings WHERE user_id = $1 AND org_id = $2 AND kind = $3)`,
		user, org, string(kind)).Scan(&off)
	if err != nil {
		return false, fmt.Errorf("préférences de notification : %w", err)
	}
	return off, nil
}

// OffKinds lists, per organisation, the kinds the user switched off.
func OffKinds(ctx context.Context, q database.Querier, user uuid.UUID) (map[uuid.UUID][]Kind, error) {
	rows, err := q.QueryContext(ctx, `SELECT org_id, kind FROM notification_settings WHERE user_id = $1 ORDER BY org_id, kind`, user)
	if err != nil {
		return nil, fmt.Errorf("préférences de notification : %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID][]Kind{}
	for rows.Next() {
		var org uuid.UUID
		var k string
		if err := rows.Scan(&org, &k); err != nil {
			return nil, err
		}
		out[org] = append(out[org], Kind(k))
	}
	return out, rows.Err()
}

// SetOff replaces the kinds the user switched off for the organisation; kinds that cannot be
// switched off are ignored.
func SetOff(ctx context.Context, q database.Querier, user, org uuid.UUID, off []Kind) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM notification_settings WHERE user_id = $1 AND org_id = $2`, user, org); err != nil {
		return fmt.Errorf("préférences de notification : %w", err)
	}
	for _, k := range off {
		if !switchable(k) {
			continue
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO notification_settings (user_id, org_id, kind) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, user, org, string(k)); err != nil {
			return fmt.Errorf("préférences de notification : %w", err)
		}
	}
	return nil
}
