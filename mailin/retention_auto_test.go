package mailin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestRetentionTakesAutomaticMailAboutAReport: automatic mail about a
// report holds the reporter's address and words: her out-of-office answer
// to our acknowledgement, the bounces of our mail to her. Only a bounce
// that marked our mail failed was filed on the report; a second bounce, a
// bounce a mail server did not send, and every auto-reply were kept with no
// report, downloadable by admins long after the report was anonymised.
// They are filed now (for retention only: none reaches the timeline), and
// retention takes them with the report.
func TestRetentionTakesAutomaticMailAboutAReport(t *testing.T) {
	ctx := context.Background()
	srv := startMemIMAP(t, nil)
	d, clock := mustOpenMailDB(t)
	in := newTestIntake(t, srv.addr, d)
	const who = "wombat.reporter@researcher.test"
	srv.deliver(t, "INBOX", mailText("Wombat <"+who+">", "SQLi", "<r1@researcher.test>", "", "login form\n"))
	pollOnce(t, in)
	r, entries := timeline(t, d, "SEC-1")
	ack, _, _ := ackOf(t, d, r.ID)

	bounce := strings.ReplaceAll(dsn(ack), "ann@researcher.test", who)
	for _, m := range []string{
		// Her out-of-office, answering our acknowledgement.
		mailText("Wombat <"+who+">", "Auto: [SEC-1] Report received", "<ooo1@researcher.test>",
			"Auto-Submitted: auto-replied\nIn-Reply-To: "+ack, "I am away. Wombat, phone +61 555 0100\n"),
		// Another one with no references at all, from her address with the tag.
		mailText("Wombat <"+who+">", "Out of office: [SEC-1] Report received", "<ooo2@researcher.test>",
			"Precedence: auto_reply", "Still away. Wombat\n"),
		// A delivery report, then another for the same mail (a retry, or a
		// delay notice then a failure): the second marks nothing.
		bounce,
		strings.Replace(bounce, "<dsn1@mx.researcher.test>", "<dsn2@mx.researcher.test>", 1),
		// A bounce no mail server sent: an empty return path and a copy of our mail.
		"Return-Path: <>\nFrom: Wombat <" + who + ">\nTo: security@example.org\nSubject: returned\nMessage-ID: <nd1@researcher.test>\n" +
			"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: text/plain\n\nWombat's own words.\n" +
			"--M\nContent-Type: message/rfc822\n\nFrom: security@example.org\nMessage-ID: " + ack + "\n\nThank you.\n--M--\n",
	} {
		srv.deliver(t, "INBOX", m)
	}
	pollOnce(t, in)

	rows, err := peek(t, d).Query(`SELECT kind, COALESCE(report_id, 0) FROM mail_raw WHERE kind IN ('autoreply', 'bounce')`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var kind string
		var rid int64
		rows.Scan(&kind, &rid)
		if n++; rid != r.ID {
			t.Errorf("a kept %s is filed on report %d, want SEC-1 (%d)", kind, rid, r.ID)
		}
	}
	rows.Close()
	if n != 5 {
		t.Fatalf("%d automatic mails kept, want 5", n)
	}
	if _, now := timeline(t, d, "SEC-1"); len(now) != len(entries) {
		t.Errorf("filing automatic mail changed the timeline: %d entries, had %d", len(now), len(entries))
	}

	if err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE reports SET state = 'informative', closed_at = ? WHERE id = ?`, clock.Now().UTC().Format(time.RFC3339Nano), r.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: r.ProgramID, AnonymiseDays: 30}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	clock.Add(40 * 24 * time.Hour)
	res, err := d.Purge(ctx, false, nil)
	if err != nil || res.Done[db.DisposeAnonymise] != 1 {
		t.Fatalf("purge %+v %v", res, err)
	}
	rows, err = peek(t, d).Query(`SELECT id, kind, COALESCE(report_id, 0) FROM mail_raw WHERE instr(from_addr, ?) > 0 OR id IN
		(SELECT raw_id FROM mail_raw_chunks WHERE instr(CAST(data AS TEXT), ?) > 0)`, who, who)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, rid int64
		var kind string
		rows.Scan(&id, &kind, &rid)
		t.Errorf("after anonymising SEC-1, raw mail %d (%s, report %d) still holds the reporter's address", id, kind, rid)
	}
}
