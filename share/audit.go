package share

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/secureshare/secureshare/saml"
)

// EventKind names what an [AuditEvent] records. Its values are stable
// strings that storage keeps as they are.
type EventKind string

// The kinds of audit events a Service records.
const (
	EventLinkCreated    EventKind = "link.created"    // an admin created a link
	EventLinkRevoked    EventKind = "link.revoked"    // an admin revoked a link
	EventLinkReenabled  EventKind = "link.reenabled"  // an admin gave a link a new token
	EventLinkChanged    EventKind = "link.changed"    // an admin changed a link's title or policy
	EventLinkOpened     EventKind = "link.opened"     // a viewer was allowed a page
	EventLinkDenied     EventKind = "link.denied"     // a viewer was denied; Reason says why
	EventLoginSucceeded EventKind = "login.succeeded" // a session started after a valid login
	EventLoginFailed    EventKind = "login.failed"    // a login was refused; Reason is the check
	EventLogout         EventKind = "logout"          // a session ended by logout or SLO
	EventSpaceChanged   EventKind = "space.changed"   // an admin changed space settings
	EventSpaceSuspended EventKind = "space.suspended" // an admin suspended a space's links
	EventSpaceResumed   EventKind = "space.resumed"   // an admin lifted a suspension
	EventIDPChanged     EventKind = "idp.changed"     // an admin changed an IdP configuration

	// Kinds a host records with [Service.Record] for its admin pages.
	EventAdminSignedIn     EventKind = "admin.signed_in"      // an admin signed in
	EventAdminSignInFailed EventKind = "admin.sign_in_failed" // a wrong admin user or password
	EventAdminSignedOut    EventKind = "admin.signed_out"     // an admin signed out
)

// String returns the kind's stored form, such as "link.denied".
func (k EventKind) String() string { return string(k) }

// AuditEvent is one entry of the audit log. Events are immutable once
// stored. Fields that do not apply to a kind are empty.
type AuditEvent struct {
	// ID is unique, assigned by the Service when it records the event.
	ID string
	// Time is when the event happened.
	Time time.Time
	// Kind is what happened.
	Kind EventKind
	// Actor is who acted: the viewer's email for viewer events (opened,
	// denied, login, logout), the admin for admin events.
	Actor string
	// IDP is the IdP configuration involved, if any.
	IDP string
	// LinkID, Space and PageID locate the event, when it concerns a link,
	// a space or a page.
	LinkID string
	Space  string
	PageID string
	// Reason is why: the [Reason] code for a denial (for example
	// "not_in_groups"), the failed saml check for a failed login (for
	// example "audience").
	Reason string
	// Detail is free text for an admin: the denial sentence, the
	// validation error, or what an admin changed. It never holds tokens,
	// session IDs or assertion XML.
	Detail string
}

// AuditFilter selects audit events. Every non-zero field narrows the
// selection; the zero value selects every event.
type AuditFilter struct {
	// LinkID selects events about one link.
	LinkID string
	// Actor selects events by one viewer or admin, compared exactly.
	Actor string
	// Space selects events about one space.
	Space string
	// Kind selects one kind of event.
	Kind EventKind
	// Since and Until bound Time: Since <= Time < Until. A zero bound is
	// open.
	Since time.Time
	Until time.Time
	// Limit is the most events to return; zero or less means
	// [DefaultPageSize], and more than [MaxPageSize] means MaxPageSize.
	Limit int
	// Cursor continues a previous query: pass the cursor that query
	// returned. Empty starts from the beginning.
	Cursor string
}

// auditHeader is the first row of a CSV export.
var auditHeader = []string{"time", "kind", "actor", "idp", "link_id", "space", "page_id",
	"reason", "detail", "id"}

// Record stores an event the host application observed, such as an admin
// changing an IdP configuration (EventIDPChanged). The Service fills in
// ID, and Time when it is zero. Kind is required.
func (s *Service) Record(ctx context.Context, e AuditEvent) error {
	if e.Kind == "" {
		return &ValidationError{Field: "Kind", Msg: "an event kind is required"}
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	return s.record(ctx, e)
}

// RecordLoginFailure records a login that the saml or idp package refused.
// The reason is the failed check when err is or wraps a
// *saml.ValidationError, and "error" otherwise; the detail is err's text,
// which those packages keep free of secrets. idpName is the IdP the
// response claimed to come from, or empty when unknown.
func (s *Service) RecordLoginFailure(ctx context.Context, idpName string, err error) error {
	if err == nil {
		return &ValidationError{Field: "err", Msg: "a login failure needs its error"}
	}
	reason := "error"
	var ve *saml.ValidationError
	if errors.As(err, &ve) {
		reason = string(ve.Check)
	}
	return s.record(ctx, AuditEvent{Kind: EventLoginFailed, IDP: idpName, Reason: reason,
		Detail: err.Error()})
}

// QueryAudit returns one page of events matching f and the cursor for the
// next; see [AuditStore.QueryAudit].
func (s *Service) QueryAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, string, error) {
	events, next, err := s.store.QueryAudit(ctx, f)
	if err != nil {
		return nil, "", fmt.Errorf("share: querying audit log: %w", err)
	}
	return events, next, nil
}

// ExportAuditCSV writes every event matching f (ignoring f.Cursor) to w as
// CSV, as [WriteAuditCSV] does, fetching them a page at a time.
func (s *Service) ExportAuditCSV(ctx context.Context, w io.Writer, f AuditFilter) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(auditHeader); err != nil {
		return fmt.Errorf("share: writing CSV: %w", err)
	}
	f.Cursor = ""
	for {
		events, next, err := s.QueryAudit(ctx, f)
		if err != nil {
			return err
		}
		if err := writeAuditRows(cw, events); err != nil {
			return err
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("share: writing CSV: %w", err)
	}
	return nil
}

// WriteAuditCSV writes a header row and one row per event to w, with
// encoding/csv quoting and times in RFC 3339 with nanoseconds, UTC. A cell
// that a spreadsheet would run as a formula (starting with "=", "+", "-",
// "@", a tab or a carriage return) is prefixed with "'" so that it shows
// as text (OWASP CSV injection).
func WriteAuditCSV(w io.Writer, events []AuditEvent) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(auditHeader); err != nil {
		return fmt.Errorf("share: writing CSV: %w", err)
	}
	if err := writeAuditRows(cw, events); err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("share: writing CSV: %w", err)
	}
	return nil
}

// writeAuditRows writes one guarded row per event.
func writeAuditRows(cw *csv.Writer, events []AuditEvent) error {
	for _, e := range events {
		row := []string{e.Time.UTC().Format(time.RFC3339Nano), string(e.Kind), e.Actor, e.IDP,
			e.LinkID, e.Space, e.PageID, e.Reason, e.Detail, e.ID}
		for i, c := range row {
			row[i] = csvCell(c)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("share: writing CSV: %w", err)
		}
	}
	return nil
}

// csvCell neutralises a cell a spreadsheet would evaluate.
func csvCell(c string) string {
	if c == "" {
		return c
	}
	switch c[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + c
	}
	return c
}
