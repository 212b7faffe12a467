package registrycsv

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"parcours/internal/database"
	"parcours/internal/offer"
	"parcours/internal/org"
	"parcours/internal/refdata"
)

// problem is one reason to reject a line; order sorts the reasons by column.
type problem struct {
	order int
	text  string
}

func joinProblems(ps []problem) string {
	slices.SortStableFunc(ps, func(a, b problem) int { return cmp.Compare(a.order, b.order) })
	texts := make([]string, len(ps))
	for i, p := range ps {
		texts[i] = p.text
	}
	return strings.Join(texts, " ; ")
}

var (
	scientific = regexp.MustCompile(`^[0-9]+([.,][0-9]+)?[eE]\+?[0-9]+$`)
	// midnight is what spreadsheets append to a date cell formatted as a date and time.
	midnight = regexp.MustCompile(` 00:00(:00)?$`)
)

// readEntry maps a record to a registry entry and checks what the line alone tells: the same
// rules as offer's (so that a dry run finds what the import would refuse) plus the contacts,
// which offer checks only while writing, one line at a time. Messages name the column.
func readEntry(rec []string, idx *[numColumns]int) (offer.RegistryEntry, []problem) {
	get := func(c column) string {
		if idx[c] < 0 {
			return ""
		}
		return strings.TrimSpace(rec[idx[c]])
	}
	e := offer.RegistryEntry{
		SIRET: get(colSIRET), Kind: strings.ToUpper(get(colKind)), Name: get(colName), CommuneCode: get(colCommune),
		Brand: get(colBrand), AddressLine1: get(colAddress1), AddressLine2: get(colAddress2), Postcode: get(colPostcode),
		Email: get(colEmail), Phone: get(colPhone), Website: get(colWebsite),
		ConventionNumber: get(colConventionNumber), ParentSIRET: get(colParent),
	}
	var ps []problem
	add := func(c column, format string, args ...any) {
		ps = append(ps, problem{order: int(c), text: fmt.Sprintf(format, args...)})
	}

	if msg := siretProblem(e.SIRET); msg != "" {
		add(colSIRET, "siret%s", msg)
	}
	switch {
	case e.Kind == "":
		add(colKind, "type : obligatoire (EI, AI, ACI, ETTI, EITI ou GEIQ)")
	case !offer.IsKind(e.Kind):
		add(colKind, "type « %s » inconnu : EI, AI, ACI, ETTI, EITI ou GEIQ", truncate(e.Kind, 20))
	}
	switch {
	case e.Name == "":
		add(colName, "raison_sociale : obligatoire")
	case offer.TooLong(e.Name, offer.MaxName):
		add(colName, "raison_sociale : %d caractères au plus", offer.MaxName)
	}
	if e.CommuneCode == "" {
		add(colCommune, "code_insee : obligatoire (code INSEE de la commune, par exemple 69123 pour Lyon)")
	}
	for _, f := range []struct {
		c     column
		value string
	}{{colBrand, e.Brand}, {colAddress1, e.AddressLine1}, {colAddress2, e.AddressLine2}} {
		if offer.TooLong(f.value, offer.MaxTitle) {
			add(f.c, "%s : %d caractères au plus", spec()[f.c].name, offer.MaxTitle)
		}
	}
	if _, err := offer.NormalisePostcode(e.Postcode); err != nil {
		pc := strings.ReplaceAll(e.Postcode, " ", "")
		if isDigits(pc, 4) {
			add(colPostcode, "code_postal « %s » : 5 chiffres attendus (le tableur a sans doute supprimé le zéro initial : mettez la colonne au format texte)", pc)
		} else {
			add(colPostcode, "code_postal « %s » : 5 chiffres attendus", truncate(pc, 20))
		}
	}
	// Contact values are not repeated in messages: reports are copied into tickets and mails.
	if _, err := offer.NormaliseEmail(e.Email); err != nil {
		add(colEmail, "email : %s", lowerFirst(err.Error()))
	}
	if _, err := offer.NormalisePhone(e.Phone); err != nil {
		add(colPhone, "telephone : %s", lowerFirst(err.Error()))
	}
	if _, err := offer.NormaliseWebsite(e.Website); err != nil {
		add(colWebsite, "site_web : %s", lowerFirst(err.Error()))
	}

	var badDate bool
	for _, d := range []struct {
		c   column
		dst *database.Date
	}{{colConventionStart, &e.ConventionStartsOn}, {colConventionEnd, &e.ConventionEndsOn}} {
		v := get(d.c)
		if v == "" {
			continue
		}
		date, err := parseDate(v)
		if err != nil {
			add(d.c, "%s « %s » : date invalide, attendue au format JJ/MM/AAAA ou AAAA-MM-JJ", spec()[d.c].name, truncate(v, 20))
			badDate = true
			continue
		}
		*d.dst = date
	}
	hasDates := !e.ConventionStartsOn.IsZero() || !e.ConventionEndsOn.IsZero()
	switch n := e.ConventionNumber; {
	case n == "" && hasDates:
		add(colConventionNumber, "numero_convention : manquant alors que des dates de convention sont données")
	case n != "" && e.Kind == offer.KindGEIQ:
		add(colConventionNumber, "numero_convention : un GEIQ n'a pas de convention IAE, laissez la colonne vide")
	case n != "" && e.ParentSIRET != "":
		add(colConventionNumber, "numero_convention : une antenne partage la convention de sa structure mère et n'en a pas en propre, laissez la colonne vide")
	case offer.TooLong(n, offer.MaxConventionNumber):
		add(colConventionNumber, "numero_convention : %d caractères au plus", offer.MaxConventionNumber)
	case badDate:
	case n != "" && (e.ConventionStartsOn.IsZero() || e.ConventionEndsOn.IsZero()):
		add(colConventionEnd, "debut_convention et fin_convention : obligatoires avec un numéro de convention")
	case n != "" && e.ConventionEndsOn.Before(e.ConventionStartsOn):
		add(colConventionEnd, "fin_convention : la convention ne peut pas finir avant de commencer")
	}
	if e.ParentSIRET != "" {
		if msg := siretProblem(e.ParentSIRET); msg != "" {
			add(colParent, "siret_parent%s", msg)
		} else if org.NormaliseSIRET(e.ParentSIRET) == org.NormaliseSIRET(e.SIRET) {
			add(colParent, "siret_parent : une structure ne peut pas être sa propre antenne")
		}
	}
	return e, ps
}

// parseDate reads JJ/MM/AAAA or AAAA-MM-JJ (database.ParseDate), also with one-digit day or
// month and the midnight time spreadsheets append to date cells.
func parseDate(v string) (database.Date, error) {
	v = midnight.ReplaceAllString(v, "")
	d, err := database.ParseDate(v)
	if err == nil {
		return d, nil
	}
	if t, err2 := time.Parse("2/1/2006", v); err2 == nil {
		return database.DateOf(t), nil
	}
	return database.Date{}, err
}

// siretProblem explains a bad SIRET (after a " « value » : " the caller prefixes with the
// column), "" for a good one. Spreadsheets turn long numbers into "9,01E+13" and drop leading
// zeros: both are said, since users cannot see it.
func siretProblem(s string) string {
	if s == "" {
		return " : obligatoire (14 chiffres)"
	}
	if scientific.MatchString(s) {
		return fmt.Sprintf(" « %s » : le tableur a converti le SIRET en nombre ; mettez la colonne au format texte et saisissez à nouveau les SIRET", truncate(s, 20))
	}
	err := org.CheckSIRET(s)
	if err == nil {
		return ""
	}
	if n := org.NormaliseSIRET(s); isDigits(n, 13) {
		return fmt.Sprintf(" « %s » : 13 chiffres au lieu de 14 (le tableur a sans doute supprimé le zéro initial : mettez la colonne au format texte)", n)
	}
	return fmt.Sprintf(" « %s » : %s", truncate(s, 20), lowerFirst(err.Error()))
}

// lowerFirst lower-cases a message's first letter, to quote it after a column name.
func lowerFirst(msg string) string {
	if r, size := utf8.DecodeRuneInString(msg); unicode.IsUpper(r) {
		return string(unicode.ToLower(r)) + msg[size:]
	}
	return msg
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CheckCommunes rejects the rows whose commune code is not in the reference data, or whose
// postcode is not one of the commune's, as the registry would. Parse cannot (it has no
// reference data); a dry run calls it so as to report what the import would.
func (p *Parsed) CheckCommunes(places *refdata.Data) {
	reasons := map[int]string{}
	for _, r := range p.Rows {
		code := r.Entry.CommuneCode
		if _, ok := places.Commune(code); ok {
			pc, _ := offer.NormalisePostcode(r.Entry.Postcode)
			if err := offer.CheckPostcodeOf(places, pc, code); err != nil {
				reasons[r.Line] = "code_postal : " + lowerFirst(err.Error())
			}
			continue
		}
		reason := fmt.Sprintf("code_insee « %s » : commune inconnue (code INSEE attendu, par exemple 69123 pour Lyon ; le code postal va dans la colonne code_postal)", truncate(code, 20))
		if _, ok := places.Commune("0" + code); ok && isDigits(code, 4) {
			reason = fmt.Sprintf("code_insee « %s » : commune inconnue ; le tableur a sans doute supprimé le zéro initial de 0%s (mettez la colonne au format texte)", code, code)
		}
		reasons[r.Line] = reason
	}
	p.reject(reasons)
}
