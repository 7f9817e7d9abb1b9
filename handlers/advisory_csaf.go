package handlers

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/publish"
	"github.com/labstack/echo/v4"
)

// The CSAF provider (CSAF 2.0 section 7): each organisation's host serves
// its provider metadata, its published advisories as CSAF documents under
// the TLP:WHITE folder with hashes and a detached signature by the team
// key, index.txt, changes.csv and a ROLIE feed. Only published advisories
// are there: the same rule as the public pages.

const csafRoot = "/.well-known/csaf"

// csafRoutes are the provider's routes (added to the public area).
func (s *Server) csafRoutes() []route {
	return []route{
		{get, csafRoot + "/provider-metadata.json", Public, s.csafMetadata, nil},
		{get, csafRoot + "/white/index.txt", Public, s.csafIndex, nil},
		{get, csafRoot + "/white/changes.csv", Public, s.csafChanges, nil},
		{get, csafRoot + "/feed-tlp-white.json", Public, s.csafFeed, nil},
		{get, csafRoot + "/white/:year/:file", Public, s.csafFile, nil},
	}
}

// site is the organisation as the formats name it.
func (s *Server) site(o *db.Organisation) publish.Site {
	return publish.Site{Name: o.Name, BaseURL: strings.TrimSuffix(s.orgURL(o, ""), "/")}
}

func (s *Server) csafMetadata(c echo.Context) error {
	o, err := s.hostOrg(c)
	if err != nil {
		return err
	}
	list, err := s.store.PublicAdvisories(c.Request().Context(), o.ID, 1)
	if err != nil {
		return err
	}
	updated := o.CreatedAt
	if len(list) > 0 && list[0].LastChange().After(updated) {
		updated = list[0].LastChange()
	}
	type feed struct {
		Summary  string `json:"summary"`
		TLPLabel string `json:"tlp_label"`
		URL      string `json:"url"`
	}
	type key struct {
		Fingerprint string `json:"fingerprint,omitempty"`
		URL         string `json:"url"`
	}
	meta := map[string]any{
		"canonical_url":              s.orgURL(o, csafRoot+"/provider-metadata.json"),
		"last_updated":               updated.UTC().Format(time.RFC3339),
		"list_on_CSAF_aggregators":   true,
		"metadata_version":           "2.0",
		"mirror_on_CSAF_aggregators": true,
		"publisher":                  map[string]string{"category": "vendor", "name": o.Name, "namespace": s.site(o).BaseURL},
		"role":                       "csaf_provider",
		"distributions": []any{
			map[string]string{"directory_url": s.orgURL(o, csafRoot+"/white/")},
			map[string]any{"rolie": map[string]any{"feeds": []feed{{Summary: "TLP:WHITE advisories", TLPLabel: "WHITE", URL: s.orgURL(o, csafRoot+"/feed-tlp-white.json")}}}},
		},
	}
	if s.cfg.TeamKey != nil {
		meta["public_openpgp_keys"] = []key{{Fingerprint: s.cfg.TeamKey.Info().Fingerprint, URL: s.orgURL(o, keyPath)}}
	}
	return jsonBlob(c, meta)
}

func jsonBlob(c echo.Context, v any) error {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "application/json", out)
}

// csafEntry is a published advisory's document path under white/.
func csafEntry(a *db.Advisory) string {
	return strings.TrimPrefix(publish.CSAFPath(a), csafRoot+"/white/")
}

func (s *Server) csafList(c echo.Context) (*db.Organisation, []*db.Advisory, error) {
	o, err := s.hostOrg(c)
	if err != nil {
		return nil, nil, err
	}
	list, err := s.store.PublicAdvisories(c.Request().Context(), o.ID, 0)
	return o, list, err
}

func (s *Server) csafIndex(c echo.Context) error {
	_, list, err := s.csafList(c)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, a := range list {
		b.WriteString(csafEntry(a) + "\n")
	}
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(b.String()))
}

// csafChanges is changes.csv: each document with its last change, newest
// first (CSAF 2.0 section 7.1.13).
func (s *Server) csafChanges(c echo.Context) error {
	_, list, err := s.csafList(c)
	if err != nil {
		return err
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].LastChange().After(list[j].LastChange()) })
	var b strings.Builder
	for _, a := range list {
		fmt.Fprintf(&b, "%q,%q\n", csafEntry(a), a.LastChange().UTC().Format(time.RFC3339))
	}
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", []byte(b.String()))
}

// csafFeed is the ROLIE feed of the TLP:WHITE documents.
func (s *Server) csafFeed(c echo.Context) error {
	o, list, err := s.csafList(c)
	if err != nil {
		return err
	}
	type link struct {
		Rel  string `json:"rel"`
		Href string `json:"href"`
	}
	updated := o.CreatedAt
	entries := []map[string]any{}
	for _, a := range list {
		url := s.orgURL(o, publish.CSAFPath(a))
		if a.LastChange().After(updated) {
			updated = a.LastChange()
		}
		entries = append(entries, map[string]any{
			"id": a.Ident, "title": a.Title, "link": []link{{Rel: "self", Href: url}},
			"published": a.PublishedAt.UTC().Format(time.RFC3339), "updated": a.LastChange().UTC().Format(time.RFC3339),
			"summary": map[string]string{"content": a.Summary},
			"content": map[string]string{"type": "application/json", "src": url},
			"format":  map[string]string{"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"},
		})
	}
	return jsonBlob(c, map[string]any{"feed": map[string]any{
		"id": o.Slug + "-csaf-feed-tlp-white", "title": o.Name + " CSAF feed (TLP:WHITE)",
		"link":     []link{{Rel: "self", Href: s.orgURL(o, csafRoot+"/feed-tlp-white.json")}},
		"category": []map[string]string{{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}},
		"updated":  updated.UTC().Format(time.RFC3339), "entry": entries,
	}})
}

// csafFile serves a published advisory's document, its .sha256, .sha512
// (as sha256sum prints them) and its detached .asc signature. Anything
// else, an unpublished advisory, another organisation's or the wrong year,
// is 404.
func (s *Server) csafFile(c echo.Context) error {
	o, err := s.hostOrg(c)
	if err != nil {
		return err
	}
	file := c.Param("file")
	kind := ""
	for _, k := range []string{".sha256", ".sha512", ".asc"} {
		if strings.HasSuffix(file, ".json"+k) {
			kind, file = k, strings.TrimSuffix(file, k)
		}
	}
	if !strings.HasSuffix(file, ".json") {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	a, err := s.store.PublicAdvisory(c.Request().Context(), o.ID, strings.TrimSuffix(file, ".json"))
	if db.ErrorCode(err) == db.ENOTFOUND || (err == nil && publish.CSAFPath(a) != csafRoot+"/white/"+c.Param("year")+"/"+file) {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	doc, err := publish.CSAF(a, s.site(o))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	switch kind {
	case ".sha256":
		sum := sha256.Sum256(doc)
		return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(hex.EncodeToString(sum[:])+"  "+file+"\n"))
	case ".sha512":
		sum := sha512.Sum512(doc)
		return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(hex.EncodeToString(sum[:])+"  "+file+"\n"))
	case ".asc":
		sig, err := s.detached.sign(s.cfg.TeamKey, doc)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "application/pgp-signature", []byte(sig))
	}
	return c.Blob(http.StatusOK, "application/json", doc)
}

// detachedSigner is the team key's detached signature (mailin/pgp.TeamKey).
type detachedSigner interface {
	SignDetached(data []byte) (armored, micalg string, err error)
}

// errNoSignature answers a signature asked for while the team key cannot
// sign: locked, or none configured.
var errNoSignature = db.Errorf(db.ECONFLICT, "The signature is not available now: the team key is locked.")

// sigCache keeps the detached signatures of the documents served, by their
// SHA-256, so strangers asking for .asc files do not make the key sign
// again and again (a document changes only with its advisory).
type sigCache struct {
	mu   sync.Mutex
	sigs map[[32]byte]string
}

func (sc *sigCache) sign(k TeamKey, doc []byte) (string, error) {
	sum := sha256.Sum256(doc)
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sig, ok := sc.sigs[sum]; ok {
		return sig, nil
	}
	signer, ok := k.(detachedSigner)
	if k == nil || !ok || !k.Unlocked() {
		return "", errNoSignature
	}
	sig, _, err := signer.SignDetached(doc)
	if err != nil {
		return "", fmt.Errorf("handlers: sign CSAF document: %w", err)
	}
	if sc.sigs == nil || len(sc.sigs) >= 1024 {
		sc.sigs = map[[32]byte]string{}
	}
	sc.sigs[sum] = sig
	return sig, nil
}
