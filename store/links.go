package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/secureshare/secureshare/share"
)

// linkColumns lists the links table in the order scanLink reads it.
const linkColumns = `id, token_hash, space, scope, page_id, title, created_by, created,
	expires, revoked, revoked_by, policy`

// CreateLink implements [share.LinkStore]. A link whose ID or TokenHash is
// taken is refused with an error wrapping [share.ErrConflict].
func (s *Store) CreateLink(ctx context.Context, l share.Link) error {
	if err := s.check(); err != nil {
		return err
	}
	policy, err := json.Marshal(l.Policy)
	if err != nil {
		return fmt.Errorf("store: creating link: encoding policy: %w", err)
	}

	_, err = s.db.exec(ctx, `INSERT INTO links (`+linkColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.ID, l.TokenHash[:], l.Space, string(l.Scope), l.PageID, l.Title, l.CreatedBy,
		l.Created.UnixMicro(), dbTime(l.Expires), dbTime(l.Revoked), l.RevokedBy, string(policy))
	if s.db.isConflict(err) {
		return fmt.Errorf("store: creating link %q: %w", l.ID, share.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: creating link %q: %w", l.ID, err)
	}
	return nil
}

// UpdateLink implements [share.LinkStore].
func (s *Store) UpdateLink(ctx context.Context, l share.Link) error {
	if err := s.check(); err != nil {
		return err
	}
	policy, err := json.Marshal(l.Policy)
	if err != nil {
		return fmt.Errorf("store: updating link: encoding policy: %w", err)
	}

	n, err := s.db.exec(ctx, `UPDATE links SET token_hash = ?, space = ?, scope = ?,
		page_id = ?, title = ?, created_by = ?, created = ?, expires = ?, revoked = ?,
		revoked_by = ?, policy = ? WHERE id = ?`,
		l.TokenHash[:], l.Space, string(l.Scope), l.PageID, l.Title, l.CreatedBy,
		l.Created.UnixMicro(), dbTime(l.Expires), dbTime(l.Revoked), l.RevokedBy,
		string(policy), l.ID)
	if s.db.isConflict(err) {
		return fmt.Errorf("store: updating link %q: token hash in use: %w", l.ID, share.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: updating link %q: %w", l.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("store: updating link %q: %w", l.ID, share.ErrNotFound)
	}
	return nil
}

// Link implements [share.LinkStore].
func (s *Store) Link(ctx context.Context, id string) (share.Link, error) {
	if err := s.check(); err != nil {
		return share.Link{}, err
	}
	r := s.db.queryRow(ctx, `SELECT `+linkColumns+` FROM links WHERE id = ?`, id)
	l, err := scanLink(r)
	if err != nil {
		return share.Link{}, fmt.Errorf("store: reading link %q: %w", id, err)
	}
	return l, nil
}

// LinkByToken implements [share.LinkStore]. The zero digest matches no
// link.
func (s *Store) LinkByToken(ctx context.Context, h share.Digest) (share.Link, error) {
	if err := s.check(); err != nil {
		return share.Link{}, err
	}
	if h.IsZero() {
		return share.Link{}, fmt.Errorf("store: reading link by token: %w", share.ErrNotFound)
	}
	r := s.db.queryRow(ctx, `SELECT `+linkColumns+` FROM links WHERE token_hash = ?`, h[:])
	l, err := scanLink(r)
	if err != nil {
		return share.Link{}, fmt.Errorf("store: reading link by token: %w", err)
	}
	return l, nil
}

// ListLinks implements [share.LinkStore].
func (s *Store) ListLinks(ctx context.Context, q share.LinkQuery) ([]share.Link, string, error) {
	if err := s.check(); err != nil {
		return nil, "", err
	}
	after, start, err := decodeCursor(q.Cursor)
	if err != nil {
		return nil, "", fmt.Errorf("store: listing links: %w", err)
	}
	limit := pageSize(q.Limit)

	var w where
	w.addEq("space", q.Space)
	w.addEq("page_id", q.PageID)
	w.addEq("created_by", q.CreatedBy)
	if q.ExcludeRevoked {
		w.add("revoked IS NULL")
	}
	if !start {
		w.add("(created > ? OR (created = ? AND id > ?))", after.at, after.at, after.id)
	}
	rs, err := s.db.query(ctx, `SELECT `+linkColumns+` FROM links`+w.String()+
		` ORDER BY created, id LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("store: listing links: %w", err)
	}
	defer rs.Close()

	var links []share.Link
	for rs.Next() {
		l, err := scanLink(rs)
		if err != nil {
			return nil, "", fmt.Errorf("store: listing links: %w", err)
		}
		links = append(links, l)
	}
	if err := rs.Err(); err != nil {
		return nil, "", fmt.Errorf("store: listing links: %w", err)
	}

	if len(links) <= limit {
		return links, "", nil
	}
	links = links[:limit]
	last := links[limit-1]
	return links, cursor{at: last.Created.UnixMicro(), id: last.ID}.encode(), nil
}

// scanLink reads one row of linkColumns. No row becomes share.ErrNotFound.
func scanLink(r row) (share.Link, error) {
	var (
		l                share.Link
		hash             []byte
		scope, policy    string
		created          int64
		expires, revoked sql.NullInt64
	)
	err := r.Scan(&l.ID, &hash, &l.Space, &scope, &l.PageID, &l.Title, &l.CreatedBy, &created,
		&expires, &revoked, &l.RevokedBy, &policy)
	if errors.Is(err, errNoRows) {
		return share.Link{}, share.ErrNotFound
	}
	if err != nil {
		return share.Link{}, err
	}

	if len(hash) != len(l.TokenHash) {
		return share.Link{}, fmt.Errorf("link %q: stored token hash has %d bytes", l.ID, len(hash))
	}
	copy(l.TokenHash[:], hash)
	l.Scope = share.Scope(scope)
	l.Created = microTime(created)
	l.Expires = goTime(expires)
	l.Revoked = goTime(revoked)
	if err := json.Unmarshal([]byte(policy), &l.Policy); err != nil {
		return share.Link{}, fmt.Errorf("link %q: decoding policy: %w", l.ID, err)
	}
	return l, nil
}
