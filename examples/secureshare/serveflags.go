package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// envPrefix starts the environment variable that stands in for each serve
// flag: --base-url is SECURESHARE_BASE_URL.
const envPrefix = "SECURESHARE_"

const serveUsage = `Usage: secureshare serve [flags]
       secureshare            (the same, with no flags: the demo)

Serves Secure Share. With no flags it is a demo that needs no set-up: on
http://127.0.0.1:8080, with a SQLite store in ./secureshare-data, a demo
Confluence (spaces DEMO and OPS), a demo identity provider under /demo-idp/
where you pick a user without a password, and two demo links printed at
start-up. --idp-metadata replaces the demo IdP with real ones, and
--confluence-url the demo Confluence with a real site.

Every flag can also come from the environment: --base-url from
SECURESHARE_BASE_URL and so on (--idp-metadata from SECURESHARE_IDP_METADATA,
comma-separated). A flag given on the command line wins. Prefer the
environment for --confluence-token, --confluence-pat, --admin-password and
--metrics-token.

Routes besides the handler's (see share/sharehttp): GET /healthz (the process
is alive), GET /readyz (the store answers), GET /metrics (Prometheus), and
the admin pages under /admin/ (sign in with --admin-user and --admin-password).

Exit status: 0 after a clean shutdown on SIGINT or SIGTERM, 1 when serving
fails, 2 for bad usage or configuration.

Flags:
`

// serveFlags are the parsed flags of serve.
type serveFlags struct {
	listen, baseURL, dataDir, storeDSN                             string
	idpMetadata                                                    []string
	confluenceURL, confluenceEmail, confluenceToken, confluencePAT string
	spKey, spCert                                                  string
	clientIPHeader                                                 string
	metricsToken                                                   string
	adminUser, adminPassword                                       string
	insecureHTTPLoopback, insecureSet                              bool
	forceDemoIDP                                                   bool
	demoWikiFaults                                                 string
	logFormat                                                      string
	shutdownTimeout                                                time.Duration
	maxConnections                                                 int
}

// demoIDP reports whether the demo IdP stands in for real ones.
func (f *serveFlags) demoIDP() bool { return len(f.idpMetadata) == 0 }

// demoWiki reports whether the demo Confluence stands in for a real one.
func (f *serveFlags) demoWiki() bool { return f.confluenceURL == "" }

// parseServeFlags parses the flags of serve, then fills the flags not
// given from the environment through getenv. Every flag but
// --idp-metadata may be given once.
func parseServeFlags(args []string, getenv func(string) string,
	stderr io.Writer) (*serveFlags, error) {
	f := &serveFlags{listen: "127.0.0.1:8080", dataDir: "secureshare-data", logFormat: "json",
		shutdownTimeout: 10 * time.Second}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	// The flag package would print a bad flag's error and the whole usage;
	// the caller prints the error once, with a pointer to -h.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	defineServeFlags(fs, f)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, serveUsage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: serve takes only flags", fs.Arg(0))
	}
	if err := applyEnv(fs, getenv); err != nil {
		return nil, err
	}
	fs.Visit(func(fl *flag.Flag) {
		f.insecureSet = f.insecureSet || fl.Name == "insecure-http-loopback"
	})

	if f.storeDSN == "" {
		f.storeDSN = "sqlite:" + filepath.Join(f.dataDir, "secureshare.db")
	}
	return f, f.check()
}

// defineServeFlags declares the flags of serve on fs.
func defineServeFlags(fs *flag.FlagSet, f *serveFlags) {
	str := func(p *string, name, usage string) {
		fs.Var(&onceString{name: name, p: p}, name, usage)
	}
	str(&f.listen, "listen", "the `ADDRESS` to listen on")
	str(&f.baseURL, "base-url", "the public `URL` of this server "+
		"(default: http:// and the listen address)")
	str(&f.dataDir, "data-dir", "the `DIR` for the SP key, the SQLite store and demo state")
	str(&f.storeDSN, "store", "the store `DSN`: sqlite:PATH, postgres://... or memory: "+
		"(default: sqlite:DIR/secureshare.db)")
	fs.Var(&listFlag{name: "idp-metadata", p: &f.idpMetadata}, "idp-metadata",
		"a real IdP's metadata, `[NAME=]FILE_OR_URL`, instead of the demo IdP (repeatable; "+
			"NAME defaults to idp, idp2, ...)")
	str(&f.confluenceURL, "confluence-url", "a real Confluence site `URL` instead of the demo")
	str(&f.confluenceEmail, "confluence-email", "Confluence Cloud account `EMAIL`")
	str(&f.confluenceToken, "confluence-token", "Confluence Cloud API `TOKEN`")
	str(&f.confluencePAT, "confluence-pat", "Confluence Data Center personal access `TOKEN`")
	str(&f.spKey, "sp-key", "the SP's RSA private key, `PEM_FILE` (default: generated in DIR)")
	str(&f.spCert, "sp-cert", "the SP's certificate, `PEM_FILE`, for --sp-key")
	fs.Var(&onceBool{name: "insecure-http-loopback", p: &f.insecureHTTPLoopback},
		"insecure-http-loopback",
		"cookies without Secure, for a plain-http base URL on loopback only "+
			"(default: on exactly when the base URL is such)")
	fs.Var(&onceBool{name: "demo-idp", p: &f.forceDemoIDP}, "demo-idp",
		"serve the demo IdP (no password) even with a real Confluence or a base URL "+
			"off loopback; only for trying the server out")
	str(&f.demoWikiFaults, "demo-wiki-faults-file", "make the demo Confluence fail as `FILE` "+
		"says, read again when it changes: \"503 DURATION\", \"429 DURATION\" "+
		"(Retry-After: 1), \"slow DELAY DURATION\" (from the file's modification time; "+
		"no DURATION: until it changes) or empty for none; for fault tests only, refused "+
		"with --confluence-url")
	str(&f.adminUser, "admin-user", "the admin pages' `USER` (default: admin)")
	str(&f.adminPassword, "admin-password", "the admin pages' `PASSWORD`; without it the "+
		"admin pages are off, except in the demo, which generates one in DIR")
	str(&f.clientIPHeader, "client-ip-header", "behind a reverse proxy, the request `HEADER` "+
		"whose last address is the client's, such as X-Forwarded-For, for rate limits and logs "+
		"(default: the connection's address)")
	str(&f.metricsToken, "metrics-token", "require `TOKEN` as a bearer token on GET /metrics "+
		"(Authorization: Bearer TOKEN), for a scraper reaching the public listener "+
		"(default: /metrics is open)")
	str(&f.logFormat, "log-format", "log `FORMAT` on stderr: json or text")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", f.shutdownTimeout,
		"how long to let requests finish on SIGINT or SIGTERM")
	fs.IntVar(&f.maxConnections, "max-connections", 0, "the most client connections "+
		"open at once, `N`; at the cap, idle keep-alive connections are closed first "+
		"(default: the open-file limit less 256, kept for the store and outbound fetches)")
}

// applyEnv sets each flag not given on the command line from its
// environment variable, when that is not empty.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	var err error
	fs.VisitAll(func(fl *flag.Flag) {
		name := envName(fl.Name)
		v := getenv(name)
		if given[fl.Name] || v == "" || err != nil {
			return
		}
		values := []string{v}
		if _, ok := fl.Value.(*listFlag); ok {
			values = strings.Split(v, ",")
		}
		for _, one := range values {
			if e := fs.Set(fl.Name, strings.TrimSpace(one)); e != nil {
				err = fmt.Errorf("%s: %w", name, e)
				return
			}
		}
	})
	return err
}

// envName is the environment variable of a flag.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// check refuses combinations of flags that cannot work.
func (f *serveFlags) check() error {
	cloud := f.confluenceEmail != "" || f.confluenceToken != ""
	switch {
	case f.logFormat != "json" && f.logFormat != "text":
		return fmt.Errorf("--log-format %q is not json or text", f.logFormat)
	case f.shutdownTimeout <= 0:
		return errors.New("--shutdown-timeout must be positive")
	case f.maxConnections < 0:
		return fmt.Errorf("--max-connections %d is negative (0 means the default)",
			f.maxConnections)
	case f.confluenceURL == "" && (cloud || f.confluencePAT != ""):
		return errors.New("--confluence-email, --confluence-token and --confluence-pat " +
			"need --confluence-url")
	case f.confluenceURL != "" && cloud && f.confluencePAT != "":
		return errors.New("--confluence-pat (Data Center) and --confluence-email/" +
			"--confluence-token (Cloud) exclude each other")
	case f.confluenceURL != "" && f.confluencePAT == "" &&
		(f.confluenceEmail == "" || f.confluenceToken == ""):
		return errors.New("--confluence-url needs --confluence-email with --confluence-token " +
			"(Cloud) or --confluence-pat (Data Center)")
	case f.confluenceURL != "" && f.demoWikiFaults != "":
		return errors.New("--demo-wiki-faults-file makes only the demo Confluence fail: " +
			"it is refused with --confluence-url")
	case (f.spKey == "") != (f.spCert == ""):
		return errors.New("--sp-key and --sp-cert go together")
	}
	if f.baseURL != "" {
		if why := badBaseURL(f.baseURL); why != "" {
			return fmt.Errorf("--base-url %q %s", f.baseURL, why)
		}
	}
	host, port, err := net.SplitHostPort(f.listen)
	if err != nil {
		return fmt.Errorf("--listen %q is not HOST:PORT: %v", f.listen, err)
	}
	if why := badListenHost(host); why != "" {
		return fmt.Errorf("--listen %q: the host %q %s", f.listen, host, why)
	}
	if n, err := strconv.ParseUint(port, 10, 16); port != "" && (err != nil || n > 65535) {
		return fmt.Errorf("--listen %q: the port %q is not a number from 0 to 65535", f.listen, port)
	}
	return nil
}

// badBaseURL says why u cannot be the public URL of the server, or "":
// it must be an absolute https URL (or http on loopback) with a host, and
// no query or fragment. Checked with the flags, before anything is written to the
// data directory.
func badBaseURL(u string) string {
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return "is not a URL: " + err.Error()
	case p.Scheme != "http" && p.Scheme != "https":
		return "must start with https:// (or http:// on loopback)"
	case p.Host == "" || p.Hostname() == "":
		return "has no host"
	case p.Scheme == "http" && !isLoopbackHost(p.Hostname()):
		return "must use https unless its host is loopback"
	case p.User != nil:
		return "must not hold a user name or password"
	case p.RawQuery != "" || p.Fragment != "" || p.ForceQuery:
		return "must not have a query or a fragment"
	}
	return ""
}

// badListenHost says why host cannot be listened on, or "" if it may be:
// empty (every interface), an IP address (an IPv6 one with a zone, as in
// fe80::1%eth0, too), or a host name made of letters, digits, hyphens,
// underscores (container service names have them) and dots. A name of
// only digits and dots must be an IPv4 address ("999.1.1.1" is not), so
// that such a typo is a usage error rather than a failed lookup at
// start-up.
func badListenHost(host string) string {
	if host == "" {
		return ""
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	if len(host) > 253 {
		return "is longer than a host name may be (253 characters)"
	}
	numeric := true
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 {
			return "is not an IP address or a host name"
		}
		for i, r := range label {
			switch {
			case r >= '0' && r <= '9':
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
				numeric = false
			case r == '-' && i > 0 && i < len(label)-1, r == '_':
				numeric = false
			default:
				return "is not an IP address or a host name"
			}
		}
	}
	if numeric {
		return "is not an IP address"
	}
	return ""
}

// listFlag is a string flag that may be repeated; each value must be
// non-empty.
type listFlag struct {
	name string
	p    *[]string
}

func (l *listFlag) String() string {
	if l == nil || l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l *listFlag) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("--%s needs a non-empty value", l.name)
	}
	*l.p = append(*l.p, v)
	return nil
}
