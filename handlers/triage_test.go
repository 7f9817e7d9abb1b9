package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/disclose/disclose/db"
)

func TestTriageReportPage(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	r := f.newReport(t, f.own.ID, "Stored XSS in profile")
	b := f.browsers["triager-member"]
	path := "/triage/reports/" + r.Ref()

	t.Run("OK", func(t *testing.T) {
		p := b.post(path+"/note", url.Values{"version": {fmt.Sprint(r.Version)}, "body": {"Reproduced on staging."}})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("note: status %d", p.Status)
		}
		r, _ = f.env.DB.ReportByID(ctx, r.ID)
		if p = b.post(path+"/reply", url.Values{"version": {fmt.Sprint(r.Version)}, "body": {"Thanks, we reproduced it."}}); p.Status != http.StatusSeeOther {
			t.Fatalf("reply: status %d", p.Status)
		}
		p = b.get(p.Location)
		doc := parse(t, p)
		if got := doc.Find(`[data-testid=notice]`).Text(); !strings.Contains(got, "reply was sent") {
			t.Fatalf("notice=%q", got)
		}
		entries := doc.Find(`[data-testid=timeline] > li`)
		if got, want := entries.Length(), 3; got != want {
			t.Fatalf("timeline entries=%d, want %d", got, want)
		}
		note := entries.Eq(1)
		if !note.HasClass("internal") || !strings.Contains(note.Text(), "Internal") || !strings.Contains(note.Text(), "Reproduced on staging.") {
			t.Fatalf("the note is not marked internal: %q", note.Text())
		}
		if reply := entries.Eq(2); reply.HasClass("internal") || !strings.Contains(reply.Text(), "Public reply") {
			t.Fatalf("the reply is not shown as public: %q", reply.Text())
		}
		// Only the transitions the table allows are offered.
		var offered []string
		doc.Find(`#f-to option[value!=""]`).Each(func(_ int, s *goquery.Selection) { offered = append(offered, s.AttrOr("value", "")) })
		if got, want := strings.Join(offered, ","), "triaged,needs_info,duplicate,informative,not_applicable,out_of_scope,spam,wont_fix"; got != want {
			t.Fatalf("offered states=%s, want %s", got, want)
		}
		// Every field has a label.
		doc.Find(`input:not([type=hidden]), select, textarea`).Each(func(_ int, s *goquery.Selection) {
			id := s.AttrOr("id", "")
			if id == "" || doc.Find(`label[for="`+id+`"]`).Length() == 0 {
				t.Errorf("field %s (%s) has no label", id, s.AttrOr("name", ""))
			}
		})
		if doc.Find(`script:not([src])`).Length() > 0 || doc.Find(`[style]`).Length() > 0 {
			t.Fatal("inline script or style on the report page")
		}
	})
	t.Run("ReplyWithAttachment", func(t *testing.T) {
		cur, _ := f.env.DB.ReportByID(ctx, r.ID)
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf", b.csrf)
		mw.WriteField("version", fmt.Sprint(cur.Version))
		mw.WriteField("body", "Here is the patch.")
		fw, _ := mw.CreateFormFile("attachments", "fix.patch")
		fw.Write([]byte("--- a/x\n+++ b/x\n"))
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, f.env.Server.URL+path+"/reply", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		if p := b.do(req); p.Status != http.StatusSeeOther {
			t.Fatalf("status %d", p.Status)
		}
		pub, _ := f.env.DB.Timeline(ctx, r.ID, true)
		last := pub[len(pub)-1]
		if last.Kind != db.KindReply || len(last.Attachments) != 1 || last.Attachments[0].Filename != "fix.patch" {
			t.Fatalf("last public entry=%+v, want the reply with fix.patch", last)
		}
	})
	t.Run("AttachmentIsDownload", func(t *testing.T) {
		p := b.get(fmt.Sprintf("%s/attachments/%d", path, f.attachmentID(t, r)))
		if p.Status != http.StatusOK || !strings.HasPrefix(p.Header.Get("Content-Disposition"), "attachment;") ||
			p.Header.Get("Content-Type") != "application/octet-stream" {
			t.Fatalf("status %d, disposition %q, type %q", p.Status, p.Header.Get("Content-Disposition"), p.Header.Get("Content-Type"))
		}
	})
	t.Run("ErrStaleForm", func(t *testing.T) {
		cur, _ := f.env.DB.ReportByID(ctx, r.ID)
		other := f.browsers["admin-member"]
		if p := other.post(path+"/fields", url.Values{"version": {fmt.Sprint(cur.Version)}, "asset": {"admin.example.org"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("first edit: status %d", p.Status)
		}
		p := b.post(path+"/fields", url.Values{"version": {fmt.Sprint(cur.Version)}, "asset": {"mine.example.org"}})
		if got, want := p.Status, http.StatusConflict; got != want {
			t.Fatalf("status=%d, want %d", got, want)
		}
		doc := parse(t, p)
		if msg := doc.Find(`[data-testid=conflict]`).Text(); !strings.Contains(msg, "Someone else changed this report") {
			t.Fatalf("conflict message=%q", msg)
		}
		if got := doc.Find(`#f-asset`).AttrOr("value", ""); got != "mine.example.org" {
			t.Fatalf("typed asset=%q, want it kept", got)
		}
		if got, _ := f.env.DB.ReportByID(ctx, r.ID); got.Asset != "admin.example.org" {
			t.Fatalf("asset=%q, want the first writer's", got.Asset)
		}
	})
	t.Run("ErrInvalidField", func(t *testing.T) {
		cur, _ := f.env.DB.ReportByID(ctx, r.ID)
		p := b.post(path+"/fields", url.Values{"version": {fmt.Sprint(cur.Version)}, "asset": {cur.Asset}, "cve": {"CVE-1-2"}})
		if got, want := p.Status, http.StatusUnprocessableEntity; got != want {
			t.Fatalf("status=%d, want %d", got, want)
		}
		doc := parse(t, p)
		if doc.Find(`#e-cve`).Length() != 1 || doc.Find(`#f-cve`).AttrOr("value", "") != "CVE-1-2" {
			t.Fatal("the CVE error is not shown next to the field with the typed value")
		}
	})
	t.Run("ErrCloseWithoutReason", func(t *testing.T) {
		cur, _ := f.env.DB.ReportByID(ctx, r.ID)
		p := b.post(path+"/state", url.Values{"version": {fmt.Sprint(cur.Version)}, "to": {"spam"}})
		if p.Status != http.StatusUnprocessableEntity || parse(t, p).Find(`#e-reason`).Length() != 1 {
			t.Fatalf("status %d; want 422 with a reason error", p.Status)
		}
	})
	t.Run("ViewerReadsOnly", func(t *testing.T) {
		p := f.browsers["viewer-member"].get(path)
		doc := parse(t, p)
		if p.Status != http.StatusOK || doc.Find(`form[action*="/triage/reports/"]`).Length() != 0 || doc.Find(`[data-testid=read-only]`).Length() != 1 {
			t.Fatalf("status %d; a viewer must get the page without action forms", p.Status)
		}
	})
}

func TestTriageQueuePage(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	a := f.newReport(t, f.own.ID, "Stored XSS in profile")
	f.newReport(t, f.own.ID, "Open redirect after login")
	b := f.browsers["triager-member"]
	cur, _ := f.env.DB.ReportByID(ctx, a.ID)
	if err := f.env.DB.EditFields(ctx, a.ID, cur.Version, db.ActorSystem, db.FieldEdit{CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}); err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		doc := parse(t, b.get("/triage"))
		if got := doc.Find(`[data-testid=queue] tbody tr`).Length(); got != 2 {
			t.Fatalf("rows=%d, want 2", got)
		}
		if got := doc.Find(`[data-testid=state-tabs] a[aria-current]`).Text(); !strings.HasPrefix(got, "Open (2)") {
			t.Fatalf("current tab=%q, want Open (2)", got)
		}
	})
	t.Run("FilterInURL", func(t *testing.T) {
		doc := parse(t, b.get("/triage?q=xss&severity=critical"))
		rows := doc.Find(`[data-testid=queue] tbody tr`)
		if rows.Length() != 1 || rows.AttrOr("data-ref", "") != a.Ref() {
			t.Fatalf("rows=%d, want only %s", rows.Length(), a.Ref())
		}
		if doc.Find(`#f-q`).AttrOr("value", "") != "xss" || doc.Find(`#f-severity option[selected]`).AttrOr("value", "") != "critical" {
			t.Fatal("the form does not show the filter of the URL")
		}
		if href := doc.Find(`[data-testid=export-csv]`).AttrOr("href", ""); !strings.Contains(href, "q=xss") || !strings.Contains(href, "severity=critical") {
			t.Fatalf("export link %q does not carry the filter", href)
		}
	})
	t.Run("AssigneeUser", func(t *testing.T) {
		u, err := f.env.DB.UserByEmail(ctx, "triager-member@example.org")
		if err != nil {
			t.Fatal(err)
		}
		cur, _ := f.env.DB.ReportByID(ctx, a.ID)
		if err := f.env.DB.Assign(ctx, a.ID, cur.Version, db.ActorSystem, u.ID); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{fmt.Sprintf("/triage?assignee=%d", u.ID), "/triage?assignee=me"} {
			doc := parse(t, b.get(path))
			rows := doc.Find(`[data-testid=queue] tbody tr`)
			if rows.Length() != 1 || rows.AttrOr("data-ref", "") != a.Ref() {
				t.Fatalf("%s: rows=%d, want only %s", path, rows.Length(), a.Ref())
			}
		}
	})
	t.Run("ErrBadFilter", func(t *testing.T) {
		p := b.get("/triage?sort=random")
		if p.Status != http.StatusUnprocessableEntity || parse(t, p).Find(`#e-sort`).Length() != 1 {
			t.Fatalf("status %d; want 422 with the error next to the field", p.Status)
		}
	})
	t.Run("ErrSearchTooLong", func(t *testing.T) {
		// review6 F5: before, any length went to the database, and a
		// relevance search of 600 words was a 500.
		typed := strings.TrimSpace(strings.Repeat("xss ", 600))
		p := b.get("/triage?sort=relevance&q=" + url.QueryEscape(typed))
		doc := parse(t, p)
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(doc.Find(`#e-q`).Text(), "at most") ||
			doc.Find(`#f-q`).AttrOr("value", "") != typed || doc.Find(`#f-q`).AttrOr("aria-invalid", "") != "true" {
			t.Fatalf("status %d error %q; want 422 with the limit next to the search, the words kept", p.Status, doc.Find(`#e-q`).Text())
		}
	})
	t.Run("SearchControlCharacters", func(t *testing.T) {
		// review6 F5: before, a NUL reached FTS5 ("unterminated string"): 500.
		doc := parse(t, b.get("/triage?sort=relevance&q=xss%00"))
		if rows := doc.Find(`[data-testid=queue] tbody tr`); rows.Length() != 1 || rows.AttrOr("data-ref", "") != a.Ref() {
			t.Fatalf("rows=%d, want only %s", rows.Length(), a.Ref())
		}
	})
	t.Run("Export", func(t *testing.T) {
		p := b.get("/triage/export.json?q=xss")
		if p.Status != http.StatusOK || !strings.HasPrefix(p.Header.Get("Content-Disposition"), "attachment;") ||
			!strings.Contains(p.Body, a.Ref()) || strings.Contains(p.Body, "Open redirect") {
			t.Fatalf("status %d disposition %q body %.200s", p.Status, p.Header.Get("Content-Disposition"), p.Body)
		}
		page, _ := f.env.DB.ListAudit(ctx, db.AuditFilter{Action: "report.export"})
		if len(page.Entries) == 0 || page.Entries[0].Actor != "triager-member@example.org" {
			t.Fatal("the export is not audited")
		}
	})
	t.Run("Metrics", func(t *testing.T) {
		doc := parse(t, b.get("/triage/metrics"))
		if got := doc.Find(`[data-state=new]`).Text(); got != "2" {
			t.Fatalf("new count=%q, want 2", got)
		}
	})
}
