package offer

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// A registry batch saves many entries with a few statements: the structures, conventions and
// antenna counts the entries name are read first (a few queries of IN lists), every entry is
// then decided in Go against that state, in order, as if each were saved alone after the ones
// before it, and what changed is written at the end, new rows in multi-row INSERTs. A line's
// problem is found before anything is written, so that a batch with problems writes nothing
// and reports all of them at once.
//
// Entries are decided in memory on what the batch read: a structure changed by another
// transaction between the reads and the writes is overwritten with what the registry says,
// as the former statement-per-entry import did; a convention or organisation created
// meanwhile makes a write fail (unique violation) and the batch with it.

// batchStructure is a structure as the batch sees it: as read, then as the entries before
// the current one left it.
type batchStructure struct {
	st Structure
	// orgStored: the organisation exists in the database (otherwise the batch creates it).
	orgStored bool
	// ownConvention is structures.convention_id (an antenna reaches its parent's through
	// parent_id and has none of its own).
	ownConvention uuid.UUID
	// antennas counts the structures whose parent it is.
	antennas int
	// writes tells what the batch must write for it.
	insertOrg, updateOrg, insertRow, updateRow bool
	// rowAt orders the structure's row among the batch's structure writes (its first).
	rowAt int
	// line is the last entry (1-based) that changed it.
	line int
}

type batchConvention struct {
	Convention
	// holder is the structure whose own convention it is (uuid.Nil: none).
	holder         uuid.UUID
	insert, update bool
}

type registryBatch struct {
	s   *Service
	now time.Time
	// structures by siret|kind and by id; conventions by number and by id.
	byKey       map[string]*batchStructure
	byID        map[uuid.UUID]*batchStructure
	conventions map[string]*batchConvention
	convByID    map[uuid.UUID]*batchConvention
	// rows lists the structures whose row is written, in the order of their first write.
	rows []*batchStructure
	// orgs and convs list the organisations and conventions written, in order.
	orgs  []*batchStructure
	convs []*batchConvention
	// audited lists the audit entries, one per structure changed, in order.
	audited []auditedEntry
}

type auditedEntry struct {
	id     uuid.UUID
	action string
	kind   string
}

func entryKey(siret, kind string) string { return siret + "|" + kind }

// saveRegistryBatch saves validated entries in tx. It returns what each entry did, or the
// entries' problems (*ImportError) with nothing written.
func (s *Service) saveRegistryBatch(ctx context.Context, tx *sql.Tx, actor access.Actor, entries []RegistryEntry, now time.Time) ([]RegistryResult, error) {
	b := &registryBatch{s: s, now: now, byKey: map[string]*batchStructure{}, byID: map[uuid.UUID]*batchStructure{},
		conventions: map[string]*batchConvention{}, convByID: map[uuid.UUID]*batchConvention{}}
	if err := b.lookup(ctx, tx, entries); err != nil {
		return nil, err
	}
	results := make([]RegistryResult, len(entries))
	var bad []LineError
	for i, e := range entries {
		res, err := b.decide(e, i+1)
		if err != nil {
			f := fault.FieldsOf(err)
			if f == nil {
				return nil, fmt.Errorf("ligne %d : %w", i+1, err)
			}
			bad = append(bad, LineError{Line: i + 1, Fields: f})
			continue
		}
		results[i] = res
	}
	if len(bad) > 0 {
		return nil, &ImportError{Lines: bad}
	}
	q := database.Querier(tx)
	if s.db.Engine() == database.SQLite {
		st := newStatementCache(tx)
		defer st.close()
		q = st
	}
	if err := b.write(ctx, q); err != nil {
		return nil, err
	}
	for _, a := range b.audited {
		if err := s.record(ctx, q, actor, a.action, "structure", a.id, now, map[string]string{"kind": a.kind}); err != nil {
			return nil, err
		}
	}
	return results, nil
}

// statementCache runs a transaction's statements through statements prepared once per text.
// SQLite compiles every statement it is given, and neither database/sql on a transaction nor
// modernc keeps them: a batch runs the same INSERT (a full chunk of rows, an audit entry)
// hundreds of times. (pgx caches prepared statements by itself.)
type statementCache struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func newStatementCache(tx *sql.Tx) *statementCache {
	return &statementCache{tx: tx, stmts: map[string]*sql.Stmt{}}
}

func (c *statementCache) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

func (c *statementCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *statementCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.tx.QueryContext(ctx, query, args...)
}

func (c *statementCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.tx.QueryRowContext(ctx, query, args...)
}

func (c *statementCache) close() {
	for _, st := range c.stmts {
		_ = st.Close()
	}
}

// lookup loads the structures the entries name (and their parents, and the former parents of
// those that are antennas), their antenna counts, and the conventions the entries name.
func (b *registryBatch) lookup(ctx context.Context, tx *sql.Tx, entries []RegistryEntry) error {
	sirets := map[string]bool{}
	numbers := map[string]bool{}
	for _, e := range entries {
		sirets[e.SIRET] = true
		if e.ParentSIRET != "" {
			sirets[e.ParentSIRET] = true
		}
		if e.ConventionNumber != "" {
			numbers[e.ConventionNumber] = true
		}
	}
	if err := b.loadStructures(ctx, tx, `o.siret`, keys(sirets)); err != nil {
		return err
	}
	// The former parents of antennas, whose antenna count an entry may change.
	parents := map[string]bool{}
	for _, bs := range b.byID {
		if p := bs.st.ParentID; p != uuid.Nil && b.byID[p] == nil {
			parents[p.String()] = true
		}
	}
	if err := b.loadStructures(ctx, tx, `o.id`, keys(parents)); err != nil {
		return err
	}
	var ids []any
	for id, bs := range b.byID {
		if bs.st.stored {
			ids = append(ids, id)
		}
	}
	err := inChunks(ids, func(ph string, args []any) error {
		rows, err := tx.QueryContext(ctx, `SELECT parent_id, COUNT(*) FROM structures WHERE parent_id IN `+ph+` GROUP BY parent_id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id uuid.UUID
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			b.byID[id].antennas = n
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("lecture des antennes : %w", err)
	}
	err = inChunks(keys(numbers), func(ph string, args []any) error {
		rows, err := tx.QueryContext(ctx, `SELECT c.id, c.number, c.starts_on, c.ends_on, s.org_id
			FROM conventions c LEFT JOIN structures s ON s.convention_id = c.id WHERE c.number IN `+ph, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c batchConvention
			var holder uuid.NullUUID
			if err := rows.Scan(&c.ID, &c.Number, &c.StartsOn, &c.EndsOn, &holder); err != nil {
				return err
			}
			c.holder = holder.UUID
			b.conventions[c.Number] = &c
			b.convByID[c.ID] = &c
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("lecture des conventions : %w", err)
	}
	return nil
}

// loadStructures reads the SIAE and GEIQ organisations (with their structure when they have
// one) whose column is one of values.
func (b *registryBatch) loadStructures(ctx context.Context, tx *sql.Tx, column string, values []any) error {
	err := inChunks(values, func(ph string, args []any) error {
		rows, err := tx.QueryContext(ctx, structureSelect+` WHERE o.category IN ('siae', 'geiq') AND `+column+` IN `+ph, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			st, _, err := scanStructure(rows)
			if err != nil {
				return err
			}
			if !IsKind(st.Kind) || b.byID[st.ID] != nil {
				continue
			}
			bs := &batchStructure{st: b.s.withDefaults(st), orgStored: true, rowAt: -1}
			if st.stored && !st.IsAntenna() {
				bs.ownConvention = st.Convention.ID
			}
			b.byID[st.ID] = bs
			b.byKey[entryKey(st.SIRET, st.Kind)] = bs
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("lecture des structures : %w", err)
	}
	return nil
}

// keys returns a set's keys as query arguments.
func keys(set map[string]bool) []any {
	out := make([]any, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return out
}

// inChunks calls fn with a placeholder list "($1, $2…)" and its arguments, for at most 500
// values at a time.
func inChunks(values []any, fn func(placeholders string, args []any) error) error {
	for len(values) > 0 {
		n := min(500, len(values))
		var a args
		parts := make([]string, n)
		for i := range n {
			parts[i] = a.add(values[i])
		}
		if err := fn("("+strings.Join(parts, ", ")+")", a); err != nil {
			return err
		}
		values = values[n:]
	}
	return nil
}

// decide applies one entry to the batch's state, or returns its problem (fault.Fields) and
// leaves the state as it was.
func (b *registryBatch) decide(e RegistryEntry, line int) (RegistryResult, error) {
	commune, _ := b.s.places.Commune(e.CommuneCode)
	bs := b.byKey[entryKey(e.SIRET, e.Kind)]
	created := bs == nil
	var st Structure
	if created {
		id := uuid.Must(uuid.NewV7())
		st = b.s.withDefaults(Structure{ID: id, Kind: e.Kind, Name: e.Name, SIRET: e.SIRET, CommuneCode: commune.Code,
			Departement: commune.Departement})
	} else {
		st = bs.st
	}
	// Registry contacts fill what the employer left empty; a change of commune moves the
	// position with it (apply).
	next, err := b.s.apply(st, StructureInput{Brand: firstNonEmpty(st.Brand, e.Brand),
		AddressLine1: firstNonEmpty(st.AddressLine1, e.AddressLine1), AddressLine2: firstNonEmpty(st.AddressLine2, e.AddressLine2),
		Postcode: firstNonEmpty(st.Postcode, e.Postcode), CommuneCode: commune.Code, Lat: e.Lat, Lng: e.Lng,
		Phone: firstNonEmpty(st.Phone, e.Phone), Email: firstNonEmpty(st.Email, e.Email),
		Website: firstNonEmpty(st.Website, e.Website), Description: st.Description, ProvidedSupport: st.ProvidedSupport})
	if err != nil {
		return RegistryResult{}, err
	}
	next.Name = e.Name
	orgChanged := !created && (st.Name != next.Name || st.CommuneCode != next.CommuneCode || st.Departement != next.Departement)
	rowChanged := !st.stored || changedFields(st, next) != ""

	// The parent the entry names, as the batch knows it now.
	var parent *batchStructure
	if e.ParentSIRET != "" {
		parent = b.byKey[entryKey(e.ParentSIRET, e.Kind)]
		switch {
		case parent == nil || !parent.st.stored:
			return RegistryResult{}, fault.Field("parent_siret", "structure mère introuvable : elle doit être du même type et importée avant ses antennes")
		case parent.st.IsAntenna():
			return RegistryResult{}, fault.Field("parent_siret", "la structure mère est elle-même une antenne : rattachez l'antenne à la structure principale")
		case !created && bs.antennas > 0:
			return RegistryResult{}, fault.Field("parent_siret", "cette structure a ses propres antennes : elle ne peut pas devenir une antenne")
		}
	}
	parentID := uuid.Nil
	if parent != nil {
		parentID = parent.st.ID
	}
	parentChanged := parentID != st.ParentID
	ownConvention := uuid.Nil
	if !created {
		ownConvention = bs.ownConvention
	}
	if parentID != uuid.Nil {
		ownConvention = uuid.Nil // an antenna has no convention of its own
	}

	// The convention: an antenna's is its parent's; otherwise the entry's, or none.
	var conv *batchConvention
	convWritten, convNew := false, false
	if e.ParentSIRET == "" && e.ConventionNumber != "" {
		conv = b.conventions[e.ConventionNumber]
		if conv == nil {
			conv = &batchConvention{Convention: Convention{ID: uuid.Must(uuid.NewV7()), Number: e.ConventionNumber,
				StartsOn: e.ConventionStartsOn, EndsOn: e.ConventionEndsOn}}
			convNew, convWritten = true, true
		} else if conv.StartsOn != e.ConventionStartsOn || conv.EndsOn != e.ConventionEndsOn {
			convWritten = true
		}
		if conv.holder != uuid.Nil && conv.holder != st.ID {
			return RegistryResult{}, fault.Field("convention_number", "cette convention est déjà celle d'une autre structure")
		}
	}
	nextConvention := ownConvention
	if e.ParentSIRET == "" {
		nextConvention = uuid.Nil
		if conv != nil {
			nextConvention = conv.ID
		}
	}
	conventionChanged := convWritten || nextConvention != ownConvention
	if parentID != uuid.Nil {
		conventionChanged = false // the parent's change (parentChanged) carries it
	}
	if !created && st.stored && !orgChanged && !rowChanged && !parentChanged && !conventionChanged {
		return RegistryResult{Structure: st, Unchanged: true}, nil
	}

	// Decided: the batch's state moves on.
	if created {
		bs = &batchStructure{orgStored: false, insertOrg: true, rowAt: -1}
		b.byKey[entryKey(e.SIRET, e.Kind)] = bs
		b.byID[st.ID] = bs
		b.orgs = append(b.orgs, bs)
	} else if orgChanged && !bs.insertOrg && !bs.updateOrg {
		bs.updateOrg = true
		b.orgs = append(b.orgs, bs)
	}
	if conv != nil {
		if convWritten {
			conv.StartsOn, conv.EndsOn = e.ConventionStartsOn, e.ConventionEndsOn
			if convNew {
				conv.insert = true
				b.conventions[conv.Number] = conv
				b.convByID[conv.ID] = conv
				b.convs = append(b.convs, conv)
			} else if !conv.insert && !conv.update {
				conv.update = true
				b.convs = append(b.convs, conv)
			}
		}
	}
	// The convention it gives up is free for the next entries (a convention the entries do not
	// name was not read: none of them can take it).
	if c := b.convByID[bs.ownConvention]; c != nil && bs.ownConvention != nextConvention && c.holder == st.ID {
		c.holder = uuid.Nil
	}
	if conv != nil && nextConvention == conv.ID {
		conv.holder = st.ID
	}
	if parentChanged {
		if old := b.byID[st.ParentID]; old != nil {
			old.antennas--
		}
		if parent != nil {
			parent.antennas++
		}
	}
	next.ParentID = parentID
	next.Convention = Convention{}
	switch {
	case parent != nil:
		next.Convention = b.conventionByID(parent.ownConvention)
	case conv != nil:
		next.Convention = conv.Convention
	}
	wasStored := st.stored
	next.stored = true
	bs.st = next
	bs.line = line
	bs.ownConvention = nextConvention
	if bs.rowAt < 0 {
		bs.rowAt = len(b.rows)
		b.rows = append(b.rows, bs)
		if wasStored {
			bs.updateRow = true
		} else {
			bs.insertRow = true
		}
	}
	action := "offer.registry_updated"
	if !wasStored {
		action = "offer.registry_created"
	}
	b.audited = append(b.audited, auditedEntry{id: st.ID, action: action, kind: e.Kind})
	return RegistryResult{Structure: next, Created: !wasStored}, nil
}

// conventionByID is the convention with this id, as far as the batch knows it.
func (b *registryBatch) conventionByID(id uuid.UUID) Convention {
	if c := b.convByID[id]; c != nil {
		return c.Convention
	}
	if id == uuid.Nil {
		return Convention{}
	}
	return Convention{ID: id}
}

// withDefaults gives an organisation without a structures row the defaults it would get
// (listed, positioned at its commune's centre), as loadStructure does.
func (s *Service) withDefaults(st Structure) Structure {
	if st.stored {
		return st
	}
	st.Searchable = true
	if c, ok := s.places.Commune(st.CommuneCode); ok && c.HasCoords {
		st.Lat, st.Lng, st.HasPosition = c.Lat, c.Lng, true
	}
	return st
}

// Rows per multi-row INSERT: SQLite compiles a statement per call and is fastest with a few
// hundred parameters a statement; PostgreSQL pays a round trip per statement.
func (b *registryBatch) rowsPerInsert(columns int) int {
	if b.s.db.Engine() == database.SQLite {
		return max(1, 250/columns)
	}
	return max(1, 4000/columns)
}

// write runs the batch's writes: conventions, then organisations, then structures rows in
// the order the entries changed them (consecutive new rows in multi-row INSERTs), so that a
// convention a structure gave up is free when the next takes it, and a parent exists before
// its antennas.
func (b *registryBatch) write(ctx context.Context, tx database.Querier) error {
	now := b.now
	var newConvs [][]any
	for _, c := range b.convs {
		if c.insert {
			newConvs = append(newConvs, []any{c.ID, c.Number, c.StartsOn, c.EndsOn, now, now})
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conventions SET starts_on = $2, ends_on = $3, updated_at = $4 WHERE id = $1`,
			c.ID, c.StartsOn, c.EndsOn, now); err != nil {
			return fmt.Errorf("enregistrement des conventions : %w", err)
		}
	}
	if err := b.insert(ctx, tx, "conventions", []string{"id", "number", "starts_on", "ends_on", "created_at", "updated_at"}, newConvs); err != nil {
		return fmt.Errorf("enregistrement des conventions : %w", err)
	}
	var newOrgs [][]any
	for _, bs := range b.orgs {
		st := &bs.st
		if bs.insertOrg {
			category := "siae"
			if st.Kind == KindGEIQ {
				category = "geiq"
			}
			newOrgs = append(newOrgs, []any{st.ID, st.Kind, category, st.Name, st.SIRET, st.CommuneCode, st.Departement, now, now})
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE organisations SET name = $2, commune_code = $3, departement = $4, updated_at = $5 WHERE id = $1`,
			st.ID, st.Name, st.CommuneCode, st.Departement, now); err != nil {
			return fmt.Errorf("mise à jour de l'organisation : %w", err)
		}
	}
	if err := b.insert(ctx, tx, "organisations", []string{"id", "kind", "category", "name", "siret", "commune_code", "departement",
		"created_at", "updated_at"}, newOrgs); err != nil {
		return fmt.Errorf("création des organisations : %w", err)
	}
	cols := []string{"org_id", "brand", "address_line1", "address_line2", "postcode", "lat", "lng", "position_precise", "phone", "email",
		"website", "description", "provided_support", "parent_id", "convention_id", "searchable", "block_applications",
		"spontaneous_open_since", "created_at", "updated_at"}
	var pending [][]any
	flush := func() error {
		err := b.insert(ctx, tx, "structures", cols, pending)
		pending = pending[:0]
		return err
	}
	for _, bs := range b.rows {
		st := &bs.st
		if bs.insertRow {
			pending = append(pending, []any{st.ID, st.Brand, st.AddressLine1, st.AddressLine2, st.Postcode,
				nullFloat(st.Lat, st.HasPosition), nullFloat(st.Lng, st.HasPosition), st.PositionPrecise, st.Phone, st.Email, st.Website,
				st.Description, st.ProvidedSupport, database.NullUUID(st.ParentID), database.NullUUID(bs.ownConvention), st.Searchable,
				st.BlockApplications, database.NullTime(st.SpontaneousOpenSince), now, now})
			continue
		}
		if err := flush(); err != nil {
			return fmt.Errorf("création des structures : %w", err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE structures SET brand = $2, address_line1 = $3, address_line2 = $4, postcode = $5,
			lat = $6, lng = $7, position_precise = $8, phone = $9, email = $10, website = $11, parent_id = $12, convention_id = $13,
			updated_at = $14 WHERE org_id = $1`,
			st.ID, st.Brand, st.AddressLine1, st.AddressLine2, st.Postcode, nullFloat(st.Lat, st.HasPosition),
			nullFloat(st.Lng, st.HasPosition), st.PositionPrecise, st.Phone, st.Email, st.Website, database.NullUUID(st.ParentID),
			database.NullUUID(bs.ownConvention), now)
		if database.IsUniqueViolation(err) {
			// Another transaction gave the convention to a structure after the batch read it.
			return &ImportError{Lines: []LineError{{Line: bs.line,
				Fields: fault.Fields{"convention_number": "cette convention est déjà celle d'une autre structure"}}}}
		}
		if err != nil {
			return fmt.Errorf("enregistrement de la structure : %w", err)
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("création des structures : %w", err)
	}
	return nil
}

// insert writes rows into table with multi-row INSERTs.
func (b *registryBatch) insert(ctx context.Context, tx database.Querier, table string, cols []string, rows [][]any) error {
	per := b.rowsPerInsert(len(cols))
	for len(rows) > 0 {
		n := min(per, len(rows))
		var q strings.Builder
		q.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		var a args
		for i, row := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for k, v := range row {
				if k > 0 {
					q.WriteString(", ")
				}
				q.WriteString(a.add(v))
			}
			q.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, q.String(), a...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
