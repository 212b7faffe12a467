// Package fault defines the few kinds of error that the web and API layers turn into HTTP
// statuses. Domain errors wrap one of them with %w; callers test with errors.Is.
package fault

import (
	"errors"
	"maps"
	"slices"
	"strings"
)

// The kinds. Their messages are French because they may reach a user unchanged.
var (
	NotFound    = errors.New("introuvable")
	Forbidden   = errors.New("accès refusé")
	Conflict    = errors.New("conflit avec l'état actuel")
	Invalid     = errors.New("saisie invalide")
	Unavailable = errors.New("service momentanément indisponible")
	// Unauthenticated means the caller must log in first (401 in the API, redirect on the web).
	Unauthenticated = errors.New("connexion requise")
	// TooMany means the caller is throttled (429).
	TooMany = errors.New("trop de tentatives")
)

// Fields holds French messages for the input fields that caused a validation error, keyed by
// the field's form name. An empty key holds a message about the whole form.
// It satisfies errors.Is(err, Invalid).
type Fields map[string]string

func (f Fields) Error() string {
	keys := slices.Sorted(maps.Keys(f))
	var b strings.Builder
	b.WriteString("saisie invalide")
	for _, k := range keys {
		b.WriteString("; ")
		if k != "" {
			b.WriteString(k)
			b.WriteString(" : ")
		}
		b.WriteString(f[k])
	}
	return b.String()
}

// Is makes errors.Is(fields, Invalid) true.
func (f Fields) Is(target error) bool { return target == Invalid }

// Add records a message for field unless one is already there (the first problem is the one to fix).
func (f Fields) Add(field, message string) {
	if _, ok := f[field]; !ok {
		f[field] = message
	}
}

// Err returns f as an error, or nil when no field is in error.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return f
}

// Field returns a Fields error for a single field.
func Field(field, message string) error { return Fields{field: message} }

// FieldsOf extracts the field messages of err, if it carries any.
func FieldsOf(err error) Fields {
	var f Fields
	if errors.As(err, &f) {
		return f
	}
	return nil
}
