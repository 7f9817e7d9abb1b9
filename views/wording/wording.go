// Package wording is the text people read for the values db stores: a
// state's name, a deadline's clock, an entry's OpenPGP state, a size in
// KB or MB, and the sentences db returns as keyed messages (db.Keyed).
//
// The pages (views) and the mails (mailin) both show these words, so they
// live here once, in a package that imports only db's types and the
// standard library (no templ): a state reads the same in a notification
// mail as on the page it links to.
package wording

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/disclose/disclose/db"
)

// State is the state as staff read it.
func State(s db.State) string {
	switch s {
	case db.StateNew:
		return "New"
	case db.StateTriaged:
		return "Triaged"
	case db.StateNeedsInfo:
		return "Needs information"
	case db.StateResolved:
		return "Resolved"
	case db.StateDisclosed:
		return "Disclosed"
	case db.StateDuplicate:
		return "Closed: duplicate"
	case db.StateInformative:
		return "Closed: informative"
	case db.StateNotApplicable:
		return "Closed: not applicable"
	case db.StateOutOfScope:
		return "Closed: out of scope"
	case db.StateSpam:
		return "Closed: spam"
	case db.StateWontFix:
		return "Closed: won't fix"
	}
	return string(s)
}

// ReporterState is what a reporter reads on the status page: the same as
// State, with "new" said as "received".
func ReporterState(s db.State) string {
	if s == db.StateNew {
		return "Received, awaiting triage"
	}
	return State(s)
}

// Deadline is the clock as people read it.
func Deadline(k db.DeadlineKind) string {
	switch k {
	case db.DeadlineFirstResponse:
		return "First response"
	case db.DeadlineTriage:
		return "Triage"
	case db.DeadlineResolution:
		return "Resolution"
	case db.DeadlineDisclosure:
		return "Disclosure"
	}
	return string(k)
}

// PGP is the one line the timeline shows for an entry's OpenPGP state, or
// "" when the entry has none.
func PGP(state db.PGPState, sig db.PGPSignature) string {
	var parts []string
	switch state {
	case db.PGPDecrypted:
		parts = append(parts, "encrypted")
	case db.PGPPending:
		parts = append(parts, "encrypted; will be decrypted when the team key is unlocked")
	case db.PGPFailed:
		parts = append(parts, "encrypted; could not be decrypted")
	}
	switch sig {
	case db.SigVerified:
		parts = append(parts, "signed and verified")
	case db.SigIntegrity:
		parts = append(parts, "signed, key not bound to the reporter")
	case db.SigPartial:
		parts = append(parts, "partly signed: not verified")
	case db.SigUnknownKey:
		parts = append(parts, "signed, key unknown")
	case db.SigBad:
		parts = append(parts, "bad signature")
	}
	return strings.Join(parts, " · ")
}

// Bytes prints a size the way people read it (KB, MB).
func Bytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	case n == 1:
		return "1 byte"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// FileTooLarge is the form's error for an attachment of size bytes over
// the limit of each file.
func FileTooLarge(name string, size, limit int64) string {
	return fileTooLarge(strconv.Quote(name), size, limit)
}

func fileTooLarge(quoted string, size, limit int64) string {
	return fmt.Sprintf("%s is %s; each file may be at most %s.", quoted, Bytes(size), Bytes(limit))
}

// Say is the sentence of a message from db: a keyed message (db.Keyed)
// worded here, any other message as it is.
func Say(msg string) string {
	key, args, ok := db.ParseKeyed(msg)
	if !ok {
		return msg
	}
	switch {
	case key == db.MsgTransition && len(args) == 2:
		return fmt.Sprintf("A report in state %q cannot move to %q.", State(db.State(args[0])), State(db.State(args[1])))
	case key == db.MsgFileTooLarge && len(args) == 3:
		size, _ := strconv.ParseInt(args[1], 10, 64)
		limit, _ := strconv.ParseInt(args[2], 10, 64)
		return fileTooLarge(args[0], size, limit)
	}
	// A key this build does not word: say something true rather than
	// show the raw key.
	return "This could not be done."
}
