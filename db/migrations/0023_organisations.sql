-- 0023: organisations, the level above programs (an agency or reseller and
-- the firms it serves).
--
-- An organisation owns programs and staff memberships (a role per
-- organisation); it may have child organisations, one level deep (a child
-- cannot have children, a parent cannot become a child): the triggers below
-- refuse anything deeper. Host names map to an organisation's public pages.
--
-- Existing databases migrate into one default organisation (id 1): every
-- program moves into it, nothing else changes. users.role stays what it was:
-- 'admin' is the instance operator (site admin, sees and manages
-- everything); for other users it is the role of their direct program
-- memberships (program_members), which keep working as before. New
-- memberships are per organisation (org_members), so no existing account
-- sees more than it did.
CREATE TABLE organisations (
	id                  INTEGER PRIMARY KEY,
	slug                TEXT NOT NULL UNIQUE CHECK (slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*' AND length(slug) BETWEEN 1 AND 40),
	name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	parent_id           INTEGER REFERENCES organisations (id),
	contact_email       TEXT NOT NULL DEFAULT '',
	preferred_languages TEXT NOT NULL DEFAULT '',
	created_at          TEXT NOT NULL,
	CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX organisations_parent ON organisations (parent_id) WHERE parent_id IS NOT NULL;

CREATE TRIGGER organisations_one_level_insert BEFORE INSERT ON organisations
WHEN new.parent_id IS NOT NULL AND (SELECT parent_id FROM organisations WHERE id = new.parent_id) IS NOT NULL BEGIN
	SELECT RAISE(ABORT, 'organisations: a child organisation cannot have children');
END;
CREATE TRIGGER organisations_one_level_update BEFORE UPDATE OF parent_id ON organisations
WHEN new.parent_id IS NOT NULL AND ((SELECT parent_id FROM organisations WHERE id = new.parent_id) IS NOT NULL
	OR EXISTS (SELECT 1 FROM organisations WHERE parent_id = new.id)) BEGIN
	SELECT RAISE(ABORT, 'organisations: a child organisation cannot have children');
END;
CREATE TRIGGER organisations_default_top BEFORE UPDATE OF parent_id ON organisations
WHEN new.id = 1 AND new.parent_id IS NOT NULL BEGIN
	SELECT RAISE(ABORT, 'organisations: the default organisation has no parent');
END;

INSERT INTO organisations (id, slug, name, created_at)
	VALUES (1, 'default', 'Default', strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'));

-- org_hosts: a host name (lower case, no port) serves one organisation's
-- public pages. A host that maps to nothing serves the default one.
CREATE TABLE org_hosts (
	host   TEXT PRIMARY KEY CHECK (host = lower(host) AND length(host) BETWEEN 1 AND 253),
	org_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX org_hosts_org ON org_hosts (org_id);

-- org_members: a user's role in an organisation; it reaches the
-- organisation's programs and those of its children.
CREATE TABLE org_members (
	org_id  INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role    TEXT NOT NULL CHECK (role IN ('admin', 'triager', 'viewer')),
	PRIMARY KEY (org_id, user_id)
) WITHOUT ROWID;
CREATE INDEX org_members_user ON org_members (user_id);

-- programs.org_id: SQLite adds a column with REFERENCES only with a NULL
-- default; the trigger gives a program inserted without one the default
-- organisation, and no update may clear it.
ALTER TABLE programs ADD COLUMN org_id INTEGER REFERENCES organisations (id);
UPDATE programs SET org_id = 1;
CREATE INDEX programs_org ON programs (org_id);
CREATE TRIGGER programs_org_default AFTER INSERT ON programs WHEN new.org_id IS NULL BEGIN
	UPDATE programs SET org_id = 1 WHERE id = new.id;
END;
CREATE TRIGGER programs_org_required BEFORE UPDATE OF org_id ON programs WHEN new.org_id IS NULL BEGIN
	SELECT RAISE(ABORT, 'programs: a program belongs to an organisation');
END;

-- program_access is who reaches which program with which role: direct
-- program memberships (with the user's role) and organisation memberships
-- (the organisation's programs and its children's). Site admins reach every
-- program without a row here. A user may have several rows for a program;
-- the strongest role counts.
CREATE VIEW program_access (user_id, program_id, role) AS
	SELECT pm.user_id, pm.program_id, u.role FROM program_members pm JOIN users u ON u.id = pm.user_id
	UNION ALL
	SELECT m.user_id, p.id, m.role FROM org_members m
		JOIN organisations o ON o.id = m.org_id OR o.parent_id = m.org_id
		JOIN programs p ON p.org_id = o.id;

-- mailboxes: intake mailboxes configured in the dashboard or CLI, per
-- organisation (new reports go to program_id, a program of the
-- organisation). The environment's mailbox stays the default
-- organisation's and is not listed here. The password is sealed with the
-- local key (never shown back). A filter (subject_contains, to_addr) picks
-- the security mail out of a shared mailbox; other mail is left untouched.
-- last_* and backlog are its health as the dashboard shows it.
CREATE TABLE mailboxes (
	id               INTEGER PRIMARY KEY,
	org_id           INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
	program_id       INTEGER NOT NULL REFERENCES programs (id),
	imap_addr        TEXT NOT NULL,
	imap_tls         TEXT NOT NULL CHECK (imap_tls IN ('tls', 'starttls', 'none')),
	imap_user        TEXT NOT NULL,
	imap_password    TEXT NOT NULL,
	mailbox          TEXT NOT NULL DEFAULT 'INBOX',
	processed        TEXT NOT NULL DEFAULT 'Processed',
	subject_contains TEXT NOT NULL DEFAULT '',
	to_addr          TEXT NOT NULL DEFAULT '',
	created_at       TEXT NOT NULL,
	last_poll_at     TEXT,
	last_ok_at       TEXT,
	last_error       TEXT NOT NULL DEFAULT '',
	last_error_at    TEXT,
	backlog          INTEGER NOT NULL DEFAULT 0,
	UNIQUE (imap_addr, imap_user, mailbox)
);
CREATE INDEX mailboxes_org ON mailboxes (org_id);
