package mailin

import (
	"context"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestMailTrustTagOnly is the forgery of a reporter's reply: the reference
// is sequential and printed on every mail, and From is whatever the sender
// writes, so a stranger who guesses [SEC-1] and the reporter's address must
// not speak on the reporter's timeline nor move the report. The reporter's
// real answer, which names our acknowledgement, still does.
func TestMailTrustTagOnly(t *testing.T) {
	ctx := context.Background()
	for _, m := range trustModes {
		t.Run(m.name, func(t *testing.T) {
			srv := startMemIMAP(t, nil)
			d, _, _ := trustDB(t, m)
			in := newTestIntake(t, srv.addr, d)
			srv.deliver(t, "INBOX", mailText("Ann <ann@researcher.test>", "SQLi in login", "<v1@researcher.test>", "", "The login form is injectable.\n"))
			pollOnce(t, in)
			r, _ := timeline(t, d, "SEC-1")
			ackID, _, _ := ackOf(t, d, r.ID)
			setState(t, d, r.ID, "needs_info", "triaged")

			// The attacker guesses the reference and forges From.
			srv.deliver(t, "INBOX", mailText("Ann <ann@researcher.test>", "[SEC-1] withdrawn", "<f1@evil.test>", "",
				"I withdraw this report, it was a mistake. Please close it.\n"))
			if got, want := pollOnce(t, in).Replies, 1; got != want {
				t.Fatalf("replies = %d, want %d", got, want)
			}
			reportID, _, unverified, public := entryByMessageID(t, d, "<f1@evil.test>")
			r, _ = timeline(t, d, "SEC-1")
			if reportID != r.ID || !unverified || public {
				t.Errorf("forged mail: report %d unverified=%v public=%v; want on SEC-1, unverified, staff only", reportID, unverified, public)
			}
			if got, want := r.State, db.StateNeedsInfo; got != want {
				t.Errorf("state after the forged mail = %q, want %q (it moves nothing)", got, want)
			}
			pub, err := d.Timeline(ctx, r.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(inbound(pub)); got != 1 {
				t.Errorf("the reporter's timeline has %d mails, want only the report", got)
			}

			// Its Message-ID vouches for nothing: a follow-up naming it opens a
			// report of its own rather than reaching SEC-1.
			srv.deliver(t, "INBOX", mailText("Ann <ann@researcher.test>", "Re: withdrawn", "<f2@evil.test>", "References: <f1@evil.test>", "Close it now.\n"))
			pollOnce(t, in)
			if reportID, _, _, _ := entryByMessageID(t, d, "<f2@evil.test>"); reportID == r.ID {
				t.Error("a mail naming the forged mail threaded onto SEC-1")
			}

			// The reporter answers our acknowledgement: that is her.
			srv.deliver(t, "INBOX", mailText("Ann <ann@researcher.test>", "Re: [SEC-1] Report received", "<v2@researcher.test>",
				"In-Reply-To: "+ackID, "Here is the version: 2.3.\n"))
			pollOnce(t, in)
			_, _, unverified, public = entryByMessageID(t, d, "<v2@researcher.test>")
			r, msgs := timeline(t, d, "SEC-1")
			if unverified || !public || r.State != db.StateTriaged {
				t.Errorf("reply by reference: unverified=%v public=%v state %q; want public and triaged", unverified, public, r.State)
			}
			for _, e := range msgs {
				if e.Event == "mail.sender" {
					t.Error("the reporter's own reply is marked as from another address")
				}
			}
		})
	}
}
