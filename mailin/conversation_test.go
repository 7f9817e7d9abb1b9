package mailin

import (
	"context"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/mailtest"
)

// TestMailConversation is the whole conversation by mail, through a real
// IMAP server and a real SMTP sink: a reporter's email opens a report, the
// acknowledgement goes out, a triager's reply (with a file) goes out, and
// the reporter's answer to that reply, with a subject that names no report,
// threads onto the same report by its headers.
func TestMailConversation(t *testing.T) {
	ctx := context.Background()
	imapSrv := startMemIMAP(t, nil)
	sink := mailtest.NewSink(t)
	d, _ := mustOpenMailDB(t)
	d.Auth.Argon2 = db.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	intake := newTestIntake(t, imapSrv.addr, d)
	out := newOutbox(t, d, sink)
	triager, err := d.CreateUser(ctx, &db.NewUser{Email: "tri@example.org", Role: db.RoleTriager, Password: "correct horse battery staple",
		ProgramIDs: []int64{1}}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	sent := func() []*mailtest.Message {
		t.Helper()
		before := len(sink.Messages())
		if _, err := out.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		return sink.Messages()[before:]
	}
	to := func(msgs []*mailtest.Message, addr string) *parsed {
		t.Helper()
		for _, m := range msgs {
			if len(m.To) == 1 && m.To[0] == addr {
				return parseMail(t, m.Data)
			}
		}
		t.Fatalf("no mail to %s among %d", addr, len(msgs))
		return nil
	}

	imapSrv.deliver(t, "INBOX", mailText("Alice <alice@example.net>", "XSS in the login form", "<first@reporter.example>", "",
		"The login form reflects the user name.\n"))
	if st := pollOnce(t, intake); st.Reports != 1 {
		t.Fatalf("poll: %+v", st)
	}
	msgs := sent()
	ack := to(msgs, "alice@example.net")
	if got := ack.Header.Get("In-Reply-To"); got != "<first@reporter.example>" {
		t.Errorf("ack In-Reply-To %q", got)
	}
	if subj, _ := ack.Header.Subject(); !strings.Contains(subj, "[SEC-1]") {
		t.Errorf("ack subject %q", subj)
	}
	if n := strings.Count(strings.Join(toAll(msgs), " "), "alice@example.net"); n != 1 {
		t.Errorf("%d mails to the reporter, want one acknowledgement", n)
	}
	if notice := to(msgs, "tri@example.org"); !strings.Contains(notice.Text, "/triage/reports/SEC-1") {
		t.Errorf("staff notice:\n%s", notice.Text)
	}

	r, err := d.ReportByRef(ctx, "SEC-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Reply(ctx, r.ID, r.Version, triager.Actor("127.0.0.1"), "Thanks. Which browser did you use?",
		[]db.NewAttachment{{Filename: "hint.txt", ContentType: "text/plain", Data: []byte("try a private window")}}, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	reply := to(sent(), "alice@example.net")
	if got := reply.Header.Get("In-Reply-To"); got != "<first@reporter.example>" {
		t.Errorf("reply In-Reply-To %q", got)
	}
	if refs := reply.Header.Get("References"); !strings.Contains(refs, "<first@reporter.example>") || !strings.Contains(refs, ack.Header.Get("Message-Id")) {
		t.Errorf("reply References %q lack the reporter's mail or the ack", refs)
	}
	if !strings.Contains(reply.Text, "Which browser did you use?") || string(reply.Files["hint.txt"]) != "try a private window" {
		t.Fatalf("reply text %q files %v", reply.Text, keys(reply.Files))
	}
	replyID := reply.Header.Get("Message-Id")

	imapSrv.deliver(t, "INBOX", mailText("Alice <alice@example.net>", "Re: my finding", "<second@reporter.example>",
		"In-Reply-To: "+replyID+"\nReferences: <first@reporter.example> "+replyID, "Firefox 130.\n"))
	if st := pollOnce(t, intake); st.Replies != 1 || st.Reports != 0 {
		t.Fatalf("the answer did not thread: %+v", st)
	}
	if n, _ := d.CountReports(ctx); n != 1 {
		t.Fatalf("%d reports, want 1", n)
	}
	tl, err := d.Timeline(ctx, r.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	last := tl[len(tl)-1]
	if last.Kind != db.KindInbound || !strings.Contains(last.Body, "Firefox 130.") {
		t.Fatalf("last entry %s %q", last.Kind, last.Body)
	}
	if notice := to(sent(), "tri@example.org"); !strings.Contains(notice.Header.Get("Subject"), "Reporter replied") {
		t.Errorf("no staff notice of the answer: %q", notice.Header.Get("Subject"))
	}
}

func toAll(msgs []*mailtest.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.To...)
	}
	return out
}
