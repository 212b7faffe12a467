// Package registrycsv reads the registry of SIAE and GEIQ structures from a CSV file and
// imports it through offer.Service.ImportRegistry, in batches, with a report per line.
//
// # File format
//
// The file is UTF-8 text (an optional byte order mark is skipped), fields separated by ";" or
// "," (whichever the header line holds more of), quoted per RFC 4180 when they contain the
// separator, a quote or a line break, lines ending in CRLF or LF. The first line names the
// columns; names are compared without case, accents, spaces or punctuation ("Raison sociale",
// "RAISON_SOCIALE" and "raison-sociale" are one column), in any order. A column with an unknown
// name is reported as a warning and ignored; a column named twice is an error. At most
// MaxRows data lines.
//
//	siret               required  14 digits (spaces and dots ignored)
//	type                required  EI, AI, ACI, ETTI, EITI or GEIQ
//	raison_sociale      required  legal name, 200 characters at most
//	code_insee          required  INSEE code of the commune (5 characters: 69123, 2A004)
//	enseigne                      brand shown instead of the legal name
//	adresse                       address line
//	complement_adresse            second address line
//	code_postal                   5 digits
//	email                         contact address
//	telephone                     French number (01 23 45 67 89, +33 1 23 45 67 89)
//	site_web                      http(s) address; "https://" is added when missing
//	numero_convention             SIAE only, none for a GEIQ or an antenna
//	debut_convention              JJ/MM/AAAA or AAAA-MM-JJ, with the number
//	fin_convention                JJ/MM/AAAA or AAAA-MM-JJ, with the number
//	siret_parent                  makes the structure an antenna of the structure of the same
//	                              type with that SIRET (in the database or in the file)
//
// A few other spellings are accepted for each column (see the aliases in columns.go and
// FORMAT.md, which is the user documentation).
//
// # What an import does
//
// A structure is found by SIRET and type: it is created when missing, updated otherwise, so
// importing the same file twice creates nothing the second time. Address and contacts only
// fill the fields the employer left empty on the structure's page. Lines are written in
// batches of BatchSize, each batch in one transaction: a line that the registry refuses is
// reported with its file line number and reason and the batch is written again without it, so
// every valid line is written and no batch is half-written. Antennas are imported after every
// other line, so that a parent may come before or after its antennas in the file.
package registrycsv
