package confluence

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Bounds on list answers (children, attachments, labels), whatever
// MaxBodyBytes allows for a page: a list answer holds small items, and a
// Confluence that answered megabytes of empty items would otherwise cost
// far more memory than bytes.
const (
	// maxListBody bounds one list answer; 250 children or attachments
	// take a few hundred kilobytes.
	maxListBody = 4 << 20
	// maxAnswerItems bounds the items of one list answer: we ask for at
	// most 250 (Cloud) or dcListLimit (Data Center).
	maxAnswerItems = 1000
	// maxListItems bounds the items of one whole list, all answers.
	maxListItems = 10000
)

// checkListAnswer refuses an answer with more items than any we ask for,
// or one that takes the list past maxListItems.
func checkListAnswer(ref string, answer, sofar int) error {
	switch {
	case answer > maxAnswerItems:
		return fmt.Errorf("confluence: %s answered %d results, more than the %d any answer "+
			"may hold: %w", pathOf(ref), answer, maxAnswerItems, ErrBadAnswer)
	case sofar+answer > maxListItems:
		return fmt.Errorf("confluence: %s has more than %d results: %w", pathOf(ref),
			maxListItems, ErrBadAnswer)
	}
	return nil
}

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
			return nil, fmt.Errorf("confluence: %s has more than %d pages of results: %w",
				pathOf(ref), maxPages, ErrBadAnswer)
		}
		var l cursorList[T]
		h, err := t.getJSONLimit(ctx, ref, &l, min(t.maxBody, maxListBody))
		if err != nil {
			return nil, err
		}
		if err := checkListAnswer(ref, len(l.Results), len(all)); err != nil {
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
			return nil, fmt.Errorf("confluence: %s has more than %d pages of results: %w",
				path, maxPages, ErrBadAnswer)
		}
		q.Set("start", strconv.Itoa(start))
		q.Set("limit", strconv.Itoa(limit))
		var l offsetList[T]
		ref := path + "?" + q.Encode()
		if _, err := t.getJSONLimit(ctx, ref, &l, min(t.maxBody, maxListBody)); err != nil {
			return nil, err
		}
		if err := checkListAnswer(ref, len(l.Results), len(all)); err != nil {
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
