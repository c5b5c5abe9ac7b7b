package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxKept bounds the signed-in outsiders kept for the checks after the
// run; past it, later sign-ins are not re-checked.
const maxKept = 20000

// viewer is an outsider signed in once, and the page it reads.
type viewer struct {
	o    *outsider
	page string
}

// signInViewers signs in n outsiders with the given number of workers.
func (lt *loadTest) signInViewers(ctx context.Context, n, workers int) ([]viewer, error) {
	var (
		mu     sync.Mutex
		out    []viewer
		errs   []string
		next   atomic.Int64
		wg     sync.WaitGroup
		failed atomic.Int64
	)
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				o := lt.newOutsider()
				r, err := o.signIn(ctx, lt.link, demoEmail, demoTitle)
				mu.Lock()
				if err != nil {
					failed.Add(1)
					errs = append(errs, outcomeOf(err))
				} else {
					out = append(out, viewer{o: o, page: r.landing})
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	lt.acknowledge(out, len(out), len(out)) // each landed on the page
	if len(out) == 0 {
		return nil, fmt.Errorf("no outsider could sign in: %s", summarizeErrors(errs))
	}
	if failed.Load() > 0 {
		fmt.Fprintf(lt.out, "sign-in failures while preparing: %s\n", summarizeErrors(errs))
	}
	return out, nil
}

// viewsPhase signs in -outsiders outsiders, then has -concurrency workers
// read the page each landed on, round robin, for -duration.
func (lt *loadTest) viewsPhase(ctx context.Context) error {
	t0 := time.Now()
	vs, err := lt.signInViewers(ctx, lt.o.outsiders, lt.o.concurrency)
	if err != nil {
		return err
	}
	fmt.Fprintf(lt.out, "signed in %d outsiders in %s\n", len(vs),
		time.Since(t0).Round(time.Millisecond))

	rec := newRecorder()
	cpu := startCPU(lt.pid())
	start := time.Now()
	deadline := start.Add(lt.o.duration)
	lt.runWorkers(lt.o.concurrency, func(w int) {
		for i := w; time.Now().Before(deadline); i += lt.o.concurrency {
			lt.view(ctx, vs[i%len(vs)], rec, nil)
		}
	})
	s := rec.summarize(time.Since(start))
	lt.countViews(s.OK)
	fmt.Fprintf(lt.out, "views: %s\n%s\n", s, cpu.report(s.OK))
	if s.Outcomes["429"] > 0 {
		fmt.Fprintf(lt.out, "note: 429s mean an outsider's address went over the "+
			"server's per-address limit (10 link requests/s by default): raise "+
			"-outsiders or -source-ips\n")
	}
	return failures("views", s)
}

// staleMarker is on a page sharehttp served from the cache's last copy
// while Confluence failed.
const staleMarker = `class="ss-stale"`

// view reads a viewer's page once and records how it went; a page
// served stale counts as answered, under outcome 200-stale.
func (lt *loadTest) view(ctx context.Context, v viewer, rec *recorder, tl *timeline) {
	start := time.Now()
	p, err := get(ctx, v.o.client, v.page)
	d := time.Since(start)
	outcome := classify(err)
	if err == nil {
		outcome = fmt.Sprint(p.status)
	}
	ok := err == nil && p.status == http.StatusOK && strings.Contains(p.body, demoTitle)
	switch {
	case err == nil && p.status == http.StatusOK && !ok:
		outcome = "200-wrong-page"
	case ok && strings.Contains(p.body, staleMarker):
		outcome = "200-stale"
	}
	rec.add(d, outcome, ok)
	if tl != nil {
		tl.add(start.Add(d), ok)
	}
}

// loginsPhase has -concurrency workers sign in new outsiders, link to
// landing page, for -duration, timing the ACS post separately.
func (lt *loadTest) loginsPhase(ctx context.Context) error {
	acs, full := newRecorder(), newRecorder()
	cpu := startCPU(lt.pid())
	start := time.Now()
	deadline := start.Add(lt.o.duration)
	lt.runWorkers(lt.o.concurrency, func(int) {
		for time.Now().Before(deadline) {
			lt.login(ctx, acs, full, nil)
		}
	})
	elapsed := time.Since(start)
	sf := full.summarize(elapsed)
	fmt.Fprintf(lt.out, "acs posts: %s\nfull sign-ins: %s\n%s\n", acs.summarize(elapsed), sf,
		cpu.report(sf.OK))
	return failures("sign-ins", sf)
}

// login signs a new outsider in once and records the ACS post and the
// whole sign-in.
func (lt *loadTest) login(ctx context.Context, acs, full *recorder, tl *timeline) {
	o := lt.newOutsider()
	start := time.Now()
	r, err := o.signIn(ctx, lt.link, demoEmail, demoTitle)
	d := time.Since(start)
	o.close()
	if r.acs > 0 {
		outcome := fmt.Sprint(r.acsCode)
		var se *stepError
		if err != nil && asStep(err, &se) && se.step == "acs" {
			outcome = se.outcome
		}
		acs.add(r.acs, outcome, r.acsCode == http.StatusSeeOther || r.acsCode == http.StatusFound)
	}
	if err != nil {
		full.add(d, outcomeOf(err), false)
	} else {
		full.add(d, "ok", true)
		lt.acknowledge([]viewer{{o: o, page: r.landing}}, 1, 1)
	}
	if tl != nil {
		tl.add(start.Add(d), err == nil)
	}
}

// acsPhase prepares -acs-responses fresh responses at the demo IdP, each
// for its own outsider, then posts them all to the ACS with -concurrency
// workers, as fast as the server takes them: on the connection the
// outsider kept from preparing (a browser back from the IdP within its
// keep-alive time), or with -acs-new-connections on a new one. Each
// outsider closes its connection once it has posted.
func (lt *loadTest) acsPhase(ctx context.Context) error {
	type item struct {
		o  *outsider
		pr *prepared
	}
	n := lt.o.acsResponses
	items := make([]item, n)
	var next atomic.Int64
	var failed atomic.Int64
	t0 := time.Now()
	lt.runWorkers(lt.o.concurrency, func(int) {
		for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
			o := lt.newOutsider()
			pr, err := o.prepare(ctx, lt.link, demoEmail)
			if err != nil || lt.o.acsNewConns {
				// With -acs-new-connections each outsider posts on a new
				// connection, as one who took long at the IdP does.
				o.close()
			}
			if err != nil {
				failed.Add(1)
				continue
			}
			items[i] = item{o: o, pr: pr}
		}
	})
	fmt.Fprintf(lt.out, "prepared %d responses in %s (%d failed)\n", n-int(failed.Load()),
		time.Since(t0).Round(time.Millisecond), failed.Load())

	rec := newRecorder()
	next.Store(0)
	var ok []viewer
	var mu sync.Mutex
	cpu := startCPU(lt.pid())
	start := time.Now()
	lt.runWorkers(lt.o.concurrency, func(int) {
		for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
			it := items[i]
			if it.o == nil {
				continue
			}
			d, p, err := it.o.postACS(ctx, it.pr)
			it.o.close()
			if err != nil {
				rec.add(d, outcomeOf(err), false)
				continue
			}
			rec.add(d, fmt.Sprint(p.status), true)
			mu.Lock()
			ok = append(ok, viewer{o: it.o, page: lt.link})
			mu.Unlock()
		}
	})
	sa := rec.summarize(time.Since(start))
	fmt.Fprintf(lt.out, "acs posts: %s\n%s\n", sa, cpu.report(sa.OK))
	lt.acknowledge(ok, len(ok), 0)
	if failed.Load() > 0 {
		return fmt.Errorf("%d of %d responses could not be prepared", failed.Load(), n)
	}
	return failures("acs posts", sa)
}

// mixedPhase runs views and sign-ins at once for -duration, running
// each fault command at its time, and prints a per-second timeline.
func (lt *loadTest) mixedPhase(ctx context.Context) error {
	vs, err := lt.signInViewers(ctx, lt.o.outsiders, lt.o.concurrency)
	if err != nil {
		return err
	}
	views, acs, full := newRecorder(), newRecorder(), newRecorder()
	start := time.Now()
	lt.mu.Lock()
	lt.start = start
	lt.mu.Unlock()
	vt, lgt := newTimeline(start), newTimeline(start)
	deadline := start.Add(lt.o.duration)
	var wg sync.WaitGroup
	for _, f := range lt.o.faults {
		wg.Go(func() {
			time.Sleep(time.Until(start.Add(f.at)))
			lt.runFault(ctx, f.cmd)
		})
	}
	wg.Go(func() {
		lt.runWorkers(lt.o.concurrency, func(w int) {
			for i := w; time.Now().Before(deadline); i += lt.o.concurrency {
				lt.view(ctx, vs[i%len(vs)], views, vt)
			}
		})
	})
	wg.Go(func() {
		lt.runWorkers(lt.o.loginConcurrency, func(int) {
			for time.Now().Before(deadline) {
				lt.login(ctx, acs, full, lgt)
			}
		})
	})
	wg.Wait()
	elapsed := time.Since(start)
	sv := views.summarize(elapsed)
	lt.countViews(sv.OK)
	fmt.Fprintf(lt.out, "views: %s\nacs posts: %s\nfull sign-ins: %s\n", sv,
		acs.summarize(elapsed), full.summarize(elapsed))
	fmt.Fprintf(lt.out, "views per second:\n%ssign-ins per second:\n%s", vt, lgt)
	fmt.Fprintf(lt.out, "seconds without a view answered: %s\n"+
		"seconds without a sign-in: %s\n", orNone(vt.outages()), orNone(lgt.outages()))
	return lt.recovered(vt, lgt)
}

// orNone joins list, or says none.
func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

// recovered checks that the last failure of the mixed phase came at
// least three seconds before its end: the server recovered by itself.
func (lt *loadTest) recovered(tls ...*timeline) error {
	end := int(lt.o.duration/time.Second) - 3
	for _, tl := range tls {
		if last := tl.lastFailure(); last >= end {
			return fmt.Errorf("requests still failed at t=%ds; no recovery before the end",
				last)
		}
	}
	return nil
}

// pid is the server's process ID, or 0 when it is not ours.
func (lt *loadTest) pid() int {
	if lt.srv == nil {
		return 0
	}
	return lt.srv.cmd.Process.Pid
}

// failures is an error when some requests of a phase without faults
// failed.
func failures(what string, s summary) error {
	if s.OK == s.Count {
		return nil
	}
	return fmt.Errorf("%d of %d %s failed", s.Count-s.OK, s.Count, what)
}

// runWorkers runs n copies of f, f(0) ... f(n-1), and waits for them.
func (lt *loadTest) runWorkers(n int, f func(w int)) {
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() { f(w) })
	}
	wg.Wait()
}

// acknowledge keeps signed-in outsiders for the checks after the run and
// counts acknowledged logins and views.
func (lt *loadTest) acknowledge(vs []viewer, logins, views int) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	for _, v := range vs {
		if len(lt.sessions) < maxKept {
			lt.sessions = append(lt.sessions, v)
		}
	}
	lt.logins += logins
	lt.views += views
}

// countViews adds views answered 200 to the acknowledged count.
func (lt *loadTest) countViews(n int) { lt.acknowledge(nil, 0, n) }

// asStep is errors.As for *stepError.
func asStep(err error, target **stepError) bool {
	se, ok := err.(*stepError)
	if ok {
		*target = se
	}
	return ok
}

// summarizeErrors counts equal strings: "link:503=3 acs:429=1".
func summarizeErrors(errs []string) string {
	n := map[string]int{}
	var order []string
	for _, e := range errs {
		if n[e] == 0 {
			order = append(order, e)
		}
		n[e]++
	}
	var b []string
	for _, e := range order {
		b = append(b, fmt.Sprintf("%s=%d", e, n[e]))
	}
	return strings.Join(b, " ")
}
