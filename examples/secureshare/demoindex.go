package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"html/template"
	"log/slog"
	"net/http"
)

// indexLink is one demo link on the index page.
type indexLink struct {
	URL, About string
}

// indexData is what the index page shows.
type indexData struct {
	Nonce       string
	Links       []indexLink
	MetadataURL string
	IDPURL      string
}

// serveDemoIndex lists the demo links, so that the demo can be explored
// from the browser alone. It is served only while the demo content is.
func (s *server) serveDemoIndex(w http.ResponseWriter, r *http.Request) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	data := indexData{Nonce: base64.RawURLEncoding.EncodeToString(b[:]),
		MetadataURL: s.handler().MetadataURL()}
	if s.demoIDP != nil {
		data.IDPURL = s.prefix + demoIDPPath + "/metadata"
	}
	for _, l := range s.links {
		data.Links = append(data.Links, indexLink{URL: s.handler().LinkURL(l.Token), About: l.About})
	}
	var buf bytes.Buffer
	if err := indexPage.Execute(&buf, data); err != nil {
		s.log.ErrorContext(r.Context(), "rendering the demo index", slog.Any("error", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeDemoPage(w, http.StatusOK, "default-src 'none'; style-src 'nonce-"+data.Nonce+
		"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'", buf.Bytes())
}

// indexPage is the demo's start page. html/template escapes every value.
var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Secure Share demo</title><style nonce="{{.Nonce}}">
body{font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#172b4d}
li{margin:.8rem 0}code{word-break:break-all}</style></head><body>
<h1>Secure Share demo</h1>
<p>This server shares pages of a demo Confluence with outsiders who sign in
at an identity provider. Everything here is a demo: the Confluence content
is made up{{if .IDPURL}}, and the identity provider lets you pick a user without a
password{{end}}.</p>
<h2>Demo links</h2>
<ul>{{range .Links}}<li><a href="{{.URL}}">{{.URL}}</a><br>{{.About}}</li>{{end}}</ul>
<h2>Service provider</h2>
<p>SP metadata: <a href="{{.MetadataURL}}">{{.MetadataURL}}</a>{{if .IDPURL}};
demo IdP metadata: <a href="{{.IDPURL}}">{{.IDPURL}}</a>{{end}}.</p>
</body></html>
`))
