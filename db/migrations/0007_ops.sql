-- 0007: operations. Retention rules per program, and an index that lets the
-- metrics count intake from the append-only audit log.

-- retention_rules: how long a program keeps finished reports. 0 in a column
-- means "keep forever"; a program without a row keeps everything.
CREATE TABLE retention_rules (
	program_id       INTEGER PRIMARY KEY REFERENCES programs (id) ON DELETE CASCADE,
	attachments_days INTEGER NOT NULL DEFAULT 0 CHECK (attachments_days >= 0),
	anonymise_days   INTEGER NOT NULL DEFAULT 0 CHECK (anonymise_days >= 0),
	spam_delete_days INTEGER NOT NULL DEFAULT 0 CHECK (spam_delete_days >= 0),
	updated_at       TEXT NOT NULL
);

CREATE INDEX audit_action ON audit (action);
CREATE INDEX reports_closed ON reports (closed_at) WHERE closed_at IS NOT NULL;
