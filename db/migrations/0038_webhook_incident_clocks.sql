-- 0038: incident clock alerts reach a webhook only when asked for.
--
-- A webhook belongs to one program and often posts into that program
-- team's channel, whose members may see the program's reports but not the
-- organisation's incidents (handlers/incident_queue.go). incident_clocks
-- says an organisation's admin chose to send this webhook the clock alerts
-- (event incident.clock) of the incidents of the program's organisation.
-- Every existing webhook stays off: they were set up for report events,
-- and their receivers may read report.ref, which a clock alert lacks.
ALTER TABLE webhooks ADD COLUMN incident_clocks INTEGER NOT NULL DEFAULT 0 CHECK (incident_clocks IN (0, 1));

-- Clock alerts queued before the upgrade and not yet sent went to webhooks
-- nobody opted in: they are dropped (the alert mails were sent as ever).
DELETE FROM webhook_deliveries WHERE status = 'pending' AND event = 'incident.clock';
