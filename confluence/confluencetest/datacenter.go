package confluencetest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// routeDataCenter registers the Data Center REST v1 paths.
func (s *Server) routeDataCenter() {
	s.mux.HandleFunc("GET /rest/api/user/current", s.dcCurrentUser)
	s.mux.HandleFunc("GET /rest/api/content/{id}", s.dcContent)
	s.mux.HandleFunc("GET /rest/api/content/{id}/child/page", s.dcChildren)
	s.mux.HandleFunc("GET /rest/api/content/{id}/child/attachment", s.dcAttachments)
	s.mux.HandleFunc("GET /rest/api/space/{key}", s.dcSpace)
	s.mux.HandleFunc("GET /download/attachments/{page}/{name}", s.serveDownload)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r.URL.Path, http.StatusNotFound, "")
	})
}

func (s *Server) dcCurrentUser(w http.ResponseWriter, r *http.Request) {
	pic := map[string]any{"path": "/images/icons/profilepics/anonymous.svg",
		"width": 48, "height": 48, "isDefault": true}
	if info(r).anonymous {
		writeJSON(w, http.StatusOK, map[string]any{"type": "anonymous",
			"profilePicture": pic, "displayName": "Anonymous",
			"_links": map[string]any{"self": s.dcBase(r) + "/rest/api/user/anonymous"}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "known", "username": "reader",
		"userKey": "8a7f808a6f8f4c5b016f8f4c9e8a0000", "profilePicture": pic,
		"displayName": "Share Reader",
		"_links":      map[string]any{"self": s.dcBase(r) + "/rest/api/user?key=reader"}})
}

// dcVisible reports whether the request may see p: the anonymous user
// sees no restricted page, as on a real instance.
func (s *Server) dcVisible(r *http.Request, p Page) bool {
	return !info(r).anonymous || !p.Restricted
}

func (s *Server) dcContent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, ok := s.page(id)
	if !ok || !s.dcVisible(r, p) {
		writeError(w, r.URL.Path, http.StatusNotFound,
			"No content found with id: ContentId{id="+id+"}")
		return
	}
	expand := map[string]bool{}
	for _, e := range strings.Split(r.URL.Query().Get("expand"), ",") {
		expand[e] = true
	}

	out := s.dcRef(r, p)
	expandable := map[string]any{"children": "/rest/api/content/" + id + "/child",
		"descendants": "/rest/api/content/" + id + "/descendant",
		"history":     "/rest/api/content/" + id + "/history"}
	set := func(name string, on bool, v func() any) {
		if on {
			out[name] = v()
			return
		}
		expandable[name] = ""
	}
	set("space", expand["space"], func() any { return s.dcSpaceJSON(r, p.SpaceKey) })
	set("version", expand["version"], func() any {
		return map[string]any{"by": map[string]any{"type": "known", "username": "author",
			"displayName": "Page Author"}, "when": "2024-03-11T09:26:40.000Z",
			"message": "", "number": p.Version, "minorEdit": false}
	})
	set("ancestors", expand["ancestors"], func() any {
		anc := []any{}
		for _, a := range s.ancestors(p) {
			anc = append(anc, s.dcRef(r, a))
		}
		return anc
	})
	set("body", expand["body.view"], func() any {
		return map[string]any{"view": map[string]any{"value": p.Body,
			"representation": "view"}, "_expandable": map[string]any{"storage": ""}}
	})
	set("metadata", expand["metadata.labels"], func() any {
		return map[string]any{"labels": dcPaged(v2LabelList(p.Labels), 0, 200, "")}
	})
	set("restrictions", expand["restrictions.read.restrictions.user"], func() any {
		users := []any{}
		if p.Restricted {
			users = append(users, map[string]any{"type": "known", "username": "owner"})
		}
		return map[string]any{"read": map[string]any{"operation": "read",
			"restrictions": map[string]any{"user": dcPaged(users, 0, 200, ""),
				"group": dcPaged([]any{}, 0, 200, "")}}}
	})
	out["_expandable"] = expandable
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) dcChildren(w http.ResponseWriter, r *http.Request) {
	p, ok := s.page(r.PathValue("id"))
	if !ok || !s.dcVisible(r, p) {
		writeError(w, r.URL.Path, http.StatusNotFound, "")
		return
	}
	var items []any
	for _, c := range s.children(p.ID) {
		if c.Status == "current" && s.dcVisible(r, c) {
			items = append(items, s.dcRef(r, c))
		}
	}
	s.dcList(w, r, items)
}

func (s *Server) dcAttachments(w http.ResponseWriter, r *http.Request) {
	p, ok := s.page(r.PathValue("id"))
	if !ok || !s.dcVisible(r, p) {
		writeError(w, r.URL.Path, http.StatusNotFound, "")
		return
	}
	var items []any
	for _, a := range s.attachments(p.ID) {
		dl := "/download/attachments/" + a.PageID + "/" + url.PathEscape(a.Title) +
			"?version=1&modificationDate=1710149200000&api=v2"
		items = append(items, map[string]any{
			"id": a.ID, "type": "attachment", "status": "current", "title": a.Title,
			"version":    map[string]any{"number": 1, "minorEdit": false},
			"metadata":   map[string]any{"mediaType": a.MediaType, "comment": ""},
			"extensions": map[string]any{"mediaType": a.MediaType, "fileSize": len(a.Data)},
			"_links": map[string]any{"download": dl,
				"self": s.dcBase(r) + "/rest/api/content/" + a.ID},
		})
	}
	s.dcList(w, r, items)
}

func (s *Server) dcSpace(w http.ResponseWriter, r *http.Request) {
	out := s.dcSpaceJSON(r, r.PathValue("key"))
	if out == nil {
		writeError(w, r.URL.Path, http.StatusNotFound,
			"No space with key : "+r.PathValue("key"))
		return
	}
	sp, _ := s.spaceBy(func(sp Space) bool { return sp.Key == r.PathValue("key") })
	if home, ok := s.page(sp.HomePageID); ok && r.URL.Query().Get("expand") == "homepage" {
		out["homepage"] = s.dcRef(r, home)
	} else {
		out["_expandable"] = map[string]any{"homepage": "/rest/api/content/" + sp.HomePageID}
	}
	writeJSON(w, http.StatusOK, out)
}

// dcList writes items as a v1 page of results, by start and limit.
func (s *Server) dcList(w http.ResponseWriter, r *http.Request, items []any) {
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("start"))
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 || limit > s.cfg.PageSize {
		limit = s.cfg.PageSize
	}
	start = max(0, min(start, len(items)))
	end := min(start+limit, len(items))

	next := ""
	if end < len(items) {
		q.Set("start", strconv.Itoa(end))
		q.Set("limit", strconv.Itoa(limit))
		next = r.URL.Path + "?" + q.Encode()
	}
	out := dcPaged(items[start:end], start, limit, next)
	links := map[string]any{"base": s.dcBase(r), "context": info(r).prefix,
		"self": s.dcBase(r) + r.URL.Path}
	if next != "" {
		links["next"] = next
	}
	out["_links"] = links
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) dcRef(r *http.Request, p Page) map[string]any {
	return map[string]any{"id": p.ID, "type": "page", "status": p.Status, "title": p.Title,
		"extensions": map[string]any{"position": "none"},
		"_links": map[string]any{"webui": "/pages/viewpage.action?pageId=" + p.ID,
			"tinyui": "/x/" + p.ID, "self": s.dcBase(r) + "/rest/api/content/" + p.ID}}
}

func (s *Server) dcSpaceJSON(r *http.Request, key string) map[string]any {
	sp, ok := s.spaceBy(func(sp Space) bool { return sp.Key == key })
	if !ok {
		return nil
	}
	id, _ := strconv.Atoi(sp.ID)
	return map[string]any{"id": id, "key": sp.Key, "name": sp.Name, "type": "global",
		"status": "current",
		"_links": map[string]any{"webui": "/display/" + sp.Key,
			"self": s.dcBase(r) + "/rest/api/space/" + sp.Key}}
}

func (s *Server) dcBase(r *http.Request) string {
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host + info(r).prefix
}

func dcPaged(items []any, start, limit int, next string) map[string]any {
	if items == nil {
		items = []any{}
	}
	out := map[string]any{"results": items, "start": start, "limit": limit,
		"size": len(items)}
	if next != "" {
		out["_links"] = map[string]any{"next": next}
	}
	return out
}
