package application

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/notify"
	"parcours/internal/org"
)

// letters gathers the messages a change sends about applications, one per recipient address:
// a batch action that refuses five applications sent by the same prescriber sends them one
// message about the five.
type letters struct {
	order []string
	by    map[string]*letter
}

// letter is what one recipient learns.
type letter struct {
	first string
	items []letterItem
}

// letterItem is what the recipient learns about one application.
type letterItem struct {
	application uuid.UUID
	structure   string
	// about names the application among others ("Candidature de Karim B.").
	about      string
	paragraphs []string
}

func (l *letters) add(to, first string, it letterItem) {
	if to == "" || len(it.paragraphs) == 0 {
		return
	}
	if l.by == nil {
		l.by = map[string]*letter{}
	}
	m, ok := l.by[to]
	if !ok {
		m = &letter{first: first}
		l.by[to] = m
		l.order = append(l.order, to)
	}
	m.items = append(m.items, it)
}

// post enqueues the letters in q, the transaction of the change.
func (s *Service) post(ctx context.Context, q database.Querier, l *letters, now time.Time) error {
	for _, to := range l.order {
		m := l.by[to]
		data := notify.ApplicationUpdate{FirstName: m.first, Structure: m.items[0].structure,
			Paragraphs: m.items[0].paragraphs, Link: s.baseURL + "/candidatures/" + m.items[0].application.String()}
		if len(m.items) > 1 {
			data.Count, data.Paragraphs, data.Link = len(m.items), nil, s.baseURL+"/candidatures"
			for _, it := range m.items {
				if it.structure != data.Structure {
					data.Structure = ""
				}
			}
			for _, it := range m.items {
				head := it.about
				if data.Structure == "" {
					head += " (" + it.structure + ")"
				}
				data.Paragraphs = append(data.Paragraphs, head+" : "+strings.Join(it.paragraphs, " "))
			}
		}
		if err := s.outbox.Enqueue(ctx, q, now, notify.Message{To: to, Kind: notify.KindApplicationUpdate, Data: data}); err != nil {
			return err
		}
	}
	return nil
}

// person is what the messages need of the person an application concerns.
type personContact struct {
	email, first, initial string
}

// name is "Karim B.": enough to tell applications apart in a message, no more.
func (p personContact) name() string {
	return strings.TrimSpace(p.first + " " + p.initial)
}

func contactOf(ctx context.Context, q database.Querier, person uuid.UUID) (personContact, error) {
	var c personContact
	var first, birth, usage string
	err := q.QueryRowContext(ctx, `SELECT COALESCE(j.email, u.email, ''), j.first_names, j.birth_name, j.usage_name
		FROM job_seekers j LEFT JOIN users u ON u.id = j.user_id WHERE j.id = $1`, person).Scan(&c.email, &first, &birth, &usage)
	if err != nil {
		return c, err
	}
	c.first = strings.Fields(first + " ")[0]
	last := birth
	if usage != "" {
		last = usage
	}
	if r := []rune(strings.TrimSpace(last)); len(r) > 0 {
		c.initial = string(r[0]) + "."
	}
	return c, nil
}

// senderContact is the address of the professional who sent an application, unless their
// account is closed or they switched these notices off for the organisation they sent it from.
func senderContact(ctx context.Context, q database.Querier, a Application) (email, first string, err error) {
	if a.SenderKind == SentByJobSeeker || a.SenderUser == uuid.Nil {
		return "", "", nil
	}
	err = q.QueryRowContext(ctx, `SELECT email, first_name FROM users WHERE id = $1 AND disabled_at IS NULL AND anonymised_at IS NULL`,
		a.SenderUser).Scan(&email, &first)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	off, err := notify.SwitchedOff(ctx, q, a.SenderUser, a.SenderOrg, notify.KindApplicationUpdate)
	if err != nil || off {
		return "", "", err
	}
	return email, first, nil
}

// tellStructure tells the receiving structure's members, except the sender, that an
// application arrived (those who switched it off excepted).
func (s *Service) tellStructure(ctx context.Context, q database.Querier, a Application, structure string, now time.Time) error {
	if a.SelfHire {
		return nil
	}
	members, err := org.Recipients(ctx, q, a.ToOrg, notify.KindApplicationReceived, false)
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.UserID == a.SenderUser {
			continue
		}
		if err := s.outbox.Enqueue(ctx, q, now, notify.Message{To: m.Email, Kind: notify.KindApplicationReceived, Data: notify.ApplicationReceived{
			FirstName: m.FirstName, Structure: structure, Link: s.baseURL + "/candidatures/" + a.ID.String(), Spontaneous: a.Spontaneous()}}); err != nil {
			return err
		}
	}
	return nil
}
