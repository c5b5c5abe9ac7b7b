package interop

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumIDPName is the name the admin gives SimpleSAMLphp on the IdPs
// page.
const chromiumIDPName = "ssp-browser"

// TestChromiumJourney walks the main journey of DESIGN.md in headless
// Chromium against the reference server and SimpleSAMLphp: the admin
// signs in, imports the IdP's metadata by URL, runs Test Configuration,
// enforces SSO on a space and creates a link for a group; a member of the
// group opens the link and reads the page, and a non-member is denied
// with the reason. Every step leaves a screenshot in the log directory,
// and axe-core checks our pages.
func TestChromiumJourney(t *testing.T) {
	requireInterop(t)
	logs := logDir(t)
	start := time.Now()
	aptInstall(t, filepath.Join(logs, "install.log"), simpleSAMLphpPackages...)
	axe := newAXEChecker(t, logs)
	s := startServer(t, logs)
	ssp := chromiumStartSimpleSAMLphp(t, s, logs)
	c := startChromium(t, logs, axe)
	t.Logf("install and start-up took %v", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() { t.Log(axe.summary()) })

	admin := c.ctx
	journeyAdminSignIn(t, c, s, admin)
	journeyImportIDP(t, c, admin, ssp+"/saml2/idp/metadata.php")
	journeyTestConfiguration(t, c, admin)
	journeyEnforceSSO(t, c, s, admin)
	link := journeyCreateLink(t, c, s, admin)

	t.Run("member of the group reads the page", func(t *testing.T) {
		c.t = t
		ctx := c.newVisitor()
		journeyIDPSignIn(t, c, ctx, link, ssp, "member", "alice", "alice-password")
		c.waitFor(ctx, "waiting for the shared page", `location.pathname.startsWith("/s/") && `+
			`document.querySelector("main h1")`)
		c.shot(ctx, "member-reads-the-page")
		title, err := run1(ctx, chromedp.Title())
		require.NoError(t, err)
		assert.Equal(t, demoHomeTitle, title)
		assert.Equal(t, demoHomeTitle, c.text(ctx, "main h1"))
		body := c.text(ctx, "body")
		assert.Contains(t, body, demoGuideTitle)
		assert.NotContains(t, body, demoRestrictTtl)
		loc, err := run1(ctx, chromedp.Location())
		require.NoError(t, err)
		assert.Contains(t, loc, s.url("/s/"))
		c.checkAccessibility(ctx, "shared page")
	})

	t.Run("user outside the group is denied with the reason", func(t *testing.T) {
		c.t = t
		ctx := c.newVisitor()
		journeyIDPSignIn(t, c, ctx, link, ssp, "outsider", "bob", "bob-password")
		c.waitFor(ctx, "waiting for the denial", `location.pathname.startsWith("/s/") && `+
			`document.querySelector("main h1")`)
		c.shot(ctx, "outsider-is-denied")
		msg := c.text(ctx, "main")
		assert.Contains(t, msg, "This link is for members of "+linkGroup+
			"; you signed in as bob@elsewhere.example")
		assert.NotContains(t, c.text(ctx, "body"), demoGuideTitle)
		c.checkAccessibility(ctx, "denial page")
	})
}

// journeyAdminSignIn opens /admin/, is sent to the sign-in page, and
// signs in.
func journeyAdminSignIn(t *testing.T, c *chromium, s *server, ctx context.Context) {
	c.do(ctx, "opening /admin/", chromedp.Navigate(s.url("/admin/")),
		chromedp.WaitVisible(chromedp.ID("user")))
	c.shot(ctx, "admin-sign-in")
	c.checkAccessibility(ctx, "admin sign-in")
	c.do(ctx, "signing in as the admin",
		chromedp.SendKeys(chromedp.ID("user"), adminUser),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)))
	c.waitFor(ctx, "waiting for the links page", `(location.pathname === "/admin/links" && `+
		`document.querySelector("nav[aria-label=Admin]")) || document.querySelector("[role=alert]")`)
	loc, err := run1(ctx, chromedp.Location())
	require.NoError(t, err)
	require.Equal(t, s.url("/admin/links"), loc, "the admin was not signed in: %s",
		c.text(ctx, "main"))
	assert.Equal(t, "Links", c.text(ctx, "main h1"))
	c.shot(ctx, "admin-links")
	c.checkAccessibility(ctx, "admin links")
}

// journeyImportIDP adds SimpleSAMLphp on the IdPs page from its metadata
// URL, with the SimpleSAMLphp preset and signed AuthnRequests.
func journeyImportIDP(t *testing.T, c *chromium, ctx context.Context, metadataURL string) {
	c.do(ctx, "opening the IdPs page",
		chromedp.Click(chromedp.CSS(`nav a[href$="/idps"]`)))
	c.waitFor(ctx, "waiting for the IdPs page", `location.pathname === "/admin/idps" && `+
		`document.getElementById("idp-name")`)
	c.checkAccessibility(ctx, "admin IdPs")
	c.do(ctx, "filling in the IdP form",
		chromedp.SendKeys(chromedp.ID("idp-name"), chromiumIDPName),
		chromedp.Click(chromedp.CSS(`input[name=mode][value=url]`)),
		chromedp.SendKeys(chromedp.ID("idp-url"), metadataURL),
		chromedp.SetValue(chromedp.ID("idp-preset"), "simplesamlphp"))
	checkBox(t, c, ctx, `input[name=sign_requests]`)
	c.shot(ctx, "admin-idp-form")
	c.do(ctx, "adding the IdP",
		chromedp.Click(chromedp.CSS(`section[aria-labelledby=add-idp] button[type=submit]`)))
	c.waitFor(ctx, "waiting for the IdP to be saved", `document.getElementById("saved") || `+
		`document.querySelector("[role=alert]")`)
	c.shot(ctx, "admin-idp-saved")
	assert.Equal(t, "Saved "+chromiumIDPName, c.text(ctx, "#saved"))
	assert.Contains(t, c.text(ctx, "main table"), "metadata URL")
	c.checkAccessibility(ctx, "admin IdP saved")
}

// journeyTestConfiguration runs Test Configuration from the IdPs page:
// the admin signs in at SimpleSAMLphp and reads the report.
func journeyTestConfiguration(t *testing.T, c *chromium, ctx context.Context) {
	c.do(ctx, "starting Test Configuration",
		chromedp.Click(chromedp.CSS(`a.button[href="/saml/test/`+chromiumIDPName+`"]`)))
	c.waitFor(ctx, "waiting for SimpleSAMLphp's login page", `document.getElementById("username")`)
	c.shot(ctx, "test-configuration-idp-login")
	c.do(ctx, "signing in at SimpleSAMLphp",
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), "alice-password"),
		chromedp.Click(chromedp.ID("submit_button")))
	c.waitFor(ctx, "waiting for the report", `location.pathname === "/saml/acs" && `+
		`document.querySelector("main h1")`)
	c.shot(ctx, "test-configuration-report")
	assert.Contains(t, c.text(ctx, "main"), "sign-in would succeed")
	doc, err := run1(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	require.NoError(t, err)
	got := reportAttributes(doc)
	t.Logf("Test Configuration report: %v", got)
	for name, value := range map[string]string{"email": "alice@partner.example",
		"firstName": "Alice", "lastName": "Partner", "groups": "partners"} {
		assert.Contains(t, got[name], value, "attribute %s", name)
	}
	c.checkAccessibility(ctx, "Test Configuration report")
}

// journeyEnforceSSO opens space DEMO on the spaces page and enforces SSO.
func journeyEnforceSSO(t *testing.T, c *chromium, s *server, ctx context.Context) {
	c.do(ctx, "opening the spaces page", chromedp.Navigate(s.url("/admin/spaces")),
		chromedp.WaitVisible(chromedp.ID("key")))
	c.checkAccessibility(ctx, "admin spaces")
	c.do(ctx, "opening space "+demoSpace,
		chromedp.SendKeys(chromedp.ID("key"), demoSpace),
		chromedp.Click(chromedp.CSS(`form.inline button[type=submit]`)))
	c.waitFor(ctx, "waiting for the space's page", `location.pathname === "/admin/spaces/`+
		demoSpace+`"`)
	c.checkAccessibility(ctx, "admin space "+demoSpace)
	checkBox(t, c, ctx, `input[name=sso]`)
	c.shot(ctx, "admin-space-enforce-sso")
	c.do(ctx, "saving the space",
		chromedp.Click(chromedp.CSS(`section[aria-labelledby=settings] button[type=submit]`)))
	// The demo enforces SSO on DEMO at start-up; the save is the admin's.
	c.waitFor(ctx, "waiting for the space to be saved", `[...document.querySelectorAll("p")]`+
		`.some(p => /^Last changed .* by `+adminUser+`\.$/.test(p.textContent))`)
	c.shot(ctx, "admin-space-saved")
	on, err := run1(ctx, chromedp.JavascriptAttribute[bool](chromedp.CSS(`input[name=sso]`),
		"checked"))
	require.NoError(t, err)
	assert.True(t, on, "SSO is not enforced on %s after saving", demoSpace)
}

// journeyCreateLink creates a link to the DEMO home page tree for group
// partners through the IdP, and reads its URL from the page.
func journeyCreateLink(t *testing.T, c *chromium, s *server, ctx context.Context) string {
	c.do(ctx, "opening the links page", chromedp.Navigate(s.url("/admin/links")),
		chromedp.WaitVisible(chromedp.ID("new-link")))
	c.do(ctx, "filling in the link form",
		chromedp.SendKeys(chromedp.ID("space"), demoSpace),
		chromedp.Click(chromedp.CSS(`input[name=scope][value=tree]`)),
		chromedp.SendKeys(chromedp.ID("page"), demoHomeID),
		chromedp.SendKeys(chromedp.ID("title"), "browser journey"),
		chromedp.SendKeys(chromedp.ID("groups"), linkGroup),
		chromedp.SendKeys(chromedp.ID("idps"), chromiumIDPName))
	c.shot(ctx, "admin-link-form")
	c.do(ctx, "creating the link",
		chromedp.Click(chromedp.CSS(`section[aria-labelledby=new-link] button[type=submit]`)))
	c.waitFor(ctx, "waiting for the link's URL", `document.getElementById("link-url") || `+
		`document.querySelector("[role=alert]")`)
	c.shot(ctx, "admin-link-created")
	link, err := run1(ctx, chromedp.Value(chromedp.ID("link-url")))
	require.NoError(t, err)
	require.Contains(t, link, s.url("/s/"), "the page shows no link URL")
	c.checkAccessibility(ctx, "admin link created")
	return link
}

// journeyIDPSignIn opens link in tab ctx, which has no session, and signs
// in at SimpleSAMLphp's login page as user.
func journeyIDPSignIn(t *testing.T, c *chromium, ctx context.Context, link, ssp, who,
	user, password string) {
	c.do(ctx, "opening the link", chromedp.Navigate(link))
	c.waitFor(ctx, "waiting for SimpleSAMLphp's login page", `document.getElementById("username")`)
	loc, err := run1(ctx, chromedp.Location())
	require.NoError(t, err)
	require.Contains(t, loc, ssp, "the link did not lead to SimpleSAMLphp")
	c.shot(ctx, who+"-idp-login")
	c.do(ctx, "signing in at SimpleSAMLphp as "+user,
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("submit_button")))
}

// checkBox ticks the checkbox sel, the way a person does: a click, when
// it is not ticked yet.
func checkBox(t *testing.T, c *chromium, ctx context.Context, sel string) {
	t.Helper()
	on, err := run1(ctx, chromedp.JavascriptAttribute[bool](chromedp.CSS(sel), "checked"))
	require.NoError(t, err, "reading %s", sel)
	if !on {
		c.do(ctx, "ticking "+sel, chromedp.Click(chromedp.CSS(sel)))
	}
}

// chromiumStartSimpleSAMLphp configures SimpleSAMLphp for s and starts it
// with PHP's built-in server; it returns its base URL.
//
// TODO(interop): share one starter with TestSimpleSAMLphp.
func chromiumStartSimpleSAMLphp(t *testing.T, s *server, logs string) string {
	t.Helper()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	dir := t.TempDir()
	writeSimpleSAMLphpConfig(t, dir, logs, base, s)
	cmd := exec.Command("php", "-d", "variables_order=EGPCS", "-S",
		fmt.Sprintf("127.0.0.1:%d", port), "-t", simpleSAMLphpWWW)
	cmd.Env = append(os.Environ(), "SIMPLESAMLPHP_CONFIG_DIR="+filepath.Join(dir, "config"),
		"PHP_CLI_SERVER_WORKERS=2")
	p := startProcess(t, "simplesamlphp", filepath.Join(logs, "simplesamlphp-php.log"), cmd)
	waitHTTP(t, p, base+"/saml2/idp/metadata.php", 30*time.Second)
	return base
}
