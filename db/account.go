package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// NewUser is what creating a staff account takes. Password may be empty: the
// user then sets one through a setup link.
type NewUser struct {
	Email      string
	Name       string
	Role       Role
	Password   string
	ProgramIDs []int64
}

// Validate returns messages per field ("email", "name", "role").
func (in *NewUser) Validate() FieldErrors {
	errs := FieldErrors{}
	in.Email = strings.TrimSpace(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 254 {
		errs["email"] = "Enter an email address like alice@example.org."
	}
	if len([]rune(in.Name)) > 100 {
		errs["name"] = "Use at most 100 characters."
	}
	if !in.Role.Valid() {
		errs["role"] = "Choose admin, triager or viewer."
	}
	return errs
}

const userColumns = `u.id, u.email, u.name, u.role, u.disabled, u.totp_enabled, u.password_hash <> '', u.last_login_at`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var last sql.NullString
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Disabled, &u.TOTPEnabled, &u.HasPassword, &last); err != nil {
		return nil, err
	}
	u.LastLoginAt = parseNullTime(last)
	return &u, nil
}

// CreateUser adds a staff account with its program memberships.
func (db *DB) CreateUser(ctx context.Context, in *NewUser, actor Actor) (*User, error) {
	if errs := in.Validate(); len(errs) > 0 {
		return nil, Invalid(errs)
	}
	hash := ""
	if in.Password != "" {
		if errs := ValidatePassword(in.Password, in.Password); len(errs) > 0 {
			return nil, Invalid(errs)
		}
		var err error
		if hash, err = hashPassword(in.Password, db.Auth.Argon2); err != nil {
			return nil, err
		}
	}
	var u *User
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		id, err := tx.createUser(ctx, in, hash, actor)
		if err != nil {
			return err
		}
		u, err = tx.userByID(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (tx *Tx) createUser(ctx context.Context, in *NewUser, hash string, actor Actor) (int64, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE email = ?`, in.Email).Scan(&n); err != nil {
		return 0, fmt.Errorf("db: check email: %w", err)
	} else if n > 0 {
		return 0, Invalid(FieldErrors{"email": "An account with this address exists already."})
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
		in.Email, in.Name, string(in.Role), hash, formatTime(tx.now))
	if err != nil {
		return 0, fmt.Errorf("db: insert user: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("db: insert user: %w", err)
	}
	for _, pid := range in.ProgramIDs {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO program_members (program_id, user_id) VALUES (?, ?)`, pid, id); err != nil {
			return 0, fmt.Errorf("db: add member: %w", err)
		}
	}
	if err := tx.audit(ctx, actor, "user.create", in.Email, "role="+string(in.Role)); err != nil {
		return 0, err
	}
	return id, nil
}

// updateUser is Update for an account change: fn gets the account as the
// transaction reads it (ENOTFOUND when there is none).
func (db *DB) updateUser(ctx context.Context, userID int64, fn func(ctx context.Context, tx *Tx, u *User) error) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		u, err := tx.userByID(ctx, userID)
		if err != nil {
			return err
		}
		return fn(ctx, tx, u)
	})
}

func (tx *Tx) userByID(ctx context.Context, id int64) (*User, error) {
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "User not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: find user %d: %w", id, err)
	}
	return u, nil
}

// UserByID finds a staff account with its program memberships.
func (db *DB) UserByID(ctx context.Context, id int64) (*User, error) {
	return db.userWhere(ctx, `u.id = ?`, id)
}

// UserByEmail finds a staff account by address (case-insensitive).
func (db *DB) UserByEmail(ctx context.Context, email string) (*User, error) {
	return db.userWhere(ctx, `u.email = ?`, strings.TrimSpace(email))
}

func (db *DB) userWhere(ctx context.Context, where string, args ...any) (*User, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "User not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: find user: %w", err)
	}
	if err := userAccess(ctx, tx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// Users lists every staff account with its memberships, by email.
func (db *DB) Users(ctx context.Context) ([]*User, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+` FROM users u ORDER BY u.email`)
	if err != nil {
		return nil, fmt.Errorf("db: list users: %w", err)
	}
	defer rows.Close()
	var out []*User
	byID := map[int64]*User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("db: scan user: %w", err)
		}
		out = append(out, u)
		byID[u.ID] = u
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	all, err := loadAccess(ctx, tx, 0)
	if err != nil {
		return nil, err
	}
	for id, u := range byID {
		u.setAccess(all[id])
	}
	return out, nil
}

// SetUserDisabled disables or re-enables an account. Disabling ends its
// sessions and voids its open setup and reset links.
func (db *DB) SetUserDisabled(ctx context.Context, userID int64, disabled bool, actor Actor) error {
	if disabled && actor.UserID == userID {
		return Errorf(EINVALID, "You cannot disable your own account.")
	}
	return db.updateUser(ctx, userID, func(ctx context.Context, tx *Tx, u *User) error {
		if !disabled {
			// enabled_at restarts the inactivity clock of the account review.
			if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = 0, enabled_at = ? WHERE id = ?`, formatTime(tx.now), userID); err != nil {
				return fmt.Errorf("db: enable user: %w", err)
			}
			return tx.audit(ctx, actor, "user.enable", u.Email, "")
		}
		return tx.disableUser(ctx, u, actor, "")
	})
}

// disableUser disables an account, ends its sessions at once and voids its
// open setup and reset links.
func (tx *Tx) disableUser(ctx context.Context, u *User, actor Actor, detail string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = 1 WHERE id = ?`, u.ID); err != nil {
		return fmt.Errorf("db: disable user: %w", err)
	}
	if err := tx.endSessions(ctx, u.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_tokens WHERE user_id = ? AND used_at IS NULL`, u.ID); err != nil {
		return fmt.Errorf("db: void tokens: %w", err)
	}
	return tx.audit(ctx, actor, "user.disable", u.Email, detail)
}

// UpdateUser changes name, role and memberships of an account.
func (db *DB) UpdateUser(ctx context.Context, userID int64, name string, role Role, programIDs []int64, actor Actor) error {
	if !role.Valid() {
		return Invalid(FieldErrors{"role": "Choose admin, triager or viewer."})
	}
	return db.updateUser(ctx, userID, func(ctx context.Context, tx *Tx, u *User) error {
		if actor.UserID == userID && u.Role == RoleAdmin && role != RoleAdmin {
			return Errorf(EINVALID, "You cannot take the admin role from yourself.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET name = ?, role = ? WHERE id = ?`, strings.TrimSpace(name), string(role), userID); err != nil {
			return fmt.Errorf("db: update user: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM program_members WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("db: clear memberships: %w", err)
		}
		for _, pid := range programIDs {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO program_members (program_id, user_id) VALUES (?, ?)`, pid, userID); err != nil {
				return fmt.Errorf("db: add member: %w", err)
			}
		}
		return tx.audit(ctx, actor, "user.update", u.Email, fmt.Sprintf("role=%s programs=%v", role, programIDs))
	})
}
