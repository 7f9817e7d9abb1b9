-- 0040: sign-ins with a provider under way (sso_logins) are bounded per
-- client network, per site and for the portal, as the passkey sign-ins of
-- 0039 are (db/passkey_limit.go): a stranger begins each one, and before
-- only the rate limit per client held them, which one holder of many IPv6
-- /64s multiplies.
--
-- network (db.PairNetwork: IPv4 /24, IPv6 /64), site (db.PasskeySite: IPv6
-- /48, IPv4 /24) and client (db.ClientNetwork: one IPv4 address, one IPv6
-- /64) of the address that began it; '' for those under way at the upgrade.
ALTER TABLE sso_logins ADD COLUMN network TEXT NOT NULL DEFAULT '';
ALTER TABLE sso_logins ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE sso_logins ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX sso_logins_network ON sso_logins (network, client, expires_at);
CREATE INDEX sso_logins_site ON sso_logins (site, client, expires_at);

-- sso_sites: how many sign-ins with a provider each site has under way,
-- kept by the triggers below (as passkey_sites), so that the busiest site
-- is found by an index when the portal's bound is reached.
CREATE TABLE sso_sites (
	site    TEXT PRIMARY KEY,
	signins INTEGER NOT NULL CHECK (signins > 0),
	since   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sso_sites_busiest ON sso_sites (signins DESC, since);

CREATE TRIGGER sso_sites_begin AFTER INSERT ON sso_logins
BEGIN
	INSERT INTO sso_sites (site, signins, since) VALUES (NEW.site, 1, NEW.expires_at)
		ON CONFLICT (site) DO UPDATE SET signins = signins + 1;
END;

CREATE TRIGGER sso_sites_end AFTER DELETE ON sso_logins
BEGIN
	DELETE FROM sso_sites WHERE site = OLD.site AND signins <= 1;
	UPDATE sso_sites SET signins = signins - 1 WHERE site = OLD.site;
END;

INSERT INTO sso_sites (site, signins, since)
	SELECT site, COUNT(*), MIN(expires_at) FROM sso_logins GROUP BY site;
