// Package oneway is a fixture of the one-way-in analysis (oneway_test.go): it is parsed, never
// built.
package oneway

import "parcours/internal/access"

const peopleColumns = "id, name"

var selectPeople = `SELECT ` + peopleColumns + ` FROM people ORDER BY name`

// Store is exported: its exported methods are checked.
type Store struct{}

// All reads people through an unexported method and a query variable: reported.
func (s *Store) All() ([]string, error) { return s.list() }

func (s *Store) list() ([]string, error) { return query(selectPeople) }

// Checked takes the actor: not reported.
func (s *Store) Checked(actor access.Actor) ([]string, error) { return s.list() }

// Lookup reads people through a helper function: reported.
func Lookup(id string) ([]string, error) { return find(id) }

func find(id string) ([]string, error) { return query("SELECT name FROM people WHERE id = $1", id) }

// Count reads no personal table: not reported.
func Count() ([]string, error) { return query("SELECT COUNT(*) FROM things JOIN places ON true") }

type hidden struct{}

// Exported is a method of an unexported type: not reported.
func (hidden) Exported() ([]string, error) { return query("SELECT * FROM people") }

func query(q string, args ...any) ([]string, error) { return nil, nil }
