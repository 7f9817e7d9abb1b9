package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/export"
)

// plain is a report as db.ExportReports hands it over, built by hand: the
// formats need nothing of the database.
func plain() *db.ExportedReport {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return &db.ExportedReport{
		Report: &db.Report{Prefix: "SEC", Number: 7, Title: "-1+cmd|' /C calc'!A0", State: db.StateNew,
			Description: "@SUM(1)", CreatedAt: at, Version: 3},
		Details: &db.ReportDetails{},
		Timeline: []*db.Message{{ID: 9, Kind: db.KindInbound, Public: true, Body: "=1+1", CreatedAt: at,
			Attachments: []*db.Attachment{{ID: 4, Filename: "poc.txt", Size: 12, SHA256: "ab"}}}},
	}
}

// TestCSVDefusesFormulas: every text cell an attacker writes that a
// spreadsheet would run (= + - @ tab CR first) starts with a quote.
func TestCSVDefusesFormulas(t *testing.T) {
	var buf bytes.Buffer
	x, err := export.NewCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Write(plain()); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows=%d err=%v", len(rows), err)
	}
	for col, want := range map[string]string{"ref": "SEC-7", "title": "'-1+cmd|' /C calc'!A0", "description": "'@SUM(1)",
		"created_at": "2026-03-01T12:00:00Z", "triaged_at": "", "version": "3"} {
		if got := rows[1][slices.Index(rows[0], col)]; got != want {
			t.Errorf("%s = %q, want %q", col, got, want)
		}
	}
}

// TestJSONKeepsTypes: JSON keeps numbers, booleans and null, keys in
// column order with "ref" first, and an empty export is an empty array.
func TestJSONKeepsTypes(t *testing.T) {
	var buf bytes.Buffer
	x := export.NewJSON(&buf)
	if err := x.Write(plain()); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte(`[`+"\n"+`{"ref":"SEC-7",`)) {
		t.Fatalf("export starts %.40q, want ref first", buf.String())
	}
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	r := got[0]
	if r["title"] != "-1+cmd|' /C calc'!A0" || r["version"] != float64(3) || r["already_public"] != false || r["cvss_score"] != nil {
		t.Fatalf("report = %v", r)
	}
	tl := r["timeline"].([]any)[0].(map[string]any)
	if tl["body"] != "=1+1" || tl["attachments"].([]any)[0].(map[string]any)["filename"] != "poc.txt" {
		t.Fatalf("timeline = %v", tl)
	}
	buf.Reset()
	if err := export.NewJSON(&buf).Close(); err != nil || buf.String() != "[]\n" {
		t.Fatalf("empty export = %q, %v", buf.String(), err)
	}
}
