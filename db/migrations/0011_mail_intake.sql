-- 0011: mail intake at speed and in bounded memory.

-- The acknowledgement cap (mail_report.go, mayAcknowledge) counts the recent
-- acknowledgements to one address for every mailed report. It scanned the
-- latest 2,000 outbox rows each time; this index finds them directly, and
-- there are never more than a handful per address in the window.
CREATE INDEX outbox_ack_to ON outbox (to_addr COLLATE NOCASE, created_at) WHERE kind = 'ack' AND report_id IS NOT NULL;

-- attachment_chunks holds the bytes of a large mailed attachment in pieces,
-- so that storing one (and reading it back) never needs the whole file in
-- memory at once, let alone the two or three copies a single-row insert of a
-- 25 MB BLOB costs (the bound value, SQLite's record, the caller's bytes).
-- Such an attachment keeps an empty attachment_data row; readers join the
-- chunks in seq order (attachment_chunks.go).
CREATE TABLE attachment_chunks (
	attachment_id INTEGER NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
	seq           INTEGER NOT NULL,
	data          BLOB NOT NULL,
	PRIMARY KEY (attachment_id, seq)
);
