package application_test

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"parcours/internal/application"
)

// The diagram next to the code draws exactly the workflow table.
func TestDiagramMatchesTheWorkflow(t *testing.T) {
	b, err := os.ReadFile("transitions.mermaid")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\s+([a-z_]+) --> ([a-z_]+): ([a-z_]+)`)
	drawn := map[[3]string]bool{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		drawn[[3]string{m[1], m[2], m[3]}] = true
	}
	want := map[[3]string]bool{}
	for _, tr := range application.Transitions() {
		if tr == application.Transfer {
			continue // drawn as a note: from every state but accepted
		}
		for _, s := range application.States() {
			if to, ok := application.Next(s, tr); ok {
				want[[3]string{string(s), string(to), string(tr)}] = true
			}
		}
	}
	for k := range want {
		if !drawn[k] {
			t.Errorf("not drawn: %v", k)
		}
	}
	for k := range drawn {
		if !want[k] {
			t.Errorf("drawn but not in the workflow: %v", k)
		}
	}
}

func TestWorkflowRules(t *testing.T) {
	for _, tc := range []struct {
		from application.State
		tr   application.Transition
		to   application.State
		ok   bool
	}{
		{application.New, application.Process, application.Processing, true},
		{application.Accepted, application.Refuse, application.Accepted, false},
		{application.Accepted, application.Transfer, application.Accepted, false},
		{application.Refused, application.Accept, application.Accepted, true},
		{application.Accepted, application.CancelHire, application.Cancelled, true},
		{application.Cancelled, application.CancelHire, application.Cancelled, false},
		{application.Processing, application.RenderObsolete, application.Obsolete, true},
		{application.Pool, application.RenderObsolete, application.Pool, false},
		{application.Refused, application.ExternalTransfer, application.Refused, true},
		{application.New, application.Transition("inconnue"), application.New, false},
	} {
		to, ok := application.Next(tc.from, tc.tr)
		if ok != tc.ok || to != tc.to {
			t.Errorf("%s from %s: %s %v, want %s %v", tc.tr, tc.from, to, ok, tc.to, tc.ok)
		}
	}
	for _, s := range application.States() {
		if s.Label() == string(s) {
			t.Errorf("state %s has no French label", s)
		}
	}
	for _, tr := range application.Transitions() {
		if tr.Label() == string(tr) {
			t.Errorf("transition %s has no French label", tr)
		}
	}
	if slices.Contains(application.RefusalReasons("GEIQ"), application.ReasonPreventObjectives) ||
		!slices.Contains(application.RefusalReasons("ACI"), application.ReasonPreventObjectives) {
		t.Error("the dialogue de gestion reason is for SIAE only")
	}
	if slices.Contains(application.RefusalReasons("EI"), application.ReasonAuto) {
		t.Error("auto is the platform's reason, never offered")
	}
}
