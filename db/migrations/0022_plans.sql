-- 0022: indexes that let every queue view, the metrics page and the
-- retention paths read what they show rather than every report (issue 18;
-- TestQueryPlans checks the plans). Each queue view walks one of these in
-- id order and stops after a page: the filter it leads with is an equality
-- on the index's first column(s).

-- Assignee, unassigned included (the partial index it replaces left out
-- the NULLs, so "unassigned" scanned every report).
DROP INDEX reports_assignee;
CREATE INDEX reports_assignee_id ON reports (assignee_id, id);
CREATE INDEX reports_severity_id ON reports (severity, id);
CREATE INDEX reports_source_id ON reports (source, id);
-- Open or closed: the two state groups of the queue's tabs, each one
-- range of this index (db.openExpr is the same expression).
CREATE INDEX reports_open_id ON reports ((state IN ('new', 'triaged', 'needs_info', 'resolved')), id);
CREATE INDEX reports_open_rank ON reports ((state IN ('new', 'triaged', 'needs_info', 'resolved')),
	(CASE severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3
	WHEN 'low' THEN 2 WHEN 'none' THEN 1 ELSE 0 END), id);
-- Metrics: a period's reports and milestones are ranges of these, and the
-- durations are read from the index alone.
CREATE INDEX reports_created ON reports (created_at, program_id);
CREATE INDEX reports_first_response ON reports (first_response_at, created_at, program_id) WHERE first_response_at IS NOT NULL;
CREATE INDEX reports_triaged ON reports (triaged_at, created_at, program_id) WHERE triaged_at IS NOT NULL;
CREATE INDEX reports_resolved ON reports (resolved_at, created_at, program_id) WHERE resolved_at IS NOT NULL;
-- Retention: is a reporter still referenced, which digest items name a
-- report, which reports are held.
CREATE INDEX reports_reporter ON reports (reporter_id) WHERE reporter_id IS NOT NULL;
CREATE INDEX outbox_status_id ON outbox (status, id);
CREATE INDEX digest_items_report ON digest_items (report_id);
CREATE INDEX reports_legal_hold ON reports (id) WHERE legal_hold = 1;

-- row_counts keeps the counts the admin pages and the stats show, by
-- triggers, like report_state_counts: counting the outbox, the kept mail or
-- the audit log reads every row, and those grow without end.
CREATE TABLE row_counts (
	tbl TEXT NOT NULL,
	key TEXT NOT NULL,
	n   INTEGER NOT NULL,
	PRIMARY KEY (tbl, key)
) WITHOUT ROWID;
INSERT INTO row_counts (tbl, key, n) SELECT 'outbox', status, COUNT(*) FROM outbox GROUP BY status;
INSERT INTO row_counts (tbl, key, n) SELECT 'mail_raw', kind, COUNT(*) FROM mail_raw GROUP BY kind;
INSERT INTO row_counts (tbl, key, n) SELECT 'mail_failures', '', COUNT(*) FROM mail_failures;
INSERT INTO row_counts (tbl, key, n) SELECT 'audit', action, COUNT(*) FROM audit GROUP BY action;
INSERT INTO row_counts (tbl, key, n) SELECT 'audit.report.submit', detail, COUNT(*) FROM audit WHERE action = 'report.submit' GROUP BY detail;

CREATE TRIGGER row_counts_outbox_insert AFTER INSERT ON outbox BEGIN
	INSERT INTO row_counts (tbl, key, n) VALUES ('outbox', new.status, 1) ON CONFLICT (tbl, key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER row_counts_outbox_update AFTER UPDATE OF status ON outbox WHEN old.status <> new.status BEGIN
	UPDATE row_counts SET n = n - 1 WHERE tbl = 'outbox' AND key = old.status;
	INSERT INTO row_counts (tbl, key, n) VALUES ('outbox', new.status, 1) ON CONFLICT (tbl, key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER row_counts_outbox_delete AFTER DELETE ON outbox BEGIN
	UPDATE row_counts SET n = n - 1 WHERE tbl = 'outbox' AND key = old.status;
END;
CREATE TRIGGER row_counts_mail_raw_insert AFTER INSERT ON mail_raw BEGIN
	INSERT INTO row_counts (tbl, key, n) VALUES ('mail_raw', new.kind, 1) ON CONFLICT (tbl, key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER row_counts_mail_raw_update AFTER UPDATE OF kind ON mail_raw WHEN old.kind <> new.kind BEGIN
	UPDATE row_counts SET n = n - 1 WHERE tbl = 'mail_raw' AND key = old.kind;
	INSERT INTO row_counts (tbl, key, n) VALUES ('mail_raw', new.kind, 1) ON CONFLICT (tbl, key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER row_counts_mail_raw_delete AFTER DELETE ON mail_raw BEGIN
	UPDATE row_counts SET n = n - 1 WHERE tbl = 'mail_raw' AND key = old.kind;
END;
CREATE TRIGGER row_counts_mail_failures_insert AFTER INSERT ON mail_failures BEGIN
	INSERT INTO row_counts (tbl, key, n) VALUES ('mail_failures', '', 1) ON CONFLICT (tbl, key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER row_counts_mail_failures_delete AFTER DELETE ON mail_failures BEGIN
	UPDATE row_counts SET n = n - 1 WHERE tbl = 'mail_failures' AND key = '';
END;
CREATE TRIGGER row_counts_audit_insert AFTER INSERT ON audit BEGIN
	INSERT INTO row_counts (tbl, key, n) VALUES ('audit', new.action, 1) ON CONFLICT (tbl, key) DO UPDATE SET n = n + 1;
	INSERT INTO row_counts (tbl, key, n) SELECT 'audit.report.submit', new.detail, 1 WHERE new.action = 'report.submit'
		ON CONFLICT (tbl, key) DO UPDATE SET n = n + 1;
END;
