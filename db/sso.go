package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
)

// secretSSOClient is the purpose sso_providers.client_secret is sealed under.
const secretSSOClient = "sso client secret"

// SSO role modes (sso_providers.role_mode).
const (
	// SSOExisting signs in accounts that exist already; it creates none and
	// changes no role.
	SSOExisting = "existing"
	// SSOGroups gives the role the provider's groups claim maps to, in the
	// provider's organisation (the default organisation for an instance
	// provider), and creates the account at its first sign-in.
	SSOGroups = "groups"
)

// SSOProvider is an OpenID Connect provider that signs staff in. The client
// secret is never read back into one: SSOClientSecret opens it for the
// token request only.
type SSOProvider struct {
	ID int64
	// OrgID is the organisation it signs in for; 0 is the instance.
	OrgID       int64
	OrgSlug     string
	Name        string // the sign-in button reads "Sign in with <Name>"
	Issuer      string
	ClientID    string
	Domains     []string
	RoleMode    string
	GroupsClaim string
	// GroupRoles maps a group of the claim to the role it gives; several
	// groups of one user give the strongest.
	GroupRoles map[string]Role
	Require2FA bool
	CreatedAt  time.Time
}

// NewSSOProvider is what an admin (dashboard or `disclose sso add`) gives.
type NewSSOProvider struct {
	OrgID        int64 // 0: the instance
	Name         string
	Issuer       string
	ClientID     string
	ClientSecret string
	Domains      string // comma-separated
	RoleMode     string
	GroupsClaim  string
	GroupRoles   map[string]Role
	Require2FA   bool
}

// ParseSSORoles reads the role mapping of the command line and the form:
// "existing", or "groups:CLAIM=role:GROUP,role:GROUP".
func ParseSSORoles(s string) (mode, claim string, roles map[string]Role, err error) {
	s = strings.TrimSpace(s)
	if s == SSOExisting {
		return SSOExisting, "", nil, nil
	}
	rest, ok := strings.CutPrefix(s, "groups:")
	if !ok {
		return "", "", nil, Invalid(FieldErrors{"roles": `Give "existing" or "groups:CLAIM=admin:GROUP,triager:GROUP".`})
	}
	claim, list, ok := strings.Cut(rest, "=")
	if !ok || strings.TrimSpace(claim) == "" {
		return "", "", nil, Invalid(FieldErrors{"roles": `Name the claim: "groups:groups=triager:security-team".`})
	}
	roles = map[string]Role{}
	for _, item := range strings.Split(list, ",") {
		role, group, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok || !Role(role).Valid() || strings.TrimSpace(group) == "" {
			return "", "", nil, Invalid(FieldErrors{"roles": fmt.Sprintf("%q is not role:GROUP with role admin, triager or viewer.", item)})
		}
		roles[strings.TrimSpace(group)] = Role(role)
	}
	return SSOGroups, strings.TrimSpace(claim), roles, nil
}

// Validate checks the fields and returns one message per bad field.
func (in *NewSSOProvider) Validate() FieldErrors {
	errs := FieldErrors{}
	in.Name, in.Issuer, in.ClientID = strings.TrimSpace(in.Name), strings.TrimSpace(in.Issuer), strings.TrimSpace(in.ClientID)
	in.ClientSecret = strings.TrimSpace(in.ClientSecret)
	if n := len([]rune(in.Name)); n == 0 || n > 60 {
		errs["name"] = "Give the name the sign-in button shows (at most 60 characters)."
	}
	u, err := url.Parse(in.Issuer)
	switch {
	case err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || len(in.Issuer) > 500:
		errs["issuer"] = "Give the issuer URL exactly as the provider publishes it, like https://login.example.org/realms/staff."
	case u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname())):
		errs["issuer"] = "The issuer must be an https:// URL (http:// only on this machine, for tests)."
	}
	if in.ClientID == "" || len(in.ClientID) > 500 {
		errs["client_id"] = "Give the client ID the provider gave this portal."
	}
	if in.ClientSecret == "" || len(in.ClientSecret) > 2000 {
		errs["client_secret"] = "Give the client secret the provider gave this portal."
	}
	if _, ok := splitDomains(in.Domains); !ok {
		errs["domains"] = "List the email domains it may sign in, separated by commas, like example.org, example.com."
	}
	switch in.RoleMode {
	case SSOExisting:
	case SSOGroups:
		if in.GroupsClaim == "" || len(in.GroupRoles) == 0 {
			errs["roles"] = "Name the groups claim and map at least one group to a role."
		}
	default:
		errs["roles"] = "Choose existing accounts only, or roles from a groups claim."
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func isLoopbackHost(h string) bool { return h == "127.0.0.1" || h == "::1" || h == "localhost" }

// splitDomains normalises a comma-separated list of domains; ok is false
// when it is empty or holds something that is not a domain.
func splitDomains(s string) ([]string, bool) {
	var out []string
	seen := map[string]bool{}
	for _, d := range strings.Split(s, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" {
			continue
		}
		if _, ok := NormalizeHost(d); !ok || strings.ContainsAny(d, ":@/*") || !strings.Contains(d, ".") {
			return nil, false
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out, len(out) > 0
}

func formatGroupRoles(m map[string]Role) string {
	var lines []string
	for g, r := range m {
		lines = append(lines, string(r)+"="+g)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func parseGroupRoles(s string) map[string]Role {
	m := map[string]Role{}
	for _, line := range strings.Split(s, "\n") {
		if r, g, ok := strings.Cut(line, "="); ok {
			m[g] = Role(r)
		}
	}
	return m
}

// CreateSSOProvider stores a provider, its client secret sealed with the
// local key.
func (db *DB) CreateSSOProvider(ctx context.Context, in *NewSSOProvider, actor Actor) (*SSOProvider, error) {
	if errs := in.Validate(); errs != nil {
		return nil, Invalid(errs)
	}
	secret, err := db.sealSecret(secretSSOClient, in.ClientSecret)
	if err != nil {
		return nil, err
	}
	domains, _ := splitDomains(in.Domains)
	var id int64
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		org := sql.NullInt64{Int64: in.OrgID, Valid: in.OrgID != 0}
		target := "instance"
		if org.Valid {
			if err := tx.QueryRowContext(ctx, `SELECT slug FROM organisations WHERE id = ?`, in.OrgID).Scan(&target); errors.Is(err, sql.ErrNoRows) {
				return Errorf(ENOTFOUND, "Organisation not found.")
			} else if err != nil {
				return fmt.Errorf("db: find organisation: %w", err)
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO sso_providers (org_id, name, issuer, client_id, client_secret, domains, role_mode,
			groups_claim, group_roles, require_2fa, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			org, in.Name, in.Issuer, in.ClientID, secret, strings.Join(domains, ","), in.RoleMode, in.GroupsClaim,
			formatGroupRoles(in.GroupRoles), in.Require2FA, formatTime(tx.now))
		if err != nil {
			return fmt.Errorf("db: insert sso provider: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("db: insert sso provider: %w", err)
		}
		return tx.audit(ctx, actor, "sso.provider.add", in.Issuer, fmt.Sprintf("id=%d for=%s roles=%s domains=%s second_factor=%t",
			id, target, in.RoleMode, strings.Join(domains, ","), in.Require2FA))
	})
	if err != nil {
		return nil, err
	}
	return db.SSOProvider(ctx, id)
}

// DeleteSSOProvider removes a provider with its bound identities and the
// sign-ins under way; the accounts stay.
func (db *DB) DeleteSSOProvider(ctx context.Context, id int64, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var issuer string
		if err := tx.QueryRowContext(ctx, `SELECT issuer FROM sso_providers WHERE id = ?`, id).Scan(&issuer); errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "Sign-in provider not found.")
		} else if err != nil {
			return fmt.Errorf("db: find sso provider: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sso_providers WHERE id = ?`, id); err != nil {
			return fmt.Errorf("db: delete sso provider: %w", err)
		}
		return tx.audit(ctx, actor, "sso.provider.remove", issuer, fmt.Sprintf("id=%d", id))
	})
}

const ssoColumns = `p.id, COALESCE(p.org_id, 0), COALESCE(o.slug, ''), p.name, p.issuer, p.client_id, p.domains, p.role_mode,
	p.groups_claim, p.group_roles, p.require_2fa, p.created_at`

const ssoFrom = ` FROM sso_providers p LEFT JOIN organisations o ON o.id = p.org_id`

func scanSSOProvider(row interface{ Scan(...any) error }) (*SSOProvider, error) {
	p := &SSOProvider{}
	var domains, roles, created string
	if err := row.Scan(&p.ID, &p.OrgID, &p.OrgSlug, &p.Name, &p.Issuer, &p.ClientID, &domains, &p.RoleMode, &p.GroupsClaim,
		&roles, &p.Require2FA, &created); err != nil {
		return nil, err
	}
	p.Domains, _ = splitDomains(domains)
	p.GroupRoles = parseGroupRoles(roles)
	p.CreatedAt = parseTime(created)
	return p, nil
}

// SSOProviders lists every provider, the instance's first.
func (db *DB) SSOProviders(ctx context.Context) ([]*SSOProvider, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+ssoColumns+ssoFrom+` ORDER BY p.org_id IS NOT NULL, p.org_id, p.id`)
	if err != nil {
		return nil, fmt.Errorf("db: list sso providers: %w", err)
	}
	defer rows.Close()
	var out []*SSOProvider
	for rows.Next() {
		p, err := scanSSOProvider(rows)
		if err != nil {
			return nil, fmt.Errorf("db: read sso provider: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: list sso providers: %w", err)
	}
	return out, nil
}

// SSOProvider finds one provider.
func (db *DB) SSOProvider(ctx context.Context, id int64) (*SSOProvider, error) {
	p, err := scanSSOProvider(db.read.QueryRowContext(ctx, `SELECT `+ssoColumns+ssoFrom+` WHERE p.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Sign-in provider not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: find sso provider: %w", err)
	}
	return p, nil
}

// SSOClientSecret opens a provider's client secret, for the token request.
func (db *DB) SSOClientSecret(ctx context.Context, id int64) (string, error) {
	var sealed string
	if err := db.read.QueryRowContext(ctx, `SELECT client_secret FROM sso_providers WHERE id = ?`, id).Scan(&sealed); errors.Is(err, sql.ErrNoRows) {
		return "", Errorf(ENOTFOUND, "Sign-in provider not found.")
	} else if err != nil {
		return "", fmt.Errorf("db: read sso client secret: %w", err)
	}
	if sealed == "" {
		return "", ErrSSOSecretLost
	}
	return db.openSecret(secretSSOClient, sealed)
}
