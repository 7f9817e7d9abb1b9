package db_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
	"github.com/disclose/disclose/db/export"
)

func TestSimilarReports(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	dup := f.report(t, f.P1.ID, "Stored XSS in profile nickname", "The nickname field renders markup unescaped on the leaderboard.")
	f.report(t, f.P1.ID, "SQL injection in invoices", "The invoice filter concatenates SQL.")
	other := f.report(t, f.P2.ID, "Stored XSS in profile nickname", "The nickname field renders markup unescaped on the leaderboard.")
	r := f.report(t, f.P1.ID, "XSS via profile nickname", "Markup in the nickname is rendered unescaped on the leaderboard page.")
	got, err := f.DB.SimilarReports(ctx, r, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[0].Ref != dup.Ref() {
		t.Fatalf("similar=%+v, want %s first", got, dup.Ref())
	}
	for _, s := range got {
		if s.ID == r.ID || s.ID == other.ID {
			t.Fatalf("similar includes %s (itself or another program)", s.Ref)
		}
	}
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	r := f.report(t, f.P1.ID, "=HYPERLINK(\"http://evil\")", "desc")
	if err := f.DB.AddNote(ctx, r.ID, r.Version, f.Actor, "internal detail", nil, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	f.report(t, f.P2.ID, "Other program", "desc")
	filter := db.QueueFilter{Visible: []int64{f.P1.ID}, Sort: db.SortOldest}
	t.Run("JSON", func(t *testing.T) {
		var buf bytes.Buffer
		x := export.NewJSON(&buf)
		n, err := f.DB.ExportReports(ctx, filter, x.Write)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("export is not JSON: %v\n%s", err, buf.String())
		}
		if n != 1 || len(got) != 1 || got[0]["ref"] != r.Ref() || got[0]["reporter_email"] != "alice@example.org" ||
			got[0]["already_public"] != false || got[0]["version"] != float64(2) || got[0]["cvss_score"] != nil || got[0]["triaged_at"] != nil {
			t.Fatalf("export=%v", got)
		}
		tl := got[0]["timeline"].([]any)
		if len(tl) != 2 {
			t.Fatalf("timeline entries=%d, want 2", len(tl))
		}
		first, note := tl[0].(map[string]any), tl[1].(map[string]any)
		if atts := first["attachments"].([]any); len(atts) != 1 || atts[0].(map[string]any)["filename"] != "poc.html" ||
			atts[0].(map[string]any)["sha256"] == "" {
			t.Fatalf("attachments=%v, want poc.html metadata", first["attachments"])
		}
		if note["kind"] != "note" || note["public"] != false || note["body"] != "internal detail" {
			t.Fatalf("note=%v", note)
		}
	})
	t.Run("CSV", func(t *testing.T) {
		var buf bytes.Buffer
		x, err := export.NewCSV(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.DB.ExportReports(ctx, filter, x.Write); err != nil {
			t.Fatal(err)
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Fatalf("rows=%d, want header + 1", len(rows))
		}
		title := rows[1][slices.Index(rows[0], "title")]
		if !strings.HasPrefix(title, "'=") {
			t.Fatalf("title cell=%q, want the formula defused with a quote", title)
		}
		if tl := rows[1][slices.Index(rows[0], "timeline")]; !strings.Contains(tl, "internal detail") {
			t.Fatalf("timeline cell=%q, want the note", tl)
		}
	})
	t.Run("Audit", func(t *testing.T) {
		if err := f.DB.AuditExport(ctx, f.Actor, "csv", 1, "state=all"); err != nil {
			t.Fatal(err)
		}
		page, _ := f.DB.ListAudit(ctx, db.AuditFilter{Action: "report.export"})
		if len(page.Entries) != 1 || !strings.Contains(page.Entries[0].Detail, "reports=1") {
			t.Fatalf("audit=%+v", page.Entries)
		}
	})
}

func TestMetrics(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	start := f.now
	for _, wait := range []time.Duration{2 * time.Hour, 4 * time.Hour, 30 * time.Hour} {
		r := f.report(t, f.P1.ID, "XSS", "desc")
		f.advance(wait)
		if err := f.DB.Reply(ctx, r.ID, r.Version, f.Actor, "Thanks", nil, db.DefaultLimits); err != nil {
			t.Fatal(err)
		}
	}
	m, err := f.DB.Metrics(ctx, []*db.Program{f.P1, f.P2}, start, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if m.Received != 3 || m.FirstResponse.N != 3 || m.FirstResponse.Median != 4*time.Hour || m.Counts[db.StateNew] != 3 {
		t.Fatalf("metrics=%+v, want 3 received, median first response 4 h", m)
	}
	// The target is 3 days: all three answered within it.
	if m.FirstResponse.Within != 3 || len(m.Months) != 1 || m.Months[0].FirstResponse.Within != 3 {
		t.Fatalf("first response %+v, want 3 of 3 within target", m.FirstResponse)
	}
	if m.OpenTotal != 3 || m.Open[len(m.Open)-1].ByAge[0] != 3 {
		t.Fatalf("open %+v, want 3 unrated reports younger than a week", m.Open)
	}
	m, _ = f.DB.Metrics(ctx, []*db.Program{f.P2}, start, f.now)
	if m.Received != 0 || m.FirstResponse.N != 0 {
		t.Fatalf("metrics of another program=%+v, want none", m)
	}
}

func TestGenerateDemo(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	res, err := demo.Generate(ctx, d, demo.Options{Reports: 600, Seed: 3, LongEvery: 300})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := d.CountReports(ctx); n != 600 {
		t.Fatalf("reports=%d, want 600", n)
	}
	ps, _ := d.Programs(ctx)
	if len(ps) != 3 {
		t.Fatalf("programs=%d, want 3", len(ps))
	}
	q, _ := d.Queue(ctx, db.QueueFilter{})
	for _, s := range db.States {
		if q.Counts[s] == 0 && s != db.StateDuplicate {
			t.Errorf("no report in state %s", s)
		}
	}
	if len(res.LongRefs) != 2 {
		t.Fatalf("long timelines=%v, want 2", res.LongRefs)
	}
	r, err := d.ReportByRef(ctx, res.LongRefs[0])
	if err != nil {
		t.Fatal(err)
	}
	tl, _ := d.Timeline(ctx, r.ID, false)
	if len(tl) != 200 {
		t.Fatalf("long timeline has %d entries, want 200", len(tl))
	}
	for i := 1; i < len(tl); i++ {
		if tl[i].CreatedAt.Before(tl[i-1].CreatedAt) {
			t.Fatal("timeline out of order")
		}
	}
	if bad, err := d.VerifyAudit(ctx); err != nil || bad != 0 {
		t.Fatalf("audit chain broken at %d (%v)", bad, err)
	}
	// What the portal writes around reports: the audit trail, the mail it
	// sent to reporters and staff, the raw mail of mailed reports.
	if n, _ := d.CountAudit(ctx); n < 600 {
		t.Errorf("audit rows=%d, want one per report at least", n)
	}
	mails, _ := d.MailCounts(ctx)
	if mails["sent"] < 600 {
		t.Errorf("outbox=%v, want acks, notices and replies", mails)
	}
	st, err := d.IntakeStatus(ctx)
	if err != nil || st.Reports < 50 {
		t.Errorf("raw mail of mailed reports=%d (%v)", st.Reports, err)
	}
}
