-- 0029: incidents, the response to a report that turned out to be a breach,
-- with the notification obligations the law or a contract attaches to it.
--
-- An incident belongs to one organisation; it links reports of that
-- organisation's programs (incident_reports), which are on legal hold while
-- they are linked (retention checks the link as well as reports.legal_hold,
-- and a linked report cannot be deleted: the link has no ON DELETE).
-- Every change is a row of incident_events (its timeline) and of the audit
-- log. version is the optimistic lock of the incident's forms.
--
-- checklist is the response checklist as JSON (scope, systems, data
-- categories, containment, recovery, evidence, root cause, remediation,
-- lessons): with the title it is what the incident says about the breach,
-- so in a sealed database both are stored sealed (sealed = 1) like report
-- text.
CREATE TABLE incidents (
	-- id is random (db.CreateIncident), so that INC-<id> tells no tenant how
	-- many incidents the others had; seq orders them by creation.
	id              INTEGER PRIMARY KEY,
	seq             INTEGER NOT NULL UNIQUE,
	org_id          INTEGER NOT NULL REFERENCES organisations (id),
	title           TEXT NOT NULL,
	severity        TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
	owner_id        INTEGER REFERENCES users (id),
	status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'contained', 'recovered', 'closed')),
	checklist       TEXT NOT NULL DEFAULT '',
	personal_data   TEXT NOT NULL DEFAULT 'unknown' CHECK (personal_data IN ('unknown', 'yes', 'no')),
	people_affected INTEGER CHECK (people_affected IS NULL OR people_affected >= 0),
	sealed          INTEGER NOT NULL DEFAULT 0,
	-- awareness: when the organisation became aware, who says so, from what.
	aware_at        TEXT,
	aware_by        INTEGER REFERENCES users (id),
	aware_source    TEXT NOT NULL DEFAULT '',
	aware_noted_at  TEXT,
	-- corrective_at: when a corrective measure became available (the CRA's
	-- final report on an exploited vulnerability runs from it).
	corrective_at   TEXT,
	version         INTEGER NOT NULL DEFAULT 1,
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL,
	closed_at       TEXT
);
CREATE INDEX incidents_org ON incidents (org_id, id);

CREATE TABLE incident_reports (
	incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	report_id   INTEGER NOT NULL REFERENCES reports (id),
	linked_at   TEXT NOT NULL,
	PRIMARY KEY (incident_id, report_id)
) WITHOUT ROWID;
CREATE INDEX incident_reports_report ON incident_reports (report_id);

-- incident_events is the incident's timeline: who changed what, when. The
-- detail names fields and states, never the checklist's text.
CREATE TABLE incident_events (
	id          INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	at          TEXT NOT NULL,
	actor_id    INTEGER,
	actor       TEXT NOT NULL,
	kind        TEXT NOT NULL,
	detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);

-- incident_presets are the notification regimes an obligation is chosen
-- from, one row per stage. Rows with org_id NULL ship with the portal (the
-- README cites each one's source); an organisation's own rows (its
-- contractual clock, its corrections) take the place of a shipped row with
-- the same preset and stage, or add one. due_amount NULL is "without undue
-- delay": no fixed deadline. anchor is what the clock runs from:
-- 'awareness', 'corrective' (a corrective measure available) or
-- 'sent:<stage>' (when that stage of the same preset was sent).
CREATE TABLE incident_presets (
	id         INTEGER PRIMARY KEY,
	org_id     INTEGER REFERENCES organisations (id) ON DELETE CASCADE,
	preset     TEXT NOT NULL CHECK (preset GLOB '[a-z]*' AND preset NOT GLOB '*[^a-z0-9-]*' AND length(preset) <= 40),
	stage      TEXT NOT NULL CHECK (stage GLOB '[a-z]*' AND stage NOT GLOB '*[^a-z0-9-]*' AND length(stage) <= 40),
	position   INTEGER NOT NULL DEFAULT 0,
	regime     TEXT NOT NULL,
	title      TEXT NOT NULL,
	recipient  TEXT NOT NULL,
	due_amount INTEGER CHECK (due_amount IS NULL OR due_amount > 0),
	due_unit   TEXT NOT NULL DEFAULT 'hours' CHECK (due_unit IN ('hours', 'days', 'months')),
	anchor     TEXT NOT NULL DEFAULT 'awareness',
	content    TEXT NOT NULL,
	source     TEXT NOT NULL
);
CREATE UNIQUE INDEX incident_presets_key ON incident_presets (COALESCE(org_id, 0), preset, stage);

-- incident_settings: an organisation's time zone for clocks (due times are
-- shown in it and in UTC; "one month" is a calendar month there).
CREATE TABLE incident_settings (
	org_id    INTEGER PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
	time_zone TEXT NOT NULL DEFAULT 'UTC'
);

-- incident_obligations: one notification an incident owes, copied from its
-- preset when chosen (a later edit of the preset does not move a running
-- clock). due_at is computed from the anchor and kept up to date by every
-- write that moves one; NULL when there is no fixed deadline or its anchor
-- has not happened yet. A sent obligation keeps when, to whom, the
-- recipient's reference and a copy of what was sent.
CREATE TABLE incident_obligations (
	id          INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	preset      TEXT NOT NULL,
	stage       TEXT NOT NULL,
	position    INTEGER NOT NULL DEFAULT 0,
	regime      TEXT NOT NULL,
	title       TEXT NOT NULL,
	recipient   TEXT NOT NULL,
	due_amount  INTEGER,
	due_unit    TEXT NOT NULL,
	anchor      TEXT NOT NULL,
	content     TEXT NOT NULL,
	source      TEXT NOT NULL,
	anchor_at   TEXT,
	due_at      TEXT,
	state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'not_required')),
	sent_at     TEXT,
	sent_to     TEXT NOT NULL DEFAULT '',
	reference   TEXT NOT NULL DEFAULT '',
	sent_copy   TEXT NOT NULL DEFAULT '',
	reason      TEXT NOT NULL DEFAULT '',
	sealed      INTEGER NOT NULL DEFAULT 0,
	UNIQUE (incident_id, preset, stage)
);
CREATE INDEX incident_obligations_due ON incident_obligations (due_at) WHERE state = 'pending' AND due_at IS NOT NULL;

-- incident_alerts remembers each point of a clock its people were told
-- about (half time, one hour left, overdue), for the deadline it had then:
-- written in the transaction that queues the mail, so a point is told once,
-- across restarts, and a deadline that moves (awareness corrected) is told
-- about again.
CREATE TABLE incident_alerts (
	obligation_id INTEGER NOT NULL REFERENCES incident_obligations (id) ON DELETE CASCADE,
	point         TEXT NOT NULL,
	due_at        TEXT NOT NULL,
	at            TEXT NOT NULL,
	PRIMARY KEY (obligation_id, point, due_at)
) WITHOUT ROWID;

INSERT INTO incident_presets (preset, stage, position, regime, title, recipient, due_amount, due_unit, anchor, content, source) VALUES
('cert-in', 'report', 10, 'India: CERT-In Directions (28 April 2022)', 'Report the incident to CERT-In', 'CERT-In (incident@cert-in.org.in)', 6, 'hours', 'awareness',
 'Time of occurrence and time noticed
Type of incident (as listed in Annexure I of the Directions)
Affected systems, network, IP addresses and location
Symptoms observed and how the incident was detected
Relevant technical details: logs, indicators of compromise
Actions taken so far
Contact person of the organisation',
 'CERT-In Directions under section 70B(6) of the IT Act 2000, No. 20(3)/2022-CERT-In, 28 April 2022, direction (ii)'),
('dpdp', 'board-intimation', 20, 'India: DPDP Rules 2025, Rule 7', 'Intimate the Data Protection Board', 'Data Protection Board of India', NULL, 'hours', 'awareness',
 'Description of the breach: its nature, extent, timing and location of occurrence
Likely impact',
 'Digital Personal Data Protection Rules 2025, Rule 7(2)(a)'),
('dpdp', 'board-report', 21, 'India: DPDP Rules 2025, Rule 7', 'Detailed report to the Data Protection Board', 'Data Protection Board of India', 72, 'hours', 'awareness',
 'Updated and detailed information on the nature, extent, timing and location of the breach
Broad facts on the events, circumstances and reasons leading to it
Measures implemented or proposed to mitigate the risk
Findings about the person who caused the breach, if known
Remedial measures taken to prevent a recurrence
Report on the intimations given to affected Data Principals',
 'Digital Personal Data Protection Rules 2025, Rule 7(2)(b)'),
('dpdp', 'data-principals', 22, 'India: DPDP Rules 2025, Rule 7', 'Intimate each affected Data Principal', 'Affected Data Principals', NULL, 'hours', 'awareness',
 'Description of the breach: nature, extent, timing and location
Consequences relevant to them that are likely to arise
Mitigation measures implemented or being implemented
Safety measures they may take to protect their interests
Business contact of a person able to respond on behalf of the Data Fiduciary',
 'Digital Personal Data Protection Rules 2025, Rule 7(1)'),
('gdpr', 'authority', 30, 'EU: GDPR Art. 33 / 34', 'Notify the supervisory authority', 'Competent supervisory authority (Art. 55)', 72, 'hours', 'awareness',
 'Nature of the breach, categories and approximate number of data subjects and of records concerned
Name and contact details of the data protection officer or other contact point
Likely consequences of the breach
Measures taken or proposed to address it and mitigate its effects
Reasons for any delay beyond 72 hours',
 'Regulation (EU) 2016/679 (GDPR), Art. 33(1) and 33(3)'),
('gdpr', 'data-subjects', 31, 'EU: GDPR Art. 33 / 34', 'Communicate the breach to data subjects (when high risk)', 'Affected data subjects', NULL, 'hours', 'awareness',
 'In clear and plain language: the nature of the breach
Name and contact details of the data protection officer or other contact point
Likely consequences of the breach
Measures taken or proposed to address it and mitigate its effects',
 'Regulation (EU) 2016/679 (GDPR), Art. 34(1) and 34(2)'),
('nis2', 'early-warning', 40, 'EU: NIS2 Art. 23', 'Early warning to the CSIRT or competent authority', 'CSIRT or competent authority', 24, 'hours', 'awareness',
 'Whether the incident is suspected of being caused by unlawful or malicious acts
Whether it could have a cross-border impact',
 'Directive (EU) 2022/2555 (NIS2), Art. 23(4)(a)'),
('nis2', 'notification', 41, 'EU: NIS2 Art. 23', 'Incident notification', 'CSIRT or competent authority', 72, 'hours', 'awareness',
 'Update of the early warning
Initial assessment of the incident, its severity and impact
Indicators of compromise, where available',
 'Directive (EU) 2022/2555 (NIS2), Art. 23(4)(b)'),
('nis2', 'final-report', 42, 'EU: NIS2 Art. 23', 'Final report', 'CSIRT or competent authority', 1, 'months', 'sent:notification',
 'Detailed description of the incident, its severity and impact
Type of threat or root cause that likely triggered it
Mitigation measures applied and ongoing
Cross-border impact, where applicable',
 'Directive (EU) 2022/2555 (NIS2), Art. 23(4)(d)'),
('cra-exploited', 'early-warning', 50, 'EU: Cyber Resilience Act Art. 14 (from 11 September 2026)', 'Early warning of an actively exploited vulnerability', 'CSIRT designated as coordinator and ENISA (single reporting platform)', 24, 'hours', 'awareness',
 'The actively exploited vulnerability
Where applicable, the Member States on whose territory the product is known to be made available',
 'Regulation (EU) 2024/2847 (CRA), Art. 14(1) and 14(2)(a)'),
('cra-exploited', 'notification', 51, 'EU: Cyber Resilience Act Art. 14 (from 11 September 2026)', 'Vulnerability notification', 'CSIRT designated as coordinator and ENISA (single reporting platform)', 72, 'hours', 'awareness',
 'General information about the product concerned
General nature of the exploit and of the vulnerability concerned
Corrective or mitigating measures taken, and those users can take
How sensitive the notified information is, where applicable',
 'Regulation (EU) 2024/2847 (CRA), Art. 14(2)(b)'),
('cra-exploited', 'final-report', 52, 'EU: Cyber Resilience Act Art. 14 (from 11 September 2026)', 'Final report on the vulnerability', 'CSIRT designated as coordinator and ENISA (single reporting platform)', 14, 'days', 'corrective',
 'Description of the vulnerability, including its severity and impact
Where available, information about any malicious actor that exploited it
Details of the security update or other corrective measures made available',
 'Regulation (EU) 2024/2847 (CRA), Art. 14(2)(c)'),
('cra-incident', 'early-warning', 60, 'EU: Cyber Resilience Act Art. 14 (from 11 September 2026)', 'Early warning of a severe incident', 'CSIRT designated as coordinator and ENISA (single reporting platform)', 24, 'hours', 'awareness',
 'Whether the incident is suspected of being caused by unlawful or malicious acts
Where applicable, the Member States on whose territory the product is known to be made available',
 'Regulation (EU) 2024/2847 (CRA), Art. 14(3) and 14(4)(a)'),
('cra-incident', 'notification', 61, 'EU: Cyber Resilience Act Art. 14 (from 11 September 2026)', 'Incident notification', 'CSIRT designated as coordinator and ENISA (single reporting platform)', 72, 'hours', 'awareness',
 'General information about the nature of the incident
Initial assessment of the incident
Corrective or mitigating measures taken, and those users can take
How sensitive the notified information is, where applicable',
 'Regulation (EU) 2024/2847 (CRA), Art. 14(4)(b)'),
('cra-incident', 'final-report', 62, 'EU: Cyber Resilience Act Art. 14 (from 11 September 2026)', 'Final report on the incident', 'CSIRT designated as coordinator and ENISA (single reporting platform)', 1, 'months', 'sent:notification',
 'Detailed description of the incident, including its severity and impact
Type of threat or root cause that is likely to have triggered it
Applied and ongoing mitigation measures',
 'Regulation (EU) 2024/2847 (CRA), Art. 14(4)(c)'),
('contractual', 'customers', 70, 'Contract', 'Notify affected customers and clients', 'Customers and clients under contract', 24, 'hours', 'awareness',
 'What happened and when
What data or service of theirs is affected
What has been done and what they should do
A contact for questions',
 'The organisation''s contracts: set the hours the contracts promise');
