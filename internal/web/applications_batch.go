package web

import (
	"net/http"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/org"
)

// batchAction is an action of the received list on the applications checked.
type batchAction struct {
	// Button is the verb on the list's button; Done the participle of the result, plural.
	Button, One, Many string
	// Details: the action needs a second step (a refusal's reason and messages, a transfer's
	// target).
	Details bool
}

var batchActions = map[string]batchAction{
	"process":     {"Mettre à l'étude", "candidature mise à l'étude", "candidatures mises à l'étude", false},
	"postpone":    {"Mettre en attente", "candidature mise en attente", "candidatures mises en attente", false},
	"add_to_pool": {"Ajouter au vivier", "candidature ajoutée au vivier", "candidatures ajoutées au vivier", false},
	"refuse":      {"Décliner", "candidature déclinée", "candidatures déclinées", true},
	"transfer":    {"Transférer", "candidature transférée", "candidatures transférées", true},
	"archive":     {"Archiver", "candidature archivée", "candidatures archivées", false},
	"unarchive":   {"Désarchiver", "candidature désarchivée", "candidatures désarchivées", false},
}

// batchOrder is the order of the actions in the list's menu.
var batchOrder = []string{"process", "postpone", "add_to_pool", "refuse", "transfer", "archive", "unarchive"}

// batchView is the second step of a batch action (its details), or its result.
type batchView struct {
	Action    string
	Verb      batchAction
	IDs       []string
	Count     string
	Reasons   []option
	Transfers []option
	Form      form
	// The result.
	Finished bool
	Done     string
	Skipped  []application.Skipped
}

func batchOptions() []option {
	out := make([]option, 0, len(batchOrder))
	for _, a := range batchOrder {
		out = append(out, option{Value: a, Label: batchActions[a].Button})
	}
	return out
}

// applicationsBatch runs an action on the applications checked in the received list. Actions
// that need details (refusal, transfer) show a second step first; the result page says what
// moved and what was left, with the reason.
func (s *Server) applicationsBatch(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	a := actor(r)
	if a.Kind != access.Professional || a.Role != access.Employer {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	f := formOf(r, "action", "reason", "answer", "answer_to_sender", "target", "retour")
	f["reason_shared"] = r.PostFormValue("reason_shared")
	verb, ok := batchActions[f["action"]]
	if !ok {
		s.setFlash(w, "batch_no_action")
		redirect(w, r, "/candidatures")
		return
	}
	var ids []uuid.UUID
	v := batchView{Action: f["action"], Verb: verb, Form: f}
	for _, raw := range r.PostForm["ids"] {
		if id, err := uuid.Parse(raw); err == nil {
			ids = append(ids, id)
			v.IDs = append(v.IDs, id.String())
		}
	}
	if len(ids) == 0 {
		s.setFlash(w, "batch_none_checked")
		redirect(w, r, "/candidatures")
		return
	}
	v.Count = plural(len(ids), "candidature", "candidatures")
	if verb.Details && r.PostFormValue("confirmer") == "" {
		s.renderBatchDetails(w, r, http.StatusOK, v, nil)
		return
	}
	var res application.Batch
	var err error
	switch v.Action {
	case "archive", "unarchive":
		res, err = s.applications.Archive(r.Context(), a, ids, v.Action == "archive")
	default:
		d := application.Decision{Reason: application.RefusalReason(f["reason"]), Answer: f["answer"], AnswerToSender: f["answer_to_sender"],
			ReasonShared: f["reason_shared"] == "on"}
		if target, perr := uuid.Parse(f["target"]); perr == nil {
			d.Target = target
		}
		res, err = s.applications.DecideMany(r.Context(), a, ids, application.Transition(v.Action), d)
	}
	if fields := fault.FieldsOf(err); fields != nil && verb.Details {
		s.renderBatchDetails(w, r, http.StatusUnprocessableEntity, v, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(res.Done) == 0 && len(res.Skipped) == len(ids) && allUnknown(res.Skipped) {
		// None of them is the actor's structure's: say nothing more about them.
		s.notFound(w, r)
		return
	}
	if f["retour"] == "fiche" && len(ids) == 1 && len(res.Done) == 1 {
		s.setFlash(w, "application_"+v.Action)
		redirect(w, r, "/candidatures/"+ids[0].String())
		return
	}
	v.Finished, v.Skipped = true, res.Skipped
	v.Done = plural(len(res.Done), verb.One, verb.Many)
	s.render(w, r, http.StatusOK, "applications_batch", "Action groupée — "+verb.Button, v, nil)
}

// allUnknown tells whether every skipped application was one the actor may not see.
func allUnknown(sk []application.Skipped) bool {
	for _, s := range sk {
		if s.Name != "" {
			return false
		}
	}
	return true
}

func (s *Server) renderBatchDetails(w http.ResponseWriter, r *http.Request, status int, v batchView, errs fault.Fields) {
	a := actor(r)
	switch v.Action {
	case "refuse":
		kind := ""
		if page, err := s.offer.Structure(r.Context(), a, a.OrgID); err == nil {
			kind = page.Structure.Kind
		}
		for _, reason := range application.RefusalReasons(kind) {
			v.Reasons = append(v.Reasons, option{Value: string(reason), Label: reason.Label()})
		}
	case "transfer":
		if si := session(r); si != nil {
			for _, m := range si.Orgs {
				if m.Org.ID != a.OrgID && (m.Org.Category == org.SIAE || m.Org.Category == org.GEIQ) {
					v.Transfers = append(v.Transfers, option{Value: m.Org.ID.String(), Label: m.Org.Name})
				}
			}
		}
	}
	s.render(w, r, status, "applications_batch", v.Verb.Button+" "+v.Count, v, errs)
}

// priorActionAdd records a GEIQ's action before hiring, from the application page.
func (s *Server) priorActionAdd(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "prior_kind", "prior_start", "prior_end")
	p := application.PriorAction{Kind: application.PriorKind(f["prior_kind"])}
	errs := fault.Fields{}
	for name, into := range map[string]*database.Date{"prior_start": &p.Start, "prior_end": &p.End} {
		if f[name] == "" {
			continue
		}
		d, err := database.ParseDate(f[name])
		if err != nil {
			errs[name] = "Saisissez une date valide, par exemple 15/03/2027."
		}
		*into = d
	}
	if len(errs) == 0 {
		_, err := s.applications.AddPriorAction(r.Context(), actor(r), id, p)
		if fields := fault.FieldsOf(err); fields != nil {
			errs = fields
		} else if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if len(errs) > 0 {
		s.renderApplication(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	s.setFlash(w, "prior_action_added")
	redirect(w, r, "/candidatures/"+id.String())
}

// priorActionDelete removes a GEIQ's action before hiring.
func (s *Server) priorActionDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	action, ok2 := pathID(r, "action")
	if !ok || !ok2 {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	if err := s.applications.DeletePriorAction(r.Context(), actor(r), id, action); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "prior_action_deleted")
	redirect(w, r, "/candidatures/"+id.String())
}
