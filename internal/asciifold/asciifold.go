// Package asciifold compares identifiers without regard to ASCII case.
//
// strings.EqualFold applies Unicode simple case folding, under which "ſ"
// (U+017F) equals "s" and the Kelvin sign (U+212A) equals "k". Email
// addresses, domains and group identifiers that an access rule names must
// not match such look-alikes, so the SDK compares them with Equal instead.
package asciifold

// Equal reports whether a and b are equal when the ASCII letters A-Z are
// taken as a-z. Every other byte must match exactly.
func Equal(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// lower maps an ASCII upper-case letter to lower case.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
