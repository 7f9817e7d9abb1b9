package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/disclose/disclose/db"
)

// BenchmarkAPIReport compares reading one report through the API (a token:
// keyed hash, lookup, rights, coalesced touch) with reading its page (a
// session), in the same run, so the ratio holds on a shared machine.
func BenchmarkAPIReport(b *testing.B) {
	p := newPortal(b, wallClock())
	ctx := b.Context()
	own, err := p.DB.DefaultProgram(ctx)
	if err != nil {
		b.Fatal(err)
	}
	u := p.mustUser(b, "tina@example.org", db.RoleTriager, own.ID)
	rc, err := p.DB.CreateReport(ctx, &db.NewReport{ProgramID: own.ID, Source: db.SourceWeb, Title: "Stored XSS", Description: "d",
		Reporter: db.Reporter{Credit: db.CreditAnonymous}})
	if err != nil {
		b.Fatal(err)
	}
	_, secret, err := p.DB.CreateAPIToken(ctx, u.ID, db.NewAPIToken{Name: "bench", Scope: db.ScopeRead}, db.ActorSystem)
	if err != nil {
		b.Fatal(err)
	}
	br := p.browser(b)
	br.mustLogin(u.Email)
	cookie := "disclose_session=" + br.cookie("disclose_session")
	for _, tc := range []struct {
		name, path, header, value string
	}{
		{"api", "/api/v1/reports/" + rc.Ref, "Authorization", "Bearer " + secret},
		{"page", "/triage/reports/" + rc.Ref, "Cookie", cookie},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, tc.path, nil)
				req.Header.Set(tc.header, tc.value)
				rec := httptest.NewRecorder()
				p.Handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", tc.name, rec.Code)
				}
			}
		})
	}
}
