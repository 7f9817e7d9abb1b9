-- 0011: mail intake at speed and in bounded memory.

-- The acknowledgement cap (mail_report.go, mayAcknowledge) counts the recent
-- acknowledgements to one address for every mailed report. It scanned the
-- latest 2,000 outbox rows each time; this index finds them directly, and
-- there are never more than a handful per address in the window.
CREATE INDEX outbox_ack_to ON outbox (to_addr COLLATE NOCASE, created_at) WHERE kind = 'ack' AND report_id IS NOT NULL;
