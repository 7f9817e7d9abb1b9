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

// states are the states as staff read them.
var states = map[db.State]string{
	db.StateNew:           "New",
	db.StateTriaged:       "Triaged",
	db.StateNeedsInfo:     "Needs information",
	db.StateResolved:      "Resolved",
	db.StateDisclosed:     "Disclosed",
	db.StateDuplicate:     "Closed: duplicate",
	db.StateInformative:   "Closed: informative",
	db.StateNotApplicable: "Closed: not applicable",
	db.StateOutOfScope:    "Closed: out of scope",
	db.StateSpam:          "Closed: spam",
	db.StateWontFix:       "Closed: won't fix",
}

// State is the state as staff read it (its code when it has no words).
func State(s db.State) string { return wordOf(states, s) }

// ReporterState is what a reporter reads on the status page: the same as
// State, with "new" said as "received".
func ReporterState(s db.State) string {
	if s == db.StateNew {
		return "Received, awaiting triage"
	}
	return State(s)
}

// deadlines are the clocks as people read them.
var deadlines = map[db.DeadlineKind]string{
	db.DeadlineFirstResponse: "First response",
	db.DeadlineTriage:        "Triage",
	db.DeadlineResolution:    "Resolution",
	db.DeadlineDisclosure:    "Disclosure",
}

// Deadline is the clock as people read it (its code when it has no words).
func Deadline(k db.DeadlineKind) string { return wordOf(deadlines, k) }

// wordOf is the words for a stored code, or the code itself: a value a
// newer build stored still shows as something.
func wordOf[K ~string](words map[K]string, k K) string {
	if w, ok := words[k]; ok {
		return w
	}
	return string(k)
}

// pgpState and pgpSignature word the two halves of an entry's OpenPGP
// line.
var (
	pgpState = map[db.PGPState]string{
		db.PGPDecrypted: "encrypted",
		db.PGPPending:   "encrypted; will be decrypted when the team key is unlocked",
		db.PGPFailed:    "encrypted; could not be decrypted",
	}
	pgpSignature = map[db.PGPSignature]string{
		db.SigVerified:   "signed and verified",
		db.SigIntegrity:  "signed, key not bound to the reporter",
		db.SigPartial:    "partly signed: not verified",
		db.SigUnknownKey: "signed, key unknown",
		db.SigBad:        "bad signature",
	}
)

// PGP is the one line the timeline shows for an entry's OpenPGP state, or
// "" when the entry has none.
func PGP(state db.PGPState, sig db.PGPSignature) string {
	var parts []string
	if w, ok := pgpState[state]; ok {
		parts = append(parts, w)
	}
	if w, ok := pgpSignature[sig]; ok {
		parts = append(parts, w)
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

// TooManyFiles is the form's error for more attachments than one message
// may have, the count in words that agree with it ("at most 1 file").
func TooManyFiles(limit, chose int) string {
	noun := "files"
	if limit == 1 {
		noun = "file"
	}
	return fmt.Sprintf("Attach at most %d %s (you chose %d).", limit, noun, chose)
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
	case key == db.MsgTooManyFiles && len(args) == 2:
		limit, _ := strconv.Atoi(args[0])
		chose, _ := strconv.Atoi(args[1])
		return TooManyFiles(limit, chose)
	case key == db.MsgFileTooLarge && len(args) == 3:
		size, _ := strconv.ParseInt(args[1], 10, 64)
		limit, _ := strconv.ParseInt(args[2], 10, 64)
		return fileTooLarge(args[0], size, limit)
	}
	// A key this build does not word: say something true rather than
	// show the raw key.
	return "This could not be done."
}
