package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/pquerna/otp/totp"
)

// resetMailN numbers the reset mails' Message-IDs.
var resetMailN atomic.Int64

// requestReset asks for a reset of email as the sign-in page does: a fresh
// token and a mail that carries it as a link, composed for every request.
func requestReset(ctx context.Context, d *db.DB, email, clientAddr string) error {
	token, err := db.NewResetToken()
	if err != nil {
		return err
	}
	m := &db.OutMail{MessageID: fmt.Sprintf("<reset%d@portal.example>", resetMailN.Add(1)), To: email, Subject: "Reset your password",
		Body: "https://portal.example/setup/" + token + "\nvalid for " + d.Auth.SetupLinkLifetime.String()}
	return d.RequestPasswordReset(ctx, email, clientAddr, db.ResetLink{Token: token, Mail: m})
}

// resetMails are the reset mails in the outbox, newest first.
func resetMails(t *testing.T, d *db.DB) []*db.Mail {
	t.Helper()
	all, err := d.Mails(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []*db.Mail
	for _, m := range all {
		if m.Kind == db.ResetMailKind {
			out = append(out, m)
		}
	}
	return out
}

func tokenOf(t *testing.T, m *db.Mail) string {
	t.Helper()
	link, _, _ := strings.Cut(m.Body, "\n")
	tok, ok := strings.CutPrefix(link, "https://portal.example/setup/")
	if !ok || len(tok) != 43 {
		t.Fatalf("no link in the reset mail: %q", m.Body)
	}
	return tok
}

func newResetDB(t *testing.T) (*db.DB, *clock) {
	d := MustOpenDB(t)
	d.Auth.Argon2 = db.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	return d, withClock(d)
}

func TestRequestPasswordReset(t *testing.T) {
	ctx := context.Background()
	const newPassword = "a brand new passphrase"

	t.Run("OK", func(t *testing.T) {
		d, clk := newResetDB(t)
		u := MustCreateUser(t, d, "alice@example.org", db.RoleTriager)
		var sessions []string
		for _, addr := range []string{"192.0.2.1", "198.51.100.2"} {
			res, err := d.Login(ctx, u.Email, testPassword, addr)
			if err != nil {
				t.Fatal(err)
			}
			sessions = append(sessions, res.Token)
		}
		if err := requestReset(ctx, d, " Alice@Example.org ", "203.0.113.9"); err != nil {
			t.Fatal(err)
		}
		mails := resetMails(t, d)
		if len(mails) != 1 || mails[0].To != u.Email || mails[0].UserID != u.ID {
			t.Fatalf("reset mails: %+v, want one to %s", mails, u.Email)
		}
		token := tokenOf(t, mails[0])
		ti, err := d.TokenInfo(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if ti.Purpose != db.TokenReset || ti.UserID != u.ID || ti.ExpiresAt.Sub(clk.Now()) > time.Hour {
			t.Fatalf("link: %+v, want a reset of %d valid at most an hour", ti, u.ID)
		}
		// The request alone changes nothing: the password and sessions stay.
		if _, err := d.UserBySession(ctx, sessions[0]); err != nil {
			t.Fatalf("session after the request: %v", err)
		}
		clk.Advance(59 * time.Minute)
		if _, err := d.RedeemToken(ctx, token, &db.Redeem{Password: newPassword, Password2: newPassword}, "203.0.113.9"); err != nil {
			t.Fatal(err)
		}
		for _, s := range sessions {
			if _, err := d.UserBySession(ctx, s); db.ErrorCode(err) != db.EUNAUTHORIZED {
				t.Fatalf("a session outlived the reset: %v", err)
			}
		}
		if _, err := d.RedeemToken(ctx, token, &db.Redeem{Password: "yet another passphrase", Password2: "yet another passphrase"}, "203.0.113.9"); !errors.Is(err, db.ErrTokenInvalid) {
			t.Fatalf("second use: err=%v, want ErrTokenInvalid", err)
		}
		if _, err := d.Login(ctx, u.Email, testPassword, "192.0.2.1"); db.ErrorCode(err) != db.EUNAUTHORIZED {
			t.Fatalf("old password: err=%v, want refused", err)
		}
		if _, err := d.Login(ctx, u.Email, newPassword, "192.0.2.1"); err != nil {
			t.Fatalf("new password: %v", err)
		}
		// Request and use are audited; the link is in no audit row.
		page, err := d.ListAudit(ctx, db.AuditFilter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range page.Entries {
			if strings.Contains(e.Target+e.Detail+e.Actor, token) {
				t.Fatalf("the link is in the audit log: %+v", e)
			}
			if e.Action == "user.reset_request" || e.Action == "user.password_set" {
				got = append(got, e.Action+" "+e.Detail)
			}
		}
		if want := "user.password_set via=reset|user.reset_request result=mailed"; strings.Join(got, "|") != want {
			t.Fatalf("audit: %q, want %q", strings.Join(got, "|"), want)
		}
	})

	t.Run("ErrExpired", func(t *testing.T) {
		d, clk := newResetDB(t)
		MustCreateUser(t, d, "alice@example.org", db.RoleTriager)
		if err := requestReset(ctx, d, "alice@example.org", "203.0.113.9"); err != nil {
			t.Fatal(err)
		}
		token := tokenOf(t, resetMails(t, d)[0])
		clk.Advance(time.Hour)
		if _, err := d.RedeemToken(ctx, token, &db.Redeem{Password: newPassword, Password2: newPassword}, "203.0.113.9"); !errors.Is(err, db.ErrTokenInvalid) {
			t.Fatalf("after an hour: err=%v, want ErrTokenInvalid", err)
		}
	})

	t.Run("NoMail", func(t *testing.T) {
		d, _ := newResetDB(t)
		MustCreateUser(t, d, "carol@example.org", db.RoleTriager)
		if err := d.SetUserDisabled(ctx, mustUser(t, d, "carol@example.org").ID, true, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		bob, invite, err := d.InviteUser(ctx, &db.NewUser{Email: "bob@example.org", Role: db.RoleViewer}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		for _, email := range []string{"nobody@example.org", "carol@example.org", "bob@example.org", "not an address"} {
			if err := requestReset(ctx, d, email, "203.0.113.9"); err != nil {
				t.Fatalf("%s: %v", email, err)
			}
		}
		if mails := resetMails(t, d); len(mails) != 0 {
			t.Fatalf("%d reset mails, want none: %+v", len(mails), mails[0])
		}
		// The undone stand-in left no link behind, and a stranger's request
		// did not void the invited user's setup link.
		var links int
		if err := d.QueryRowForTest(ctx, `SELECT COUNT(*) FROM user_tokens WHERE purpose = 'reset'`).Scan(&links); err != nil {
			t.Fatal(err)
		}
		if links != 0 {
			t.Fatalf("%d reset links stored, want 0", links)
		}
		if ti, err := d.TokenInfo(ctx, invite); err != nil || ti.UserID != bob.ID {
			t.Fatalf("invite link after a reset request: %+v, %v", ti, err)
		}
		page, _ := d.ListAudit(ctx, db.AuditFilter{Action: "user.reset_request"})
		var results []string
		for _, e := range page.Entries {
			results = append(results, e.Target+" "+e.Detail)
		}
		want := "(not an email address) result=unknown account|bob@example.org result=no password set|carol@example.org result=account disabled|nobody@example.org result=unknown account"
		if strings.Join(results, "|") != want {
			t.Fatalf("audit:\n%s\nwant\n%s", strings.Join(results, "|"), want)
		}
	})

	t.Run("ErrTooMany", func(t *testing.T) {
		d, clk := newResetDB(t)
		MustCreateUser(t, d, "alice@example.org", db.RoleTriager)
		for i := 0; i < 5; i++ {
			// Any case and spacing is the same address.
			if err := requestReset(ctx, d, []string{"alice@example.org", "ALICE@example.org "}[i%2], fmt.Sprintf("198.51.%d.1", i)); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(resetMails(t, d)); n != d.Auth.ResetPerAddress {
			t.Fatalf("%d mails after 5 requests from 5 networks, want %d", n, d.Auth.ResetPerAddress)
		}
		// Only the newest link works: each voids the one before.
		mails := resetMails(t, d)
		if _, err := d.TokenInfo(ctx, tokenOf(t, mails[len(mails)-1])); !errors.Is(err, db.ErrTokenInvalid) {
			t.Fatalf("older link: err=%v, want ErrTokenInvalid", err)
		}
		if _, err := d.TokenInfo(ctx, tokenOf(t, mails[0])); err != nil {
			t.Fatalf("newest link: %v", err)
		}
		// The count is kept under a keyed hash, not the address.
		var keys int
		if err := d.QueryRowForTest(ctx, `SELECT COUNT(*) FROM reset_requests WHERE length(key_hash) = 32 AND instr(lower(CAST(key_hash AS TEXT)), 'alice') = 0`).Scan(&keys); err != nil {
			t.Fatal(err)
		}
		if keys != 1 {
			t.Fatalf("%d hashed counts, want 1", keys)
		}
		clk.Advance(time.Hour + time.Second)
		if err := requestReset(ctx, d, "alice@example.org", "198.51.100.1"); err != nil {
			t.Fatal(err)
		}
		if n := len(resetMails(t, d)); n != d.Auth.ResetPerAddress+1 {
			t.Fatalf("%d mails an hour later, want %d", n, d.Auth.ResetPerAddress+1)
		}
	})

	t.Run("SecondFactorStays", func(t *testing.T) {
		d, clk := newResetDB(t)
		u := MustCreateUser(t, d, "alice@example.org", db.RoleAdmin)
		enr, err := d.StartTOTP(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.GenerateCode(enr.Secret, clk.Now())
		if _, err := d.ConfirmTOTP(ctx, u.ID, code, u.Actor("192.0.2.1")); err != nil {
			t.Fatal(err)
		}
		if err := requestReset(ctx, d, u.Email, "203.0.113.9"); err != nil {
			t.Fatal(err)
		}
		token := tokenOf(t, resetMails(t, d)[0])
		if _, err := d.RedeemToken(ctx, token, &db.Redeem{Password: newPassword, Password2: newPassword}, "203.0.113.9"); err != nil {
			t.Fatal(err)
		}
		res, err := d.Login(ctx, u.Email, newPassword, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if res.PendingToken == "" || res.Token != "" {
			t.Fatalf("sign-in after reset: %+v, want the second factor asked for", res)
		}
	})

	t.Run("SentBodyDropped", func(t *testing.T) {
		d, _ := newResetDB(t)
		MustCreateUser(t, d, "alice@example.org", db.RoleTriager)
		if err := requestReset(ctx, d, "alice@example.org", "203.0.113.9"); err != nil {
			t.Fatal(err)
		}
		m, err := d.ClaimMail(ctx, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.MailSent(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := d.MailByID(ctx, m.ID); got.Body != "" {
			t.Fatalf("sent reset mail keeps its link: %q", got.Body)
		}
	})
}

func mustUser(t *testing.T, d *db.DB, email string) *db.User {
	t.Helper()
	u, err := d.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
