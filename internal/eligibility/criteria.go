package eligibility

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"time"

	"parcours/internal/database"
	"parcours/internal/fault"
)

// Criterion is one administrative criterion of IAE eligibility.
type Criterion struct {
	Code  string `json:"code"`
	Level int    `json:"level"`
	Label string `json:"label"`
	// Description spells out an acronym or a duration ("Inscrit à France Travail depuis 24 mois
	// ou plus").
	Description string `json:"description"`
	// Proof is the written proof the structure keeps, ProofValidity how recent it must be.
	Proof         string `json:"proof"`
	ProofValidity string `json:"proof_validity"`
}

// Incompatibility is a pair of criteria that cannot both be checked, with the French message
// shown at the second one.
type Incompatibility struct {
	A       string `json:"a"`
	B       string `json:"b"`
	Message string `json:"message"`
}

// Set is one version of the criteria: those of an arrêté, applying from EffectiveFrom.
type Set struct {
	ID            string            `json:"id"`
	Label         string            `json:"label"`
	Source        string            `json:"source"`
	EffectiveFrom database.Date     `json:"-"`
	Criteria      []Criterion       `json:"criteria"`
	Incompatible  []Incompatibility `json:"incompatible"`
}

// Criterion returns the criterion of a code.
func (s Set) Criterion(code string) (Criterion, bool) {
	i := slices.IndexFunc(s.Criteria, func(c Criterion) bool { return c.Code == code })
	if i < 0 {
		return Criterion{}, false
	}
	return s.Criteria[i], true
}

// Level lists the criteria of a level in their order.
func (s Set) Level(level int) []Criterion {
	var out []Criterion
	for _, c := range s.Criteria {
		if c.Level == level {
			out = append(out, c)
		}
	}
	return out
}

//go:embed criteria/*.json
var criteriaFiles embed.FS

// CriteriaFiles are the embedded criteria sets, one JSON file per arrêté.
func CriteriaFiles() fs.FS {
	sub, err := fs.Sub(criteriaFiles, "criteria")
	if err != nil {
		panic(err) // the folder is embedded: only a broken build fails here
	}
	return sub
}

// ParseSets reads every *.json file of fsys as a criteria set and checks it: codes unique,
// levels 1 or 2, proofs described, incompatible pairs naming criteria of the set. The sets are
// returned by effective date.
func ParseSets(fsys fs.FS) ([]Set, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	var out []Set
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var file struct {
			Set
			EffectiveFrom string `json:"effective_from"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&file); err != nil {
			return nil, fmt.Errorf("critères %s : %w", name, err)
		}
		set := file.Set
		if set.EffectiveFrom, err = database.ParseDate(file.EffectiveFrom); err != nil {
			return nil, fmt.Errorf("critères %s : date d'effet : %w", name, err)
		}
		if err := set.check(); err != nil {
			return nil, fmt.Errorf("critères %s : %w", name, err)
		}
		out = append(out, set)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].EffectiveFrom.Before(out[j].EffectiveFrom) })
	for i := 1; i < len(out); i++ {
		if out[i].EffectiveFrom == out[i-1].EffectiveFrom {
			return nil, fmt.Errorf("critères : deux référentiels s'appliquent le %s", out[i].EffectiveFrom.French())
		}
	}
	return out, nil
}

func (s Set) check() error {
	if s.ID == "" || s.Label == "" || s.Source == "" {
		return errors.New("identifiant, libellé et source requis")
	}
	seen := map[string]bool{}
	for _, c := range s.Criteria {
		switch {
		case c.Code == "" || seen[c.Code]:
			return fmt.Errorf("code de critère vide ou en double : %q", c.Code)
		case c.Level != 1 && c.Level != 2:
			return fmt.Errorf("critère %s : niveau %d (1 ou 2 attendu)", c.Code, c.Level)
		case c.Label == "" || c.Proof == "" || c.ProofValidity == "":
			return fmt.Errorf("critère %s : libellé, justificatif et validité du justificatif requis", c.Code)
		}
		seen[c.Code] = true
	}
	for _, p := range s.Incompatible {
		if !seen[p.A] || !seen[p.B] || p.A == p.B || p.Message == "" {
			return fmt.Errorf("critères incompatibles %s et %s : inconnus ou sans message", p.A, p.B)
		}
	}
	return nil
}

// EnsureCriteria loads into the database the sets of fsys it does not hold yet, each in one
// transaction. A set already loaded must be the same: a published set never changes, since
// diagnoses were made with it; a new arrêté is a new file. Its wordings (labels, proofs) may be
// corrected, not its codes, levels or pairs.
func EnsureCriteria(ctx context.Context, db *database.DB, fsys fs.FS, now time.Time) error {
	sets, err := ParseSets(fsys)
	if err != nil {
		return err
	}
	for _, set := range sets {
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			stored, ok, err := loadSet(ctx, tx, set.ID)
			if err != nil {
				return err
			}
			if ok {
				return updateWordings(ctx, tx, stored, set)
			}
			return insertSet(ctx, tx, set, now)
		})
		if err != nil {
			return fmt.Errorf("référentiel des critères %s : %w", set.ID, err)
		}
	}
	return nil
}

func insertSet(ctx context.Context, tx *sql.Tx, set Set, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO eligibility_criteria_sets (id, label, source, effective_from, loaded_at)
		VALUES ($1, $2, $3, $4, $5)`, set.ID, set.Label, set.Source, set.EffectiveFrom, now); err != nil {
		return err
	}
	for i, c := range set.Criteria {
		if _, err := tx.ExecContext(ctx, `INSERT INTO eligibility_criteria (set_id, code, level, position, label, description, proof, proof_validity)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, set.ID, c.Code, c.Level, i+1, c.Label, c.Description, c.Proof, c.ProofValidity); err != nil {
			return err
		}
	}
	for _, p := range set.Incompatible {
		if _, err := tx.ExecContext(ctx, `INSERT INTO eligibility_incompatibilities (set_id, code_a, code_b, message) VALUES ($1, $2, $3, $4)`,
			set.ID, p.A, p.B, p.Message); err != nil {
			return err
		}
	}
	return nil
}

func updateWordings(ctx context.Context, tx *sql.Tx, stored, set Set) error {
	same := stored.EffectiveFrom == set.EffectiveFrom && len(stored.Criteria) == len(set.Criteria) && len(stored.Incompatible) == len(set.Incompatible)
	for i := 0; same && i < len(set.Criteria); i++ {
		same = stored.Criteria[i].Code == set.Criteria[i].Code && stored.Criteria[i].Level == set.Criteria[i].Level
	}
	for i := 0; same && i < len(set.Incompatible); i++ {
		p := set.Incompatible[i]
		same = slices.ContainsFunc(stored.Incompatible, func(q Incompatibility) bool { return q.A == p.A && q.B == p.B })
	}
	if !same {
		return fmt.Errorf("un référentiel publié ne change pas (codes, niveaux, paires ou date d'effet) : publiez-en un nouveau : %w", fault.Conflict)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE eligibility_criteria_sets SET label = $2, source = $3 WHERE id = $1`, set.ID, set.Label, set.Source); err != nil {
		return err
	}
	for _, c := range set.Criteria {
		if _, err := tx.ExecContext(ctx, `UPDATE eligibility_criteria SET label = $3, description = $4, proof = $5, proof_validity = $6
			WHERE set_id = $1 AND code = $2`, set.ID, c.Code, c.Label, c.Description, c.Proof, c.ProofValidity); err != nil {
			return err
		}
	}
	for _, p := range set.Incompatible {
		if _, err := tx.ExecContext(ctx, `UPDATE eligibility_incompatibilities SET message = $4 WHERE set_id = $1 AND code_a = $2 AND code_b = $3`,
			set.ID, p.A, p.B, p.Message); err != nil {
			return err
		}
	}
	return nil
}

// loadSet reads a stored set; ok is false when it is not loaded.
func loadSet(ctx context.Context, q database.Querier, id string) (Set, bool, error) {
	set := Set{ID: id}
	err := q.QueryRowContext(ctx, `SELECT label, source, effective_from FROM eligibility_criteria_sets WHERE id = $1`, id).
		Scan(&set.Label, &set.Source, &set.EffectiveFrom)
	if errors.Is(err, sql.ErrNoRows) {
		return Set{}, false, nil
	}
	if err != nil {
		return Set{}, false, fmt.Errorf("référentiel des critères : %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT code, level, label, description, proof, proof_validity FROM eligibility_criteria
		WHERE set_id = $1 ORDER BY position`, id)
	if err != nil {
		return Set{}, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var c Criterion
		if err := rows.Scan(&c.Code, &c.Level, &c.Label, &c.Description, &c.Proof, &c.ProofValidity); err != nil {
			return Set{}, false, err
		}
		set.Criteria = append(set.Criteria, c)
	}
	if err := rows.Err(); err != nil {
		return Set{}, false, err
	}
	pairs, err := q.QueryContext(ctx, `SELECT code_a, code_b, message FROM eligibility_incompatibilities WHERE set_id = $1
		ORDER BY code_a, code_b`, id)
	if err != nil {
		return Set{}, false, err
	}
	defer pairs.Close()
	for pairs.Next() {
		var p Incompatibility
		if err := pairs.Scan(&p.A, &p.B, &p.Message); err != nil {
			return Set{}, false, err
		}
		set.Incompatible = append(set.Incompatible, p)
	}
	return set, true, pairs.Err()
}

// errNoSet: no criteria set applies on the day (none loaded, or all apply later).
var errNoSet = fmt.Errorf("aucun référentiel de critères d'éligibilité ne s'applique à cette date (lancez « parcours migrate ») : %w", fault.Unavailable)

// setOn reads the set that applies on a day: the one with the latest effective date not after it.
func setOn(ctx context.Context, q database.Querier, day database.Date) (Set, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT id FROM eligibility_criteria_sets WHERE effective_from <= $1 ORDER BY effective_from DESC LIMIT 1`, day).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Set{}, errNoSet
	}
	if err != nil {
		return Set{}, fmt.Errorf("référentiel des critères : %w", err)
	}
	set, _, err := loadSet(ctx, q, id)
	return set, err
}
