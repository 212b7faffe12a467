package support

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/export"
	"parcours/internal/fault"
)

// Statistics (D5312-50 5°). They never read a record: a pseudonymised extract is built, one row
// per support record, and the indicators are counted from it with small cells suppressed
// (stats_suppress.go).
//
// The extract holds a keyed hash of the person (HMAC-SHA256 under the keyring's pseudonym key,
// namespace "support.statistics": not reversible without the key, stable from one extract to
// the next while the key stays, unrelated to the audit trail's pseudonyms), the referent
// organisation and its département, the months of start and end, the closing reason, the
// BOETH category and an age band. No name, no NIR, no birth date, no record id. Records whose
// processing the person had restricted (GDPR art. 18) are left out.
//
// Who: a habilitated advisor, for the records their organisation is referent of; a State
// service for its territory (a DDETS its département, a DREETS its region, the DGEFP all).
// The indicators are anonymous once suppressed; the extract is still personal data
// (pseudonymised) and needs a second factor.

// ExtractRow is one support record in the extract.
type ExtractRow struct {
	// Person is the keyed hash of the person.
	Person       string
	OrgID        uuid.UUID
	Organisation string
	Departement  string
	// Started and Ended are months (YYYY-MM); Ended is "" while the support runs.
	Started, Ended string
	ClosingReason  string
	Category       string
	AgeBand        string
	// Facts are the values of the extract's Facts, by column.
	Facts map[string]string
}

// Fact adds a column to the extract from another part of the support (a plan up to date,
// aids granted or paid): Query selects (record_id, value) rows, any number per record; the
// values of a record are joined with "|" in the extract and each counts in the indicators.
// Records without a row get Default. The query may read today as $1.
type Fact struct {
	Column, Label string
	Query         string
	Default       string
	// Labels names the values for the indicators' columns.
	Labels []Option
}

// Facts are the extract's columns from the other parts of the support: the plan's (up to date,
// late, absent) and the aids' (granted, paid, by type and funder), declared in stats_facts.go
// with their indicators.
var Facts []Fact

// AgeBands are the age bands of the extract, as employment statistics use them.
var AgeBands = []Option{{"moins_26", "Moins de 26 ans"}, {"26_49", "26 à 49 ans"}, {"50_plus", "50 ans et plus"}}

// ageBand is the band of someone born on birth, on day.
func ageBand(birth, day database.Date) string {
	if birth.IsZero() {
		return ""
	}
	age := day.Year - birth.Year
	if day.Month < birth.Month || day.Month == birth.Month && day.Day < birth.Day {
		age--
	}
	switch {
	case age < 26:
		return "moins_26"
	case age < 50:
		return "26_49"
	}
	return "50_plus"
}

func month(d database.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d", d.Year, int(d.Month))
}

// Scope is the part of the records a reader's statistics cover.
type Scope struct {
	// Label names it for the page ("Cap emploi Rhône", "Département 69", "France entière").
	Label string
	// where and args select the referent organisation o.
	where string
	args  []any
}

// scopeOf is the actor's scope, or fault.Forbidden.
func (s *Service) scopeOf(ctx context.Context, q database.Querier, actor access.Actor) (Scope, access.Resource, error) {
	res := access.Resource{OrgID: actor.OrgID}
	if actor.Kind != access.Professional || actor.OrgID == uuid.Nil {
		return Scope{}, res, nil
	}
	var name, dep string
	if err := q.QueryRowContext(ctx, `SELECT name, departement FROM organisations WHERE id = $1`, actor.OrgID).Scan(&name, &dep); err != nil {
		return Scope{}, res, fmt.Errorf("organisation : %w", err)
	}
	switch sc := actor.InstitutionScope; {
	case actor.Role == access.InstitutionAgent && strings.HasPrefix(sc, "DGEFP_"):
		return Scope{Label: "France entière", where: "TRUE"}, res, nil
	case actor.Role == access.InstitutionAgent && strings.HasPrefix(sc, "DREETS_"):
		var region string
		err := q.QueryRowContext(ctx, `SELECT region FROM departements WHERE code = $1`, dep).Scan(&region)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return Scope{}, res, err
		}
		return Scope{Label: "Région de " + name, where: "o.departement IN (SELECT code FROM departements WHERE region = $1)", args: []any{region}}, res, nil
	case actor.Role == access.InstitutionAgent && strings.HasPrefix(sc, "DDETS_"):
		return Scope{Label: "Département " + dep, where: "o.departement = $1", args: []any{dep}}, res, nil
	}
	var err error
	if res.Habilitated, err = habilitated(ctx, q, actor); err != nil {
		return Scope{}, res, err
	}
	return Scope{Label: name, where: "o.id = $1", args: []any{actor.OrgID}}, res, nil
}

// extract builds the rows of scope in q.
func (s *Service) extract(ctx context.Context, q database.Querier, sc Scope) ([]ExtractRow, error) {
	if sc.where == "" {
		return nil, fmt.Errorf("statistiques : %w", fault.Forbidden)
	}
	today := s.today()
	rows, err := q.QueryContext(ctx, `SELECT r.id, r.job_seeker_id, r.started_on, r.ended_on, r.closing_reason, r.title, j.birth_date, o.id, o.name, o.departement
		FROM support_records r
		JOIN job_seekers j ON j.id = r.job_seeker_id
		JOIN organisations o ON o.id = (SELECT c.org_id FROM support_caseload c WHERE c.record_id = r.id
			ORDER BY CASE WHEN c.referent_user IS NULL THEN 1 ELSE 0 END, c.started_on, c.org_id LIMIT 1)
		WHERE r.restricted_at IS NULL AND `+sc.where+`
		ORDER BY o.departement, o.name, r.id`, sc.args...)
	if err != nil {
		return nil, fmt.Errorf("extrait statistique : %w", err)
	}
	type raw struct {
		record uuid.UUID
		row    ExtractRow
		title  []byte
	}
	var read []raw
	for rows.Next() {
		var x raw
		var person uuid.UUID
		var started database.Date
		var ended optDate
		var birth optDate
		if err := rows.Scan(&x.record, &person, &started, &ended, &x.row.ClosingReason, &x.title, &birth, &x.row.OrgID, &x.row.Organisation, &x.row.Departement); err != nil {
			rows.Close()
			return nil, err
		}
		x.row.Person = s.env.Pseudonym("support.statistics", person.String())
		x.row.Started, x.row.Ended, x.row.AgeBand = month(started), month(ended.Date), ageBand(birth.Date, today)
		read = append(read, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	facts := make([]map[uuid.UUID][]string, len(Facts))
	for k, f := range Facts {
		if facts[k], err = factValues(ctx, q, f, today); err != nil {
			return nil, err
		}
	}
	out := make([]ExtractRow, 0, len(read))
	for _, x := range read {
		plain, err := s.env.Open(ctx, q, subject(x.record), binding(x.record, "title"), x.title)
		if err != nil {
			return nil, err
		}
		t, err := unmarshalTitle(plain)
		if err != nil {
			return nil, err
		}
		x.row.Category = t.Category
		if len(Facts) > 0 {
			x.row.Facts = map[string]string{}
			for k, f := range Facts {
				v := facts[k][x.record]
				if len(v) == 0 {
					v = []string{f.Default}
				}
				x.row.Facts[f.Column] = strings.Join(v, "|")
			}
		}
		out = append(out, x.row)
	}
	return out, nil
}

func factValues(ctx context.Context, q database.Querier, f Fact, today database.Date) (map[uuid.UUID][]string, error) {
	var args []any
	if strings.Contains(f.Query, "$1") {
		args = append(args, today) // a query may read today as $1
	}
	rows, err := q.QueryContext(ctx, f.Query, args...)
	if err != nil {
		return nil, fmt.Errorf("extrait statistique (%s) : %w", f.Column, err)
	}
	defer rows.Close()
	out := map[uuid.UUID][]string{}
	for rows.Next() {
		var id uuid.UUID
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		out[id] = append(out[id], v)
	}
	return out, rows.Err()
}

// Extract reads the pseudonymised extract of the actor's scope, for the purpose
// "statistics"; the read is decided and recorded by access.Read.
func (s *Service) Extract(ctx context.Context, actor access.Actor) ([]ExtractRow, error) {
	var sc Scope
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ExtractSupportStatistics, Purpose: access.PurposeSupportStatistics, What: "support.statistics_extract"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			var res access.Resource
			var err error
			sc, res, err = s.scopeOf(ctx, q, actor)
			return res, err
		},
		func(ctx context.Context, q database.Querier) ([]ExtractRow, error) { return s.extract(ctx, q, sc) })
}

// ExtractTable is the extract as a table for a CSV file.
func ExtractTable(rows []ExtractRow) export.Table {
	t := export.Table{Sheet: "Extrait", Header: []string{"personne", "organisation", "departement", "debut", "fin", "motif_fin", "categorie_boeth", "tranche_age"}}
	for _, f := range Facts {
		t.Header = append(t.Header, f.Column)
	}
	for _, r := range rows {
		line := []string{r.Person, r.Organisation, r.Departement, r.Started, r.Ended, r.ClosingReason, r.Category, r.AgeBand}
		for _, f := range Facts {
			line = append(line, r.Facts[f.Column])
		}
		t.Rows = append(t.Rows, line)
	}
	return t
}

// Dimension splits the extract's rows: the keys a row counts under (none: not counted), and
// the columns' order and labels.
type Dimension struct {
	Label  string
	Keys   func(ExtractRow) []string
	Values []Option
}

// Indicator is a table of people counted by two dimensions.
type Indicator struct {
	Code, Title string
	Rows, Cols  Dimension
}

func one(s string) []string { return []string{s} }

// The dimensions.
var (
	ByOrganisation = Dimension{Label: "Organisation", Keys: func(r ExtractRow) []string { return one(r.Organisation) }}
	ByDepartement  = Dimension{Label: "Département", Keys: func(r ExtractRow) []string { return one(r.Departement) }}
	ByCategory     = Dimension{Label: "Catégorie de bénéficiaire", Values: append(slices.Clone(BOETHCategories), Option{"", "Non renseignée"}),
		Keys: func(r ExtractRow) []string { return one(r.Category) }}
	ByStatus = Dimension{Label: "Situation", Values: append([]Option{{"", "En cours"}}, ClosingReasons...),
		Keys: func(r ExtractRow) []string { return one(r.ClosingReason) }}
	ByAge = Dimension{Label: "Âge", Values: AgeBands, Keys: func(r ExtractRow) []string { return one(r.AgeBand) }}
)

// FactDimension counts the rows under the values of a Fact (a plan up to date, an aid's type…).
func FactDimension(f Fact) Dimension {
	return Dimension{Label: f.Label, Values: f.Labels, Keys: func(r ExtractRow) []string { return strings.Split(r.Facts[f.Column], "|") }}
}

// Indicators are the tables of the statistics page. The plan's and the aids' indicators join
// them with FactDimension once their Facts are declared.
var Indicators = []Indicator{
	{"organisation_categorie", "Personnes accompagnées par organisation et catégorie de bénéficiaire", ByOrganisation, ByCategory},
	{"organisation_situation", "Personnes accompagnées par organisation et situation (en cours ou motif de fin)", ByOrganisation, ByStatus},
	{"departement_categorie", "Personnes accompagnées par département et catégorie de bénéficiaire", ByDepartement, ByCategory},
	{"departement_age", "Personnes accompagnées par département et âge", ByDepartement, ByAge},
}

// Table is an indicator counted and suppressed: row and column labels and the grid.
type Table struct {
	Code, Title        string
	RowLabel           string
	RowNames, ColNames []string
	Grid               Grid
}

// Count counts the distinct people of rows by the indicator's dimensions and suppresses the
// small cells. A person counts once per cell; the margins count the people of the row or
// column (a sum of the cells when each row has one key per dimension).
func (ind Indicator) Count(rows []ExtractRow) Table {
	t := Table{Code: ind.Code, Title: ind.Title, RowLabel: ind.Rows.Label}
	rowKeys := []string{}
	seenRow := map[string]bool{}
	for _, r := range rows {
		for _, k := range ind.Rows.Keys(r) {
			if !seenRow[k] {
				seenRow[k] = true
				rowKeys = append(rowKeys, k)
			}
		}
	}
	slices.Sort(rowKeys)
	colKeys := make([]string, 0, len(ind.Cols.Values))
	for _, o := range ind.Cols.Values {
		colKeys = append(colKeys, o.Code)
		t.ColNames = append(t.ColNames, o.Label)
	}
	people := make([][]map[string]bool, len(rowKeys))
	for i := range people {
		people[i] = make([]map[string]bool, len(colKeys))
		for j := range people[i] {
			people[i][j] = map[string]bool{}
		}
	}
	for _, r := range rows {
		for _, rk := range ind.Rows.Keys(r) {
			i := slices.Index(rowKeys, rk)
			for _, ck := range ind.Cols.Keys(r) {
				if j := slices.Index(colKeys, ck); i >= 0 && j >= 0 {
					people[i][j][r.Person] = true
				}
			}
		}
	}
	cells := make([][]int, len(rowKeys))
	for i := range cells {
		cells[i] = make([]int, len(colKeys))
		for j := range cells[i] {
			cells[i][j] = len(people[i][j])
		}
	}
	for _, k := range rowKeys {
		if k == "" {
			k = "Non renseigné"
		}
		t.RowNames = append(t.RowNames, k)
	}
	t.Grid = NewGrid(cells)
	if len(cells) == 0 {
		t.Grid.ColTotals = make([]int, len(colKeys))
	}
	t.Grid.Suppress()
	return t
}

// Statistics is what the indicators page shows.
type Statistics struct {
	Scope  string
	At     time.Time
	Tables []Table
}

// Indicators reads the indicators of the actor's scope, small cells suppressed, for the
// purpose "statistics"; the read is decided and recorded by access.Read.
func (s *Service) Indicators(ctx context.Context, actor access.Actor) (Statistics, error) {
	var sc Scope
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewSupportIndicators, Purpose: access.PurposeSupportStatistics, What: "support.statistics"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			var res access.Resource
			var err error
			sc, res, err = s.scopeOf(ctx, q, actor)
			return res, err
		},
		func(ctx context.Context, q database.Querier) (Statistics, error) {
			rows, err := s.extract(ctx, q, sc)
			if err != nil {
				return Statistics{}, err
			}
			out := Statistics{Scope: sc.Label, At: clock.DateOf(s.clock.Now())}
			for _, ind := range Indicators {
				out.Tables = append(out.Tables, ind.Count(rows))
			}
			return out, nil
		})
}

// Cell is an entry of a table as shown: its count, or hidden.
type Cell struct {
	N      int
	Hidden bool
}

// Line is a row of a table as shown: its name, its cells and its total.
type Line struct {
	Name  string
	Cells []Cell
	Total Cell
}

// Lines are the table's rows, then the totals row (named "Total").
func (t Table) Lines() []Line {
	g := t.Grid
	r, c := len(g.Cells), len(g.ColTotals)
	out := make([]Line, 0, r+1)
	for i := 0; i <= r; i++ {
		l := Line{Name: "Total"}
		if i < r {
			l.Name = t.RowNames[i]
		}
		for j := 0; j <= c; j++ {
			cell := Cell{N: g.at(i, j), Hidden: !g.Shown(i, j)}
			if cell.Hidden {
				cell.N = 0
			}
			if j == c {
				l.Total = cell
			} else {
				l.Cells = append(l.Cells, cell)
			}
		}
		out = append(out, l)
	}
	return out
}
