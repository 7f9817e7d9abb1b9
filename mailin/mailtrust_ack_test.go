package mailin

import (
	"context"
	"testing"
	"time"
)

// TestMailTrustAckCap: a stranger who types a victim's address into the web
// form and forges it as From gets the portal to mail the victim at most 5
// acknowledgements an hour, web and mail together, however the address is
// spelled, sealed or not (the web ones had no cap, and the mail cap compared
// sealed ciphertext, so it never triggered).
func TestMailTrustAckCap(t *testing.T) {
	ctx := context.Background()
	for _, m := range trustModes {
		t.Run(m.name, func(t *testing.T) {
			srv := startMemIMAP(t, nil)
			d, clock, _ := trustDB(t, m)
			in := newTestIntake(t, srv.addr, d)
			acks := func() int {
				var n int
				if err := peek(t, d).QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = 'ack'`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			for _, addr := range []string{"victim@example.net", "Victim@Example.NET", "victim+1@example.net"} {
				webReport(t, d, "Your account is locked", addr)
			}
			for i, addr := range []string{"victim@example.net", "VICTIM+2@example.net", "victim@example.net", "victim+3@EXAMPLE.net"} {
				srv.deliver(t, "INBOX", mailText(addr, "Invoice", "<cap"+string(rune('a'+i))+"@evil.test>", "", "Pay now.\n"))
			}
			if got, want := pollOnce(t, in).Reports, 4; got != want {
				t.Fatalf("reports by mail = %d, want %d: every mail still opens a report", got, want)
			}
			if got, want := acks(), 5; got != want {
				t.Fatalf("acknowledgements = %d, want %d", got, want)
			}
			n, err := d.CountReports(ctx)
			if err != nil || n != 7 {
				t.Fatalf("reports = %d (%v), want 7", n, err)
			}
			_, msgs := timeline(t, d, "SEC-7")
			if last := msgs[len(msgs)-1]; last.Event != "mail.ack_capped" || last.Public {
				t.Errorf("the capped report's last entry is %q public=%v, want a staff note on the cap", last.Event, last.Public)
			}
			// Another address is not held back; the victim's count recovers
			// an hour later.
			webReport(t, d, "XSS", "someone@example.org")
			clock.Add(61 * time.Minute)
			webReport(t, d, "Your account is locked", "victim@example.net")
			if got, want := acks(), 7; got != want {
				t.Errorf("acknowledgements = %d, want %d", got, want)
			}
		})
	}
}
