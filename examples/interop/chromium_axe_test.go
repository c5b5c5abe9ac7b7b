package interop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// axeCoreVersion is the axe-core release the pages are checked with.
const axeCoreVersion = "4.14.1"

// axeRun runs axe-core's default rules (WCAG 2 A and AA, best practices)
// on the document and returns the violations in a compact form.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r =>
  r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
    helpUrl: v.helpUrl, nodes: v.nodes.map(n => n.target.join(" "))})))`

// axeViolation is one rule that failed on a page.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	HelpURL string   `json:"helpUrl"`
	Nodes   []string `json:"nodes"`
}

// axeChecker injects axe-core into pages and runs it. Serious and critical
// violations fail the test; the others are logged in axe.log.
type axeChecker struct {
	source string // axe.min.js
	log    string

	mu    sync.Mutex
	found []string // "page: rule (impact)", for the summary
}

// newAXEChecker installs axe-core from the npm registry into the install
// cache and reads axe.min.js.
func newAXEChecker(t *testing.T, logs string) *axeChecker {
	t.Helper()
	dir := npmInstall(t, filepath.Join(logs, "install.log"), "axe-core-"+axeCoreVersion,
		fmt.Sprintf(`{"private": true, "dependencies": {"axe-core": %q}}`, axeCoreVersion))
	src, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
	require.NoError(t, err)
	return &axeChecker{source: string(src), log: filepath.Join(logs, "axe.log")}
}

// check runs axe-core on the page in tab ctx. Evaluating through the
// DevTools protocol is not subject to the page's Content-Security-Policy,
// so pages without inline scripts can be checked as they are served.
func (a *axeChecker) check(ctx context.Context, t *testing.T, page string) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](a.source))
	require.NoError(t, err, "injecting axe-core into %s", page)
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun,
		chromedp.EvalAwaitPromise))
	require.NoError(t, err, "running axe-core on %s", page)

	var b strings.Builder
	fmt.Fprintf(&b, "==== %s: %d violations\n", page, len(vs))
	for _, v := range vs {
		fmt.Fprintf(&b, "%s (%s): %s\n  %s\n  on %s\n", v.ID, v.Impact, v.Help, v.HelpURL,
			strings.Join(v.Nodes, " | "))
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("axe-core on %s: %s (%s): %s, on %s", page, v.ID, v.Impact, v.Help,
				strings.Join(v.Nodes, " | "))
		}
		a.mu.Lock()
		a.found = append(a.found, fmt.Sprintf("%s: %s (%s)", page, v.ID, v.Impact))
		a.mu.Unlock()
	}
	f, err := os.OpenFile(a.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.WriteString(b.String())
	require.NoError(t, err)
}

// summary lists every violation found, one a line.
func (a *axeChecker) summary() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.found) == 0 {
		return "axe-core found no violations"
	}
	return "axe-core violations (see axe.log):\n" + strings.Join(a.found, "\n")
}
