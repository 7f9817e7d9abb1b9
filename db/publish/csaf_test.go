package publish_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/cvss"
	"github.com/disclose/disclose/db/publish"
	"github.com/gocsaf/csaf/v3/csaf"
)

// validCSAF checks a CSAF document against the CSAF 2.0 JSON schema (with
// FIRST's CVSS schemas) through BSI's library, then the mandatory tests of
// CSAF 2.0 section 6.1 that documents of this shape can fail (the library
// runs the schema only: its mandatory tests are a remote service's).
func validCSAF(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	msgs, err := csaf.ValidateCSAF(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		t.Errorf("schema: %s", m)
	}
	var typed csaf.Advisory
	if err := json.Unmarshal(raw, &typed); err != nil {
		t.Fatal(err)
	}
	if err := typed.Validate(); err != nil {
		t.Errorf("csaf model: %v", err)
	}
	mandatory(t, &typed)
	return doc
}

// mandatory runs the CSAF 2.0 mandatory tests (section 6.1) that apply.
func mandatory(t *testing.T, a *csaf.Advisory) {
	t.Helper()
	// 6.1.1, 6.1.2: every product id referenced is defined, once.
	defined := map[csaf.ProductID]int{}
	var walk func(bs csaf.Branches)
	walk = func(bs csaf.Branches) {
		for _, b := range bs {
			if b.Product != nil {
				defined[*b.Product.ProductID]++
			}
			walk(b.Branches)
		}
	}
	walk(a.ProductTree.Branches)
	for id, n := range defined {
		if n != 1 {
			t.Errorf("6.1.2: product %s defined %d times", id, n)
		}
	}
	refd := func(ids *csaf.Products) {
		if ids == nil {
			return
		}
		for _, id := range *ids {
			if defined[*id] == 0 {
				t.Errorf("6.1.1: product %s not defined", *id)
			}
		}
	}
	tr := a.Document.Tracking
	for _, v := range a.Vulnerabilities {
		if v.ProductStatus != nil {
			refd(v.ProductStatus.KnownAffected)
			refd(v.ProductStatus.Fixed)
			// 6.1.6: no product both affected and fixed.
			if v.ProductStatus.KnownAffected != nil && v.ProductStatus.Fixed != nil {
				for _, x := range *v.ProductStatus.KnownAffected {
					for _, y := range *v.ProductStatus.Fixed {
						if *x == *y {
							t.Errorf("6.1.6: %s affected and fixed", *x)
						}
					}
				}
			}
		}
		for _, r := range v.Remediations {
			refd(r.ProductIds)
		}
		for _, s := range v.Scores {
			refd(s.Products)
			// 6.1.9: the score is the vector's.
			if s.CVSS3 != nil {
				p, err := cvss.Parse(string(*s.CVSS3.VectorString))
				if err != nil || p.Score != float64(*s.CVSS3.BaseScore) || !strings.EqualFold(string(p.Severity), string(*s.CVSS3.BaseSeverity)) {
					t.Errorf("6.1.9: score %v %v of %s, computed %+v %v", *s.CVSS3.BaseScore, *s.CVSS3.BaseSeverity, *s.CVSS3.VectorString, p, err)
				}
			}
		}
		// 6.1.27.5: vulnerability notes.
		if len(v.Notes) == 0 {
			t.Error("6.1.27.5: a vulnerability without notes")
		}
	}
	// 6.1.14, 6.1.16, 6.1.21, 6.1.22: the revision history is sorted, has
	// no gaps or repeats, and its last number is the document's version.
	for i, r := range tr.RevisionHistory {
		if want := fmt.Sprint(i + 1); string(*r.Number) != want && *tr.Status != "draft" {
			t.Errorf("6.1.21: revision %d is number %s", i+1, *r.Number)
		}
	}
	if last := tr.RevisionHistory[len(tr.RevisionHistory)-1]; *last.Number != *tr.Version {
		t.Errorf("6.1.16: last revision %s, version %s", *last.Number, *tr.Version)
	}
	// 6.1.17: a draft's version is 0.
	if *tr.Status == "draft" && *tr.Version != "0" {
		t.Errorf("6.1.17: draft of version %s", *tr.Version)
	}
	// 6.1.27.1 to 6.1.27.4: the profile's notes, external reference,
	// vulnerabilities and product tree.
	hasNote := false
	for _, n := range a.Document.Notes {
		switch *n.NoteCategory {
		case "description", "details", "general", "summary":
			hasNote = true
		}
	}
	hasExternal := false
	for _, r := range a.Document.References {
		hasExternal = hasExternal || (r.ReferenceCategory != nil && *r.ReferenceCategory == "external")
	}
	if !hasNote || !hasExternal || len(a.Vulnerabilities) == 0 || a.ProductTree == nil {
		t.Errorf("6.1.27: notes %v, external reference %v, vulnerabilities %d, product tree %v", hasNote, hasExternal, len(a.Vulnerabilities), a.ProductTree != nil)
	}
}

func TestCSAF(t *testing.T) {
	a := fixture()
	raw, err := publish.CSAF(a, site)
	if err != nil {
		t.Fatal(err)
	}
	doc := validCSAF(t, raw)
	tracking := doc["document"].(map[string]any)["tracking"].(map[string]any)
	if tracking["id"] != a.Ident || tracking["status"] != "final" || tracking["version"] != "2" {
		t.Errorf("tracking = %v", tracking)
	}
	if !bytes.Contains(raw, []byte(`"baseScore": 5.4`)) {
		t.Errorf("the v3.1 score is not the portal's 5.4:\n%s", raw)
	}
	if bytes.Contains(raw, []byte(`"names": [\n            ""`)) || strings.Count(string(raw), `"names"`) != 2 || !bytes.Contains(raw, []byte(`"acknowledgments"`)) {
		t.Errorf("acknowledgements: want Alice and Acme PSIRT only")
	}
	if got := publish.CSAFPath(a); got != "/.well-known/csaf/white/2026/acme-sa-2026-001.json" {
		t.Errorf("path = %s", got)
	}
	t.Run("Draft", func(t *testing.T) {
		d := fixture()
		d.State, d.Revision, d.Revisions, d.PublishedAt, d.CVEs, d.CVSS3 = db.AdvisoryDraft, 0, nil, time.Time{}, nil, ""
		raw, err := publish.CSAF(d, site)
		if err != nil {
			t.Fatal(err)
		}
		validCSAF(t, raw)
	})
}
