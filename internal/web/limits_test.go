package web_test

import (
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"parcours/internal/access"
	"parcours/internal/config"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

// Form posts past the limit get the French 429 page with Retry-After; a logged-in user is
// counted apart from the anonymous posts of the same address, and the limit refills.
func TestFormPostsAreRateLimited(t *testing.T) {
	db, _ := databasetest.Open(t, database.SQLite)
	s := newStackConfig(t, db, false, "http://localhost:8080", io.Discard, func(c *config.Config) { c.FormRateLimit = 3 })
	login := url.Values{"email": {"personne@exemple.fr"}, "password": {"faux"}}
	for i := range 3 {
		if r := s.do(t, "POST", "/connexion", "", login); r.status == 429 {
			t.Fatalf("post %d refused", i+1)
		}
	}
	r := s.do(t, "POST", "/connexion", "", login)
	if r.status != 429 {
		t.Fatalf("4th post answered %d, want 429", r.status)
	}
	if got := r.header.Get("Retry-After"); got != "20" {
		t.Errorf("Retry-After %q, want 20 (one form every 20 s)", got)
	}
	if !strings.Contains(r.body, "Trop de demandes") || !strings.Contains(r.body, "Réessayez dans 20 secondes") {
		t.Errorf("429 page: %s", r.body)
	}
	// Pages are still served: only posts are counted.
	if r := s.do(t, "GET", "/connexion", "", nil); r.status != 200 {
		t.Errorf("GET after the limit answered %d", r.status)
	}
	// A logged-in user of the same address has their own count.
	u := s.user(t, access.JobSeeker, "candidate@exemple.fr")
	tok := s.login(t, u.Email, "")
	if r := s.do(t, "POST", "/compte/profil", tok, url.Values{"first_name": {"A"}, "last_name": {"B"}}); r.status == 429 {
		t.Fatal("a logged-in user was limited by the anonymous posts of the address")
	}
	s.clock.Advance(20 * time.Second)
	if r := s.do(t, "POST", "/connexion", "", login); r.status == 429 {
		t.Fatal("no post allowed 20 s later")
	}
}

// Sign-ups are limited per address; a form with errors does not count.
func TestSignupsAreRateLimited(t *testing.T) {
	db, _ := databasetest.Open(t, database.SQLite)
	s := newStackConfig(t, db, false, "http://localhost:8080", io.Discard, func(c *config.Config) { c.SignupRateLimit = 2 })
	signup := func(email string) int {
		return s.do(t, "POST", "/inscription/candidat", "", url.Values{"first_name": {"Ana"}, "last_name": {"Lopez"},
			"email": {email}, "password": {pw}}).status
	}
	for range 3 {
		if r := s.do(t, "POST", "/inscription/candidat", "", url.Values{"email": {"pas-une-adresse"}}); r.status != 422 {
			t.Fatalf("invalid sign-up answered %d, want 422", r.status)
		}
	}
	for i, email := range []string{"a1@exemple.fr", "a2@exemple.fr"} {
		if st := signup(email); st != 200 {
			t.Fatalf("sign-up %d answered %d", i+1, st)
		}
	}
	r := s.do(t, "POST", "/inscription/candidat", "", url.Values{"first_name": {"Ana"}, "last_name": {"Lopez"},
		"email": {"a3@exemple.fr"}, "password": {pw}})
	if r.status != 429 || r.header.Get("Retry-After") != "1800" || !strings.Contains(r.body, "Réessayez dans 30 minutes") {
		t.Fatalf("3rd sign-up: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
}
