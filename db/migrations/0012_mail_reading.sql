-- 0012: a mail that stops the portal while it is read (out of memory, a
-- crash) is set aside after a few attempts, not fetched and read again at
-- every start.

-- reading_from..reading_to are the UIDs intake is parsing in this mailbox
-- (0: none): a whole fetched batch, or one message. The mark is written and
-- committed before the parse starts. Finding it set at the next poll means
-- the process stopped while reading: a mark of one message counts as a
-- failed attempt of it (mail_failures.stopped); a mark of a batch makes the
-- batch a careful range (careful_from..careful_to), read one marked message
-- at a time until the mailbox has passed it, so the next stop names the
-- message. One write per batch in the usual case, not one per message.
ALTER TABLE mail_mailboxes ADD COLUMN reading_from INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_mailboxes ADD COLUMN reading_to INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_mailboxes ADD COLUMN careful_from INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_mailboxes ADD COLUMN careful_to INTEGER NOT NULL DEFAULT 0;

-- stopped says the last failed attempt at the message stopped the portal;
-- at the attempt limit such a message is set aside without being read.
ALTER TABLE mail_failures ADD COLUMN stopped INTEGER NOT NULL DEFAULT 0;

-- read_attempts counts the passes that began decrypting a kept encrypted
-- mail once the team key was unlocked (counted before each pass begins), so
-- that a mail that stops the portal there is marked failed after a few,
-- not decrypted again at every unlock and start.
ALTER TABLE mail_raw ADD COLUMN read_attempts INTEGER NOT NULL DEFAULT 0;
