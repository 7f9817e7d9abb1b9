-- 0012: a mail that stops the portal while it is read (out of memory, a
-- crash) is set aside after a few attempts, not fetched and read again at
-- every start.

-- reading_uid is the UID intake is parsing in this mailbox (0: none). It is
-- written and committed before the parse starts; finding it set at the
-- next poll means the process stopped while reading that mail, which then
-- counts as a failed attempt (mail_failures.stopped).
ALTER TABLE mail_mailboxes ADD COLUMN reading_uid INTEGER NOT NULL DEFAULT 0;

-- stopped says the last failed attempt at the message stopped the portal;
-- at the attempt limit such a message is set aside without being read.
ALTER TABLE mail_failures ADD COLUMN stopped INTEGER NOT NULL DEFAULT 0;

-- read_attempts counts the passes that began decrypting a kept encrypted
-- mail once the team key was unlocked (counted before each pass begins), so
-- that a mail that stops the portal there is marked failed after a few,
-- not decrypted again at every unlock and start.
ALTER TABLE mail_raw ADD COLUMN read_attempts INTEGER NOT NULL DEFAULT 0;
