// Package refdata embeds the reference CSV files (communes, départements, régions, ROME codes and
// appellations) in the binary, so that a fresh clone or a bare server has them without network
// access or a data folder. Parsing and search live in internal/refdata; this package only holds
// the bytes so that the files stay beside their README at the repository root.
package refdata

import "embed"

// FS holds communes.csv, departements.csv, regions.csv, rome.csv and appellations.csv.
//
//go:embed *.csv
var FS embed.FS
