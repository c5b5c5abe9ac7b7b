package sharehttp

import (
	"net/url"
	"strings"

	"github.com/secureshare/secureshare/share"
)

// maxReturnPath bounds a return path; longer ones are refused.
const maxReturnPath = 2048

// SafeReturnPath reports whether p may be used as a place to send a viewer
// back to after sign-in: a path on this site, under prefix (the path the
// handler is mounted at, "" for the root), and outside its /saml/
// endpoints.
//
// Beyond [share.LocalPath] (one leading "/", no "//", no backslash, no
// control character), it refuses what a browser or a proxy may decode into
// one of those: percent-encoded slashes, backslashes, dots and control
// characters, bytes outside ASCII, "//" anywhere in the path, "." and ".."
// segments, a ":" in the path, an "@", quotes, angle brackets, spaces, a
// fragment, and anything longer than 2048 bytes. It does not check
// that the path exists.
func SafeReturnPath(p, prefix string) bool {
	if len(p) > maxReturnPath || !share.LocalPath(p) {
		return false
	}
	if strings.ContainsAny(p, "#@\"'<> ") || strings.ContainsRune(p, '\uFFFD') {
		return false
	}
	path, _, _ := strings.Cut(p, "?")
	if strings.Contains(path, ":") || strings.Contains(path, "//") {
		return false
	}
	if !encodedSafe(p) {
		return false
	}
	dec, err := url.PathUnescape(path)
	if err != nil {
		return false
	}
	for _, seg := range strings.Split(dec, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	if prefix != "" && dec != prefix && !strings.HasPrefix(dec, prefix+"/") {
		return false
	}
	rest := strings.TrimPrefix(dec, prefix)
	if rest == "/saml" || strings.HasPrefix(rest, "/saml/") {
		return false
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == ""
}

// encodedSafe refuses percent-escapes that decode to characters a return
// path may not hold: "/", "\", ".", "%" (double encoding), control
// characters and anything outside ASCII. Malformed escapes are refused.
func encodedSafe(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] >= 0x80 {
			return false
		}
		if p[i] != '%' {
			continue
		}
		if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			return false
		}
		c := unhex(p[i+1])<<4 | unhex(p[i+2])
		if c < 0x20 || c >= 0x7f || c == '/' || c == '\\' || c == '.' || c == '%' {
			return false
		}
		i += 2
	}
	return true
}

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unhex returns the value of the hexadecimal digit c.
func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
