-- 0001: the foundation schema. Later migrations add columns and tables; none
-- rewrites this file.

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
);

-- users are staff accounts; the triage migration adds credentials and sessions.
CREATE TABLE users (
	id         INTEGER PRIMARY KEY,
	email      TEXT NOT NULL UNIQUE COLLATE NOCASE,
	name       TEXT NOT NULL DEFAULT '',
	role       TEXT NOT NULL CHECK (role IN ('admin', 'triager', 'viewer')),
	disabled   INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL
);

CREATE TABLE programs (
	id                    INTEGER PRIMARY KEY,
	slug                  TEXT NOT NULL UNIQUE,
	name                  TEXT NOT NULL,
	prefix                TEXT NOT NULL UNIQUE CHECK (prefix GLOB '[A-Z]*' AND length(prefix) BETWEEN 2 AND 12),
	policy                TEXT NOT NULL DEFAULT '',
	scope                 TEXT NOT NULL DEFAULT '',
	email                 TEXT NOT NULL DEFAULT '',
	is_default            INTEGER NOT NULL DEFAULT 0,
	next_number           INTEGER NOT NULL DEFAULT 1,
	first_response_days   INTEGER NOT NULL DEFAULT 3,
	triage_days           INTEGER NOT NULL DEFAULT 10,
	resolve_critical_days INTEGER NOT NULL DEFAULT 7,
	resolve_high_days     INTEGER NOT NULL DEFAULT 30,
	resolve_medium_days   INTEGER NOT NULL DEFAULT 90,
	resolve_low_days      INTEGER NOT NULL DEFAULT 180,
	disclosure_days       INTEGER NOT NULL DEFAULT 90,
	archived              INTEGER NOT NULL DEFAULT 0,
	created_at            TEXT NOT NULL,
	updated_at            TEXT NOT NULL
);
CREATE UNIQUE INDEX programs_one_default ON programs (is_default) WHERE is_default = 1;

CREATE TABLE program_members (
	program_id INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	PRIMARY KEY (program_id, user_id)
);

-- reporters: every field optional; with sealing on, name, email and key are
-- stored as OpenPGP messages and sealed = 1.
CREATE TABLE reporters (
	id              INTEGER PRIMARY KEY,
	name            TEXT NOT NULL DEFAULT '',
	email           TEXT NOT NULL DEFAULT '',
	pgp_key         TEXT NOT NULL DEFAULT '',
	pgp_fingerprint TEXT NOT NULL DEFAULT '',
	credit          TEXT NOT NULL DEFAULT 'anonymous' CHECK (credit IN ('name', 'handle', 'anonymous')),
	sealed          INTEGER NOT NULL DEFAULT 0,
	created_at      TEXT NOT NULL
);

CREATE TABLE reports (
	id                INTEGER PRIMARY KEY,
	program_id        INTEGER NOT NULL REFERENCES programs (id),
	number            INTEGER NOT NULL,
	reporter_id       INTEGER REFERENCES reporters (id),
	source            TEXT NOT NULL CHECK (source IN ('web', 'email')),
	state             TEXT NOT NULL DEFAULT 'new',
	prev_state        TEXT NOT NULL DEFAULT '',
	title             TEXT NOT NULL,
	asset             TEXT NOT NULL DEFAULT '',
	cwe               TEXT NOT NULL DEFAULT '',
	description       TEXT NOT NULL DEFAULT '',
	steps             TEXT NOT NULL DEFAULT '',
	impact            TEXT NOT NULL DEFAULT '',
	cvss_vector       TEXT NOT NULL DEFAULT '',
	cvss_score        REAL,
	severity          TEXT NOT NULL DEFAULT '' CHECK (severity IN ('', 'none', 'low', 'medium', 'high', 'critical')),
	cve_id            TEXT NOT NULL DEFAULT '',
	already_public    INTEGER NOT NULL DEFAULT 0,
	exploited         INTEGER NOT NULL DEFAULT 0,
	assignee_id       INTEGER REFERENCES users (id),
	duplicate_of      INTEGER REFERENCES reports (id),
	close_reason      TEXT NOT NULL DEFAULT '',
	disclosure_at     TEXT,
	disclosure_tz     TEXT NOT NULL DEFAULT '',
	credit            TEXT NOT NULL DEFAULT '',
	receipt_hash      BLOB UNIQUE,
	submission_key    TEXT UNIQUE,
	version           INTEGER NOT NULL DEFAULT 1,
	sealed            INTEGER NOT NULL DEFAULT 0,
	legal_hold        INTEGER NOT NULL DEFAULT 0,
	anonymised_at     TEXT,
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL,
	first_response_at TEXT,
	triaged_at        TEXT,
	resolved_at       TEXT,
	closed_at         TEXT,
	paused_at         TEXT,
	paused_seconds    INTEGER NOT NULL DEFAULT 0,
	UNIQUE (program_id, number)
);
CREATE INDEX reports_state_created ON reports (state, created_at);
CREATE INDEX reports_program_created ON reports (program_id, created_at);

-- messages are the timeline: inbound (reporter), reply (public), note
-- (internal, never shown to the reporter) and event (state change, edit).
CREATE TABLE messages (
	id         INTEGER PRIMARY KEY,
	report_id  INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL CHECK (kind IN ('inbound', 'reply', 'note', 'event')),
	public     INTEGER NOT NULL,
	author_id  INTEGER REFERENCES users (id),
	source     TEXT NOT NULL DEFAULT '',
	body       TEXT NOT NULL DEFAULT '',
	event      TEXT NOT NULL DEFAULT '',
	from_state TEXT NOT NULL DEFAULT '',
	to_state   TEXT NOT NULL DEFAULT '',
	message_id TEXT UNIQUE,
	sealed     INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	CHECK (kind <> 'note' OR public = 0)
);
CREATE INDEX messages_report ON messages (report_id, id);

CREATE TABLE attachments (
	id           INTEGER PRIMARY KEY,
	message_id   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	filename     TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         INTEGER NOT NULL,
	sha256       TEXT NOT NULL,
	sealed       INTEGER NOT NULL DEFAULT 0,
	created_at   TEXT NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);

-- attachment_data keeps the bytes apart so that listing attachments never
-- reads them.
CREATE TABLE attachment_data (
	attachment_id INTEGER PRIMARY KEY REFERENCES attachments (id) ON DELETE CASCADE,
	data          BLOB NOT NULL
);

-- audit is append-only and hash-chained: each row's hash covers the previous
-- row's hash and its own fields.
CREATE TABLE audit (
	id          INTEGER PRIMARY KEY,
	at          TEXT NOT NULL,
	actor_id    INTEGER,
	actor       TEXT NOT NULL,
	client_addr TEXT NOT NULL DEFAULT '',
	action      TEXT NOT NULL,
	target      TEXT NOT NULL DEFAULT '',
	detail      TEXT NOT NULL DEFAULT '',
	prev_hash   TEXT NOT NULL,
	hash        TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

-- reports_fts indexes report text; sealed rows are never indexed on disk.
CREATE VIRTUAL TABLE reports_fts USING fts5 (
	title, asset, description, steps, impact,
	content = 'reports', content_rowid = 'id', tokenize = 'porter unicode61'
);
CREATE TRIGGER reports_fts_insert AFTER INSERT ON reports WHEN new.sealed = 0 BEGIN
	INSERT INTO reports_fts (rowid, title, asset, description, steps, impact)
	VALUES (new.id, new.title, new.asset, new.description, new.steps, new.impact);
END;
CREATE TRIGGER reports_fts_delete AFTER DELETE ON reports WHEN old.sealed = 0 BEGIN
	INSERT INTO reports_fts (reports_fts, rowid, title, asset, description, steps, impact)
	VALUES ('delete', old.id, old.title, old.asset, old.description, old.steps, old.impact);
END;
CREATE TRIGGER reports_fts_update_old AFTER UPDATE OF title, asset, description, steps, impact, sealed ON reports WHEN old.sealed = 0 BEGIN
	INSERT INTO reports_fts (reports_fts, rowid, title, asset, description, steps, impact)
	VALUES ('delete', old.id, old.title, old.asset, old.description, old.steps, old.impact);
END;
CREATE TRIGGER reports_fts_update_new AFTER UPDATE OF title, asset, description, steps, impact, sealed ON reports WHEN new.sealed = 0 BEGIN
	INSERT INTO reports_fts (rowid, title, asset, description, steps, impact)
	VALUES (new.id, new.title, new.asset, new.description, new.steps, new.impact);
END;
