package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/secureshare/secureshare/share"
)

// demoLinksFile holds the demo links' IDs and tokens in the data
// directory, so that a restart reuses them rather than piling up links.
const demoLinksFile = "demo-links.json"

// demoAdmin is who the demo links are created by.
const demoAdmin = "demo@secureshare.local"

// demoLinkSpec is one demo link: its key in demoLinksFile, what it
// shares, and a sentence saying what it demonstrates.
type demoLinkSpec struct {
	key   string
	spec  share.LinkSpec
	about string
}

// demoLink is a demo link ready to be opened.
type demoLink struct {
	Key   string
	ID    string
	Token string
	About string
}

// demoLinkRecord is one entry of demoLinksFile.
type demoLinkRecord struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// demoLinkSpecs are the links the demo creates.
func demoLinkSpecs() []demoLinkSpec {
	return []demoLinkSpec{
		{key: "partners", spec: share.LinkSpec{Space: demoSpace, Scope: share.ScopePageTree,
			PageID: demoHomeID, Title: "Demo: partner programme", CreatedBy: demoAdmin,
			Policy: share.Policy{Groups: []string{"partners"}}},
			about: "the " + demoSpace + " page tree, for members of group partners only " +
				"(SSO required); its restricted page stays hidden"},
		{key: "open", spec: share.LinkSpec{Space: demoOpsSpace, Scope: share.ScopeSpace,
			Title: "Demo: operations space, open", CreatedBy: demoAdmin,
			Policy: share.Policy{Anonymous: true}},
			about: "the whole " + demoOpsSpace + " space, open to anyone holding the link " +
				"(no sign-in)"},
	}
}

// ensureDemoLinks makes sure the demo space settings and links exist. A
// link recorded in dir is reused while it exists, is not revoked and has
// not expired; otherwise a new one is created and recorded.
func ensureDemoLinks(ctx context.Context, svc *share.Service, dir string,
	now time.Time) ([]demoLink, error) {
	if err := enforceSSO(ctx, svc, demoSpace); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, demoLinksFile)
	records, err := readDemoLinks(path)
	if err != nil {
		return nil, err
	}

	var out []demoLink
	changed := false
	for _, s := range demoLinkSpecs() {
		rec, ok := records[s.key]
		if !ok || !usable(ctx, svc, rec, now) {
			l, token, err := svc.CreateLink(ctx, s.spec)
			if err != nil {
				return nil, fmt.Errorf("creating demo link %s: %w", s.key, err)
			}
			rec, changed = demoLinkRecord{ID: l.ID, Token: token}, true
			records[s.key] = rec
		}
		out = append(out, demoLink{Key: s.key, ID: rec.ID, Token: rec.Token, About: s.about})
	}
	if changed {
		if err := writeDemoLinks(path, records); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// enforceSSO turns on SSOEnforced for a space unless it is on already.
func enforceSSO(ctx context.Context, svc *share.Service, key string) error {
	sp, err := svc.SpaceSettings(ctx, key)
	if err != nil && !errors.Is(err, share.ErrNotFound) {
		return fmt.Errorf("reading space %s: %w", key, err)
	}
	if sp.SSOEnforced {
		return nil
	}
	sp.Key, sp.SSOEnforced = key, true
	if _, err := svc.UpdateSpace(ctx, sp, demoAdmin); err != nil {
		return fmt.Errorf("enforcing SSO on space %s: %w", key, err)
	}
	return nil
}

// usable reports whether a recorded link still opens.
func usable(ctx context.Context, svc *share.Service, rec demoLinkRecord, now time.Time) bool {
	l, err := svc.LinkByToken(ctx, rec.Token)
	if err != nil || l.ID != rec.ID || !l.Revoked.IsZero() {
		return false
	}
	return l.Expires.IsZero() || now.Before(l.Expires)
}

// readDemoLinks reads demoLinksFile; a missing file is an empty one.
func readDemoLinks(path string) (map[string]demoLinkRecord, error) {
	records := map[string]demoLinkRecord{}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return records, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &records); err != nil {
		return nil, fmt.Errorf("%s: %w (delete it to create new demo links)", path, err)
	}
	return records, nil
}

// writeDemoLinks replaces demoLinksFile, mode 0600 since it holds tokens.
func writeDemoLinks(path string, records map[string]demoLinkRecord) error {
	data, err := json.MarshalIndent(records, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	if err := writeFileExcl(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
