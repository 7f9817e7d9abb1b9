package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// purgeMarkers are put in every field and mail part a reporter supplies;
// after retention none may be left anywhere in the data.
var purgeMarkers = map[string]string{
	"name":          "qzreporternamemk",
	"email":         "qzreporteremailmk",
	"key user id":   "qzkeyuseridmk",
	"title":         "qzwebtitlemk",
	"asset":         "qzwebassetmk",
	"description":   "qzwebdescriptionmk",
	"steps":         "qzwebstepsmk",
	"impact":        "qzwebimpactmk",
	"file name":     "qzwebfilenamemk",
	"file content":  "qzwebfilecontentmk",
	"status reply":  "qzstatusreplymk",
	"reply file":    "qzreplyfilecontentmk",
	"mail reply":    "qzmailreplymk",
	"mailed key":    "qzmailedkeyuidmk",
	"mail from":     "qzmailsendermk",
	"mail name":     "qzmailsendernamemk",
	"mail subject":  "qzmailsubjectmk",
	"mail header":   "qzmailheadermk",
	"mail msgid":    "qzmailmessageidmk",
	"mail body":     "qzmailbodymk",
	"mail file":     "qzmailfilenamemk",
	"mail content":  "qzmailfilecontentmk",
	"close reason":  "qzclosereasonmk",
	"staff reply":   "qzstaffreplymk",
	"ack subject":   "qzackquotemk",
	"duplicate hdr": "qzduplicatecopymk",
}

// markerForms are the ways a marker can sit in the file: as written, in
// other case, and base64-encoded at each of the three byte alignments (a
// mail part or an armored key holds it so), without the characters that
// depend on the bytes around it.
func markerForms(m string) []string {
	forms := []string{m, strings.ToUpper(m), strings.ToUpper(m[:1]) + m[1:]}
	for off := 0; off < 3; off++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, off), m...))
		start, end := 0, (off+len(m))/3*4
		if off > 0 {
			start = 4
		}
		forms = append(forms, enc[start:end])
	}
	return forms
}

// leaksIn returns what of the markers (and extra strings, as is) the files
// hold, naming the file and the form found.
func leaksIn(t *testing.T, markers map[string]string, extra []string, files ...string) []string {
	t.Helper()
	var found []string
	for _, name := range files {
		buf, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		for what, m := range markers {
			for _, f := range markerForms(m) {
				if bytes.Contains(buf, []byte(f)) {
					found = append(found, filepath.Base(name)+": "+what+" as "+f)
					break
				}
			}
		}
		for _, s := range extra {
			if bytes.Contains(buf, []byte(s)) {
				found = append(found, filepath.Base(name)+": "+s)
			}
		}
	}
	return found
}

// ftsTerms lists the terms of the on-disk search index that look like a
// marker: the index stores terms prefix-compressed, so a byte search alone
// could miss one.
func ftsTerms(t *testing.T, path string) []string {
	t.Helper()
	conn, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	if _, err := conn.Exec(`CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, reports_fts, row)`); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(`SELECT term FROM temp.vocab WHERE term LIKE 'qz%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var terms []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		terms = append(terms, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return terms
}

// TestPurgeLeavesNothingOfTheReporter: a marker in every field and mail part
// a reporter supplied (name, address, key user IDs, report text, files and
// their names, a status-page reply, a mailed reply and key, the raw mail's
// headers and body, a duplicate copy) is found in the database before
// retention and, after `disclose purge` anonymised (or, as spam, deleted)
// the reports while the portal kept running, in no form in the database
// file, its write-ahead log, its search index or a backup made afterwards;
// nor are the fingerprints of the reporter's keys.
func TestPurgeLeavesNothingOfTheReporter(t *testing.T) {
	for _, tc := range []struct {
		name    string
		closeAs db.State
		rule    []string
		want    string
	}{
		{"Anonymise", db.StateInformative, []string{"--anonymise-days", "30"}, "2 anonymised"},
		{"DeleteSpam", db.StateSpam, []string{"--spam-days", "7"}, "2 deleted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			w := newPurgeWorld(t, tc.closeAs)
			dbFile := filepath.Join(w.data, "disclose.db")
			before := leaksIn(t, purgeMarkers, w.fingerprints, dbFile, dbFile+"-wal")
			for what, m := range purgeMarkers {
				if !strings.Contains(strings.Join(before, "\n"), ": "+what+" as ") {
					t.Fatalf("the %s (%s) is not in the database before the purge: the test cannot see it", what, m)
				}
			}
			if len(ftsTerms(t, dbFile)) == 0 {
				t.Fatal("no marker in the search index before the purge")
			}

			if out, err := runCLI(t, append([]string{"retention", "set", "--data", w.data}, tc.rule...)...); err != nil {
				t.Fatalf("retention set: %v\n%s", err, out)
			}
			// The portal keeps running (w.d stays open), as the daily job would.
			out, err := runCLI(t, "purge", "--data", w.data)
			if err != nil || !strings.Contains(out, tc.want) {
				t.Fatalf("purge: %v\n%s", err, out)
			}
			if leaks := leaksIn(t, purgeMarkers, w.fingerprints, dbFile, dbFile+"-wal"); len(leaks) > 0 {
				t.Errorf("after the purge the database still holds:\n  %s", strings.Join(leaks, "\n  "))
			}
			if terms := ftsTerms(t, dbFile); len(terms) > 0 {
				t.Errorf("after the purge the search index still holds %v", terms)
			}
			backup := filepath.Join(t.TempDir(), "backup.db")
			if out, err := runCLI(t, "backup", "--data", w.data, backup); err != nil {
				t.Fatalf("backup: %v\n%s", err, out)
			}
			if leaks := leaksIn(t, purgeMarkers, w.fingerprints, backup); len(leaks) > 0 {
				t.Errorf("a backup made after the purge holds:\n  %s", strings.Join(leaks, "\n  "))
			}

			// What the portal shows agrees: no raw mail to download.
			if tc.closeAs == db.StateSpam {
				if _, err := w.d.ReportByID(ctx, w.web); db.ErrorCode(err) != db.ENOTFOUND {
					t.Errorf("the spam report is still there: %v", err)
				}
				return
			}
			for _, id := range []int64{w.web, w.mail} {
				r, err := w.d.ReportByID(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if r.Title != db.AnonymisedTitle || r.State != tc.closeAs {
					t.Errorf("anonymised report: title %q state %s", r.Title, r.State)
				}
				raw, err := w.d.RawMailEntries(ctx, id)
				if err != nil || len(raw) != 0 {
					t.Errorf("raw mail of an anonymised report: %v, %v", raw, err)
				}
			}
		})
	}
}
