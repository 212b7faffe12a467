package web

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"parcours/internal/account"
	"parcours/internal/fault"
)

func (s *Server) registerAccountRoutes() {
	s.handle("GET /tableau-de-bord", gateUser, s.dashboard)
	s.handle("GET /compte", gateUser, s.accountPage)
	s.handle("POST /compte/profil", gateUser, s.accountProfile)
	s.handle("POST /compte/mot-de-passe", gateUser, s.accountPassword)
	s.handle("POST /compte/sessions/{id}/fermer", gateUser, s.accountRevokeSession)
	s.handle("GET /compte/double-facteur", gateEnrol, s.mfaStatus)
	s.handle("POST /compte/double-facteur/activation", gateEnrol, s.mfaBegin)
	s.handle("POST /compte/double-facteur/confirmation", gateEnrol, s.mfaConfirm)
	s.handle("POST /compte/double-facteur/desactivation", gateUser, s.mfaDisable)
	s.handle("POST /compte/double-facteur/codes", gateUser, s.mfaRegenerate)
	s.handle("GET /compte/notifications", gateUser, s.notificationsPage)
	s.handle("POST /compte/notifications", gateUser, s.notificationsSave)
	s.handle("GET /cgu/accepter", gateTerms, s.termsAcceptForm)
	s.handle("POST /cgu/accepter", gateTerms, s.termsAccept)
}

type accountView struct {
	User          account.User
	Form          form
	Sessions      []account.Session
	CurrentID     uuid.UUID
	MFARequired   bool
	RecoveryCodes int
}

func (s *Server) loadAccountView(r *http.Request, f form) (accountView, error) {
	si := session(r)
	own, err := s.accounts.OwnAccount(r.Context(), actor(r))
	if err != nil {
		return accountView{}, err
	}
	u := own.User
	if f == nil {
		f = form{"first_name": u.FirstName, "last_name": u.LastName}
	}
	return accountView{User: u, Form: f, CurrentID: si.auth.Session.ID, Sessions: own.Sessions, MFARequired: own.MFARequired,
		RecoveryCodes: own.RecoveryCodes}, nil
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	s.renderAccount(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, f form, errs fault.Fields) {
	v, err := s.loadAccountView(r, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "account", "Mon compte", v, errs)
}

func (s *Server) accountProfile(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "first_name", "last_name")
	err := s.accounts.UpdateProfile(r.Context(), actor(r), f["first_name"], f["last_name"])
	if fields := fault.FieldsOf(err); fields != nil {
		s.renderAccount(w, r, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "profile_saved")
	redirect(w, r, "/compte")
}

func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	token, err := s.accounts.ChangePassword(r.Context(), actor(r), r.PostFormValue("current_password"),
		r.PostFormValue("new_password"), s.client(r))
	if fields := fault.FieldsOf(err); fields != nil {
		s.renderAccount(w, r, http.StatusUnprocessableEntity, nil, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setSessionCookie(w, token)
	s.setFlash(w, "password_changed")
	redirect(w, r, "/compte")
}

func (s *Server) accountRevokeSession(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		s.notFound(w, r)
		return
	}
	si := session(r)
	if err := s.accounts.RevokeSession(r.Context(), actor(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	if id == si.auth.Session.ID {
		s.clearSessionCookie(w)
		redirect(w, r, "/connexion")
		return
	}
	s.setFlash(w, "session_revoked")
	redirect(w, r, "/compte")
}

type mfaView struct {
	User          account.User
	Required      bool
	Enrolment     *account.Enrolment
	RecoveryCodes []string
	Remaining     int
}

func (s *Server) mfaStatus(w http.ResponseWriter, r *http.Request) {
	own, err := s.accounts.OwnAccount(r.Context(), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "mfa_setup", "Double authentification", mfaView{User: own.User, Required: own.MFARequired, Remaining: own.RecoveryCodes}, nil)
}

func (s *Server) mfaBegin(w http.ResponseWriter, r *http.Request) {
	u := session(r).User()
	e, err := s.accounts.BeginTOTP(r.Context(), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "mfa_setup", "Activer la double authentification", mfaView{User: u, Enrolment: &e}, nil)
}

func (s *Server) mfaConfirm(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	si := session(r)
	u := si.User()
	codes, err := s.accounts.ConfirmTOTP(r.Context(), actor(r), si.auth.Session.ID, r.PostFormValue("code"))
	if fields := fault.FieldsOf(err); fields != nil {
		v := mfaView{User: u}
		e, perr := s.accounts.PendingTOTP(r.Context(), actor(r))
		switch {
		case perr == nil:
			v.Enrolment = &e
		case errors.Is(perr, fault.NotFound):
			// Nothing pending (expired or already confirmed elsewhere): show the start page with the message.
		default:
			s.fail(w, r, perr)
			return
		}
		s.render(w, r, http.StatusUnprocessableEntity, "mfa_setup", "Activer la double authentification", v, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "mfa_codes", "Vos codes de secours", mfaView{User: u, RecoveryCodes: codes}, nil)
}

func (s *Server) mfaDisable(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	u := session(r).User()
	err := s.accounts.DisableTOTP(r.Context(), actor(r), r.PostFormValue("password"))
	if fields := fault.FieldsOf(err); fields != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "mfa_setup", "Double authentification", mfaView{User: u}, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "mfa_disabled")
	redirect(w, r, "/compte")
}

func (s *Server) mfaRegenerate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	u := session(r).User()
	codes, err := s.accounts.RegenerateRecoveryCodes(r.Context(), actor(r), r.PostFormValue("password"))
	if fields := fault.FieldsOf(err); fields != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "mfa_setup", "Double authentification", mfaView{User: u}, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "mfa_codes", "Vos codes de secours", mfaView{User: u, RecoveryCodes: codes}, nil)
}

func (s *Server) termsPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "terms", "Conditions d'utilisation", map[string]string{"Version": account.CurrentTerms}, nil)
}

func (s *Server) termsAcceptForm(w http.ResponseWriter, r *http.Request) {
	if !session(r).needsTerms() {
		redirect(w, r, "/tableau-de-bord")
		return
	}
	s.render(w, r, http.StatusOK, "terms_accept", "Nouvelles conditions d'utilisation", map[string]string{"Version": account.CurrentTerms}, nil)
}

func (s *Server) termsAccept(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	if r.PostFormValue("accept") != "on" {
		s.render(w, r, http.StatusUnprocessableEntity, "terms_accept", "Nouvelles conditions d'utilisation",
			map[string]string{"Version": account.CurrentTerms}, fault.Fields{"accept": "Cochez la case pour accepter les conditions d'utilisation"})
		return
	}
	if err := s.accounts.AcceptTerms(r.Context(), actor(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "terms_accepted")
	redirect(w, r, "/tableau-de-bord")
}
