package sharehttp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/time/rate"

	"github.com/secureshare/secureshare/share"
)

// BenchmarkACS measures the whole ACS of one sign-in inside the handler:
// the form, consuming the AuthnRequest, verifying a response whose Response
// and Assertion are both signed (as the demo IdP signs them), mapping,
// claiming the assertion ID, starting the session and the redirect. There
// is no network: set it beside BenchmarkVerifyBothSigned in package saml to
// see what a sign-in costs on top of verifying. Each iteration posts a
// fresh response, prepared before the timer starts. cpu-ns/op is the CPU
// the whole process used per sign-in (every thread, garbage collection
// and the store's background writers included), where ns/op is wall time;
// parallel runs four sign-ins per core at once, as a crowd of outsiders
// would, so that SQLite can commit them together.
//
//	go test ./share/sharehttp -run '^$' -bench ACS -benchtime 2000x
func BenchmarkACS(b *testing.B) {
	for _, store := range []string{"memory", "sqlite"} {
		for _, par := range []bool{false, true} {
			name := store + "/serial"
			if par {
				name = store + "/parallel"
			}
			b.Run(name, func(b *testing.B) {
				o := envOptions{acsLimit: RateLimit{Rate: rate.Inf}, linkLimit: RateLimit{Rate: rate.Inf}}
				if store == "sqlite" {
					o.dsn = "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
				}
				e := newEnv(b, o)
				forms := prepareACS(e, b.N)
				var next atomic.Int64
				post := func() {
					f := forms[next.Add(1)-1]
					req := httptest.NewRequest(http.MethodPost, e.h.ACSURL(),
						strings.NewReader(f.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					w := httptest.NewRecorder()
					e.h.ServeHTTP(w, req)
					if w.Code != http.StatusSeeOther {
						b.Errorf("ACS answered %d: %s", w.Code, w.Body)
					}
				}
				b.ReportAllocs()
				cpu0, cpuOK := processCPU()
				b.ResetTimer()
				if par {
					b.SetParallelism(4)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							post()
						}
					})
				} else {
					for i := 0; i < b.N; i++ {
						post()
					}
				}
				b.StopTimer()
				if cpu1, ok := processCPU(); ok && cpuOK {
					b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}

// prepareACS starts n sign-ins at a page link and returns the IdP's answer
// to each, ready to post.
func prepareACS(e *env, n int) []url.Values {
	e.t.Helper()
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	u := user{email: "pat@partner.example", groups: []string{"partners", "staff", "eu",
		"contractors", "readers"}}
	forms := make([]url.Values, n)
	for i := range forms {
		resp, _ := e.get(e.client, "/s/"+token)
		if resp.StatusCode != http.StatusSeeOther {
			e.t.Fatalf("opening the link: %d, want a redirect to the IdP", resp.StatusCode)
		}
		o := samltestOptions(e, u)
		o.SignResponse = true
		forms[i] = e.responseFor(resp.Header.Get("Location"), u, &o)
	}
	return forms
}
