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

-- outbox.to_hash is the same hash of an acknowledgement's recipient: the cap
-- on acknowledgements per recipient (web and mail alike) counts it, so it
-- works while the recipient is sealed. It replaces the index on to_addr,
-- which compared ciphertext in sealed mode. Acknowledgements queued before
-- this migration have none and are not counted: for the first hour after the
-- upgrade an address may get up to one hour's cap more.
ALTER TABLE outbox ADD COLUMN to_hash BLOB;
DROP INDEX outbox_ack_to;
CREATE INDEX outbox_ack_hash ON outbox (to_hash, created_at) WHERE to_hash IS NOT NULL;

-- messages.unverified marks a reporter entry made from a mail that reached
-- its report by the subject tag alone (From is forged at will, references
-- are sequential): kept off the reporter's timeline (public = 0), moving no
-- state, until a triager accepts it (DB.AcceptMail).
ALTER TABLE messages ADD COLUMN unverified INTEGER NOT NULL DEFAULT 0;
