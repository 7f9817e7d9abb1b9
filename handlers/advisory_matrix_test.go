package handlers_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/disclose/disclose/db"
)

// advisoryFixtures are the advisories the matrix's routes name: a
// published one of the client organisation (the own program's, served on
// clientHost) and a published one of the sibling organisation, which every
// subject must get 404 for under the client's URLs.
type advisoryFixtures struct {
	published, foreign *db.Advisory
	fresh              *db.Advisory // the case's own, in review (made by path)
}

// matrixCVE is the CVE every matrix advisory names (another
// organisation's too: its record must still be 404 under the client's URLs).
const matrixCVE = "CVE-2026-1000"

func advisoryIn() *db.AdvisoryInput {
	return &db.AdvisoryInput{Title: "Matrix advisory", Summary: "A matrix advisory.", CVEs: []string{matrixCVE},
		Products: []db.AffectedProduct{{Product: "Portal", Affected: "< 2.0", Fixed: "2.0", Ecosystem: "npm", Package: "portal"}}}
}

// makeAdvisory drafts an advisory of o from report r and moves it on: to
// in review, or published (approved by approver).
func makeAdvisory(t testing.TB, d *db.DB, o *db.Organisation, r *db.Report, approver *db.User) *db.Advisory {
	t.Helper()
	ctx := context.Background()
	a, err := d.CreateAdvisory(ctx, o, []int64{r.ID}, advisoryIn(), db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SubmitAdvisory(ctx, a.ID, a.Version, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if approver != nil {
		if _, err := d.ApproveAdvisory(ctx, a.ID, a.Version+1, approver.Actor("")); err != nil {
			t.Fatal(err)
		}
	}
	a, err = d.AdvisoryByID(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *matrixFixture) makeAdvisories(t testing.TB) {
	f.advisories.published = makeAdvisory(t, f.env.DB, f.client, f.sibling.r, f.target)
	f.advisories.foreign = makeAdvisory(t, f.env.DB, f.siblingOrg, f.foreign.r, f.target)
}

// freshAdvisory is the case's own advisory of the client, in review.
func (f *matrixFixture) freshAdvisory(c *matrixCase) string {
	f.advisories.fresh = makeAdvisory(c.t, f.env.DB, f.client, f.sibling.r, nil)
	return f.advisories.fresh.Ident
}

// readsClient says whether s has a role in the client organisation (its
// own or its parent's, or is a site admin); writesClient whether that role
// may change advisories.
func (s *subject) readsClient() bool { return s.siteAdmin() || s.org == "parent" || s.org == "child" }
func (s *subject) writesClient() bool {
	return s.readsClient() && (s.role == db.RoleAdmin || s.role == db.RoleTriager)
}

// advisoryVersion is the version of the case's own advisory.
func advisoryVersion(f *matrixFixture) string {
	if f.advisories.fresh == nil {
		return "1"
	}
	return itoa(f.advisories.fresh.Version)
}

// advisoryForm is a valid edit of the case's own advisory.
func advisoryForm(f *matrixFixture) url.Values {
	return url.Values{"title": {"Edited"}, "summary": {"Edited."}, "products": {"Portal | < 2.0 | 2.0"}, "version": {advisoryVersion(f)}}
}
