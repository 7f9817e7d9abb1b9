-- The organisations an audit row concerns, so that an organisation's admins
-- read the rows of their organisation (and a parent's admins those of its
-- children: each row is filed under its organisation and that one's
-- parent). Written with the row (Tx.audit, auditScope); rows from before
-- this migration concern the instance only and stay the site admin's.
CREATE TABLE audit_orgs (
	org_id   INTEGER NOT NULL REFERENCES organisations (id),
	audit_id INTEGER NOT NULL REFERENCES audit (id),
	PRIMARY KEY (org_id, audit_id)
) WITHOUT ROWID;
