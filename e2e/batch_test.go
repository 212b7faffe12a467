package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// rowCheckbox is the id of the checkbox of the received list's row naming the person.
func (b *browser) rowCheckbox(person string) string {
	b.t.Helper()
	id := eval[string](b, "checkbox of "+person, `(() => {
  for (const tr of document.querySelectorAll('main table tbody tr')) {
    if (tr.textContent.includes(`+jsString(person)+`)) { const c = tr.querySelector('input[name="ids"]'); return c ? c.id : ''; }
  }
  return '';
})()`)
	if id == "" {
		b.t.Fatalf("no checkbox for %s in the list", person)
	}
	return id
}

// The employer refuses two applications at once from the received list: the one already
// answered is left, with the reason; then archives it; then switches off the notices of new
// applications for the structure.
func TestBatchActionsAndNotificationSettings(t *testing.T) {
	srv := startDemoTest(t)
	e := newBrowser(t, srv)
	if status := e.login(demoEmployer, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	e.switchTo("Les Jardins du Rhône")
	e.open("/candidatures")
	e.checkPage("received list with batch actions")
	e.shoot("batch-list")
	// Léa's is new; Youssef's was declined already.
	e.click(`#` + e.rowCheckbox("Léa"))
	e.click(`#` + e.rowCheckbox("Youssef"))
	e.setValue("#f-action", "refuse")
	e.clickThrough(`#lot button[type=submit]`)
	e.expectHeading("Décliner 2 candidatures")
	// Submitted without the message: the error is at its field, nothing moved.
	e.setValue("#f-reason", "no_position")
	if status := e.clickThrough(`main form button[type=submit]`); status != 422 {
		e.fatalStep("refusal without a message", fmt.Errorf("answered %d", status))
	}
	if got := e.text("#erreurs"); !strings.Contains(got, "Écrivez un message au candidat") {
		t.Fatalf("error summary: %q", got)
	}
	e.checkPage("batch refusal, errors")
	e.setValue("#f-answer", "Nous n'avons plus de poste ouvert cette saison.")
	e.shoot("batch-refuse")
	e.clickThrough(`main form button[type=submit]`)
	body := e.bodyText()
	if !strings.Contains(body, "1 candidature déclinée") || !strings.Contains(body, "Candidature de Youssef A.") ||
		!strings.Contains(body, "Action impossible sur une candidature « Déclinée »") {
		t.Fatalf("batch result: %s", body)
	}
	e.checkPage("batch result")
	e.shoot("batch-result")

	// Both declined ones are archived, and leave the list.
	e.open("/candidatures?etat=refused")
	e.click(`#` + e.rowCheckbox("Léa"))
	e.click(`#` + e.rowCheckbox("Youssef"))
	e.setValue("#f-action", "archive")
	e.clickThrough(`#lot button[type=submit]`)
	if body := e.bodyText(); !strings.Contains(body, "2 candidatures archivées") {
		t.Fatalf("archive result: %s", body)
	}
	e.open("/candidatures?etat=refused")
	if body := e.bodyText(); strings.Contains(body, "Youssef") {
		t.Fatalf("an archived application is still listed: %s", body)
	}
	e.open("/candidatures?etat=refused&archivees=1")
	if body := e.bodyText(); !strings.Contains(body, "Youssef") || !strings.Contains(body, "Léa") {
		t.Fatalf("the archived list: %s", body)
	}

	// Notices: the employer keeps the answers, switches off the new applications for the ACI.
	e.open("/compte/notifications")
	e.expectHeading("Notifications")
	e.checkPage("notification settings")
	id := eval[string](e, "ACI's new-application box", `(() => {
  for (const fs of document.querySelectorAll('main form')) {
    if (fs.textContent.includes('Les Jardins du Rhône')) { const c = fs.querySelector('input[value="application_received"]'); return c ? c.id : ''; }
  }
  return '';
})()`)
	if id == "" {
		t.Fatal("no setting for the ACI's new applications")
	}
	e.click(`label[for="` + id + `"]`)
	e.shoot("notifications")
	e.clickThrough(`main form:has(#` + id + `) button[type=submit]`)
	e.expectFlash("Vos préférences de notification sont enregistrées.")
	if eval[bool](e, "box state", `document.getElementById(`+jsString(id)+`).checked`) {
		t.Fatal("the switched-off notice is still checked")
	}
}
