package wording_test

import (
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views/wording"
)

// TestStates: every state has words of its own (none falls back to its
// code), and the reporter reads "received" for a new report.
func TestStates(t *testing.T) {
	seen := map[string]db.State{}
	for _, s := range db.States {
		got := wording.State(s)
		if got == string(s) || got == "" {
			t.Errorf("State(%q) = %q: no words for it", s, got)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%q and %q both read %q", s, other, got)
		}
		seen[got] = s
	}
	if got, want := wording.State(db.StateWontFix), "Closed: won't fix"; got != want {
		t.Errorf("State(wont_fix) = %q, want %q", got, want)
	}
	if got, want := wording.ReporterState(db.StateNew), "Received, awaiting triage"; got != want {
		t.Errorf("ReporterState(new) = %q, want %q", got, want)
	}
	if got, want := wording.ReporterState(db.StateNeedsInfo), "Needs information"; got != want {
		t.Errorf("ReporterState(needs_info) = %q, want %q", got, want)
	}
	if got, want := wording.Deadline(db.DeadlineFirstResponse), "First response"; got != want {
		t.Errorf("Deadline(first_response) = %q, want %q", got, want)
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 1: "1 byte", 2: "2 bytes", 1023: "1023 bytes", 1024: "1 KB",
		10 << 20: "10.0 MB", 1536 << 10: "1.5 MB"} {
		if got := wording.Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestPGP(t *testing.T) {
	for _, c := range []struct {
		state db.PGPState
		sig   db.PGPSignature
		want  string
	}{
		{"", "", ""},
		{db.PGPDecrypted, db.SigVerified, "encrypted · signed and verified"},
		{db.PGPPending, "", "encrypted; will be decrypted when the team key is unlocked"},
		{"", db.SigBad, "bad signature"},
	} {
		if got := wording.PGP(c.state, c.sig); got != c.want {
			t.Errorf("PGP(%q, %q) = %q, want %q", c.state, c.sig, got, c.want)
		}
	}
}

// TestSay: db's keyed messages read as the sentences db wrote before it
// left the words to views; a sentence passes as it is; a key this build
// does not know never shows its raw form.
func TestSay(t *testing.T) {
	for msg, want := range map[string]string{
		db.Keyed(db.MsgTransition, string(db.StateTriaged), string(db.StateNew)): `A report in state "Triaged" cannot move to "New".`,
		db.Keyed(db.MsgFileTooLarge, `"poc\x00.html"`, "2097152", "1048576"):     `"poc\x00.html" is 2.0 MB; each file may be at most 1.0 MB.`,
		"Give the report a short title.":                                         "Give the report a short title.",
		db.Keyed("no-such-key", "x"):                                             "This could not be done.",
		db.Keyed(db.MsgTransition, "only one"):                                   "This could not be done.",
	} {
		if got := wording.Say(msg); got != want {
			t.Errorf("Say(%q) = %q, want %q", msg, got, want)
		}
	}
	if got, want := wording.FileTooLarge("a\"b.txt", 3<<20, 1<<20), `"a\"b.txt" is 3.0 MB; each file may be at most 1.0 MB.`; got != want {
		t.Errorf("FileTooLarge = %q, want %q", got, want)
	}
}
