package access_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// This file checks the "one way in" from the source: no domain package exports a function
// that reads a personal-data table without taking the actor, and the web and API layers hold
// no database handle to read anything by themselves.

// tables classifies every table the migrations create. A new table fails the test until it is
// classified here: personal data or not.
var tables = map[string]bool{
	"settings":                       false, // configuration; the secrets it holds are sealed (crypto.Envelope)
	"regions":                        false,
	"departements":                   false,
	"communes":                       false,
	"rome_codes":                     false,
	"appellations":                   false,
	"subject_keys":                   false, // wrapped key material: decrypts nothing without a ciphertext read elsewhere
	"audit_events":                   true,
	"audit_hashes":                   false, // hashes of entries, no content
	"audit_checkpoints":              false,
	"audit_sequencer":                false,
	"job_runs":                       false,
	"outbox":                         true,
	"users":                          true,
	"user_tokens":                    true,
	"sessions":                       true,
	"recovery_codes":                 true,
	"login_throttle":                 true,  // keyed pseudonyms of addresses
	"account_deletions":              false, // counts only
	"organisations":                  false, // legal persons; people appear only as account ids
	"memberships":                    true,
	"invitations":                    true,
	"join_requests":                  true,
	"habilitation_decisions":         true,
	"conventions":                    false,
	"structures":                     false,
	"job_descriptions":               false,
	"offer_state":                    false,
	"job_seekers":                    true,
	"job_seeker_followers":           true,
	"applications":                   true,
	"application_jobs":               false, // which job descriptions an application names
	"application_transitions":        true,
	"application_prior_actions":      false, // a GEIQ's actions before hiring: kind and dates of an application
	"notification_settings":          true,  // which notices a professional switched off
	"files":                          true,  // documents of people: subject, kind, sealed name and content
	"file_contents":                  false, // sealed bytes under an opaque id: they open only with the files row (subject, binding), read through files.Service.Open
	"registry_imports":               false, // reports of registry imports; the staff member who ran one appears as an account id
	"registry_import_files":          false, // the registry file (structures, legal persons), while its import runs
	"registry_import_lines":          false, // the refused lines of the registry file, with the reason
	"eligibility_criteria_sets":      false, // the arrêtés' criteria: reference data
	"eligibility_criteria":           false,
	"eligibility_incompatibilities":  false,
	"eligibility_diagnoses":          true,  // who is eligible and why; the criteria are sealed
	"approval_numbers":               false, // the PASS IAE number sequence
	"approvals":                      true,  // a person's PASS IAE
	"approval_hires":                 true,
	"approval_suspensions":           true,
	"approval_prolongation_requests": true,
	"approval_prolongations":         true,
	"approval_deliveries":            true,
	"support_habilitations":          true, // who may read health data
	"support_records":                true, // health data (D5312-51), sealed
	"support_caseload":               true, // which organisations follow a disabled person
	"support_emergency_accesses":     true, // emergency accesses; the reason is sealed
	"support_requests":               true, // the person's rectification and restriction requests, sealed
	"support_aids":                   true, // a person's aids; justification, bank details and notes sealed
	"support_aid_batches":            true, // payment batches: no beneficiary, but who created and marked them paid
	"support_document_deletions":     true, // documents deleted from a record, the reason sealed
	"support_plan_versions":          true, // the plan (PPAE) of a disabled person, sealed, and its acknowledgements
	"support_plan_due":               true, // the due dates of a disabled person's plan
}

// notDomain are the packages under internal/ that are not domain packages: the layers above
// them (which hold services, checked separately), infrastructure without personal tables, and
// test helpers.
var notDomain = map[string]bool{
	"access": true, "app": true, "cli": true, "web": true, "api": true, "demo": true,
	"database": true, "database/databasetest": true, "clock": true, "config": true, "fault": true,
	"notify/smtptest": true, "offer/offertest": true,
}

// exceptions are the exported functions that read personal data without an actor, each with
// the reason it is legitimate. None is reachable from a request except through the flows
// named: web and api hold no database (TestWebAndAPIHoldNoDatabase), so a function taking a
// database.Querier runs only inside a domain transaction, a job or a command.
var exceptions = map[string]string{
	// Authentication: the secret presented (password, session token, link) is the proof; no
	// actor exists yet.
	"account.Service.Login":                  "authentication: the password is the proof",
	"account.Service.Authenticate":           "authentication: the session token is the proof",
	"account.Service.CompleteMFA":            "authentication: the session token and the code are the proof",
	"account.Service.RequestPasswordReset":   "authentication: answers the same whether the account exists or not; the link goes to the address",
	"account.Service.CheckResetToken":        "authentication: the link's token is the proof",
	"account.Service.ResetPassword":          "authentication: the link's token is the proof",
	"account.Service.SignUp":                 "self sign-up: answers the same whether the address is taken or not",
	"account.Service.ResendVerification":     "self sign-up: answers the same whether the account exists or not",
	"org.Service.InvitationByToken":          "invitation: the link's token is the proof",
	"org.Service.AcceptInvitationNewAccount": "invitation: the link's token is the proof",
	"org.Service.Actor":                      "builds the actor of an authenticated session from the user's own memberships",
	// The operator's tools.
	"account.Service.OperatorLookup": "command line and demo loader (operator on the host); never reachable from a request",
	"audit.Verify":                   "command line: the auditor checks the whole trail",
	"audit.Prove":                    "auditor's inclusion proof (command line, tests)",
	// Jobs: the platform itself acts, on every row the rule selects.
	"account.Service.RunInactivity":             "job: the 13-month inactivity rule",
	"account.PurgeSessions":                     "job: purge of ended sessions",
	"account.PurgeThrottle":                     "job: purge of expired login locks",
	"org.Referenced":                            "job: the inactivity rule asks whether records point at an account",
	"jobseeker.Referenced":                      "job: the inactivity rule asks whether records point at an account",
	"eligibility.Referenced":                    "job: the inactivity rule asks whether records point at an account",
	"support.Referenced":                        "job: the inactivity rule asks whether records point at an account",
	"support.Service.Purge":                     "job: the D5312-54 purge of health data, counts only",
	"support.Service.Erase":                     "erasure of a person, in the caller's transaction (the purge, the person's erasure): deletes and shreds, returns nothing",
	"support.Service.PurgeJob":                  "job: the D5312-54 purge of health data, counts only",
	"support.Service.PurgeDocuments":            "job: the retention periods of documents, deletes and counts only",
	"support.Service.PurgeDocumentsJob":         "job: the retention periods of documents, deletes and counts only",
	"support.Service.RemindOverdue":             "job: reminds the referents of overdue plans with a link, naming no one; counts only",
	"support.Service.PlanReminderJob":           "job: reminds the referents of overdue plans with a link, naming no one; counts only",
	"application.Service.AutoRefuseJob":         "job: refuses the applications untouched 60 days",
	"application.Service.RefuseUntouched":       "job: refuses the applications untouched 60 days",
	"application.Service.ArchiveJob":            "job: archives the applications untouched 180 days",
	"application.Service.ArchiveUntouched":      "job: archives the applications untouched 180 days",
	"notify.PurgeJob":                           "job: purge of old mails",
	"notify.PurgeSent":                          "job: purge of old mails",
	"notify.QueueDepth":                         "metrics: counts pending mails",
	"notify.Deliverer.Run":                      "delivery: sends each mail to its recipient",
	"notify.Deliverer.DeliverDue":               "delivery: sends each mail to its recipient",
	"offer.Service.CloseExpiredSpontaneous":     "job: notices to the structure's admins",
	"offer.Service.ProcessStaleJobDescriptions": "job: notices to the structure's admins",
	"offer.Service.SpontaneousClosingJob":       "job: notices to the structure's admins",
	"offer.Service.StaleJobDescriptionsJob":     "job: notices to the structure's admins",
	"audit.Sequencer.Integrate":                 "job: seals the trail",
	"approval.Service.Remind":                   "job: reminds the authorised prescribers of the prolongation requests still pending",
	"approval.Service.Verify":                   "public verification: the PASS number and the holder's birth date are the proof; answers only the state and the end, and records each attempt",
	"approval.KeepsDiagnosis":                   "eligibility asks, inside its own access.Read, whether a running PASS keeps a diagnosis valid (a yes or no)",
	"approval.Service.Hook":                     "runs inside the transaction of a hire that application.Service.Decide authorised (access.DecideApplication)",
	// Wiring: hands a checked function to another service, reads nothing itself.
	"application.NewService": "wires the relations provider (which takes the actor) into the job seekers' service",
	// Inside another domain's transaction, never handed to a page.
	"org.Recipients":     "addresses of a structure's members for a notice the caller enqueues in its own transaction",
	"notify.SwitchedOff": "whether a member switched a notice off, asked in the transaction that would enqueue it",
	"notify.OffKinds":    "a user's notice settings, read by org.Service.Notifications for that user (access decided there)",
	"notify.SetOff":      "a user's notice settings, written by org.Service.SetNotifications for that user (access decided there)",
	// Demo mode only.
	"notify.Outbox.List": "the demo mail page (demo mode only, wired by package app)",
	"notify.Outbox.Get":  "the demo mail page (demo mode only, wired by package app)",
	// Public registry: counts a structure's active members, reads no one.
	"offer.Service.Search":            "public search: whether a structure has active members (a count)",
	"offer.Service.SearchPrescribers": "public search: whether a prescriber organisation has active members (a count)",
	"offer.Service.SearchJobs":        "public search: whether a structure has active members (a count)",
	"offer.Service.PrepareSearch":     "builds the public search's read model: whether each structure has active members (a count)",
	// The file store decides nothing: the owning domain (application, support) decides who
	// may read a person's files and records the read, in its access.Read, whose transaction
	// and resolved subject it hands to these.
	"audit.Journal.About": "the person's access list, read inside support's access.Read transaction, which decides and records",
	"files.Service.Stat":  "read inside the owning domain's access.Read transaction, which decides and records",
	"files.Service.Open":  "read inside the owning domain's access.Read transaction, which decides and records",
	"files.Service.List":  "read inside the owning domain's access.Read transaction, which decides and records",
	// Erasure of a person, in the owner's erasure transaction (which shreds the key and records).
	"files.Service.PurgeSubject": "erasure: the owning domain's erasure of a person or retention job, which records it",
}

func TestTablesAreClassified(t *testing.T) {
	created := createdTables(t)
	for _, name := range created {
		if _, ok := tables[name]; !ok {
			t.Errorf("table %s is not classified: add it to tables (personal data or not) in this file", name)
		}
	}
	for name := range tables {
		if !slices.Contains(created, name) {
			t.Errorf("table %s is classified but no migration creates it", name)
		}
	}
}

func TestDomainPackagesExportNoUncheckedPersonalRead(t *testing.T) {
	personal := personalTables()
	used := map[string]bool{}
	for _, pkg := range domainPackages(t) {
		for _, f := range analyse(t, filepath.Join("..", pkg), personal) {
			key := filepath.Base(pkg) + "." + f.name
			if f.takesActor {
				continue
			}
			if _, ok := exceptions[key]; ok {
				used[key] = true
				continue
			}
			t.Errorf("%s reads personal data (%s) without taking an access.Actor: take the actor and decide through access (access.Read), or add it to exceptions with the reason",
				key, strings.Join(f.tables, ", "))
		}
	}
	for key := range exceptions {
		if !used[key] {
			t.Errorf("exception %s is stale: the function no longer exists, takes the actor or reads no personal data; remove it", key)
		}
	}
}

// The analysis finds what it must: a package exporting an unchecked read is reported, a
// checked one is not, and a read through a chain of unexported helpers and a query constant
// is followed.
func TestOneWayAnalysisFindsUncheckedReads(t *testing.T) {
	found := analyse(t, filepath.Join("testdata", "oneway"), map[string]bool{"people": true})
	var names []string
	for _, f := range found {
		if !f.takesActor {
			names = append(names, f.name)
		}
	}
	sort.Strings(names)
	want := []string{"Lookup", "Store.All"}
	if !slices.Equal(names, want) {
		t.Fatalf("unchecked exported reads found: %v, want %v", names, want)
	}
}

func TestWebAndAPIHoldNoDatabase(t *testing.T) {
	for _, pkg := range []string{"web", "api"} {
		fset := token.NewFileSet()
		for _, file := range goFiles(t, filepath.Join("..", pkg)) {
			f, err := parser.ParseFile(fset, file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); p == "parcours/internal/demo" {
					t.Errorf("%s imports the demo: package app wires the demo pages", file)
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				x, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				switch x.Name + "." + sel.Sel.Name {
				case "database.DB", "database.Querier", "database.Open", "sql.DB", "sql.Tx", "sql.Open":
					t.Errorf("%s: %s uses %s.%s: web and api hold services, never the database", fset.Position(sel.Pos()), pkg, x.Name, sel.Sel.Name)
				}
				return true
			})
		}
	}
}

// finding is an exported function that reads personal tables.
type finding struct {
	name       string // Func or Type.Method
	tables     []string
	takesActor bool
}

var tableRef = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)`)

// analyse parses a package's non-test files and returns its exported functions that read one
// of the personal tables, directly or through the package's own functions, constants and
// variables (calls are matched by name, which over-approximates and so never misses one).
func analyse(t *testing.T, dir string, personal map[string]bool) []finding {
	t.Helper()
	fset := token.NewFileSet()
	funcs := map[string][]*ast.FuncDecl{} // by plain name: methods of every type share their name's entry
	values := map[string]ast.Expr{}       // package-level constants and variables
	imports := map[string]bool{}          // names of imported packages: their selectors are not calls of ours
	plain := map[string]bool{}            // functions (not methods): a bare identifier can only name these
	var decls []*ast.FuncDecl
	for _, file := range goFiles(t, dir) {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			name := p[strings.LastIndex(p, "/")+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			imports[name] = true
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				funcs[d.Name.Name] = append(funcs[d.Name.Name], d)
				if d.Recv == nil {
					plain[d.Name.Name] = true
				}
				decls = append(decls, d)
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					if vs, ok := spec.(*ast.ValueSpec); ok {
						for i, n := range vs.Names {
							if i < len(vs.Values) {
								values[n.Name] = vs.Values[i]
							}
						}
					}
				}
			}
		}
	}
	direct := func(n ast.Node, seen map[string]bool) (found map[string]bool, calls []string) {
		found = map[string]bool{}
		var visit func(ast.Node)
		visit = func(n ast.Node) {
			ast.Inspect(n, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BasicLit:
					if n.Kind == token.STRING {
						for _, m := range tableRef.FindAllStringSubmatch(n.Value, -1) {
							if name := strings.ToLower(m[1]); personal[name] {
								found[name] = true
							}
						}
					}
				case *ast.Ident:
					if v, ok := values[n.Name]; ok && !seen["value:"+n.Name] {
						seen["value:"+n.Name] = true
						visit(v)
					}
					if plain[n.Name] {
						calls = append(calls, n.Name)
					}
				case *ast.SelectorExpr:
					if x, ok := n.X.(*ast.Ident); ok && imports[x.Name] {
						return false
					}
					if _, ok := funcs[n.Sel.Name]; ok {
						calls = append(calls, n.Sel.Name)
					}
				}
				return true
			})
		}
		visit(n)
		return found, calls
	}
	// reads is the closure over calls, memoised by name.
	memo := map[string]map[string]bool{}
	var reads func(name string, stack map[string]bool) map[string]bool
	reads = func(name string, stack map[string]bool) map[string]bool {
		if r, ok := memo[name]; ok {
			return r
		}
		if stack[name] {
			return nil
		}
		stack[name] = true
		out := map[string]bool{}
		for _, d := range funcs[name] {
			if d.Body == nil {
				continue
			}
			found, calls := direct(d.Body, map[string]bool{})
			for k := range found {
				out[k] = true
			}
			for _, c := range calls {
				for k := range reads(c, stack) {
					out[k] = true
				}
			}
		}
		delete(stack, name)
		memo[name] = out
		return out
	}
	var out []finding
	for _, d := range decls {
		if !d.Name.IsExported() || d.Body == nil {
			continue
		}
		name := d.Name.Name
		if d.Recv != nil {
			recv := receiverType(d.Recv.List[0].Type)
			if !ast.IsExported(recv) {
				continue
			}
			name = recv + "." + name
		}
		found, calls := direct(d.Body, map[string]bool{})
		for _, c := range calls {
			for k := range reads(c, map[string]bool{d.Name.Name: true}) {
				found[k] = true
			}
		}
		if len(found) == 0 {
			continue
		}
		var names []string
		for k := range found {
			names = append(names, k)
		}
		sort.Strings(names)
		out = append(out, finding{name: name, tables: names, takesActor: takesActor(d)})
	}
	return out
}

func receiverType(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return receiverType(e.X)
	case *ast.Ident:
		return e.Name
	case *ast.IndexExpr:
		return receiverType(e.X)
	}
	return ""
}

func takesActor(d *ast.FuncDecl) bool {
	for _, p := range d.Type.Params.List {
		if sel, ok := p.Type.(*ast.SelectorExpr); ok {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "access" && sel.Sel.Name == "Actor" {
				return true
			}
		}
	}
	return false
}

func goFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			out = append(out, filepath.Join(dir, n))
		}
	}
	return out
}

// domainPackages lists the packages under internal/ (relative paths) that are domain packages.
func domainPackages(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() || path == ".." {
			return nil
		}
		rel, _ := filepath.Rel("..", path)
		rel = filepath.ToSlash(rel)
		if d.Name() == "testdata" || d.Name() == "templates" || d.Name() == "static" || d.Name() == "migrations" {
			return filepath.SkipDir
		}
		if notDomain[rel] {
			return nil
		}
		if len(goFiles(t, path)) > 0 {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func createdTables(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "database", "migrations", "postgres", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v", err)
	}
	re := regexp.MustCompile(`(?i)CREATE TABLE\s+(?:IF NOT EXISTS\s+)?([a-z_][a-z0-9_]*)`)
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			out = append(out, strings.ToLower(m[1]))
		}
	}
	return out
}

func personalTables() map[string]bool {
	out := map[string]bool{}
	for name, p := range tables {
		if p {
			out[name] = true
		}
	}
	return out
}
