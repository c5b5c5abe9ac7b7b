package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// faultsCheckEvery is how often the faults file is read again, at most.
const faultsCheckEvery = 250 * time.Millisecond

// wikiFault is what the demo Confluence does to every request while a
// fault lasts: answer status (with Retry-After: 1 for 429), or hold the
// answer back by delay and then answer normally.
type wikiFault struct {
	status int
	delay  time.Duration
	span   time.Duration // how long from when the file was read; 0: until it changes
}

// parseWikiFault reads a faults file's content: empty for none, or
// "503 [DURATION]", "429 [DURATION]", "slow DELAY [DURATION]".
func parseWikiFault(content string) (wikiFault, error) {
	f := strings.Fields(content)
	var out wikiFault
	if len(f) == 0 {
		return out, nil
	}
	rest := f[1:]
	switch f[0] {
	case "503", "429":
		out.status, _ = strconv.Atoi(f[0])
	case "slow":
		if len(rest) == 0 {
			return out, fmt.Errorf("slow needs a delay, as in %q", "slow 2s 10s")
		}
		d, err := time.ParseDuration(rest[0])
		if err != nil || d <= 0 {
			return out, fmt.Errorf("slow: %q is not a positive duration", rest[0])
		}
		out.delay, rest = d, rest[1:]
	default:
		return out, fmt.Errorf("%q is not 503, 429 or slow", f[0])
	}
	switch len(rest) {
	case 0:
	case 1:
		d, err := time.ParseDuration(rest[0])
		if err != nil || d <= 0 {
			return out, fmt.Errorf("%q is not a positive duration", rest[0])
		}
		out.span = d
	default:
		return out, fmt.Errorf("unexpected %q", strings.Join(rest[1:], " "))
	}
	return out, nil
}

// String is the fault as the faults file writes it.
func (f wikiFault) String() string {
	var s string
	switch {
	case f.status != 0:
		s = strconv.Itoa(f.status)
	case f.delay > 0:
		s = "slow " + f.delay.String()
	default:
		return "none"
	}
	if f.span > 0 {
		s += " " + f.span.String()
	}
	return s
}

// wikiFaults is the demo Confluence behind --demo-wiki-faults-file: it
// reads the file again when a request comes at least faultsCheckEvery
// after the last read, and applies the fault it names for its duration
// from the file's modification time. A file that is missing or does not
// parse means no fault (the latter is logged).
type wikiFaults struct {
	path  string
	next  http.Handler
	log   *slog.Logger
	now   func() time.Time
	every time.Duration

	mu      sync.Mutex
	checked time.Time
	content []byte
	modTime time.Time
	fault   wikiFault
	since   time.Time
}

func newWikiFaults(path string, next http.Handler, log *slog.Logger) *wikiFaults {
	return &wikiFaults{path: path, next: next, log: log, now: time.Now, every: faultsCheckEvery}
}

// current is the fault in force now, the zero wikiFault for none.
func (w *wikiFaults) current() wikiFault {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	if w.checked.IsZero() || now.Sub(w.checked) >= w.every {
		w.checked = now
		w.reread(now)
	}
	if w.fault.span > 0 && now.Sub(w.since) >= w.fault.span {
		return wikiFault{}
	}
	return w.fault
}

// reread reads the file and takes its fault when its content or
// modification time changed. w.mu is held.
func (w *wikiFaults) reread(now time.Time) {
	var content []byte
	var mod time.Time
	if fi, err := os.Stat(w.path); err == nil {
		mod = fi.ModTime()
		if content, err = os.ReadFile(w.path); err != nil {
			content = nil
		}
	}
	if bytes.Equal(content, w.content) && mod.Equal(w.modTime) {
		return
	}
	// The fault runs from when the file was written, so that its
	// duration does not depend on when the next request comes; a file
	// older than its duration at start-up means no fault.
	w.content, w.modTime, w.since = content, mod, now
	if !mod.IsZero() && mod.Before(now) {
		w.since = mod
	}
	f, err := parseWikiFault(string(content))
	if err != nil {
		w.log.Warn("demo Confluence: the faults file does not parse; no fault",
			slog.String("file", w.path), slog.Any("error", err))
	}
	w.fault = f
	w.log.Info("demo Confluence fault", slog.String("file", w.path),
		slog.String("fault", f.String()), slog.Time("since", w.since))
}

// ServeHTTP answers as the fault in force says, or passes the request on.
func (w *wikiFaults) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	f := w.current()
	if f.delay > 0 {
		t := time.NewTimer(f.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if f.status == 0 {
		w.next.ServeHTTP(rw, r)
		return
	}
	if f.status == http.StatusTooManyRequests {
		rw.Header().Set("Retry-After", "1")
	}
	// Cloud REST v2's error envelope; the client reads only the status
	// and the headers.
	rw.Header().Set("Content-Type", "application/json;charset=UTF-8")
	rw.WriteHeader(f.status)
	title := http.StatusText(f.status)
	_ = json.NewEncoder(rw).Encode(map[string]any{"errors": []any{map[string]any{
		"status": f.status, "title": title, "detail": nil,
		"code": strings.ToUpper(strings.ReplaceAll(title, " ", "_"))}}})
}
