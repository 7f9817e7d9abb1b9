// Package mailin is the mail gateway of disclose: everything that speaks
// mail lives here or below (IMAP intake, MIME parsing, threading, outbound
// SMTP and the outbox worker, and OpenPGP in mailin/pgp).
package mailin
