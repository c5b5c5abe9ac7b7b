package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"no samples", nil, 50, 0},
		{"one sample", []time.Duration{7}, 99, 7},
		{"median of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p90 of 1..100", hundred, 90, 90 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"p100 is the max", hundred, 100, 100 * time.Millisecond},
		{"p0 is the min", hundred, 0, time.Millisecond},
		{"median of two rounds down", []time.Duration{1, 9}, 50, 1},
		{"p99 of ten is the largest", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10},
		{"p90 of ten", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
		{"p91 of ten rounds up", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 91, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, percentile(tt.samples, tt.p))
		})
	}
}

func TestRecorderSummarize(t *testing.T) {
	r := newRecorder()
	for i := range 1000 {
		r.add(time.Duration(1000-i)*time.Microsecond, "200", true)
	}
	r.add(time.Second, "err:timeout", false)
	r.add(2*time.Millisecond, "503", false)

	s := r.summarize(2 * time.Second)
	assert.Equal(t, 1002, s.Count)
	assert.Equal(t, 1000, s.OK)
	assert.InDelta(t, 500, s.PerSecond, 0.001, "only successes count")
	assert.Equal(t, 501*time.Microsecond, s.P50, "rank 501 of 1002, after sorting")
	assert.Equal(t, 992*time.Microsecond, s.P99, "rank ceil(991.98)")
	assert.Equal(t, time.Second, s.Max)
	assert.Equal(t, map[string]int{"200": 1000, "err:timeout": 1, "503": 1}, s.Outcomes)
	assert.Contains(t, s.String(), "[200=1000 503=1 err:timeout=1]")
	assert.Contains(t, s.String(), "p50 0.50ms p90 0.90ms")

	r.add(time.Nanosecond, "200", true)
	assert.Equal(t, 1000, s.OK, "a summary is a copy")
	assert.Zero(t, newRecorder().summarize(0).PerSecond, "no division by zero")
}

func TestTimeline(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		events   map[time.Duration]bool
		wantLast int
		wantLine string
	}{
		{"no failures", map[time.Duration]bool{0: true, 3 * time.Second: true}, -1,
			"t=  3s ok     1 failed     0"},
		{"failures end at 4s", map[time.Duration]bool{
			time.Second: false, 4*time.Second + 999*time.Millisecond: false,
			9 * time.Second: true}, 4, "t=  4s ok     0 failed     1"},
		{"before the start is ignored", map[time.Duration]bool{-time.Second: false}, -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := newTimeline(start)
			for at, ok := range tt.events {
				tl.add(start.Add(at), ok)
			}
			assert.Equal(t, tt.wantLast, tl.lastFailure())
			assert.Contains(t, tl.String(), tt.wantLine)
		})
	}
}

func TestTimelineOutages(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tl := newTimeline(start)
	assert.Empty(t, tl.outages())
	// Nothing at 0-1s (before the first success: not an outage), ok at
	// 2s, nothing at 3-4s, ok at 5s, failures only at 6-8s, ok at 9s,
	// nothing at 10s, the end.
	tl.add(start.Add(time.Second), false)
	for _, s := range []int{2, 5, 9} {
		tl.add(start.Add(time.Duration(s)*time.Second), true)
	}
	for _, s := range []int{6, 7, 8} {
		tl.add(start.Add(time.Duration(s)*time.Second), false)
	}
	tl.add(start.Add(10*time.Second), false)
	assert.Equal(t, []string{"t=6s-8s (3s)", "t=3s-4s (2s)"}, tl.outages())
}

func TestRecovered(t *testing.T) {
	start := time.Now()
	lt := &loadTest{o: &options{duration: 20 * time.Second}}
	early, late := newTimeline(start), newTimeline(start)
	early.add(start.Add(10*time.Second), false)
	late.add(start.Add(18*time.Second), false)

	require.NoError(t, lt.recovered(early))
	err := lt.recovered(early, late)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "t=18s"), err.Error())
}

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name string
		stat string
		want time.Duration
		ok   bool
	}{
		{"plain", "4242 (secureshare) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0", 1750 *
			time.Millisecond, true},
		{"name with spaces and parens", "7 (a b) c) R 1 2 3 4 5 6 7 8 9 10 3 4 0", 70 *
			time.Millisecond, true},
		{"too short", "7 (x) R 1 2", 0, false},
		{"no name", "garbage", 0, false},
		{"not numbers", "7 (x) R 1 2 3 4 5 6 7 8 9 10 a b", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseStatCPU(tt.stat)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFailures(t *testing.T) {
	require.NoError(t, failures("views", summary{Count: 3, OK: 3}))
	err := failures("views", summary{Count: 5, OK: 3})
	require.Error(t, err)
	assert.Equal(t, "2 of 5 views failed", err.Error())
}
