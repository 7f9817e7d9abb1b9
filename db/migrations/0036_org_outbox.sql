-- 0036: the outbox by organisation, and the audit rows from before 0033.
--
-- outbox_orgs files each outgoing mail under the organisations whose admins
-- may read it on their outbox page (and each one's parent, as audit_orgs
-- does): mail about a report under the report's organisation; an
-- invitation under the inviting organisation; a password reset or account
-- link under every organisation the account is a member of; a digest under
-- the organisations that hold every report it names. Written with the mail
-- (Tx.fileMail); a mail filed nowhere stays the site admin's. status
-- mirrors outbox.status (trigger below) so that an organisation's page
-- reads its own rows of one status through an index, however much mail the
-- instance sends.
CREATE TABLE outbox_orgs (
	org_id    INTEGER NOT NULL REFERENCES organisations (id),
	outbox_id INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
	status    TEXT NOT NULL,
	PRIMARY KEY (org_id, outbox_id)
) WITHOUT ROWID;
CREATE INDEX outbox_orgs_status ON outbox_orgs (org_id, status, outbox_id);
CREATE INDEX outbox_orgs_outbox ON outbox_orgs (outbox_id);

CREATE TRIGGER outbox_orgs_status AFTER UPDATE OF status ON outbox WHEN old.status <> new.status BEGIN
	UPDATE outbox_orgs SET status = new.status WHERE outbox_id = new.id;
END;
-- The filter's counts per organisation, as row_counts keeps the outbox's.
CREATE TRIGGER row_counts_outbox_orgs_insert AFTER INSERT ON outbox_orgs BEGIN
	INSERT INTO row_counts (tbl, key, n) VALUES ('outbox.org:' || new.org_id, new.status, 1) ON CONFLICT (tbl, key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER row_counts_outbox_orgs_update AFTER UPDATE OF status ON outbox_orgs WHEN old.status <> new.status BEGIN
	UPDATE row_counts SET n = n - 1 WHERE tbl = 'outbox.org:' || old.org_id AND key = old.status;
	INSERT INTO row_counts (tbl, key, n) VALUES ('outbox.org:' || new.org_id, new.status, 1) ON CONFLICT (tbl, key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER row_counts_outbox_orgs_delete AFTER DELETE ON outbox_orgs BEGIN
	UPDATE row_counts SET n = n - 1 WHERE tbl = 'outbox.org:' || old.org_id AND key = old.status;
END;

-- The mail already in the outbox, by the same rules. Mail about a report:
INSERT OR IGNORE INTO outbox_orgs (org_id, outbox_id, status)
	SELECT p.org_id, o.id, o.status FROM outbox o JOIN reports r ON r.id = o.report_id JOIN programs p ON p.id = r.program_id;
-- Password resets and account links are the person's: no tenant's outbox
-- lists them (the site admin's does).
-- Invitations: the organisation whose pending invitation this mail carries
-- (the invitation and its mail are written at the same instant). The mail
-- of an invitation answered or sent again since stays the site admin's.
INSERT OR IGNORE INTO outbox_orgs (org_id, outbox_id, status)
	SELECT i.org_id, o.id, o.status FROM outbox o JOIN org_invites i ON i.user_id = o.user_id AND i.created_at = o.created_at
	WHERE o.report_id IS NULL AND o.kind = 'org_invite';
-- Digests: each organisation that holds (itself or as a child's parent)
-- every report the digest names, so that no admin reads another tenant's
-- titles in it.
INSERT OR IGNORE INTO outbox_orgs (org_id, outbox_id, status)
	SELECT c.id, o.id, o.status FROM outbox o JOIN organisations c
	WHERE o.report_id IS NULL AND o.kind = 'digest' AND EXISTS (SELECT 1 FROM outbox_mentions m WHERE m.outbox_id = o.id)
	AND NOT EXISTS (SELECT 1 FROM outbox_mentions m JOIN reports r ON r.id = m.report_id JOIN programs p ON p.id = r.program_id
		JOIN organisations g ON g.id = p.org_id WHERE m.outbox_id = o.id AND g.id <> c.id AND COALESCE(g.parent_id, 0) <> c.id);
-- And each filed mail under its organisation's parent.
INSERT OR IGNORE INTO outbox_orgs (org_id, outbox_id, status)
	SELECT g.parent_id, x.outbox_id, x.status FROM outbox_orgs x JOIN organisations g ON g.id = x.org_id WHERE g.parent_id IS NOT NULL;

-- audit_backfill: the audit rows written before 0033 (audit_orgs) were
-- filed under no organisation. Their organisation is found by the Go rules
-- that file new rows (auditScope: regular expressions over target and
-- detail, which SQL cannot state exactly), after the migrations, a batch
-- at a time from next_id up to end_id, the last row written before 0033;
-- the row is deleted when done.
CREATE TABLE audit_backfill (
	next_id INTEGER NOT NULL,
	end_id  INTEGER NOT NULL
);
INSERT INTO audit_backfill (next_id, end_id)
	SELECT 1, COALESCE(MAX(a.id), 0) FROM audit a, migrations g
	WHERE g.name = 'migrations/0033_audit_orgs.sql' AND a.at < g.applied_at;
DELETE FROM audit_backfill WHERE end_id = 0;
