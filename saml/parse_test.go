package saml

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseXML(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		ok   bool
	}{
		{"plain document", `<a:b xmlns:a="urn:x"><c>t</c></a:b>`, true},
		{"xml declaration", `<?xml version="1.0" encoding="UTF-8"?><a/>`, true},
		{"comments and CDATA", `<a><!-- c --><![CDATA[x]]></a>`, true},
		{"whitespace after root", "<a/>\n\n", true},
		{"DTD", `<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`, false},
		{"entity declaration only", `<!ENTITY x SYSTEM "file:///etc/passwd"><a/>`, false},
		{"directive inside an element", `<a><!DOCTYPE b></a>`, false},
		{"undefined entity", `<a>&x;</a>`, false},
		{"processing instruction", `<a><?php echo 1 ?></a>`, false},
		{"processing instruction before root", `<?pi x?><a/>`, false},
		{"declaration not first", ` <?xml version="1.0"?><a/>`, false},
		{"UTF-16 declared", `<?xml version="1.0" encoding="UTF-16"?><a/>`, false},
		{"byte-order mark", "\xef\xbb\xbf<a/>", false},
		{"two roots", `<a/><b/>`, false},
		{"trailing text", `<a/>x`, false},
		{"no root", ``, false},
		{"unclosed", `<a><b></a>`, false},
		{"duplicate attribute", `<a x="1" x="2"/>`, false},
		{"duplicate ID", `<a ID="i"><b ID="i"/></a>`, false},
		{"empty element prefix", `<:a/>`, false},
		{"empty attribute prefix", `<a :b="1"/>`, false},
		{"two colons in element name", `<a:b:c xmlns:a="urn:x"/>`, false},
		{"two colons in attribute name", `<a x:y:z="1"/>`, false},
		{"empty namespace prefix declaration", `<a xmlns:="urn:x"/>`, false},
		{"too deep", strings.Repeat("<a>", maxDepth+2) + strings.Repeat("</a>", maxDepth+2), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root, err := parseXML([]byte(tc.doc), 1<<16)
			if tc.ok {
				require.NoError(t, err)
				assert.NotNil(t, root)
				return
			}
			requireFailed(t, err, CheckXML)
		})
	}
}

func TestParseXMLSize(t *testing.T) {
	_, err := parseXML([]byte("<a>0123456789</a>"), 10)
	requireFailed(t, err, CheckSize)
	_, err = parseXML([]byte("<a>0123456789</a>"), 17)
	require.NoError(t, err)
}

func TestTextOfJoinsSplitText(t *testing.T) {
	root, err := parseXML([]byte(`<a>one<!-- c -->two<![CDATA[three]]>four</a>`), 1<<10)
	require.NoError(t, err)
	assert.Equal(t, "onetwothreefour", textOf(root))
}

func FuzzParseXML(f *testing.F) {
	f.Add([]byte(`<a:b xmlns:a="urn:x" ID="i"><c>t</c></a:b>`))
	f.Add([]byte(`<!DOCTYPE a><a/>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		root, err := parseXML(doc, 1<<16)
		if err == nil && root == nil {
			t.Fatal("nil root without error")
		}
	})
}

func TestParseXMLAttributeLimits(t *testing.T) {
	attrs := func(n int, dupAt int) string {
		var b strings.Builder
		b.WriteString("<a")
		for i := 0; i < n; i++ {
			name := i
			if i == dupAt {
				name = 0
			}
			fmt.Fprintf(&b, ` x%d="1"`, name)
		}
		b.WriteString("/>")
		return b.String()
	}

	_, err := parseXML([]byte(attrs(maxAttrs, -1)), 1<<20)
	require.NoError(t, err, "the limit itself is accepted")
	_, err = parseXML([]byte(attrs(maxAttrs+1, -1)), 1<<20)
	requireFailed(t, err, CheckXML)
	_, err = parseXML([]byte(attrs(100, 99)), 1<<20)
	requireFailed(t, err, CheckXML)
	_, err = parseXML([]byte(attrs(5, 4)), 1<<20)
	requireFailed(t, err, CheckXML)
	_, err = parseXML([]byte(`<r>`+attrs(20, -1)+attrs(20, -1)+`</r>`), 1<<20)
	require.NoError(t, err, "the same names on two elements are not duplicates")
}

func TestParseXMLNamespaceLimit(t *testing.T) {
	decls := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, ` xmlns:p%d="urn:x:%d"`, i, i)
		}
		return b.String()
	}
	half := decls(maxNSInScope / 2)

	_, err := parseXML([]byte(`<a`+half+`><b`+half+`/></a>`), 1<<20)
	require.NoError(t, err, "the limit itself is accepted")
	_, err = parseXML([]byte(`<a`+half+`><b`+half+` xmlns:q="urn:q"/></a>`), 1<<20)
	requireFailed(t, err, CheckXML)
	_, err = parseXML([]byte(`<r><a`+half+`/><b`+half+`/><c`+half+`/></r>`), 1<<20)
	require.NoError(t, err, "siblings' declarations are not in each other's scope")
}
