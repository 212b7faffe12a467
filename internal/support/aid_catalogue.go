package support

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"

	"parcours/internal/sepa"
)

// The funders of the aids.
const (
	FunderAgefiph = "AGEFIPH"
	FunderFIPHFP  = "FIPHFP"
	FunderFT      = "FT"
)

// Funders lists the funders in the order of the pages.
var Funders = []Option{{FunderAgefiph, "Agefiph"}, {FunderFIPHFP, "FIPHFP"}, {FunderFT, "France Travail"}}

// FunderLabel is a funder's French name.
func FunderLabel(code string) string { return label(Funders, code) }

// Aid is an entry of the catalogue.
type Aid struct {
	Code   string `json:"code"`
	Label  string `json:"label"`
	Funder string `json:"funder"`
	// CeilingEuros is the most a request may ask, in euros.
	CeilingEuros int64    `json:"ceiling_euros"`
	Documents    []string `json:"documents"`
	Description  string   `json:"description"`
}

// Ceiling is the ceiling in cents.
func (a Aid) Ceiling() int64 { return a.CeilingEuros * 100 }

// FunderLabel is the French name of the aid's funder.
func (a Aid) FunderLabel() string { return FunderLabel(a.Funder) }

// Payer is the account a funder pays its aids from: the debtor of its SEPA batches.
type Payer struct {
	Name string `json:"name"`
	IBAN string `json:"iban"`
	BIC  string `json:"bic"`
}

// Catalogue is the aids' configuration: the aids, the document types they require, and the
// funders' accounts.
type Catalogue struct {
	Note      string            `json:"note"`
	Documents map[string]string `json:"documents"`
	Payers    map[string]Payer  `json:"payers"`
	Aids      []Aid             `json:"aids"`
	byCode    map[string]Aid
}

//go:embed aids_catalogue.json
var catalogueJSON []byte

var aidCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]{2,39}$`)

// ParseCatalogue reads and checks a catalogue: unique codes, known funders, positive ceilings,
// known document types, a valid account for every funder. Every problem is reported at once.
func ParseCatalogue(b []byte) (*Catalogue, error) {
	var c Catalogue
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("catalogue des aides illisible : %w", err)
	}
	var errs []error
	c.byCode = map[string]Aid{}
	for i, a := range c.Aids {
		where := fmt.Sprintf("aide %d (%s)", i+1, a.Code)
		if !aidCode.MatchString(a.Code) {
			errs = append(errs, fmt.Errorf("%s : code invalide", where))
		}
		if _, dup := c.byCode[a.Code]; dup {
			errs = append(errs, fmt.Errorf("%s : code en double", where))
		}
		if a.Label == "" {
			errs = append(errs, fmt.Errorf("%s : libellé manquant", where))
		}
		if a.Funder != FunderAgefiph && a.Funder != FunderFIPHFP && a.Funder != FunderFT {
			errs = append(errs, fmt.Errorf("%s : financeur inconnu %q", where, a.Funder))
		}
		if a.CeilingEuros <= 0 || a.CeilingEuros > 100000 {
			errs = append(errs, fmt.Errorf("%s : plafond hors de 1 à 100 000 euros", where))
		}
		for _, d := range a.Documents {
			if _, ok := c.Documents[d]; !ok {
				errs = append(errs, fmt.Errorf("%s : type de document inconnu %q", where, d))
			}
		}
		c.byCode[a.Code] = a
	}
	for _, f := range Funders {
		p, ok := c.Payers[f.Code]
		if !ok {
			errs = append(errs, fmt.Errorf("payeur %s : compte manquant", f.Code))
			continue
		}
		if err := errors.Join(sepa.CheckIBAN(p.IBAN), sepa.CheckBIC(p.BIC)); err != nil || p.Name == "" {
			errs = append(errs, fmt.Errorf("payeur %s : nom, IBAN ou BIC invalide (%v)", f.Code, err))
		}
	}
	if len(c.Aids) == 0 {
		errs = append(errs, errors.New("aucune aide au catalogue"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &c, nil
}

var loadCatalogue = sync.OnceValues(func() (*Catalogue, error) { return ParseCatalogue(catalogueJSON) })

// The catalogue is checked when the program starts: a broken file stops it at once, with
// every problem listed, rather than at the first request of an aid.
func init() { MustCatalogue() }

// Aids returns the embedded catalogue, checked once; a broken catalogue stops the start (see
// MustCatalogue).
func Aids() (*Catalogue, error) { return loadCatalogue() }

// MustCatalogue is for the start of the program: it panics on a broken catalogue.
func MustCatalogue() *Catalogue {
	c, err := Aids()
	if err != nil {
		panic(err)
	}
	return c
}

// Aid finds an aid by code.
func (c *Catalogue) Aid(code string) (Aid, bool) {
	a, ok := c.byCode[code]
	return a, ok
}

// DocumentLabel is the French name of a document type.
func (c *Catalogue) DocumentLabel(code string) string {
	if l, ok := c.Documents[code]; ok {
		return l
	}
	return code
}

// ByFunder lists the aids of the catalogue grouped by funder, in the order of Funders.
func (c *Catalogue) ByFunder() []FunderAids {
	var out []FunderAids
	for _, f := range Funders {
		g := FunderAids{Funder: f}
		for _, a := range c.Aids {
			if a.Funder == f.Code {
				g.Aids = append(g.Aids, a)
			}
		}
		out = append(out, g)
	}
	return out
}

// FunderAids is a group of the catalogue.
type FunderAids struct {
	Funder Option
	Aids   []Aid
}
