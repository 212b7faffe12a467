package app

import (
	"context"
	"strings"

	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/demo"
	"parcours/internal/notify"
	"parcours/internal/web"
)

// DemoPages serves the demo pages (demo mode only, where no mail leaves the outbox): the
// composition root wires them so that the web layer neither imports the demo nor holds the
// database.
func DemoPages(db *database.DB, env *crypto.Envelope, clk clock.Clock) web.Demo {
	return demoOutbox{db: db, outbox: notify.Outbox{Envelope: env}, clock: clk}
}

type demoOutbox struct {
	db     *database.DB
	outbox notify.Outbox
	clock  clock.Clock
}

func (d demoOutbox) Mails(ctx context.Context, limit int) ([]notify.Mail, error) {
	return d.outbox.List(ctx, d.db.Reader(), limit)
}

func (d demoOutbox) Mail(ctx context.Context, id string) (notify.Mail, error) {
	return d.outbox.Get(ctx, d.db.Reader(), id)
}

func (d demoOutbox) AdminCode(ctx context.Context) (string, string, bool, error) {
	code, ok, err := demo.AdminCode(ctx, d.db.Reader(), d.outbox.Envelope, d.clock.Now())
	return demo.AdminEmail, code, ok, err
}

func (d demoOutbox) Codes(ctx context.Context) ([]web.DemoCode, error) {
	codes, err := demo.Codes(ctx, d.db.Reader(), d.outbox.Envelope, d.clock.Now())
	out := make([]web.DemoCode, 0, len(codes))
	for _, c := range codes {
		slug, _, _ := strings.Cut(c.Email, "@")
		out = append(out, web.DemoCode{Email: c.Email, Code: c.Code, Slug: strings.ReplaceAll(slug, ".", "-")})
	}
	return out, err
}
