package mailin

import (
	"context"
	"testing"
)

// TestIntakeEmptyAttachment: a mail with a zero-byte attachment becomes a
// report with an empty file, through IMAP, the parser and the database. It
// failed to store at every attempt ("NOT NULL constraint failed:
// attachment_data.data") and was set aside instead.
func TestIntakeEmptyAttachment(t *testing.T) {
	ctx := context.Background()
	srv, d := startMemIMAP(t, nil), mustOpenDB(t)
	in := newTestIntake(t, srv.addr, d)
	srv.deliver(t, "INBOX", head("Empty file", "empty", `Content-Type: multipart/mixed; boundary="e"`)+
		"\n--e\nContent-Type: text/plain\n\nThe file is empty.\n"+
		"--e\nContent-Type: text/plain; name=\"empty.txt\"\nContent-Disposition: attachment; filename=\"empty.txt\"\nContent-Transfer-Encoding: base64\n\n\n--e--\n")
	if stats := pollOnce(t, in); stats.Reports != 1 {
		t.Fatalf("stats = %+v, want one report", stats)
	}
	r, msgs := timeline(t, d, "SEC-1")
	m := msgs[0]
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "empty.txt" || m.Attachments[0].Size != 0 {
		t.Fatalf("attachments %+v, want empty.txt of 0 bytes", m.Attachments)
	}
	if _, data, err := d.AttachmentOf(ctx, r.ID, m.Attachments[0].ID, false); err != nil || len(data) != 0 {
		t.Fatalf("download: %d bytes, %v", len(data), err)
	}
}
