package web

import (
	"bytes"
	"cmp"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/fault"
)

//go:embed templates
var templateFS embed.FS

// templates holds one parsed template set per page: the layout, the partials and the page.
type templates map[string]*template.Template

func parseTemplates(extra template.FuncMap) (templates, error) {
	base, err := template.New("").Funcs(funcs).Funcs(extra).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("gabarits communs : %w", err)
	}
	pages, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	t := templates{}
	for _, p := range pages {
		clone, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := clone.ParseFS(templateFS, p); err != nil {
			return nil, fmt.Errorf("gabarit %s : %w", p, err)
		}
		t[strings.TrimSuffix(path.Base(p), ".html")] = clone
	}
	return t, nil
}

var funcs = template.FuncMap{
	// otpauth marks an authenticator link as safe: html/template only trusts http(s) and mailto
	// URLs from data, and this one is built by the account package, never typed by anyone.
	"otpauth": func(uri string) template.URL {
		if strings.HasPrefix(uri, "otpauth://totp/") {
			return template.URL(uri)
		}
		return "#"
	},
	"passwordRule": func() string {
		return "Au moins 12 caractères mêlant 3 types parmi minuscules, majuscules, chiffres et caractères spéciaux, ou une phrase d'au moins 4 mots et 20 caractères."
	},
	// dict builds a map for passing several values to a partial.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict: nombre impair d'arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, errors.New("dict: clé non textuelle")
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(clock.Paris).Format("02/01/2006")
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(clock.Paris).Format("02/01/2006 à 15h04")
	},
	"isodate": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(clock.Paris).Format(time.RFC3339)
	},
	// km writes a distance the French way: "3,2 km".
	"km": func(d float64) string {
		return strings.Replace(strconv.FormatFloat(d, 'f', 1, 64), ".", ",", 1) + " km"
	},
	// plural writes a count with its noun agreed ("1 poste", "3 postes"; French singular for
	// 0 and 1).
	"plural": plural,
	// auditAction and auditOutcome label the audit trail's codes.
	"auditAction": func(code string) string { l, _ := auditActionLabel(code); return l },
	"auditOutcome": func(code audit.Outcome) string {
		if l, ok := auditOutcomes[string(code)]; ok {
			return l
		}
		return string(code)
	},
	"query": func(kv ...string) template.URL {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				v.Set(kv[i], kv[i+1])
			}
		}
		return template.URL(v.Encode())
	},
}

// view is what every page template receives.
type view struct {
	Title string
	// Description is the page's meta description (pageDescription).
	Description string
	Path        string
	Session     *sessionInfo
	Flash       string
	Demo        bool
	// Errors holds the field messages of a rejected form, by field name, for the fields
	// themselves; ErrorList holds them in the order of the fields on the page, for the summary
	// at the top, which links each to its field (RGAA 11.10, 11.11).
	Errors    fault.Fields
	ErrorList []fieldError
	Data      any
}

// fieldError is one line of a form's error summary. Field is empty for a message about the
// whole form, and for one whose field is not on the page (it is then shown without a link).
type fieldError struct {
	Field   string
	Message string
}

// pageBuffer returns a buffer to render a page into, from those of earlier pages (a search
// page is about 30 KB).
func (s *Server) pageBuffer() *bytes.Buffer {
	if b, ok := s.pageBuffers.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return bytes.NewBuffer(make([]byte, 0, 64<<10))
}

func (s *Server) putPageBuffer(b *bytes.Buffer) {
	if b.Cap() <= 256<<10 { // an exceptional page's buffer is left to the GC
		s.pageBuffers.Put(b)
	}
}

// render writes a page. Pages are buffered so that a template error becomes a clean 500
// page, never half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any, errs fault.Fields) {
	t, ok := s.templates[page]
	if !ok {
		s.log.Error("unknown page template", "page", page)
		s.renderError(w, r, http.StatusInternalServerError)
		return
	}
	v := view{Title: title, Description: pageDescription(page), Path: r.URL.Path, Session: reqInfo(r.Context()).session, Demo: s.cfg.Demo,
		Errors: capitalised(errs), Data: data}
	v.Flash = s.takeFlash(w, r)
	buf := s.pageBuffer()
	defer s.putPageBuffer(buf)
	err := t.ExecuteTemplate(buf, "layout", v)
	if err == nil && len(errs) > 0 {
		// The summary lists the errors in the order of their fields on the page, which only
		// the rendered page knows: render once to find them, then again with the summary.
		v.ErrorList = orderErrors(v.Errors, buf.Bytes())
		buf.Reset()
		err = t.ExecuteTemplate(buf, "layout", v)
	}
	if err != nil {
		s.log.Error("template", "page", page, "err", err)
		s.renderError(w, r, http.StatusInternalServerError)
		return
	}
	body := buf.Bytes()
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages may show personal data: never keep them in a shared or browser cache.
	h.Set("Cache-Control", "no-store")
	// The length lets net/http send the page in one piece rather than in chunks.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// capitalised returns the messages with a capital first letter, as every sentence shown.
// Domain messages are written so; this catches the few that are not.
func capitalised(errs fault.Fields) fault.Fields {
	if errs == nil {
		return nil
	}
	out := make(fault.Fields, len(errs))
	for k, msg := range errs {
		if r, size := utf8.DecodeRuneInString(msg); unicode.IsLower(r) {
			msg = string(unicode.ToUpper(r)) + msg[size:]
		}
		out[k] = msg
	}
	return out
}

// orderErrors sorts the messages by the position of their field (the element with id
// "f-NAME") in page. Messages about the whole form come first, then those whose field is not
// on the page (unlinked), then the fields from top to bottom.
func orderErrors(errs fault.Fields, page []byte) []fieldError {
	type placed struct {
		fieldError
		at int
	}
	list := make([]placed, 0, len(errs))
	for k, msg := range errs {
		at := -1
		if k != "" {
			at = bytes.Index(page, []byte(`id="f-`+k+`"`))
		}
		p := placed{fieldError{Field: k, Message: msg}, at}
		if at < 0 {
			p.Field = ""
		}
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b placed) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	out := make([]fieldError, len(list))
	for i, p := range list {
		out[i] = p.fieldError
	}
	return out
}

type errorPage struct {
	Status  int
	Heading string
	Text    string
}

var errorTexts = map[int]errorPage{
	http.StatusBadRequest:            {Heading: "Requête incorrecte", Text: "La demande envoyée n'a pas pu être comprise. Revenez à la page précédente et réessayez."},
	http.StatusUnauthorized:          {Heading: "Connexion requise", Text: "Connectez-vous pour accéder à cette page."},
	http.StatusForbidden:             {Heading: "Accès refusé", Text: "Vous n'avez pas les droits nécessaires pour accéder à cette page avec l'organisation choisie."},
	http.StatusNotFound:              {Heading: "Page non trouvée", Text: "La page que vous cherchez est introuvable. Vérifiez l'adresse ou revenez à l'accueil."},
	http.StatusMethodNotAllowed:      {Heading: "Action non permise", Text: "Cette adresse n'accepte pas ce type de demande."},
	http.StatusConflict:              {Heading: "Action impossible", Text: "L'action n'est pas possible dans l'état actuel du dossier. Rechargez la page pour voir sa situation à jour."},
	http.StatusRequestEntityTooLarge: {Heading: "Envoi trop volumineux", Text: "Les données envoyées dépassent la taille autorisée (1 Mo)."},
	http.StatusTooManyRequests:       {Heading: "Trop de tentatives", Text: "Trop de demandes en peu de temps. Patientez quelques minutes avant de réessayer."},
	http.StatusInternalServerError:   {Heading: "Erreur inattendue", Text: "Désolé, le service rencontre un problème. L'équipe technique en a été informée ; réessayez plus tard."},
	http.StatusServiceUnavailable:    {Heading: "Service momentanément indisponible", Text: "Le service est temporairement indisponible. Réessayez dans quelques minutes."},
}

// renderError writes an error page. It never shows the underlying error: details go to logs.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int) {
	p, ok := errorTexts[status]
	if !ok {
		p = errorTexts[http.StatusInternalServerError]
	}
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	s.renderErrorPage(w, r, status, p)
}

// renderErrorPage writes an error page with its own wording.
func (s *Server) renderErrorPage(w http.ResponseWriter, r *http.Request, status int, p errorPage) {
	p.Status = status
	t := s.templates["error"]
	var buf bytes.Buffer
	if t == nil || t.ExecuteTemplate(&buf, "layout", view{Title: p.Heading, Description: pageDescription("error"), Path: r.URL.Path,
		Session: reqInfo(r.Context()).session, Demo: s.cfg.Demo, Data: p}) != nil {
		buf.Reset()
		buf.WriteString("<!doctype html><html lang=\"fr\"><title>" + p.Heading + "</title><h1>" + p.Heading + "</h1><p>" + p.Text + "</p></html>")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail answers with the page matching err's kind and logs what is unexpected.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, fault.Unauthenticated):
		s.redirectToLogin(w, r)
	case errors.Is(err, fault.NotFound):
		s.renderError(w, r, http.StatusNotFound)
	case errors.Is(err, fault.Forbidden):
		s.renderError(w, r, http.StatusForbidden)
	case errors.Is(err, fault.Conflict):
		s.renderError(w, r, http.StatusConflict)
	case errors.Is(err, fault.TooMany):
		s.renderError(w, r, http.StatusTooManyRequests)
	case errors.Is(err, fault.Invalid):
		s.renderError(w, r, http.StatusUnprocessableEntity)
	case errors.Is(err, fault.Unavailable), database.IsUnavailable(err):
		s.log.Warn("unavailable", "request_id", RequestID(r.Context()), "route", r.Pattern, "err", err)
		s.renderError(w, r, http.StatusServiceUnavailable)
	default:
		s.log.Error("internal error", "request_id", RequestID(r.Context()), "route", r.Pattern, "err", err)
		s.renderError(w, r, http.StatusInternalServerError)
	}
}

func (s *Server) redirectToLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Path
	if r.Method != http.MethodGet {
		next = ""
	}
	target := "/connexion"
	if next != "" && next != "/" {
		target += "?suite=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// flash messages are codes, not free text, so a crafted cookie cannot inject content.
var flashTexts = map[string]string{
	"logged_out":                      "Vous êtes déconnecté.",
	"password_changed":                "Votre mot de passe a été modifié. Vos autres sessions ont été fermées.",
	"password_reset":                  "Votre mot de passe a été réinitialisé. Vous pouvez vous connecter.",
	"email_verified":                  "Votre adresse e-mail est confirmée. Vous pouvez vous connecter.",
	"profile_saved":                   "Vos informations ont été enregistrées.",
	"session_revoked":                 "La session a été fermée.",
	"mfa_enabled":                     "La double authentification est activée. Conservez vos codes de secours en lieu sûr.",
	"mfa_disabled":                    "La double authentification est désactivée.",
	"terms_accepted":                  "Merci, les conditions d'utilisation sont acceptées.",
	"org_switched":                    "Organisation changée.",
	"org_created":                     "L'organisation est créée et vous en êtes administrateur.",
	"join_requested":                  "Votre demande a été transmise aux administrateurs de l'organisation.",
	"join_decided":                    "La demande a été traitée et son auteur prévenu par e-mail.",
	"invitation_sent":                 "L'invitation a été envoyée. Elle est valable 14 jours.",
	"invitation_revoked":              "L'invitation a été annulée.",
	"invitation_accepted":             "Vous avez rejoint l'organisation.",
	"member_updated":                  "Le membre a été mis à jour et prévenu par e-mail.",
	"member_added":                    "La personne est membre de l'organisation.",
	"structure_saved":                 "La fiche de la structure est enregistrée.",
	"spontaneous_saved":               "Le choix sur les candidatures spontanées est enregistré.",
	"blocking_saved":                  "Le choix sur la réception des candidatures est enregistré.",
	"job_description_saved":           "La fiche de poste est enregistrée.",
	"habilitation_saved":              "La décision d'habilitation est enregistrée ; les membres sont prévenus.",
	"user_updated":                    "Le compte a été mis à jour.",
	"verification_sent":               "Si un compte non confirmé existe pour cette adresse, un nouveau lien vient d'être envoyé.",
	"jobseeker_created":               "Le dossier du candidat est créé.",
	"jobseeker_saved":                 "Le dossier est enregistré.",
	"application_sent":                "La candidature est envoyée : la structure la reçoit dès maintenant.",
	"application_hire_changed":        "L'embauche est modifiée ; le PASS IAE qui n'a pas commencé suit la nouvelle date de début.",
	"application_sent_on":             "La candidature est envoyée à l'autre structure.",
	"application_process":             "La candidature est à l'étude.",
	"application_postpone":            "La candidature est mise en attente ; le candidat est prévenu.",
	"application_add_to_pool":         "La candidature est ajoutée au vivier.",
	"application_refuse":              "La candidature est déclinée ; le candidat et l'émetteur sont prévenus.",
	"application_accept":              "L'embauche est enregistrée ; le candidat et l'émetteur sont prévenus.",
	"application_cancel":              "L'embauche est annulée.",
	"application_transfer":            "La candidature est transférée à votre autre structure.",
	"application_reset":               "La candidature est de nouveau à traiter.",
	"application_archive":             "La candidature est archivée : elle n'apparaît plus dans la liste par défaut.",
	"application_unarchive":           "La candidature est désarchivée.",
	"batch_none_checked":              "Cochez les candidatures sur lesquelles porte l'action.",
	"batch_no_action":                 "Choisissez l'action à appliquer aux candidatures cochées.",
	"prior_action_added":              "L'action préalable à l'embauche est enregistrée.",
	"prior_action_deleted":            "L'action préalable à l'embauche est supprimée.",
	"notifications_saved":             "Vos préférences de notification sont enregistrées.",
	"diagnosis_saved":                 "Le diagnostic d'éligibilité est enregistré.",
	"approval_suspended":              "La suspension est enregistrée : la fin du PASS IAE est reportée d'autant.",
	"approval_suspension_ended":       "La suspension a pris fin.",
	"approval_prolonged":              "La prolongation est enregistrée : la fin du PASS IAE est reportée.",
	"approval_prolongation_requested": "La demande de prolongation est envoyée au prescripteur habilité, qui est prévenu par e-mail.",
	"approval_interrupted":            "Le parcours est interrompu.",
	"approval_delivered":              "Le PASS IAE est délivré.",
	"prolongation_decided":            "Votre décision est enregistrée.",
	"support_opened":                  "L'accompagnement adapté est ouvert.",
	"support_saved":                   "L'accompagnement adapté est enregistré.",
	"support_closed":                  "L'accompagnement adapté est terminé.",
	"jobseeker_erased":                "Le dossier est effacé, avec tout ce qui s'y rattachait ; sa clé de chiffrement est détruite.",
	"support_follower_added":          "L'organisation suit désormais la personne : ses conseillers habilités voient le dossier.",
	"support_follower_ended":          "Le suivi par cette organisation est arrêté : ses conseillers ne voient plus le dossier.",
	"support_follower_left":           "Votre organisation ne suit plus cette personne : son dossier n'est plus dans votre file active.",
	"support_referent":                "Le conseiller référent est modifié.",
	"support_proof_saved":             "Le justificatif est enregistré, chiffré.",
	"support_request_handled":         "La demande de la personne est traitée.",
	"support_emergency":               "Accès d'urgence ouvert pour 4 heures : il sera examiné par l'administrateur de votre organisation.",
	"support_habilitation_saved":      "L'habilitation est enregistrée.",
	"support_reviewed":                "L'accès d'urgence est examiné.",
	"support_asked":                   "Votre demande est transmise à votre conseiller.",
	"support_restricted":              "Votre demande est transmise : le traitement de vos données est limité jusqu'à son examen.",
	"support_document_saved":          "Le document est enregistré, chiffré.",
	"support_document_sent":           "Votre document est transmis à votre conseiller, chiffré.",
	"support_document_deleted":        "Le document est supprimé ; le motif est conservé dans le dossier.",
	"support_plan_saved":              "Le plan d'accompagnement est enregistré : une nouvelle version est créée.",
	"support_plan_unchanged":          "Le plan d'accompagnement n'a pas changé : aucune nouvelle version.",
	"support_plan_acknowledged":       "La prise de connaissance du plan est enregistrée.",
	"support_plan_acknowledged_mine":  "Merci : votre prise de connaissance du plan est enregistrée.",
}

const flashCookie = "parcours_flash"

func (s *Server) setFlash(w http.ResponseWriter, code string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: code, Path: "/", MaxAge: 60, HttpOnly: true,
		Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
}

func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
	return flashTexts[c.Value]
}

// redirect sends the browser to target after a successful POST (303: the next request is a GET).
func redirect(w http.ResponseWriter, r *http.Request, target string) {
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// renderFragment writes a partial template alone (what parcours.js puts into a page).
func (s *Server) renderFragment(w http.ResponseWriter, r *http.Request, name string, data any) {
	t := s.templates["home"]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("fragment", "name", name, "err", err)
		s.renderError(w, r, http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(buf.Bytes())
}

var urlRE = regexp.MustCompile(`https?://[^\s<>"]+`)

// linkifier makes the platform's own links in a plain-text e-mail clickable and escapes the
// rest; links elsewhere stay text.
func linkifier(base string) func(string) template.HTML {
	return func(text string) template.HTML {
		var b strings.Builder
		last := 0
		for _, m := range urlRE.FindAllStringIndex(text, -1) {
			b.WriteString(template.HTMLEscapeString(text[last:m[0]]))
			u := text[m[0]:m[1]]
			if strings.HasPrefix(u, base+"/") {
				b.WriteString(`<a href="` + template.HTMLEscapeString(u) + `">` + template.HTMLEscapeString(u) + `</a>`)
			} else {
				b.WriteString(template.HTMLEscapeString(u))
			}
			last = m[1]
		}
		b.WriteString(template.HTMLEscapeString(text[last:]))
		return template.HTML(b.String())
	}
}
