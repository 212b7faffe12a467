package registrycsv

import (
	"encoding/csv"
	"fmt"
	"io"

	"parcours/internal/database"
	"parcours/internal/offer"
)

// Write writes entries in the import format: every documented column, ";" as separator, dates
// as JJ/MM/AAAA, UTF-8 without byte order mark. Parse reads it back to the same entries (Lat
// and Lng, which the format has no column for, are left out).
func Write(w io.Writer, entries []offer.RegistryEntry) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	specs := spec()
	header := make([]string, numColumns)
	for c := range numColumns {
		header[c] = specs[c].name
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("écriture de l'en-tête : %w", err)
	}
	rec := make([]string, numColumns)
	for _, e := range entries {
		rec[colSIRET], rec[colKind], rec[colName], rec[colBrand] = e.SIRET, e.Kind, e.Name, e.Brand
		rec[colAddress1], rec[colAddress2], rec[colPostcode], rec[colCommune] = e.AddressLine1, e.AddressLine2, e.Postcode, e.CommuneCode
		rec[colEmail], rec[colPhone], rec[colWebsite] = e.Email, e.Phone, e.Website
		rec[colConventionNumber], rec[colConventionStart], rec[colConventionEnd] = e.ConventionNumber, frenchDate(e.ConventionStartsOn), frenchDate(e.ConventionEndsOn)
		rec[colParent] = e.ParentSIRET
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("écriture d'une ligne : %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("écriture du fichier : %w", err)
	}
	return nil
}

func frenchDate(d database.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.Time().Format("02/01/2006")
}
