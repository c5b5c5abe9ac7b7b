// Command loadtest measures the reference server (examples/secureshare)
// on loopback: link views per second by signed-in outsiders on a cached
// page, and ACS logins per second with fresh responses from the demo IdP.
// It starts the server itself (built from this module, on the SQLite
// store or on the store of -store) or points at one with -target, and
// can run a fault command, such as a PostgreSQL restart, in the middle of
// a run, then checks that what the server acknowledged is still there.
//
// Usage:
//
//	go run ./examples/loadtest -phases views,logins,acs -duration 20s
//	go run ./examples/loadtest -store "$SECURESHARE_TEST_POSTGRES" -phases views
//	go run ./examples/loadtest -phases mixed -fault-at 10s -fault-cmd 'pg_ctl ... restart'
//	go run ./examples/loadtest -phases mixed -duration 150s \
//		-fault '15s=echo "503 50s" >"$LOADTEST_WIKI_FAULTS"' \
//		-fault '115s=echo "429 25s" >"$LOADTEST_WIKI_FAULTS"'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// demoEmail and demoTitle are the demo user who may read the partners
// link and the title of the page it opens on.
const (
	demoEmail = "alice@partner.example"
	demoTitle = "Partner Programme"
)

// options are the parsed flags.
type options struct {
	target, store, dataDir, serverBin, module string
	phases                                    []string
	duration, faultAt                         time.Duration
	concurrency, loginConcurrency, outsiders  int
	acsResponses, sourceIPs                   int
	acsNewConns                               bool
	faults                                    []fault
	keep                                      bool
}

// fault is a shell command run at a time into the mixed phase.
type fault struct {
	at  time.Duration
	cmd string
}

// faultFlag collects -fault AT=COMMAND, repeatable.
type faultFlag struct{ p *[]fault }

func (f faultFlag) String() string {
	if f.p == nil {
		return ""
	}
	var parts []string
	for _, x := range *f.p {
		parts = append(parts, x.at.String()+"="+x.cmd)
	}
	return strings.Join(parts, " ")
}

func (f faultFlag) Set(v string) error {
	at, cmd, ok := strings.Cut(v, "=")
	d, err := time.ParseDuration(strings.TrimSpace(at))
	switch {
	case !ok || strings.TrimSpace(cmd) == "":
		return fmt.Errorf("%q is not AT=COMMAND", v)
	case err != nil || d < 0:
		return fmt.Errorf("%q: %q is not a duration", v, at)
	}
	*f.p = append(*f.p, fault{at: d, cmd: cmd})
	return nil
}

// wikiFaultsEnv names, in the fault commands' environment, the file
// that makes the demo Confluence fail (see the server's
// --demo-wiki-faults-file), when this program started the server.
const wikiFaultsEnv = "LOADTEST_WIKI_FAULTS"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit status: 0 when every
// check passed, 1 when one failed, 2 for bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 2
	}
	ctx := context.Background()

	base, srv, cleanup, err := o.server(ctx, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 1
	}
	defer cleanup()
	lt, err := newLoadTest(ctx, o, base, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 1
	}
	lt.srv = srv
	fmt.Fprintf(stdout, "target %s, link %s\nmachine: %d CPUs, %s/%s, %s\n", base,
		redact(lt.link), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())

	failed := false
	for _, p := range o.phases {
		if err := lt.phase(ctx, p); err != nil {
			fmt.Fprintf(stdout, "FAIL %s: %v\n", p, err)
			failed = true
		}
	}
	if err := lt.verify(ctx); err != nil {
		fmt.Fprintf(stdout, "FAIL verify: %v\n", err)
		failed = true
	}
	if failed {
		return 1
	}
	fmt.Fprintln(stdout, "PASS")
	return 0
}

// parseFlags parses the command line.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	phases := fs.String("phases", "views,logins",
		"comma-separated phases: views, logins, acs, mixed (views and logins at once)")
	fs.StringVar(&o.target, "target", "", "the base `URL` of a running demo server "+
		"(default: build and start one)")
	fs.StringVar(&o.store, "store", "", "the server's --store `DSN` (default: SQLite in "+
		"the data dir); also read after the run to check the audit log")
	fs.StringVar(&o.dataDir, "data-dir", "", "the server's --data-dir (default: a new "+
		"temporary directory)")
	fs.StringVar(&o.serverBin, "server-bin", "", "a built secureshare binary "+
		"(default: go build ./examples/secureshare)")
	fs.StringVar(&o.module, "module", ".", "the module `DIR` to build the server from")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long each phase runs")
	fs.IntVar(&o.concurrency, "concurrency", 2*runtime.NumCPU(), "workers per phase")
	fs.IntVar(&o.loginConcurrency, "login-concurrency", 2, "login workers in the mixed phase")
	fs.IntVar(&o.outsiders, "outsiders", 500, "outsiders signed in once for the views")
	fs.IntVar(&o.acsResponses, "acs-responses", 3000,
		"responses prepared at the demo IdP, then posted to the ACS, in the acs phase")
	fs.BoolVar(&o.acsNewConns, "acs-new-connections", false, "in the acs phase, post each "+
		"response on a new connection instead of the one kept from preparing it")
	fs.IntVar(&o.sourceIPs, "source-ips", 20000, "loopback source addresses to spread "+
		"outsiders over (127.1.x.y), so per-address rate limits apply per outsider; "+
		"0 sends everything from 127.0.0.1")
	faultCmd := fs.String("fault-cmd", "", "a shell `COMMAND` run -fault-at into the "+
		"mixed phase, such as a PostgreSQL restart")
	fs.DurationVar(&o.faultAt, "fault-at", 10*time.Second, "when -fault-cmd runs")
	fs.Var(faultFlag{&o.faults}, "fault", "`AT=COMMAND`: run the shell command at AT into "+
		"the mixed phase (repeatable, besides -fault-cmd); $"+wikiFaultsEnv+" names the "+
		"server's --demo-wiki-faults-file, as in '20s=echo 503 30s >\"$"+wikiFaultsEnv+"\"'")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary data directory")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *faultCmd != "" {
		o.faults = append([]fault{{at: o.faultAt, cmd: *faultCmd}}, o.faults...)
	}
	for p := range strings.SplitSeq(*phases, ",") {
		p = strings.TrimSpace(p)
		switch p {
		case "views", "logins", "acs", "mixed":
			o.phases = append(o.phases, p)
		case "":
		default:
			return nil, fmt.Errorf("unknown phase %q", p)
		}
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.concurrency < 1 || o.loginConcurrency < 1 || o.outsiders < 1:
		return nil, errors.New("-concurrency, -login-concurrency and -outsiders must be positive")
	case o.duration <= 0:
		return nil, errors.New("-duration must be positive")
	}
	return o, nil
}

// server returns the base URL to load: -target, or a server started
// here; srv is nil for -target.
func (o *options) server(ctx context.Context, stderr io.Writer) (string, *child, func(), error) {
	if o.target != "" {
		return strings.TrimSuffix(o.target, "/"), nil, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "loadtest-")
	if err != nil {
		return "", nil, nil, err
	}
	cleanup := func() {
		if !o.keep {
			_ = os.RemoveAll(tmp)
		}
	}
	bin := o.serverBin
	if bin == "" {
		if bin, err = buildServer(ctx, o.module, tmp); err != nil {
			cleanup()
			return "", nil, nil, err
		}
	}
	if o.dataDir == "" {
		o.dataDir = tmp + "/data"
	}
	srv, err := startServer(bin, o.dataDir, o.store, o.wikiFaults())
	if err != nil {
		cleanup()
		return "", nil, nil, err
	}
	fmt.Fprintf(stderr, "loadtest: server pid %d, log %s\n", srv.cmd.Process.Pid, srv.stderr)
	return srv.baseURL, srv, func() {
		if err := srv.stop(); err != nil {
			fmt.Fprintf(stderr, "loadtest: stopping the server: %v\n", err)
		}
		cleanup()
	}, nil
}

// wikiFaults is the demo Confluence's faults file, in the data
// directory of a server started here; "" with -target.
func (o *options) wikiFaults() string {
	if o.target != "" || o.dataDir == "" {
		return ""
	}
	return filepath.Join(o.dataDir, "wiki-faults")
}

// loadTest is one run against one server.
type loadTest struct {
	o     *options
	base  string
	link  string // the partners demo link
	out   io.Writer
	srv   *child
	first time.Time // when the run began
	start time.Time // when the current phase began
	ips   sourceIPs
	next  atomic.Int64 // the next source address to hand out

	mu       sync.Mutex
	sessions []viewer // outsiders the server signed in, up to maxKept
	views    int      // link views answered 200
	logins   int      // sign-ins acknowledged (ACS redirect, landing 200)
}

// newLoadTest finds the partners demo link on the server's index page.
func newLoadTest(ctx context.Context, o *options, base string, out io.Writer) (*loadTest,
	error) {
	lt := &loadTest{o: o, base: base, out: out, first: time.Now(), start: time.Now(),
		ips: sourceIPs{n: o.sourceIPs}}
	c := newOutsider(lt.ips.ip(0))
	defer c.close()
	p, err := get(ctx, c.client, base+"/")
	if err != nil {
		return nil, fmt.Errorf("reading the demo index: %w", err)
	}
	u, _ := url.Parse(base + "/")
	links := linksOn(u, p.body)
	if p.status != 200 || len(links) == 0 {
		return nil, fmt.Errorf("the index page (%d) lists no demo link", p.status)
	}
	lt.link = links[0]
	return lt, nil
}

// newOutsider returns an outsider on the next source address.
func (lt *loadTest) newOutsider() *outsider {
	return newOutsider(lt.ips.ip(int(lt.next.Add(1))))
}

// phase runs one phase and prints its figures.
func (lt *loadTest) phase(ctx context.Context, name string) error {
	fmt.Fprintf(lt.out, "\n== %s: %s, concurrency %d, load average %s\n", name,
		lt.o.duration, lt.o.concurrency, loadAverage())
	switch name {
	case "views":
		return lt.viewsPhase(ctx)
	case "logins":
		return lt.loginsPhase(ctx)
	case "acs":
		return lt.acsPhase(ctx)
	}
	return lt.mixedPhase(ctx)
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// redact hides a link's token, which is a credential.
func redact(link string) string {
	i := strings.Index(link, "/s/")
	if i < 0 || len(link) < i+9 {
		return link
	}
	return link[:i+9] + "…"
}

// runFault runs the fault command in a shell and reports how it went.
// Its output goes to a file, not a pipe: a daemon the command starts,
// such as a restarted PostgreSQL, would hold a pipe open for ever.
func (lt *loadTest) runFault(ctx context.Context, command string) {
	start := time.Now()
	out, err := os.CreateTemp("", "loadtest-fault-")
	if err != nil {
		fmt.Fprintf(lt.out, "fault command not run: %v\n", err)
		return
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Stdout, cmd.Stderr = out, out
	if wf := lt.o.wikiFaults(); wf != "" {
		cmd.Env = append(os.Environ(), wikiFaultsEnv+"="+wf)
	}
	err = cmd.Run()
	text, _ := os.ReadFile(out.Name())
	fmt.Fprintf(lt.out, "fault command %q ran at t=%.1fs for %s: err=%v\n%s", command,
		start.Sub(lt.phaseStart()).Seconds(), time.Since(start).Round(time.Millisecond), err,
		indent(string(text)))
}

// phaseStart is when the current phase began.
func (lt *loadTest) phaseStart() time.Time {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return lt.start
}

// indent prefixes each line of s with two spaces.
func indent(s string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		b.WriteString("  " + line)
	}
	return b.String()
}
