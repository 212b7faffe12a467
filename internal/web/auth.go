package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/fault"
)

func (s *Server) registerAuthRoutes() {
	s.handle("GET /inscription", gatePublic, s.signupChoice)
	s.handle("GET /inscription/{kind}", gatePublic, s.signupForm)
	s.handle("POST /inscription/{kind}", gatePublic, s.signupSubmit)
	s.handle("GET /confirmer-email", gatePublic, s.resendForm)
	s.handle("POST /confirmer-email", gatePublic, s.resendSubmit)
	s.handle("GET /confirmer-email/{token}", gatePublic, s.verifyEmail)
	s.handle("GET /connexion", gatePublic, s.loginForm)
	s.handle("POST /connexion", gatePublic, s.loginSubmit)
	s.handle("GET /connexion/double-facteur", gateSession, s.mfaForm)
	s.handle("POST /connexion/double-facteur", gateSession, s.mfaSubmit)
	s.handle("POST /deconnexion", gateSession, s.logout)
	s.handle("GET /mot-de-passe/oubli", gatePublic, s.forgotForm)
	s.handle("POST /mot-de-passe/oubli", gatePublic, s.forgotSubmit)
	s.handle("GET /mot-de-passe/nouveau/{token}", gatePublic, s.resetForm)
	s.handle("POST /mot-de-passe/nouveau/{token}", gatePublic, s.resetSubmit)
}

// form is a submitted form's values, echoed back when it is rejected (never passwords).
type form map[string]string

func formOf(r *http.Request, names ...string) form {
	f := form{}
	for _, n := range names {
		f[n] = strings.TrimSpace(r.PostFormValue(n))
	}
	return f
}

// signupKinds maps the URL word to the account kind.
var signupKinds = map[string]access.UserKind{"candidat": access.JobSeeker, "professionnel": access.Professional}

func (s *Server) signupChoice(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "signup_choice", "Créer un compte", nil, nil)
}

type signupView struct {
	Word         string
	Professional bool
	Form         form
}

func (s *Server) signupForm(w http.ResponseWriter, r *http.Request) {
	word := r.PathValue("kind")
	kind, ok := signupKinds[word]
	if !ok {
		s.notFound(w, r)
		return
	}
	s.render(w, r, http.StatusOK, "signup", signupTitle(kind), signupView{Word: word, Professional: kind == access.Professional, Form: form{}}, nil)
}

func signupTitle(k access.UserKind) string {
	if k == access.Professional {
		return "Créer un compte professionnel"
	}
	return "Créer un compte candidat"
}

func (s *Server) signupSubmit(w http.ResponseWriter, r *http.Request) {
	word := r.PathValue("kind")
	kind, ok := signupKinds[word]
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "first_name", "last_name", "email")
	in := account.SignUp{Kind: kind, Email: f["email"], Password: r.PostFormValue("password"), FirstName: f["first_name"],
		LastName: f["last_name"], AcceptTerms: r.PostFormValue("accept_terms") == "on"}
	// A form with errors creates nothing, so it costs no sign-up token: only a valid form is
	// counted, then created.
	err := in.Validate()
	if err == nil {
		if !s.allowSignup(w, r) {
			return
		}
		err = s.accounts.SignUp(r.Context(), in)
	}
	if err != nil {
		if fields := fault.FieldsOf(err); fields != nil {
			s.render(w, r, http.StatusUnprocessableEntity, "signup", signupTitle(kind),
				signupView{Word: word, Professional: kind == access.Professional, Form: f}, fields)
			return
		}
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "signup_done", "Confirmez votre adresse e-mail", map[string]string{"Email": account.NormaliseEmail(in.Email)}, nil)
}

func (s *Server) verifyEmail(w http.ResponseWriter, r *http.Request) {
	err := s.accounts.VerifyEmail(r.Context(), r.PathValue("token"))
	if errors.Is(err, account.ErrTokenInvalid) {
		s.render(w, r, http.StatusGone, "link_invalid", "Lien expiré", map[string]string{
			"Text": "Ce lien de confirmation n'est plus valable : il a expiré ou a déjà servi. Si vous avez déjà confirmé votre adresse, connectez-vous ; sinon demandez un nouveau lien.",
			"Link": "/confirmer-email", "LinkText": "Recevoir un nouveau lien",
		}, nil)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "email_verified")
	redirect(w, r, "/connexion")
}

func (s *Server) resendForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "resend", "Recevoir un nouveau lien de confirmation", form{}, nil)
}

func (s *Server) resendSubmit(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "email")
	if err := account.CheckEmail(f["email"]); err != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "resend", "Recevoir un nouveau lien de confirmation", f, fault.Fields{"email": err.Error()})
		return
	}
	if err := s.accounts.ResendVerification(r.Context(), f["email"]); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "verification_sent")
	redirect(w, r, "/connexion")
}

type loginView struct {
	Form       form
	Next       string
	Unverified bool
}

// safeNext keeps a post-login destination only if it is a path on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return ""
	}
	return next
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if si := session(r); si != nil && si.Complete() {
		redirect(w, r, "/tableau-de-bord")
		return
	}
	s.render(w, r, http.StatusOK, "login", "Se connecter", loginView{Form: form{}, Next: safeNext(r.URL.Query().Get("suite"))}, nil)
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "email")
	v := loginView{Form: f, Next: safeNext(r.PostFormValue("suite"))}
	// An empty field is a slip, not a failed attempt: say which, without counting it.
	empty := fault.Fields{}
	if f["email"] == "" {
		empty.Add("email", "Saisissez votre adresse e-mail")
	}
	if r.PostFormValue("password") == "" {
		empty.Add("password", "Saisissez votre mot de passe")
	}
	if len(empty) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "login", "Se connecter", v, empty)
		return
	}
	res, err := s.accounts.Login(r.Context(), f["email"], r.PostFormValue("password"), s.client(r))
	var locked *account.LockedError
	switch {
	case errors.As(err, &locked):
		s.render(w, r, http.StatusTooManyRequests, "login", "Se connecter", v, fault.Fields{"": fmt.Sprintf(
			"Trop de tentatives de connexion. Réessayez dans %d minutes, ou réinitialisez votre mot de passe.", locked.Minutes(s.clock.Now()))})
		return
	case errors.Is(err, account.ErrBadCredentials):
		s.render(w, r, http.StatusUnprocessableEntity, "login", "Se connecter", v, fault.Fields{"": "Adresse e-mail ou mot de passe incorrect."})
		return
	case errors.Is(err, account.ErrEmailNotVerified):
		v.Unverified = true
		s.render(w, r, http.StatusUnprocessableEntity, "login", "Se connecter", v, fault.Fields{"": "Votre adresse e-mail n'est pas encore confirmée : suivez le lien reçu par e-mail."})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if si := session(r); si != nil {
		_ = s.accounts.Logout(r.Context(), si.token)
	}
	s.setSessionCookie(w, res.Token)
	switch res.Next {
	case account.StepMFA:
		target := "/connexion/double-facteur"
		if v.Next != "" {
			target += "?suite=" + urlQueryEscape(v.Next)
		}
		redirect(w, r, target)
	case account.StepMFASetup:
		redirect(w, r, "/compte/double-facteur")
	default:
		redirect(w, r, firstNonEmpty(v.Next, "/tableau-de-bord"))
	}
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func (s *Server) mfaForm(w http.ResponseWriter, r *http.Request) {
	if session(r).auth.Next != account.StepMFA {
		redirect(w, r, "/tableau-de-bord")
		return
	}
	s.render(w, r, http.StatusOK, "mfa", "Double authentification", map[string]string{"Next": safeNext(r.URL.Query().Get("suite"))}, nil)
}

func (s *Server) mfaSubmit(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	si := session(r)
	next := safeNext(r.PostFormValue("suite"))
	token, err := s.accounts.CompleteMFA(r.Context(), si.token, r.PostFormValue("code"))
	if fields := fault.FieldsOf(err); fields != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "mfa", "Double authentification", map[string]string{"Next": next}, fields)
		return
	}
	if errors.Is(err, fault.Unauthenticated) {
		s.clearSessionCookie(w)
		redirect(w, r, "/connexion")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setSessionCookie(w, token)
	redirect(w, r, firstNonEmpty(next, "/tableau-de-bord"))
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.accounts.Logout(r.Context(), session(r).token); err != nil {
		s.fail(w, r, err)
		return
	}
	s.clearSessionCookie(w)
	s.setFlash(w, "logged_out")
	redirect(w, r, "/")
}

func (s *Server) forgotForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "forgot", "Mot de passe oublié", form{}, nil)
}

func (s *Server) forgotSubmit(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "email")
	if err := account.CheckEmail(f["email"]); err != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "forgot", "Mot de passe oublié", f, fault.Fields{"email": err.Error()})
		return
	}
	if err := s.accounts.RequestPasswordReset(r.Context(), f["email"]); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "forgot_done", "Vérifiez votre messagerie", map[string]string{"Email": account.NormaliseEmail(f["email"])}, nil)
}

func (s *Server) resetInvalid(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusGone, "link_invalid", "Lien expiré", map[string]string{
		"Text": "Ce lien de réinitialisation n'est plus valable : il a expiré (il est valable une heure) ou a déjà servi.",
		"Link": "/mot-de-passe/oubli", "LinkText": "Demander un nouveau lien",
	}, nil)
}

func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) {
	if err := s.accounts.CheckResetToken(r.Context(), r.PathValue("token")); err != nil {
		if errors.Is(err, account.ErrTokenInvalid) {
			s.resetInvalid(w, r)
			return
		}
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "reset", "Nouveau mot de passe", nil, nil)
}

func (s *Server) resetSubmit(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	err := s.accounts.ResetPassword(r.Context(), r.PathValue("token"), r.PostFormValue("password"))
	switch {
	case errors.Is(err, account.ErrTokenInvalid):
		s.resetInvalid(w, r)
	case fault.FieldsOf(err) != nil:
		s.render(w, r, http.StatusUnprocessableEntity, "reset", "Nouveau mot de passe", nil, fault.FieldsOf(err))
	case err != nil:
		s.fail(w, r, err)
	default:
		s.setFlash(w, "password_reset")
		redirect(w, r, "/connexion")
	}
}
