package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// recorder collects the latencies and outcomes of one kind of request. It
// keeps every sample, which is exact and small enough for runs of minutes
// (8 bytes a request). It is safe for concurrent use.
type recorder struct {
	mu      sync.Mutex
	samples []time.Duration
	outcome map[string]int // "200", "429", "err:timeout", ...
	ok      int
}

// newRecorder returns an empty recorder.
func newRecorder() *recorder {
	return &recorder{outcome: map[string]int{}}
}

// add records one request: its latency, its outcome and whether it
// counts as a success.
func (r *recorder) add(d time.Duration, outcome string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, d)
	r.outcome[outcome]++
	if ok {
		r.ok++
	}
}

// summary is what a recorder reports for a phase of a given length.
type summary struct {
	Count, OK          int
	PerSecond          float64 // successful requests per second
	P50, P90, P99, Max time.Duration
	Outcomes           map[string]int
}

// summarize reports the samples recorded over elapsed.
func (r *recorder) summarize(elapsed time.Duration) summary {
	r.mu.Lock()
	sorted := slices.Clone(r.samples)
	s := summary{Count: len(r.samples), OK: r.ok, Outcomes: make(map[string]int)}
	for k, v := range r.outcome {
		s.Outcomes[k] = v
	}
	r.mu.Unlock()

	slices.Sort(sorted)
	s.P50 = percentile(sorted, 50)
	s.P90 = percentile(sorted, 90)
	s.P99 = percentile(sorted, 99)
	if len(sorted) > 0 {
		s.Max = sorted[len(sorted)-1]
	}
	if elapsed > 0 {
		s.PerSecond = float64(s.OK) / elapsed.Seconds()
	}
	return s
}

// percentile is the nearest-rank p-th percentile of sorted samples: the
// smallest sample that at least p percent of the samples do not exceed.
// It is zero for no samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	if p <= 0 {
		return sorted[0]
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// String formats a summary on one line, outcomes sorted by name.
func (s summary) String() string {
	var out []string
	for k, v := range s.Outcomes {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return fmt.Sprintf("%d requests, %d ok, %.0f ok/s, p50 %s p90 %s p99 %s max %s [%s]",
		s.Count, s.OK, s.PerSecond, ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max),
		strings.Join(out, " "))
}

// ms formats d in milliseconds with two decimals.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// timeline counts successes and failures per second since a start, to
// show when a fault began to hurt and when the service recovered. It is
// safe for concurrent use.
type timeline struct {
	start time.Time
	mu    sync.Mutex
	ok    []int
	bad   []int
}

// newTimeline returns a timeline starting at start.
func newTimeline(start time.Time) *timeline {
	return &timeline{start: start}
}

// add counts one request that ended at t.
func (tl *timeline) add(t time.Time, ok bool) {
	sec := int(t.Sub(tl.start) / time.Second)
	if sec < 0 {
		return
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for len(tl.ok) <= sec {
		tl.ok = append(tl.ok, 0)
		tl.bad = append(tl.bad, 0)
	}
	if ok {
		tl.ok[sec]++
		return
	}
	tl.bad[sec]++
}

// lastFailure is the second in which the last failure happened, or -1.
func (tl *timeline) lastFailure() int {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for i := len(tl.bad) - 1; i >= 0; i-- {
		if tl.bad[i] > 0 {
			return i
		}
	}
	return -1
}

// outages lists the stretches of whole seconds, after the first success,
// in which nothing succeeded, as "t=58s-64s (7s)", longest first.
func (tl *timeline) outages() []string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	type gap struct{ from, n int }
	var gaps []gap
	seen := false
	for i := 0; i < len(tl.ok); i++ {
		if tl.ok[i] > 0 {
			seen = true
			continue
		}
		if !seen {
			continue
		}
		j := i
		for j < len(tl.ok) && tl.ok[j] == 0 {
			j++
		}
		if j < len(tl.ok) { // a run that ends the timeline is its partial last second
			gaps = append(gaps, gap{i, j - i})
		}
		i = j
	}
	slices.SortStableFunc(gaps, func(a, b gap) int { return b.n - a.n })
	var out []string
	for _, g := range gaps {
		out = append(out, fmt.Sprintf("t=%ds-%ds (%ds)", g.from, g.from+g.n-1, g.n))
	}
	return out
}

// String lists "second: ok/failed" for every second.
func (tl *timeline) String() string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	var b strings.Builder
	for i := range tl.ok {
		fmt.Fprintf(&b, "  t=%3ds ok %5d failed %5d\n", i, tl.ok[i], tl.bad[i])
	}
	return b.String()
}
