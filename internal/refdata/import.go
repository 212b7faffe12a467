package refdata

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"parcours/internal/database"
)

// The settings that record which reference data the database holds.
const (
	SettingVersion  = "refdata_version"
	SettingLoadedAt = "refdata_loaded_at"
)

// batchRows is how many rows go in one INSERT on PostgreSQL: few round trips, and at 10
// columns well under its limit of 65535 parameters. SQLite reads "$N" as a named parameter and
// finds each name by a linear search of the statement's names, so a statement's cost grows
// with the square of its parameter count: there, batches stop at sqliteBatchParams parameters,
// which measured fastest (see BENCHMARKS.md); round trips cost nothing in process.
const (
	batchRows         = 500
	sqliteBatchParams = 500
)

func rowsPerBatch(engine database.Engine, cols int) int {
	if engine == database.SQLite {
		return max(1, sqliteBatchParams/cols)
	}
	return batchRows
}

// TableReport counts what an import did to one table.
type TableReport struct {
	Table     string
	Total     int // rows in the files
	Inserted  int
	Updated   int
	Unchanged int
	// Obsolete counts rows the database has but the files no longer list (a merged commune, a
	// withdrawn appellation). They are kept: job seekers, offers and decisions still point at
	// them, and history must keep its meaning.
	Obsolete int
}

// Report says what Import did.
type Report struct {
	Version string
	Tables  []TableReport // in import order: regions, departements, communes, rome_codes, appellations
	// WithoutCoords lists the communes stored with NULL coordinates, for the operator to see.
	WithoutCoords []Commune
	Duration      time.Duration
}

// Changed reports whether the import wrote any row.
func (r Report) Changed() bool {
	for _, t := range r.Tables {
		if t.Inserted > 0 || t.Updated > 0 {
			return true
		}
	}
	return false
}

// String summarises the report in French for the operator's log or terminal.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "données de référence %s importées en %s :", shortVersion(r.Version), r.Duration.Round(time.Millisecond))
	for i, t := range r.Tables {
		if i > 0 {
			b.WriteString(" ;")
		}
		fmt.Fprintf(&b, " %s %d (%d ajoutées, %d modifiées, %d inchangées", t.Table, t.Total, t.Inserted, t.Updated, t.Unchanged)
		if t.Obsolete > 0 {
			fmt.Fprintf(&b, ", %d conservées bien qu'absentes des fichiers", t.Obsolete)
		}
		b.WriteString(")")
	}
	if len(r.WithoutCoords) > 0 {
		fmt.Fprintf(&b, ". %d communes sans coordonnées (lat et lng vides) :", len(r.WithoutCoords))
		for i, c := range r.WithoutCoords {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %s %s", c.Code, c.Name)
		}
	}
	return b.String()
}

func shortVersion(v string) string {
	if len(v) > 12 {
		return v[:12]
	}
	return v
}

// Loaded reports whether reference data was ever imported into the database.
func Loaded(ctx context.Context, q database.Querier) (bool, error) {
	_, ok, err := database.Setting(ctx, q, SettingVersion)
	return ok, err
}

// NeedsImport reports whether the database does not hold exactly data: never imported, or
// imported from other files. serve calls it at every start and imports only then, so that a
// restart costs one query rather than a 35,000-row comparison.
func NeedsImport(ctx context.Context, q database.Querier, data *Data) (bool, error) {
	v, ok, err := database.Setting(ctx, q, SettingVersion)
	if err != nil {
		return false, err
	}
	return !ok || v != data.Version(), nil
}

// EnsureImported imports data when NeedsImport says so; imported tells whether it did. Several
// instances starting together may both import: that is safe, since Import is idempotent and
// its upserts wait on each other's rows.
func EnsureImported(ctx context.Context, db *database.DB, data *Data, now time.Time) (r Report, imported bool, err error) {
	need, err := NeedsImport(ctx, db.Reader(), data)
	if err != nil || !need {
		return Report{Version: data.Version()}, false, err
	}
	r, err = Import(ctx, db, data, now)
	return r, err == nil, err
}

// Import writes data into the reference tables in one transaction, so that a failure leaves the
// previous data whole. It reads the current rows first and writes only the new and changed
// ones, so a second run writes nothing and reports every row unchanged; the settings
// refdata_version and refdata_loaded_at (now, in UTC) change only when something did. Rows the
// files no longer list are kept and counted as obsolete.
//
// Duration is measured on the wall clock: it reports cost, it decides nothing.
func Import(ctx context.Context, db *database.DB, data *Data, now time.Time) (Report, error) {
	start := time.Now()
	var report Report
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		report = Report{Version: data.Version(), WithoutCoords: data.CommunesWithoutCoords()}
		for _, t := range data.tables() {
			tr, err := t.sync(ctx, tx, rowsPerBatch(db.Engine(), len(t.cols)))
			if err != nil {
				return err
			}
			report.Tables = append(report.Tables, tr)
		}
		stored, _, err := database.Setting(ctx, tx, SettingVersion)
		if err != nil {
			return err
		}
		if stored == data.Version() && !report.Changed() {
			return nil
		}
		if err := database.SetSetting(ctx, tx, SettingVersion, data.Version(), now.UTC()); err != nil {
			return err
		}
		return database.SetSetting(ctx, tx, SettingLoadedAt, now.UTC().Format(time.RFC3339Nano), now.UTC())
	})
	if err != nil {
		return Report{}, fmt.Errorf("import des données de référence : %w", err)
	}
	report.Duration = time.Since(start)
	return report, nil
}

// colKind is how a column's values are scanned back for comparison.
type colKind uint8

const (
	colText colKind = iota
	colReal
	colInt
)

type column struct {
	name string
	kind colKind
}

// table is one reference table's rows as SQL values: string, float64, int64 or nil for NULL,
// the same types Scan gives back, so that rows compare with ==. The first column is the code.
type table struct {
	name string
	cols []column
	rows [][]any
}

func (d *Data) tables() []table {
	regions := table{name: "regions", cols: []column{{"code", colText}, {"name", colText}, {"lat", colReal}, {"lng", colReal}, {"chef_lieu", colText}}}
	for _, r := range d.regions {
		regions.rows = append(regions.rows, []any{r.Code, r.Name, r.Lat, r.Lng, r.ChefLieu})
	}
	deps := table{name: "departements", cols: []column{{"code", colText}, {"region", colText}, {"name", colText}, {"lat", colReal}, {"lng", colReal}, {"chef_lieu", colText}}}
	for _, x := range d.departements {
		deps.rows = append(deps.rows, []any{x.Code, x.Region, x.Name, x.Lat, x.Lng, x.ChefLieu})
	}
	communes := table{name: "communes", cols: []column{{"code", colText}, {"name", colText}, {"type", colText}, {"departement", colText},
		{"region", colText}, {"postcodes", colText}, {"lat", colReal}, {"lng", colReal}, {"population", colInt}, {"parent", colText}}}
	// Communes before arrondissements, so that the parent a row references is already there.
	for _, kind := range []CommuneType{TypeCommune, TypeArrondissement} {
		for _, p := range d.communeByCode {
			c := d.communes[p]
			if c.Type != kind {
				continue
			}
			var lat, lng, parent any
			if c.HasCoords {
				lat, lng = c.Lat, c.Lng
			}
			if c.Parent != "" {
				parent = c.Parent
			}
			communes.rows = append(communes.rows, []any{c.Code, c.Name, string(c.Type), c.Departement, c.Region,
				strings.Join(c.Postcodes, " "), lat, lng, int64(c.Population), parent})
		}
	}
	romes := table{name: "rome_codes", cols: []column{{"code", colText}, {"label", colText}}}
	for _, p := range d.romeByCode {
		romes.rows = append(romes.rows, []any{d.romes[p].Code, d.romes[p].Label})
	}
	apps := table{name: "appellations", cols: []column{{"code", colText}, {"label", colText}, {"rome", colText}}}
	for _, p := range d.appellationByCode {
		a := d.appellations[p]
		apps.rows = append(apps.rows, []any{a.Code, a.Label, a.Rome})
	}
	return []table{regions, deps, communes, romes, apps}
}

// sync upserts the rows that differ from the database's.
func (t table) sync(ctx context.Context, tx *sql.Tx, batch int) (TableReport, error) {
	tr := TableReport{Table: t.name, Total: len(t.rows)}
	current, err := t.current(ctx, tx)
	if err != nil {
		return tr, err
	}
	var write [][]any
	for _, row := range t.rows {
		old, ok := current[row[0].(string)]
		switch {
		case !ok:
			tr.Inserted++
			write = append(write, row)
		case !equalRows(old, row):
			tr.Updated++
			write = append(write, row)
		default:
			tr.Unchanged++
		}
	}
	tr.Obsolete = len(current) - tr.Updated - tr.Unchanged
	for start := 0; start < len(write); start += batch {
		rows := write[start:min(start+batch, len(write))]
		if _, err := tx.ExecContext(ctx, t.upsert(len(rows)), flatten(rows)...); err != nil {
			return tr, fmt.Errorf("écriture de %s : %w", t.name, err)
		}
	}
	return tr, nil
}

func equalRows(a, b []any) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func flatten(rows [][]any) []any {
	out := make([]any, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// current reads the table's rows, by code.
func (t table) current(ctx context.Context, tx *sql.Tx) (map[string][]any, error) {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.name
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+t.name)
	if err != nil {
		return nil, fmt.Errorf("lecture de %s : %w", t.name, err)
	}
	defer rows.Close()
	out := make(map[string][]any, len(t.rows))
	dest := make([]any, len(t.cols))
	for rows.Next() {
		for i, c := range t.cols {
			switch c.kind {
			case colReal:
				dest[i] = new(sql.NullFloat64)
			case colInt:
				dest[i] = new(sql.NullInt64)
			default:
				dest[i] = new(sql.NullString)
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("lecture de %s : %w", t.name, err)
		}
		row := make([]any, len(dest))
		for i, d := range dest {
			switch v := d.(type) {
			case *sql.NullFloat64:
				if v.Valid {
					row[i] = v.Float64
				}
			case *sql.NullInt64:
				if v.Valid {
					row[i] = v.Int64
				}
			case *sql.NullString:
				if v.Valid {
					row[i] = v.String
				}
			}
		}
		code, _ := row[0].(string)
		out[code] = row
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lecture de %s : %w", t.name, err)
	}
	return out, nil
}

// upsert builds the multi-row INSERT … ON CONFLICT for n rows, in the syntax both engines accept.
func (t table) upsert(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(t.name)
	b.WriteString(" (")
	for i, c := range t.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.name)
	}
	b.WriteString(") VALUES ")
	p := 1
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for i := range t.cols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	b.WriteString(" ON CONFLICT (code) DO UPDATE SET ")
	for i, c := range t.cols[1:] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.name)
		b.WriteString(" = excluded.")
		b.WriteString(c.name)
	}
	return b.String()
}
