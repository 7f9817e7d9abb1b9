package mailin

import (
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

// trustMode is how the database keeps report data: the forgeries below must
// fail the same way in each, above all while sealed addresses cannot be read.
type trustMode struct {
	name           string
	sealed, locked bool
}

var trustModes = []trustMode{{"Plain", false, false}, {"SealedLocked", true, true}, {"SealedUnlocked", true, false}}

// trustDB opens a database with the mail notifier, a clock, and sealing as
// m says; it returns the team key (nil when plain).
func trustDB(t *testing.T, m trustMode) (*db.DB, *testClock, *pgp.TeamKey) {
	t.Helper()
	d, clock := mustOpenMailDB(t)
	if !m.sealed {
		return d, clock, nil
	}
	team, err := pgp.Generate(pgp.GenerateOptions{Name: "Security", Email: "security@example.org"}, []byte(teamPass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	d.SetSealer(team, true)
	if m.locked {
		team.Lock()
	}
	return d, clock, team
}

// entryByMessageID finds the timeline entry a mail became, on any report.
func entryByMessageID(t *testing.T, d *db.DB, msgID string) (reportID, entryID int64, unverified, public bool) {
	t.Helper()
	err := peek(t, d).QueryRow(`SELECT report_id, id, unverified, public FROM messages WHERE message_id = ?`, msgID).
		Scan(&reportID, &entryID, &unverified, &public)
	if err != nil {
		t.Fatalf("entry of %s: %v", msgID, err)
	}
	return
}

// TestMailTrustOtherSender: a reply threaded by reference from another
// address than the reporter's is marked for staff, and the reporter's own is
// not, also while her sealed address cannot be read (it was compared with
// ciphertext: every reply was marked).
func TestMailTrustOtherSender(t *testing.T) {
	for _, m := range trustModes {
		t.Run(m.name, func(t *testing.T) {
			srv := startMemIMAP(t, nil)
			d, _, _ := trustDB(t, m)
			in := newTestIntake(t, srv.addr, d)
			srv.deliver(t, "INBOX", mailText("ann@researcher.test", "SQLi", "<o1@researcher.test>", "", "login form\n"))
			pollOnce(t, in)
			r, _ := timeline(t, d, "SEC-1")
			ackID, _, _ := ackOf(t, d, r.ID)
			marks := func() int {
				_, msgs := timeline(t, d, "SEC-1")
				n := 0
				for _, e := range msgs {
					if e.Event == "mail.sender" {
						n++
					}
				}
				return n
			}
			srv.deliver(t, "INBOX", mailText("ANN@researcher.test", "Re: [SEC-1]", "<o2@researcher.test>", "In-Reply-To: "+ackID, "more\n"))
			pollOnce(t, in)
			if got := marks(); got != 0 {
				t.Errorf("the reporter's reply got %d other-sender notes, want 0", got)
			}
			srv.deliver(t, "INBOX", mailText("colleague@elsewhere.test", "Re: [SEC-1]", "<o3@elsewhere.test>", "In-Reply-To: "+ackID, "me too\n"))
			pollOnce(t, in)
			if got := marks(); got != 1 {
				t.Errorf("a colleague's reply got %d other-sender notes, want 1", got)
			}
		})
	}
}
