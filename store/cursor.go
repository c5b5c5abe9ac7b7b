package store

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/secureshare/secureshare/share"
)

// cursorPrefix versions the cursor format.
const cursorPrefix = "1|"

// cursor is a keyset position: the sort time and ID of the last record
// returned. Listings continue strictly after it.
type cursor struct {
	at int64
	id string
}

// encode returns the cursor as opaque URL-safe text.
func (c cursor) encode() string {
	s := cursorPrefix + strconv.FormatInt(c.at, 10) + "|" + c.id
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// decodeCursor parses text made by encode. Empty text is the start. The
// error wraps share.ErrInvalidCursor.
func decodeCursor(text string) (c cursor, start bool, err error) {
	if text == "" {
		return cursor{}, true, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		return cursor{}, false, share.ErrInvalidCursor
	}
	rest, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return cursor{}, false, share.ErrInvalidCursor
	}
	num, id, ok := strings.Cut(rest, "|")
	if !ok {
		return cursor{}, false, share.ErrInvalidCursor
	}
	at, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return cursor{}, false, share.ErrInvalidCursor
	}
	return cursor{at: at, id: id}, false, nil
}

// pageSize applies share's default and maximum to a requested limit.
func pageSize(limit int) int {
	switch {
	case limit <= 0:
		return share.DefaultPageSize
	case limit > share.MaxPageSize:
		return share.MaxPageSize
	}
	return limit
}

// where accumulates the conditions and arguments of a WHERE clause.
type where struct {
	conds []string
	args  []any
}

// add appends a condition with its arguments.
func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// addEq appends "col = ?" when v is not empty.
func (w *where) addEq(col, v string) {
	if v != "" {
		w.add(col+" = ?", v)
	}
}

// String returns " WHERE a AND b", or "" without conditions.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}
