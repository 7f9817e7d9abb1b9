-- 0002: the outbox. Every outgoing mail is written here in the transaction of
-- the action that causes it, with its Message-ID fixed, then sent by a worker.
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	report_id       INTEGER REFERENCES reports (id) ON DELETE SET NULL,
	kind            TEXT NOT NULL,
	message_id      TEXT NOT NULL UNIQUE,
	in_reply_to     TEXT NOT NULL DEFAULT '',
	refs            TEXT NOT NULL DEFAULT '',
	to_addr         TEXT NOT NULL,
	subject         TEXT NOT NULL,
	body            TEXT NOT NULL,
	auto_submitted  INTEGER NOT NULL DEFAULT 0,
	status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL,
	sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_report ON outbox (report_id);
