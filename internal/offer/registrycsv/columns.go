package registrycsv

import (
	"strings"

	"parcours/internal/refdata"
)

// column identifies one of the documented columns.
type column int

const (
	colSIRET column = iota
	colKind
	colName
	colBrand
	colAddress1
	colAddress2
	colPostcode
	colCommune
	colEmail
	colPhone
	colWebsite
	colConventionNumber
	colConventionStart
	colConventionEnd
	colParent
	numColumns
)

// columnSpec describes a column: its documented name, whether a file must have it, the other
// names people give it, and the field name offer uses in its messages about it.
type columnSpec struct {
	name     string
	required bool
	aliases  []string
	field    string
}

// spec returns the documented column set, in the order of the documentation (and of Write).
// It is built on each call so that no caller can change what another sees.
func spec() [numColumns]columnSpec {
	return [numColumns]columnSpec{
		colSIRET:            {name: "siret", required: true, aliases: []string{"numero_siret", "n_siret"}, field: "siret"},
		colKind:             {name: "type", required: true, aliases: []string{"type_structure", "type_de_structure", "type_siae"}, field: "kind"},
		colName:             {name: "raison_sociale", required: true, aliases: []string{"nom_legal"}, field: "name"},
		colBrand:            {name: "enseigne", aliases: []string{"nom_commercial"}, field: "brand"},
		colAddress1:         {name: "adresse", aliases: []string{"adresse_1", "adresse_ligne_1", "ligne_adresse_1"}, field: "address_line1"},
		colAddress2:         {name: "complement_adresse", aliases: []string{"complement_d_adresse", "adresse_2", "adresse_ligne_2", "ligne_adresse_2"}, field: "address_line2"},
		colPostcode:         {name: "code_postal", aliases: []string{"cp"}, field: "postcode"},
		colCommune:          {name: "code_insee", required: true, aliases: []string{"code_commune", "code_insee_commune", "commune_code_insee", "insee"}, field: "commune"},
		colEmail:            {name: "email", aliases: []string{"e_mail", "courriel", "mel", "adresse_electronique"}, field: "email"},
		colPhone:            {name: "telephone", aliases: []string{"tel", "numero_telephone", "numero_de_telephone"}, field: "phone"},
		colWebsite:          {name: "site_web", aliases: []string{"site_internet", "site"}, field: "website"},
		colConventionNumber: {name: "numero_convention", aliases: []string{"n_convention", "numero_de_convention", "convention"}, field: "convention_number"},
		colConventionStart:  {name: "debut_convention", aliases: []string{"date_debut_convention", "date_de_debut_convention", "debut_de_convention"}, field: "convention_starts_on"},
		colConventionEnd:    {name: "fin_convention", aliases: []string{"date_fin_convention", "date_de_fin_convention", "fin_de_convention"}, field: "convention_ends_on"},
		colParent:           {name: "siret_parent", aliases: []string{"siret_structure_mere", "siret_mere", "siret_de_la_structure_mere"}, field: "parent_siret"},
	}
}

// headerKey folds a header cell into the form columns are compared in: lower case, no
// accents, words joined by "_" ("Début de convention" → "debut_de_convention").
func headerKey(s string) string {
	return strings.ReplaceAll(refdata.Normalize(s), " ", "_")
}

// lookupColumn finds the column a header cell names.
func lookupColumn(specs *[numColumns]columnSpec, cell string) (column, bool) {
	k := headerKey(cell)
	if k == "" {
		return 0, false
	}
	for c := range numColumns {
		if specs[c].name == k {
			return c, true
		}
		for _, a := range specs[c].aliases {
			if a == k {
				return c, true
			}
		}
	}
	return 0, false
}

// fieldColumn maps offer's field names to the file's column names, so that a reason names the
// column to fix.
func fieldColumn(field string) string {
	specs := spec()
	for c := range numColumns {
		if specs[c].field == field {
			return specs[c].name
		}
	}
	return field
}

// fieldOrder sorts reasons by the column order of the documentation.
func fieldOrder(field string) int {
	specs := spec()
	for c := range numColumns {
		if specs[c].field == field {
			return int(c)
		}
	}
	return int(numColumns)
}
