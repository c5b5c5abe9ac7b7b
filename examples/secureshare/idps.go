package main

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/secureshare/secureshare/idp"
)

// idpNamePattern is what an IdP name in --idp-metadata may look like: it
// goes into URLs (/saml/login/{name}) and link policies.
var idpNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// loadIDPs reads each --idp-metadata value, [NAME=]FILE_OR_URL, into an
// IdP configuration with the generic attribute names. Metadata by URL is
// fetched once at start-up (https, or http on loopback); it is not
// refreshed while serving.
func loadIDPs(ctx context.Context, specs []string) (map[string]idp.Config, error) {
	out := make(map[string]idp.Config, len(specs))
	for i, spec := range specs {
		name, src := defaultIDPName(i), spec
		if n, rest, ok := strings.Cut(spec, "="); ok && idpNamePattern.MatchString(n) {
			name, src = n, rest
		}
		if _, dup := out[name]; dup {
			return nil, badUsage("--idp-metadata: the name %q is used twice", name)
		}
		md, err := readIDPMetadata(ctx, src)
		if err != nil {
			return nil, err
		}

		c := idp.Config{Name: name}
		c.ApplyMetadata(md.IDP)
		if err := c.Validate(); err != nil {
			return nil, badUsage("--idp-metadata %s: %v", idp.RedactURL(src), err)
		}
		out[name] = c
	}
	return out, nil
}

// readIDPMetadata reads metadata from a file, or fetches it from a URL.
func readIDPMetadata(ctx context.Context, src string) (*idp.Metadata, error) {
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		md, err := idp.ReadMetadataFile(src, idp.MetadataOptions{})
		if err != nil {
			return nil, badUsage("--idp-metadata %s: %v", src, err)
		}
		return md, nil
	}
	f, err := idp.NewFetcher(idp.FetcherConfig{URL: src, InsecureAllowHTTP: u.Scheme == "http"})
	if err != nil {
		return nil, badUsage("--idp-metadata %s: %v", idp.RedactURL(src), err)
	}
	md, err := f.Fetch(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("--idp-metadata %s: %w", idp.RedactURL(src), err)
	}
	return md, nil
}

// defaultIDPName names the i-th IdP without a NAME=: idp, idp2, idp3...
func defaultIDPName(i int) string {
	if i == 0 {
		return "idp"
	}
	return "idp" + strconv.Itoa(i+1)
}
