package jobseeker

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/refdata"
)

// Civility is the civility of the arrêté's data list ("civilité").
type Civility string

// The civilities.
const (
	Monsieur Civility = "M"
	Madame   Civility = "MME"
)

// Label is the French abbreviation.
func (c Civility) Label() string {
	switch c {
	case Monsieur:
		return "M."
	case Madame:
		return "Mme"
	}
	return string(c)
}

// NoNIRReason says why a person has no NIR on file.
type NoNIRReason string

// The reasons, as les emplois de l'inclusion records them.
const (
	NoNIR               NoNIRReason = "no_nir"              // not yet attributed (recent arrival in France)
	NIROfSomeoneElse    NoNIRReason = "nir_of_someone_else" // the number is already on another person's file
	noNIRReasonNotGiven NoNIRReason = ""
)

// Label is the French wording.
func (r NoNIRReason) Label() string {
	switch r {
	case NoNIR:
		return "La personne n'a pas encore de numéro de sécurité sociale"
	case NIROfSomeoneElse:
		return "Le numéro est déjà rattaché à une autre personne"
	}
	return ""
}

// NoFTIDReason says why a person has no France Travail identifier on file.
type NoFTIDReason string

// The reasons.
const (
	FTIDForgotten        NoFTIDReason = "forgotten"
	FTNotRegistered      NoFTIDReason = "not_registered"
	noFTIDReasonNotGiven NoFTIDReason = ""
)

// Label is the French wording.
func (r NoFTIDReason) Label() string {
	switch r {
	case FTIDForgotten:
		return "Identifiant oublié"
	case FTNotRegistered:
		return "Non inscrit à France Travail"
	}
	return ""
}

// Option is a code with its French label, for the lists of the forms.
type Option struct {
	Code  string
	Label string
}

// EducationLevels are the levels of the national nomenclature of qualifications (décret
// n° 2019-14 du 8 janvier 2019), with "never schooled".
func EducationLevels() []Option {
	return []Option{
		{"0", "Jamais scolarisé"},
		{"1_2", "Sans diplôme (niveaux 1 et 2)"},
		{"3", "CAP, BEP (niveau 3)"},
		{"4", "Baccalauréat (niveau 4)"},
		{"5", "Bac + 2 : BTS, BUT 2e année, DEUST (niveau 5)"},
		{"6", "Bac + 3 ou 4 : licence, BUT (niveau 6)"},
		{"7", "Bac + 5 : master, diplôme d'ingénieur (niveau 7)"},
		{"8", "Doctorat (niveau 8)"},
	}
}

// Durations are the bands in which the situation of a person is recorded (minimums social,
// unemployment benefit): "" means the person does not receive it.
func Durations() []Option {
	return []Option{{"lt6", "Moins de 6 mois"}, {"6_11", "De 6 à 11 mois"}, {"12_23", "De 12 à 23 mois"}, {"24_plus", "24 mois et plus"}}
}

// RSAKinds are the answers about the RSA (revenu de solidarité active).
func RSAKinds() []Option {
	return []Option{{"non_majore", "Oui, non majoré"}, {"majore", "Oui, majoré (parent isolé)"}}
}

// Need is a support need of the arrêté of 7 April 2020 (annexe: "besoins d'accompagnement").
type Need string

// The eight support needs.
const (
	NeedAdministrative Need = "administrative" // difficultés administratives ou juridiques
	NeedFinancial      Need = "financial"
	NeedMobility       Need = "mobility"
	NeedHousing        Need = "housing"
	NeedHealth         Need = "health"
	NeedIsolation      Need = "isolation"
	NeedBasicSkills    Need = "basic_skills"
	NeedFamily         Need = "family"
)

// Needs lists the support needs in the order of the forms.
func Needs() []Option {
	return []Option{
		{string(NeedAdministrative), "Difficultés administratives ou juridiques"},
		{string(NeedFinancial), "Difficultés financières"},
		{string(NeedMobility), "Mobilité"},
		{string(NeedHousing), "Logement"},
		{string(NeedHealth), "Santé"},
		{string(NeedIsolation), "Isolement"},
		{string(NeedBasicSkills), "Savoirs de base (lire, écrire, compter, numérique)"},
		{string(NeedFamily), "Contraintes familiales"},
	}
}

// Label is the need's French wording.
func (n Need) Label() string { return labelOf(Needs(), string(n)) }

func labelOf(opts []Option, code string) string {
	for _, o := range opts {
		if o.Code == code {
			return o.Label
		}
	}
	return code
}

func validCode(opts []Option, code string) bool {
	return slices.ContainsFunc(opts, func(o Option) bool { return o.Code == code })
}

// countries are the ISO 3166 countries with their French names (golang.org/x/text), sorted by
// name, France excepted: a person born in France gives a commune.
var countries = func() []Option {
	names := display.French.Regions()
	var out []Option
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			r, err := language.ParseRegion(code)
			if err != nil || !r.IsCountry() || r.String() != code || code == "FR" {
				continue
			}
			if n := names.Name(r); n != "" {
				out = append(out, Option{Code: code, Label: n})
			}
		}
	}
	slices.SortFunc(out, func(x, y Option) int { return strings.Compare(foldAccents(x.Label), foldAccents(y.Label)) })
	return out
}()

// Countries lists the countries of birth outside France.
func Countries() []Option { return slices.Clone(countries) }

// CountryName is the French name of a country code.
func CountryName(code string) string { return labelOf(countries, code) }

func foldAccents(s string) string {
	return strings.NewReplacer("É", "E", "é", "e", "È", "E", "Î", "I", "Ô", "O").Replace(s)
}

// Needs of a person: which apply, each with an optional comment.
type SupportNeeds map[Need]string

// Identity is who the person is.
type Identity struct {
	Civility   Civility
	BirthName  string
	UsageName  string
	FirstNames string
	BirthDate  database.Date
	// BornInFrance chooses between BirthCommune (INSEE code) and BirthCountry (ISO 3166).
	BornInFrance bool
	BirthCommune string
	BirthCountry string
}

// Profile is everything the job seeker's file holds, as typed in the forms.
type Profile struct {
	Identity
	NIR          string
	NoNIRReason  NoNIRReason
	FTID         string
	NoFTIDReason NoFTIDReason
	Email        string
	Phone        string
	Address      string
	Postcode     string
	CommuneCode  string
	Education    string
	// Situation: "" when the person does not receive it, else a Durations code (RSAKind for the RSA).
	RSA, RSADuration string
	ASS, AAH, ARE    string
	UnemployedSince  database.Date
	Needs            SupportNeeds
}

// Limits of the free texts.
const (
	maxName    = 100
	maxAddress = 200
	maxComment = 2000
)

// Validate checks a profile, reporting every problem at once, in the order of the form, each
// on its field. today is the day in Paris; places resolves communes.
func (p *Profile) Validate(today database.Date, places *refdata.Data) error {
	f := fault.Fields{}
	p.trim()
	switch p.Civility {
	case Monsieur, Madame:
	default:
		f.Add("civility", "Choisissez la civilité.")
	}
	checkName(f, "birth_name", p.BirthName, "le nom de naissance", true)
	checkName(f, "usage_name", p.UsageName, "le nom d'usage", false)
	checkName(f, "first_names", p.FirstNames, "les prénoms", true)
	validBirth := false
	switch {
	case p.BirthDate.IsZero():
		f.Add("birth_date", "Saisissez la date de naissance.")
	default:
		age := yearsBetween(p.BirthDate, today)
		if age < 16 {
			f.Add("birth_date", "La personne doit avoir au moins 16 ans.")
		} else if age > 100 {
			f.Add("birth_date", "Vérifiez la date de naissance : la personne aurait plus de 100 ans.")
		} else {
			validBirth = true
		}
	}
	if p.BornInFrance {
		if p.BirthCommune == "" {
			f.Add("birth_commune", "Choisissez la commune de naissance.")
		} else if _, ok := places.Commune(p.BirthCommune); !ok {
			f.Add("birth_commune", "Commune de naissance inconnue : choisissez-la dans la liste proposée.")
		}
		p.BirthCountry = ""
	} else {
		if !validCode(countries, p.BirthCountry) {
			f.Add("birth_country", "Choisissez le pays de naissance.")
		}
		p.BirthCommune = ""
	}
	p.NIR = NormaliseNIR(p.NIR)
	switch {
	case p.NIR != "" && p.NoNIRReason != noNIRReasonNotGiven:
		f.Add("nir", "Saisissez le numéro de sécurité sociale ou indiquez pourquoi il manque, pas les deux.")
	case p.NIR != "":
		if err := CheckNIR(p.NIR); err != nil {
			f.Add("nir", err.Error())
		} else if validBirth && (p.Civility == Monsieur || p.Civility == Madame) {
			if err := NIRConsistent(p.NIR, p.Civility, p.BirthDate.Time()); err != nil {
				f.Add("nir", err.Error())
			}
		}
	case p.NoNIRReason == NoNIR || p.NoNIRReason == NIROfSomeoneElse:
	default:
		f.Add("nir", "Saisissez le numéro de sécurité sociale, ou indiquez pourquoi il manque.")
	}
	p.FTID = NormaliseFTID(p.FTID)
	switch {
	case p.FTID != "" && p.NoFTIDReason != noFTIDReasonNotGiven:
		f.Add("ft_id", "Saisissez l'identifiant France Travail ou indiquez pourquoi il manque, pas les deux.")
	case p.FTID != "":
		if err := CheckFTID(p.FTID); err != nil {
			f.Add("ft_id", err.Error())
		}
	case p.NoFTIDReason == FTIDForgotten || p.NoFTIDReason == FTNotRegistered:
	default:
		f.Add("ft_id", "Saisissez l'identifiant France Travail, ou indiquez pourquoi il manque.")
	}
	if p.Email != "" {
		p.Email = strings.ToLower(p.Email)
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email || len(p.Email) > 254 {
			f.Add("email", "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.")
		}
	}
	if p.Phone != "" {
		if phone, ok := normalisePhone(p.Phone); ok {
			p.Phone = phone
		} else {
			f.Add("phone", "Saisissez un numéro de téléphone à 10 chiffres, par exemple 06 12 34 56 78.")
		}
	}
	if utf8.RuneCountInString(p.Address) > maxAddress {
		f.Add("address", fmt.Sprintf("L'adresse ne doit pas dépasser %d caractères.", maxAddress))
	} else if strings.ContainsAny(p.Address, "<>") {
		f.Add("address", "L'adresse contient un caractère non autorisé.")
	}
	if p.CommuneCode == "" {
		f.Add("commune", "Choisissez la commune de résidence.")
	} else if c, ok := places.Commune(p.CommuneCode); !ok {
		f.Add("commune", "Commune inconnue : choisissez-la dans la liste proposée.")
	} else if p.Postcode != "" && !slices.Contains(c.Postcodes, p.Postcode) {
		f.Add("postcode", fmt.Sprintf("Le code postal %s n'est pas celui de %s.", p.Postcode, c.Name))
	}
	if p.Education != "" && !validCode(EducationLevels(), p.Education) {
		f.Add("education", "Choisissez le niveau de formation dans la liste.")
	}
	if p.RSA != "" && !validCode(RSAKinds(), p.RSA) {
		f.Add("rsa", "Choisissez une réponse pour le RSA.")
	}
	if p.RSA == "" {
		p.RSADuration = ""
	} else if !validCode(Durations(), p.RSADuration) {
		f.Add("rsa_duration", "Indiquez depuis combien de temps la personne perçoit le RSA.")
	}
	for _, d := range []struct{ field, value, what string }{{"ass", p.ASS, "l'ASS"}, {"aah", p.AAH, "l'AAH"}, {"are", p.ARE, "l'ARE"}} {
		if d.value != "" && !validCode(Durations(), d.value) {
			f.Add(d.field, "Choisissez la durée pour "+d.what+".")
		}
	}
	if !p.UnemployedSince.IsZero() && p.UnemployedSince.After(today) {
		f.Add("unemployed_since", "La date de début de la période sans emploi ne peut pas être dans le futur.")
	}
	for need, comment := range p.Needs {
		if !validCode(Needs(), string(need)) {
			f.Add("needs", "Besoin d'accompagnement inconnu.")
			continue
		}
		if utf8.RuneCountInString(comment) > maxComment {
			f.Add("need_"+string(need), fmt.Sprintf("Le commentaire ne doit pas dépasser %d caractères.", maxComment))
		}
	}
	return f.Err()
}

func (p *Profile) trim() {
	for _, s := range []*string{&p.BirthName, &p.UsageName, &p.FirstNames, &p.NIR, &p.FTID, &p.Email, &p.Phone, &p.Address, &p.Postcode} {
		*s = strings.Join(strings.Fields(*s), " ")
	}
	for n, c := range p.Needs {
		p.Needs[n] = strings.TrimSpace(c)
	}
}

func checkName(f fault.Fields, field, value, what string, required bool) {
	switch {
	case value == "" && required:
		f.Add(field, "Saisissez "+what+".")
	case utf8.RuneCountInString(value) > maxName:
		f.Add(field, fmt.Sprintf("%s ne doit pas dépasser %d caractères.", capitalise(what), maxName))
	case strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '<' || r == '>' }):
		f.Add(field, capitalise(what)+" contient un caractère non autorisé.")
	}
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

// normalisePhone keeps the 10 digits of a French number ("+33 6 12…" becomes "0612…").
func normalisePhone(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0:
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-':
		default:
			return "", false
		}
	}
	d := b.String()
	if strings.HasPrefix(d, "+33") {
		d = "0" + d[3:]
	}
	if len(d) != 10 || d[0] != '0' || strings.HasPrefix(d, "00") {
		return "", false
	}
	return d, true
}

// yearsBetween is a person's age on day to, born on from.
func yearsBetween(from, to database.Date) int {
	f, t := from.Time(), to.Time()
	years := t.Year() - f.Year()
	if t.Month() < f.Month() || (t.Month() == f.Month() && t.Day() < f.Day()) {
		years--
	}
	return years
}
