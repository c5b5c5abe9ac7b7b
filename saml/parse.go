package saml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"
)

// Limits on the shape of any document we parse. SAML messages are about a
// dozen levels deep, and their elements carry a handful of attributes.
const (
	maxDepth = 64
	maxAttrs = 256 // attributes (namespace declarations included) per element
	// maxNSInScope bounds the namespace declarations in scope at any element,
	// which bounds the work of canonicalising each element.
	maxNSInScope = 64
)

// parseXML parses one untrusted XML document and returns its root element.
// It refuses input over maxSize bytes, DTDs and every other directive,
// processing instructions other than a leading XML declaration, encodings
// other than UTF-8, more than one root element, content after the root,
// duplicate attributes, duplicate ID attributes, and element or attribute
// names that encoding/xml would not write back the same way (the class of
// bug behind CVE-2020-29509 and its siblings). Every check happens during
// one walk over the parsed tree.
func parseXML(data []byte, maxSize int) (*etree.Element, error) {
	if len(data) > maxSize {
		return nil, mismatch(CheckSize, "XML document too large",
			fmt.Sprintf("at most %d bytes", maxSize), fmt.Sprintf("%d bytes", len(data)))
	}
	if err := checkProlog(data); err != nil {
		return nil, err
	}

	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{
		CharsetReader:          utf8Only,
		PreserveDuplicateAttrs: true,
		MaxDepth:               maxDepth,
	}
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, wrapFail(CheckXML, "malformed XML", err)
	}

	var root *etree.Element
	for i, tok := range doc.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if root != nil {
				return nil, fail(CheckXML, "more than one root element")
			}
			root = t
		case *etree.CharData:
			if !t.IsWhitespace() {
				return nil, fail(CheckXML, "text outside the root element")
			}
		case *etree.ProcInst:
			if i != 0 || t.Target != "xml" {
				return nil, fail(CheckXML, "processing instruction <?"+t.Target+"?> not allowed")
			}
		case *etree.Directive:
			return nil, fail(CheckXML, "DTDs and other <! directives are not allowed")
		}
	}
	if root == nil {
		return nil, fail(CheckXML, "no root element")
	}

	w := walker{ids: make(map[string]struct{}, 8)}
	if err := w.walk(root, 0); err != nil {
		return nil, err
	}
	return root, nil
}

// walker carries state across one walk of a parsed tree.
type walker struct {
	ids   map[string]struct{}
	names map[[2]string]struct{} // attribute names of the current large element
}

// walk checks el and everything below it; inScope counts the namespace
// declarations of el's ancestors.
func (w *walker) walk(el *etree.Element, inScope int) error {
	if !validName(el.Space, el.Tag) {
		return fail(CheckXML, fmt.Sprintf("invalid element name %q", qname(el.Space, el.Tag)))
	}
	if len(el.Attr) > maxAttrs {
		return mismatch(CheckXML, fmt.Sprintf("too many attributes on <%s>", el.Tag),
			fmt.Sprintf("at most %d", maxAttrs), fmt.Sprint(len(el.Attr)))
	}
	for i, a := range el.Attr {
		if !validName(a.Space, a.Key) {
			return fail(CheckXML, fmt.Sprintf("invalid attribute name %q on <%s>",
				qname(a.Space, a.Key), el.Tag))
		}
		if w.duplicate(el.Attr, i) {
			return fail(CheckXML, fmt.Sprintf("duplicate attribute %q on <%s>",
				qname(a.Space, a.Key), el.Tag))
		}
		if isNSDecl(a) {
			if inScope++; inScope > maxNSInScope {
				return mismatch(CheckXML, "too many namespace declarations in scope",
					fmt.Sprintf("at most %d", maxNSInScope), fmt.Sprint(inScope))
			}
		}
		if a.Space == "" && a.Key == "ID" {
			if _, dup := w.ids[a.Value]; dup {
				return mismatch(CheckXML, "duplicate ID attribute", "unique IDs", a.Value)
			}
			w.ids[a.Value] = struct{}{}
		}
	}
	for _, tok := range el.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if err := w.walk(t, inScope); err != nil {
				return err
			}
		case *etree.ProcInst:
			return fail(CheckXML, "processing instruction <?"+t.Target+"?> not allowed")
		case *etree.Directive:
			return fail(CheckXML, "DTDs and other <! directives are not allowed")
		}
	}
	return nil
}

// duplicate reports whether attrs[i] repeats an earlier attribute's name.
// Small elements are scanned; larger ones use a set, so the cost stays
// linear in the number of attributes.
func (w *walker) duplicate(attrs []etree.Attr, i int) bool {
	a := attrs[i]
	if len(attrs) <= 8 {
		for _, b := range attrs[:i] {
			if a.Space == b.Space && a.Key == b.Key {
				return true
			}
		}
		return false
	}
	if i == 0 {
		clear(w.names)
		if w.names == nil {
			w.names = make(map[[2]string]struct{}, len(attrs))
		}
	}
	k := [2]string{a.Space, a.Key}
	if _, ok := w.names[k]; ok {
		return true
	}
	w.names[k] = struct{}{}
	return false
}

// checkProlog refuses, before the decoder runs, a byte-order mark and any
// DTD or entity declaration, so that the error names the real problem
// rather than the undefined entity the decoder would trip over.
func checkProlog(data []byte) error {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return fail(CheckXML, "byte-order mark not allowed")
	}
	if bytes.Contains(data, []byte("<!DOCTYPE")) || bytes.Contains(data, []byte("<!ENTITY")) {
		return fail(CheckXML, "DTDs and entity declarations are not allowed")
	}
	return nil
}

// utf8Only is the CharsetReader for parseXML: only UTF-8 (and its ASCII
// subset) is accepted.
func utf8Only(charset string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return r, nil
	}
	return nil, errors.New("encoding " + charset + " is not supported (use UTF-8)")
}

// validName reports whether a prefix and local name read by encoding/xml
// form a name that serialises back to itself: a non-empty local part
// without a colon, and a prefix without a colon.
func validName(space, local string) bool {
	if local == "" || strings.ContainsRune(local, ':') || strings.ContainsRune(space, ':') {
		return false
	}
	return true
}

// qname joins a prefix and a local name for messages.
func qname(space, local string) string {
	if space == "" {
		return local
	}
	return space + ":" + local
}

// textOf returns the full character data directly inside el, joining the
// pieces that comments or CDATA sections split. etree's Text returns only
// the first piece, which is how comment-truncation attacks work.
func textOf(el *etree.Element) string {
	var first *etree.CharData
	n := 0
	for _, tok := range el.Child {
		if cd, ok := tok.(*etree.CharData); ok {
			if n == 0 {
				first = cd
			}
			n++
		}
	}
	switch n {
	case 0:
		return ""
	case 1:
		return first.Data
	}
	var b strings.Builder
	for _, tok := range el.Child {
		if cd, ok := tok.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}

// attr returns the value of el's unprefixed attribute name, or "". Unlike
// etree's SelectAttrValue, it never matches a prefixed attribute such as
// xmlns:ID or foo:ID, which canonicalisation may drop or an attacker may
// add without breaking a signature.
func attr(el *etree.Element, name string) string {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == name {
			return a.Value
		}
	}
	return ""
}
