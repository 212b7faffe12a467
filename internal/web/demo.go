package web

import (
	"context"
	"net/http"

	"parcours/internal/notify"
)

// Health is what the readiness probe asks of the database: nothing that reads data.
type Health interface {
	Ping(ctx context.Context) error
	CheckSchema(ctx context.Context) error
}

// Demo is what the demo pages show (package app wires it in demo mode only): the outbox, where
// every mail stays since none is sent, and the demo administrator's current second-factor code.
type Demo interface {
	Mails(ctx context.Context, limit int) ([]notify.Mail, error)
	Mail(ctx context.Context, id string) (notify.Mail, error)
	// AdminCode is the demo administrator's address and current TOTP code (ok is false before
	// the demo is loaded).
	AdminCode(ctx context.Context) (email, code string, ok bool, err error)
	// Codes are the current TOTP codes of the other demo accounts with a second factor (the
	// adapted-support advisors).
	Codes(ctx context.Context) ([]DemoCode, error)
}

// DemoCode is a demo account's current second-factor code; Slug names its element on the page.
type DemoCode struct {
	Email, Code, Slug string
}

// demoMails shows the outbox in demo mode, where no mail is sent: the demo user reads the
// confirmation and reset links here.
func (s *Server) demoMails(w http.ResponseWriter, r *http.Request) {
	mails, err := s.demo.Mails(r.Context(), 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	email, code, ok, err := s.demo.AdminCode(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := demoMailsView{Mails: mails, AdminEmail: email}
	if ok {
		v.AdminCode = code
	}
	if v.Codes, err = s.demo.Codes(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "demo_mails", "Courriels de démonstration", v, nil)
}

type demoMailsView struct {
	Mails      []notify.Mail
	AdminEmail string
	AdminCode  string
	Codes      []DemoCode
}

func (s *Server) demoMail(w http.ResponseWriter, r *http.Request) {
	m, err := s.demo.Mail(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "demo_mail", m.Subject, m, nil)
}
