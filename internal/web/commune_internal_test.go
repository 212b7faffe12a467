package web

import (
	"strings"
	"testing"

	"parcours/internal/refdata"
)

// The commune field reads what its hint suggests: a postcode, a name, or "Name (postcode)"
// from the suggestions; a postcode that does not go with the name is said so.
func TestResolveCommune(t *testing.T) {
	places, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{places: places}
	for _, c := range []struct {
		input, code, msg string
		candidates       bool
	}{
		{input: "69001", code: "69381"}, // Lyon 1er's postcode, not Affoux's INSEE code
		{input: "75011", code: "75111"}, // an arrondissement rather than Paris
		{input: "69123", code: "69123"}, // no postcode: an INSEE code (search links)
		{input: "Lyon", code: "69123"},  // the city
		{input: "Lyon 1er Arrondissement (69001)", code: "69381"},
		{input: "Lyon (75001)", msg: "Le code postal 75001 n'est pas celui de Lyon", candidates: true},
		{input: "01400", msg: "Plusieurs communes ont ce code postal", candidates: true},
		{input: "Nullepartville", msg: "Aucune commune ne correspond"},
	} {
		code, cands, msg := s.resolveCommune(c.input)
		if code != c.code || !strings.HasPrefix(msg, c.msg) || (msg == "") != (c.msg == "") || (len(cands) > 0) != c.candidates {
			t.Errorf("%q: code %q, message %q, %d candidates; want %q, %q…, candidates %v", c.input, code, msg, len(cands), c.code, c.msg, c.candidates)
		}
	}
}
