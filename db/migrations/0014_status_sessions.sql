-- 0014: reporter status sessions live on the server. A receipt code opens a
-- report's status page for one browser through a random token; the database
-- keeps only its SHA-256 hash and checks the idle and absolute expiry itself,
-- so a copy of the database can neither mint a session nor stretch one.
-- The signed cookie this replaces was keyed from the settings table (its key
-- is dropped here), which let anyone holding a backup forge one.
CREATE TABLE status_sessions (
	token_hash   BLOB PRIMARY KEY,
	report_id    INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
	created_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at   TEXT NOT NULL
);
CREATE INDEX status_sessions_report ON status_sessions (report_id);

-- A report that loses its receipt code (anonymised by retention, or any
-- later change of the code) loses its sessions in the same statement,
-- whichever code path made the change; a deleted report loses them through
-- the foreign key.
CREATE TRIGGER status_sessions_end AFTER UPDATE OF receipt_hash, anonymised_at ON reports
WHEN NEW.receipt_hash IS NOT OLD.receipt_hash OR NEW.anonymised_at IS NOT NULL
BEGIN
	DELETE FROM status_sessions WHERE report_id = NEW.id;
END;

DELETE FROM settings WHERE key = 'secret:status-cookie';
