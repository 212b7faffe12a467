package notify

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"parcours/internal/clock"
)

// Kind names a message kind; each has a pair of templates, templates/KIND.txt.tmpl (defining
// "subject" and "body") and templates/KIND.html.tmpl (defining "content").
type Kind string

// The message kinds. The data each expects is the struct of the same name below.
const (
	KindVerifyEmail          Kind = "verify_email"
	KindPasswordReset        Kind = "password_reset"
	KindPasswordChanged      Kind = "password_changed"
	KindInvitation           Kind = "invitation"
	KindJoinRequest          Kind = "join_request"
	KindJoinDecision         Kind = "join_decision"
	KindHabilitationDecision Kind = "habilitation_decision"
	KindMembershipChanged    Kind = "membership_changed"
	KindInactivityWarning    Kind = "inactivity_warning"
	KindAccountDeleted       Kind = "account_deleted"
	KindAccountExists        Kind = "account_exists"
	KindMFAChanged           Kind = "mfa_changed"

	KindSpontaneousClosed          Kind = "spontaneous_closed"
	KindJobDescriptionsStale       Kind = "job_descriptions_stale"
	KindJobDescriptionsDeactivated Kind = "job_descriptions_deactivated"
	KindAccountActivation          Kind = "account_activation"
	KindApplicationUpdate          Kind = "application_update"
	KindApplicationReceived        Kind = "application_received"
	KindProlongationRequest        Kind = "prolongation_request"
	KindSupportPlanOverdue         Kind = "support_plan_overdue"
)

// Kinds lists every message kind.
func Kinds() []Kind {
	return []Kind{KindVerifyEmail, KindPasswordReset, KindPasswordChanged, KindInvitation, KindJoinRequest,
		KindJoinDecision, KindHabilitationDecision, KindMembershipChanged, KindInactivityWarning,
		KindAccountDeleted, KindMFAChanged, KindAccountExists,
		KindSpontaneousClosed, KindJobDescriptionsStale, KindJobDescriptionsDeactivated, KindAccountActivation,
		KindApplicationUpdate, KindApplicationReceived, KindProlongationRequest,
		KindSupportPlanOverdue}
}

// Data of each kind. Links are absolute URLs (rendering refuses others). Dates may be given as
// time.Time (shown in Paris time, in French) or as already formatted strings.
type (
	// VerifyEmail asks a new user to confirm their address.
	VerifyEmail struct{ FirstName, Link, ExpiresIn string }
	// PasswordReset carries a reset link; ExpiresIn reads like "1 heure".
	PasswordReset struct{ FirstName, Link, ExpiresIn string }
	// ApplicationUpdate tells the person or the sender what became of an application: one
	// paragraph per fact (the decision, the structure's message, the reason when shared).
	// Count is how many applications a grouped message is about (0 or 1: one); Structure is
	// empty when they went to several structures.
	ApplicationUpdate struct {
		FirstName, Structure, Link string
		Paragraphs                 []string
		Count                      int
	}
	// ApplicationReceived tells a member of a structure that an application arrived; it
	// names no one: the person's name is read on the platform, through the link.
	ApplicationReceived struct {
		FirstName, Structure, Link string
		Spontaneous                bool
	}
	// ProlongationRequest asks an authorised prescriber's members to decide on a PASS IAE
	// prolongation a structure requested (Reminder: a reminder of a request still pending). It
	// names no one: the person is read on the platform, through the link.
	ProlongationRequest struct {
		FirstName, Structure, Link string
		Reminder                   bool
	}
	// SupportPlanOverdue reminds the referent advisor of an adapted support that an action or a
	// review of a plan is overdue (Review: a review). It names no one and says nothing of the
	// plan: the advisor reads it on the platform, through the link to their caseload.
	SupportPlanOverdue struct {
		FirstName, Link string
		Review          bool
	}
	// AccountActivation invites a person whose file a professional created to take their
	// account over, by choosing a password.
	AccountActivation struct{ FirstName, CreatorName, OrganisationName, Link, ExpiresIn string }
	// PasswordChanged warns that the password changed.
	PasswordChanged struct {
		FirstName string
		When      time.Time
	}
	// Invitation invites someone into an organisation.
	Invitation struct {
		InviterName, OrganisationName, Link string
		ExpiresOn                           time.Time
	}
	// JoinRequest tells an organisation's admins that someone asks to join.
	JoinRequest struct{ RequesterName, OrganisationName, Link string }
	// JoinDecision answers a join request; Reason is optional.
	JoinDecision struct {
		Accepted                 bool
		OrganisationName, Reason string
	}
	// HabilitationDecision announces a decision on an organisation's habilitation; Status is the
	// label shown ("habilitée", "refusée"…), Reason is optional.
	HabilitationDecision struct{ OrganisationName, Status, Reason string }
	// MembershipChanged tells a member what changed ("désactivé", "admin accordé", "admin retiré").
	MembershipChanged struct{ OrganisationName, Change string }
	// InactivityWarning announces the deletion of an unused account.
	InactivityWarning struct {
		FirstName    string
		DeletionDate time.Time
		LoginLink    string
	}
	// AccountDeleted confirms an account's deletion.
	AccountDeleted struct{ FirstName string }
	// AccountExists answers a sign-up with an address that already has an account: the owner
	// learns it, the person signing up sees the same page as for a new address.
	AccountExists struct{ FirstName, LoginLink, ResetLink string }
	// MFAChanged tells what changed in two-factor authentication.
	MFAChanged struct{ FirstName, Change string }
	// SpontaneousClosed tells a structure's admins that its spontaneous applications closed
	// automatically after 90 days; Link is the page where they can reopen them.
	SpontaneousClosed struct {
		FirstName, StructureName, Link string
		OpenedOn                       time.Time
	}
	// JobDescriptionsStale warns a structure's admins that job descriptions not updated for 60
	// days will be deactivated; Link is the employer's list of job descriptions.
	JobDescriptionsStale struct {
		FirstName, StructureName, Link string
		JobDescriptions                []JobDescriptionNotice
	}
	// JobDescriptionsDeactivated tells a structure's admins which job descriptions were
	// deactivated for lack of update.
	JobDescriptionsDeactivated struct {
		FirstName, StructureName, Link string
		JobDescriptions                []JobDescriptionNotice
	}
)

// JobDescriptionNotice names a job description in a message; DeactivatesOn is set in warnings.
type JobDescriptionNotice struct {
	Title         string
	DeactivatesOn time.Time
}

//go:embed templates/*.tmpl
var templateFS embed.FS

// Rendered is a message ready to be stored.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

type kindTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// page is what the layouts receive.
type page struct {
	Subject string
	Data    any
}

// Parsing is memoised: the templates are constants of the binary, so this cache holds no state
// that could differ between calls.
var parsedTemplates = sync.OnceValues(parseTemplates)

func parseTemplates() (map[Kind]kindTemplates, error) {
	out := map[Kind]kindTemplates{}
	for _, k := range Kinds() {
		tt, err := texttemplate.New("layout.txt.tmpl").Funcs(texttemplate.FuncMap(funcs())).Option("missingkey=error").
			ParseFS(templateFS, "templates/layout.txt.tmpl", "templates/"+string(k)+".txt.tmpl")
		if err != nil {
			return nil, fmt.Errorf("modèle %s (texte) : %w", k, err)
		}
		ht, err := htmltemplate.New("layout.html.tmpl").Funcs(htmltemplate.FuncMap(funcs())).Option("missingkey=error").
			ParseFS(templateFS, "templates/layout.html.tmpl", "templates/"+string(k)+".html.tmpl")
		if err != nil {
			return nil, fmt.Errorf("modèle %s (HTML) : %w", k, err)
		}
		if tt.Lookup("subject") == nil || tt.Lookup("body") == nil || ht.Lookup("content") == nil {
			return nil, fmt.Errorf("modèle %s : « subject », « body » ou « content » manquant", k)
		}
		out[k] = kindTemplates{text: tt, html: ht}
	}
	return out, nil
}

// ErrUnknownKind is returned for a kind without templates.
var ErrUnknownKind = errors.New("type de message inconnu")

// Render renders a message of the given kind. Missing fields, relative links and unknown kinds
// are errors, so a broken message fails the caller's transaction instead of reaching someone.
func Render(kind Kind, data any) (Rendered, error) {
	all, err := parsedTemplates()
	if err != nil {
		return Rendered{}, err
	}
	t, ok := all[kind]
	if !ok {
		return Rendered{}, fmt.Errorf("%w : %q", ErrUnknownKind, kind)
	}
	var b bytes.Buffer
	if err := t.text.ExecuteTemplate(&b, "subject", data); err != nil {
		return Rendered{}, fmt.Errorf("message %s : objet : %w", kind, err)
	}
	// Collapsing whitespace also removes any line break user data could smuggle into a header.
	subject := strings.Join(strings.Fields(b.String()), " ")
	p := page{Subject: subject, Data: data}
	b.Reset()
	if err := t.text.Execute(&b, p); err != nil {
		return Rendered{}, fmt.Errorf("message %s : texte : %w", kind, err)
	}
	text := b.String()
	b.Reset()
	if err := t.html.Execute(&b, p); err != nil {
		return Rendered{}, fmt.Errorf("message %s : HTML : %w", kind, err)
	}
	return Rendered{Subject: subject, Text: text, HTML: b.String()}, nil
}

type buttonData struct{ URL, Label string }

func funcs() map[string]any {
	return map[string]any{
		"link":     absoluteLink,
		"date":     frenchDate,
		"datetime": frenchDateTime,
		"button":   func(url, label string) buttonData { return buttonData{URL: url, Label: label} },
	}
}

// absoluteLink accepts only absolute http(s) URLs: a relative link in an e-mail goes nowhere.
func absoluteLink(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("lien : chaîne attendue, %T reçu", v)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("lien : URL absolue http(s) attendue")
	}
	return s, nil
}

func frenchDate(v any) (string, error) {
	switch d := v.(type) {
	case string:
		return d, nil
	case time.Time:
		if d.IsZero() {
			return "", errors.New("date absente")
		}
		p := d.In(clock.Paris)
		return fmt.Sprintf("%s %s %d", dayOfMonth(p.Day()), monthName(p.Month()), p.Year()), nil
	default:
		return "", fmt.Errorf("date : time.Time ou chaîne attendue, %T reçu", v)
	}
}

func frenchDateTime(v any) (string, error) {
	t, ok := v.(time.Time)
	if !ok {
		return frenchDate(v)
	}
	date, err := frenchDate(t)
	if err != nil {
		return "", err
	}
	p := t.In(clock.Paris)
	return fmt.Sprintf("%s à %d h %02d", date, p.Hour(), p.Minute()), nil
}

func dayOfMonth(d int) string {
	if d == 1 {
		return "1er"
	}
	return fmt.Sprint(d)
}

func monthName(m time.Month) string {
	names := [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
		"septembre", "octobre", "novembre", "décembre"}
	return names[m-1]
}
