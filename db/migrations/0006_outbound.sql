-- 0006: outbound mail, staff notifications and webhooks.

-- A worker claims a due mail by setting lease_until; a worker that dies
-- mid-send leaves the lease to expire and the mail is sent again with the
-- Message-ID fixed at enqueue. queued_at starts the give-up clock (NULL: the
-- mail's created_at); an admin's retry resets it. encrypt asks the sender to
-- encrypt to the reporter's key; user_id names the staff recipient, if any.
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
ALTER TABLE outbox ADD COLUMN queued_at TEXT;
ALTER TABLE outbox ADD COLUMN encrypt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN user_id INTEGER REFERENCES users (id) ON DELETE SET NULL;

-- outbox_attachments are the files of a triager's reply that go out with it;
-- the bytes stay in attachment_data.
CREATE TABLE outbox_attachments (
	outbox_id     INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
	attachment_id INTEGER NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
	PRIMARY KEY (outbox_id, attachment_id)
);

-- notification_prefs: how a staff user hears of new reports and reporter
-- replies in their programs. No row means every event, content-free.
CREATE TABLE notification_prefs (
	user_id        INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	mode           TEXT NOT NULL DEFAULT 'every' CHECK (mode IN ('every', 'digest', 'none')),
	include_title  INTEGER NOT NULL DEFAULT 0,
	digest_sent_at TEXT,
	updated_at     TEXT NOT NULL
);

-- digest_items wait for a user's daily digest.
CREATE TABLE digest_items (
	id         INTEGER PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	report_id  INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
	event      TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX digest_items_user ON digest_items (user_id, id);

-- reminders counts the needs_info reminders sent for one waiting period
-- (paused_at of the report); a new period starts the count again.
CREATE TABLE reminders (
	report_id INTEGER PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
	paused_at TEXT NOT NULL,
	sent      INTEGER NOT NULL DEFAULT 0,
	last_at   TEXT NOT NULL
);

-- webhooks: a program's endpoints. The secret signs every delivery
-- (HMAC-SHA256); content-free unless include_content.
CREATE TABLE webhooks (
	id              INTEGER PRIMARY KEY,
	program_id      INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
	url             TEXT NOT NULL,
	secret          TEXT NOT NULL,
	format          TEXT NOT NULL DEFAULT 'generic' CHECK (format IN ('generic', 'slack')),
	include_content INTEGER NOT NULL DEFAULT 0,
	enabled         INTEGER NOT NULL DEFAULT 1,
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
);
CREATE INDEX webhooks_program ON webhooks (program_id);

-- webhook_deliveries is the webhook outbox: written in the transaction of
-- the event, sent by a worker with retries like mail.
CREATE TABLE webhook_deliveries (
	id              INTEGER PRIMARY KEY,
	webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	report_id       INTEGER REFERENCES reports (id) ON DELETE SET NULL,
	event           TEXT NOT NULL,
	ref             TEXT NOT NULL,
	from_state      TEXT NOT NULL DEFAULT '',
	to_state        TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	lease_until     TEXT,
	last_error      TEXT NOT NULL DEFAULT '',
	queued_at       TEXT,
	created_at      TEXT NOT NULL,
	sent_at         TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
