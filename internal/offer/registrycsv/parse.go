package registrycsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"parcours/internal/fault"
	"parcours/internal/offer"
	"parcours/internal/org"
)

// MaxRows is the most data lines a file may hold; a larger registry is imported in several
// files (the national registry has about 5,000 structures).
const MaxRows = 100_000

// maxBytes bounds what Parse reads, so that a wrong file (a video, a database dump) is refused
// before it fills the memory. 100,000 lines of a few hundred characters fit well under it.
const maxBytes = 128 << 20

// Row is a data line that the parser could read into a registry entry.
type Row struct {
	// Line is where the record starts in the file (the header is line 1, or later when blank
	// lines come first); a quoted field spanning lines does not shift it.
	Line  int
	Entry offer.RegistryEntry
}

// Rejection is a data line that will not be imported, with the reason in French, naming the
// columns to fix.
type Rejection struct {
	Line   int
	Reason string
}

// Parsed is what Parse read: the lines to import and those already refused.
type Parsed struct {
	Rows     []Row       // in file order
	Rejected []Rejection // by line
	// Warnings are file-level remarks that do not stop the import (unknown columns).
	Warnings []string
	// Separator is the field separator found on the header line.
	Separator rune
	// Lines is the number of lines of the file, blank ones included.
	Lines int
	// rejectedKeys gives the line of each rejected structure (by SIRET and type), so that an
	// antenna the registry refuses for want of its parent can say that the parent's line was
	// rejected.
	rejectedKeys map[string]int
}

// Total is the number of data lines read (blank lines left out).
func (p Parsed) Total() int { return len(p.Rows) + len(p.Rejected) }

// FileError is a problem with the file as a whole: nothing of it is imported. Its message is
// French and says how to fix the file.
type FileError struct {
	// Line is the line the problem was found on, 0 when it is not about one line.
	Line    int
	Message string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("fichier refusé, ligne %d : %s", e.Line, e.Message)
	}
	return "fichier refusé : " + e.Message
}

// Is makes errors.Is(err, fault.Invalid) true, so that web and API layers answer 422.
func (e *FileError) Is(target error) bool { return target == fault.Invalid }

func fileError(line int, format string, args ...any) error {
	return &FileError{Line: line, Message: fmt.Sprintf(format, args...)}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse reads a registry file (see the package documentation for the format). Lines that
// cannot be imported as they stand (bad SIRET, date, phone, duplicate…) are returned in
// Rejected; the commune codes are checked by CheckCommunes or at import. A *FileError means
// the file cannot be read at all.
func Parse(r io.Reader) (Parsed, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return Parsed{}, fmt.Errorf("lecture du fichier : %w", err)
	}
	if len(data) > maxBytes {
		return Parsed{}, fileError(0, "le fichier dépasse %d Mo : découpez-le en fichiers de %d lignes au plus", maxBytes>>20, MaxRows)
	}
	if err := checkEncoding(data); err != nil {
		return Parsed{}, err
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if len(bytes.TrimSpace(data)) == 0 {
		return Parsed{}, fileError(0, "le fichier est vide : sa première ligne doit nommer les colonnes (siret;type;raison_sociale;code_insee…), les suivantes décrire une structure chacune")
	}
	p := Parsed{Lines: countLines(data), Separator: detectSeparator(data), rejectedKeys: map[string]int{}}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = p.Separator
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	rec, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Parsed{}, fileError(pe.StartLine, "la ligne d'en-tête est illisible (%s)", quoteProblem(pe))
		}
		return Parsed{}, fmt.Errorf("lecture de l'en-tête : %w", err)
	}
	headerLine, _ := cr.FieldPos(0)
	idx, warnings, err := mapHeader(slices.Clone(rec), headerLine, p.Separator)
	if err != nil {
		return Parsed{}, err
	}
	p.Warnings = warnings
	width := len(rec)

	var (
		records   int
		lastQuote *csv.ParseError    // the previous record's unterminated quote, if any
		keys      = map[string]int{} // SIRET and type → first line
		numbers   = map[string]int{} // convention number → first line
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		lastQuote = nil
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			records++
			if records > MaxRows {
				return Parsed{}, tooManyRows()
			}
			p.Rejected = append(p.Rejected, Rejection{Line: pe.StartLine, Reason: "ligne illisible : " + quoteProblem(pe)})
			if errors.Is(pe.Err, csv.ErrQuote) && pe.Line > pe.StartLine {
				lastQuote = pe
			}
			continue
		}
		if err != nil {
			return Parsed{}, fmt.Errorf("lecture du fichier : %w", err)
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			// Spreadsheets export rows of bare separators below the data.
			continue
		}
		records++
		if records > MaxRows {
			return Parsed{}, tooManyRows()
		}
		if len(rec) != width {
			p.Rejected = append(p.Rejected, Rejection{Line: line, Reason: fmt.Sprintf(
				"la ligne compte %d champs mais l'en-tête %d colonnes : un champ qui contient le séparateur « %c » doit être entre guillemets",
				len(rec), width, p.Separator)})
			continue
		}
		e, problems := readEntry(rec, &idx)
		k := key(e.SIRET, e.Kind)
		first, dup := keys[k]
		if dup {
			problems = append(problems, problem{order: -1, text: fmt.Sprintf(
				"doublon : même SIRET et même type que la ligne %d (une structure par ligne ; seule la première est importée)", first)})
		} else if e.SIRET != "" {
			keys[k] = line
		}
		if n := e.ConventionNumber; n != "" {
			if first, dup := numbers[n]; dup {
				problems = append(problems, problem{order: int(colConventionNumber), text: fmt.Sprintf(
					"numero_convention : déjà celui de la ligne %d (une convention appartient à une seule structure ; ses antennes la partagent par siret_parent)", first)})
			} else {
				numbers[n] = line
			}
		}
		if len(problems) > 0 {
			p.Rejected = append(p.Rejected, Rejection{Line: line, Reason: joinProblems(problems)})
			if !dup && e.SIRET != "" {
				p.rejectedKeys[k] = line
			}
			continue
		}
		p.Rows = append(p.Rows, Row{Line: line, Entry: e})
	}
	if lastQuote != nil {
		return Parsed{}, fileError(lastQuote.StartLine,
			"un guillemet ouvert sur cette ligne n'est jamais refermé : la suite du fichier, jusqu'à la ligne %d, a été lue comme un seul champ. "+
				"Dans un champ entre guillemets, doublez les guillemets (\"\") ; sinon retirez le guillemet isolé", lastQuote.Line)
	}
	if records == 0 {
		return Parsed{}, fileError(0, "le fichier ne contient que la ligne d'en-tête : aucune structure à importer")
	}
	p.reject(antennaOfAntenna(p.Rows))
	return p, nil
}

func tooManyRows() error {
	return fileError(0, "le fichier compte plus de %d lignes de données : découpez-le en plusieurs fichiers, chacun avec la ligne d'en-tête", MaxRows)
}

// checkEncoding refuses what is not UTF-8 text, naming the first bad line. It never guesses
// another encoding: a wrong guess would store wrong names without anyone noticing.
func checkEncoding(data []byte) error {
	const fix = "ouvrez-le dans votre tableur puis enregistrez le fichier au format « CSV UTF-8 » (Excel : Fichier > Enregistrer sous > « CSV UTF-8 (délimité par des virgules) » ; LibreOffice : cochez « Éditer les paramètres du filtre » et choisissez le jeu de caractères « Unicode (UTF-8) »)"
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return fileError(0, "ce fichier est un classeur (Excel ou LibreOffice), pas un fichier CSV : %s", fix)
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return fileError(0, "le fichier est encodé en UTF-16 (« Texte Unicode ») et non en UTF-8 : %s", fix)
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return fileError(lineAt(data, i), "le fichier contient des octets nuls : ce n'est pas un fichier CSV texte en UTF-8 (peut-être de l'UTF-16) ; %s", fix)
	}
	if utf8.Valid(data) {
		return nil
	}
	bad := 0
	for bad < len(data) {
		r, size := utf8.DecodeRune(data[bad:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		bad += size
	}
	line := lineAt(data, bad)
	return fileError(line, "le fichier n'est pas encodé en UTF-8 (caractère illisible dans « %s ») ; "+
		"il a sans doute été enregistré en Windows-1252 ou ISO-8859-1 (« CSV (séparateur : point-virgule) » d'Excel). Pour le corriger, %s, puis importez-le à nouveau",
		excerpt(data, bad), fix)
}

// lineAt is the line number of byte i.
func lineAt(data []byte, i int) int { return 1 + bytes.Count(data[:i], []byte{'\n'}) }

// excerpt shows about 60 bytes of the line around byte i, bad bytes as "�", so that the user
// can find the place in the file.
func excerpt(data []byte, i int) string {
	start := bytes.LastIndexByte(data[:i], '\n') + 1
	end := len(data)
	if j := bytes.IndexByte(data[i:], '\n'); j >= 0 {
		end = i + j
	}
	from, to := max(start, i-30), min(end, i+30)
	// Cut on rune starts so that a valid accent next to the cut is not shown as bad.
	for from > start && !utf8.RuneStart(data[from]) {
		from--
	}
	for to < end && !utf8.RuneStart(data[to]) {
		to++
	}
	s := strings.TrimSpace(strings.ToValidUTF8(strings.TrimRight(string(data[from:to]), "\r"), "\uFFFD"))
	if from > start {
		s = "…" + s
	}
	if to < end {
		s += "…"
	}
	return s
}

func countLines(data []byte) int {
	n := bytes.Count(data, []byte{'\n'})
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

// detectSeparator picks ";" or "," by counting them on the header line, outside quotes: French
// spreadsheets write ";", others ",". With neither, ";" (the file then lacks columns anyway).
func detectSeparator(data []byte) rune {
	semicolons, commas := 0, 0
	inQuotes, started := false, false
	for _, b := range data {
		switch {
		case b == '"':
			inQuotes = !inQuotes
		case inQuotes:
		case b == '\n' || b == '\r':
			if started {
				goto done
			}
		case b == ';':
			semicolons++
		case b == ',':
			commas++
		}
		if b != '\n' && b != '\r' {
			started = true
		}
	}
done:
	if commas > semicolons {
		return ','
	}
	return ';'
}

// mapHeader finds each documented column in the header.
func mapHeader(header []string, line int, sep rune) ([numColumns]int, []string, error) {
	specs := spec()
	var idx [numColumns]int
	for c := range idx {
		idx[c] = -1
	}
	var unknown []string
	unnamed := 0
	for i, cell := range header {
		c, ok := lookupColumn(&specs, cell)
		if !ok {
			if name := strings.TrimSpace(cell); name != "" {
				unknown = append(unknown, "« "+name+" »")
			} else {
				unnamed++
			}
			continue
		}
		if j := idx[c]; j >= 0 {
			return idx, nil, fileError(line, "les colonnes %d (« %s ») et %d (« %s ») désignent toutes deux la colonne %s : gardez-en une seule",
				j+1, strings.TrimSpace(header[j]), i+1, strings.TrimSpace(cell), specs[c].name)
		}
		idx[c] = i
	}
	var missing []string
	for c := range numColumns {
		if specs[c].required && idx[c] < 0 {
			missing = append(missing, specs[c].name)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("colonne(s) obligatoire(s) absente(s) : %s. La première ligne doit nommer les colonnes (siret, type, raison_sociale, code_insee sont obligatoires)",
			strings.Join(missing, ", "))
		if len(header) == 1 {
			msg += fmt.Sprintf(" ; une seule colonne a été lue (« %s ») : les colonnes doivent être séparées par des points-virgules ou des virgules", truncate(header[0], 80))
		} else {
			msg += fmt.Sprintf(" ; colonnes lues (séparateur « %c ») : %s", sep, truncate(strings.Join(quoted(header), ", "), 300))
		}
		return idx, nil, fileError(line, "%s", msg)
	}
	var warnings []string
	if len(unknown) > 0 {
		warnings = append(warnings, fmt.Sprintf("colonne(s) inconnue(s), ignorée(s) : %s", strings.Join(unknown, ", ")))
	}
	if unnamed > 0 {
		warnings = append(warnings, fmt.Sprintf("%d colonne(s) sans nom, ignorée(s)", unnamed))
	}
	return idx, warnings, nil
}

func quoted(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = "« " + strings.TrimSpace(c) + " »"
	}
	return out
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// quoteProblem explains encoding/csv's errors (the only ones are about quotes, since the field
// count is checked here).
func quoteProblem(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf("guillemet au milieu d'un champ qui n'est pas entre guillemets (ligne %d, caractère %d) : entourez le champ de guillemets et doublez ceux qu'il contient (\"\")", pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf("guillemet mal placé (ligne %d, caractère %d) : un champ entre guillemets doit finir par un guillemet suivi du séparateur ou de la fin de ligne, et les guillemets qu'il contient être doublés (\"\")", pe.Line, pe.Column)
	}
	return pe.Err.Error()
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// key identifies a structure as the registry does: SIRET and type.
func key(siret, kind string) string {
	return org.NormaliseSIRET(siret) + "|" + strings.ToUpper(strings.TrimSpace(kind))
}

// parentKey is the key of an antenna's parent (same type), "" for a structure that is not an
// antenna.
func parentKey(e offer.RegistryEntry) string {
	if strings.TrimSpace(e.ParentSIRET) == "" {
		return ""
	}
	return key(e.ParentSIRET, e.Kind)
}

// antennaOfAntenna finds the antennas whose parent, in the file, is an antenna itself: the
// registry refuses them (one level of antennas), and saying which line is the parent helps.
func antennaOfAntenna(rows []Row) map[int]string {
	byKey := make(map[string]Row, len(rows))
	for _, r := range rows {
		byKey[key(r.Entry.SIRET, r.Entry.Kind)] = r
	}
	out := map[int]string{}
	for _, r := range rows {
		pk := parentKey(r.Entry)
		if pk == "" {
			continue
		}
		if parent, ok := byKey[pk]; ok && parentKey(parent.Entry) != "" {
			out[r.Line] = fmt.Sprintf("siret_parent : la structure mère (ligne %d) est elle-même une antenne : rattachez l'antenne à la structure principale", parent.Line)
		}
	}
	return out
}

// reject moves the rows named in reasons (by line) to the rejections, which stay sorted by
// line.
func (p *Parsed) reject(reasons map[int]string) {
	if len(reasons) > 0 {
		kept := make([]Row, 0, len(p.Rows))
		for _, r := range p.Rows {
			reason, bad := reasons[r.Line]
			if !bad {
				kept = append(kept, r)
				continue
			}
			p.Rejected = append(p.Rejected, Rejection{Line: r.Line, Reason: reason})
			if p.rejectedKeys == nil {
				p.rejectedKeys = map[string]int{}
			}
			p.rejectedKeys[key(r.Entry.SIRET, r.Entry.Kind)] = r.Line
		}
		p.Rows = kept
	}
	slices.SortStableFunc(p.Rejected, func(a, b Rejection) int { return a.Line - b.Line })
}
