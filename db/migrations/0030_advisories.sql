-- 0030: advisories, the public end of a disclosure.
--
-- An advisory belongs to an organisation and is drafted from one or more of
-- its reports. Its identifier is the organisation's scheme, PREFIX-SA-YEAR-NNN
-- (seq counts per organisation and year). States: draft → in_review (the
-- author asks, a second person approves) → scheduled (approved, waiting for
-- publish_at: nothing of it is public) → published → updated (a numbered
-- revision with a summary) → withdrawn. Public pages read published, updated
-- and withdrawn advisories only.
CREATE TABLE advisories (
	id           INTEGER PRIMARY KEY,
	org_id       INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
	ident        TEXT NOT NULL UNIQUE,
	year         INTEGER NOT NULL,
	seq          INTEGER NOT NULL,
	state        TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'in_review', 'scheduled', 'published', 'updated', 'withdrawn')),
	title        TEXT NOT NULL,
	summary      TEXT NOT NULL,
	details      TEXT NOT NULL DEFAULT '',
	workarounds  TEXT NOT NULL DEFAULT '',
	cvss3        TEXT NOT NULL DEFAULT '',
	cvss3_score  REAL,
	cvss4        TEXT NOT NULL DEFAULT '',
	cvss4_score  REAL,
	severity     TEXT NOT NULL DEFAULT '',
	cwe          TEXT NOT NULL DEFAULT '',
	cve_ids      TEXT NOT NULL DEFAULT '', -- one per line
	refs         TEXT NOT NULL DEFAULT '', -- URLs, one per line
	author_id    INTEGER REFERENCES users (id),
	editor_id    INTEGER REFERENCES users (id), -- the last to change the draft: not the approver either
	approver_id  INTEGER REFERENCES users (id),
	publish_at   TEXT, -- the embargo's end; NULL: at approval
	published_at TEXT, -- set when it became public
	withdrawn_at TEXT,
	revision     INTEGER NOT NULL DEFAULT 0, -- the public revision's number (1 at publication)
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	version      INTEGER NOT NULL DEFAULT 1,
	UNIQUE (org_id, year, seq)
);
-- The public list of an organisation, newest first.
CREATE INDEX advisories_public ON advisories (org_id, published_at) WHERE published_at IS NOT NULL;
-- The publisher's queue: the scheduled ones by their moment.
CREATE INDEX advisories_due ON advisories (publish_at) WHERE state = 'scheduled';

-- advisory_reports: the reports an advisory was drafted from (reports of
-- its organisation's programs).
CREATE TABLE advisory_reports (
	advisory_id INTEGER NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
	report_id   INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
	PRIMARY KEY (advisory_id, report_id)
) WITHOUT ROWID;
CREATE INDEX advisory_reports_report ON advisory_reports (report_id);

-- advisory_products: what is affected (a version range as people write it,
-- like "< 2.4.1" or ">= 1.0, < 1.9.3") and the version that fixes it; for a
-- package of an OSV ecosystem (npm, PyPI, Go, ...), its ecosystem and name.
CREATE TABLE advisory_products (
	advisory_id INTEGER NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
	position    INTEGER NOT NULL,
	product     TEXT NOT NULL,
	affected    TEXT NOT NULL,
	fixed       TEXT NOT NULL DEFAULT '',
	ecosystem   TEXT NOT NULL DEFAULT '',
	package     TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (advisory_id, position)
) WITHOUT ROWID;

-- advisory_credits: typed credits (the CVE/CSAF credit types). A credit
-- proposed from a report's reporter keeps report_id: the reporter sees it
-- on the status page and may change the name or decline until publication.
-- A declined credit is anonymous: no format names it.
CREATE TABLE advisory_credits (
	id          INTEGER PRIMARY KEY,
	advisory_id INTEGER NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
	report_id   INTEGER REFERENCES reports (id) ON DELETE SET NULL,
	name        TEXT NOT NULL,
	type        TEXT NOT NULL CHECK (type IN ('finder', 'reporter', 'analyst', 'coordinator', 'remediation_developer',
		'remediation_reviewer', 'remediation_verifier', 'tool', 'sponsor', 'other')),
	declined    INTEGER NOT NULL DEFAULT 0 CHECK (declined IN (0, 1)),
	UNIQUE (advisory_id, report_id)
);
CREATE INDEX advisory_credits_advisory ON advisory_credits (advisory_id);
CREATE INDEX advisory_credits_report ON advisory_credits (report_id) WHERE report_id IS NOT NULL;

-- advisory_revisions: the public revision history; number 1 is the first
-- publication.
CREATE TABLE advisory_revisions (
	advisory_id INTEGER NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
	number      INTEGER NOT NULL,
	at          TEXT NOT NULL,
	summary     TEXT NOT NULL,
	PRIMARY KEY (advisory_id, number)
) WITHOUT ROWID;
