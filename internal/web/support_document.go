package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/fault"
	"parcours/internal/files"
	"parcours/internal/support"
)

// The documents of an adapted-support record (D5312-50 4°): the advisors' page, the person's.
// Every listing and download is decided and recorded by the support service with the purpose
// "documents"; the pages only render what it returns.
func (s *Server) registerSupportDocumentRoutes() {
	s.handle("GET /candidats/{id}/accompagnement/documents", gateUser, s.supportDocuments)
	s.handle("POST /candidats/{id}/accompagnement/documents", gateUser, s.supportDocumentUpload)
	s.handle("GET /candidats/{id}/accompagnement/documents/{file}", gateUser, s.supportDocumentDownload)
	s.handle("POST /candidats/{id}/accompagnement/documents/{file}/suppression", gateUser, s.supportDocumentDelete)
	s.handle("GET /mon-accompagnement/documents", gateUser, s.supportMyDocuments)
	s.handle("POST /mon-accompagnement/documents", gateUser, s.supportMyDocumentUpload)
	s.handle("GET /mon-accompagnement/documents/{file}", gateUser, s.supportMyDocumentDownload)
	s.registerSupportStatsRoutes()
}

// documentBodyLimit is the largest request body of a document upload: the document and the
// form around it.
const documentBodyLimit = support.MaxDocumentSize + 1<<20

// documentUpload is an upload path (its body gets documentBodyLimit).
func documentUpload(path string) bool {
	return path == "/mon-accompagnement/documents" || strings.HasPrefix(path, "/candidats/") && strings.HasSuffix(path, "/accompagnement/documents")
}

// supportDocumentsView is the documents page of a record.
type supportDocumentsView struct {
	Docs      support.Documents
	Types     []support.DocumentType
	Base      string
	CanManage bool
	Form      form
}

// typesFor are the types a reader may upload: all for advisors, the person's own otherwise.
func typesFor(self bool) []support.DocumentType {
	if !self {
		return support.DocumentTypes
	}
	var out []support.DocumentType
	for _, t := range support.DocumentTypes {
		if t.ByPerson {
			out = append(out, t)
		}
	}
	return out
}

func (s *Server) supportDocuments(w http.ResponseWriter, r *http.Request) {
	s.renderSupportDocuments(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderSupportDocuments(w http.ResponseWriter, r *http.Request, status int, f form, errs fault.Fields) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a := actor(r)
	docs, err := s.support.ListDocuments(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.support.StanceOf(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := supportDocumentsView{Docs: docs, Types: typesFor(false), Base: "/candidats/" + id.String() + "/accompagnement/documents",
		CanManage: st.CanEdit, Form: f}
	s.render(w, r, status, "support_documents", "Documents de l'accompagnement adapté", v, errs)
}

func (s *Server) supportMyDocuments(w http.ResponseWriter, r *http.Request) {
	s.renderMyDocuments(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderMyDocuments(w http.ResponseWriter, r *http.Request, status int, f form, errs fault.Fields) {
	a := actor(r)
	if a.Kind != access.JobSeeker {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	docs, err := s.support.MyDocuments(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := supportDocumentsView{Docs: docs, Types: typesFor(true), Base: "/mon-accompagnement/documents", Form: f}
	s.render(w, r, status, "support_documents", "Mes documents d'accompagnement", v, errs)
}

// receiveDocument reads the posted document (field "file") with its type or the version it
// replaces, checked by the support service. On a form error it returns the fields to show.
func (s *Server) receiveDocument(w http.ResponseWriter, r *http.Request) (support.NewDocument, form, fault.Fields, bool) {
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.renderError(w, r, http.StatusRequestEntityTooLarge)
			return support.NewDocument{}, nil, nil, false
		}
		s.renderError(w, r, http.StatusBadRequest)
		return support.NewDocument{}, nil, nil, false
	}
	f := formOf(r, "kind", "previous")
	in := support.NewDocument{Kind: f["kind"]}
	if f["previous"] != "" {
		p, err := uuid.Parse(f["previous"])
		if err != nil {
			s.renderError(w, r, http.StatusBadRequest)
			return support.NewDocument{}, nil, nil, false
		}
		in.Previous = p
	}
	errs := fault.Fields{}
	if in.Previous == uuid.Nil {
		if _, ok := support.DocumentTypeOf(in.Kind); !ok {
			errs["kind"] = "Choisissez le type du document."
		}
	}
	file, header, err := r.FormFile("file")
	if err != nil {
		errs["file"] = "Choisissez le fichier à déposer."
		return in, f, errs, true
	}
	defer file.Close()
	up, err := s.support.AcceptDocument(r.Context(), actor(r), file, header.Filename)
	if fields := fault.FieldsOf(err); fields != nil {
		for k, v := range fields {
			errs[k] = v
		}
		return in, f, errs, true
	}
	if err != nil {
		s.fail(w, r, err)
		return support.NewDocument{}, nil, nil, false
	}
	in.Upload = up
	if len(errs) > 0 {
		return in, f, errs, true
	}
	return in, f, nil, true
}

// documentFields turns a stale version into a message on the file field.
func documentFields(err error) fault.Fields {
	if errors.Is(err, files.ErrNewerVersion) {
		return fault.Fields{"file": "Une version plus récente de ce document a été déposée entre-temps : rechargez la page avant d'en déposer une nouvelle."}
	}
	return fault.FieldsOf(err)
}

func (s *Server) supportDocumentUpload(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a := actor(r)
	// Who may change the record is checked first, so that nobody else has a file read and scanned.
	if st, err := s.support.StanceOf(r.Context(), a, id); err != nil || !st.CanEdit {
		if err == nil {
			err = fault.Forbidden
		}
		s.fail(w, r, err)
		return
	}
	in, f, errs, ok := s.receiveDocument(w, r)
	if !ok {
		return
	}
	defer r.MultipartForm.RemoveAll()
	if errs != nil {
		s.renderSupportDocuments(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	_, err := s.support.AddDocument(r.Context(), a, id, in)
	if fields := documentFields(err); fields != nil {
		s.renderSupportDocuments(w, r, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "support_document_saved")
	redirect(w, r, "/candidats/"+id.String()+"/accompagnement/documents")
}

func (s *Server) supportMyDocumentUpload(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	if a.Kind != access.JobSeeker {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	in, f, errs, ok := s.receiveDocument(w, r)
	if !ok {
		return
	}
	defer r.MultipartForm.RemoveAll()
	if errs != nil {
		s.renderMyDocuments(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	_, err := s.support.SendDocument(r.Context(), a, in)
	if fields := documentFields(err); fields != nil {
		s.renderMyDocuments(w, r, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "support_document_sent")
	redirect(w, r, "/mon-accompagnement/documents")
}

func (s *Server) supportDocumentDownload(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	fileID, ok2 := pathID(r, "file")
	if !ok || !ok2 {
		s.notFound(w, r)
		return
	}
	file, err := s.support.OpenDocument(r.Context(), actor(r), id, fileID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeFile(w, r, file)
}

func (s *Server) supportMyDocumentDownload(w http.ResponseWriter, r *http.Request) {
	fileID, ok := pathID(r, "file")
	if !ok {
		s.notFound(w, r)
		return
	}
	file, err := s.support.MyDocument(r.Context(), actor(r), fileID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeFile(w, r, file)
}

func (s *Server) supportDocumentDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	fileID, ok2 := pathID(r, "file")
	if !ok || !ok2 {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "reason")
	f["document"] = fileID.String()
	err := s.support.DeleteDocument(r.Context(), actor(r), id, fileID, f["reason"])
	if fields := fault.FieldsOf(err); fields != nil {
		s.renderSupportDocuments(w, r, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "support_document_deleted")
	redirect(w, r, "/candidats/"+id.String()+"/accompagnement/documents")
}
