package confluencetest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const (
	fakeAccountID = "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"
	fakeCreatedAt = "2024-03-11T09:26:40.000Z"
)

// routeCloud registers the Cloud REST v2 paths and the v1 paths the SDK
// uses on Cloud.
func (s *Server) routeCloud() {
	s.mux.HandleFunc("GET /wiki/api/v2/pages/{id}", s.v2Page)
	s.mux.HandleFunc("GET /wiki/api/v2/pages/{id}/ancestors", s.v2Ancestors)
	s.mux.HandleFunc("GET /wiki/api/v2/pages/{id}/children", s.v2Children)
	s.mux.HandleFunc("GET /wiki/api/v2/pages/{id}/labels", s.v2Labels)
	s.mux.HandleFunc("GET /wiki/api/v2/pages/{id}/attachments", s.v2Attachments)
	s.mux.HandleFunc("GET /wiki/api/v2/spaces", s.v2Spaces)
	s.mux.HandleFunc("GET /wiki/api/v2/spaces/{id}", s.v2Space)
	s.mux.HandleFunc("GET /wiki/rest/api/content/{id}/restriction/byOperation/read",
		s.v1Restriction)
	s.mux.HandleFunc("GET /wiki/download/attachments/{page}/{name}", s.serveDownload)
	s.mux.HandleFunc("/wiki/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r.URL.Path, http.StatusNotFound, "")
	})
}

func (s *Server) v2Page(w http.ResponseWriter, r *http.Request) {
	p, ok := s.page(r.PathValue("id"))
	if !ok {
		writeError(w, r.URL.Path, http.StatusNotFound, "")
		return
	}
	sp, _ := s.spaceBy(func(sp Space) bool { return sp.Key == p.SpaceKey })

	out := map[string]any{
		"id": p.ID, "status": p.Status, "title": p.Title, "spaceId": sp.ID,
		"parentId": p.ParentID, "parentType": "page", "position": 0,
		"authorId": fakeAccountID, "ownerId": fakeAccountID, "lastOwnerId": nil,
		"createdAt": fakeCreatedAt,
		"version": map[string]any{"createdAt": fakeCreatedAt, "message": "",
			"number": p.Version, "minorEdit": false, "authorId": fakeAccountID},
		"body": map[string]any{},
		"_links": map[string]any{
			"webui":  "/spaces/" + p.SpaceKey + "/pages/" + p.ID + "/" + url.PathEscape(p.Title),
			"editui": "/pages/resumedraft.action?draftId=" + p.ID,
			"tinyui": "/x/" + p.ID,
			"base":   s.wikiBase(r),
		},
	}
	if p.ParentID == "" {
		out["parentId"], out["parentType"] = nil, nil
	}
	if f := r.URL.Query().Get("body-format"); f == "view" || f == "storage" {
		out["body"] = map[string]any{f: map[string]any{"representation": f, "value": p.Body}}
	}
	if r.URL.Query().Get("include-labels") == "true" {
		labels, more := v2LabelList(p.Labels), false
		if len(labels) > s.cfg.PageSize {
			labels, more = labels[:s.cfg.PageSize], true
		}
		var cursor any
		if more {
			cursor = encodeCursor(s.cfg.PageSize)
		}
		out["labels"] = map[string]any{
			"results": labels,
			"meta":    map[string]any{"hasMore": more, "cursor": cursor},
			"_links":  map[string]any{"self": "/wiki/api/v2/pages/" + p.ID + "/labels"},
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) v2Ancestors(w http.ResponseWriter, r *http.Request) {
	p, ok := s.page(r.PathValue("id"))
	if !ok {
		writeError(w, r.URL.Path, http.StatusNotFound, "")
		return
	}
	var items []any
	for _, a := range s.ancestors(p) {
		items = append(items, map[string]any{"id": a.ID, "type": "page"})
	}
	s.v2List(w, r, items)
}

func (s *Server) v2Children(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.page(r.PathValue("id")); !ok {
		writeError(w, r.URL.Path, http.StatusNotFound, "")
		return
	}
	var items []any
	for i, c := range s.children(r.PathValue("id")) {
		sp, _ := s.spaceBy(func(sp Space) bool { return sp.Key == c.SpaceKey })
		items = append(items, map[string]any{"id": c.ID, "status": c.Status,
			"title": c.Title, "spaceId": sp.ID, "childPosition": i})
	}
	s.v2List(w, r, items)
}

func (s *Server) v2Labels(w http.ResponseWriter, r *http.Request) {
	p, ok := s.page(r.PathValue("id"))
	if !ok {
		writeError(w, r.URL.Path, http.StatusNotFound, "")
		return
	}
	s.v2List(w, r, v2LabelList(p.Labels))
}

func (s *Server) v2Attachments(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.page(r.PathValue("id")); !ok {
		writeError(w, r.URL.Path, http.StatusNotFound, "")
		return
	}
	var items []any
	for _, a := range s.attachments(r.PathValue("id")) {
		dl := "/download/attachments/" + a.PageID + "/" + url.PathEscape(a.Title) +
			"?version=1&modificationDate=1710149200000&cacheVersion=1&api=v2"
		items = append(items, map[string]any{
			"id": a.ID, "status": "current", "title": a.Title, "createdAt": fakeCreatedAt,
			"pageId": a.PageID, "mediaType": a.MediaType, "mediaTypeDescription": "",
			"comment": "", "fileId": "f" + a.ID, "fileSize": len(a.Data),
			"webuiLink":    "/pages/viewpageattachments.action?pageId=" + a.PageID,
			"downloadLink": dl,
			"version": map[string]any{"number": 1, "message": "", "minorEdit": false,
				"authorId": fakeAccountID, "createdAt": fakeCreatedAt},
			"_links": map[string]any{"download": dl},
		})
	}
	s.v2List(w, r, items)
}

func (s *Server) v2Spaces(w http.ResponseWriter, r *http.Request) {
	keys := strings.Split(r.URL.Query().Get("keys"), ",")
	var items []any
	for _, k := range keys {
		if sp, ok := s.spaceBy(func(sp Space) bool { return sp.Key == k }); ok {
			items = append(items, v2SpaceJSON(sp))
		}
	}
	s.v2List(w, r, items)
}

func (s *Server) v2Space(w http.ResponseWriter, r *http.Request) {
	sp, ok := s.spaceBy(func(sp Space) bool { return sp.ID == r.PathValue("id") })
	if !ok {
		writeError(w, r.URL.Path, http.StatusNotFound, "")
		return
	}
	writeJSON(w, http.StatusOK, v2SpaceJSON(sp))
}

// v1Restriction answers GET /rest/api/content/{id}/restriction/byOperation/read.
func (s *Server) v1Restriction(w http.ResponseWriter, r *http.Request) {
	p, ok := s.page(r.PathValue("id"))
	if !ok {
		writeError(w, r.URL.Path, http.StatusNotFound,
			"No content found with id: ContentId{id="+r.PathValue("id")+"}")
		return
	}
	users := []any{}
	if p.Restricted {
		users = append(users, map[string]any{"type": "known", "accountId": fakeAccountID,
			"accountType": "atlassian", "displayName": "Page Owner"})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"operation": "read",
		"restrictions": map[string]any{
			"user": map[string]any{"results": users, "start": 0, "limit": 200,
				"size": len(users)},
			"group": map[string]any{"results": []any{}, "start": 0, "limit": 200, "size": 0},
		},
		"_expandable": map[string]any{"content": "/rest/api/content/" + p.ID},
		"_links": map[string]any{"base": s.wikiBase(r), "context": "/wiki",
			"self": s.wikiBase(r) + "/rest/api/content/" + p.ID +
				"/restriction/byOperation/read"},
	})
}

// v2List writes items as a v2 MultiEntityResult, paginated by an opaque
// cursor. The next link starts with /wiki, as Confluence Cloud's do, even
// behind the gateway.
func (s *Server) v2List(w http.ResponseWriter, r *http.Request, items []any) {
	limit := s.cfg.PageSize
	if l, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && l > 0 && l < limit {
		limit = l
	}
	start := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		n, err := decodeCursor(c)
		if err != nil || n > len(items) {
			writeError(w, r.URL.Path, http.StatusBadRequest, "")
			return
		}
		start = n
	}
	end := min(start+limit, len(items))

	links := map[string]any{"base": s.wikiBase(r)}
	if end < len(items) {
		q := r.URL.Query()
		q.Set("cursor", encodeCursor(end))
		next := r.URL.Path + "?" + q.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next", <%s>; rel="base"`,
			next, s.wikiBase(r)))
		if !s.cfg.LinkHeaderOnly {
			links["next"] = next
		}
	}
	page := items[start:end]
	if page == nil {
		page = []any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": page, "_links": links})
}

// wikiBase is the _links.base Cloud reports: the site's /wiki URL.
func (s *Server) wikiBase(r *http.Request) string {
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host + info(r).prefix + "/wiki"
}

func v2SpaceJSON(sp Space) map[string]any {
	return map[string]any{
		"id": sp.ID, "key": sp.Key, "name": sp.Name, "type": "global", "status": "current",
		"authorId": fakeAccountID, "createdAt": fakeCreatedAt, "homepageId": sp.HomePageID,
		"description": nil, "icon": nil,
		"_links": map[string]any{"webui": "/spaces/" + sp.Key},
	}
}

func v2LabelList(labels []string) []any {
	out := []any{}
	for i, l := range labels {
		out = append(out, map[string]any{"id": strconv.Itoa(1000 + i), "name": l,
			"prefix": "global"})
	}
	return out
}

func encodeCursor(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(n)))
}

func decodeCursor(c string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, err
	}
	n, ok := strings.CutPrefix(string(b), "offset:")
	if !ok {
		return 0, fmt.Errorf("bad cursor")
	}
	return strconv.Atoi(n)
}
