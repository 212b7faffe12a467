package web

import (
	"net/http"

	"parcours/internal/demo"
	"parcours/internal/notify"
)

// demoMails shows the outbox in demo mode, where no mail is sent: the demo user reads the
// confirmation and reset links here.
func (s *Server) demoMails(w http.ResponseWriter, r *http.Request) {
	mails, err := s.accounts.Outbox().List(r.Context(), s.db.Reader(), 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	code, ok, err := demo.AdminCode(r.Context(), s.db.Reader(), s.accounts.Outbox().Envelope, s.clock.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := demoMailsView{Mails: mails, AdminEmail: demo.AdminEmail}
	if ok {
		v.AdminCode = code
	}
	s.render(w, r, http.StatusOK, "demo_mails", "Courriels de démonstration", v, nil)
}

type demoMailsView struct {
	Mails      []notify.Mail
	AdminEmail string
	AdminCode  string
}

func (s *Server) demoMail(w http.ResponseWriter, r *http.Request) {
	m, err := s.accounts.Outbox().Get(r.Context(), s.db.Reader(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "demo_mail", m.Subject, m, nil)
}
