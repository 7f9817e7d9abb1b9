-- 0021: events. An action that people may be told about (a new report, a
-- reporter's mail, a reply, a state change, a reminder) records a row here in
-- its own transaction: ids and kind only, never report text. The mail gateway
-- (mailin) composes the mail from it later, writes the outbox rows and sets
-- done_at in one transaction, so a crash between the action and the mail
-- loses nothing and an event is composed once. Done rows are kept a week.
CREATE TABLE events (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
	message_id INTEGER,          -- the timeline entry it is about (messages.id), if any
	actor_id INTEGER,            -- the staff user who acted; NULL for the reporter and the system
	actor TEXT NOT NULL,         -- 'staff', 'reporter' or 'system'
	from_state TEXT NOT NULL DEFAULT '',
	to_state TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	done_at TEXT
);
CREATE INDEX events_pending ON events (id) WHERE done_at IS NULL;
CREATE INDEX events_done ON events (done_at) WHERE done_at IS NOT NULL;
