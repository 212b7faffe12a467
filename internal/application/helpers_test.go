package application_test

import (
	"context"
	"testing"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/database"
	"parcours/internal/notify"
	"parcours/internal/offer"
	"parcours/internal/platformtest"
)

// fixture is the platform's services (platformtest) with the applications service as svc.
type fixture struct {
	*platformtest.Platform
	svc *application.Service
}

func newFixture(t testing.TB, db *database.DB) *fixture {
	t.Helper()
	p := platformtest.New(t, db)
	return &fixture{Platform: p, svc: p.Apps}
}

// prescriber creates an authorised prescriber organisation and a member acting for it.
func (f *fixture) prescriber(t testing.TB, email string) access.Actor {
	t.Helper()
	return f.Prescriber(t, email, true)
}

// mailsTo returns the mails to an address, newest first.
func (f *fixture) mailsTo(t testing.TB, to string) []notify.Mail {
	t.Helper()
	all, err := notify.Outbox{Envelope: f.Env}.List(context.Background(), f.DB.Reader(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []notify.Mail
	for _, m := range all {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

func (f *fixture) hire(kind string) application.Hire {
	h := application.Hire{Start: f.Today().AddDays(7), ContractType: offer.ContractTypesFor(kind)[0], HoursPerWeek: 26, SalaryCents: 1_450_00}
	if kind == offer.KindAI || kind == offer.KindETTI {
		h.FirstMission = h.Start
	}
	return h
}
