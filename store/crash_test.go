package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
)

// crashEnv tells a re-executed test binary to act as the writer that
// TestCrashSafety kills; its value is "PATH ROUND".
const crashEnv = "SECURESHARE_STORE_CRASH_CHILD"

// crashWriters is how many goroutines write links and events at once in
// the child, and crashAppenders how many more append only events, so that
// the kill often lands while a batch of several events is being committed.
const (
	crashWriters   = 4
	crashAppenders = 16
)

// TestCrashSafety kills a process with SIGKILL while it writes links and
// audit events to a SQLite store, many events at once and so in shared
// commits, several times over one file, and checks
// after each kill that the file is intact and holds every write the
// process reported as committed.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary; skipped in -short mode")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	committed := map[string]bool{}

	for round := range 3 {
		killAt := 100 + rand.IntN(400)
		lines := runAndKill(t, path, round, killAt)
		require.GreaterOrEqual(t, len(lines), killAt, "round %d: child reported too few writes", round)
		for _, l := range lines {
			committed[l] = true
		}

		s := openTest(t, Config{DSN: "sqlite:" + path})
		var check string
		require.NoError(t, s.db.queryRow(context.Background(), "PRAGMA integrity_check").Scan(&check))
		assert.Equal(t, "ok", check, "round %d: integrity_check", round)
		missing := missingWrites(t, s, committed)
		assert.Empty(t, missing, "round %d: committed writes lost", round)
		require.NoError(t, s.Close())
	}
}

// runAndKill starts the child writer on path, kills it with SIGKILL once
// it has reported killAt commits, and returns every commit it reported,
// as "link ID" and "audit ID" lines.
func runAndKill(t *testing.T, path string, round, killAt int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d", crashEnv, path, round))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	var lines []string
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "committed ")
		if !ok {
			continue
		}
		lines = append(lines, line)
		if !killed && len(lines) >= killAt {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			killed = true
		}
	}

	err = cmd.Wait()
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL,
		"child was not killed (exit: %v); stderr:\n%s", err, stderr.String())
	return lines
}

// missingWrites returns the reported writes that the store does not have.
func missingWrites(t *testing.T, s *Store, committed map[string]bool) []string {
	t.Helper()
	ctx := context.Background()
	events := map[string]bool{}
	f := share.AuditFilter{Limit: share.MaxPageSize}
	for {
		page, next, err := s.QueryAudit(ctx, f)
		require.NoError(t, err)
		for _, e := range page {
			events[e.ID] = true
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}

	var missing []string
	for w := range committed {
		kind, id, _ := strings.Cut(w, " ")
		switch kind {
		case "link":
			if _, err := s.Link(ctx, id); err != nil {
				missing = append(missing, w+": "+err.Error())
			}
		case "audit":
			if !events[id] {
				missing = append(missing, w)
			}
		default:
			t.Fatalf("child reported %q", w)
		}
	}
	return missing
}

// TestCrashChild is the writer that TestCrashSafety kills. Run directly,
// it skips. Each writer goroutine creates a link, prints "committed link
// ID", appends an audit event and prints "committed audit ID", and each
// appender goroutine appends events and prints "committed audit ID",
// until it is killed.
func TestCrashChild(t *testing.T) {
	env := os.Getenv(crashEnv)
	if env == "" {
		t.Skip("helper process for TestCrashSafety")
	}
	path, round, _ := strings.Cut(env, " ")
	s, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}

	var (
		wg sync.WaitGroup
		mu sync.Mutex // one line per write(2)
	)
	report := func(what string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(os.Stdout, "committed "+what)
	}
	for w := range crashWriters {
		wg.Go(func() {
			crashWrite(s, fmt.Sprintf("r%s-w%d", round, w), report)
		})
	}
	for a := range crashAppenders {
		wg.Go(func() {
			crashAppend(s, fmt.Sprintf("r%s-a%d", round, a), report)
		})
	}
	wg.Wait()
}

// crashWrite writes links and events named after prefix, reporting each
// after it is committed, until an error or a million writes.
func crashWrite(s *Store, prefix string, report func(string)) {
	ctx := context.Background()
	now := time.Now()
	for i := range 1_000_000 {
		id := fmt.Sprintf("%s-%d", prefix, i)
		l := share.Link{ID: id, TokenHash: share.Digest(sha(id)), Space: "ENG",
			Scope: share.ScopeSpace, Title: id, Created: now, Policy: share.Policy{
				Groups: []string{"Partners"}}}
		if err := s.CreateLink(ctx, l); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		report("link " + id)

		e := share.AuditEvent{ID: id, Time: now, Kind: share.EventLinkCreated, LinkID: id,
			Detail: strings.Repeat("x", i%512)}
		if err := s.AppendAudit(ctx, e); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		report("audit " + id)
	}
}

// crashAppend appends events named after prefix, reporting each after it
// is committed, until an error or a million events.
func crashAppend(s *Store, prefix string, report func(string)) {
	ctx := context.Background()
	now := time.Now()
	for i := range 1_000_000 {
		id := fmt.Sprintf("%s-%d", prefix, i)
		e := share.AuditEvent{ID: id, Time: now, Kind: share.EventLinkOpened, LinkID: prefix,
			Detail: strings.Repeat("y", i%256)}
		if err := s.AppendAudit(ctx, e); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		report("audit " + id)
	}
}

// sha returns the SHA-256 digest of s.
func sha(s string) [32]byte { return sha256.Sum256([]byte(s)) }
