package db

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Purposes the sealed parts of a sign-in under way are sealed under.
const (
	secretSSONonce    = "sso nonce"
	secretSSOVerifier = "sso pkce verifier"
)

// SSOLoginLifetime is how long a sign-in sent to a provider may take to
// come back.
const SSOLoginLifetime = 10 * time.Minute

// SSOStart is a sign-in sent to a provider: State and Nonce go into the
// authorization request, Verifier's challenge too (PKCE), Browser into a
// cookie that binds the sign-in to the browser that began it.
type SSOStart struct {
	State, Nonce, Verifier, Browser string
	// Crowded says the portal's bound of sign-ins under way was reached
	// and another site's oldest was ended to make room (passkey_limit.go).
	Crowded bool
}

// MaxSSONext bounds the place to go after a sign-in kept with it: a
// stranger chooses it, and each start keeps a row.
const MaxSSONext = 2048

// SSOPending is a sign-in that came back, as BeginSSOLogin stored it.
type SSOPending struct {
	ProviderID      int64
	Nonce, Verifier string
	Next            string
}

// ErrSSOState answers a callback whose state is unknown, used, expired or
// from another browser. One answer for all.
var ErrSSOState = Errorf(EUNAUTHORIZED, "This sign-in link is used, expired or was started in another browser. Start again.")

// BeginSSOLogin makes the random values of a sign-in with a provider and
// keeps them server-side: the state and browser cookie as hashes, the nonce
// and PKCE verifier sealed with the local key. A stranger begins it from
// clientAddr: the sign-ins under way are bounded per network, per site and
// for the portal (passkey_limit.go), and past a bound the oldest of the
// busiest client goes, never the new one. Sign-ins past their lifetime go
// whenever a new one starts.
func (db *DB) BeginSSOLogin(ctx context.Context, providerID int64, next, clientAddr string) (*SSOStart, error) {
	if len(next) > MaxSSONext {
		return nil, Errorf(EINVALID, "The place to go after signing in is too long.")
	}
	var st SSOStart
	var stateHash, browserHash []byte
	var err error
	if st.State, stateHash, err = newToken(); err != nil {
		return nil, err
	}
	if st.Browser, browserHash, err = newToken(); err != nil {
		return nil, err
	}
	if st.Nonce, _, err = newToken(); err != nil {
		return nil, err
	}
	// 256 bits of base64url: a valid RFC 7636 verifier (43 characters).
	if st.Verifier, _, err = newToken(); err != nil {
		return nil, err
	}
	nonce, err := db.sealSecret(secretSSONonce, st.Nonce)
	if err != nil {
		return nil, err
	}
	verifier, err := db.sealSecret(secretSSOVerifier, st.Verifier)
	if err != nil {
		return nil, err
	}
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sso_logins WHERE expires_at <= ?`, formatTime(tx.now)); err != nil {
			return fmt.Errorf("db: purge sso logins: %w", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sso_providers WHERE id = ?`, providerID).Scan(&n); err != nil {
			return fmt.Errorf("db: find sso provider: %w", err)
		} else if n == 0 {
			return Errorf(ENOTFOUND, "Sign-in provider not found.")
		}
		network, site, client := PairNetwork(clientAddr), PasskeySite(clientAddr), ClientNetwork(clientAddr)
		crowded, err := tx.makeRoomForSignIn(ctx, ssoSignIns, network, site, client)
		if err != nil {
			return err
		}
		st.Crowded = crowded
		if _, err := tx.ExecContext(ctx, `INSERT INTO sso_logins (state_hash, provider_id, browser_hash, nonce, verifier, next, expires_at,
			network, site, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, stateHash, providerID, browserHash, nonce, verifier, next,
			formatTime(tx.now.Add(SSOLoginLifetime)), network, site, client); err != nil {
			return fmt.Errorf("db: insert sso login: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// TakeSSOLogin ends the sign-in named by state, used or not: a state is
// good once. It must come back to the browser that began it (browser, the
// cookie) before its lifetime ends; otherwise ErrSSOState.
func (db *DB) TakeSSOLogin(ctx context.Context, state, browser string) (*SSOPending, error) {
	if state == "" || len(state) > 100 {
		return nil, ErrSSOState
	}
	var p SSOPending
	var browserHash []byte
	var nonce, verifier, expires string
	var refusal error
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		err := tx.QueryRowContext(ctx, `DELETE FROM sso_logins WHERE state_hash = ?
			RETURNING provider_id, browser_hash, nonce, verifier, next, expires_at`, tokenHash(state)).
			Scan(&p.ProviderID, &browserHash, &nonce, &verifier, &p.Next, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrSSOState
		} else if err != nil {
			return fmt.Errorf("db: take sso login: %w", err)
		}
		if !tx.now.Before(parseTime(expires)) || subtle.ConstantTimeCompare(browserHash, tokenHash(browser)) != 1 {
			refusal = ErrSSOState // the row stays deleted: commit, then refuse
		}
		return nil
	})
	if err != nil {
		return nil, err
	} else if refusal != nil {
		return nil, refusal
	}
	if p.Nonce, err = db.openSecret(secretSSONonce, nonce); err != nil {
		return nil, err
	}
	if p.Verifier, err = db.openSecret(secretSSOVerifier, verifier); err != nil {
		return nil, err
	}
	return &p, nil
}

// SSOClaims is what the handler read from a verified ID token.
type SSOClaims struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	// Groups are the values of the provider's groups claim.
	Groups []string
}

// SSO refusals. A sign-in the provider vouched for may learn why it was
// refused, except whether an account exists: no account, a disabled one
// and one the provider may not sign in read alike.
var (
	ErrSSOEmailUnverified = Errorf(EFORBIDDEN, "Your identity provider does not say that your email address is verified, so it cannot sign you in here.")
	ErrSSODomain          = Errorf(EFORBIDDEN, "Accounts of your email domain cannot sign in with this provider.")
	ErrSSONoAccount       = Errorf(EFORBIDDEN, "This provider cannot sign you in to an account here. Ask an admin of the portal.")
	ErrSSONoRole          = Errorf(EFORBIDDEN, "None of your groups at the identity provider gives a role here. Ask an admin of the portal.")
	ErrSSONeeds2FA        = Errorf(EFORBIDDEN, "This provider also asks for your own second factor, and your account has none set up. Ask an admin of the portal.")
)

// SSOSignIn signs a user in with claims a provider vouched for (the
// handler verified the ID token) and returns a session, or a pending one
// when the provider asks for the account's own second factor too. Every
// outcome is in the audit log (login, or login.sso_refused with the
// reason). The rules, in order: the email verified claim; an allowed
// domain; the account bound to the provider's subject, or else the one of
// the address (and no other subject of the provider bound to it); not
// disabled; an organisation's provider signs in no site admin and no one
// with memberships outside the organisation (and its children); role from
// the groups claim, or an existing account only.
func (db *DB) SSOSignIn(ctx context.Context, providerID int64, cl SSOClaims, clientAddr string) (*LoginResult, error) {
	email := strings.TrimSpace(cl.Email)
	actor := Actor{Name: auditEmail(email), ClientAddr: clientAddr}
	var res *LoginResult
	var refusal error
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		p, err := scanSSOProvider(tx.QueryRowContext(ctx, `SELECT `+ssoColumns+ssoFrom+` WHERE p.id = ?`, providerID))
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "Sign-in provider not found.")
		} else if err != nil {
			return fmt.Errorf("db: find sso provider: %w", err)
		}
		refuse := func(e error, reason string) error {
			refusal = e
			return tx.audit(ctx, actor, "login.sso_refused", actor.Name, fmt.Sprintf("provider=%d %s", p.ID, reason))
		}
		res, err = tx.ssoSignIn(ctx, p, cl, email, clientAddr, refuse)
		return err
	})
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	return res, nil
}

func (tx *Tx) ssoSignIn(ctx context.Context, p *SSOProvider, cl SSOClaims, email, clientAddr string,
	refuse func(error, string) error) (*LoginResult, error) {
	if !cl.EmailVerified {
		return nil, refuse(ErrSSOEmailUnverified, "email not verified")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 || cl.Subject == "" || len(cl.Subject) > 255 {
		return nil, refuse(ErrSSONoAccount, "no usable email or subject")
	}
	domain := strings.ToLower(email[strings.LastIndex(email, "@")+1:])
	allowed := false
	for _, d := range p.Domains {
		allowed = allowed || d == domain
	}
	if !allowed {
		return nil, refuse(ErrSSODomain, "domain not allowed: "+domain)
	}
	var userID int64
	err = tx.QueryRowContext(ctx, `SELECT user_id FROM sso_identities WHERE provider_id = ? AND subject = ?`, p.ID, cl.Subject).Scan(&userID)
	bound := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("db: find sso identity: %w", err)
	}
	if !bound {
		err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE email = ?`, email).Scan(&userID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("db: find user for sso: %w", err)
		}
		if userID != 0 {
			var other int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sso_identities WHERE user_id = ? AND provider_id = ?`, userID, p.ID).Scan(&other); err != nil {
				return nil, fmt.Errorf("db: find sso identity: %w", err)
			} else if other > 0 {
				return nil, refuse(ErrSSONoAccount, "account bound to another subject of the provider")
			}
		}
	}
	role := Role("")
	if p.RoleMode == SSOGroups {
		for _, g := range cl.Groups {
			if r, ok := p.GroupRoles[g]; ok && roleRank(r) > roleRank(role) {
				role = r
			}
		}
		if role == "" {
			return nil, refuse(ErrSSONoRole, "no group maps to a role")
		}
	}
	if userID == 0 {
		if p.RoleMode != SSOGroups {
			return nil, refuse(ErrSSONoAccount, "no account")
		}
		if p.Require2FA {
			return nil, refuse(ErrSSONeeds2FA, "second factor required, new account has none")
		}
		name := []rune(strings.TrimSpace(cl.Name))
		if len(name) > 100 {
			name = name[:100]
		}
		// users.role is not the organisation role (org_members): viewer
		// gives nothing by itself, and SSO never makes a site admin.
		if userID, err = tx.createUser(ctx, &NewUser{Email: email, Name: string(name), Role: RoleViewer},
			"", Actor{Name: "sso", ClientAddr: clientAddr}); err != nil {
			return nil, err
		}
	}
	u, err := tx.userByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, refuse(ErrSSONoAccount, "account disabled")
	}
	org := p.OrgID
	if org != 0 {
		if reason, err := tx.outsideOrg(ctx, u, org); err != nil {
			return nil, err
		} else if reason != "" && !(reason == "no membership" && role != "") {
			return nil, refuse(ErrSSONoAccount, reason)
		}
	} else {
		org = 1 // the instance's provider gives roles in the default organisation
	}
	if role != "" {
		if err := tx.ssoRole(ctx, org, u, role, clientAddr); err != nil {
			return nil, err
		}
	}
	now := formatTime(tx.now)
	if _, err := tx.ExecContext(ctx, `INSERT INTO sso_identities (provider_id, subject, user_id, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (provider_id, subject) DO UPDATE SET last_used_at = excluded.last_used_at`, p.ID, cl.Subject, u.ID, now, now); err != nil {
		return nil, fmt.Errorf("db: bind sso identity: %w", err)
	}
	res := &LoginResult{User: u}
	how := fmt.Sprintf("sso provider=%d", p.ID)
	switch {
	case p.Require2FA && !u.TOTPEnabled:
		return nil, refuse(ErrSSONeeds2FA, "second factor required, none set up")
	case p.Require2FA:
		res.PendingToken, err = tx.createPending(ctx, u.ID, clientAddr, false, false)
		if err == nil {
			err = tx.audit(ctx, u.Actor(clientAddr), "login.sso", u.Email, how+" second factor asked")
		}
	default:
		res.Token, err = tx.completeLogin(ctx, u.ID, u.Email, clientAddr, how)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// outsideOrg says why an organisation's provider may not sign u in ("" if
// it may): a site admin, or someone with a membership outside the
// organisation and its children, would let the organisation's provider (and
// whoever runs it) act beyond the organisation. "no membership": the
// account is no member of the organisation at all.
func (tx *Tx) outsideOrg(ctx context.Context, u *User, orgID int64) (string, error) {
	if u.Role == RoleAdmin {
		return "site admin", nil
	}
	var outside, inside int
	// organisations is small; org_members and program_members are read
	// by user (their user indexes).
	const tree = `(SELECT id FROM organisations WHERE id = ?1 OR parent_id = ?1)`
	err := tx.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM org_members WHERE user_id = ?2 AND org_id NOT IN `+tree+`) +
		(SELECT COUNT(*) FROM program_members m JOIN programs p ON p.id = m.program_id WHERE m.user_id = ?2 AND p.org_id NOT IN `+tree+`),
		(SELECT COUNT(*) FROM org_members WHERE user_id = ?2 AND org_id IN `+tree+`) +
		(SELECT COUNT(*) FROM program_members m JOIN programs p ON p.id = m.program_id WHERE m.user_id = ?2 AND p.org_id IN `+tree+`)`,
		orgID, u.ID).Scan(&outside, &inside)
	switch {
	case err != nil:
		return "", fmt.Errorf("db: sso memberships: %w", err)
	case outside > 0:
		return "member of another organisation", nil
	case inside == 0:
		return "no membership", nil
	}
	return "", nil
}

// ssoRole gives u the role the groups claim maps to in org, recorded when
// it changes. A site admin keeps being one whatever the claim says.
func (tx *Tx) ssoRole(ctx context.Context, orgID int64, u *User, role Role, clientAddr string) error {
	var cur string
	err := tx.QueryRowContext(ctx, `SELECT role FROM org_members WHERE org_id = ? AND user_id = ?`, orgID, u.ID).Scan(&cur)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("db: sso role: %w", err)
	}
	if cur == string(role) {
		return nil
	}
	return tx.setOrgMember(ctx, orgID, u.ID, role, Actor{Name: "sso", ClientAddr: clientAddr})
}

// AuditSSORefusal records a sign-in with a provider that failed before any
// account was in question (state, provider error, token verification).
func (db *DB) AuditSSORefusal(ctx context.Context, providerID int64, reason, clientAddr string) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		return tx.audit(ctx, Actor{Name: "unknown", ClientAddr: clientAddr}, "login.sso_refused", "",
			fmt.Sprintf("provider=%d %s", providerID, reason))
	})
}
