// Command seed fills an empty database with a national-scale IAE registry for load tests:
// by default 5,000 structures and 25,000 job descriptions from offertest's generator (the one
// the offer benchmarks and the demo use), dated from now so that conventions are valid when
// the server reads them; then 2,000 prescribing organisations, 300,000 job seekers and
// 1,000,000 applications over three years (--national: 10 and 50 million, on PostgreSQL), each
// person's data sealed under their own key from the keyring the server reads, with progress
// shown. With --wrk-script it also writes the wrk script that bench/http.sh
// runs: searches (JSON and HTML) around communes drawn in proportion to population, and
// structure pages of listed structures.
//
//	go run ./bench/seed --data-dir /tmp/bench            # SQLite file /tmp/bench/parcours.db
//	go run ./bench/seed --database-url postgres://…      # or PARCOURS_DATABASE_URL
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/offer/offertest"
	"parcours/internal/refdata"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "seed :", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	dbURL := fs.String("database-url", os.Getenv("PARCOURS_DATABASE_URL"), "base à remplir : postgres://… ou sqlite:CHEMIN (par défaut PARCOURS_DATABASE_URL, sinon DATA_DIR/parcours.db)")
	dataDir := fs.String("data-dir", "var-bench", "dossier du fichier SQLite quand --database-url est vide")
	structures := fs.Int("structures", 5000, "nombre de structures")
	jobs := fs.Int("job-descriptions", 25000, "nombre de fiches de poste")
	seed := fs.Uint64("seed", 1, "graine du générateur (même graine, mêmes données)")
	wrkScript := fs.String("wrk-script", "", "si donné, écrit à ce chemin le script wrk des recherches (communes tirées selon la population)")
	communes := fs.Int("communes", 200, "nombre de communes du script wrk")
	jobSeekers := fs.Int("job-seekers", 300_000, "nombre de candidats (personnes)")
	applications := fs.Int("applications", 1_000_000, "nombre de candidatures, réparties entre les candidats")
	prescribers := fs.Int("prescribers", 2000, "nombre d'organisations prescriptrices")
	untouched := fs.Float64("untouched", 0.05, "part des candidatures de plus de 60 jours restées nouvelles ou à l'étude (ce que le premier refus automatique trouve)")
	full := fs.Bool("national", false, "échelle nationale complète : 10 millions de candidats et 50 millions de candidatures (PostgreSQL seulement)")
	loginPassword := fs.String("login-password", "", "si donné, ce mot de passe ouvre le compte d'un membre de la structure qui a reçu le plus de candidatures, dont l'adresse est écrite (« connexion employeur : … ») : bench/http.sh mesure ainsi la page des candidatures reçues")
	keyFile := fs.String("key-file", os.Getenv("PARCOURS_KEY_FILE"), "trousseau de clés (créé s'il manque ; par défaut DATA_DIR/keys/keyring.json, celui que parcours serve lit)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *structures <= 0 || *jobs < 0 || *communes <= 0 {
		return errors.New("--structures et --communes doivent être positifs, --job-descriptions au moins 0")
	}
	if *full {
		*jobSeekers, *applications = 10_000_000, 50_000_000
	}
	if *jobSeekers < 0 || *applications < 0 || (*applications > 0 && *jobSeekers == 0) || *prescribers <= 0 || *untouched < 0 || *untouched > 1 {
		return errors.New("--job-seekers et --applications au moins 0 (des candidatures demandent des candidats), --prescribers positif, --untouched entre 0 et 1")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	places, err := refdata.Load()
	if err != nil {
		return err
	}
	if *dataDir != "" && *dbURL == "" {
		if err := os.MkdirAll(*dataDir, 0o700); err != nil {
			return err
		}
	}
	db, err := database.Open(ctx, *dbURL, *dataDir, database.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if *full && db.Engine() != database.Postgres {
		return errors.New("--national : 50 millions de candidatures se chargent dans PostgreSQL seulement")
	}
	if _, err := db.Migrate(ctx, nil); err != nil {
		return err
	}
	if *keyFile == "" {
		*keyFile = filepath.Join(*dataDir, "keys", "keyring.json")
	}
	if _, _, err := crypto.LoadOrCreateKeyring(*keyFile); err != nil {
		return err
	}
	env, err := crypto.OpenEnvelope(*keyFile, clock.System{})
	if err != nil {
		return err
	}
	now := clock.System{}.Now()
	if _, _, err := refdata.EnsureImported(ctx, db, places, now); err != nil {
		return err
	}
	var existing int
	if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM structures`).Scan(&existing); err != nil {
		return err
	}
	if existing > 0 {
		return fmt.Errorf("la base %s contient déjà %d structures : partez d'une base vide", db.Where(), existing)
	}
	began := time.Now()
	ds := offertest.Generate(places, offertest.Options{Seed: *seed, Structures: *structures, JobDescriptions: *jobs, Now: now})
	generated := time.Since(began)
	if *wrkScript != "" {
		if err := writeScript(*wrkScript, places, ds, *seed, *communes); err != nil {
			return err
		}
	}
	if err := offertest.Insert(ctx, db, ds); err != nil {
		return err
	}
	fmt.Printf("%s : %d structures, %d fiches de poste, %d conventions, %d comptes employeurs, %d rattachements ; générés en %s, insérés en %s.\n",
		db.Where(), len(ds.Structures), len(ds.JobDescriptions), len(ds.Conventions), len(ds.Users), len(ds.Memberships),
		generated.Round(time.Millisecond), (time.Since(began) - generated).Round(time.Millisecond))
	if *jobSeekers == 0 {
		return nil
	}
	if err := seedPeople(ctx, db, env, places, ds, peopleOptions{jobSeekers: *jobSeekers, applications: *applications,
		prescribers: *prescribers, untouched: *untouched, seed: *seed}); err != nil {
		return err
	}
	if *loginPassword == "" {
		return nil
	}
	email, err := openLogin(ctx, db, *loginPassword, now)
	if err != nil {
		return err
	}
	fmt.Printf("connexion employeur : %s\n", email)
	return nil
}

// writeScript writes a wrk script that requests, depending on BENCH_TARGET, the structures
// search of the API ("api", the default), the HTML search of employers ("recherche") or of job
// offers ("postes") around communes drawn in proportion to population (drawn with
// replacement: a big city comes back several times, which is its weight), or the pages of
// listed, active structures ("structures"); each wrk thread starts at its own place in the
// lists.
func writeScript(path string, places *refdata.Data, ds offertest.Dataset, seed uint64, n int) error {
	where := offertest.NewPlaces(places)
	r := offertest.NewRand(seed ^ 0x5eed)
	// The API takes INSEE codes; the HTML pages what a person chooses in the commune field's
	// suggestions, "Nyons (26110)" (an INSEE code may also be another commune's postcode, which
	// the form reads first).
	codes, labels := make([]string, n), make([]string, n)
	for i := range codes {
		c := where.Pick(r)
		codes[i] = `"` + c.Code + `"`
		label := c.Name
		if len(c.Postcodes) > 0 {
			label += " (" + c.Postcodes[0] + ")"
		}
		labels[i] = `"` + url.QueryEscape(label) + `"`
	}
	today := database.ParisDate(ds.Now)
	var ids []string
	for _, st := range ds.Structures {
		if st.Searchable && st.Active(today) && len(ids) < n {
			ids = append(ids, `"`+st.ID.String()+`"`)
		}
	}
	var b strings.Builder
	b.WriteString("-- Generated by go run ./bench/seed --wrk-script: search centres drawn in proportion to population,\n")
	b.WriteString("-- and listed structures.\n")
	list := func(name string, items []string) {
		b.WriteString("local " + name + " = {\n")
		for i := 0; i < len(items); i += 5 {
			b.WriteString("  " + strings.Join(items[i:min(len(items), i+5)], ", ") + ",\n")
		}
		b.WriteString("}\n")
	}
	list("communes", codes)
	list("labels", labels)
	list("structures", ids)
	b.WriteString(`local radius = os.getenv("BENCH_RADIUS_KM") or "25"
local target = os.getenv("BENCH_TARGET") or "api"
local counter = 0
local threads = 0

function setup(thread)
  thread:set("offset", threads * 37)
  threads = threads + 1
end

function init(args)
  counter = tonumber(offset) or 0
end

function request()
  counter = counter + 1
  local code = communes[(counter % #communes) + 1]
  local label = labels[(counter % #labels) + 1]
  if target == "recherche" then
    return wrk.format("GET", "/recherche?commune=" .. label .. "&rayon=" .. radius)
  elseif target == "postes" then
    return wrk.format("GET", "/recherche/postes?commune=" .. label .. "&rayon=" .. radius)
  elseif target == "candidatures" then
    return wrk.format("GET", "/candidatures", {["Cookie"] = os.getenv("BENCH_COOKIE")})
  elseif target == "structures" then
    return wrk.format("GET", "/structures/" .. structures[(counter % #structures) + 1])
  end
  return wrk.format("GET", "/api/v1/structures?code_insee=" .. code .. "&distance_max_km=" .. radius)
end
`)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
