package support

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/fault"
)

// Title is the employment-obligation title (category 5 of D5312-51, with its document): its
// BOETH category, the date of the decision and the end of its validity, or no time limit.
type Title struct {
	Category   string
	DecidedOn  database.Date
	ValidUntil database.Date
	// Unlimited is a title granted "sans limitation de durée" (RQTH since 2020 when the
	// disability cannot improve).
	Unlimited bool
}

// CategoryLabel is the French name of the title's category.
func (t Title) CategoryLabel() string { return BOETHLabel(t.Category) }

// Health is what D5312-51 allows besides the title: nothing else is ever stored. Comments are
// free text the forms restrict to what the support needs: never a diagnosis or a treatment.
type Health struct {
	// Category 1: type and origin of the disability.
	DisabilityTypes   []string `json:"types,omitempty"`
	DisabilityOrigins []string `json:"origins,omitempty"`
	DisabilityComment string   `json:"disability_comment,omitempty"`
	// Category 2: compensation needs (CASF L114-1-1).
	Compensation        []string `json:"compensation,omitempty"`
	CompensationComment string   `json:"compensation_comment,omitempty"`
	// Category 3: needs linked to recovery ("rétablissement"), including lifestyle habits and
	// social interactions.
	Recovery string `json:"recovery,omitempty"`
	// Category 4: capacity limitations.
	Limitations        []string `json:"limitations,omitempty"`
	LimitationsComment string   `json:"limitations_comment,omitempty"`
}

// Empty tells whether nothing was recorded.
func (h Health) Empty() bool {
	return len(h.DisabilityTypes)+len(h.DisabilityOrigins)+len(h.Compensation)+len(h.Limitations) == 0 &&
		h.DisabilityComment == "" && h.CompensationComment == "" && h.Recovery == "" && h.LimitationsComment == ""
}

// Labels of the structured answers, for pages.
func (h Health) TypeLabels() []string         { return Labels(DisabilityTypes, h.DisabilityTypes) }
func (h Health) OriginLabels() []string       { return Labels(DisabilityOrigins, h.DisabilityOrigins) }
func (h Health) CompensationLabels() []string { return Labels(CompensationNeeds, h.Compensation) }
func (h Health) LimitationLabels() []string   { return Labels(Limitations, h.Limitations) }

// Input is what the record form sends.
type Input struct {
	StartedOn      database.Date
	RegisteredOn   database.Date
	DeregisteredOn database.Date
	Title          Title
	Health         Health
}

// maxComment bounds each free-text field.
const maxComment = 1000

// Validate checks the form against today and returns the field errors in French.
func (in *Input) Validate(today database.Date) error {
	f := fault.Fields{}
	if in.StartedOn.IsZero() {
		f.Add("started_on", "Indiquez la date de début de l'accompagnement.")
	} else if in.StartedOn.After(today) {
		f.Add("started_on", "La date de début ne peut pas être dans le futur.")
	}
	if !in.DeregisteredOn.IsZero() && !in.RegisteredOn.IsZero() && in.DeregisteredOn.Before(in.RegisteredOn) {
		f.Add("deregistered_on", "La radiation ne peut pas précéder l'inscription.")
	}
	if !in.RegisteredOn.IsZero() && in.RegisteredOn.After(today) {
		f.Add("registered_on", "La date d'inscription ne peut pas être dans le futur.")
	}
	t := &in.Title
	switch {
	case t.Category == "":
		if !t.DecidedOn.IsZero() || !t.ValidUntil.IsZero() || t.Unlimited {
			f.Add("boeth_category", "Choisissez la catégorie du titre.")
		}
	case !known(BOETHCategories, t.Category):
		f.Add("boeth_category", "Catégorie de titre inconnue.")
	default:
		if t.DecidedOn.IsZero() {
			f.Add("boeth_decided_on", "Indiquez la date de la décision.")
		} else if t.DecidedOn.After(today) {
			f.Add("boeth_decided_on", "La date de décision ne peut pas être dans le futur.")
		}
		switch {
		case t.Unlimited && !t.ValidUntil.IsZero():
			f.Add("boeth_valid_until", "Une fin de validité et « sans limitation de durée » s'excluent.")
		case !t.Unlimited && t.ValidUntil.IsZero():
			f.Add("boeth_valid_until", "Indiquez la fin de validité, ou cochez « sans limitation de durée ».")
		case !t.ValidUntil.IsZero() && !t.DecidedOn.IsZero() && t.ValidUntil.Before(t.DecidedOn):
			f.Add("boeth_valid_until", "La fin de validité ne peut pas précéder la décision.")
		}
	}
	h := &in.Health
	for field, list := range map[string]struct {
		codes []string
		opts  []Option
	}{"types": {h.DisabilityTypes, DisabilityTypes}, "origins": {h.DisabilityOrigins, DisabilityOrigins},
		"compensation": {h.Compensation, CompensationNeeds}, "limitations": {h.Limitations, Limitations}} {
		for _, c := range list.codes {
			if !known(list.opts, c) {
				f.Add(field, "Choix inconnu.")
			}
		}
	}
	for field, text := range map[string]*string{"disability_comment": &h.DisabilityComment, "compensation_comment": &h.CompensationComment,
		"recovery": &h.Recovery, "limitations_comment": &h.LimitationsComment} {
		*text = strings.TrimSpace(*text)
		if utf8.RuneCountInString(*text) > maxComment {
			f.Add(field, fmt.Sprintf("%d caractères au plus.", maxComment))
		}
	}
	return f.Err()
}

// Record is a person's support record, opened for a reader allowed to see it.
type Record struct {
	ID       uuid.UUID
	PersonID uuid.UUID
	// PersonName and BirthDate identify the person on the record's pages.
	PersonName     string
	BirthDate      database.Date
	StartedOn      database.Date
	EndedOn        database.Date
	ClosingReason  string
	RegisteredOn   database.Date
	DeregisteredOn database.Date
	Title          Title
	Health         Health
	// ProofFile is the title's document (uuid.Nil when none was sent).
	ProofFile uuid.UUID
	// PurgeOn is when the health data and documents are purged (zero: no deadline yet).
	PurgeOn        database.Date
	LitigationHold bool
	// RestrictedAt is when the person asked for the restriction of processing (zero: none).
	// While it holds, nothing changes and advisors do not see the health data.
	RestrictedAt time.Time
	Caseload     []Follower
	Requests     []Request
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Withheld tells that the health data were not opened for this reader (restriction).
	Withheld bool
	// Emergency tells that the reader reads under an emergency access.
	Emergency bool
}

// Open tells whether the support is running.
func (r Record) Open() bool { return r.EndedOn.IsZero() }

// Restricted tells whether the person asked for the restriction of processing.
func (r Record) Restricted() bool { return !r.RestrictedAt.IsZero() }

// ClosingLabel is the French reason of the end.
func (r Record) ClosingLabel() string { return ClosingLabel(r.ClosingReason) }

// Follower is an organisation of the caseload.
type Follower struct {
	OrgID        uuid.UUID
	OrgName      string
	OrgKind      string
	ReferentName string
	StartedOn    database.Date
	EndedOn      database.Date
}

// Request is a rectification or restriction request of the person.
type Request struct {
	ID        uuid.UUID
	Kind      string
	Message   string
	CreatedAt time.Time
	HandledAt time.Time
}

// KindLabel is the French name of the request.
func (r Request) KindLabel() string {
	if r.Kind == RequestRestriction {
		return "Limitation du traitement"
	}
	return "Rectification"
}

// The kinds of request.
const (
	RequestRectification = "rectification"
	RequestRestriction   = "restriction"
)

// sealedTitle is what the title column holds.
type sealedTitle struct {
	Category   string `json:"category,omitempty"`
	DecidedOn  string `json:"decided_on,omitempty"`
	ValidUntil string `json:"valid_until,omitempty"`
	Unlimited  bool   `json:"unlimited,omitempty"`
}

func dateString(d database.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func parseDate(s string) (database.Date, error) {
	if s == "" {
		return database.Date{}, nil
	}
	return database.ParseDate(s)
}

func marshalTitle(t Title) ([]byte, error) {
	return json.Marshal(sealedTitle{Category: t.Category, DecidedOn: dateString(t.DecidedOn), ValidUntil: dateString(t.ValidUntil), Unlimited: t.Unlimited})
}

func unmarshalTitle(b []byte) (Title, error) {
	var st sealedTitle
	if err := json.Unmarshal(b, &st); err != nil {
		return Title{}, fmt.Errorf("titre illisible : %w", err)
	}
	t := Title{Category: st.Category, Unlimited: st.Unlimited}
	var err error
	if t.DecidedOn, err = parseDate(st.DecidedOn); err != nil {
		return Title{}, err
	}
	if t.ValidUntil, err = parseDate(st.ValidUntil); err != nil {
		return Title{}, err
	}
	return t, nil
}
