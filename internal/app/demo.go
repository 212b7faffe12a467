package app

import (
	"context"

	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/demo"
	"parcours/internal/notify"
	"parcours/internal/web"
)

// DemoPages serves the demo pages (demo mode only, where no mail leaves the outbox): the
// composition root wires them so that the web layer neither imports the demo nor holds the
// database.
func DemoPages(db *database.DB, clk clock.Clock) web.Demo { return demoOutbox{db: db, clock: clk} }

type demoOutbox struct {
	db    *database.DB
	clock clock.Clock
}

func (d demoOutbox) Mails(ctx context.Context, limit int) ([]notify.Mail, error) {
	return notify.List(ctx, d.db.Reader(), limit)
}

func (d demoOutbox) Mail(ctx context.Context, id string) (notify.Mail, error) {
	return notify.Get(ctx, d.db.Reader(), id)
}

func (d demoOutbox) AdminCode(ctx context.Context) (string, string, bool, error) {
	code, ok, err := demo.AdminCode(ctx, d.db.Reader(), d.clock.Now())
	return demo.AdminEmail, code, ok, err
}
