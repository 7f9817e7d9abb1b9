package mailin

import (
	"context"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestReporterOwnMessageIDThreadsUnverified: the reporter's own
// Message-ID is no secret of ours. Her mail program made it (often from the
// time and host name), and everyone she copied saw it: a public list, a
// colleague, the vendor's archive. A mail that names it threads onto her
// report, but unverified, for staff only, and moves no state, whatever its
// From says. Naming a Message-ID we sent her still proves the mail answers
// ours, even next to hers.
func TestReporterOwnMessageIDThreadsUnverified(t *testing.T) {
	ctx := context.Background()
	for _, m := range trustModes {
		t.Run(m.name, func(t *testing.T) {
			srv := startMemIMAP(t, nil)
			d, _, _ := trustDB(t, m)
			in := newTestIntake(t, srv.addr, d)
			// Ann reports by mail, Cc a public list; her mail program names the mail by time and host.
			const hers = "<20260301100000.GA4242@laptop.researcher.test>"
			srv.deliver(t, "INBOX", mailText("Ann <ann@researcher.test>", "SQLi in login", hers,
				"Cc: oss-security@lists.example", "The login form is injectable.\n"))
			pollOnce(t, in)
			r, _ := timeline(t, d, "SEC-1")
			ack, _, _ := ackOf(t, d, r.ID)
			setState(t, d, r.ID, "needs_info", "triaged")

			// Anyone on the list forges her From and answers her mail.
			srv.deliver(t, "INBOX", mailText("Ann <ann@researcher.test>", "Re: SQLi in login", "<f9@evil.test>",
				"In-Reply-To: "+hers+"\nReferences: "+hers, "Withdrawn, it was a false positive; please close and delete.\n"))
			pollOnce(t, in)
			reportID, _, unverified, public := entryByMessageID(t, d, "<f9@evil.test>")
			r, _ = timeline(t, d, "SEC-1")
			pub, err := d.Timeline(ctx, r.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			if reportID != r.ID || !unverified || public || r.State != db.StateNeedsInfo || len(inbound(pub)) != 1 {
				t.Errorf("a mail naming only her own Message-ID: report %d unverified=%v public=%v state=%q public inbound entries %d; want it on SEC-1 for staff only, state needs_info",
					reportID, unverified, public, r.State, len(inbound(pub)))
			}

			// Her real answer to our acknowledgement names ours after hers.
			srv.deliver(t, "INBOX", mailText("Ann <ann@researcher.test>", "Re: [SEC-1] Report received", "<a2@researcher.test>",
				"In-Reply-To: "+hers+"\nReferences: "+ack+" "+hers, "Here is the second PoC.\n"))
			pollOnce(t, in)
			_, _, unverified, public = entryByMessageID(t, d, "<a2@researcher.test>")
			r, _ = timeline(t, d, "SEC-1")
			if unverified || !public || r.State != db.StateTriaged {
				t.Errorf("her answer to our mail: unverified=%v public=%v state=%q, want it on her timeline, state triaged", unverified, public, r.State)
			}
		})
	}
}
