package db_test

import (
	"context"
	"testing"

	"github.com/disclose/disclose/db"
)

func TestPasskeys(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	other, err := f.DB.CreateUser(ctx, &db.NewUser{Email: "other@example.org", Role: db.RoleViewer}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := f.DB.AddPasskey(ctx, f.Triager.ID, []byte("cred-1"), " Laptop ", `{"id":"x"}`, f.Actor)
	if err != nil || len(codes) != db.RecoveryCodeCount {
		t.Fatalf("first passkey: %d codes, %v", len(codes), err)
	}
	if codes, err := f.DB.AddPasskey(ctx, f.Triager.ID, []byte("cred-2"), "Key", `{}`, f.Actor); err != nil || len(codes) != 0 {
		t.Fatalf("second passkey: %d codes (want none), %v", len(codes), err)
	}
	if _, err := f.DB.AddPasskey(ctx, other.ID, []byte("cred-1"), "Stolen", `{}`, db.ActorSystem); db.ErrorCode(err) != db.EINVALID {
		t.Fatalf("a credential registered twice: %v", err)
	}
	keys, err := f.DB.Passkeys(ctx, f.Triager.ID)
	if err != nil || len(keys) != 2 || keys[0].Name != "Laptop" || !keys[0].LastUsedAt.IsZero() {
		t.Fatalf("list: %+v %v", keys, err)
	}
	// Another user's passkey reads as missing.
	if err := f.DB.RenamePasskey(ctx, other.ID, keys[0].ID, "Mine", db.ActorSystem); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("rename of another's: %v", err)
	}
	if err := f.DB.DeletePasskey(ctx, other.ID, keys[0].ID, db.ActorSystem); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("delete of another's: %v", err)
	}
	// A passkey is a second factor: the password step now waits for it.
	res, err := f.DB.Login(ctx, "tina@example.org", "correct horse battery staple", "192.0.2.1")
	if err != nil || res.PendingToken == "" || res.Token != "" {
		t.Fatalf("password of an account with a passkey: %+v %v", res, err)
	}
	if _, err := f.DB.PasskeySignIn(ctx, other.ID, []byte("cred-1"), `{}`, res.PendingToken, "192.0.2.1"); err == nil {
		t.Fatal("another account finished the pending sign-in")
	}
	in, err := f.DB.PasskeySignIn(ctx, f.Triager.ID, []byte("cred-1"), `{"id":"y"}`, res.PendingToken, "192.0.2.1")
	if err != nil || in.Token == "" {
		t.Fatalf("second factor: %v", err)
	}
	if _, err := f.DB.PasskeySignIn(ctx, f.Triager.ID, []byte("cred-1"), `{}`, res.PendingToken, "192.0.2.1"); err == nil {
		t.Fatal("the pending sign-in finished twice")
	}
	keys, _ = f.DB.Passkeys(ctx, f.Triager.ID)
	if keys[0].LastUsedAt.IsZero() || keys[0].Credential != `{"id":"y"}` {
		t.Errorf("use not recorded: %+v", keys[0])
	}
	if err := f.DB.DeletePasskey(ctx, f.Triager.ID, keys[0].ID, f.Actor); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DB.PasskeySignIn(ctx, f.Triager.ID, []byte("cred-1"), `{}`, "", "192.0.2.1"); err == nil {
		t.Fatal("a removed passkey signed in")
	}
	if err := f.DB.SetUserDisabled(ctx, f.Triager.ID, true, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DB.PasskeySignIn(ctx, f.Triager.ID, []byte("cred-2"), `{}`, "", "192.0.2.1"); err == nil {
		t.Fatal("a disabled account signed in with a passkey")
	}
}

func TestPasskeyCeremony(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	tok, _, err := f.DB.BeginPasskey(ctx, f.Triager.ID, db.PasskeyRegister, `{"challenge":"c"}`, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.DB.TakePasskey(ctx, tok, db.PasskeyLogin); err != db.ErrPasskeyCeremony {
		t.Fatalf("another purpose: %v", err)
	}
	if _, _, err := f.DB.TakePasskey(ctx, tok, db.PasskeyRegister); err != db.ErrPasskeyCeremony {
		t.Fatalf("after a try with another purpose (spent): %v", err)
	}
	tok, _, _ = f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, `{"challenge":"d"}`, "192.0.2.1")
	if user, session, err := f.DB.TakePasskey(ctx, tok, db.PasskeyLogin); err != nil || user != 0 || session != `{"challenge":"d"}` {
		t.Fatalf("take: %d %q %v", user, session, err)
	}
	if _, _, err := f.DB.TakePasskey(ctx, tok, db.PasskeyLogin); err != db.ErrPasskeyCeremony {
		t.Fatalf("second use: %v", err)
	}
	tok, _, _ = f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, `{}`, "192.0.2.1")
	f.advance(db.PasskeyChallengeLifetime)
	if _, _, err := f.DB.TakePasskey(ctx, tok, db.PasskeyLogin); err != db.ErrPasskeyCeremony {
		t.Fatalf("expired: %v", err)
	}
}

// passkeyPlanWorkload runs the statements of passkeys for TestQueryPlans.
func passkeyPlanWorkload(t *testing.T, d *db.DB) {
	ctx := context.Background()
	u, err := d.CreateUser(ctx, &db.NewUser{Email: "keys@example.org", Role: db.RoleViewer, Password: "correct horse battery staple"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	a := u.Actor("192.0.2.1")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = d.AddPasskey(ctx, u.ID, []byte("plan-cred"), "Key", `{}`, a)
	must(err)
	keys, err := d.Passkeys(ctx, u.ID)
	must(err)
	must(d.RenamePasskey(ctx, u.ID, keys[0].ID, "Key 2", a))
	_, err = d.PasskeyByCredentialID(ctx, []byte("plan-cred"))
	must(err)
	tok, _, err := d.BeginPasskey(ctx, 0, db.PasskeyLogin, `{}`, "192.0.2.1")
	must(err)
	// The bounds per network, per site and for the portal, each reached.
	defer func(g, n, s int) {
		db.MaxPasskeySignIns, db.MaxPasskeySignInsPerNetwork, db.MaxPasskeySignInsPerSite = g, n, s
	}(db.MaxPasskeySignIns, db.MaxPasskeySignInsPerNetwork, db.MaxPasskeySignInsPerSite)
	db.MaxPasskeySignIns, db.MaxPasskeySignInsPerNetwork, db.MaxPasskeySignInsPerSite = 5, 2, 3
	for _, addr := range []string{"2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8:0:1::1", "2001:db8:0:2::1", "2001:db8:1::1", "198.51.100.1"} {
		_, _, err := d.BeginPasskey(ctx, 0, db.PasskeySecondFactor, `{}`, addr)
		must(err)
	}
	_, _, err = d.TakePasskey(ctx, tok, db.PasskeyLogin)
	must(err)
	res, err := d.Login(ctx, "keys@example.org", "correct horse battery staple", "192.0.2.1")
	must(err)
	in, err := d.PasskeySignIn(ctx, u.ID, []byte("plan-cred"), `{}`, res.PendingToken, "192.0.2.1")
	must(err)
	_, err = d.UserBySession(ctx, in.Token)
	must(err)
	must(d.AuditPasskeyRefusal(ctx, u.ID, "test", "192.0.2.1"))
	must(d.DeletePasskey(ctx, u.ID, keys[0].ID, a))
}
