-- 0035: incident clocks reach webhooks.
--
-- A clock alert (half time, one hour left, overdue: db/incident_alerts.go)
-- is also a webhook delivery, event 'incident.clock', to the enabled
-- webhooks of the incident's organisation's programs, queued in the
-- transaction that records the point. It is about an incident, not a
-- report (report_id NULL, ref INC-N), and carries what the mail carries:
-- the obligation (preset/stage), the point and the deadline; never the
-- incident's title or text.
ALTER TABLE webhook_deliveries ADD COLUMN obligation TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN point TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN due_at TEXT;

-- Obligation ids are random (db.randomTenDigits), like incident ids
-- (0029): the id is in the URLs and forms of the incident page, and a
-- sequence every organisation shares told a tenant how many obligations
-- the others had. seq, never shown, keeps the order of creation (the old
-- id). Existing rows get a random id here; the alerts that name them
-- follow. The foreign keys are checked at commit, when both agree.
PRAGMA defer_foreign_keys = ON;
ALTER TABLE incident_obligations ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE incident_obligations SET seq = id;
CREATE UNIQUE INDEX incident_obligations_seq ON incident_obligations (seq);
CREATE TEMP TABLE obligation_ids (old INTEGER PRIMARY KEY, new INTEGER NOT NULL UNIQUE);
-- Three draws: a collision among ten-digit numbers is rare, three in a
-- row for one row are not going to happen; a row still without one keeps
-- its id.
INSERT OR IGNORE INTO obligation_ids (old, new) SELECT id, 1000000000 + abs(random() % 9000000000) FROM incident_obligations;
INSERT OR IGNORE INTO obligation_ids (old, new) SELECT id, 1000000000 + abs(random() % 9000000000) FROM incident_obligations
	WHERE id NOT IN (SELECT old FROM obligation_ids);
INSERT OR IGNORE INTO obligation_ids (old, new) SELECT id, 1000000000 + abs(random() % 9000000000) FROM incident_obligations
	WHERE id NOT IN (SELECT old FROM obligation_ids);
DELETE FROM obligation_ids WHERE new IN (SELECT id FROM incident_obligations);
UPDATE incident_alerts SET obligation_id = (SELECT new FROM obligation_ids WHERE old = obligation_id)
	WHERE obligation_id IN (SELECT old FROM obligation_ids);
UPDATE incident_obligations SET id = (SELECT new FROM obligation_ids WHERE old = id) WHERE id IN (SELECT old FROM obligation_ids);
DROP TABLE obligation_ids;
