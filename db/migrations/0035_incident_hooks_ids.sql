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
