-- 0027: the metrics pages and the Prometheus deadline breaches read counters
-- kept by triggers, like report_state_counts: whatever writes a report (web
-- form, mail gateway, triage actions, retention, restore, the demo) keeps
-- them right in its own transaction, and reading them costs the same at a
-- hundred reports as at a million.

-- report_metric_rows is the one definition of what a report adds to the
-- metrics: one 'received' row (month of arrival), one row per milestone it
-- reached (first_response, triage, resolution: month of the milestone,
-- wall-clock seconds from arrival rounded UP to a bucket bound, and whether
-- that was within its program's target, by severity for resolution), and
-- while it is open one 'open' row (day of arrival, severity). The buckets
-- (hours up to a day, days up to 14, then 21, 30, 45, 60, 90, 120, 180, 270,
-- 365 and 730 days, then one more) keep a program's month to at most about
-- 50 rows per milestone however many reports it has.
CREATE VIEW report_metric_rows (id, program_id, kind, period, severity, bucket, within) AS
SELECT id, program_id, 'received', substr(created_at, 1, 7), '', 0, 0 FROM reports
UNION ALL
SELECT id, program_id, 'open', substr(created_at, 1, 10), severity, 0, 0 FROM reports WHERE state IN ('new', 'triaged', 'needs_info')
UNION ALL
SELECT id, program_id, kind, substr(at, 1, 7), '',
	CASE WHEN d <= 86400 THEN (d + 3599) / 3600 * 3600
		WHEN d <= 1209600 THEN (d + 86399) / 86400 * 86400
		WHEN d <= 1814400 THEN 1814400 WHEN d <= 2592000 THEN 2592000 WHEN d <= 3888000 THEN 3888000
		WHEN d <= 5184000 THEN 5184000 WHEN d <= 7776000 THEN 7776000 WHEN d <= 10368000 THEN 10368000
		WHEN d <= 15552000 THEN 15552000 WHEN d <= 23328000 THEN 23328000 WHEN d <= 31536000 THEN 31536000
		WHEN d <= 63072000 THEN 63072000 ELSE 63072001 END,
	d <= target * 86400
FROM (
	SELECT r.id, r.program_id, 'first_response' AS kind, r.first_response_at AS at, p.first_response_days AS target,
		max(0, unixepoch(r.first_response_at) - unixepoch(r.created_at)) AS d
		FROM reports r JOIN programs p ON p.id = r.program_id WHERE r.first_response_at IS NOT NULL
	UNION ALL
	SELECT r.id, r.program_id, 'triage', r.triaged_at, p.triage_days, max(0, unixepoch(r.triaged_at) - unixepoch(r.created_at))
		FROM reports r JOIN programs p ON p.id = r.program_id WHERE r.triaged_at IS NOT NULL
	UNION ALL
	SELECT r.id, r.program_id, 'resolution', r.resolved_at,
		CASE r.severity WHEN 'critical' THEN p.resolve_critical_days WHEN 'high' THEN p.resolve_high_days
			WHEN 'medium' THEN p.resolve_medium_days ELSE p.resolve_low_days END,
		max(0, unixepoch(r.resolved_at) - unixepoch(r.created_at))
		FROM reports r JOIN programs p ON p.id = r.program_id WHERE r.resolved_at IS NOT NULL
);

-- report_metric_keys are the rows a report adds to report_metrics: its
-- program's, and the same again under program_id 0 (every program), which
-- the pages of a site admin's whole portal read, so their cost does not
-- grow with the number of programs either.
CREATE VIEW report_metric_keys (id, program_id, kind, period, severity, bucket, within) AS
SELECT id, program_id, kind, period, severity, bucket, within FROM report_metric_rows
UNION ALL
SELECT id, 0, kind, period, severity, bucket, within FROM report_metric_rows;

CREATE TABLE report_metrics (
	program_id INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	period     TEXT NOT NULL,
	severity   TEXT NOT NULL,
	bucket     INTEGER NOT NULL,
	within     INTEGER NOT NULL,
	n          INTEGER NOT NULL,
	PRIMARY KEY (program_id, kind, period, severity, bucket, within)
) WITHOUT ROWID;
INSERT INTO report_metrics (program_id, kind, period, severity, bucket, within, n)
	SELECT program_id, kind, period, severity, bucket, within, COUNT(*) FROM report_metric_keys GROUP BY 1, 2, 3, 4, 5, 6;

-- report_breach_rows is when each running first-response, triage and
-- resolution deadline of an open report falls due (report_deadlines, the
-- queue's definition), in unix seconds. A report paused in needs_info has
-- its clocks stopped: it counts as breached (due 0) when the deadline had
-- passed at the pause, and not at all otherwise.
CREATE VIEW report_breach_rows (id, program_id, kind, due) AS
SELECT id, program_id, kind, CASE WHEN paused IS NULL THEN due ELSE 0 END FROM (
	SELECT d.id, r.program_id, 'first_response' AS kind, d.first_response AS due, unixepoch(r.paused_at) AS paused
		FROM reports r JOIN report_deadlines d ON d.id = r.id
		WHERE d.first_response IS NOT NULL AND r.state IN ('new', 'triaged', 'needs_info')
	UNION ALL
	SELECT d.id, r.program_id, 'triage', d.triage, unixepoch(r.paused_at)
		FROM reports r JOIN report_deadlines d ON d.id = r.id
		WHERE d.triage IS NOT NULL AND r.state IN ('new', 'triaged', 'needs_info')
	UNION ALL
	SELECT d.id, r.program_id, 'resolution', d.resolution, unixepoch(r.paused_at)
		FROM reports r JOIN report_deadlines d ON d.id = r.id
		WHERE d.resolution IS NOT NULL AND r.state IN ('new', 'triaged', 'needs_info')
) WHERE paused IS NULL OR due < paused;

-- report_breach_counts counts those deadlines at three resolutions (unit:
-- 86400, 3600, 60 seconds; start: the unit's start). Breaches at time T
-- are the whole days before T's day, the whole hours of T's day before T's
-- hour and the minutes of T's hour before T's minute: at most a few hundred
-- rows per program and kind, exact to the minute.
CREATE TABLE report_breach_counts (
	program_id INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	unit       INTEGER NOT NULL,
	start      INTEGER NOT NULL,
	n          INTEGER NOT NULL,
	PRIMARY KEY (kind, unit, start, program_id)
) WITHOUT ROWID;
CREATE VIEW report_breach_units (id, program_id, kind, unit, start) AS
SELECT b.id, b.program_id, b.kind, u.unit, b.due - b.due % u.unit
FROM report_breach_rows b, (SELECT 86400 AS unit UNION ALL SELECT 3600 UNION ALL SELECT 60) u;
INSERT INTO report_breach_counts (program_id, kind, unit, start, n)
	SELECT program_id, kind, unit, start, COUNT(*) FROM report_breach_units GROUP BY 1, 2, 3, 4;

CREATE TRIGGER reports_metrics_insert AFTER INSERT ON reports BEGIN
	INSERT INTO report_metrics (program_id, kind, period, severity, bucket, within, n)
		SELECT program_id, kind, period, severity, bucket, within, 1 FROM report_metric_keys WHERE id = new.id
		ON CONFLICT (program_id, kind, period, severity, bucket, within) DO UPDATE SET n = n + 1;
	INSERT INTO report_breach_counts (program_id, kind, unit, start, n)
		SELECT program_id, kind, unit, start, 1 FROM report_breach_units WHERE id = new.id
		ON CONFLICT (kind, unit, start, program_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER reports_metrics_delete BEFORE DELETE ON reports BEGIN
	UPDATE report_metrics SET n = n - 1 WHERE (program_id, kind, period, severity, bucket, within) IN
		(SELECT program_id, kind, period, severity, bucket, within FROM report_metric_keys WHERE id = old.id);
	UPDATE report_breach_counts SET n = n - 1 WHERE (program_id, kind, unit, start) IN
		(SELECT program_id, kind, unit, start FROM report_breach_units WHERE id = old.id);
END;
-- An update takes the report's rows out before it and puts them back after.
CREATE TRIGGER reports_metrics_update_before BEFORE UPDATE OF program_id, state, severity, created_at, first_response_at,
	triaged_at, resolved_at, paused_at, paused_seconds ON reports
	WHEN old.program_id IS NOT new.program_id OR old.state IS NOT new.state OR old.severity IS NOT new.severity
		OR old.created_at IS NOT new.created_at OR old.first_response_at IS NOT new.first_response_at
		OR old.triaged_at IS NOT new.triaged_at OR old.resolved_at IS NOT new.resolved_at
		OR old.paused_at IS NOT new.paused_at OR old.paused_seconds IS NOT new.paused_seconds BEGIN
	UPDATE report_metrics SET n = n - 1 WHERE (program_id, kind, period, severity, bucket, within) IN
		(SELECT program_id, kind, period, severity, bucket, within FROM report_metric_keys WHERE id = old.id);
	UPDATE report_breach_counts SET n = n - 1 WHERE (program_id, kind, unit, start) IN
		(SELECT program_id, kind, unit, start FROM report_breach_units WHERE id = old.id);
END;
CREATE TRIGGER reports_metrics_update_after AFTER UPDATE OF program_id, state, severity, created_at, first_response_at,
	triaged_at, resolved_at, paused_at, paused_seconds ON reports
	WHEN old.program_id IS NOT new.program_id OR old.state IS NOT new.state OR old.severity IS NOT new.severity
		OR old.created_at IS NOT new.created_at OR old.first_response_at IS NOT new.first_response_at
		OR old.triaged_at IS NOT new.triaged_at OR old.resolved_at IS NOT new.resolved_at
		OR old.paused_at IS NOT new.paused_at OR old.paused_seconds IS NOT new.paused_seconds BEGIN
	INSERT INTO report_metrics (program_id, kind, period, severity, bucket, within, n)
		SELECT program_id, kind, period, severity, bucket, within, 1 FROM report_metric_keys WHERE id = new.id
		ON CONFLICT (program_id, kind, period, severity, bucket, within) DO UPDATE SET n = n + 1;
	INSERT INTO report_breach_counts (program_id, kind, unit, start, n)
		SELECT program_id, kind, unit, start, 1 FROM report_breach_units WHERE id = new.id
		ON CONFLICT (kind, unit, start, program_id) DO UPDATE SET n = n + 1;
END;
-- A program's new targets move all its deadlines and what was within them:
-- its breach counts and milestone rows are counted again (a rare admin
-- action; it reads the program's reports, as programs_deadline_update does).
CREATE TRIGGER programs_metrics_update_before BEFORE UPDATE OF first_response_days, triage_days, resolve_critical_days,
	resolve_high_days, resolve_medium_days, resolve_low_days ON programs BEGIN
	UPDATE report_metrics SET n = n - (SELECT x.n FROM report_metrics x WHERE x.program_id = old.id
			AND x.kind = report_metrics.kind AND x.period = report_metrics.period AND x.severity = report_metrics.severity
			AND x.bucket = report_metrics.bucket AND x.within = report_metrics.within)
		WHERE program_id = 0 AND (kind, period, severity, bucket, within) IN (SELECT kind, period, severity, bucket, within
			FROM report_metrics WHERE program_id = old.id AND kind IN ('first_response', 'triage', 'resolution'));
END;
CREATE TRIGGER programs_breach_update AFTER UPDATE OF first_response_days, triage_days, resolve_critical_days,
	resolve_high_days, resolve_medium_days, resolve_low_days ON programs BEGIN
	DELETE FROM report_metrics WHERE program_id = new.id AND kind IN ('first_response', 'triage', 'resolution');
	INSERT INTO report_metrics (program_id, kind, period, severity, bucket, within, n)
		SELECT program_id, kind, period, severity, bucket, within, COUNT(*) FROM report_metric_rows
		WHERE program_id = new.id AND kind IN ('first_response', 'triage', 'resolution') GROUP BY 1, 2, 3, 4, 5, 6;
	INSERT INTO report_metrics (program_id, kind, period, severity, bucket, within, n)
		SELECT 0, kind, period, severity, bucket, within, n FROM report_metrics
		WHERE program_id = new.id AND kind IN ('first_response', 'triage', 'resolution') AND true
		ON CONFLICT (program_id, kind, period, severity, bucket, within) DO UPDATE SET n = n + excluded.n;
	DELETE FROM report_breach_counts WHERE program_id = new.id;
	INSERT INTO report_breach_counts (program_id, kind, unit, start, n)
		SELECT program_id, kind, unit, start, COUNT(*) FROM report_breach_units WHERE program_id = new.id GROUP BY 1, 2, 3, 4;
END;
