package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/secureshare/secureshare/share"
	"github.com/secureshare/secureshare/store"
)

// verify checks, after the phases, what the server acknowledged: every
// kept session still reads its page, the store holds at least as many
// login and link-opened audit events as sign-ins and views were answered,
// the server is still running and its log mentions no panic.
func (lt *loadTest) verify(ctx context.Context) error {
	fmt.Fprintf(lt.out, "\n== verify (load average %s)\n", loadAverage())
	var errs []error
	if err := lt.verifySessions(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := lt.verifyAudit(ctx); err != nil {
		errs = append(errs, err)
	}
	if lt.srv != nil {
		if gone, err := lt.srv.exited(); gone {
			errs = append(errs, fmt.Errorf("the server exited during the run: %v", err))
		}
		n, err := lt.srv.panics()
		switch {
		case err != nil:
			errs = append(errs, err)
		case n > 0:
			errs = append(errs, fmt.Errorf("the server log has %d lines about a panic", n))
		default:
			fmt.Fprintf(lt.out, "server log: no panic\n")
		}
	}
	return errors.Join(errs...)
}

// verifySessions reads each kept outsider's page once more, from a
// fresh source address so that the rate limits the phases used up do not
// answer for the store.
func (lt *loadTest) verifySessions(ctx context.Context) error {
	lt.mu.Lock()
	vs := lt.sessions
	lt.mu.Unlock()
	rec := newRecorder()
	var next atomic.Int64
	lt.runWorkers(lt.o.concurrency, func(int) {
		for i := int(next.Add(1)) - 1; i < len(vs); i = int(next.Add(1)) - 1 {
			o := vs[i].o.sameBrowserFrom(lt.ips.ip(int(lt.next.Add(1))))
			lt.view(ctx, viewer{o: o, page: vs[i].page}, rec, nil)
			o.close()
		}
	})
	s := rec.summarize(0)
	fmt.Fprintf(lt.out, "acknowledged sessions re-read: %d of %d ok %v\n", s.OK, len(vs),
		s.Outcomes)
	if s.OK != len(vs) {
		return fmt.Errorf("%d acknowledged sessions no longer read their page", len(vs)-s.OK)
	}
	return nil
}

// verifyAudit counts the audit events since the run began, through the
// store, when it knows which store the server uses.
func (lt *loadTest) verifyAudit(ctx context.Context) error {
	dsn := lt.o.store
	if dsn == "" && lt.o.dataDir != "" {
		dsn = "sqlite:" + filepath.Join(lt.o.dataDir, "secureshare.db")
	}
	if dsn == "" {
		fmt.Fprintf(lt.out, "audit: not checked (give -store)\n")
		return nil
	}
	st, err := store.New(ctx, store.Config{DSN: dsn})
	if err != nil {
		return fmt.Errorf("opening the store to check the audit log: %w", err)
	}
	defer st.Close()
	svc, err := share.NewService(share.Config{Store: st})
	if err != nil {
		return err
	}
	since := lt.first.Add(-time.Second)
	logins, err := countAudit(ctx, svc, share.EventLoginSucceeded, since)
	if err != nil {
		return err
	}
	opened, err := countAudit(ctx, svc, share.EventLinkOpened, since)
	if err != nil {
		return err
	}

	lt.mu.Lock()
	wantLogins, wantViews := lt.logins, lt.views
	lt.mu.Unlock()
	fmt.Fprintf(lt.out, "audit since %s: %d login.succeeded (acknowledged %d), "+
		"%d link.opened (acknowledged %d)\n", since.Format(time.TimeOnly), logins, wantLogins,
		opened, wantViews)
	var missing []string
	if logins < wantLogins {
		missing = append(missing, fmt.Sprintf("%d logins", wantLogins-logins))
	}
	if opened < wantViews {
		missing = append(missing, fmt.Sprintf("%d views", wantViews-opened))
	}
	if len(missing) > 0 {
		return fmt.Errorf("acknowledged but not audited: %s", strings.Join(missing, ", "))
	}
	return nil
}

// countAudit counts the events of kind since a time, a page at a time.
func countAudit(ctx context.Context, svc *share.Service, kind share.EventKind,
	since time.Time) (int, error) {
	n, cursor := 0, ""
	for {
		events, next, err := svc.QueryAudit(ctx, share.AuditFilter{Kind: kind, Since: since,
			Limit: share.MaxPageSize, Cursor: cursor})
		if err != nil {
			return 0, err
		}
		n += len(events)
		if next == "" || len(events) == 0 {
			return n, nil
		}
		cursor = next
	}
}
