-- 0005: mail intake. The poller keeps, per mailbox, where it stopped; every
-- message it took is kept raw; what could not be turned into a report or a
-- reply (auto-replies, bounces, duplicates, messages that kept failing) is
-- kept too, for admins.

-- mail_mailboxes is the exactly-once bookkeeping: a message with a UID at or
-- below last_uid committed under this uid_validity. A new UIDVALIDITY resets
-- last_uid to 0 and the mailbox is read again (dedupe makes it harmless).
CREATE TABLE mail_mailboxes (
	name         TEXT PRIMARY KEY,
	uid_validity INTEGER NOT NULL,
	last_uid     INTEGER NOT NULL DEFAULT 0,
	updated_at   TEXT NOT NULL
);

-- mail_raw is one row per message taken from the mailbox, as received.
-- dedupe_key is the Message-ID, or "sha256:<hash of the raw bytes>" when there
-- is none; it is unique, so a message fetched again after a crash adds
-- nothing. Duplicates (same Message-ID, other bytes) and set-aside messages
-- carry no key. sha256 catches the byte-identical re-fetch of any kind.
CREATE TABLE mail_raw (
	id           INTEGER PRIMARY KEY,
	kind         TEXT NOT NULL CHECK (kind IN ('report', 'reply', 'autoreply', 'bounce', 'duplicate', 'set_aside')),
	dedupe_key   TEXT UNIQUE,
	sha256       TEXT NOT NULL UNIQUE,
	size         INTEGER NOT NULL,
	message_id   TEXT NOT NULL DEFAULT '',
	from_addr    TEXT NOT NULL DEFAULT '',
	subject      TEXT NOT NULL DEFAULT '',
	report_id    INTEGER REFERENCES reports (id) ON DELETE SET NULL,
	entry_id     INTEGER REFERENCES messages (id) ON DELETE SET NULL,
	note         TEXT NOT NULL DEFAULT '',
	attempts     INTEGER NOT NULL DEFAULT 0,
	mailbox      TEXT NOT NULL DEFAULT '',
	uid_validity INTEGER NOT NULL DEFAULT 0,
	uid          INTEGER NOT NULL DEFAULT 0,
	sealed       INTEGER NOT NULL DEFAULT 0,
	created_at   TEXT NOT NULL
);
CREATE INDEX mail_raw_entry ON mail_raw (entry_id);
CREATE INDEX mail_raw_kind ON mail_raw (kind, id);

-- mail_raw_chunks holds the bytes in pieces, so that neither storing nor
-- downloading a 30 MB message holds it in memory whole.
CREATE TABLE mail_raw_chunks (
	raw_id INTEGER NOT NULL REFERENCES mail_raw (id) ON DELETE CASCADE,
	seq    INTEGER NOT NULL,
	data   BLOB NOT NULL,
	PRIMARY KEY (raw_id, seq)
) WITHOUT ROWID;

-- mail_failures counts failed attempts at one message; at the limit the
-- message is set aside (mail_raw kind 'set_aside') and its row goes.
CREATE TABLE mail_failures (
	mailbox      TEXT NOT NULL,
	uid_validity INTEGER NOT NULL,
	uid          INTEGER NOT NULL,
	attempts     INTEGER NOT NULL,
	last_error   TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	PRIMARY KEY (mailbox, uid_validity, uid)
);

-- mail_intake is the one-row status admins see; the counts come from
-- mail_raw, so they can never drift from what is kept.
CREATE TABLE mail_intake (
	id            INTEGER PRIMARY KEY CHECK (id = 1),
	last_poll_at  TEXT,
	last_ok_at    TEXT,
	last_error    TEXT NOT NULL DEFAULT '',
	last_error_at TEXT,
	polls         INTEGER NOT NULL DEFAULT 0
);
INSERT INTO mail_intake (id) VALUES (1);
