package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/url"

	"github.com/secureshare/secureshare/confluence/confluencetest"
)

// The demo content's spaces and pages, named so that the demo links and
// the tests refer to the same IDs.
const (
	demoSpace         = "DEMO"
	demoOpsSpace      = "OPS"
	demoHomeID        = "10"
	demoGuideID       = "11"
	demoDiagramID     = "12"
	demoRestrictedID  = "13"
	demoOpsHomeID     = "20"
	demoHomeTitle     = "Partner Programme"
	demoGuideTitle    = "Integration Guide"
	demoDiagramTitle  = "Architecture Diagram"
	demoRestrictTitle = "Pricing Negotiations (internal)"
	demoOpsTitle      = "Status Page Runbook"
	demoImageID       = "att1201"
)

// newDemoWiki returns a fake Confluence holding the demo content: space
// DEMO with a home page, a child page with a table and a code block, a
// grandchild with an image attachment and a restricted page; space OPS
// with one page.
func newDemoWiki() (*confluencetest.Server, error) {
	img, err := demoImage()
	if err != nil {
		return nil, err
	}
	s := confluencetest.NewServer(confluencetest.Config{})
	s.AddSpace(confluencetest.Space{ID: "1001", Key: demoSpace, Name: "Partner Demo",
		HomePageID: demoHomeID})
	s.AddSpace(confluencetest.Space{ID: "1002", Key: demoOpsSpace, Name: "Operations",
		HomePageID: demoOpsHomeID})
	for _, p := range demoPages() {
		s.AddPage(p)
	}
	s.AddAttachment(confluencetest.Attachment{ID: demoImageID, PageID: demoDiagramID,
		Title: "diagram.png", MediaType: "image/png", Data: img})
	return s, nil
}

// demoPages are the pages of both demo spaces, parents first.
func demoPages() []confluencetest.Page {
	return []confluencetest.Page{
		{ID: demoHomeID, SpaceKey: demoSpace, Title: demoHomeTitle, Labels: []string{"partners"},
			Body: `<p>Welcome to the partner programme. Everything below this page is ` +
				`shared with members of the <strong>partners</strong> group.</p>` +
				`<ul><li>Start with the ` +
				pageLink(demoGuideID, demoGuideTitle, "integration guide") +
				`.</li><li>Internal: ` + pageLink(demoRestrictedID, demoRestrictTitle,
				"pricing negotiations") + `.</li></ul>` +
				`<p>Questions? Write to <a href="mailto:partners@example.com">` +
				`partners@example.com</a>.</p>`},
		{ID: demoGuideID, SpaceKey: demoSpace, ParentID: demoHomeID, Title: demoGuideTitle,
			Body: `<p>Our API speaks JSON over HTTPS. Environments:</p>` +
				`<div class="table-wrap"><table class="confluenceTable"><tbody>` +
				`<tr><th class="confluenceTh">Environment</th>` +
				`<th class="confluenceTh">Base URL</th>` +
				`<th class="confluenceTh">Rate limit</th></tr>` +
				`<tr><td class="confluenceTd">Sandbox</td>` +
				`<td class="confluenceTd">https://sandbox.api.example.com</td>` +
				`<td class="confluenceTd">10 requests/s</td></tr>` +
				`<tr><td class="confluenceTd">Production</td>` +
				`<td class="confluenceTd">https://api.example.com</td>` +
				`<td class="confluenceTd">100 requests/s</td></tr>` +
				`</tbody></table></div>` +
				`<p>Fetch an order:</p>` +
				`<pre class="syntaxhighlighter-pre">` +
				`curl -H "Authorization: Bearer $TOKEN" \` + "\n" +
				`  https://sandbox.api.example.com/v1/orders/42</pre>` +
				`<p>See the ` + pageLink(demoDiagramID, demoDiagramTitle, "architecture diagram") +
				`.</p>`},
		{ID: demoDiagramID, SpaceKey: demoSpace, ParentID: demoGuideID, Title: demoDiagramTitle,
			Body: `<p>How requests flow from your systems to ours:</p>` +
				`<p><img alt="Architecture diagram" ` +
				`src="/wiki/download/attachments/` + demoDiagramID + `/diagram.png?api=v2" ` +
				`data-linked-resource-id="` + demoImageID + `" ` +
				`data-linked-resource-type="attachment" ` +
				`data-linked-resource-container-id="` + demoDiagramID + `" ` +
				`data-linked-resource-default-alias="diagram.png"></p>`},
		{ID: demoRestrictedID, SpaceKey: demoSpace, ParentID: demoHomeID,
			Title: demoRestrictTitle, Restricted: true,
			Body: `<p>Discount floor for partners: 35%. Do not share.</p>`},
		{ID: demoOpsHomeID, SpaceKey: demoOpsSpace, Title: demoOpsTitle,
			Body: `<p>When the status page shows an incident:</p>` +
				`<ol><li>Acknowledge the alert.</li><li>Post an update every 30 minutes.</li>` +
				`<li>Write the post-mortem within two days.</li></ol>`},
	}
}

// pageLink is a link to a page as Confluence renders it in view format.
func pageLink(id, title, text string) string {
	href := "/wiki/spaces/" + demoSpace + "/pages/" + id + "/" + url.PathEscape(title)
	return `<a href="` + href + `" ` +
		`data-linked-resource-id="` + id + `" data-linked-resource-type="page">` + text + `</a>`
}

// demoImage draws a small PNG: three boxes joined by a line.
func demoImage() ([]byte, error) {
	const w, h = 240, 80
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	bg := color.RGBA{0xf4, 0xf5, 0xf7, 0xff}
	box := color.RGBA{0x00, 0x52, 0xcc, 0xff}
	line := color.RGBA{0x42, 0x52, 0x6e, 0xff}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := bg
			inBox := y >= 25 && y < 55 && (x%80) >= 10 && (x%80) < 60
			switch {
			case inBox:
				c = box
			case y >= 39 && y < 41 && x >= 10 && x < w-20:
				c = line
			}
			m.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
