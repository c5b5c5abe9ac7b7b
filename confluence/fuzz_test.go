package confluence

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// answerAll is an http.RoundTripper that answers every request with the
// same status and body.
type answerAll struct {
	status int
	body   string
}

func (a answerAll) RoundTrip(r *http.Request) (*http.Response, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	if strings.HasSuffix(r.URL.Path, "/user/current") {
		return &http.Response{StatusCode: 200, Header: h, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"type":"known","username":"u"}`))}, nil
	}
	return &http.Response{StatusCode: a.status, Header: h, Request: r,
		Body: io.NopCloser(strings.NewReader(a.body))}, nil
}

// FuzzClientAnswers feeds arbitrary answers to both clients: they must
// return a value or an error, never panic or loop, whatever Confluence
// (or something pretending to be it) sends.
func FuzzClientAnswers(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(uint16(200), string(b))
			f.Add(uint16(404), string(b))
		}
	}
	f.Add(uint16(429), `{"errors":[{"status":429}]}`)
	f.Add(uint16(200), `{"results":[{"id":"1"}],"_links":{"next":"/wiki/api/v2/x"}}`)

	f.Fuzz(func(t *testing.T, status uint16, body string) {
		if status < 100 || status > 599 {
			return
		}
		ctx := context.Background()
		hc := &http.Client{Transport: answerAll{status: int(status), body: body}}
		retry := RetryConfig{MaxAttempts: 2, Sleep: func(context.Context, time.Duration) error {
			return nil
		}}
		cloud, err := NewCloud(CloudConfig{BaseURL: "https://example.atlassian.net",
			Email: "a@b", APIToken: "t", HTTPClient: hc, Retry: retry, MaxPages: 3})
		if err != nil {
			t.Fatal(err)
		}
		dc, err := NewDataCenter(ctx, DataCenterConfig{BaseURL: "https://c.example.com",
			Token: "t", HTTPClient: hc, Retry: retry, MaxPages: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, src := range []interface {
			Source
			AttachmentSource
		}{cloud, dc} {
			p, err := src.Page(ctx, "1")
			assert.True(t, (p == nil) != (err == nil))
			_, _ = src.Space(ctx, "ENG")
			_, _ = src.Children(ctx, "1")
			_, _ = src.Attachments(ctx, "1")
			if b, err := src.OpenAttachment(ctx, "1", "att1"); err == nil {
				_ = b.Body.Close()
			}
		}
	})
}
