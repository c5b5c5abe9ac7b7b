package confluence

import (
	"context"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"
)

// Source is the content the rest of the SDK reads from Confluence. [Cloud],
// [DataCenter] and [Cache] implement it; so can a test fake.
//
// Implementations return errors matching [ErrNotFound] when the object does
// not exist or may not be seen (the clients also for IDs that are not
// decimal digits, without a request), and must be safe for concurrent use. The
// values returned are shared and must not be modified by callers.
type Source interface {
	// Page returns the page with its rendered (view) body, labels,
	// ancestors and whether it carries view restrictions of its own.
	Page(ctx context.Context, id string) (*Page, error)

	// Space returns the space with the given key.
	Space(ctx context.Context, key string) (*Space, error)

	// Children returns the direct child pages of a page, following
	// pagination up to the implementation's limit.
	Children(ctx context.Context, pageID string) ([]PageRef, error)
}

// AttachmentSource lists a page's attachments and streams their bytes.
// [Cloud] and [DataCenter] implement it. [Cache] does not: attachments are
// streamed and are not cached.
type AttachmentSource interface {
	// Attachments lists the attachments of a page.
	Attachments(ctx context.Context, pageID string) ([]Attachment, error)

	// OpenAttachment streams the bytes of the attachment with the given ID,
	// which must belong to the page pageID; otherwise the error matches
	// [ErrNotFound]. The caller must close the returned body.
	OpenAttachment(ctx context.Context, pageID, attachmentID string) (*AttachmentBody, error)
}

// Status is the lifecycle state of a page. Only [StatusCurrent] pages are
// ever shown to outsiders; the zero value is unknown and is treated as not
// current.
type Status string

// The page statuses Confluence reports.
const (
	StatusCurrent  Status = "current"
	StatusDraft    Status = "draft"
	StatusArchived Status = "archived"
	StatusTrashed  Status = "trashed"
)

// String returns the status as Confluence spells it.
func (s Status) String() string { return string(s) }

// Page is one Confluence page as a [Source] returns it.
type Page struct {
	// ID is the page's content ID.
	ID string

	// Title is the page title.
	Title string

	// SpaceKey is the key of the space the page lives in.
	SpaceKey string

	// Version is the page's version number, which grows with every edit.
	Version int

	// Status is the page's lifecycle state.
	Status Status

	// Ancestors lists the page's ancestors from the top of the tree down to
	// the parent. Titles may be empty: Cloud's v2 API returns only IDs.
	Ancestors []PageRef

	// Labels are the page's label names (without prefix).
	Labels []string

	// Restricted reports whether the page itself carries read (view)
	// restrictions, or whether its restrictions could not be read (the
	// clients fail closed). Restrictions inherited from ancestors are not
	// included; [Scope] checks those by walking Ancestors.
	Restricted bool

	// Body is the page rendered by Confluence (the "view" representation).
	// It is untrusted HTML: use a [Renderer] before showing it to anyone.
	Body string

	// Stale is set by [Cache] when the source failed and this is the last
	// good copy, fetched at FetchedAt; and by [Scope] when its decision
	// rests on a stale copy of an ancestor.
	Stale bool

	// FetchedAt is when the page was fetched from Confluence; zero when
	// the source does not record it.
	FetchedAt time.Time
}

// ParentID returns the ID of the page's parent, or "" for a top-level page.
func (p *Page) ParentID() string {
	if len(p.Ancestors) == 0 {
		return ""
	}
	return p.Ancestors[len(p.Ancestors)-1].ID
}

// PageRef names a page without its body, as child lists and breadcrumbs do.
type PageRef struct {
	// ID is the page's content ID.
	ID string

	// Title is the page title; it may be empty where the API omits it.
	Title string

	// Status is the page's lifecycle state; it may be empty where the API
	// omits it.
	Status Status
}

// Space is a Confluence space.
type Space struct {
	// ID is the numeric space ID as a string ("" on Data Center, which
	// addresses spaces by key).
	ID string

	// Key is the space key.
	Key string

	// Name is the space's display name.
	Name string

	// HomePageID is the ID of the space's home page, "" when it has none.
	HomePageID string
}

// Attachment describes a file attached to a page.
type Attachment struct {
	// ID is the attachment's content ID (on Cloud v2 it starts with "att").
	ID string

	// PageID is the page it is attached to.
	PageID string

	// Title is the file name.
	Title string

	// MediaType is the content type Confluence recorded. It is whatever
	// the uploader's browser claimed and may be an active type such as
	// text/html or image/svg+xml: never serve an attachment inline unless
	// SafeInline is set.
	MediaType string

	// SafeInline reports [InlineSafe] of MediaType.
	SafeInline bool

	// Size is the file size in bytes, or -1 when unknown.
	Size int64

	// Version is the attachment's version number.
	Version int

	// download is the server-relative download link.
	download string
}

// AttachmentBody is a streamed attachment. The caller must close Body.
type AttachmentBody struct {
	// Body streams the bytes.
	Body io.ReadCloser

	// ContentType is the Content-Type Confluence served (or, when it sent
	// none, the type it recorded) if that type is [InlineSafe], and
	// "application/octet-stream" otherwise, so that a caller passing it on
	// never serves HTML, SVG, XML or script from its own origin. Serve the
	// body as a download (Content-Disposition: attachment) unless
	// SafeInline is set.
	ContentType string

	// SafeInline reports whether the type Confluence gave is one a browser
	// shows inline without running anything: see [InlineSafe].
	SafeInline bool

	// Size is the Content-Length, or -1 when unknown.
	Size int64
}

// checkPageID returns an error matching [ErrNotFound] unless id has the
// shape of a Confluence content ID (decimal digits), so that no caller's
// input ever becomes more than one segment of a request path.
func checkPageID(id string) error {
	if !pageIDRe.MatchString(id) {
		return fmt.Errorf("confluence: %q is not a page ID: %w", truncate(id, 40), ErrNotFound)
	}
	return nil
}

// checkAttachmentID is checkPageID for attachment IDs, which are decimal
// digits with or without the "att" prefix.
func checkAttachmentID(id string) error {
	if !attachmentIDRe.MatchString(id) {
		return fmt.Errorf("confluence: %q is not an attachment ID: %w", truncate(id, 40),
			ErrNotFound)
	}
	return nil
}

// inlineSafeTypes are the media types a browser renders as passive
// content.
var inlineSafeTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"image/avif": true, "image/bmp": true,
	"audio/mpeg": true, "audio/ogg": true, "audio/wav": true, "audio/webm": true,
	"video/mp4": true, "video/webm": true, "video/ogg": true,
}

// InlineSafe reports whether content of the given type (parameters and
// case ignored) may be shown inline to an outsider: only raster images,
// audio and video, which a browser renders without running script. Every
// other type, and in particular text/html, application/xhtml+xml,
// image/svg+xml, text/xml and other XML, JavaScript, PDF and plain text
// (which browsers may sniff), must be served as a download, ideally with
// "X-Content-Type-Options: nosniff" and a sandboxing
// Content-Security-Policy as well.
func InlineSafe(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && inlineSafeTypes[strings.ToLower(mt)]
}

// downloadType is the Content-Type to report for an attachment: ct when
// it is safe inline, else application/octet-stream.
func downloadType(ct string) (string, bool) {
	if InlineSafe(ct) {
		return ct, true
	}
	return "application/octet-stream", false
}
