package xmlenc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// decodeBase64 decodes standard base64, ignoring XML whitespace, after
// checking the text against limit.
func decodeBase64(s string, limit int) ([]byte, error) {
	if len(s) > limit {
		return nil, fmt.Errorf("%d characters exceed the limit of %d", len(s), limit)
	}
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("not valid base64")
	}
	return b, nil
}

// textOf returns the concatenated character data of el's direct children,
// so that a comment cannot split a value.
func textOf(el *etree.Element) string {
	var sb strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			sb.WriteString(cd.Data)
		}
	}
	return sb.String()
}

// is reports whether el is the element {ns}local.
func is(el *etree.Element, ns, local string) bool {
	return el.Tag == local && el.NamespaceURI() == ns
}

// child returns the first child element {ns}local of el, or nil.
func child(el *etree.Element, ns, local string) *etree.Element {
	for _, c := range el.ChildElements() {
		if is(c, ns, local) {
			return c
		}
	}
	return nil
}

// children returns every child element {ns}local of el.
func children(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// onlyChild returns the child element {ns}local of el, nil when there is
// none, and an error when there are several.
func onlyChild(el *etree.Element, ns, local, parentName string) (*etree.Element, error) {
	cs := children(el, ns, local)
	if len(cs) > 1 {
		return nil, formatErr(parentName+"/"+local, "repeated")
	}
	if len(cs) == 0 {
		return nil, nil
	}
	return cs[0], nil
}
