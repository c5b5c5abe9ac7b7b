package store

import (
	"context"
	"fmt"

	"github.com/secureshare/secureshare/share"
)

// auditColumns lists the audit_events table in the order QueryAudit
// reads it.
const auditColumns = `id, at, kind, actor, idp, link_id, space, page_id, reason, detail`

// AppendAudit implements [share.AuditStore]. It returns nil only once e
// is committed: on SQLite written with synchronous=FULL, so that it
// survives a crash of the process or the machine. Concurrent calls share
// commits (see the Store documentation), and a duplicate ID is an error
// wrapping [share.ErrConflict] for its own caller only.
//
// When ctx ends before the outcome is known, AppendAudit returns an error
// wrapping ctx.Err(). The event may then still be stored, as with any
// request whose answer is lost; a retry with the same ID reports
// ErrConflict if it was. After [Store.Close] AppendAudit returns
// [ErrClosed].
func (s *Store) AppendAudit(ctx context.Context, e share.AuditEvent) error {
	if err := s.check(); err != nil {
		return err
	}

	if err := s.audit.append(ctx, e); err != nil {
		return fmt.Errorf("store: appending audit event %q: %w", e.ID, err)
	}
	return nil
}

// QueryAudit implements [share.AuditStore].
func (s *Store) QueryAudit(
	ctx context.Context, f share.AuditFilter,
) ([]share.AuditEvent, string, error) {
	if err := s.check(); err != nil {
		return nil, "", err
	}
	after, start, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, "", fmt.Errorf("store: querying audit: %w", err)
	}
	limit := pageSize(f.Limit)

	var w where
	w.addEq("link_id", f.LinkID)
	w.addEq("actor", f.Actor)
	w.addEq("space", f.Space)
	w.addEq("kind", string(f.Kind))
	if !f.Since.IsZero() {
		w.add("at >= ?", f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		w.add("at < ?", f.Until.UnixMicro())
	}
	if !start {
		w.add("(at > ? OR (at = ? AND id > ?))", after.at, after.at, after.id)
	}
	rs, err := s.db.query(ctx, `SELECT `+auditColumns+` FROM audit_events`+w.String()+
		` ORDER BY at, id LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("store: querying audit: %w", err)
	}
	defer rs.Close()

	var events []share.AuditEvent
	for rs.Next() {
		var (
			e    share.AuditEvent
			at   int64
			kind string
		)
		err := rs.Scan(&e.ID, &at, &kind, &e.Actor, &e.IDP, &e.LinkID, &e.Space, &e.PageID,
			&e.Reason, &e.Detail)
		if err != nil {
			return nil, "", fmt.Errorf("store: querying audit: %w", err)
		}
		e.Time = microTime(at)
		e.Kind = share.EventKind(kind)
		events = append(events, e)
	}
	if err := rs.Err(); err != nil {
		return nil, "", fmt.Errorf("store: querying audit: %w", err)
	}

	if len(events) <= limit {
		return events, "", nil
	}
	events = events[:limit]
	last := events[limit-1]
	return events, cursor{at: last.Time.UnixMicro(), id: last.ID}.encode(), nil
}
