package web

import (
	"errors"
	"maps"
	"net/http"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/fault"
	"parcours/internal/support"
)

// Aids and services of the adapted support (package support, aid*.go): the person's aids for
// the habilitated advisors of the caseload (request, instruction, decision by a second person,
// letters), the organisation's payments (SEPA batches, funders' ledger), the person's own aids,
// and the aid files addressed to an AGEFIPH or FIPHFP agent. The service decides and records
// every read and change; the pages only render what it returns.
func (s *Server) registerSupportAidRoutes() {
	s.handle("GET /candidats/{id}/accompagnement/aides", gateUser, s.aidsPage)
	s.handle("POST /candidats/{id}/accompagnement/aides", gateUser, s.aidRequest)
	s.handle("POST /candidats/{id}/accompagnement/aides/{aid}/instruction", gateUser, s.aidInstruct)
	s.handle("POST /candidats/{id}/accompagnement/aides/{aid}/decision", gateUser, s.aidDecide)
	s.handle("POST /candidats/{id}/accompagnement/aides/{aid}/annulation", gateUser, s.aidCancel)
	s.handle("GET /candidats/{id}/accompagnement/aides/{aid}/lettre", gateUser, s.aidLetter)
	s.handle("GET /accompagnement/paiements", gateUser, s.aidPayments)
	s.handle("POST /accompagnement/paiements", gateUser, s.aidExport)
	s.handle("GET /accompagnement/paiements/{batch}/fichier", gateUser, s.aidBatchFile)
	s.handle("POST /accompagnement/paiements/{batch}/paye", gateUser, s.aidBatchPaid)
	s.handle("GET /accompagnement/aides-financeur", gateUser, s.aidFunderFiles)
	s.handle("GET /mon-accompagnement/aides", gateUser, s.aidsMine)
	s.handle("GET /mon-accompagnement/aides/{aid}/lettre", gateUser, s.aidMyLetter)
}

func init() {
	// aidEuros writes an amount in cents the French way: "1 234,50".
	funcs["aidEuros"] = support.Euros
	maps.Copy(flashTexts, map[string]string{
		"aid_requested":  "La demande d'aide est enregistrée ; elle attend son instruction.",
		"aid_instructed": "L'instruction est enregistrée ; la décision revient à un autre conseiller habilité.",
		"aid_granted":    "L'aide est accordée ; la lettre de décision est disponible.",
		"aid_refused":    "L'aide est refusée ; la lettre de décision est disponible.",
		"aid_cancelled":  "L'aide est annulée.",
		"aid_exported":   "Le lot de virements est créé : téléchargez son fichier SEPA et transmettez-le à la banque.",
		"aid_nothing":    "Aucune aide accordée n'attend de paiement pour ce financeur.",
		"aid_paid":       "Le lot est marqué payé ; les aides sont payées.",
	})
}

type aidsView struct {
	PersonID  uuid.UUID
	Aids      support.PersonAids
	Catalogue []support.FunderAids
	Cat       *support.Catalogue
	Form      form
	// Failed is the aid whose instruction or decision form was rejected.
	Failed uuid.UUID
	Me     uuid.UUID
}

func (s *Server) aidsPage(w http.ResponseWriter, r *http.Request) {
	s.renderAids(w, r, http.StatusOK, nil, uuid.Nil, nil)
}

func (s *Server) renderAids(w http.ResponseWriter, r *http.Request, status int, f form, failed uuid.UUID, errs fault.Fields) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a := actor(r)
	if a.Kind != access.Professional {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	aids, err := s.support.PersonAids(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cat, err := support.Aids()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if f == nil {
		f = form{}
	}
	s.render(w, r, status, "support_aids", "Aides et services", aidsView{PersonID: id, Aids: aids, Catalogue: cat.ByFunder(), Cat: cat, Form: f,
		Failed: failed, Me: a.UserID}, errs)
}

// aidDone answers a change of the aids page: the form again with its errors, or the page
// with a flash.
func (s *Server) aidDone(w http.ResponseWriter, r *http.Request, id uuid.UUID, f form, failed uuid.UUID, err error, flash string) {
	if fields := fault.FieldsOf(err); fields != nil {
		s.renderAids(w, r, http.StatusUnprocessableEntity, f, failed, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, flash)
	redirect(w, r, "/candidats/"+id.String()+"/accompagnement/aides")
}

// aidEuros reads an amount field; a value that does not parse is a field error.
func aidEuros(f form, name string, errs fault.Fields) int64 {
	if f[name] == "" {
		return 0
	}
	c, ok := support.ParseEuros(f[name])
	if !ok {
		errs.Add(name, "Montant invalide : écrivez-le en euros, par exemple 1 250,50.")
	}
	return c
}

func (s *Server) aidRequest(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok || !s.parseForm(w, r) {
		if !ok {
			s.notFound(w, r)
		}
		return
	}
	f := formOf(r, "aid_code", "amount", "justification", "holder", "iban", "bic")
	errs := fault.Fields{}
	in := support.AidInput{Code: f["aid_code"], Cents: aidEuros(f, "amount", errs), Justification: f["justification"],
		Bank: support.Bank{Holder: f["holder"], IBAN: f["iban"], BIC: f["bic"]}}
	if len(errs) > 0 {
		// The other fields are checked too, so that every error shows at once.
		cat, err := support.Aids()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in.Cents = 1
		for k, v := range fault.FieldsOf(in.Validate(cat)) {
			if k != "amount" {
				errs[k] = v
			}
		}
		s.renderAids(w, r, http.StatusUnprocessableEntity, f, uuid.Nil, errs)
		return
	}
	_, err := s.support.RequestAid(r.Context(), actor(r), id, in)
	s.aidDone(w, r, id, f, uuid.Nil, err, "aid_requested")
}

// aidPath reads the person and the aid of an aid's path, answering 404 when either is not an id.
func (s *Server) aidPath(w http.ResponseWriter, r *http.Request) (person, aid uuid.UUID, ok bool) {
	person, ok1 := pathID(r, "id")
	aid, ok2 := pathID(r, "aid")
	if !ok1 || !ok2 {
		s.notFound(w, r)
		return uuid.Nil, uuid.Nil, false
	}
	return person, aid, true
}

func (s *Server) aidInstruct(w http.ResponseWriter, r *http.Request) {
	id, aid, ok := s.aidPath(w, r)
	if !ok || !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "complete", "proposed", "note")
	errs := fault.Fields{}
	in := support.Instruction{Complete: f["complete"] == "oui", Cents: aidEuros(f, "proposed", errs), Note: f["note"]}
	if f["complete"] != "oui" && f["complete"] != "non" {
		errs.Add("complete", "Indiquez si le dossier est complet.")
	}
	var err error = errs.Err()
	if err == nil {
		err = s.support.InstructAid(r.Context(), actor(r), id, aid, in)
	}
	s.aidDone(w, r, id, f, aid, err, "aid_instructed")
}

func (s *Server) aidDecide(w http.ResponseWriter, r *http.Request) {
	id, aid, ok := s.aidPath(w, r)
	if !ok || !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "decision", "granted", "reason")
	errs := fault.Fields{}
	cents := aidEuros(f, "granted", errs)
	if f["decision"] != "accorder" && f["decision"] != "refuser" {
		errs.Add("decision", "Choisissez d'accorder ou de refuser l'aide.")
	}
	var err error = errs.Err()
	if err == nil {
		err = s.support.DecideAid(r.Context(), actor(r), id, aid, f["decision"] == "accorder", cents, f["reason"])
	}
	flash := "aid_refused"
	if f["decision"] == "accorder" {
		flash = "aid_granted"
	}
	s.aidDone(w, r, id, f, aid, err, flash)
}

func (s *Server) aidCancel(w http.ResponseWriter, r *http.Request) {
	id, aid, ok := s.aidPath(w, r)
	if !ok || !s.parseForm(w, r) {
		return
	}
	s.aidDone(w, r, id, nil, aid, s.support.CancelAid(r.Context(), actor(r), id, aid), "aid_cancelled")
}

func (s *Server) aidLetter(w http.ResponseWriter, r *http.Request) {
	id, aid, ok := s.aidPath(w, r)
	if !ok {
		return
	}
	pdf, name, err := s.support.DecisionLetter(r.Context(), actor(r), id, aid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeAttachment(w, r, "application/pdf", name, pdf)
}

type aidPaymentsView struct {
	Payment support.Payment
	Ledgers []support.FunderLedger
	Funders []support.Option
	// Waiting counts the aids waiting per funder.
	Waiting map[string]int
}

func (s *Server) aidPayments(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	pay, err := s.support.Payments(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ledgers, err := s.support.FunderLedgers(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := aidPaymentsView{Payment: pay, Ledgers: ledgers, Funders: support.Funders, Waiting: map[string]int{}}
	for _, p := range pay.Waiting {
		v.Waiting[p.Aid.Funder]++
	}
	s.render(w, r, http.StatusOK, "support_aid_payments", "Paiement des aides", v, nil)
}

func (s *Server) aidExport(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	_, _, err := s.support.ExportBatch(r.Context(), actor(r), r.PostFormValue("funder"))
	switch {
	case errors.Is(err, support.ErrNothingToPay):
		s.setFlash(w, "aid_nothing")
	case fault.FieldsOf(err) != nil:
		s.renderError(w, r, http.StatusUnprocessableEntity)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	default:
		s.setFlash(w, "aid_exported")
	}
	redirect(w, r, "/accompagnement/paiements")
}

func (s *Server) aidBatchFile(w http.ResponseWriter, r *http.Request) {
	batch, ok := pathID(r, "batch")
	if !ok {
		s.notFound(w, r)
		return
	}
	sum, file, err := s.support.BatchFile(r.Context(), actor(r), batch)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeAttachment(w, r, "application/xml", sum.FileName(), file)
}

func (s *Server) aidBatchPaid(w http.ResponseWriter, r *http.Request) {
	batch, ok := pathID(r, "batch")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	if err := s.support.MarkPaid(r.Context(), actor(r), batch); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "aid_paid")
	redirect(w, r, "/accompagnement/paiements")
}

func (s *Server) aidFunderFiles(w http.ResponseWriter, r *http.Request) {
	files, err := s.support.FunderFiles(r.Context(), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "support_aid_funder", "Dossiers d'aide adressés à votre organisation", files, nil)
}

func (s *Server) aidsMine(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	if a.Kind != access.JobSeeker {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	aids, err := s.support.MyAids(r.Context(), a)
	var v *support.PersonAids
	switch {
	case errors.Is(err, fault.NotFound):
	case err != nil:
		s.fail(w, r, err)
		return
	default:
		v = &aids
	}
	s.render(w, r, http.StatusOK, "support_aid_mine", "Mes aides", v, nil)
}

func (s *Server) aidMyLetter(w http.ResponseWriter, r *http.Request) {
	aid, ok := pathID(r, "aid")
	if !ok {
		s.notFound(w, r)
		return
	}
	a := actor(r)
	aids, err := s.support.MyAids(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(aids.Aids) == 0 {
		s.notFound(w, r)
		return
	}
	pdf, name, err := s.support.DecisionLetter(r.Context(), a, aids.Aids[0].PersonID, aid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeAttachment(w, r, "application/pdf", name, pdf)
}
