package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"parcours/internal/access"
	"parcours/internal/clock"
	"parcours/internal/fault"
	"parcours/internal/offer"
	"parcours/internal/offer/registrycsv"
)

// The registry import page: staff send the registry file, which is checked at once (a file
// that cannot be read is refused at the field) and imported in the background
// (registrycsv.Importer); the import's page shows its progress, updated by parcours.js while it
// runs, then its report. A dry run ("vérifier seulement") is answered in the request: it
// writes nothing and takes about a second for 50,000 lines.

// importBodyLimit bounds a registry upload: 100,000 lines of about 300 bytes.
const importBodyLimit = 32 << 20

// maxShownRejections bounds the refused lines listed on a page; the count of the others follows.
const maxShownRejections = 200

func (s *Server) registerImportRoutes() {
	s.handle("GET /admin/structures/import", gateUser, s.staffImportForm)
	s.handle("POST /admin/structures/import", gateUser, s.staffImport)
	s.handle("GET /admin/structures/import/{id}", gateUser, s.staffImportReport)
	s.handle("GET /admin/structures/import/{id}/etat", gateUser, s.staffImportStatus)
}

// importPage is the upload page: the form, the dry run's report, the history.
type importPage struct {
	// Check is the report of a dry run.
	Check   *registrycsv.Report
	Shown   []registrycsv.Rejection
	More    int
	History []importRow
}

// importRow is an import in the history, its values ready to print.
type importRow struct {
	Href, Date, FileName, State, Lines              string
	Created, Updated, Unchanged, Rejected, Progress string
	Running, Failed                                 bool
}

func frenchNumber(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[0] != '-' {
			b.WriteString("\u202f") // narrow no-break space, as French groups thousands
		}
		b.WriteRune(c)
	}
	return b.String()
}

// plural writes n with the singular words (0 and 1, as French does) or the plural ones.
func plural(n int, one, many string) string {
	if n > 1 {
		return frenchNumber(n) + " " + many
	}
	return frenchNumber(n) + " " + one
}

func newImportRow(r offer.RegistryImport) importRow {
	row := importRow{Href: "/admin/structures/import/" + r.ID.String(), Date: r.CreatedAt.In(clock.Paris).Format("02/01/2006 à 15h04"),
		FileName: r.FileName, State: r.State.Label(), Lines: frenchNumber(r.Lines), Created: frenchNumber(r.Created),
		Updated: frenchNumber(r.Updated), Unchanged: frenchNumber(r.Unchanged), Rejected: frenchNumber(r.Rejected),
		Running: !r.State.Finished(), Failed: r.State == offer.ImportFailed}
	if row.Running {
		row.State += " (" + strconv.Itoa(r.Percent()) + " %)"
	}
	return row
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request, status int, p importPage, errs fault.Fields) {
	history, err := s.offer.RegistryImports(r.Context(), actor(r), 20)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, h := range history {
		p.History = append(p.History, newImportRow(h))
	}
	s.render(w, r, status, "staff_import", "Importer le registre des structures", p, errs)
}

func (s *Server) staffImportForm(w http.ResponseWriter, r *http.Request) {
	if !s.staffOnly(w, r, access.ManageStructureRegistry) {
		return
	}
	s.importPage(w, r, http.StatusOK, importPage{}, nil)
}

// staffImport receives a registry file: a dry run is reported on the page; otherwise the
// import is queued and the browser goes to its page.
func (s *Server) staffImport(w http.ResponseWriter, r *http.Request) {
	if !s.staffOnly(w, r, access.ManageStructureRegistry) {
		return
	}
	missing := fault.Fields{"fichier": "Choisissez un fichier CSV à envoyer."}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.renderError(w, r, http.StatusRequestEntityTooLarge)
			return
		}
		s.importPage(w, r, http.StatusUnprocessableEntity, importPage{}, missing)
		return
	}
	defer r.MultipartForm.RemoveAll()
	file, header, err := r.FormFile("fichier")
	if err != nil {
		s.importPage(w, r, http.StatusUnprocessableEntity, importPage{}, missing)
		return
	}
	content, err := io.ReadAll(file)
	file.Close()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var fe *registrycsv.FileError
	if r.PostFormValue("verification") == "on" {
		parsed, err := registrycsv.Parse(bytes.NewReader(content))
		if errors.As(err, &fe) {
			s.importPage(w, r, http.StatusUnprocessableEntity, importPage{}, fault.Fields{"fichier": fe.Error()})
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		parsed.CheckCommunes(s.places)
		rep := registrycsv.Check(parsed)
		p := importPage{Check: &rep, Shown: rep.Rejected}
		if len(p.Shown) > maxShownRejections {
			p.Shown, p.More = p.Shown[:maxShownRejections], len(rep.Rejected)-maxShownRejections
		}
		s.importPage(w, r, http.StatusOK, p, nil)
		return
	}
	imp, err := s.imports.Submit(r.Context(), actor(r), header.Filename, content)
	if errors.As(err, &fe) {
		s.importPage(w, r, http.StatusUnprocessableEntity, importPage{}, fault.Fields{"fichier": fe.Error()})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/admin/structures/import/"+imp.ID.String())
}

// importStatus is an import's progress or report, its values ready to print.
type importStatus struct {
	importRow
	ID   string
	Poll bool
	// Max and Value are the progress bar's: lines in the file, lines done.
	Max       int
	Value     int
	Percent   int
	DoneText  string
	Queued    bool
	Error     string
	Warnings  []string
	Refused   []offer.ImportLine
	More      string
	Summary   string
	Succeeded bool
	// Counts are the report's lines: structures created, updated, already up to date, lines
	// rejected.
	Counts []string
}

func (s *Server) importStatus(w http.ResponseWriter, r *http.Request) (importStatus, bool) {
	if !s.staffOnly(w, r, access.ManageStructureRegistry) {
		return importStatus{}, false
	}
	id, ok := pathID(r, "id")
	if !ok {
		s.renderError(w, r, http.StatusNotFound)
		return importStatus{}, false
	}
	imp, refused, err := s.offer.RegistryImportReport(r.Context(), actor(r), id, maxShownRejections)
	if err != nil {
		s.fail(w, r, err)
		return importStatus{}, false
	}
	v := importStatus{importRow: newImportRow(imp), ID: imp.ID.String(), Poll: !imp.State.Finished(), Max: max(1, imp.Lines),
		Value: imp.Done, Percent: imp.Percent(), Queued: imp.State == offer.ImportQueued, Error: imp.Error, Warnings: imp.Warnings,
		Refused: refused, Succeeded: imp.State == offer.ImportSucceeded,
		DoneText: fmt.Sprintf("%s lignes traitées sur %s (%d %%)", frenchNumber(imp.Done), frenchNumber(imp.Lines), imp.Percent())}
	if more := imp.Rejected - len(refused); more > 0 {
		v.More = frenchNumber(more)
	}
	v.Counts = []string{plural(imp.Created, "structure créée", "structures créées"),
		plural(imp.Updated, "structure mise à jour", "structures mises à jour"),
		plural(imp.Unchanged, "structure déjà à jour", "structures déjà à jour"),
		plural(imp.Rejected, "ligne rejetée", "lignes rejetées")}
	if imp.State.Finished() {
		elapsed := imp.FinishedAt.Sub(imp.StartedAt).Seconds()
		v.Summary = fmt.Sprintf("%s lignes lues en %s s.", frenchNumber(imp.Lines), strings.Replace(strconv.FormatFloat(elapsed, 'f', 1, 64), ".", ",", 1))
	}
	return v, true
}

func (s *Server) staffImportReport(w http.ResponseWriter, r *http.Request) {
	v, ok := s.importStatus(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "staff_import_report", "Import du registre : "+v.FileName, v, nil)
}

// staffImportStatus answers the page's polling (parcours.js) with the part that changes; the
// progress is marked data-polling, and the report, once the import has ended, is not, which
// stops the polling.
func (s *Server) staffImportStatus(w http.ResponseWriter, r *http.Request) {
	v, ok := s.importStatus(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := s.templates["staff_import_report"].ExecuteTemplate(&buf, "import-status", v); err != nil {
		s.log.Error("fragment", "name", "import-status", "err", err)
		s.renderError(w, r, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}
