// Package mailin is the mail gateway of disclose: everything that speaks
// mail lives here or below (IMAP intake, MIME parsing, threading, outbound
// SMTP and the outbox worker, and OpenPGP in mailin/pgp).
//
// # Intake
//
// Intake reads the security mailbox over IMAP (implicit TLS, STARTTLS, or
// plaintext to loopback only) and turns each message into a new report, a
// reply on an existing report, or a kept automatic mail, exactly once:
//
//   - The mailbox's UIDVALIDITY and the last committed UID live in the
//     database (mail_mailboxes), written in the transaction of the message.
//   - A message is flagged \Seen and moved to the processed folder only after
//     its transaction committed. A crash in between leaves it in the mailbox
//     at or below the stored UID: the next poll only flags and moves it.
//   - Every message's raw bytes are kept (mail_raw, in chunks) with a unique
//     hash, and its Message-ID (or the hash, when it has none) is a unique
//     key: a message fetched again, after a crash or a UIDVALIDITY change,
//     adds nothing.
//   - Messages are committed in groups for speed; a failing message stops
//     its group, so the stored position never passes a failure that is not
//     recorded. A message that keeps failing (3 attempts) is set aside, raw
//     with its error, for admins, and moved; it is never retried forever nor
//     dropped.
//   - Each committed batch is flagged and moved in the background while the
//     next batch is fetched and committed (finish.go).
//   - Before a batch is parsed, a mark naming it is committed
//     (db.MarkMailReading): a process that dies while reading it (out of
//     memory, a kill) leaves the mark, and the next poll reads that batch
//     one marked message at a time; a stop there counts as a failed attempt
//     of the message, and at the limit it is set aside without being read.
//
// Memory stays bounded whatever the mail: a message or part over 1 MB (or
// past 8 MB of a mail's attachments in memory) spills to an unlinked
// temporary file in the spool directory, encrypted with age under a key
// this process holds in memory only (no plaintext of a mail reaches the disk
// there), and an attachment that did is stored from there in 256 KB chunks
// (db.SpooledFile), never held whole; what decryption and signature checks
// read and write is spooled too, and all decryptions of a mail share one
// decompression budget (Limits.MaxDecryptedBytes), charged while the
// plaintext streams. The messages parsed ahead of their commit share a bound
// (ingest_inflight.go). Sealed mode is the exception: sealing needs a file
// whole.
//
// Threading follows In-Reply-To and References against Message-IDs the
// portal sent (outbox), then those it received (messages: the reporter's
// own, which every Cc saw); a [PREFIX-N] subject tag counts only when the
// From address is that report's reporter. Found by a received Message-ID
// or the tag, the mail is unverified (for staff only, moving nothing) until
// a triager accepts it, unless a key bound to the reporter signed the whole
// of it and the signed content names the report: a tag, a From and the
// reporter's own Message-ID prove nothing. Reply-To never decides identity.
// An organisation's mailbox threads only into its own organisation
// (filesInto). Auto-replies and
// bounces (Auto-Submitted, Precedence bulk/junk/list, multipart/report, an
// empty Return-Path) never open reports; a delivery report from a bounce
// sender (isDSN) naming a pending or recent mail of the outbox marks that
// mail failed.
//
// # OpenPGP
//
// With a team key (UsePGP), PGP/MIME (RFC 3156 multipart/encrypted), inline
// armored blocks in text parts, and .pgp/.gpg/.asc attachments are decrypted
// and the decrypted MIME tree parsed like any mail. Signatures
// (multipart/signed over the CRLF-canonical part, signed-and-encrypted,
// cleartext-signed blocks) are checked against the keys bound to the
// reporter of the report the mail goes to (given with that report, saved by
// a triager; db.DB.KnownKeys) and the keys the mail carried (attachments, an
// Autocrypt header for the From address); the worst outcome is recorded, so
// one forged part is never hidden, and good signatures none of which covers
// the whole mail are only partial (db.SigPartial; see coverage). The
// database, which knows where the mail went, keeps "verified" only for a
// bound key (db.SigIntegrity otherwise).
// Keys that came with a mail are offered to the triager, never trusted by
// themselves.
//
// While the key is locked, encrypted mail is stored as received with the
// entry marked pending; DecryptPending re-reads the kept raw bytes once the
// key is unlocked. Mail that cannot be decrypted (another key, damaged,
// truncated, over the decompression budget that all decryptions of one
// mail share, Limits.MaxDecryptedBytes) is kept with a clear note.
//
// # Decisions and storage
//
// Intake decides what each message becomes (take.go: the same bytes again,
// automatic mail, a Message-ID seen before, an answer to a staff notice, a
// reply, or a new report in the program of the first address that has one,
// with its acknowledgement) and stores each decision through *db.Tx methods
// inside one db.DB.Update per group of messages, each message in its own
// attempt (db.Tx.Attempt), the mailbox position in the same transaction.
// The acknowledgement of a mailed report is written there, in the report's
// transaction, capped per recipient with web acknowledgements
// (db.Tx.EnqueueAck); the Notifier never acknowledges a report whose Source
// is email.
//
// # Notifications
//
// db does not call the gateway: an action records an event (ids and kind).
// Events (events.go), woken by the commit that recorded it
// (db.DB.EventsRecorded) and every minute, reads each pending event with
// what its mail needs, composes the mail (Notifier) and writes the outbox
// rows and the event's completion in one transaction, so a crash loses no
// mail and an event is composed once. While the team key is locked, events
// whose mail carries sealed text (replies, state changes) wait. Reminders
// are events too; digests are composed by Jobs in the transaction that
// reads them.
package mailin
