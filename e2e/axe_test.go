package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource is node_modules/axe-core/axe.min.js, read once.
var axeSource struct {
	once sync.Once
	js   string
	err  error
}

func axeScript(t testing.TB) string {
	t.Helper()
	axeSource.once.Do(func() {
		b, err := os.ReadFile(filepath.Join(repoRoot(t), "node_modules", "axe-core", "axe.min.js"))
		if err != nil {
			axeSource.err = fmt.Errorf("axe-core is missing (run `npm ci` or `make assets`): %w", err)
			return
		}
		axeSource.js = string(b)
	})
	if axeSource.err != nil {
		t.Fatal(axeSource.err)
	}
	return axeSource.js
}

// axeViolation is the part of axe's result the report needs.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  []string `json:"target"`
		HTML    string   `json:"html"`
		Summary string   `json:"summary"`
	} `json:"nodes"`
}

// axeRun runs axe-core's WCAG 2.0/2.1 A and AA rules on the current page.
const axeRun = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
  .then(r => ({passes: r.passes.length, incomplete: r.incomplete.map(v => v.id),
    violations: r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map(n => ({target: n.target.map(String), html: n.html, summary: n.failureSummary || ''}))}))}))`

// axeResult is what axeRun returns.
type axeResult struct {
	Passes     int            `json:"passes"`
	Incomplete []string       `json:"incomplete"`
	Violations []axeViolation `json:"violations"`
}

// checkAccessibility injects axe-core into the page through CDP (the page's CSP forbids
// inline and foreign scripts, but DevTools evaluation is not subject to it), runs it and
// fails on every serious or critical violation; minor and moderate ones are logged.
func (b *browser) checkAccessibility(label string) {
	b.t.Helper()
	b.checkIDReferences(label)
	// html/template writes ZgotmplZ where it refused a value (an unsafe URL, say).
	if html := b.pageHTML(); strings.Contains(html, "ZgotmplZ") {
		b.t.Errorf("%s (%s): html/template refused a value: %s", label, b.path(), excerpt(html, "ZgotmplZ"))
	}
	b.step("inject axe-core into "+label, chromedp.Evaluate[chromedp.Void](axeScript(b.t)))
	res := eval[axeResult](b, "axe.run on "+label, axeRun, chromedp.EvalAwaitPromise)
	// A run that checked nothing would pass every page.
	if res.Passes < 10 {
		b.t.Fatalf("axe on %s: only %d rules passed: axe-core did not really run", label, res.Passes)
	}
	b.t.Logf("axe on %s: %d rules passed, %d violations, needs review: %v", label, res.Passes, len(res.Violations), res.Incomplete)
	for _, v := range res.Violations {
		var targets []string
		for _, n := range v.Nodes {
			targets = append(targets, fmt.Sprintf("    %s\n      %s\n      %s", strings.Join(n.Target, " "), n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n      ")))
		}
		msg := fmt.Sprintf("axe on %s (%s): %s [%s] %s — %s\n%s", label, b.path(), v.ID, v.Impact, v.Help, v.HelpURL, strings.Join(targets, "\n"))
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Error(msg)
		} else {
			b.t.Log(msg)
		}
	}
}

// idReferences finds what axe only lists as "needs review": duplicate ids (a label or an ARIA
// reference then points at the wrong element) and references to ids that do not exist.
const idReferences = `(() => {
  const seen = new Set(), duplicates = [], missing = [];
  for (const el of document.querySelectorAll('[id]')) {
    if (seen.has(el.id)) duplicates.push(el.id);
    seen.add(el.id);
  }
  for (const attr of ['aria-describedby', 'aria-labelledby', 'aria-controls', 'list']) {
    for (const el of document.querySelectorAll('[' + attr + ']')) {
      for (const id of el.getAttribute(attr).split(/\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) missing.push(attr + '=' + id);
      }
    }
  }
  for (const l of document.querySelectorAll('label[for]')) {
    if (!document.getElementById(l.htmlFor)) missing.push('label for=' + l.htmlFor);
  }
  for (const a of document.querySelectorAll('a[href^="#"]')) {
    const id = decodeURIComponent(a.getAttribute('href').slice(1));
    if (id && !document.getElementById(id)) missing.push('link to #' + id);
  }
  return {duplicates, missing};
})()`

func (b *browser) checkIDReferences(label string) {
	b.t.Helper()
	res := eval[struct {
		Duplicates []string `json:"duplicates"`
		Missing    []string `json:"missing"`
	}](b, "id references on "+label, idReferences)
	if len(res.Duplicates) > 0 {
		b.t.Errorf("%s (%s): duplicate ids %q", label, b.path(), res.Duplicates)
	}
	if len(res.Missing) > 0 {
		b.t.Errorf("%s (%s): references to missing ids %q", label, b.path(), res.Missing)
	}
}

// checkDSFR checks that the design system's JavaScript ran on the page: DSFR marks the root
// element with data-fr-js="true" once its module has started.
// checkPage checks the page's DSFR markup and its accessibility (axe-core).
func (b *browser) checkPage(label string) {
	b.t.Helper()
	b.checkDSFR(label)
	b.checkAccessibility(label)
}

func (b *browser) checkDSFR(label string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	var err error
	for range 3 {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.documentElement.getAttribute('data-fr-js') === 'true'`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
		// A page still settling after its navigation replaces the context the poll ran in;
		// poll again in the new one.
		if err == nil || !strings.Contains(err.Error(), "Cannot find context") {
			break
		}
	}
	if err != nil {
		b.t.Errorf("%s: DSFR's JavaScript did not start (no data-fr-js=\"true\" on <html>): %v", label, err)
	}
}
