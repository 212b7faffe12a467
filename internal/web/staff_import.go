package web

import (
	"errors"
	"net/http"

	"parcours/internal/access"
	"parcours/internal/fault"
	"parcours/internal/offer/registrycsv"
)

// importBodyLimit bounds a registry upload: 100,000 lines of about 300 bytes.
const importBodyLimit = 32 << 20

type importView struct {
	Report *registrycsv.Report
	Shown  []registrycsv.Rejection
	More   int
}

func (s *Server) staffImportForm(w http.ResponseWriter, r *http.Request) {
	if !s.staffOnly(w, r, access.ManageStructureRegistry) {
		return
	}
	s.render(w, r, http.StatusOK, "staff_import", "Importer le registre des structures", importView{}, nil)
}

// staffImport reads an uploaded registry file and imports it (or only checks it). The report
// names each rejected line with its reason; valid lines are imported in atomic batches.
func (s *Server) staffImport(w http.ResponseWriter, r *http.Request) {
	if !s.staffOnly(w, r, access.ManageStructureRegistry) {
		return
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.renderError(w, r, http.StatusRequestEntityTooLarge)
			return
		}
		s.render(w, r, http.StatusUnprocessableEntity, "staff_import", "Importer le registre des structures", importView{},
			fault.Fields{"fichier": "choisissez un fichier CSV à envoyer"})
		return
	}
	defer r.MultipartForm.RemoveAll()
	file, _, err := r.FormFile("fichier")
	if err != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "staff_import", "Importer le registre des structures", importView{},
			fault.Fields{"fichier": "choisissez un fichier CSV à envoyer"})
		return
	}
	defer file.Close()
	parsed, err := registrycsv.Parse(file)
	var fe *registrycsv.FileError
	if errors.As(err, &fe) {
		s.render(w, r, http.StatusUnprocessableEntity, "staff_import", "Importer le registre des structures", importView{},
			fault.Fields{"fichier": fe.Error()})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	parsed.CheckCommunes(s.places)
	var rep registrycsv.Report
	if r.PostFormValue("verification") == "on" {
		rep = registrycsv.Check(parsed)
	} else if rep, err = registrycsv.Import(r.Context(), s.offer, actor(r), parsed, nil); err != nil {
		s.fail(w, r, err)
		return
	}
	v := importView{Report: &rep, Shown: rep.Rejected}
	if len(v.Shown) > 200 {
		v.Shown, v.More = v.Shown[:200], len(rep.Rejected)-200
	}
	s.render(w, r, http.StatusOK, "staff_import", "Importer le registre des structures", v, nil)
}
