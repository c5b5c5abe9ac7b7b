package asciifold

import "testing"

func TestEqual(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"sam@Partner.Example", "SAM@partner.example", true},
		{"", "", true},
		{"Sales", "sales", true},
		{"a", "ab", false},
		{"ſam@partner.example", "sam@partner.example", false}, // U+017F long s
		{"\u212aelvin", "kelvin", false},                      // Kelvin sign
		{"ſales", "sales", false},
		{"Straße", "STRASSE", false},
		{"é", "É", false}, // non-ASCII letters compare exactly
		{"é", "é", true},
		{"[", "{", false},
	} {
		if got := Equal(tt.a, tt.b); got != tt.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
