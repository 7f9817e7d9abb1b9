-- 0039: sign-ins without password are bounded per client network
-- (db/passkey_limit.go), not only by one count for the whole portal.
--
-- network is the client's network as the login limits count it (IPv4 /24,
-- IPv6 /64, db.PairNetwork); site is the wider block one holder gets whole
-- (IPv6 /48; IPv4 the /24 again); client is the one address or /64 that
-- began it (db.ClientNetwork): when a network or site is full, the busiest
-- client inside it loses its oldest, so a neighbour cannot end a colleague's.
-- All three are '' for the ceremonies of a signed-in account (user_id set),
-- which these bounds do not count.
ALTER TABLE passkey_challenges ADD COLUMN network TEXT NOT NULL DEFAULT '';
ALTER TABLE passkey_challenges ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE passkey_challenges ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX passkey_challenges_network ON passkey_challenges (network, expires_at) WHERE user_id IS NULL;
CREATE INDEX passkey_challenges_site ON passkey_challenges (site, expires_at) WHERE user_id IS NULL;

-- passkey_sites: how many sign-ins without password each site has under
-- way, kept by the triggers below, so that the busiest site is found by an
-- index when the portal's bound is reached, not by counting every
-- ceremony at each start of a flood. since is the expiry of the ceremony
-- that took the site from none under way to one: of sites holding as
-- many, the one that has held ceremonies longest without a break loses
-- first.
CREATE TABLE passkey_sites (
	site    TEXT PRIMARY KEY,
	signins INTEGER NOT NULL CHECK (signins > 0),
	since   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX passkey_sites_busiest ON passkey_sites (signins DESC, since);

CREATE TRIGGER passkey_sites_begin AFTER INSERT ON passkey_challenges WHEN NEW.user_id IS NULL
BEGIN
	INSERT INTO passkey_sites (site, signins, since) VALUES (NEW.site, 1, NEW.expires_at)
		ON CONFLICT (site) DO UPDATE SET signins = signins + 1;
END;

CREATE TRIGGER passkey_sites_end AFTER DELETE ON passkey_challenges WHEN OLD.user_id IS NULL
BEGIN
	DELETE FROM passkey_sites WHERE site = OLD.site AND signins <= 1;
	UPDATE passkey_sites SET signins = signins - 1 WHERE site = OLD.site;
END;

-- Ceremonies under way at the upgrade keep '' (and expire within minutes).
INSERT INTO passkey_sites (site, signins, since)
	SELECT site, COUNT(*), MIN(expires_at) FROM passkey_challenges WHERE user_id IS NULL GROUP BY site;
