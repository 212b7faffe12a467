package web

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// recordedAction finds the action codes the domain packages write to the audit trail: the
// argument of their record helpers, the action variables they pass, audit.Event literals, and
// the What of their access.Read requests (recorded as "read." + What).
var recordedAction = regexp.MustCompile(`record\(ctx, tx, (?:actor, |access\.Actor\{[^}]*\}, )?"([a-z_.]+)"|action :?= "([a-z_.]+)"|Action: +"([a-z_.]+)"|return "[^"]*", "([a-z_.]+)", err|What: +"([a-z_.]+)"`)

// Every action the domain packages record has a French label on the journal.
func TestEveryRecordedActionHasALabel(t *testing.T) {
	seen := 0
	for _, dir := range []string{"account", "org", "offer", "audit", "cli", "jobseeker", "application", "files", "eligibility", "approval", "support"} {
		files, err := filepath.Glob(filepath.Join("..", dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range recordedAction.FindAllStringSubmatch(string(src), -1) {
				code := m[1] + m[2] + m[3] + m[4]
				if m[5] != "" {
					code = "read." + m[5]
				}
				if strings.HasSuffix(code, ".") {
					continue // the prefix of a code built at run time: see below
				}
				seen++
				if _, ok := auditActionLabel(code); !ok {
					t.Errorf("%s: action %q has no label in auditlabels.go", f, code)
				}
			}
		}
	}
	// Built at run time: "account." + the inactivity outcome, "application." + a transition
	// ("read." + What is covered above).
	codes := []string{"account.deleted", "account.anonymised", "approval.prolongation_granted", "approval.prolongation_denied",
		"support.request_rectification", "support.request_restriction",
		"support.purged", "support.erased", "support.updated", "support.closed", "support.proof_stored", "support.request_handled", "support.restriction_lifted"}
	for _, tr := range []string{"process", "postpone", "add_to_pool", "refuse", "accept", "cancel", "transfer", "reset"} {
		codes = append(codes, "application."+tr)
	}
	for _, code := range codes {
		if _, ok := auditActionLabel(code); !ok {
			t.Errorf("action %q has no label", code)
		}
	}
	if seen < 40 {
		t.Fatalf("only %d recorded actions found: the pattern no longer matches the sources", seen)
	}
}
