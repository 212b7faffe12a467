// Package config reads the platform's settings from PARCOURS_* environment variables and the
// matching command-line flags (a flag wins over its variable), and validates them at start so
// that a typo stops the program with a clear message instead of misbehaving later.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is the validated configuration.
type Config struct {
	Addr        string // listen address
	BaseURL     *url.URL
	DataDir     string
	DatabaseURL string // empty: SQLite in DataDir
	Demo        bool   // load demo data, show e-mails on a local page instead of sending them
	KeyFile     string // keyring (master keys, pseudonym key, blind-index key, audit signing key)
	KeyringEnv  string // keyring content given directly (PARCOURS_KEYRING), wins over KeyFile
	SMTP        SMTP
	LogFormat   string // json or text
	LogLevel    string // debug, info, warn, error
	TrustProxy  bool   // honour X-Forwarded-For / X-Forwarded-Proto from a reverse proxy
	MaxDBConns  int
	Jobs        bool // run periodic jobs in this instance
	// APIRateLimit is the anonymous API limit per client address and minute.
	APIRateLimit int
	// FormRateLimit is how many forms a client may post per minute: per account when logged
	// in, per client address otherwise.
	FormRateLimit int
	// SignupRateLimit is how many accounts a client address may create per hour.
	SignupRateLimit int
	ShutdownTimeout time.Duration
	Audit           Audit
	// ClamdAddr is the antivirus daemon uploads are scanned by: "unix:/path", "/path",
	// "tcp://host:port" or "host:port". Empty: uploads are stored unscanned (not_scanned).
	ClamdAddr string
}

// Audit says where the audit trail's signed checkpoints are published outside the database.
type Audit struct {
	// CheckpointDir holds the checkpoint log; it is DataDir/audit unless configured.
	CheckpointDir string
	// CheckpointDirDefault tells that CheckpointDir was not configured: serve creates the
	// default directory, whereas a configured one must already exist.
	CheckpointDirDefault bool
	// WitnessURL, optional, receives each new checkpoint (POST, text/plain).
	WitnessURL string
}

// SMTP holds the outgoing mail settings. An empty Host disables delivery (messages wait in the outbox).
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	TLS      string // none, starttls or tls
}

// Secure tells whether the platform is reached over HTTPS, which decides cookie flags and HSTS.
func (c Config) Secure() bool { return c.BaseURL.Scheme == "https" }

type setting struct {
	env, flag, def, usage string
	boolean               bool
	secret                bool // may also come from ENV_FILE
}

var settings = []setting{
	{env: "PARCOURS_ADDR", flag: "addr", def: "127.0.0.1:8080", usage: "adresse d'écoute HTTP"},
	{env: "PARCOURS_BASE_URL", flag: "base-url", usage: "adresse publique de la plateforme (défaut : http://localhost:PORT)"},
	{env: "PARCOURS_DATA_DIR", flag: "data-dir", def: "./var", usage: "dossier des données locales (SQLite, clés)"},
	{env: "PARCOURS_DATABASE_URL", flag: "database-url", usage: "postgres://… ou sqlite:CHEMIN (défaut : SQLite dans le dossier de données)", secret: true},
	{env: "PARCOURS_DEMO", flag: "demo", boolean: true, usage: "charge les données de démonstration et affiche les courriels au lieu de les envoyer"},
	{env: "PARCOURS_KEY_FILE", flag: "key-file", usage: "fichier du trousseau de clés (défaut : DATA_DIR/keys/keyring.json, créé s'il manque)"},
	{env: "PARCOURS_KEYRING", flag: "", usage: "contenu du trousseau de clés (JSON), prioritaire sur le fichier", secret: true},
	{env: "PARCOURS_SMTP_HOST", flag: "smtp-host", usage: "serveur SMTP (vide : courriels conservés dans la file d'envoi)"},
	{env: "PARCOURS_SMTP_PORT", flag: "smtp-port", def: "587", usage: "port SMTP"},
	{env: "PARCOURS_SMTP_USERNAME", flag: "smtp-username", usage: "identifiant SMTP"},
	{env: "PARCOURS_SMTP_PASSWORD", flag: "", usage: "mot de passe SMTP", secret: true},
	{env: "PARCOURS_SMTP_FROM", flag: "smtp-from", def: "Parcours <ne-pas-repondre@parcours.localhost>", usage: "expéditeur des courriels"},
	{env: "PARCOURS_SMTP_TLS", flag: "smtp-tls", def: "starttls", usage: "chiffrement SMTP : starttls, tls ou none"},
	{env: "PARCOURS_LOG_FORMAT", flag: "log-format", def: "json", usage: "format des journaux : json ou text"},
	{env: "PARCOURS_LOG_LEVEL", flag: "log-level", def: "info", usage: "niveau des journaux : debug, info, warn, error"},
	{env: "PARCOURS_TRUST_PROXY", flag: "trust-proxy", boolean: true, usage: "faire confiance aux en-têtes X-Forwarded-* d'un proxy inverse"},
	{env: "PARCOURS_DB_MAX_CONNS", flag: "db-max-conns", def: "20", usage: "connexions maximales à la base"},
	{env: "PARCOURS_JOBS", flag: "jobs", def: "true", boolean: true, usage: "exécuter les tâches périodiques dans cette instance"},
	{env: "PARCOURS_SHUTDOWN_TIMEOUT", flag: "shutdown-timeout", def: "20s", usage: "délai d'arrêt propre"},
	{env: "PARCOURS_API_RATE_LIMIT", flag: "api-rate-limit", def: "60", usage: "requêtes anonymes par minute et par adresse IP sur l'API"},
	{env: "PARCOURS_AUDIT_CHECKPOINT_DIR", flag: "audit-checkpoint-dir", usage: "dossier où chaque point de contrôle signé du journal d'audit est publié hors de la base (défaut : DATA_DIR/audit, créé s'il manque ; de préférence un autre disque ou un stockage non réinscriptible)"},
	{env: "PARCOURS_AUDIT_WITNESS_URL", flag: "audit-witness-url", usage: "adresse http(s) d'un témoin qui reçoit chaque nouveau point de contrôle du journal d'audit (POST, text/plain) ; facultatif", secret: true},
	{env: "PARCOURS_CLAMD_ADDR", flag: "clamd-addr", usage: "antivirus clamd qui analyse les fichiers déposés : unix:/CHEMIN ou hôte:port (vide : pas d'analyse)"},
	{env: "PARCOURS_FORM_RATE_LIMIT", flag: "form-rate-limit", def: "120", usage: "formulaires envoyés par minute, par compte connecté ou sinon par adresse IP"},
	{env: "PARCOURS_SIGNUP_RATE_LIMIT", flag: "signup-rate-limit", def: "20", usage: "créations de compte par heure et par adresse IP"},
}

// Names lists the environment variables, for documentation and help output.
func Names() []string {
	names := make([]string, len(settings))
	for i, s := range settings {
		names[i] = s.env
	}
	return names
}

// Loader collects settings from flags and the environment.
type Loader struct {
	getenv func(string) string
	values map[string]*string
}

// boolValue lets "--demo" be written without a value.
type boolValue struct{ s *string }

func (b boolValue) String() string {
	if b.s == nil {
		return ""
	}
	return *b.s
}
func (b boolValue) Set(v string) error { *b.s = v; return nil }
func (b boolValue) IsBoolFlag() bool   { return true }

// Flags registers a flag for every setting on fs, defaulting to the environment variable, and
// returns a Loader whose Load gives the validated Config once fs is parsed.
// getenv is os.Getenv in production and a map in tests.
func Flags(fs *flag.FlagSet, getenv func(string) string) *Loader {
	l := &Loader{getenv: getenv, values: map[string]*string{}}
	for _, s := range settings {
		v := s.def
		if e := getenv(s.env); e != "" {
			v = e
		}
		p := &v
		l.values[s.env] = p
		if s.flag == "" {
			continue
		}
		usage := fmt.Sprintf("%s (%s)", s.usage, s.env)
		if s.boolean {
			fs.Var(boolValue{p}, s.flag, usage)
		} else {
			fs.StringVar(p, s.flag, v, usage)
		}
	}
	return l
}

// Set overrides a setting, as a subcommand does for its own defaults (e.g. serve --demo).
func (l *Loader) Set(env, value string) { *l.values[env] = value }

func (l *Loader) get(env string) string { return strings.TrimSpace(*l.values[env]) }

// secret reads a setting that may also come from a file named by ENV_FILE (for container secrets).
func (l *Loader) secret(env string) (string, error) {
	if v := l.get(env); v != "" {
		return v, nil
	}
	path := l.getenv(env + "_FILE")
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE : lecture impossible : %w", env, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Load validates the settings and returns the Config, or an error listing every problem.
func (l *Loader) Load() (Config, error) {
	var problems []string
	bad := func(env, format string, args ...any) {
		problems = append(problems, env+" : "+fmt.Sprintf(format, args...))
	}
	parseBool := func(env string) bool {
		switch strings.ToLower(l.get(env)) {
		case "", "0", "false", "non", "no", "off":
			return false
		case "1", "true", "oui", "yes", "on":
			return true
		}
		bad(env, "valeur booléenne attendue (true ou false), reçu %q", l.get(env))
		return false
	}
	c := Config{
		Addr:       l.get("PARCOURS_ADDR"),
		DataDir:    l.get("PARCOURS_DATA_DIR"),
		Demo:       parseBool("PARCOURS_DEMO"),
		LogFormat:  l.get("PARCOURS_LOG_FORMAT"),
		LogLevel:   l.get("PARCOURS_LOG_LEVEL"),
		TrustProxy: parseBool("PARCOURS_TRUST_PROXY"),
		Jobs:       parseBool("PARCOURS_JOBS"),
	}
	var err error
	if c.DatabaseURL, err = l.secret("PARCOURS_DATABASE_URL"); err != nil {
		problems = append(problems, err.Error())
	}
	if c.KeyringEnv, err = l.secret("PARCOURS_KEYRING"); err != nil {
		problems = append(problems, err.Error())
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		bad("PARCOURS_ADDR", "adresse hôte:port attendue (ex. 127.0.0.1:8080), reçu %q", c.Addr)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		bad("PARCOURS_ADDR", "port invalide %q", port)
	}
	if c.DataDir == "" {
		bad("PARCOURS_DATA_DIR", "dossier requis")
	}
	if raw := l.get("PARCOURS_BASE_URL"); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("PARCOURS_BASE_URL", "adresse http(s)://hôte attendue, reçu %q", raw)
		} else {
			u.Path = strings.TrimSuffix(u.Path, "/")
			c.BaseURL = u
		}
	} else {
		h := host
		if h == "" || h == "0.0.0.0" || h == "127.0.0.1" || h == "::" || h == "::1" {
			h = "localhost"
		}
		c.BaseURL = &url.URL{Scheme: "http", Host: net.JoinHostPort(h, port)}
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") &&
		!strings.HasPrefix(c.DatabaseURL, "sqlite:") {
		bad("PARCOURS_DATABASE_URL", "attendu postgres://… ou sqlite:CHEMIN")
	}
	c.KeyFile = l.get("PARCOURS_KEY_FILE")
	if c.KeyFile == "" && c.DataDir != "" {
		c.KeyFile = filepath.Join(c.DataDir, "keys", "keyring.json")
	}
	if !slices.Contains([]string{"json", "text"}, c.LogFormat) {
		bad("PARCOURS_LOG_FORMAT", "json ou text attendu, reçu %q", c.LogFormat)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		bad("PARCOURS_LOG_LEVEL", "debug, info, warn ou error attendu, reçu %q", c.LogLevel)
	}
	if n, err := strconv.Atoi(l.get("PARCOURS_DB_MAX_CONNS")); err != nil || n < 1 || n > 1000 {
		bad("PARCOURS_DB_MAX_CONNS", "nombre entre 1 et 1000 attendu, reçu %q", l.get("PARCOURS_DB_MAX_CONNS"))
	} else {
		c.MaxDBConns = n
	}
	if n, err := strconv.Atoi(l.get("PARCOURS_API_RATE_LIMIT")); err != nil || n < 1 {
		bad("PARCOURS_API_RATE_LIMIT", "nombre entier positif attendu, reçu %q", l.get("PARCOURS_API_RATE_LIMIT"))
	} else {
		c.APIRateLimit = n
	}
	for _, lim := range []struct {
		env string
		dst *int
	}{{"PARCOURS_FORM_RATE_LIMIT", &c.FormRateLimit}, {"PARCOURS_SIGNUP_RATE_LIMIT", &c.SignupRateLimit}} {
		if n, err := strconv.Atoi(l.get(lim.env)); err != nil || n < 1 {
			bad(lim.env, "nombre entier positif attendu, reçu %q", l.get(lim.env))
		} else {
			*lim.dst = n
		}
	}
	if d, err := time.ParseDuration(l.get("PARCOURS_SHUTDOWN_TIMEOUT")); err != nil || d <= 0 {
		bad("PARCOURS_SHUTDOWN_TIMEOUT", "durée attendue (ex. 20s), reçu %q", l.get("PARCOURS_SHUTDOWN_TIMEOUT"))
	} else {
		c.ShutdownTimeout = d
	}
	c.SMTP = SMTP{
		Host:     l.get("PARCOURS_SMTP_HOST"),
		Username: l.get("PARCOURS_SMTP_USERNAME"),
		From:     l.get("PARCOURS_SMTP_FROM"),
		TLS:      l.get("PARCOURS_SMTP_TLS"),
	}
	if c.SMTP.Password, err = l.secret("PARCOURS_SMTP_PASSWORD"); err != nil {
		problems = append(problems, err.Error())
	}
	if p, err := strconv.Atoi(l.get("PARCOURS_SMTP_PORT")); err != nil || p < 1 || p > 65535 {
		bad("PARCOURS_SMTP_PORT", "port entre 1 et 65535 attendu, reçu %q", l.get("PARCOURS_SMTP_PORT"))
	} else {
		c.SMTP.Port = p
	}
	if !slices.Contains([]string{"none", "starttls", "tls"}, c.SMTP.TLS) {
		bad("PARCOURS_SMTP_TLS", "starttls, tls ou none attendu, reçu %q", c.SMTP.TLS)
	}
	if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
		bad("PARCOURS_SMTP_FROM", "adresse d'expéditeur invalide %q", c.SMTP.From)
	}
	if c.SMTP.Password != "" && c.SMTP.TLS == "none" {
		bad("PARCOURS_SMTP_TLS", "un mot de passe SMTP ne doit pas circuler en clair : utilisez starttls ou tls")
	}
	c.Audit.CheckpointDir = l.get("PARCOURS_AUDIT_CHECKPOINT_DIR")
	if c.Audit.CheckpointDir == "" && c.DataDir != "" {
		c.Audit.CheckpointDir, c.Audit.CheckpointDirDefault = filepath.Join(c.DataDir, "audit"), true
	}
	if c.Audit.WitnessURL, err = l.secret("PARCOURS_AUDIT_WITNESS_URL"); err != nil {
		problems = append(problems, err.Error())
	} else if c.Audit.WitnessURL != "" {
		// The address may carry a token: it is not repeated in the message.
		if u, err := url.Parse(c.Audit.WitnessURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("PARCOURS_AUDIT_WITNESS_URL", "adresse http(s)://hôte/chemin attendue")
		}
	}
	c.ClamdAddr = l.get("PARCOURS_CLAMD_ADDR")
	if c.ClamdAddr != "" && !validClamdAddr(c.ClamdAddr) {
		bad("PARCOURS_CLAMD_ADDR", "unix:/chemin/du/socket ou hôte:port attendu, reçu %q", c.ClamdAddr)
	}
	if len(problems) > 0 {
		return Config{}, errors.New("configuration invalide :\n  - " + strings.Join(problems, "\n  - "))
	}
	return c, nil
}

// validClamdAddr accepts a Unix socket (unix:/path or /path) or a TCP address (tcp://host:port
// or host:port), the forms files.NewClamd reads.
func validClamdAddr(addr string) bool {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		return strings.HasPrefix(strings.TrimPrefix(path, "//"), "/")
	}
	if strings.HasPrefix(addr, "/") {
		return true
	}
	host, port, err := net.SplitHostPort(strings.TrimPrefix(addr, "tcp://"))
	if err != nil || host == "" {
		return false
	}
	p, err := strconv.Atoi(port)
	return err == nil && p > 0 && p <= 65535
}
