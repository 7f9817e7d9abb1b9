-- 0015: who a mail is from, and whom the portal may mail (mail_trust.go).

-- reporters.email_hash is a keyed hash (LocalKey, purpose "mail-address") of
-- the reporter's normalised address. It lets intake compare a sender with a
-- sealed reporter address while the team key is locked (subject-tag
-- threading, the "other sender" note), and no one holding a copy of the
-- database can test guesses against it. Rows written before this migration
-- have none: plain rows are compared in clear, sealed rows when the key is
-- unlocked, and the unlocked key fills them in (DB.HashAddresses).
ALTER TABLE reporters ADD COLUMN email_hash BLOB;
CREATE INDEX reporters_unhashed ON reporters (id) WHERE email_hash IS NULL AND email <> '';

-- ack_recipients counts the acknowledgements of the last day per recipient,
-- by the same hash of the recipient's address: the cap on acknowledgements
-- (web and mail alike, mail_ack.go) reads it, so it works while addresses
-- are sealed. Rows older than a day are deleted as new ones come, so no
-- hash stays longer than the cap needs it. It replaces the index on
-- outbox.to_addr, which compared ciphertext in sealed mode. Acknowledgements
-- queued before this migration are not counted: for the first day after the
-- upgrade an address may get up to one cap more.
CREATE TABLE ack_recipients (
	hash       BLOB NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX ack_recipients_hash ON ack_recipients (hash, created_at);
CREATE INDEX ack_recipients_created ON ack_recipients (created_at);
DROP INDEX outbox_ack_to;

-- messages.unverified marks a reporter entry made from a mail that reached
-- its report by the subject tag alone (From is forged at will, references
-- are sequential): kept off the reporter's timeline (public = 0), moving no
-- state, until a triager accepts it (DB.AcceptMail).
ALTER TABLE messages ADD COLUMN unverified INTEGER NOT NULL DEFAULT 0;
