-- 0004: the triage queue. Deadlines are kept on the report by triggers, so
-- every writer (web form, mail gateway, triage actions, the demo generator)
-- keeps them right without knowing about them; state counts are kept the
-- same way, so the queue never counts 100,000 rows to draw its tabs.

-- report_deadlines is the one definition of a report's deadlines, as unix
-- seconds with the clock running: creation + target days + the seconds the
-- report already spent paused in needs_info. A report paused right now has
-- its remaining time frozen; readers add the ongoing pause (see
-- db/deadline.go). A NULL column is a deadline that does not apply (met, or
-- not yet running, or the report is closed).
CREATE VIEW report_deadlines AS
SELECT id, first_response, triage, resolution, disclosure,
	first_response_days, triage_days, resolution_days, disclosure_days
FROM (
	SELECT r.id,
		CASE WHEN r.first_response_at IS NULL AND r.state IN ('new', 'triaged', 'needs_info', 'resolved')
			THEN unixepoch(r.created_at) + r.paused_seconds + p.first_response_days * 86400 END AS first_response,
		CASE WHEN r.triaged_at IS NULL AND r.state IN ('new', 'needs_info')
			THEN unixepoch(r.created_at) + r.paused_seconds + p.triage_days * 86400 END AS triage,
		CASE WHEN r.resolved_at IS NULL AND r.triaged_at IS NOT NULL AND r.state IN ('triaged', 'needs_info')
			AND r.severity IN ('critical', 'high', 'medium', 'low')
			THEN unixepoch(r.created_at) + r.paused_seconds + (CASE r.severity
				WHEN 'critical' THEN p.resolve_critical_days WHEN 'high' THEN p.resolve_high_days
				WHEN 'medium' THEN p.resolve_medium_days ELSE p.resolve_low_days END) * 86400 END AS resolution,
		CASE WHEN r.state IN ('new', 'triaged', 'needs_info', 'resolved')
			THEN COALESCE(unixepoch(r.disclosure_at), unixepoch(r.created_at) + r.paused_seconds + p.disclosure_days * 86400) END AS disclosure,
		p.first_response_days, p.triage_days,
		CASE r.severity WHEN 'critical' THEN p.resolve_critical_days WHEN 'high' THEN p.resolve_high_days
			WHEN 'medium' THEN p.resolve_medium_days ELSE p.resolve_low_days END AS resolution_days,
		CASE WHEN r.disclosure_at IS NOT NULL
			THEN max(1, (unixepoch(r.disclosure_at) - unixepoch(r.created_at)) / 86400) ELSE p.disclosure_days END AS disclosure_days
	FROM reports r JOIN programs p ON p.id = r.program_id
);

-- report_next_deadline picks the earliest deadline, its kind, and when it
-- becomes "due soon": 2 days or 20% of its target before it, whichever is
-- earlier.
CREATE VIEW report_next_deadline AS
SELECT id, due_at, kind, due_at - max(172800, CAST(target_days * 86400 / 5 AS INTEGER)) AS warn_at
FROM (
	SELECT d.id,
		NULLIF(min(COALESCE(d.first_response, 9e15), COALESCE(d.triage, 9e15), COALESCE(d.resolution, 9e15), COALESCE(d.disclosure, 9e15)), 9e15) AS due_at,
		CASE min(COALESCE(d.first_response, 9e15), COALESCE(d.triage, 9e15), COALESCE(d.resolution, 9e15), COALESCE(d.disclosure, 9e15))
			WHEN d.first_response THEN 'first_response' WHEN d.triage THEN 'triage'
			WHEN d.resolution THEN 'resolution' WHEN d.disclosure THEN 'disclosure' ELSE '' END AS kind,
		CASE min(COALESCE(d.first_response, 9e15), COALESCE(d.triage, 9e15), COALESCE(d.resolution, 9e15), COALESCE(d.disclosure, 9e15))
			WHEN d.first_response THEN d.first_response_days WHEN d.triage THEN d.triage_days
			WHEN d.resolution THEN d.resolution_days ELSE d.disclosure_days END AS target_days
	FROM report_deadlines d
);

ALTER TABLE reports ADD COLUMN due_at INTEGER;
ALTER TABLE reports ADD COLUMN due_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN due_warn_at INTEGER;

UPDATE reports SET (due_at, due_kind, due_warn_at) =
	(SELECT n.due_at, COALESCE(n.kind, ''), n.warn_at FROM report_next_deadline n WHERE n.id = reports.id);

-- A writer that knows the deadline of a new report (db.createReport) writes
-- it with the insert; the trigger fills it in for every other writer.
CREATE TRIGGER reports_deadline_insert AFTER INSERT ON reports WHEN new.due_at IS NULL BEGIN
	UPDATE reports SET (due_at, due_kind, due_warn_at) =
		(SELECT n.due_at, COALESCE(n.kind, ''), n.warn_at FROM report_next_deadline n WHERE n.id = new.id)
	WHERE id = new.id;
END;
CREATE TRIGGER reports_deadline_update AFTER UPDATE OF state, severity, created_at, first_response_at, triaged_at,
	resolved_at, paused_seconds, disclosure_at, program_id ON reports BEGIN
	UPDATE reports SET (due_at, due_kind, due_warn_at) =
		(SELECT n.due_at, COALESCE(n.kind, ''), n.warn_at FROM report_next_deadline n WHERE n.id = new.id)
	WHERE id = new.id;
END;
CREATE TRIGGER programs_deadline_update AFTER UPDATE OF first_response_days, triage_days, resolve_critical_days,
	resolve_high_days, resolve_medium_days, resolve_low_days, disclosure_days ON programs BEGIN
	UPDATE reports SET (due_at, due_kind, due_warn_at) =
		(SELECT n.due_at, COALESCE(n.kind, ''), n.warn_at FROM report_next_deadline n WHERE n.id = reports.id)
	WHERE program_id = new.id AND due_at IS NOT NULL;
END;

-- report_state_counts feeds the queue's tabs.
CREATE TABLE report_state_counts (
	program_id INTEGER NOT NULL,
	state      TEXT NOT NULL,
	n          INTEGER NOT NULL,
	PRIMARY KEY (program_id, state)
) WITHOUT ROWID;
INSERT INTO report_state_counts (program_id, state, n) SELECT program_id, state, COUNT(*) FROM reports GROUP BY program_id, state;
CREATE TRIGGER reports_count_insert AFTER INSERT ON reports BEGIN
	INSERT INTO report_state_counts (program_id, state, n) VALUES (new.program_id, new.state, 1)
		ON CONFLICT (program_id, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER reports_count_delete AFTER DELETE ON reports BEGIN
	UPDATE report_state_counts SET n = n - 1 WHERE program_id = old.program_id AND state = old.state;
END;
CREATE TRIGGER reports_count_update AFTER UPDATE OF state, program_id ON reports BEGIN
	UPDATE report_state_counts SET n = n - 1 WHERE program_id = old.program_id AND state = old.state;
	INSERT INTO report_state_counts (program_id, state, n) VALUES (new.program_id, new.state, 1)
		ON CONFLICT (program_id, state) DO UPDATE SET n = n + 1;
END;

-- Queue indexes: each sort walks an index in order and stops after a page,
-- whatever the filter; the narrow filters have their own.
CREATE INDEX reports_program_id ON reports (program_id, id);
CREATE INDEX reports_state_id ON reports (state, id);
CREATE INDEX reports_due ON reports (due_at, id) WHERE due_at IS NOT NULL;
CREATE INDEX reports_assignee ON reports (assignee_id, id) WHERE assignee_id IS NOT NULL;
CREATE INDEX reports_severity_rank ON reports ((CASE severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3
	WHEN 'low' THEN 2 WHEN 'none' THEN 1 ELSE 0 END), id);
CREATE INDEX reports_duplicate_of ON reports (duplicate_of) WHERE duplicate_of IS NOT NULL;
