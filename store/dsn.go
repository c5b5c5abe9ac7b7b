package store

import (
	"net/url"
	"strings"
)

// backendKind names one of the supported storage backends.
type backendKind int

const (
	kindMemory backendKind = iota + 1
	kindSQLite
	kindPostgres
)

// String returns the DSN scheme of the backend.
func (k backendKind) String() string {
	switch k {
	case kindMemory:
		return "memory"
	case kindSQLite:
		return "sqlite"
	case kindPostgres:
		return "postgres"
	}
	return "unknown"
}

// dsn is a parsed data source name.
type dsn struct {
	kind backendKind
	// path is the SQLite file; conn is the PostgreSQL connection string.
	path string
	conn string
}

// parseDSN recognises memory:, sqlite:PATH and postgres:// DSNs. It checks
// only the form; PostgreSQL connection parameters are checked by pgx.
func parseDSN(s string) (dsn, error) {
	scheme, rest, ok := strings.Cut(s, ":")
	if s == "" {
		return dsn{}, &DSNError{Reason: "empty; want memory:, sqlite:PATH or postgres://..."}
	}
	if !ok {
		return dsn{}, &DSNError{DSN: redact(s),
			Reason: "no scheme; want memory:, sqlite:PATH or postgres://..."}
	}

	switch strings.ToLower(scheme) {
	case "memory":
		if rest != "" {
			return dsn{}, &DSNError{DSN: redact(s), Reason: "memory: takes nothing after the colon"}
		}
		return dsn{kind: kindMemory}, nil
	case "sqlite", "sqlite3":
		return parseSQLite(s, rest)
	case "postgres", "postgresql":
		if !strings.HasPrefix(rest, "//") {
			return dsn{}, &DSNError{DSN: redact(s), Reason: "PostgreSQL DSN must start with postgres://"}
		}
		return dsn{kind: kindPostgres, conn: s}, nil
	}
	return dsn{}, &DSNError{DSN: redact(s),
		Reason: "unknown scheme " + quote(scheme) + "; want memory, sqlite, postgres or postgresql"}
}

// parseSQLite checks the PATH of sqlite:PATH. The path goes to SQLite
// as a file name, so characters that SQLite's URI parser would treat
// specially are refused rather than misread.
func parseSQLite(s, path string) (dsn, error) {
	path = strings.TrimPrefix(path, "//")
	switch {
	case path == "":
		return dsn{}, &DSNError{DSN: s,
			Reason: "sqlite: needs a file path, as in sqlite:/var/lib/secureshare.db"}
	case path == ":memory:":
		return dsn{}, &DSNError{DSN: s, Reason: "use memory: for an in-memory store"}
	case strings.ContainsAny(path, "?#"):
		return dsn{}, &DSNError{DSN: s, Reason: "file path must not contain '?' or '#'"}
	case strings.ContainsRune(path, 0):
		return dsn{}, &DSNError{DSN: s, Reason: "file path contains a NUL byte"}
	}
	return dsn{kind: kindSQLite, path: path}, nil
}

// redact hides the password of a URL-shaped DSN, whether it is in the
// user information or in a password query parameter. A DSN that Go's URL
// parser cannot read, or reads without user information although it holds
// an "@" (a password with "#" or "?" in it makes the rest a fragment or a
// query), keeps its scheme and user name, and everything after the user
// name's colon up to the last "@" is hidden.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return redactRaw(s)
	}
	changed := false
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
		changed = true
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
		changed = true
	}
	if !changed {
		return s
	}
	return u.String()
}

// redactRaw hides, without parsing s as a URL, what lies between the
// first colon after the scheme and the last "@", and a password query
// parameter's value.
func redactRaw(s string) string {
	if at := strings.LastIndex(s, "@"); at >= 0 {
		scheme, userinfo := "", s[:at]
		if i := strings.Index(userinfo, "://"); i >= 0 {
			scheme, userinfo = userinfo[:i+3], userinfo[i+3:]
		}
		if i := strings.IndexByte(userinfo, ':'); i >= 0 {
			s = scheme + userinfo[:i] + ":xxxxx" + s[at:]
		}
	}
	if i := strings.Index(s, "password="); i >= 0 {
		end := strings.IndexAny(s[i:], "&# ")
		if end < 0 {
			end = len(s) - i
		}
		s = s[:i] + "password=xxxxx" + s[i+end:]
	}
	return s
}

// quote wraps s in double quotes for an error message.
func quote(s string) string { return `"` + s + `"` }
