package confluencetest_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/confluence/confluencetest"
)

func TestServerExpand(t *testing.T) {
	s, ts := newServer(t, confluencetest.Config{})
	s.AddPage(confluencetest.Page{ID: "7", SpaceKey: "ENG", ParentID: "2", Title: "Deep",
		Labels: []string{"x"}, Restricted: true, Body: "<p>deep</p>"})
	pat := bearer(confluencetest.DefaultPAT)

	_, bare := get(t, ts, "/rest/api/content/7", pat)
	for _, k := range []string{"body", "ancestors", "version", "space", "metadata",
		"restrictions"} {
		assert.NotContains(t, bare, k, "not expanded")
		assert.Contains(t, bare["_expandable"], k, "listed as expandable")
	}

	_, full := get(t, ts, "/rest/api/content/7?expand=body.view,version,space,ancestors,"+
		"metadata.labels,restrictions.read.restrictions.user", pat)
	assert.Equal(t, "<p>deep</p>",
		full["body"].(map[string]any)["view"].(map[string]any)["value"])
	var anc []string
	for _, a := range full["ancestors"].([]any) {
		anc = append(anc, a.(map[string]any)["id"].(string))
	}
	assert.Equal(t, []string{"1", "2"}, anc, "top first")
	assert.Equal(t, "ENG", full["space"].(map[string]any)["key"])
	assert.Equal(t, float64(1), dig(full, "restrictions", "read", "restrictions", "user",
		"size"))
}

func TestServerV2BodyAndLabels(t *testing.T) {
	s, ts := newServer(t, confluencetest.Config{PageSize: 2})
	s.AddPage(confluencetest.Page{ID: "8", SpaceKey: "ENG", Title: "L",
		Labels: []string{"a", "b", "c"}, Body: "<p>b</p>"})

	_, plain := get(t, ts, "/wiki/api/v2/pages/8", basic)
	assert.Empty(t, plain["body"], "no body without body-format")
	assert.NotContains(t, plain, "labels")
	assert.Nil(t, plain["parentId"], "top-level page")

	_, p := get(t, ts, "/wiki/api/v2/pages/8?body-format=view&include-labels=true", basic)
	assert.Equal(t, "<p>b</p>", p["body"].(map[string]any)["view"].(map[string]any)["value"])
	labels := p["labels"].(map[string]any)
	assert.Len(t, labels["results"], 2)
	assert.Equal(t, true, labels["meta"].(map[string]any)["hasMore"])

	_, l := get(t, ts, "/wiki/api/v2/pages/8/labels?limit=5", basic)
	assert.Len(t, l["results"], 2, "PageSize caps the limit")
}

func TestServerSpaces(t *testing.T) {
	s, ts := newServer(t, confluencetest.Config{})
	s.AddSpace(confluencetest.Space{ID: "200", Key: "OPS", Name: "Operations"})

	_, body := get(t, ts, "/wiki/api/v2/spaces?keys=OPS,ENG,NONE", basic)
	assert.Len(t, body["results"], 2)
	_, body = get(t, ts, "/wiki/api/v2/spaces?keys=NONE", basic)
	assert.Empty(t, body["results"])
	resp, _ := get(t, ts, "/wiki/api/v2/spaces/999", basic)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, body = get(t, ts, "/rest/api/space/NONE", bearer(confluencetest.DefaultPAT))
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "Not Found", body["reason"])

	_, body = get(t, ts, "/rest/api/space/ENG", bearer(confluencetest.DefaultPAT))
	assert.NotContains(t, body, "homepage", "homepage only when expanded")
	assert.Equal(t, float64(100), body["id"], "Data Center space IDs are numbers")
}

func TestServerAttachments(t *testing.T) {
	s, ts := newServer(t, confluencetest.Config{})
	s.AddAttachment(confluencetest.Attachment{ID: "att9", PageID: "2", Title: "a b.txt",
		MediaType: "text/plain", Data: []byte("hello")})

	_, v2 := get(t, ts, "/wiki/api/v2/pages/2/attachments", basic)
	att := v2["results"].([]any)[0].(map[string]any)
	assert.Equal(t, float64(5), att["fileSize"])
	dl := att["downloadLink"].(string)
	assert.Contains(t, dl, "/download/attachments/2/a%20b.txt")

	_, v1 := get(t, ts, "/rest/api/content/2/child/attachment", bearer(confluencetest.DefaultPAT))
	dc := v1["results"].([]any)[0].(map[string]any)
	assert.Equal(t, "text/plain", dc["extensions"].(map[string]any)["mediaType"])

	tests := []struct {
		name, path string
		auth       auth
		status     int
	}{
		{"cloud download", "/wiki" + dl, basic, 200},
		{"data center download", dc["_links"].(map[string]any)["download"].(string),
			bearer(confluencetest.DefaultPAT), 200},
		{"wrong page", "/download/attachments/3/a%20b.txt", bearer(confluencetest.DefaultPAT),
			404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet,
				ts.URL+tt.path, nil)
			require.NoError(t, err)
			tt.auth(req)
			resp, err := ts.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
			if tt.status == 200 {
				data, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				assert.Equal(t, "hello", string(data))
				assert.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
			}
		})
	}
}

func TestServerChildrenSkipDraftsAndTrash(t *testing.T) {
	s, ts := newServer(t, confluencetest.Config{})
	s.AddPage(confluencetest.Page{ID: "10", SpaceKey: "ENG", ParentID: "1", Status: "draft"})
	s.AddPage(confluencetest.Page{ID: "11", SpaceKey: "ENG", ParentID: "1", Status: "trashed"})
	s.AddPage(confluencetest.Page{ID: "12", SpaceKey: "ENG", ParentID: "1", Status: "archived"})

	_, v2 := get(t, ts, "/wiki/api/v2/pages/1/children", basic)
	var cloud []string
	for _, r := range v2["results"].([]any) {
		cloud = append(cloud, r.(map[string]any)["id"].(string))
	}
	assert.Equal(t, []string{"2", "3", "4", "5", "6", "12"}, cloud)

	_, v1 := get(t, ts, "/rest/api/content/1/child/page", bearer(confluencetest.DefaultPAT))
	assert.Len(t, v1["results"], 5, "Data Center lists current pages only")
}

// dig follows keys through nested JSON objects.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
