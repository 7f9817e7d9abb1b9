-- 0016: retention removes everything tied to a report (db/purge_report.go).

-- mail_disposed remembers the mail that retention removed, by keyed hashes
-- (HMAC under the local key, localkey.go) of its raw digest and its
-- Message-ID, so that the same mail fetched again (a UIDVALIDITY change
-- makes the poller read the mailbox again) does not bring a deleted report
-- back. Without the key file nobody can test a guess against them.
CREATE TABLE mail_disposed (
	key BLOB PRIMARY KEY
) WITHOUT ROWID;

-- outbox_mentions names the reports a mail about several reports quotes
-- (a member's daily digest lists references and, if they asked, titles), so
-- that retention can find that mail when one of them is anonymised or
-- deleted. Mail about one report carries outbox.report_id instead.
CREATE TABLE outbox_mentions (
	report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
	outbox_id INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
	PRIMARY KEY (report_id, outbox_id)
) WITHOUT ROWID;
CREATE INDEX outbox_mentions_outbox ON outbox_mentions (outbox_id);

-- Retention finds a report's raw mail, the copies of it kept as duplicates,
-- and its webhook deliveries by index rather than by reading every row
-- (deleting a report also looks its rows up, to unlink them).
CREATE INDEX mail_raw_report ON mail_raw (report_id) WHERE report_id IS NOT NULL;
CREATE INDEX mail_raw_duplicate ON mail_raw (message_id) WHERE kind = 'duplicate';
CREATE INDEX webhook_deliveries_report ON webhook_deliveries (report_id) WHERE report_id IS NOT NULL;
