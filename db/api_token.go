package db

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// APIScope is what a personal access token may do at most: read, write
// (read and change reports) or admin (write and the admin-only API, the
// audit log). The scopes are ordered; the user's own roles still bound it.
type APIScope string

// API token scopes.
const (
	ScopeRead  APIScope = "read"
	ScopeWrite APIScope = "write"
	ScopeAdmin APIScope = "admin"
)

// APIScopes lists the scopes in the order forms offer them.
var APIScopes = []APIScope{ScopeRead, ScopeWrite, ScopeAdmin}

// Valid reports whether s is a known scope.
func (s APIScope) Valid() bool { return s == ScopeRead || s == ScopeWrite || s == ScopeAdmin }

// MaxAPITokens is how many tokens one account may hold: a session that is
// taken over cannot fill the table.
const MaxAPITokens = 50

// apiTokenPrefix starts every token, so secret scanners and people can tell
// one from other random strings.
const apiTokenPrefix = "dsc_"

// apiTokenPurpose is the local key's purpose for token hashes.
const apiTokenPurpose = "api-token"

// apiTouchEvery is how often a token's last use is written and audited:
// reads are coalesced per token per minute (every write is audited by the
// change it makes).
const apiTouchEvery = time.Minute

// APIToken is a personal access token as lists show it (never the token).
type APIToken struct {
	ID           int64
	UserID       int64
	UserEmail    string
	Name         string
	Scope        APIScope
	OrgID        int64  // 0: no organisation limit
	OrgSlug      string // "" without a limit
	CreatedAt    time.Time
	ExpiresAt    time.Time // zero: never
	LastUsedAt   time.Time // zero: never used
	LastUsedAddr string
}

// Expired reports whether t has expired at now.
func (t *APIToken) Expired(now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)
}

// NewAPIToken is what creating a token takes.
type NewAPIToken struct {
	Name    string
	Scope   APIScope
	OrgSlug string        // "": no organisation limit
	Expires time.Duration // 0: never
}

// MaxAPITokenLife bounds an expiry (about five years): a longer one is a
// typo more often than a wish.
const MaxAPITokenLife = 5 * 366 * 24 * time.Hour

const apiTokenColumns = `t.id, t.user_id, u.email, t.name, t.scope, COALESCE(t.org_id, 0), COALESCE(o.slug, ''), t.created_at,
	t.expires_at, t.last_used_at, t.last_used_addr`

func scanAPIToken(row interface{ Scan(...any) error }) (*APIToken, error) {
	var t APIToken
	var created string
	var expires, used sql.NullString
	if err := row.Scan(&t.ID, &t.UserID, &t.UserEmail, &t.Name, &t.Scope, &t.OrgID, &t.OrgSlug, &created, &expires, &used, &t.LastUsedAddr); err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = parseTime(created), parseNullTime(expires), parseNullTime(used)
	return &t, nil
}

// hashAPIToken is the keyed hash the table keeps of a token.
func (db *DB) hashAPIToken(token string) []byte {
	return db.localKey.Hash(apiTokenPurpose, []byte(token))
}

// wellFormedAPIToken says whether s can be a token at all, so that junk is
// refused before any work.
func wellFormedAPIToken(s string) bool {
	if len(s) != len(apiTokenPrefix)+43 || !strings.HasPrefix(s, apiTokenPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s[len(apiTokenPrefix):])
	return err == nil
}

// validate checks a new token's fields, one message per bad field.
func (in *NewAPIToken) validate() FieldErrors {
	errs := FieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	in.OrgSlug = strings.TrimSpace(in.OrgSlug)
	if n := utf8.RuneCountInString(in.Name); n == 0 || n > 100 {
		errs["name"] = "Give the token a name of at most 100 characters, such as what will use it."
	}
	if !in.Scope.Valid() {
		errs["scope"] = "Choose read, write or admin."
	}
	if in.Expires < 0 || in.Expires > MaxAPITokenLife {
		errs["expires"] = "Choose an expiry between now and five years."
	}
	return errs
}

// CreateAPIToken makes a personal access token for a user and returns it
// with the token, which exists only in the returned value: the table keeps
// a keyed hash. An organisation limit must be an organisation whose
// programs the user reaches.
func (db *DB) CreateAPIToken(ctx context.Context, userID int64, in NewAPIToken, actor Actor) (*APIToken, string, error) {
	if errs := in.validate(); len(errs) > 0 {
		return nil, "", Invalid(errs)
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return nil, "", fmt.Errorf("db: token randomness: %w", err)
	}
	token := apiTokenPrefix + base64.RawURLEncoding.EncodeToString(buf)
	hash := db.hashAPIToken(token)
	var out *APIToken
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		u, err := tx.userByID(ctx, userID)
		if err != nil {
			return err
		}
		if u.Disabled {
			return Errorf(EINVALID, "This account is disabled.")
		}
		if err := userAccess(ctx, tx, u); err != nil {
			return err
		}
		var orgID any
		if in.OrgSlug != "" {
			o, err := orgWhere(ctx, tx, `o.slug = ?`, in.OrgSlug)
			if ErrorCode(err) == ENOTFOUND {
				return Invalid(FieldErrors{"org": "Choose an organisation whose reports you see."})
			} else if err != nil {
				return err
			}
			if !u.IsSiteAdmin() && u.OrgRole(o) == "" && !tx.reachesOrgProgram(ctx, u, o.ID) {
				return Invalid(FieldErrors{"org": "Choose an organisation whose reports you see."})
			}
			orgID = o.ID
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_tokens WHERE user_id = ?`, userID).Scan(&n); err != nil {
			return fmt.Errorf("db: count tokens: %w", err)
		} else if n >= MaxAPITokens {
			return Invalid(FieldErrors{"name": fmt.Sprintf("An account holds at most %d tokens: revoke one you no longer use first.", MaxAPITokens)})
		}
		var expires any
		if in.Expires > 0 {
			expires = formatTime(tx.now.Add(in.Expires))
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (user_id, token_hash, name, scope, org_id, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, userID, hash, in.Name, string(in.Scope), orgID, formatTime(tx.now), expires)
		if err != nil {
			return fmt.Errorf("db: insert token: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("db: insert token: %w", err)
		}
		if out, err = scanAPIToken(tx.QueryRowContext(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id
			LEFT JOIN organisations o ON o.id = t.org_id WHERE t.id = ?`, id)); err != nil {
			return fmt.Errorf("db: read token: %w", err)
		}
		detail := fmt.Sprintf("token=%d name=%q scope=%s", id, in.Name, in.Scope)
		if in.OrgSlug != "" {
			detail += " org=" + in.OrgSlug
		}
		if expires != nil {
			detail += " expires=" + expires.(string)
		}
		return tx.audit(ctx, actor, "api.token.create", u.Email, detail)
	})
	if err != nil {
		return nil, "", err
	}
	return out, token, nil
}

// reachesOrgProgram says whether u reaches a program of the organisation
// or of its children.
func (tx *Tx) reachesOrgProgram(ctx context.Context, u *User, orgID int64) bool {
	for _, pid := range u.ProgramIDs {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM programs p JOIN organisations o ON o.id = p.org_id
			WHERE p.id = ? AND (o.id = ? OR o.parent_id = ?)`, pid, orgID, orgID).Scan(&n); err == nil && n > 0 {
			return true
		}
	}
	return false
}

// APITokens lists the tokens of a user (userID > 0) or of everyone (0), by
// user and then newest first.
func (db *DB) APITokens(ctx context.Context, userID int64) ([]*APIToken, error) {
	where, args := "", []any{}
	if userID > 0 {
		where, args = ` WHERE t.user_id = ?`, []any{userID}
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id
		LEFT JOIN organisations o ON o.id = t.org_id`+where+` ORDER BY u.email, t.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: list tokens: %w", err)
	}
	defer rows.Close()
	var out []*APIToken
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, fmt.Errorf("db: scan token: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// errNoAPIToken answers a token id that is not the user's, like one that
// does not exist.
var errNoAPIToken = Errorf(ENOTFOUND, "Token not found.")

// RevokeAPIToken ends a token at once (it is deleted). With userID > 0
// only that user's token is found; 0 finds any (the CLI's operator).
func (db *DB) RevokeAPIToken(ctx context.Context, id, userID int64, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var owner int64
		var email, name string
		err := tx.QueryRowContext(ctx, `SELECT t.user_id, u.email, t.name FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?`, id).
			Scan(&owner, &email, &name)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && userID > 0 && owner != userID) {
			return errNoAPIToken
		} else if err != nil {
			return fmt.Errorf("db: find token: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ?`, id); err != nil {
			return fmt.Errorf("db: revoke token: %w", err)
		}
		return tx.audit(ctx, actor, "api.token.revoke", email, fmt.Sprintf("token=%d name=%q", id, name))
	})
}

// errBadAPIToken is the one answer to a token that is unknown, expired or
// revoked, or whose account is disabled: which one is not told.
var errBadAPIToken = Errorf(EUNAUTHORIZED, "The API token is not valid: it is unknown, expired or revoked.")

// UserByAPIToken returns the user a token acts as, with the rights the
// request gets: the account's roles as they are now, reduced to the token's
// scope and organisation limit (User.limitTo), and the token. An unknown or
// expired token, or one of a disabled account, is EUNAUTHORIZED.
func (db *DB) UserByAPIToken(ctx context.Context, token string) (*User, *APIToken, error) {
	if !wellFormedAPIToken(token) {
		return nil, nil, errBadAPIToken
	}
	hash := db.hashAPIToken(token)
	rtx, err := db.beginRead(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer rtx.Rollback()
	var stored []byte
	var require2FA sql.NullString
	t := &APIToken{}
	var created string
	var expires, used sql.NullString
	row := rtx.QueryRowContext(ctx, `SELECT `+userColumns+`, t.token_hash, t.id, t.name, t.scope, COALESCE(t.org_id, 0), COALESCE(o.slug, ''),
		t.created_at, t.expires_at, t.last_used_at, t.last_used_addr, (SELECT CAST(value AS TEXT) FROM settings WHERE key = 'require_2fa')
		FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN organisations o ON o.id = t.org_id
		WHERE t.token_hash = ? AND u.disabled = 0`, hash)
	u, err := scanUser(extraScan{row: row, extra: []any{&stored, &t.ID, &t.Name, &t.Scope, &t.OrgID, &t.OrgSlug, &created, &expires, &used,
		&t.LastUsedAddr, &require2FA}})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errBadAPIToken
	} else if err != nil {
		return nil, nil, fmt.Errorf("db: find token: %w", err)
	}
	if subtle.ConstantTimeCompare(stored, hash) != 1 {
		return nil, nil, errBadAPIToken
	}
	t.UserID, t.UserEmail = u.ID, u.Email
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = parseTime(created), parseNullTime(expires), parseNullTime(used)
	if t.Expired(db.Now()) {
		return nil, nil, errBadAPIToken
	}
	if err := userAccess(ctx, rtx, u); err != nil {
		return nil, nil, err
	}
	u.MustEnroll = require2FA.Valid && require2FA.String == "1" && !u.TOTPEnabled
	var limit map[int64]bool
	var parents map[int64]int64
	if t.OrgID != 0 || (u.IsSiteAdmin() && t.Scope != ScopeAdmin) {
		programs, err := db.Programs(ctx)
		if err != nil {
			return nil, nil, err
		}
		if parents, err = orgParents(ctx, rtx); err != nil {
			return nil, nil, err
		}
		limit = map[int64]bool{}
		for _, p := range programs {
			if t.OrgID == 0 || p.OrgID == t.OrgID || parents[p.OrgID] == t.OrgID {
				limit[p.ID] = true
			}
		}
	}
	e := u.limitTo(t.Scope, t.OrgID != 0, limit)
	if e != u {
		e.Orgs = u.orgsLimitTo(t.Scope, t.OrgID, parents)
	}
	return e, t, nil
}

// orgParents maps each organisation to its parent (0 for a top-level one).
func orgParents(ctx context.Context, q querier) (map[int64]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, COALESCE(parent_id, 0) FROM organisations`)
	if err != nil {
		return nil, fmt.Errorf("db: read organisations: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, parent int64
		if err := rows.Scan(&id, &parent); err != nil {
			return nil, fmt.Errorf("db: scan organisation: %w", err)
		}
		out[id] = parent
	}
	return out, rows.Err()
}

// limitTo is u as a token of scope acts: never more than u. A site admin
// stays one only with the admin scope and no organisation limit; otherwise
// the programs u reaches (every program in programs, for a site admin) are
// listed one by one, those outside an organisation limit are left out, and
// each program's role is capped by the scope (read: viewer). Organisation
// roles are orgsLimitTo's. programs is the
// limit (or, for a site admin, every program); nil means none.
func (u *User) limitTo(scope APIScope, limited bool, programs map[int64]bool) *User {
	if u.IsSiteAdmin() && scope == ScopeAdmin && !limited {
		return u
	}
	e := *u
	e.programRoles, e.ProgramIDs, e.MemberProgramIDs = map[int64]Role{}, nil, nil
	roles := u.programRoles
	if u.IsSiteAdmin() {
		e.Role = RoleViewer // no longer the site admin; the programs say what it reaches
		roles = map[int64]Role{}
		for pid := range programs {
			roles[pid] = RoleAdmin
		}
	}
	for pid, role := range roles {
		if limited && !programs[pid] {
			continue
		}
		switch {
		case scope == ScopeRead:
			role = RoleViewer
		case scope == ScopeWrite && role == RoleAdmin:
			role = RoleTriager
		}
		e.programRoles[pid] = role
		e.ProgramIDs = append(e.ProgramIDs, pid)
	}
	slices.Sort(e.ProgramIDs)
	for _, pid := range u.MemberProgramIDs {
		if _, ok := e.programRoles[pid]; ok {
			e.MemberProgramIDs = append(e.MemberProgramIDs, pid)
		}
	}
	e.Orgs = nil
	if scope == ScopeAdmin && !limited {
		e.Orgs = u.Orgs
	}
	return &e
}

// capRole is role as a token of scope may use it: read is a viewer, write
// a triager at most.
func capRole(role Role, scope APIScope) Role {
	switch {
	case scope == ScopeRead:
		return RoleViewer
	case scope == ScopeWrite && role == RoleAdmin:
		return RoleTriager
	}
	return role
}

// orgsLimitTo are u's organisation roles as a token of scope limited to
// the organisation limit (0: none) acts, for the rules that read an
// organisation's own resources (incidents, advisories): each role capped by
// the scope; with a limit, only memberships of the limit or of its
// children count, and a role in the limit's parent counts for the limit
// alone. A site admin's token has the admin role, capped, in every
// organisation (in the limit only, with one). parents maps organisations to
// their parents (needed with a limit and for a site admin).
func (u *User) orgsLimitTo(scope APIScope, limit int64, parents map[int64]int64) []OrgRole {
	var out []OrgRole
	if u.IsSiteAdmin() {
		for id := range parents {
			if limit == 0 || id == limit {
				out = append(out, OrgRole{OrgID: id, Role: capRole(RoleAdmin, scope)})
			}
		}
		slices.SortFunc(out, func(a, b OrgRole) int { return cmp.Compare(a.OrgID, b.OrgID) })
		return out
	}
	for _, m := range u.Orgs {
		switch {
		case limit == 0 || m.OrgID == limit || parents[m.OrgID] == limit:
		case parents[limit] == m.OrgID:
			m.OrgID, m.OrgName = limit, ""
		default:
			continue
		}
		m.Role = capRole(m.Role, scope)
		out = append(out, m)
	}
	return out
}

// TouchAPIToken records a use of a token: at most once a minute per token
// it writes the last use and an audit row (api.token.use), so reads are
// audited coalesced per token per minute, and a busy script does not write
// once per request. Every change a token makes is audited by the change
// itself, with the token in the actor (APIActor).
func (db *DB) TouchAPIToken(ctx context.Context, t *APIToken, clientAddr string) error {
	now := db.Now().UTC()
	if !t.LastUsedAt.IsZero() && now.Sub(t.LastUsedAt) < apiTouchEvery {
		return nil
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ?, last_used_addr = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`,
			formatTime(tx.now), clientAddr, t.ID, formatTime(tx.now.Add(-apiTouchEvery)))
		if err != nil {
			return fmt.Errorf("db: touch token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // another request of the same minute recorded it
		}
		return tx.audit(ctx, APIActor(t, clientAddr), "api.token.use", t.UserEmail, "token="+strconv.FormatInt(t.ID, 10))
	})
}

// APIActor is the audit actor of a request made with a token: the user,
// with the token named, so the log tells a script's changes from its
// owner's clicks.
func APIActor(t *APIToken, clientAddr string) Actor {
	return Actor{UserID: t.UserID, Name: t.UserEmail + " (API token " + strconv.FormatInt(t.ID, 10) + ")", ClientAddr: clientAddr}
}
