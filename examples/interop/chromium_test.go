package interop

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// chromiumStepTimeout bounds one step of a journey: a page, a form, or a
// whole sign-in through the IdP.
const chromiumStepTimeout = 30 * time.Second

// chromium is a headless Chromium started for one test, with a fresh
// profile, which saves a numbered screenshot of every step in the test's
// log directory and checks our pages with axe-core.
type chromium struct {
	t     *testing.T
	logs  string
	ctx   context.Context // the first tab, in the browser's default context
	axe   *axeChecker
	shots int
}

// startChromium installs Debian's chromium when it is missing and starts
// it headless. The browser is stopped when the test ends.
func startChromium(t *testing.T, logs string, axe *axeChecker) *chromium {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		aptInstall(t, filepath.Join(logs, "install.log"), "chromium")
	}
	out, err := os.OpenFile(filepath.Join(logs, "chromium-output.txt"),
		os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	t.Cleanup(func() { out.Close() })

	// The profile directory is made before the browser is started, so that
	// its removal runs after the browser has stopped.
	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(out),
		chromedp.DisableGPU,
		// This machine reaches no outside host: stop every background
		// request a new profile makes.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to run as root with its sandbox.
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancel)

	start := time.Now()
	require.NoError(t, chromedp.Do(ctx), "starting %s", chromiumPath)
	version, err := exec.Command(chromiumPath, "--version").Output()
	require.NoError(t, err)
	t.Logf("started %s in %v", strings.TrimSpace(string(version)), time.Since(start).Round(time.Millisecond))
	return &chromium{t: t, logs: logs, ctx: ctx, axe: axe}
}

// newVisitor opens a tab in a new browser context: no cookies, no
// storage, as a stranger's browser. It is closed when the test ends.
func (c *chromium) newVisitor() context.Context {
	c.t.Helper()
	ctx, cancel := chromedp.NewContext(c.ctx, chromedp.WithNewBrowserContext())
	c.t.Cleanup(cancel)
	require.NoError(c.t, chromedp.Do(ctx), "opening a tab in a new browser context")
	return ctx
}

// do runs steps in tab ctx, with the step timeout, and fails the test with
// a screenshot of the tab when one fails.
func (c *chromium) do(ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	sctx, cancel := context.WithTimeout(ctx, chromiumStepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		c.shot(ctx, "failed-"+what)
		loc, _ := run1(ctx, chromedp.Location())
		text, _ := run1(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		if len(text) > 500 {
			text = text[:500] + "..."
		}
		c.t.Fatalf("%s (at %s): %v\npage text: %s", what, loc, err, text)
	}
}

// waitFor waits until the page in tab ctx has loaded and the JavaScript
// condition cond holds, across any navigations on the way, and fails the
// test with a screenshot when the step timeout passes first.
func (c *chromium) waitFor(ctx context.Context, what, cond string) {
	c.t.Helper()
	expr := `document.readyState === "complete" && !!(` + cond + `)`
	deadline := time.Now().Add(chromiumStepTimeout)
	for {
		// A page that is being replaced cannot answer; ask again.
		ok, err := runFor(ctx, time.Second, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			c.do(ctx, what, func(context.Context, *chromedp.Target) (chromedp.Void, error) {
				return chromedp.Void{}, fmt.Errorf("%s did not hold after %v (last error: %v)",
					cond, chromiumStepTimeout, err)
			})
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// text is the visible text (innerText) of the element sel matches in tab
// ctx.
func (c *chromium) text(ctx context.Context, sel string) string {
	c.t.Helper()
	s, err := run1(ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(c.t, err, "reading the text of %s", sel)
	return s
}

// shot saves a full-page PNG screenshot of tab ctx as NN-name.png.
func (c *chromium) shot(ctx context.Context, name string) {
	c.t.Helper()
	png, err := run1(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		c.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	c.shots++
	name = fmt.Sprintf("%02d-%s.png", c.shots,
		regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(name, "-"))
	if err := os.WriteFile(filepath.Join(c.logs, name), png, 0o644); err != nil {
		c.t.Errorf("saving screenshot %s: %v", name, err)
	}
}

// checkAccessibility runs axe-core on the page in tab ctx, named page in
// the log.
func (c *chromium) checkAccessibility(ctx context.Context, page string) {
	c.t.Helper()
	sctx, cancel := context.WithTimeout(ctx, chromiumStepTimeout)
	defer cancel()
	c.axe.check(sctx, c.t, page)
}

// run1 runs one action with the step timeout and returns its value.
func run1[T any](ctx context.Context, a chromedp.Action[T]) (T, error) {
	return runFor(ctx, chromiumStepTimeout, a)
}

// runFor runs one action with timeout d and returns its value.
func runFor[T any](ctx context.Context, d time.Duration, a chromedp.Action[T]) (T, error) {
	sctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return chromedp.Run(sctx, a)
}
