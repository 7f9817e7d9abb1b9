package db_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// MustOpenDB opens a fresh database in a temp dir and closes it after the test.
func MustOpenDB(tb testing.TB) *db.DB {
	tb.Helper()
	d, err := db.Open(context.Background(), filepath.Join(tb.TempDir(), "disclose.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// holdWriter keeps the one writer busy with a job of its own until release
// is called, as a long batch would.
func holdWriter(tb testing.TB, d *db.DB) (release func()) {
	tb.Helper()
	held, done := make(chan struct{}), make(chan struct{})
	go d.Update(context.Background(), func(context.Context, *db.Tx) error {
		close(held)
		<-done
		return nil
	})
	<-held
	return func() { close(done) }
}

func validReport(programID int64) *db.NewReport {
	return &db.NewReport{
		ProgramID:   programID,
		Source:      db.SourceWeb,
		Title:       "Stored XSS in profile name",
		Asset:       "www.example.org",
		CWE:         "CWE-79",
		Description: "The profile name is rendered without escaping.",
		Steps:       "1. Set name to <script>\n2. Open profile",
		Impact:      "Account takeover",
		CVSSVector:  "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
		Reporter:    db.Reporter{Name: "alice", Email: "alice@example.org", Credit: db.CreditHandle},
		Attachments: []db.NewAttachment{{Filename: "../../etc/poc.html", ContentType: "text/html", Data: []byte("<script>alert(1)</script>")}},
	}
}

func TestOpen(t *testing.T) {
	t.Run("DefaultProgram", func(t *testing.T) {
		d := MustOpenDB(t)
		p, err := d.DefaultProgram(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := p.Prefix, "SEC"; got != want {
			t.Fatalf("prefix=%q, want %q", got, want)
		}
		if !strings.Contains(p.Policy, "Safe harbour") {
			t.Fatal("default program has no default policy")
		}
	})
	t.Run("ReopenKeepsDataAndMigratesOnce", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "x.db")
		ctx := context.Background()
		d, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := d.DefaultProgram(ctx)
		if _, err := d.CreateReport(ctx, validReport(p.ID)); err != nil {
			t.Fatal(err)
		}
		d.Close()
		d, err = db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if n, _ := d.CountReports(ctx); n != 1 {
			t.Fatalf("reports after reopen = %d, want 1", n)
		}
		ps, _ := d.Programs(ctx)
		if len(ps) != 1 {
			t.Fatalf("programs after reopen = %d, want 1", len(ps))
		}
	})
	t.Run("PragmasOnEveryConnection", func(t *testing.T) {
		d := MustOpenDB(t)
		if _, err := os.Stat(d.Path + "-wal"); err != nil {
			t.Fatalf("no WAL file next to the database: %v", err)
		}
	})
}

func TestCreateReport(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		d := MustOpenDB(t)
		p, _ := d.DefaultProgram(ctx)
		rc, err := d.CreateReport(ctx, validReport(p.ID))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := rc.Ref, "SEC-1"; got != want {
			t.Fatalf("ref=%q, want %q", got, want)
		}
		rc2, err := d.CreateReport(ctx, validReport(p.ID))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := rc2.Ref, "SEC-2"; got != want {
			t.Fatalf("second ref=%q, want %q", got, want)
		}
		if len(db.NormalizeReceiptCode(rc.Code)) != 26 {
			t.Fatalf("receipt code %q does not carry 128 bits", rc.Code)
		}
		r, err := d.ReportByReceipt(ctx, strings.ToLower(strings.ReplaceAll(rc.Code, "-", " ")))
		if err != nil {
			t.Fatal(err)
		}
		if r.Ref() != "SEC-1" || r.State != db.StateNew || r.Severity != db.SeverityMedium {
			t.Fatalf("got %s state=%s severity=%s", r.Ref(), r.State, r.Severity)
		}
		if r.Reporter.Email != "alice@example.org" {
			t.Fatalf("reporter email = %q", r.Reporter.Email)
		}
		tl, err := d.Timeline(ctx, r.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(tl) != 1 || len(tl[0].Attachments) != 1 {
			t.Fatalf("timeline = %d entries, want 1 with 1 attachment", len(tl))
		}
		if got := tl[0].Attachments[0].Filename; got != "poc.html" {
			t.Fatalf("attachment name %q keeps a path", got)
		}
	})
	t.Run("ReceiptCodeStoredOnlyAsHash", func(t *testing.T) {
		d := MustOpenDB(t)
		p, _ := d.DefaultProgram(ctx)
		rc, err := d.CreateReport(ctx, validReport(p.ID))
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		for _, f := range []string{d.Path, d.Path + "-wal"} {
			buf, _ := os.ReadFile(f)
			if strings.Contains(string(buf), db.NormalizeReceiptCode(rc.Code)) || strings.Contains(string(buf), rc.Code) {
				t.Fatalf("receipt code found in %s", f)
			}
		}
	})
	t.Run("WrongReceipt", func(t *testing.T) {
		d := MustOpenDB(t)
		p, _ := d.DefaultProgram(ctx)
		if _, err := d.CreateReport(ctx, validReport(p.ID)); err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"", "short", "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AA"} {
			if _, err := d.ReportByReceipt(ctx, code); db.ErrorCode(err) != db.ENOTFOUND {
				t.Fatalf("code %q: err=%v, want not found", code, err)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		d := MustOpenDB(t)
		p, _ := d.DefaultProgram(ctx)
		in := validReport(p.ID)
		in.Title = ""
		if _, err := d.CreateReport(ctx, in); db.ErrorCode(err) != db.EINVALID {
			t.Fatalf("err=%v, want invalid", err)
		}
		if n, _ := d.CountReports(ctx); n != 0 {
			t.Fatalf("stored %d reports for an invalid submission", n)
		}
	})
	t.Run("Search", func(t *testing.T) {
		d := MustOpenDB(t)
		p, _ := d.DefaultProgram(ctx)
		if _, err := d.CreateReport(ctx, validReport(p.ID)); err != nil {
			t.Fatal(err)
		}
		ids, err := d.SearchReports(ctx, `profile "escaping`, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1 {
			t.Fatalf("search found %d, want 1", len(ids))
		}
		ids, _ = d.SearchReports(ctx, "sqlinjection", 10)
		if len(ids) != 0 {
			t.Fatalf("search for an absent word found %d", len(ids))
		}
	})
}

func TestValidate(t *testing.T) {
	lim := db.DefaultLimits
	for name, tc := range map[string]struct {
		mod   func(*db.NewReport)
		field string
	}{
		"TitleRequired":       {func(r *db.NewReport) { r.Title = "  " }, "title"},
		"TitleTooLong":        {func(r *db.NewReport) { r.Title = strings.Repeat("x", 201) }, "title"},
		"DescriptionRequired": {func(r *db.NewReport) { r.Description = "" }, "description"},
		"BadVector":           {func(r *db.NewReport) { r.CVSSVector = "CVSS:3.1/AV:N" }, "cvss"},
		"OldVector":           {func(r *db.NewReport) { r.CVSSVector = "AV:N/AC:L/Au:N/C:P/I:P/A:P" }, "cvss"},
		"BadEmail":            {func(r *db.NewReport) { r.Reporter.Email = "alice at example" }, "email"},
		"HeaderInEmail":       {func(r *db.NewReport) { r.Reporter.Email = "a@example.org\r\nBcc: x@example.org" }, "email"},
		"UnknownCWE":          {func(r *db.NewReport) { r.CWE = "CWE-999999" }, "cwe"},
		"CreditWithoutName":   {func(r *db.NewReport) { r.Reporter.Name = ""; r.Reporter.Credit = db.CreditName }, "credit"},
		"TooManyFiles": {func(r *db.NewReport) {
			r.Attachments = make([]db.NewAttachment, lim.MaxFiles+1)
		}, "attachments"},
		"FileTooBig": {func(r *db.NewReport) {
			r.Attachments = []db.NewAttachment{{Filename: "big.bin", Data: make([]byte, lim.MaxFileBytes+1)}}
		}, "attachments"},
	} {
		t.Run(name, func(t *testing.T) {
			in := validReport(1)
			tc.mod(in)
			errs := in.Validate(lim)
			if errs[tc.field] == "" {
				t.Fatalf("no error on %s; got %v", tc.field, errs)
			}
		})
	}
	t.Run("Anonymous", func(t *testing.T) {
		in := validReport(1)
		in.Reporter = db.Reporter{}
		if errs := in.Validate(lim); errs != nil {
			t.Fatalf("anonymous report refused: %v", errs)
		}
		if in.Reporter.Credit != db.CreditAnonymous {
			t.Fatalf("credit = %q, want anonymous", in.Reporter.Credit)
		}
	})
}

func TestReporterMessage(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	p, _ := d.DefaultProgram(ctx)
	rc, err := d.CreateReport(ctx, validReport(p.ID))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ErrEmpty", func(t *testing.T) {
		err := d.AddReporterMessage(ctx, rc.ReportID, "   ", nil, db.SourceWeb, db.DefaultLimits)
		if db.ErrorFields(err)["body"] == "" || db.ErrorCode(err) != db.EINVALID {
			t.Fatalf("err=%v (code %s), want an EINVALID error on the message", err, db.ErrorCode(err))
		}
	})
	t.Run("OK", func(t *testing.T) {
		if err := d.AddReporterMessage(ctx, rc.ReportID, "More detail", []db.NewAttachment{{Filename: "a.txt", Data: []byte("x")}}, db.SourceWeb, db.DefaultLimits); err != nil {
			t.Fatal(err)
		}
		tl, _ := d.Timeline(ctx, rc.ReportID, true)
		if got := tl[len(tl)-1]; got.Body != "More detail" || got.Kind != db.KindInbound || len(got.Attachments) != 1 {
			t.Fatalf("last entry = %+v", got)
		}
		a := tl[len(tl)-1].Attachments[0]
		_, data, err := d.AttachmentOf(ctx, rc.ReportID, a.ID, true)
		if err != nil || string(data) != "x" {
			t.Fatalf("attachment data = %q, %v", data, err)
		}
		if _, _, err := d.AttachmentOf(ctx, rc.ReportID+1, a.ID, true); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("attachment readable through another report: %v", err)
		}
	})
}

func TestAuditChain(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	p, _ := d.DefaultProgram(ctx)
	for i := 0; i < 3; i++ {
		if _, err := d.CreateReport(ctx, validReport(p.ID)); err != nil {
			t.Fatal(err)
		}
	}
	if bad, err := d.VerifyAudit(ctx); err != nil || bad != 0 {
		t.Fatalf("fresh chain broken at %d (%v)", bad, err)
	}
	d.Now = func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }
	if bad, _ := d.VerifyAudit(ctx); bad != 0 {
		t.Fatalf("chain depends on the clock")
	}
}

// The Makefile builds SQLite with FTS5 and the query planner stability
// guarantee; a build that lost either is slow or unable to search.
func TestBuildOptions(t *testing.T) {
	d := MustOpenDB(t)
	missing, err := d.MissingBuildOptions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Fatalf("SQLite lacks %v: build and test through the Makefile (it sets GOFLAGS and CGO_CFLAGS)", missing)
	}
}
