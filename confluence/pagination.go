package confluence

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// cursorList is a Cloud REST v2 list answer (MultiEntityResult).
type cursorList[T any] struct {
	Results []T `json:"results"`
	Links   struct {
		Next string `json:"next"`
	} `json:"_links"`
}

// collectCursor follows Cloud v2 cursor pagination from ref, through
// _links.next or else the Link header, for at most maxPages answers.
// v2 next links already start with /wiki, so they are resolved against
// the transport's root, not against the /wiki base.
func collectCursor[T any](ctx context.Context, t *transport, ref string,
	maxPages int) ([]T, error) {
	var all []T
	for n := 0; ref != ""; n++ {
		if n >= maxPages {
			return nil, fmt.Errorf("confluence: %s has more than %d pages of results",
				pathOf(ref), maxPages)
		}
		var l cursorList[T]
		h, err := t.getJSON(ctx, ref, &l)
		if err != nil {
			return nil, err
		}
		all = append(all, l.Results...)

		ref = l.Links.Next
		if ref == "" {
			ref = nextLink(h.Get("Link"))
		}
	}
	return all, nil
}

// offsetList is a REST v1 list answer.
type offsetList[T any] struct {
	Results []T `json:"results"`
	Start   int `json:"start"`
	Limit   int `json:"limit"`
	Size    int `json:"size"`
	Links   struct {
		Next string `json:"next"`
	} `json:"_links"`
}

// collectOffset follows REST v1 start/limit pagination on path for at most
// maxPages answers. It computes the next start itself and uses
// _links.next only to learn whether there is more.
func collectOffset[T any](ctx context.Context, t *transport, path string, q url.Values,
	limit, maxPages int) ([]T, error) {
	var all []T
	start := 0
	for n := 0; ; n++ {
		if n >= maxPages {
			return nil, fmt.Errorf("confluence: %s has more than %d pages of results",
				path, maxPages)
		}
		q.Set("start", strconv.Itoa(start))
		q.Set("limit", strconv.Itoa(limit))
		var l offsetList[T]
		if _, err := t.getJSON(ctx, path+"?"+q.Encode(), &l); err != nil {
			return nil, err
		}
		all = append(all, l.Results...)

		if l.Links.Next == "" || len(l.Results) == 0 {
			return all, nil
		}
		start = l.Start + len(l.Results)
	}
}

// nextLink returns the target of rel="next" in an RFC 8288 Link header.
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		target, params, ok := strings.Cut(part, ";")
		if !ok {
			continue
		}
		target = strings.TrimSpace(target)
		if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "rel") && strings.Trim(v, `"`) == "next" {
				return target[1 : len(target)-1]
			}
		}
	}
	return ""
}
