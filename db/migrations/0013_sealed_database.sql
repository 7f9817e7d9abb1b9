-- 0013: sealing is a property of the database, not of one command (see
-- db/seal_state.go). The settings row 'sealed' says new rows must be sealed;
-- serve --seal and disclose seal write it, disclose unseal removes it, and
-- every process that writes to a database holding it must seal.

-- A database sealed before this migration says so by its sealed rows.
INSERT INTO settings (key, value)
SELECT 'sealed', '1'
WHERE EXISTS (SELECT 1 FROM reports WHERE sealed = 1)
	OR EXISTS (SELECT 1 FROM reporters WHERE sealed = 1)
	OR EXISTS (SELECT 1 FROM messages WHERE sealed = 1)
	OR EXISTS (SELECT 1 FROM attachments WHERE sealed = 1)
	OR EXISTS (SELECT 1 FROM mail_raw WHERE sealed = 1)
	OR EXISTS (SELECT 1 FROM outbox WHERE sealed = 1)
	OR EXISTS (SELECT 1 FROM pgp_key_candidates WHERE sealed = 1)
ON CONFLICT (key) DO NOTHING;

-- Rows holding plaintext in a sealed column. A sealed database has none, so
-- these indexes are empty there and the check at every start (PlainRows)
-- reads nothing; disclose seal finds what is left to convert through them.
-- Their WHERE clauses are those of PlainRows, word for word.
CREATE INDEX reports_plain ON reports (id) WHERE sealed = 0 AND anonymised_at IS NULL;
CREATE INDEX reporters_plain ON reporters (id) WHERE sealed = 0 AND (name <> '' OR email <> '' OR pgp_key <> '');
CREATE INDEX messages_plain ON messages (id) WHERE sealed = 0 AND body <> '';
CREATE INDEX attachments_plain ON attachments (id) WHERE sealed = 0;
CREATE INDEX mail_raw_plain ON mail_raw (id) WHERE sealed = 0;
CREATE INDEX outbox_plain ON outbox (id) WHERE sealed = 0 AND report_id IS NOT NULL;
CREATE INDEX pgp_key_candidates_plain ON pgp_key_candidates (id) WHERE sealed = 0;
